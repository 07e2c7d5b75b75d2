"""Helper functions called by corpus/calls.py: another module, with globals of its own."""

import numpy as np

OFFSET = 0.5


def shifted_square(v):
    return (v + OFFSET) ** 2


def power_sum(v, p=3.0):
    h = v
    for _ in range(2):
        h = h * v
    return np.sum(h) * p


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def two_outputs(x):
    return x * 2.0, np.sin(x)
