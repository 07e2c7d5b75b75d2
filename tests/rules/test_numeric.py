"""Numerical routines: interp, trapezoid, polyval, convolve, correlate, gradient, sinc."""

import numpy as np
import pytest

from srcgrad.check import check_grads
from srcgrad.errors import NonDifferentiableError

from .harness import check_autograd, check_float32, check_rule, rule_jvp, rule_vjp


TRAPEZOID = getattr(np, "trapezoid", None) or np.trapz  # (the old name before NumPy 2.0)


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


XP = np.array([-1.0, -0.2, 0.5, 1.3, 2.0])


@pytest.mark.parametrize("x", [np.array([-1.5, -0.7, 0.1, 0.9, 1.7, 2.5]), np.array(0.3),
                               np.array([[0.2, -0.9], [1.9, 3.0]])])
@pytest.mark.parametrize("edges", [{}, {"left": -2.0, "right": 4.0}])
def test_interp(x, edges):
    fp = rand(5, seed=1)
    check_rule(np.interp, x, XP, fp, **edges, wrt=["x", "xp", "fp"] + list(edges))
    check_float32(np.interp, x.astype(np.float32), XP.astype(np.float32),
                  fp.astype(np.float32))


def test_interp_at_knots_takes_the_right_segment():
    fp = np.array([0.0, 1.0, 3.0])
    grads = rule_vjp(np.interp, np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]), fp,
                     g=np.ones(3))
    np.testing.assert_allclose(grads["x"], [1.0, 2.0, 2.0])
    with pytest.raises(NonDifferentiableError, match="period"):
        rule_vjp(np.interp, np.ones(2), XP, XP, period=2.0, g=np.ones(2))


@pytest.mark.parametrize("shape, x_shape, axis", [((5,), None, -1), ((5,), (5,), -1),
                                                  ((3, 4), (4,), -1), ((3, 4), (3,), 0),
                                                  ((3, 4), (3, 4), 1), ((2, 3, 4), (3,), 1)])
def test_trapezoid(shape, x_shape, axis):
    y = rand(*shape)
    if x_shape is None:
        check_rule(TRAPEZOID, y, dx=0.3, axis=axis, wrt=["y", "dx"])
        check_float32(TRAPEZOID, y.astype(np.float32), axis=axis)
    else:
        x = np.cumsum(np.abs(rand(*x_shape, seed=1)), axis=-1 if len(x_shape) == 1 else axis)
        check_rule(TRAPEZOID, y, x, axis=axis)
        check_float32(TRAPEZOID, y.astype(np.float32), x.astype(np.float32), axis=axis)


@pytest.mark.parametrize("p_len, x_shape", [(1, (3,)), (3, (4,)), (4, (2, 3)), (3, ())])
def test_polyval(p_len, x_shape):
    p, x = rand(p_len), rand(*x_shape, seed=1)
    check_rule(np.polyval, p, x)
    check_float32(np.polyval, p.astype(np.float32), x.astype(np.float32))


@pytest.mark.parametrize("n, m", [(5, 3), (3, 5), (4, 4), (6, 1), (1, 1), (2, 5)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_and_correlate(n, m, mode):
    a, v = rand(n), rand(m, seed=1)
    check_rule(np.convolve, a, v, mode=mode)
    check_rule(np.correlate, a, v, mode=mode)
    check_float32(np.convolve, a.astype(np.float32), v.astype(np.float32), mode=mode)
    import autograd.numpy as anp
    if mode != "same":
        check_autograd(np.convolve, anp.convolve, a, v, mode=mode)


@pytest.mark.parametrize("shape, spacing, axis", [((5,), (), None), ((5,), (0.5,), None),
                                                  ((4, 5), (), None), ((4, 5), (2.0,), None),
                                                  ((4, 5), (), 1), ((3, 4, 5), (0.3,), (0, 2)),
                                                  ((3, 4), (), -1), ((4, 5), (0.5, 2.0), None),
                                                  ((3, 4, 5), (0.3, 1.5), (2, 0)),
                                                  ((2, 5), (1.5,), 1), ((2, 3), (), None)])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient(shape, spacing, axis, edge_order):
    if edge_order == 2 and min(shape) < 3:
        pytest.skip("np.gradient needs 3 samples for edge_order=2")
    f = rand(*shape)
    check_rule(np.gradient, f, *spacing, axis=axis, edge_order=edge_order)
    check_rule(np.gradient, f, *spacing, axis=axis, edge_order=edge_order, static="dynamic")


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_coordinates(edge_order):
    f = rand(4, 5)
    x, y = np.cumsum(rand(4, seed=1) + 1.0), np.cumsum(rand(5, seed=2) + 1.0)
    check_rule(np.gradient, f, x, y, edge_order=edge_order, wrt=["f"])
    check_rule(np.gradient, f, 0.5, y, edge_order=edge_order, wrt=["f"])
    check_rule(np.gradient, f, y, axis=1, edge_order=edge_order, wrt=["f"])
    check_rule(np.gradient, rand(6), np.arange(6.0) ** 2 + 1.0, edge_order=edge_order,
               wrt=["f"])


def test_gradient_refuses_the_gradient_of_coordinates():
    f, x = rand(4), np.arange(4.0) ** 2
    with pytest.raises(NonDifferentiableError, match="coordinate"):
        rule_vjp(np.gradient, f, x, g=rand(4), wrt=["varargs"])
    with pytest.raises(NonDifferentiableError, match="coordinate"):
        rule_jvp(np.gradient, f, x, tangents={"varargs": [np.ones(4)]})


def test_gradient_through_the_engine():
    def f(y):
        dy = np.gradient(y, 0.5)
        gx, gy = np.gradient(np.outer(y, y))
        return np.sum(dy ** 2) + dy[1] + np.sum(gx * gy)
    check_grads(f, rand(5))


def test_gradient_with_several_spacings_through_the_engine():
    coords = np.cumsum(rand(5, seed=3) + 1.0)

    def f(y, h):
        gx, gy = np.gradient(np.outer(y, y), h, 2.0 * h, edge_order=2)
        d = np.gradient(y ** 2, coords) * np.gradient(y, h * h, axis=0)
        return np.sum(gx * gy) + np.sum(d ** 2) + np.sum(np.gradient(y) * y)
    check_grads(f, rand(5), 0.7)


def test_sinc():
    x = np.array([-1.5, -0.5, 0.0, 0.25, 1.0, 2.7])
    grads = check_rule(np.sinc, x)
    assert grads["x"][2] == 0.0
    check_float32(np.sinc, x.astype(np.float32))


def test_numeric_rules_through_the_engine():
    def f(x, fp, w):
        y = np.interp(x, XP, fp) + np.polyval(w, x)
        total = TRAPEZOID(y ** 2, x) + np.sum(np.convolve(y, w, mode="same") ** 2)
        total = total + np.sum(np.correlate(y, w)) + np.sum(np.sinc(x) * y)
        total = total + np.quantile(y, 0.3) + np.median(x * w[0]) + np.average(y, weights=x ** 2)
        return total + np.sum(np.pad(y, 2, mode="reflect") ** 3) + np.nanmean(np.kron(y, w))
    check_grads(f, np.array([-0.7, 0.1, 0.6, 1.1, 1.7]), rand(5, seed=1), rand(3, seed=2))


def test_reductions_with_where_through_the_engine():
    mask = np.array([[True, False, True], [True, True, False]])

    def f(x):
        total = np.sum(x, axis=1, where=mask) @ np.ones(2) + np.mean(x, where=mask)
        total = total + np.max(x, axis=0, initial=-10.0, where=mask) @ np.ones(3)
        return total + np.std(x, axis=1, where=mask) @ np.ones(2) + np.nanmax(x)
    check_grads(f, rand(2, 3))
