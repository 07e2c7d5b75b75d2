"""Elementwise rules against central differences, autograd, and float32."""

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes


from .harness import check_autograd, check_float32, check_rule, rule_vjp

# How templates see arguments: as the engine, all literals, none (see harness.rule_vjp).
STATIC = ["engine", "literal", "dynamic"]


def real(rng, shape):
    return rng.standard_normal(shape)


def nonzero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def positive(rng, shape):
    return rng.uniform(0.2, 3.0, shape)


def unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


def above_one(rng, shape):
    return rng.uniform(1.1, 3.0, shape)


UNARY = {
    "exp": real, "expm1": real, "exp2": real, "log": positive, "log1p": positive,
    "log2": positive, "log10": positive, "sqrt": positive, "cbrt": nonzero, "square": real,
    "absolute": nonzero, "fabs": nonzero, "negative": real, "positive": real,
    "reciprocal": nonzero, "sin": real, "cos": real, "tan": unit, "arcsin": unit,
    "arccos": unit, "arctan": real, "sinh": real, "cosh": real, "tanh": real, "arcsinh": real,
    "arccosh": above_one, "arctanh": unit, "deg2rad": real, "rad2deg": real, "radians": real,
    "degrees": real,
}

BINARY = {
    "add": (real, real), "subtract": (real, real), "multiply": (real, real),
    "true_divide": (real, nonzero), "power": (positive, real), "float_power": (positive, real),
    "arctan2": (nonzero, nonzero), "hypot": (nonzero, nonzero), "logaddexp": (real, real),
    "logaddexp2": (real, real), "maximum": (real, real), "minimum": (real, real),
    "fmax": (real, real), "fmin": (real, real), "remainder": (positive, above_one),
    "fmod": (positive, above_one),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_unary_matches_finite_differences(name, shape):
    x = UNARY[name](np.random.default_rng(0), shape)
    check_rule(getattr(np, name), x)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_autograd(name):
    x = UNARY[name](np.random.default_rng(1), (2, 3))
    check_autograd(getattr(np, name), getattr(anp, name), x)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_keeps_float32(name):
    x = UNARY[name](np.random.default_rng(2), (3,)).astype(np.float32)
    check_float32(getattr(np, name), x)


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=15, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_binary_broadcasting_matches_finite_differences(name, shapes, seed):
    rng = np.random.default_rng(seed)
    domains = BINARY[name]
    x1, x2 = (np.asarray(d(rng, s)) for d, s in zip(domains, shapes.input_shapes))
    check_rule(getattr(np, name), x1, x2, static="dynamic")


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_autograd(name):
    rng = np.random.default_rng(3)
    d1, d2 = BINARY[name]
    check_autograd(getattr(np, name), getattr(anp, name), d1(rng, (2, 3)), d2(rng, (3,)))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_keeps_float32(name):
    rng = np.random.default_rng(4)
    d1, d2 = BINARY[name]
    if name == "float_power":
        pytest.skip("float_power computes in float64 by definition")
    check_float32(getattr(np, name), d1(rng, (2, 3)).astype(np.float32),
                  d2(rng, (1, 3)).astype(np.float32))


def test_aliases_share_rules():
    assert np.divide is np.true_divide and np.abs is np.absolute and np.mod is np.remainder


# Kinks and ties.

def test_abs_at_zero_is_zero():
    grads = rule_vjp(np.abs, np.array([-1.0, 0.0, 2.0]), g=np.ones(3))
    np.testing.assert_array_equal(grads["x"], [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("op", [np.maximum, np.minimum, np.fmax, np.fmin])
def test_extremum_ties_split_evenly(op):
    x1, x2 = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    grads = rule_vjp(op, x1, x2, g=np.full(3, 2.0))
    total = grads["x1"] + grads["x2"]
    np.testing.assert_array_equal(total, [2.0, 2.0, 2.0])
    assert grads["x1"][0] == grads["x2"][0] == 1.0
    check_autograd(op, getattr(anp, op.__name__), x1, x2, g=np.full(3, 2.0))


def test_fmax_ignores_nan():
    grads = rule_vjp(np.fmax, np.array([np.nan, 1.0]), np.array([2.0, np.nan]), g=np.ones(2))
    np.testing.assert_array_equal(grads["x1"], [0.0, 1.0])
    np.testing.assert_array_equal(grads["x2"], [1.0, 0.0])


# power: literal exponents give specialized templates; all paths must agree.

@pytest.mark.parametrize("exponent", [0, 1, 2, 3, -1, 0.5, 2.5])
@pytest.mark.parametrize("static", STATIC)
def test_power_literal_exponents(exponent, static):
    x = positive(np.random.default_rng(5), (2, 3))
    check_rule(np.power, x, exponent, static=static)
    check_float32(np.power, x.astype(np.float32), exponent, static=static)


@pytest.mark.parametrize("static", STATIC)
def test_power_literal_base(static):
    x = real(np.random.default_rng(6), (4,))
    check_rule(np.power, 2.0, x, static=static)
    check_float32(np.power, 2.0, x.astype(np.float32), static=static)


def test_power_zero_base_has_zero_exponent_gradient():
    grads = rule_vjp(np.power, np.array([0.0, 2.0]), np.array([2.0, 3.0]), g=np.ones(2))
    np.testing.assert_allclose(grads["x2"], [0.0, 8.0 * np.log(2.0)])


def test_power_vs_autograd_with_scalar_exponent():
    x = positive(np.random.default_rng(7), (3,))
    check_autograd(np.power, anp.power, x, np.array(1.5))


# where.

@pytest.mark.parametrize("static", STATIC)
def test_where_broadcasts(static):
    rng = np.random.default_rng(8)
    condition = rng.random((2, 3)) > 0.5
    x, y = rng.standard_normal((3,)), rng.standard_normal((2, 1))
    check_rule(np.where, condition, x, y, static=static)
    # autograd's where does not un-broadcast: compare on equal shapes.
    check_autograd(np.where, anp.where, condition, rng.standard_normal((2, 3)), y * x)
    check_float32(np.where, condition, x.astype(np.float32), y.astype(np.float32))


# clip: bounds may be None, literal numbers or arrays.

CLIP_BOUNDS = [(-0.5, 0.5), (None, 0.3), (-0.3, None), (-0.2, 0.8)]


@pytest.mark.parametrize("lo, hi", CLIP_BOUNDS)
@pytest.mark.parametrize("static", STATIC)
def test_clip_scalar_bounds(lo, hi, static):
    x = real(np.random.default_rng(9), (3, 4))
    check_rule(np.clip, x, lo, hi, static=static)
    check_float32(np.clip, x.astype(np.float32), lo, hi, static=static)
    if lo is not None and hi is not None:
        check_autograd(np.clip, anp.clip, x, lo, hi)


@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.1.0",
                    reason="np.clip takes min= and max= from NumPy 2.1")
@pytest.mark.parametrize("static", STATIC + ["shapes"])
@pytest.mark.parametrize("bounds", [{"min": -0.3}, {"max": 0.4}, {"min": -0.3, "max": 0.4}])
def test_clip_keyword_bounds(bounds, static):
    # NumPy 2.1's np.clip(a, min=..., max=...) and the method's x.clip(min=..., max=...).
    x = np.random.default_rng(3).standard_normal((2, 3))
    arrays = {k: np.full((1, 3), v) for k, v in bounds.items()}
    check_rule(np.clip, x, static=static, **bounds)
    check_rule(np.clip, x, static=static, **arrays)


@pytest.mark.parametrize("static", STATIC)
def test_clip_array_bounds_broadcast(static):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3))
    lo, hi = rng.uniform(-1.0, -0.1, (3,)), rng.uniform(0.1, 1.0, (2, 1))
    check_rule(np.clip, x, lo, hi, static=static)
    check_rule(np.clip, 0.05 * x, lo, hi, static=static)  # mostly inside
    check_rule(np.clip, 9.0 * x, lo, hi, static=static)  # mostly outside
    check_float32(np.clip, x.astype(np.float32), lo.astype(np.float32), hi.astype(np.float32))


def test_clip_ties_go_to_a_and_gradient_is_conserved():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    lo, hi = np.zeros(5), np.ones(5)
    grads = rule_vjp(np.clip, x, lo, hi, g=np.ones(5))
    np.testing.assert_array_equal(grads["a"], [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(grads["a_min"], [1.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grads["a_max"], [0.0, 0.0, 0.0, 0.0, 1.0])


def test_clip_with_crossed_bounds_follows_numpy():
    # np.clip(a, 2, 1) is 1 everywhere: only a_max moves the result.
    x = np.array([0.0, 1.5, 3.0])
    grads = rule_vjp(np.clip, x, np.full(3, 2.0), np.full(3, 1.0), g=np.ones(3))
    np.testing.assert_array_equal(grads["a"], 0.0)
    np.testing.assert_array_equal(grads["a_min"], 0.0)
    np.testing.assert_array_equal(grads["a_max"], 1.0)


def test_tangents_of_rules_with_conditions_and_fusions():
    x = np.array([-1.5, 0.0, 0.7, np.inf])
    check_rule(np.nan_to_num, np.array([-1.5, 0.3, 0.7]))
    check_rule(np.heaviside, x, np.array([0.3, 0.5, 0.2, 0.9]), wrt=["x2"])
    y = np.array([-0.4, 0.9, 1.6])
    for key, fn in (("square", lambda x: x * x), ("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x))),
                    ("unary +", lambda x: +x)):
        check_rule(key, y, fn=fn)
