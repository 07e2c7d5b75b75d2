"""Functions for the public API tests: several parameters, defaults, non-scalar outputs."""

import numpy as np


def weighted(x, w, b, scale=2.0):
    return np.sum(np.tanh(x * w + b)) * scale


def three_params(a, b, c):
    return np.sum(a * b ** 2 + np.sin(c) * a)


def elementwise_output(x, w):
    return np.tanh(x @ w)


def scalar_of_floats(a, b):
    return a * a * b + np.exp(b)


def matrix_output(a):
    return a.T @ a


def keyword_only(x, *, power=3):
    return np.sum(x ** power)


SCALE = 0.5
TABLE = np.arange(3.0)


def uses_global_constant(x):
    return np.sum(np.sin(x) * SCALE)


def uses_global_array(x):
    return np.sum(x * TABLE)
