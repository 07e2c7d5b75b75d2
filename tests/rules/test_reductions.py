"""Reduction rules: every axis form, keepdims, ties, zeros, ddof, float32."""

import autograd.numpy as anp
import numpy as np
import pytest

from srcgrad.rules import lookup

from .harness import (
    check_autograd,
    check_float32,
    check_rule,
    check_tangent_float32,
    check_tangents,
    rule_jvp,
    rule_vjp,
)

REDUCTIONS = ["sum", "nansum", "mean", "prod", "max", "amax", "min", "amin", "var", "std"]
AXES = [None, 0, 1, -1, (0, 2), (-1, 0)]


def data(shape=(2, 3, 4), seed=0):
    # Distinct values away from zero: no ties for max/min, no zeros for prod.
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("static", ["engine", "dynamic", "shapes"])
def test_reduction_matches_finite_differences(name, axis, keepdims, static):
    check_rule(getattr(np, name), data(), axis=axis, keepdims=keepdims, static=static)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_of_vector_and_scalar(name):
    check_rule(getattr(np, name), data((5,)))
    check_rule(getattr(np, name), data((5,)), axis=0)
    check_rule(getattr(np, name), data((5,)), axis=0, static="shapes")
    if name != "std":  # the std of one number is 0, where the rule divides by zero
        check_rule(getattr(np, name), np.array(1.7))


@pytest.mark.parametrize("name", [n for n in REDUCTIONS if n != "nansum"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_reduction_matches_autograd(name, axis):
    check_autograd(getattr(np, name), getattr(anp, name), data(), axis=axis)
    check_autograd(getattr(np, name), getattr(anp, name), data(), axis=axis, keepdims=True)


@pytest.mark.parametrize("name", REDUCTIONS + ["cumsum"])
@pytest.mark.parametrize("axis", [None, 1])
def test_reduction_keeps_float32(name, axis):
    check_float32(getattr(np, name), data().astype(np.float32), axis=axis)
    check_float32(getattr(np, name), data().astype(np.float32), axis=axis, static="dynamic")
    check_float32(getattr(np, name), data().astype(np.float32), axis=axis, static="shapes")


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("axis", [None, 0, (1, 2)])
def test_variance_ddof(name, ddof, axis):
    if axis == 0 and ddof == 2:
        pytest.skip("two numbers with ddof=2 have no variance")
    check_rule(getattr(np, name), data(), axis=axis, ddof=ddof)
    check_autograd(getattr(np, name), getattr(anp, name), data(), axis=axis, ddof=ddof)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("shape", [(6,), (3, 4)])
def test_cumsum(axis, shape):
    if axis is not None and axis >= len(shape):
        pytest.skip("no such axis")
    x = data(shape)
    check_rule(np.cumsum, x, axis=axis)
    check_autograd(np.cumsum, anp.cumsum, x, axis=axis)


def test_cumsum_without_axis_flattens():
    grads = rule_vjp(np.cumsum, np.ones((2, 2)), g=np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(grads["a"], [[10.0, 9.0], [7.0, 4.0]])


# prod with zeros: each element's gradient is the product of the others.

@pytest.mark.parametrize("zeros", [[0], [0, 5], [3, 4, 7]])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_prod_with_zeros(zeros, axis):
    x = data((3, 4))
    x.flat[zeros] = 0.0
    check_rule(np.prod, x, axis=axis)


def test_prod_with_one_zero_is_exact():
    grads = rule_vjp(np.prod, np.array([2.0, 0.0, 3.0]), g=1.0)
    np.testing.assert_array_equal(grads["a"], [0.0, 6.0, 0.0])


def test_prod_of_empty_axis():
    grads = rule_vjp(np.prod, np.ones((3, 0)), axis=1, g=np.ones(3))
    assert grads["a"].shape == (3, 0)


# max and min: ties share the gradient evenly.

@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_extremum_ties_split_evenly(name):
    x = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, -2.0]])
    grads = rule_vjp(getattr(np, name), x, axis=1, g=np.array([6.0, 3.0]))
    expected = {"max": [[0.0, 3.0, 3.0], [1.0, 1.0, 1.0]], "min": [[6.0, 0.0, 0.0], [1.0] * 3]}
    np.testing.assert_array_equal(grads["a"], expected[name.lstrip("a")[:3]])
    check_autograd(getattr(np, name), getattr(anp, name), x, axis=1)
    check_autograd(getattr(np, name), getattr(anp, name), x)


def test_nansum_skips_nans():
    x = np.array([[1.0, np.nan], [2.0, 3.0]])
    grads = rule_vjp(np.nansum, x, axis=0, g=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(grads["a"], [[1.0, 0.0], [1.0, 2.0]])
    check_float32(np.nansum, x.astype(np.float32), axis=0)


# where=, initial=, and the reductions that skip NaNs.
def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


MASK = np.random.default_rng(7).standard_normal((3, 4)) > -0.5


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("fn, extra", [
    (np.sum, {}), (np.sum, {"initial": 2.0}), (np.nansum, {}), (np.mean, {}), (np.prod, {}),
    (np.max, {"initial": -5.0}), (np.min, {"initial": 5.0}), (np.var, {}), (np.std, {}),
    (np.var, {"ddof": 1}), (np.std, {"correction": 1})])
def test_where(fn, extra, axis, keepdims):
    if "correction" in extra and int(np.__version__.split(".")[0]) < 2:
        pytest.skip("std's correction= exists from NumPy 2.0")
    a = data()
    mask = MASK
    if fn in (np.mean, np.var, np.std):  # at least two elements in each slice
        mask = np.ones((3, 4), bool) if axis == 0 else ~np.eye(3, 4, dtype=bool)
    check_rule(fn, a, axis=axis, keepdims=keepdims, where=mask, **extra)
    check_float32(fn, a.astype(np.float32), axis=axis, keepdims=keepdims, where=mask, **extra)


def test_initial_gets_what_no_element_reaches():
    a = rand(3, 4)
    check_rule(np.max, a, axis=1, initial=0.5)
    check_rule(np.min, a, axis=0, initial=-0.2, where=MASK)
    check_rule(np.sum, a, axis=0, initial=1.5)


def with_nans(*shape):
    a = rand(*shape)
    a.flat[::5] = np.nan
    return a


@pytest.mark.parametrize("fn", [np.nansum, np.nanmean, np.nanmax, np.nanmin, np.nanprod,
                                np.nanvar, np.nanstd])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (-1, True), ((0, 1), False)])
def test_nan_reductions(fn, axis, keepdims):
    a = with_nans(3, 4)
    grads = check_rule(fn, a, axis=axis, keepdims=keepdims)
    assert np.all(grads["a"][np.isnan(a)] == 0)
    check_float32(fn, a.astype(np.float32), axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("fn", [np.nancumsum, np.nancumprod])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_nan_cumulative(fn, axis):
    check_rule(fn, with_nans(3, 4), axis=axis)
    check_rule(fn, rand(5), axis=axis)


@pytest.mark.parametrize("axis, w_shape", [(None, None), (None, (3, 4)), (1, (4,)), (0, (3,)),
                                           (-1, (3, 4)), ((0, 1), (3, 4))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_average(axis, w_shape, keepdims):
    a = rand(3, 4)
    weights = None if w_shape is None else np.abs(rand(*w_shape, seed=1)) + 0.5
    check_rule(np.average, a, axis=axis, weights=weights, keepdims=keepdims)
    check_float32(np.average, a.astype(np.float32), axis=axis, keepdims=keepdims,
                  weights=None if weights is None else weights.astype(np.float32))
    if weights is not None and not keepdims and axis is None or axis == 1:
        check_autograd(np.average, anp.average, a, axis=axis, weights=weights)


@pytest.mark.parametrize("q", [0.5, 0.0, 1.0, 0.37, [0.1, 0.9]])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False),
                                            (-1, False)])
@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(q, axis, keepdims, method):
    a = rand(3, 4, 5)
    q = np.asarray(q) if isinstance(q, list) else q
    check_rule(np.quantile, a, q, axis=axis, keepdims=keepdims, method=method, wrt=["a"])
    check_rule(np.percentile, a, q * 100.0, axis=axis, keepdims=keepdims, method=method,
               wrt=["a"])
    check_float32(np.quantile, a.astype(np.float32), np.float32(q), axis=axis,
                  keepdims=keepdims)


@pytest.mark.parametrize("q", [0.37, [0.1, 0.9]])  # (q (n - 1) not an integer: no kink)
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2)])
def test_quantile_wrt_q(q, axis):
    a = rand(3, 4, 5)
    q = np.asarray(q) if isinstance(q, list) else q
    check_rule(np.quantile, a, q, axis=axis, wrt=["q"])
    check_rule(np.percentile, a, q * 100.0, axis=axis, wrt=["q"])


@pytest.mark.parametrize("shape, axis", [((5,), None), ((4,), None), ((3, 4), 0), ((3, 4), -1),
                                         ((2, 3, 4), (0, 2))])
def test_median(shape, axis):
    a = rand(*shape)
    check_rule(np.median, a, axis=axis)
    check_rule(np.median, a, axis=axis, keepdims=True)
    check_float32(np.median, a.astype(np.float32), axis=axis)


def test_quantile_ties_take_one_subgradient():
    grads = rule_vjp(np.median, np.array([1.0, 2.0, 2.0, 3.0, 5.0]), g=1.0)
    np.testing.assert_allclose(grads["a"], [0, 0, 1, 0, 0])  # as a stable sort orders them


# Forward mode: check_rule checks every tangent above; these add dtypes and ties.

@pytest.mark.parametrize("fn, kwargs", [
    (np.sum, {"axis": (0, 2)}), (np.mean, {"axis": -1, "keepdims": True}), (np.prod, {"axis": 1}),
    (np.max, {"axis": None}), (np.min, {"axis": 0, "initial": 5.0}), (np.var, {"ddof": 1}),
    (np.std, {"axis": (-1, 0), "keepdims": True}), (np.cumsum, {"axis": -1}),
    (np.cumprod, {"axis": None}), (np.nansum, {"axis": 1}), (np.nanmean, {}),
    (np.nanvar, {"axis": 0}), (np.nanmax, {"axis": 2}), (np.nancumprod, {"axis": 0}),
    (np.ptp, {"axis": 1}), (np.median, {"axis": 1}), (np.average, {"axis": 0}),
    (np.quantile, {"q": 0.3, "axis": (0, 2)})])
def test_tangents_keep_float32(fn, kwargs):
    check_tangent_float32(fn, data().astype(np.float32), **kwargs)


def test_average_weights_tangent_keeps_float32():
    weights = np.abs(rand(4, seed=1)).astype(np.float32) + 0.5
    check_tangent_float32(np.average, rand(3, 4).astype(np.float32), axis=1, weights=weights)


@pytest.mark.parametrize("fn, kwargs", [
    (np.max, {"axis": 1}), (np.amin, {}), (np.nanmax, {"axis": 0}), (np.ptp, {"axis": 1}),
    (np.max, {"axis": 1, "initial": 3.0}), (np.median, {"axis": 1}), (np.std, {"axis": 1})])
def test_ties_share_the_tangent_as_the_gradient(fn, kwargs):
    # Where no derivative exists (ties, a constant row for std), tangent and adjoint take the
    # same subgradient: <J v, u> = <v, J^T u>.
    a = np.array([[1.0, 3.0, 3.0, 0.5], [-2.0, -2.0, -2.0, -2.0], [0.0, 4.0, 4.0, 4.0]])
    v = rand(*a.shape, seed=1)
    u = rand(*np.shape(fn(a, **kwargs)), seed=2)
    jvp = rule_jvp(fn, a, tangents={"a": v}, **kwargs)
    adjoint = rule_vjp(fn, a, g=u, **kwargs)["a"]
    np.testing.assert_allclose(np.sum(u * jvp), np.sum(adjoint * v))


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_cumprod_tangent_with_zeros(axis):
    a = np.array([[0.5, 0.0, 2.0, 0.0], [1.5, -1.0, 0.0, 3.0], [0.0, 2.0, 1.0, 4.0]])
    jvp = check_tangents(np.cumprod, a, axis=axis)[0]
    assert np.all(np.isfinite(jvp))
    check_tangents(np.nancumprod, np.where(a == 0.0, np.nan, a), axis=axis)


def test_sum_with_initial_is_linear_in_both():
    a = rand(3, 4)
    jvp = rule_jvp(np.sum, a, axis=0, initial=1.5, tangents={"a": np.ones((3, 4)), "initial": 2.0})
    np.testing.assert_allclose(jvp, np.full(4, 5.0))
def nan_slices(shape, seed=0):
    """Distinct values with a NaN in most slices (none of NaNs only)."""
    a = rand(*shape, seed=seed)
    a.reshape(-1)[::3] = np.nan
    return a


@pytest.mark.parametrize("q", [0.5, 0.0, 1.0, 0.37, [0.1, 0.9]])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False),
                                            (-1, False)])
@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_nanquantile(q, axis, keepdims, method):
    a = nan_slices((3, 4, 5))
    q = np.asarray(q) if isinstance(q, list) else q
    grads = check_rule(np.nanquantile, a, q, axis=axis, keepdims=keepdims, method=method,
                       wrt=["a"])
    check_rule(np.nanpercentile, a, q * 100.0, axis=axis, keepdims=keepdims, method=method,
               wrt=["a"])
    assert np.all(grads["a"][np.isnan(a)] == 0.0)


@pytest.mark.parametrize("q", [0.37, [0.1, 0.9]])  # (no kink in q)
@pytest.mark.parametrize("axis", [None, 0, (0, 2)])
def test_nanquantile_wrt_q(q, axis):
    a = nan_slices((3, 4, 5))
    q = np.asarray(q) if isinstance(q, list) else q
    check_rule(np.nanquantile, a, q, axis=axis, wrt=["q"])
    check_rule(np.nanpercentile, a, q * 100.0, axis=axis, wrt=["q"])


@pytest.mark.parametrize("shape, axis", [((5,), None), ((4,), None), ((3, 4), 0), ((3, 4), -1),
                                         ((2, 3, 4), (0, 2))])
def test_nanmedian(shape, axis):
    a = nan_slices(shape)
    check_rule(np.nanmedian, a, axis=axis)
    check_rule(np.nanmedian, a, axis=axis, keepdims=True)
    check_float32(np.nanmedian, a.astype(np.float32), axis=axis)
    without = rand(*shape)  # without NaNs: the median's gradient
    g = np.ones(np.shape(np.median(without, axis=axis)))
    np.testing.assert_array_equal(rule_vjp(np.nanmedian, without, axis=axis, g=g)["a"],
                                  rule_vjp(np.median, without, axis=axis, g=g)["a"])


def test_nanmedian_of_nans_only_is_nan_with_no_gradient():
    a = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with pytest.warns(RuntimeWarning):
        grads = rule_vjp(np.nanmedian, a, axis=1, g=np.ones(2))
    np.testing.assert_array_equal(grads["a"], [[0.0, 0.0], [0.5, 0.5]])


needs_weights = pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.0.0",
                                   reason="quantiles take weights= from NumPy 2.0")


@needs_weights
@pytest.mark.parametrize("name", ["quantile", "percentile", "nanquantile", "nanpercentile"])
@pytest.mark.parametrize("axis, weight_shape", [(None, (3, 4)), (0, (3,)), (1, (3, 4)),
                                                (-1, (4,))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_weighted_quantile_gets_the_element_it_picks(name, axis, weight_shape, keepdims):
    if name.startswith("nan") and len(weight_shape) == 1:
        pytest.skip("NumPy's nanquantile fails on weights along one axis")
    a = rand(3, 4)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, weight_shape)
    q = np.array([0.2, 0.7]) * (100.0 if "percentile" in name else 1.0)
    fn = getattr(np, name)
    for static in ("engine", "dynamic"):
        grads = check_rule(fn, a, q, axis=axis, keepdims=keepdims, weights=weights,
                           method="inverted_cdf", static=static)
        assert not np.any(grads["q"]) and not np.any(grads["weights"])
        picked = np.isin(a, fn(a, q, axis=axis, weights=weights, method="inverted_cdf"))
        assert np.all((grads["a"] != 0) <= picked)


@pytest.mark.parametrize("shape, axis", [((5,), None), ((5,), 0), ((3, 4), 0), ((3, 4), -1),
                                         ((2, 3, 4), 1)])
@pytest.mark.parametrize("include_initial", [False, True])
def test_cumulative_sum_and_prod(shape, axis, include_initial):
    if not hasattr(np, "cumulative_sum"):
        pytest.skip("np.cumulative_sum is new in NumPy 2.1")
    a = data(shape)
    for fn in (np.cumulative_sum, np.cumulative_prod):
        check_rule(fn, a, axis=axis, include_initial=include_initial)
        check_rule(fn, a, axis=axis, include_initial=include_initial, static="dynamic")
        check_float32(fn, a.astype(np.float32), axis=axis, include_initial=include_initial)
    with_zeros = a.copy()
    with_zeros.reshape(-1)[1::3] = 0.0
    check_rule(np.cumulative_prod, with_zeros, axis=axis, include_initial=include_initial)
    assert lookup(np.cumulative_sum).cut({"dtype": int})  # (an integer sum: no gradient)


@pytest.mark.parametrize("kwargs", [{"initial": 2.0}, {"axis": 1, "initial": 3.0},
                                    {"axis": 0, "keepdims": True, "initial": 0.5}])
@pytest.mark.parametrize("primitive", [np.prod, np.nanprod])
def test_prod_with_an_initial_value_scales_every_factors_gradient(primitive, kwargs):
    check_rule(primitive, rand(2, 3) + 0.5, **kwargs)


@pytest.mark.parametrize("primitive, kwargs", [
    (np.nanmean, {}), (np.nanmean, {"axis": 0}), (np.nanvar, {}), (np.nanstd, {"axis": 1}),
    (np.nanmax, {}), (np.nanmin, {"axis": 0}), (np.nanprod, {})])
def test_a_nan_reductions_tangent_leaves_the_nans_tangents_out(primitive, kwargs):
    # the tangent of a NaN left out may be NaN itself (2 * y * t of y = nan): never summed
    a = rand(2, 3) + 2.0
    a[0, 1] = a[1, 2] = np.nan
    t = rand(2, 3)
    t[0, 1] = np.nan
    got = rule_jvp(primitive, a, tangents={"a": t}, **kwargs)
    kept = np.where(np.isnan(a), 0.0, t)
    step = 1e-6
    expected = (primitive(a + step * kept, **kwargs) - primitive(a - step * kept, **kwargs)) \
        / (2 * step)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("primitive", [np.percentile, np.nanpercentile])
@pytest.mark.parametrize("q, axis", [([10, 90], None), ((25.0, 75.0), 1), ([50], 0)])
def test_percentiles_of_a_list_of_q(primitive, q, axis):
    a = rand(2, 5) + np.linspace(0.0, 1.0, 10).reshape(2, 5)  # (no ties)
    check_rule(primitive, a, q, axis=axis, wrt=["a"])


def _cumulative_terms(x):
    return np.sum(np.cumulative_sum(x, axis=0) ** 2) + np.sum(np.cumulative_prod(x, axis=0))


@pytest.mark.skipif(not hasattr(np, "cumulative_sum"), reason="NumPy < 2.1")
def test_cumulative_sum_and_prod_in_code():
    # their array is a positional-only parameter (x, /): the shapes pass passes it so
    from srcgrad import grad
    from srcgrad.check import numerical_grad
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(grad(_cumulative_terms)(x),
                               numerical_grad(_cumulative_terms, [x], 0), rtol=1e-6)
