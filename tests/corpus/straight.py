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


def inner_function(x):
    def square(v):
        return v * v
    return np.sum(square(np.sin(x)) * x)


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


def dynamic_axis(x):
    axis = 1
    keep = True
    return np.sum(np.sum(x, axis=axis, keepdims=keep) * np.mean(x, axis=axis))


def axis_param(x, axis):
    return np.sum(np.max(x, axis=axis) ** 2 + np.mean(x ** 3, axis=axis))


def tuple_axis(x):
    return np.sum(np.mean(x, axis=(0, 2)) ** 2) + np.sum(np.sum(x, (1, 2)) ** 2)


def variable_step(x, k):
    return np.sum(x[::k] ** 2) + np.sum(x[k:] * x[:-k])


def index_last(x):
    n = x.shape[0]
    return x[n - 1] * x[-n] + np.sum(x[None] ** 2) + np.sum(x[..., None] * 2.0)


def mask_from_data(x, y):
    return np.sum(x[y > 0] ** 2)


def reshape_forms(x):
    a = x.reshape(-1)
    b = x.reshape((2, -1))
    c = x.transpose((1, 0))
    return np.sum(a * a) + np.sum(b ** 3) + np.sum(c[0] * c[1])


def clip_arrays(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) ** 2)


def prod_with_zero(x):
    return np.prod(x) + np.sum(x.prod(axis=0))


def one_d_transpose_dot(v, m):
    return v.T.dot(m.dot(v))


def sum_keyword_all(x):
    return np.sum(x, axis=None, keepdims=False) * np.mean(a=x)


def softmax_axis(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.sum((e / e.sum(axis=-1, keepdims=True))[:, 0])


def concat_stack(x, y):
    z = np.concatenate([x, y * 2.0])
    w = np.stack((x, y), axis=1)
    return np.sum(z ** 2) + np.sum(w[:, 0] * w[:, 1])


def mixed_int_float(x):
    n = 3
    return np.sum(x * n + n) / n


def chained_assignment(x):
    a = b = x * 2.0
    return np.sum(a * b)


def nested_unpacking(x):
    a, (b, c) = x[0], (x[1], x[2])
    return a * b * c
