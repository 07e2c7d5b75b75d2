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
