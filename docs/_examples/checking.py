import numpy as np

import srcgrad
from srcgrad.check import GradientMismatchError


def loss(w, x, y):
    return np.mean((np.tanh(x @ w) - y) ** 2)


rng = np.random.default_rng(0)
w, x, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
srcgrad.check_grads(loss, w, x, y)                  # wrt the first parameter
srcgrad.check_grads(loss, w, x, y, wrt=(0, 1))      # several at once
print("loss: gradients agree")


# A rule with a mistake: the derivative of sin is cos, not -cos.
def wavy(x):
    return np.sin(x)


srcgrad.defvjp(wavy, "x", x="-g * np.cos(x)")


def total(x):
    return np.sum(wavy(x))


try:
    srcgrad.check_grads(total, np.array([0.1, 0.2]))
except GradientMismatchError as error:
    print("total:", error)
