"""Writes into arrays: x[index] = v and x[index] += e."""

import numpy as np


def build_from_pieces(x):
    y = np.zeros(3)
    y[0] = x[0] * 2.0
    y[1:] = np.sin(x[1:])
    return np.sum(y * y)


def overwrite_differentiated(x, w):
    y = x * w
    y[0] = 1.0
    y[-1] = y[-1] * 3.0
    return np.sum(y ** 2)


def rows_in_loop(xs, w):
    out = np.zeros((xs.shape[0], w.shape[1]))
    h = np.zeros(w.shape[1])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w + h)
        out[t] = h
    return np.sum(out ** 2)


def augmented_item(x, w):
    y = x * 1.0
    y[1] += w[0] * 2.0
    y[::2] *= w[1]
    return np.sum(y * y)


def mask_write(x):
    y = x * 2.0
    y[y < 0] = 0.0
    return np.sum(y * x)


def write_into_parameter(x):
    x[0] = 0.0
    return np.sum(x * x)


def tuple_of_subscript_targets(x):
    s = np.zeros(4)
    for i in range(0, 4, 2):
        (s[i], s[i + 1]) = (x[i // 2] * 2.0, x[i // 2] ** 2)
    return np.sum(s * s)


def swap_items(x):
    s = x * 1.0
    s[0], s[1] = s[1], s[0]
    return np.sum(s * np.arange(3.0))


def swap_rows_of_views(x):
    m = np.outer(x, x)
    m[0], m[1] = m[1], m[0]  # rows are views: row 1 ends as the new row 0 (as in NumPy)
    return np.sum(m * np.arange(9.0).reshape(3, 3))


def rows_from_lists(x):
    # a list or tuple written into an array is made an array (as NumPy does): its items'
    # gradients are the written slot's
    traj = np.zeros((4, 2))
    q, p = x[0], x[1]
    for t in range(4):
        p = p - 0.1 * np.sin(q)
        q = q + 0.1 * p
        traj[t] = [q, p]
    y = np.zeros(3)
    y[1:] = x[0], x[1] * x[2]
    rows = np.zeros((2, 3))
    rows[0] = [x[0], 2.0, x[1] * x[2]]  # (a constant among the items)
    rows[1, :2] = (1.0, x[2] ** 2)
    return np.sum(traj ** 2) + np.sum(y ** 2) + np.sum(rows[0] * rows[1])
