"""Rules for scipy.special: central differences, autograd where it has the function, float32,
and the functions called as users write them."""

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")
asp = pytest.importorskip("autograd.scipy.special")

import srcgrad

from .harness import check_autograd, check_float32, check_rule


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def positive(*shape, seed=0):
    return 0.5 + np.abs(rand(*shape, seed=seed))


def unit(*shape, seed=0):  # inside (0, 1)
    return 0.1 + 0.8 / (1.0 + np.exp(-rand(*shape, seed=seed)))


UNARY = [  # (function, autograd's or None, argument maker)
    (special.expit, asp.expit, rand), (special.logit, asp.logit, unit),
    (special.log_expit, None, rand), (special.gammaln, asp.gammaln, positive),
    (special.digamma, asp.digamma, positive), (special.erf, asp.erf, rand),
    (special.erfc, asp.erfc, rand), (special.erfinv, asp.erfinv, lambda *s: 0.9 * unit(*s)),
    (special.ndtr, None, rand), (special.log_ndtr, None, rand), (special.entr, None, positive),
    (special.i0, asp.i0, rand), (special.i1, asp.i1, rand), (special.i0e, None, rand),
    (special.i1e, None, rand),
]


@pytest.mark.parametrize("function, autograd_function, make", UNARY,
                         ids=[f.__name__ for f, _, _ in UNARY])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_unary(function, autograd_function, make, shape):
    x = make(*shape)
    if not shape:
        x = float(x)
    check_rule(function, x)
    if autograd_function is not None and shape:
        check_autograd(function, autograd_function, x, rtol=1e-6)


@pytest.mark.parametrize("function", [special.expit, special.log_expit, special.erf,
                                      special.ndtr, special.log_ndtr, special.gammaln])
def test_unary_float32(function):
    x = rand(3, 2).astype(np.float32) + (2.0 if function is special.gammaln else 0.0)
    if function(x).dtype == np.float32:
        check_float32(function, x)


def test_edge_values():
    # Far in the tails, where the values underflow or saturate.
    check_rule(special.log_expit, np.array([-40.0, -5.0, 0.0, 5.0, 40.0]))
    check_rule(special.log_ndtr, np.array([-30.0, -8.0, 0.0, 8.0]), rtol=1e-4)
    check_rule(special.i1, np.array([0.0, 1e-3, -2.0]))
    check_rule(special.i1e, np.array([1e-3, -2.0, 30.0]))
    # x log y and x log(1 + y) where x is 0: 0 however y moves.
    grads = check_rule(special.xlogy, np.array([0.0, 1.0]), np.array([0.0, 2.0]), wrt=["y"])
    assert np.isfinite(grads["y"]).all()
    check_rule(special.xlog1py, np.array([0.0, 2.0]), np.array([-1.0, 0.5]), wrt=["y"])


@pytest.mark.parametrize("x_shape, y_shape", [((3,), (3,)), ((2, 3), (3,)), ((), (2, 1))])
def test_binary_broadcasting(x_shape, y_shape):
    x, y = rand(*x_shape), positive(*y_shape, seed=1)
    check_rule(special.xlogy, x, y)
    check_rule(special.xlog1py, x, y)
    check_rule(special.betaln, positive(*x_shape), y)
    if x_shape and y_shape:
        check_autograd(special.betaln, asp.betaln, positive(*x_shape), y)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_polygamma(n):
    x = positive(2, 3)
    check_rule(special.polygamma, n, x, rtol=1e-4)
    check_autograd(special.polygamma, asp.polygamma, n, x)


@pytest.mark.parametrize("function, autograd_function", [(special.iv, asp.iv),
                                                          (special.ive, asp.ive)],
                         ids=["iv", "ive"])
@pytest.mark.parametrize("v", [0.0, 1.0, 2.5, -0.5, 3])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_bessel_of_real_order(function, autograd_function, v, shape):
    # (the order gets no gradient; x > 0, where a non-integer order is real)
    x = positive(*shape) if shape else 1.3
    check_rule(function, v, x)  # the adjoint, and the tangent derived from it
    check_rule(function, v, -x if float(v).is_integer() else 2.0 * x)
    if shape:
        check_autograd(function, autograd_function, v, x, wrt=["x"], rtol=1e-6)


@pytest.mark.parametrize("function", [special.iv, special.ive])
def test_bessel_order_broadcasting(function):
    v, x = np.array([[0.0], [1.5], [2.0]]), positive(4)
    grads = check_rule(function, v, x)  # an order per row: x's adjoint is summed over them
    assert set(grads) == {"x"}
    check_rule(function, 1.5, positive(2, 3))
    check_rule(function, np.array([0.5, 1.0, 4.0]), positive(2, 1), wrt=["x"])
    # near 0, and large (iv itself grows like exp(x): a difference of its sum loses the small
    # entries)
    check_rule(function, 2.0, np.array([1e-3, 0.5, 30.0 if function is special.ive else 6.0]))


@pytest.mark.parametrize("d", [1, 3])
def test_multigammaln(d):
    check_rule(special.multigammaln, 3.0 + positive(2, 2), d)
    check_rule(special.multigammaln, 4.5, d)
    check_autograd(special.multigammaln, asp.multigammaln, 3.0 + positive(3), d)


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": 1}, {"axis": -1, "keepdims": True},
                                    {"axis": (0, 1)}])
def test_logsumexp(kwargs):
    a = rand(3, 4)
    check_rule(special.logsumexp, a, **kwargs)
    check_rule(special.logsumexp, a, static="dynamic", **kwargs)
    check_rule(special.logsumexp, a, b=positive(4, seed=1), **kwargs)
    check_autograd(special.logsumexp, asp.logsumexp, a, **kwargs)
    check_float32(special.logsumexp, a.astype(np.float32), **kwargs)


def test_logsumexp_with_signed_weights():
    a, b = rand(2, 3), np.array([1.0, -0.5, 2.0])
    check_rule(special.logsumexp, a, b=b, axis=1)
    # The sign carries no gradient: the adjoint of the log-magnitude only.
    out = special.logsumexp(a, b=b, axis=1, return_sign=True)
    g = [np.ones(2), np.zeros(2)]
    check_rule(special.logsumexp, a, b=b, axis=1, return_sign=True, g=g,
               fn=lambda *args, **kw: list(special.logsumexp(*args, **kw)))
    assert np.all(out[1] != 0)


@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("function", [special.softmax, special.log_softmax])
def test_softmax(function, axis):
    check_rule(function, rand(3, 4), axis=axis)
    check_float32(function, rand(3, 4).astype(np.float32), axis=axis)


# -- as users write them ---------------------------------------------------------------------

import scipy.special as sp
from scipy.special import logsumexp


def log_likelihood(w, x, y):
    logits = x @ w
    log_norm = logsumexp(logits, axis=1, keepdims=True)
    return np.sum(y * (logits - log_norm)) + np.sum(sp.gammaln(1.0 + w * w)) \
        + np.sum(sp.log_expit(logits)) + np.sum(special.xlogy(y, sp.expit(logits)))


def test_end_to_end():
    w, x = rand(3, 2), rand(5, 3, seed=1)
    y = np.eye(2)[[0, 1, 1, 0, 1]]
    srcgrad.check_grads(log_likelihood, w, x, y, wrt="w")


def _gamma_loglik(x):
    return np.sum(special.gammaln(x ** 2 + 1.0) - special.digamma(x ** 2 + 2.0) * x)


def _beta_terms(x):
    return np.sum(special.betaln(x ** 2 + 1.0, 2.0 + x) + special.polygamma(1, x ** 2 + 1.0))


def _scaled_bessel(x):
    return np.sum(special.i1e(x) * x)


def _bessel_terms(x):
    return np.sum(special.i1(x) * x + special.i0e(x ** 2) + special.iv(1.5, x ** 2 + 0.5)
                  - special.ive(2.5, np.abs(x) + 0.1) * x)


def _bessel_orders(x):
    return np.sum(special.ive(np.array([[0.0], [1.0], [-2.0]]), x) * np.sin(x)) \
        + np.sum(special.iv(3, x) ** 2)


@pytest.mark.parametrize("f", [_gamma_loglik, _beta_terms, _scaled_bessel, _bessel_terms,
                               _bessel_orders], ids=lambda f: f.__name__)
def test_second_derivatives_through_the_special_functions_adjoints(f):
    # (their adjoints call scipy_special("digamma", x) ..., whose rule is digamma's)
    from srcgrad import grad, hessian
    x = np.array([0.3, -0.7, 1.1])
    gradient = grad(f)
    step = 1e-5
    columns = [(gradient(x + step * e) - gradient(x - step * e)) / (2 * step) for e in np.eye(3)]
    np.testing.assert_allclose(hessian(f)(x), np.stack(columns, axis=1), rtol=1e-5, atol=1e-6)
