"""Python's math functions and pow: rules against central differences, and through the engine
(where the generated code keeps calling math)."""

import math

import numpy as np
import pytest

from srcgrad import grad
from srcgrad.check import check_grads
from srcgrad.rules import lookup

from .harness import check_rule

POINTS = {"exp": 0.7, "expm1": 0.7, "log1p": 0.7, "log2": 0.7, "log10": 0.7, "sqrt": 0.7,
          "sin": 0.7, "cos": 0.7, "tan": 0.7, "asin": 0.4, "acos": 0.4, "atan": 0.7,
          "sinh": 0.7, "cosh": 0.7, "tanh": 0.7, "asinh": 0.7, "acosh": 1.7, "atanh": 0.4,
          "fabs": -0.7, "degrees": 0.7, "radians": 0.7, "erf": 0.7, "erfc": 0.7, "cbrt": 0.7,
          "exp2": 0.7}


@pytest.mark.parametrize("name", sorted(n for n in POINTS if hasattr(math, n)))
def test_unary(name):
    check_rule(getattr(math, name), POINTS[name], g=1.3)


def test_binary():
    check_rule(math.log, 0.7, g=1.3, static="literal")  # (math.log(x, None) is an error)
    check_rule(math.log, 0.7, 3.0, g=1.3, wrt=["x", "base"])
    check_rule(math.atan2, 0.7, -0.4, g=1.3, wrt=["y", "x"])
    check_rule(math.fmod, 2.7, 0.8, g=1.3, wrt=["x", "y"])
    for power in (math.pow, pow):
        check_rule(power, 0.7, 2.5, g=1.3, wrt=["x", "y"])


def test_integer_functions_carry_no_gradient():
    for f in (math.floor, math.ceil, math.trunc, math.isnan, math.factorial):
        assert not lookup(f).differentiable


def scalar_model(x, y):
    z = math.exp(-x * x) * math.sin(y) + math.log(1.0 + y * y, 3.0) + pow(x, 3)
    return z + math.sqrt(x * x + 1.0) + math.atan2(y, x) + math.tanh(x) * math.floor(y)


def test_through_the_engine():
    check_grads(scalar_model, 0.7, -1.3, wrt=(0, 1))
    assert "math.exp(" in grad(scalar_model, wrt=(0, 1)).source


def zero_to_the_zero(x, y):
    return pow(x, y) + math.pow(x, y)


def test_pow_at_zero_to_the_zero():
    assert grad(zero_to_the_zero, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)


def test_fsum_tangent():
    check_rule(math.fsum, np.array([0.25, -1.5, 2.0]))
