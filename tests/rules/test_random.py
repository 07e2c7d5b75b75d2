"""Random samples: pathwise gradients of their parameters, or a refusal; never a silent zero."""

import numpy as np
import pytest

from srcgrad.errors import NonDifferentiableError
from srcgrad.rules import lookup

from .harness import check_rule, rule_vjp


def seeded(name):
    """np.random.<name> drawing the same noise on every call (for finite differences)."""
    def draw(*args, **kwargs):
        np.random.seed(0)
        return getattr(np.random, name)(*args, **kwargs)
    return draw


def positive(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape)


PATHWISE = [
    ("normal", (np.zeros(3), positive(3)), {}),
    ("normal", (positive(2, 1), positive(3)), {"size": (2, 3)}),
    ("normal", (0.5, 2.0), {"size": 4}),
    ("laplace", (np.ones(3), positive(3)), {}), ("logistic", (np.ones(3), positive(3)), {}),
    ("gumbel", (np.ones(3), positive(3)), {}),
    ("uniform", (-positive(3), positive(3)), {}),
    ("uniform", (np.zeros(1), positive(2, 3)), {}),
    ("lognormal", (0.1 * positive(3), positive(3)), {}),
    ("exponential", (positive(3),), {}), ("rayleigh", (positive(2, 3),), {}),
    ("exponential", (positive(3),), {"size": (2, 3)}),
]


@pytest.mark.parametrize("name, args, kwargs", PATHWISE)
def test_pathwise_gradients(name, args, kwargs):
    # (No float32 check: np.random's legacy functions always sample float64.)
    check_rule(getattr(np.random, name), *args, fn=seeded(name), **kwargs)


def test_gamma_scale_is_pathwise():
    check_rule(np.random.gamma, 2.0, positive(3), fn=seeded("gamma"), wrt=["scale"])


def test_multivariate_normal_mean_is_pathwise():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    check_rule(np.random.multivariate_normal, positive(2), cov, size=3,
               fn=seeded("multivariate_normal"), wrt=["mean"])


@pytest.mark.parametrize("name, args, param", [
    ("gamma", (2.0,), "shape"), ("beta", (2.0, 3.0), "a"), ("standard_t", (3.0,), "df"),
    ("multivariate_normal", (np.zeros(2), np.eye(2)), "cov"), ("vonmises", (0.0, 1.0), "mu"),
    ("choice", (np.arange(3.0),), "a"), ("permutation", (np.arange(3.0),), "x"),
    ("shuffle", (np.arange(3.0),), "x")])
def test_parameters_without_pathwise_gradient_refuse(name, args, param):
    with pytest.raises(NonDifferentiableError, match=param):
        rule_vjp(getattr(np.random, name), *args, g=1.0, wrt=[param])
    with pytest.raises(NonDifferentiableError, match=param):  # forward mode too
        lookup(getattr(np.random, name)).tangent_for(param, {})


@pytest.mark.parametrize("name", ["randn", "rand", "randint", "poisson", "binomial", "seed",
                                  "standard_normal", "random", "default_rng"])
def test_draws_without_continuous_parameters_stay_constants(name):
    assert not lookup(getattr(np.random, name)).differentiable
