"""The function "Getting started" reads the gradient of."""

import numpy as np


def predict(w, b, x):
    y = np.tanh(w * x + b)
    return np.sum(y * y)
