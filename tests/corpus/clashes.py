"""Functions whose own names are names the generated code likes to use."""

import numpy as np


def adjoint_name_taken(x, dx):
    return np.sum(x * dx + x * x)


def local_named_tape(x):
    tape = x * 2.0
    h = x
    for _ in range(2):
        h = np.sin(h) * tape
    return np.sum(h)


def local_named_helper(x):
    unbroadcast = x * 2.0
    return np.sum(unbroadcast * x)


def underscore_read_later(x, c):
    _ = x * 2.0
    y = np.sin(_)
    z = np.concatenate([y, c])
    return np.sum(z ** 2)


def local_named_seed(x):
    seed = x * 3.0
    return seed * x


def temporaries_taken(x, y_1, dy):
    y = x * y_1
    return np.sum(y * dy + y)


def local_named_used_helper(x, b):
    spread = np.mean(x + b)  # the generated code calls the runtime helper spread
    unbroadcast = np.sum(x * b)
    return spread * unbroadcast


def parameter_named_helper(spread, b):
    return np.mean(spread * b)
