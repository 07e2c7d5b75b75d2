"""Subscripts and slices for reading."""

import numpy as np


def basic(x):
    return x[0] * x[-1] + np.sum(x[1:3] ** 2) + np.sum(x[::2]) * x[2]


def reversed_steps(x):
    return np.sum(x[::-1] * np.arange(x.shape[0])) + np.sum(x[-1:0:-2] ** 3)


def two_d(m):
    return np.sum(m[1, :3] * m[:, -1]) + m[0, 0] * m[-1, -2] + np.sum(m[..., 1] ** 2)


def new_axis(v):
    return np.sum(v[:, None] * v[None, :] + v[np.newaxis, :])


def integer_array(x, idx):
    return np.sum(x[idx] ** 2)


def boolean_mask(x):
    return np.sum(x[x > 0] ** 2)


def rows_by_index_array(m, idx):
    return np.sum(np.tanh(m[idx, 1:]))


def index_with_variable(x, i):
    return x[i] * x[i + 1] + x[-i]


def overlapping_slices(x):
    return np.sum(x[:-1] * x[1:])


def row_tail(m):
    return np.sum(m[-1] * m[1:, 0:1])


def repeated_list_index(c, a):
    w = c[[-1, -1]]  # a list picks rows: (2, 1) from (2, 1), not one element
    return np.sum(w * a)
