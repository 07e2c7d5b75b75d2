"""Every rule against autograd at edge inputs: zeros, negative numbers, ties for the selections
(max/min/maximum/sort/abs), zeros in products, length-1 axes, negative bases and 0 ** 0.

Where srcgrad's convention differs from autograd's on purpose, the test says so and checks
srcgrad against central differences instead (see the rule modules' docstrings)."""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest

from .harness import check_autograd, check_rule, rule_vjp

EDGES = np.array([0.0, 1.0, -2.0, 0.5, -0.5])

UNARY = ["exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "square", "absolute",
         "fabs", "negative", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
         "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg"]

BINARY = ["add", "subtract", "multiply", "true_divide", "power", "maximum", "minimum", "fmax",
          "fmin", "arctan2", "hypot", "logaddexp", "logaddexp2", "remainder"]

# Pairs with ties (equal elements), zeros and negative bases.
LEFT = np.array([1.0, 2.0, 0.0, -1.0, -2.0, 0.0, 3.0])
RIGHT = np.array([1.0, 3.0, 0.0, -1.0, 2.0, 1.0, -2.0])


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.mark.parametrize("name", UNARY)
def test_unary_at_edges(name):
    check_autograd(getattr(np, name), getattr(anp, name), EDGES)


@pytest.mark.parametrize("name", BINARY)
def test_binary_at_ties_zeros_and_negative_bases(name):
    check_autograd(getattr(np, name), getattr(anp, name), LEFT, RIGHT)


def test_power_at_zero_to_the_zero_and_negative_bases():
    check_autograd(np.power, anp.power, np.array([0.0, 0.0, -2.0, -1.5]),
                   np.array([0.0, 1.0, 2.0, 3.0]))


TIED = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])

REDUCTIONS = ["max", "min", "amax", "amin", "sum", "mean", "std", "var", "cumsum"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("data", [TIED, TIED[:1], TIED[:, :1]], ids=["ties", "one-row", "one-col"])
def test_reductions_at_ties_and_length_one_axes(name, axis, data):
    if name == "cumsum" and axis is not None and axis < 0:
        axis = data.ndim + axis
    check_autograd(getattr(np, name), getattr(anp, name), data, axis=axis)


def test_sort_with_ties():
    check_autograd(np.sort, anp.sort, np.array([3.0, 1.0, 3.0, 1.0, 0.0]))
    check_autograd(np.sort, anp.sort, TIED, axis=0)


def test_abs_at_zero_is_zero():
    check_autograd(np.abs, anp.abs, np.array([0.0, -0.0, 1.0]))


def test_norm_at_zero_is_nan_as_autograd():
    check_autograd(np.linalg.norm, anp.linalg.norm, np.zeros(3))


# Deliberate differences from autograd.

def test_prod_with_zeros_is_exact_where_autograd_gives_nan():
    x = np.array([[0.0, 2.0, 0.0], [0.0, 1.0, 3.0]])
    dx = rule_vjp(np.prod, x, g=np.ones(2), axis=1)["a"]
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    check_rule(np.prod, x, axis=1)


def test_clip_passes_the_gradient_at_its_bounds():
    # autograd gives 0 at the bounds; srcgrad, as PyTorch, 1 (a_min <= a <= a_max).
    dx = rule_vjp(np.clip, np.array([0.0, 1.0, 0.5, 2.0]), 0.0, 1.0, g=np.ones(4))["a"]
    np.testing.assert_array_equal(dx, [1.0, 1.0, 1.0, 0.0])


def test_max_norm_ties_share_evenly():
    # autograd gives each tie the whole gradient; central differences share it.
    x = np.array([1.0, -1.0, 0.5])
    dx = rule_vjp(np.linalg.norm, x, g=1.0, ord=np.inf)["x"]
    np.testing.assert_allclose(dx, [0.5, -0.5, 0.0])
    check_rule(np.linalg.norm, x, ord=np.inf)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "cumsum", "std", "var"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_reductions_of_empty_arrays(name, axis):
    # Gradients with no elements (and no exception), as autograd's.
    x = np.zeros((0, 3))
    rule, f = getattr(np, name), getattr(anp, name)
    g = np.ones(np.shape(rule(x, axis=axis)))
    dx = rule_vjp(rule, x, g=g if np.ndim(g) else 1.0, axis=axis)["a"]
    assert np.shape(dx) == (0, 3)
    check_autograd(rule, f, x, axis=axis)
