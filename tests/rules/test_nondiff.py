"""Non-differentiable functions: registered as such, and really locally constant."""

import numpy as np
import pytest

from srcgrad.check import numerical_grad
from srcgrad.rules import lookup

REQUIRED = [np.argmax, np.argmin, np.argsort, np.sign, np.floor, np.ceil, np.round, np.around,
            np.isnan, np.isfinite, np.shape, len, np.zeros, np.ones, np.zeros_like, np.ones_like,
            np.eye, np.empty,
            np.random.default_rng, np.random.randn, np.random.rand, np.random.randint,
            np.random.seed, np.random.standard_normal, np.random.random]
# (np.full, full_like, linspace, arange and np.random's samplers with continuous parameters
# have rules for their values: see test_shapes and test_random.)


def _random_callables():
    return [(name, getattr(np.random, name)) for name in dir(np.random)
            if not name.startswith("_") and callable(getattr(np.random, name))
            and name != "test"]


@pytest.mark.parametrize("f", REQUIRED, ids=lambda f: getattr(f, "__name__", str(f)))
def test_registered_as_nondifferentiable(f):
    rule = lookup(f)
    assert rule is not None and not rule.differentiable


@pytest.mark.parametrize("name, f", _random_callables(), ids=lambda x: x if isinstance(x, str)
                         else "")
def test_every_random_function_has_a_rule(name, f):
    # Methods of the global RandomState are new objects on each access: look them up afresh.
    rule = lookup(getattr(np.random, name))
    assert rule is not None, name
    # A constant, or (rules.random) a rule of its own for its continuous parameters.
    assert not rule.differentiable or (rule.name == f"np.random.{name}" and rule.adjoints)


def test_random_functions_are_not_confused_with_numpy_functions():
    # np.random.power (a distribution) must not share np.power's rule.
    assert lookup(np.random.power) is not lookup(np.power)
    assert "a" in lookup(np.random.power).adjoints and "x1" in lookup(np.power).adjoints


PIECEWISE_CONSTANT = [np.sign, np.floor, np.ceil, np.round, np.around, np.trunc, np.rint,
                      np.fix, np.isnan, np.isfinite, np.signbit]


@pytest.mark.parametrize("f", PIECEWISE_CONSTANT, ids=lambda f: f.__name__)
@pytest.mark.filterwarnings("ignore:numpy.fix is deprecated")  # (NumPy 2.5; users may call it)
def test_piecewise_constant_functions_have_zero_derivative(f):
    # Declaring a function non-differentiable claims its derivative is zero (where it exists).
    assert not lookup(f).differentiable
    x = np.random.default_rng(0).uniform(-3.0, 3.0, 8) + 0.25  # away from the jumps
    seed = np.ones(8)
    np.testing.assert_array_equal(numerical_grad(f, [x], 0, seed=seed), 0.0)


@pytest.mark.parametrize("f", [np.maximum, np.abs, np.clip, np.where, np.sort, np.max, np.take,
                               np.remainder, np.fmod, np.linalg.norm])
def test_selections_with_kinks_are_differentiable(f):
    assert lookup(f).differentiable


def test_operators():
    assert lookup("%").differentiable and not lookup("//").differentiable
    assert not lookup("<").differentiable
