"""Code that makes srcgrad raise each of its errors; the "Errors" page shows the real messages.

Each ``raise_<ErrorName>`` function triggers that error when the documentation is built.
"""

import numpy as np

import srcgrad


def with_try(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def through_unwrap(x):
    phase = np.unwrap(x)
    return np.sum(np.abs(phase))


def square_all(x):
    return x * x


def loss(w, x):
    return np.sum((x @ w) ** 2)


def raise_UnsupportedSyntaxError():
    srcgrad.grad(with_try)


def raise_NonDifferentiableError():
    srcgrad.grad(through_unwrap)


def raise_SourceUnavailableError():
    srcgrad.grad(np.sin)


def raise_WrtError():
    srcgrad.grad(loss, wrt="W")


def raise_WrtError_integers():
    srcgrad.grad(loss)(np.arange(3), np.ones((2, 3)))


def raise_NonScalarOutputError():
    srcgrad.grad(square_all)(np.ones(3))


def raise_RuleError():
    srcgrad.defvjp(np.sinc, "x", y="g * x")


def raise_GradientMismatchError():
    srcgrad.defvjp(wrong_sin, "x", x="g * np.sin(x)")  # should be np.cos(x)
    srcgrad.check_grads(uses_wrong_sin, np.array([0.5, 1.0]))


def wrong_sin(x):
    return np.sin(x)


def uses_wrong_sin(x):
    return np.sum(wrong_sin(x))
