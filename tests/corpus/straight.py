"""Straight-line functions: operators, constants, broadcasting, reductions, methods."""

import numpy as np


def cubic(x):
    return 3.0 * x ** 3 - 2 * x + 1


def arithmetic(a, b):
    return np.sum(a * b - a / (b * b + 1.0) + (-a) ** 2)


def reused(x):
    y = x * x
    z = y + x
    return np.sum(z * y * x)


def same_operand_twice(x):
    return np.sum(x * x + x @ x)


def tuple_unpacking(a, b):
    u, v = a * 2.0, b + 1.0
    u, v = v, u
    return np.sum(u * v ** 2)


def unpack_rows(m):
    first, second = m
    return np.sum(first * np.sin(second))


def augmented(x, w):
    y = x * 1.0
    y += w
    y *= x
    y -= 1.0
    y /= 2.0
    y **= 2
    return np.sum(y)


def augmented_keeps_input(x):
    y = x
    y += 1.0
    return np.sum(y * x)


def comparisons(x):
    mask = x > 0.1
    small = x <= 0.5
    return np.sum(x * mask + np.where(small, x, 2.0 * x))


def constants(x):
    k = np.float64(2.0)
    return np.sum(np.pi * x + np.e + k * x * 3 + 1)


def numpy_scalar_types(x):
    return np.sum(np.float32(0.5) * x + np.int64(3) * x ** 2)


def matmul_chain(a, b, v):
    return np.sum((a @ b) @ v)


def vector_dot(u, v):
    return u @ v


def broadcast_row(m, r):
    return np.sum((m + r) * r)


def broadcast_column(m, c):
    return np.sum(np.tanh(m * c - c))


def broadcast_scalar_param(s, m):
    return np.sum(s * m + s)


def broadcast_outer(u, v):
    return np.sum(np.exp(u[:, None] - v[None, :]))


def reductions_axis(x):
    return np.sum(np.sum(x, axis=0) * np.mean(x, axis=1).sum())


def reductions_negative_axis(x):
    return np.sum(np.mean(x ** 2, axis=-1)) + np.sum(np.sum(x, axis=(0, 1)) ** 2)


def reductions_keepdims(x):
    p = x / np.sum(x * x, axis=1, keepdims=True)
    return np.sum(p ** 3)


def max_min(x):
    return np.sum(x.max(axis=0)) + x.min() * 2.0 + np.max(x, axis=1, keepdims=True).sum()


def prod_method(x):
    return x.prod(axis=1).sum()


def methods(x):
    s = x.sum(axis=1) + x.mean(axis=1)
    r = x.reshape(2, 6)
    t = r.T
    return s.dot(s) + np.sum(t.ravel() * x.flatten()) + np.sum(x.transpose() ** 2)


def transpose_axes(x):
    return np.sum(x.transpose(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3))


def astype_copy_clip(x):
    y = x.astype(np.float64).copy()
    return np.sum(y.clip(-0.5, 0.5) ** 2 * x)


def attributes(x):
    n = x.size
    rows = x.shape[0]
    return np.sum(x.T * x.T) / n + x.ndim * np.sum(x) / rows


def dtype_attribute(x):
    ones = np.ones(x.shape, dtype=x.dtype)
    return np.sum(x.astype(x.dtype) * ones * np.sin(x))


def softmax_sum_sq(x):
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return np.sum(p * p)


def scalar_math(a, b):
    c = np.exp(a) * np.log(b) + a / b - np.sqrt(b)
    return c ** 2


def unary_minus(x):
    return -np.sum(-x * x)


def data_not_differentiated(w, x):
    h = np.tanh(x @ w)
    scale = np.sum(x * x)
    return np.sum(h) * scale


def dead_code(x, y):
    unused = np.exp(x)
    also = unused * y  # noqa: F841 - dead code on purpose
    return np.sum(x * 2.0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def calls_helper(x, w):
    return np.sum(sigmoid(x * w) * x)


def constant_output(x):
    return np.sum(np.ones(3))


def broadcast_chain(a, b, c):
    t = a * b + c
    u = np.tanh(t) - a / (1.0 + b * b)
    v = u * c + np.exp(-a)
    return np.sum(v * t)


def broadcast_functions(a, b, c):
    m = np.maximum(a, b) + np.where(c > 0, a, c) * np.minimum(b, c)
    return np.sum(m * np.arctan2(a, 1.0 + b * b) + np.power(1.5 + np.sin(c), a))


def elementwise_chain(x, w):
    y = np.sin(x) * 2.0
    z = y + x
    u = z * w
    return np.sum(u)


def reassigned_param(x, w):
    x = x * w
    return np.sum(x * x)
