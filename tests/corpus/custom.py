"""User primitives with rules registered through the public srcgrad.defvjp: one right, one
deliberately wrong, one slightly off (for testing srcgrad.check_grads)."""

import numpy as np

import srcgrad


def cube(x):
    return x ** 3


def cube_wrong(x):
    return x ** 3


def cube_slightly_off(x):
    return x ** 3


srcgrad.defvjp(cube, "x", x="g * 3.0 * x * x")
srcgrad.defvjp(cube_wrong, "x", x="g * 2.0 * x")
srcgrad.defvjp(cube_slightly_off, "x", x="g * 3.003 * x * x")


def sum_cube(x, w):
    return np.sum(cube(x) * w)


def sum_cube_wrong(x, w):
    return np.sum(cube_wrong(x) * w)


def sum_cube_slightly_off(x, w):
    return np.sum(cube_slightly_off(x) * w)


def cube_vector(x):
    return cube_wrong(x) + x


def row_sums(a):
    return np.sum(a, axis=1)


def _row_sums_grad(shape_a):
    # a template that knows the argument's shape when the gradient is made for it
    if shape_a is srcgrad.rules.registry.DYNAMIC:
        return "np.broadcast_to(g[:, None], np.shape(a))"
    return f"np.broadcast_to(g[:, None], {shape_a!r})"


srcgrad.defvjp(row_sums, "a", shape_of=True, a=_row_sums_grad)


def biased_rows(x, b):
    return np.sum(row_sums(x + b) ** 2)
