"""Rules for scipy.stats distributions: central differences in the data and the parameters,
autograd where it has the function, and the methods called as users write them."""

import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")
ast = pytest.importorskip("autograd.scipy.stats")

import scipy.stats as st
from scipy.stats import norm

import srcgrad

from .harness import check_autograd, check_rule


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def positive(*shape, seed=0):
    return 0.5 + np.abs(rand(*shape, seed=seed))


SHAPES = [((4,), (), ()), ((2, 3), (3,), (2, 1)), ((3,), (2, 3), ())]


@pytest.mark.parametrize("method", ["logpdf", "pdf", "cdf", "logcdf"])
@pytest.mark.parametrize("x_shape, loc_shape, scale_shape", SHAPES)
def test_norm(method, x_shape, loc_shape, scale_shape):
    function = getattr(stats.norm, method)
    x, loc, scale = rand(*x_shape), rand(*loc_shape, seed=1), positive(*scale_shape, seed=2)
    check_rule(function, x, loc, scale)
    check_rule(function, x, loc=loc, scale=scale)
    check_rule(function, x, wrt=["x"])
    check_autograd(function, getattr(ast.norm, method), x, loc, scale)


def test_norm_tails():
    check_rule(stats.norm.logcdf, np.array([-20.0, -3.0, 0.0, 4.0]), wrt=["x"], rtol=1e-4)


@pytest.mark.parametrize("x_shape, loc_shape, scale_shape", SHAPES)
def test_t(x_shape, loc_shape, scale_shape):
    x, loc, scale = rand(*x_shape), rand(*loc_shape, seed=1), positive(*scale_shape, seed=2)
    df = 1.0 + positive(*loc_shape, seed=3)
    check_rule(stats.t.logpdf, x, df, loc, scale)
    check_autograd(stats.t.logpdf, ast.t.logpdf, x, df, loc, scale)


@pytest.mark.parametrize("x_shape, a_shape", [((4,), ()), ((2, 3), (3,))])
def test_gamma_and_beta(x_shape, a_shape):
    x, a, b = positive(*x_shape), 1.0 + positive(*a_shape, seed=1), 1.0 + positive(*a_shape)
    check_rule(stats.gamma.logpdf, x, a, wrt=["x", "a"])
    check_rule(stats.gamma.logpdf, x + 1.0, a, 0.5, 1.5)
    check_autograd(stats.gamma.logpdf, ast.gamma.logpdf, x, a)
    y = 0.1 + 0.8 / (1.0 + np.exp(-rand(*x_shape)))
    check_rule(stats.beta.logpdf, y, a, b, wrt=["x", "a", "b"])
    check_rule(stats.beta.logpdf, y * 2.0 - 1.0, a, b, -1.0, 2.0)
    check_autograd(stats.beta.logpdf, ast.beta.logpdf, y, a, b)


def test_poisson():
    k = np.array([0, 1, 4, 2])
    check_rule(stats.poisson.logpmf, k, positive(4))
    check_rule(stats.poisson.logpmf, k, 2.5)
    check_autograd(stats.poisson.logpmf, ast.poisson.logpmf, k, positive(4))


def spd(n, seed=0):
    m = rand(n, n, seed=seed)
    return m @ m.T + n * np.eye(n)


@pytest.mark.parametrize("x_shape", [(3,), (5, 3), (2, 4, 3)])
@pytest.mark.parametrize("method", ["logpdf", "pdf"])
def test_multivariate_normal(x_shape, method):
    function = getattr(stats.multivariate_normal, method)
    x, mean, cov = rand(*x_shape), rand(3, seed=1), spd(3)
    check_rule(function, x, mean, cov, wrt=["x", "mean"])
    check_rule(function, x, mean, np.diag(cov), wrt=["cov"])
    check_rule(function, x, mean, 2.0, wrt=["cov"])
    if len(x_shape) <= 2:  # autograd's takes one point or a list of them
        check_autograd(function, getattr(ast.multivariate_normal, method), x, mean, cov)
    # A matrix's adjoint is symmetric: along a symmetric direction, central differences.
    from srcgrad.check import numerical_grad

    from .harness import rule_vjp
    g = rand(*x_shape[:-1], seed=4) if len(x_shape) > 1 else 1.0
    direction = spd(3, seed=5)
    got = rule_vjp(function, x, mean, cov, g=g, wrt=["cov"])["cov"]
    along = numerical_grad(lambda t: np.sum(g * function(x, mean, cov + t * direction)), [0.0], 0)
    np.testing.assert_allclose(np.sum(got * direction), along, rtol=1e-5)


def test_multivariate_normal_in_one_dimension():
    check_rule(stats.multivariate_normal.logpdf, rand(4), 0.5, 2.0)


@pytest.mark.parametrize("x_shape", [(3,), (3, 4), (2,), (2, 4)])
def test_dirichlet(x_shape):
    alpha = 1.0 + positive(3)
    raw = np.exp(rand(3, *x_shape[1:]))
    x = (raw / raw.sum(axis=0))[:x_shape[0]]
    wrt = ["alpha"] if x_shape[0] == 3 else ["x", "alpha"]  # x on the simplex: alpha only
    check_rule(stats.dirichlet.logpdf, x, alpha, wrt=wrt)
    if x_shape == (3,):
        check_autograd(stats.dirichlet.logpdf, ast.dirichlet.logpdf, x, alpha)


# -- as users write them ---------------------------------------------------------------------

def negative_log_posterior(mu, log_sigma, data):
    sigma = np.exp(log_sigma)
    prior = st.norm.logpdf(mu, 0.0, 10.0) + st.gamma.logpdf(sigma, 2.0)
    return -(np.sum(st.norm.logpdf(data, mu, sigma)) + np.sum(st.t.logpdf(data, 4.0, mu))
             + np.sum(prior))


def test_end_to_end():
    data = rand(6)
    srcgrad.check_grads(negative_log_posterior, 0.3, -0.2, data, wrt=["mu", "log_sigma"])
    srcgrad.check_grads(negative_log_posterior, np.array([0.3]), np.array([-0.2]), data,
                        wrt=["mu", "log_sigma"])


def test_multivariate_normal_tangent_along_a_symmetric_cov_direction():
    from .harness import rule_jvp
    rng = np.random.default_rng(0)
    x, mean = rng.standard_normal((4, 2)), rng.standard_normal(2)
    cov, direction = np.array([[2.0, 0.3], [0.3, 1.0]]), np.array([[0.5, 0.2], [0.2, -0.4]])

    def logpdf(c):
        return st.multivariate_normal.logpdf(x, mean, c)

    expected = (logpdf(cov + 1e-6 * direction) - logpdf(cov - 1e-6 * direction)) / 2e-6
    got = rule_jvp(st.multivariate_normal.logpdf, x, mean, cov, tangents={"cov": direction})
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def frozen_log_likelihood(x, mu, s, df):
    total = np.sum(norm(mu, s).logpdf(x)) + np.sum(st.t(df, loc=mu).logpdf(x))
    total = total + np.sum(st.norm(scale=s).cdf(x)) + np.sum(st.norm(mu).logcdf(x) * st.norm(
        loc=mu, scale=s).pdf(x)) + np.sum(st.gamma(2.0 + s).logpdf(x + 3.0))
    total = total + st.multivariate_normal(x, np.eye(3)).logpdf(x * 0.5)
    return total + np.sum(st.beta(2.0, df).logpdf(x * 0.1 + 0.5)) + st.dirichlet(
        np.array([1.5, 2.0, 3.0]) + s).logpdf(np.array([0.2, 0.3, 0.5]))


def test_frozen_distributions_mean_the_functions():
    srcgrad.check_grads(frozen_log_likelihood, np.array([0.1, -0.4, 1.2]), 0.3, 1.4, 4.0)


def frozen_then_used(x, mu):
    d = st.norm(mu, 1.0)
    return np.sum(d.logpdf(x))


def test_a_frozen_distribution_kept_in_a_variable_is_refused():
    with pytest.raises(srcgrad.errors.SrcgradError, match="logpdf"):
        srcgrad.grad(frozen_then_used)(np.array([0.1, 0.2]), 0.3)
