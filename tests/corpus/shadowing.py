"""Functions in a module whose globals are named like the builtins generated code calls
(``zip``, ``len``, ``min``, ``range``, ``tuple``, ``reversed``): the generated code must still
reach the builtins, and the user's code its own."""

import numpy as np


def zip(*sequences):  # noqa: A001  (the point of this module)
    raise AssertionError("generated code called the module's zip")


def reversed(sequence):  # noqa: A001
    raise AssertionError("generated code called the module's reversed")


def range(*bounds):  # noqa: A001
    raise AssertionError("generated code called the module's range")


len = 3.0  # noqa: A001  (data: read at call time)


def min(a, b):  # noqa: A001  (the user's own, called by the user's code)
    return a * 0.0 + b


def items_loop(params):
    total = 0.0
    for key, w in params.items():
        total = total + np.sum(w ** 2)
    return total


def loop_and_own_globals(x):
    total = 0.0
    for w in [x, x * 2.0]:
        total = total + np.sum(np.sin(w)) * len
    return min(total, total * x[0])


def transposed_pairs(x):
    pairs = [(x[0], x[1]), (x[1] * 2.0, x[2])]
    total = 0.0
    for first, second in pairs:
        total = total + first * second
    return total


def parameters_named_like_builtins(x, tuple=2.0, zip=0.5):
    total = 0.0
    for w in [x, x * zip]:
        total = total + np.sum(w) * tuple
    return total
