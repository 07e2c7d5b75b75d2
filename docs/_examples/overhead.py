"""Functions the "Performance" page times when the documentation is built."""

import numpy as np

STEPS = 50


def chain(w, x):
    """100 primitives on tiny arrays: the time is almost all per-operation overhead."""
    for _ in range(STEPS):
        x = np.tanh(x * w)
    return np.sum(x)
