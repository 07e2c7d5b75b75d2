"""Rules of diff, append, diagonal, atleast_*d, cumprod and ptp: central differences and
autograd."""

import autograd.numpy as anp
import numpy as np
import pytest

from srcgrad.check import check_grads

from .harness import check_autograd, check_float32, check_rule, rule_vjp


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


@pytest.mark.parametrize("kwargs", [{}, {"n": 2}, {"axis": 0}, {"n": 2, "axis": -2},
                                    {"n": 3, "axis": 1}])
def test_diff(kwargs):
    x = rand(4, 5)
    check_rule(np.diff, x, **kwargs)
    check_autograd(np.diff, anp.diff, x, **kwargs)
    check_float32(np.diff, x.astype(np.float32), **kwargs)


def test_diff_with_edges():
    x = rand(3, 4)
    check_rule(np.diff, x, prepend=0.5, append=rand(3, 2, seed=1), wrt=["a", "append"])
    check_rule(np.diff, x, n=2, axis=0, prepend=rand(1, 4, seed=2), append=-1.0,
               wrt=["a", "prepend"])
    check_rule(np.diff, rand(5), n=2, prepend=1.5, static="literal", wrt=["a"])


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_append(axis):
    a, v = rand(2, 3), rand(2, 3, seed=1)
    check_rule(np.append, a, v, axis=axis)
    check_autograd(np.append, anp.append, a, v, axis=axis)


@pytest.mark.parametrize("kwargs", [{}, {"offset": 1}, {"offset": -2}, {"axis1": 1, "axis2": 0},
                                    {"offset": 1, "axis1": 0, "axis2": 2}])
def test_diagonal(kwargs):
    x = rand(3, 4, 2) if "axis2" in kwargs and kwargs["axis2"] == 2 else rand(4, 3)
    check_rule(np.diagonal, x, **kwargs)  # (autograd has only offset 0 of the last two axes)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_atleast(name, shape):
    x = rand(*shape) if shape else np.float64(0.7)
    check_rule(getattr(np, name), np.asarray(x))
    check_autograd(getattr(np, name), getattr(anp, name), np.asarray(x))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumprod(axis):
    x = rand(3, 4)
    check_rule(np.cumprod, x, axis=axis)
    check_autograd(np.cumprod, anp.cumprod, x, axis=axis)
    check_float32(np.cumprod, x.astype(np.float32), axis=axis)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_cumprod_with_zeros_is_exact(axis):
    x = np.array([[0.5, 0.0, 2.0, 0.0], [1.5, -1.0, 0.0, 3.0], [0.0, 2.0, 1.0, 4.0]])
    grads = check_rule(np.cumprod, x, axis=axis)
    assert np.all(np.isfinite(grads["a"]))


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_ptp(axis, keepdims):
    x = rand(3, 4)
    check_rule(np.ptp, x, axis=axis, keepdims=keepdims)
    check_autograd(np.ptp, anp.ptp, x, axis=axis, keepdims=keepdims)


def test_ptp_ties_and_constant():
    dx = rule_vjp(np.ptp, np.array([1.0, 3.0, 3.0, 1.0]), g=1.0)["a"]
    np.testing.assert_allclose(dx, [-0.5, 0.5, 0.5, -0.5])
    np.testing.assert_array_equal(rule_vjp(np.ptp, np.ones(3), g=1.0)["a"], 0.0)


def model(x, edge):
    steps = np.diff(x, prepend=edge)
    total = np.sum(np.cumprod(1.0 + 0.1 * steps) ** 2) + np.ptp(x)
    total = total + np.sum(np.append(x, edge * 2.0) ** 2) + np.sum(np.diagonal(np.outer(x, x)))
    return total + np.sum(np.atleast_2d(x) ** 3)


def test_through_the_engine():
    check_grads(model, rand(5), 0.3, wrt=(0, 1))


def test_tangents_of_syntax_keys():
    import operator

    x = rand(2, 3)
    check_rule("attr T", x, fn=lambda x: x.T)
    check_rule("attr mT", rand(2, 2, 3), fn=lambda x: np.swapaxes(x, -1, -2))
    check_rule("attr real", x, fn=lambda x: x.real)
    check_rule("getitem", x, (slice(None), [2, 0, 2]), fn=operator.getitem)


def test_tangent_of_list_concatenation_is_the_list_of_the_items_tangents():
    from .harness import rule_jvp

    a, b = [rand(2), 1.5], [rand(3, seed=1), "label"]
    t = [np.ones(2), 0.5]
    got = rule_jvp("list +", a, b, tangents={"x1": t}, fn=operator_add)
    assert got[:2] == t and np.array_equal(got[2], np.zeros(3)) and got[3] is None
    got = rule_jvp("list +", a, b, tangents={"x2": [np.ones(3), None]}, fn=operator_add)
    assert np.array_equal(got[0], np.zeros(2)) and got[1] == 0.0 and got[3] is None


def operator_add(a, b):
    return a + b


def test_tangents_of_index_joins():
    a, b = rand(3), rand(2, seed=1)
    check_rule("np.r_[]", (a, slice(0, 3), b), fn=lambda index: np.r_[tuple(index)])
    check_rule("np.c_[]", (rand(3, 2), a), fn=lambda index: np.c_[tuple(index)])
    check_rule(np.column_stack, [a, rand(3, 2, seed=2)])
