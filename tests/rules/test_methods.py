"""Array methods map to functions with rules, and mean the same as the methods."""

import numpy as np
import pytest

from srcgrad import runtime
from srcgrad.rules import lookup, lookup_method

from .harness import check_float32, check_rule, rule_jvp, rule_vjp

X = np.random.default_rng(0).uniform(0.5, 1.5, (2, 3)) * np.array([1.0, -1.0, 1.0])
Y = np.random.default_rng(1).standard_normal((3, 2))

# method name, positional arguments, keyword arguments (as a user would write them).
CALLS = [
    ("sum", (), {}), ("sum", (1,), {}), ("sum", (0, None, None, True), {}),
    ("mean", (-1,), {"keepdims": True}), ("max", (1,), {}), ("min", (), {"axis": 0}),
    ("prod", (0,), {}), ("var", (1, None, None, 1), {}), ("std", (), {"ddof": 1}),
    ("cumsum", (1,), {}), ("cumsum", (), {}), ("reshape", (3, 2), {}),
    ("reshape", ((6,),), {}), ("reshape", (-1,), {}), ("transpose", (), {}),
    ("transpose", (1, 0), {}), ("transpose", ((1, 0),), {}), ("ravel", (), {}),
    ("flatten", (), {}), ("squeeze", (), {}), ("swapaxes", (0, 1), {}),
    ("take", ([2, 0, 2],), {"axis": 1}), ("clip", (-0.9, 0.9), {}), ("clip", (None, 0.7), {}),
    ("dot", (Y,), {}), ("repeat", (2,), {"axis": 0}), ("trace", (), {}),
    ("astype", (np.float64,), {}), ("copy", (), {}),
    ("any", (), {}), ("all", (0,), {}), ("argmax", (1,), {}), ("argmin", (), {}),
    ("argsort", (), {}), ("round", (1,), {}),
]
REQUIRED = {"sum", "mean", "max", "min", "prod", "reshape", "ravel", "flatten", "dot",
            "transpose", "astype", "copy", "clip", "var", "std", "cumsum", "squeeze",
            "swapaxes", "take", "any", "all", "argmax", "argmin"}


def as_function_call(name, args, kwargs):
    """The function and arguments the engine turns ``X.name(*args, **kwargs)`` into."""
    method = lookup_method(name)
    if method.pack_varargs and len(args) > 1:
        args = (tuple(args),)
    return method.function, (X, *args), kwargs


def test_required_methods_are_covered():
    assert REQUIRED <= {name for name, _, _ in CALLS}


@pytest.mark.parametrize("name, args, kwargs", CALLS)
def test_method_means_its_function(name, args, kwargs):
    function, fargs, fkwargs = as_function_call(name, args, kwargs)
    rule = lookup(function)
    assert rule is not None, f"{function} has no rule"
    rule.signature.bind(*fargs, **fkwargs)  # the rule accepts the call
    expected = getattr(X, name)(*args, **kwargs)
    got = function(*fargs, **fkwargs)
    np.testing.assert_array_equal(got, expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype


@pytest.mark.parametrize("name, args, kwargs", [c for c in CALLS if c[0] not in
                                                ("any", "all", "argmax", "argmin", "argsort",
                                                 "round")])
def test_method_gradient(name, args, kwargs):
    function, fargs, fkwargs = as_function_call(name, args, kwargs)
    check_rule(function, *fargs, **fkwargs)
    as32 = [a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in fargs]
    check_float32(function, *as32, **fkwargs)


@pytest.mark.parametrize("name", ["any", "all", "argmax", "argmin", "argsort", "round"])
def test_nondifferentiable_methods(name):
    assert not lookup(lookup_method(name).function).differentiable


# Casts: the gradient is cast back to the argument's dtype.

@pytest.mark.parametrize("cast", [runtime.astype] + ([np.astype] if hasattr(np, "astype")
                                                     else []))
def test_astype_casts_gradient_back(cast):
    x = X.astype(np.float32)
    grads = rule_vjp(cast, x, np.float64, g=np.ones((2, 3)))
    assert grads["x"].dtype == np.float32
    check_rule(cast, x, np.float64)


def test_astype_helper_takes_python_numbers():
    value = runtime.astype(1.5, np.float32)
    assert value == 1.5 and value.dtype == np.float32 and np.ndim(value) == 0
    assert runtime.astype(X, np.float32).dtype == np.float32


@pytest.mark.parametrize("dtype", [None, np.float64])
def test_asarray(dtype):
    x = X.astype(np.float32)
    grads = check_rule(np.asarray, x, dtype=dtype)
    assert grads["a"].dtype == (np.float64 if dtype is None else np.float32)


def test_asarray_of_a_list_gives_one_adjoint_per_element():
    # The engine unpacks a sequence adjoint by iterating over it: rows of g.
    a, b = X[0], X[1]
    g = np.arange(6.0).reshape(2, 3)
    da, db = rule_vjp(np.asarray, [a, b], g=g)["a"]
    np.testing.assert_array_equal(da, g[0])
    np.testing.assert_array_equal(db, g[1])


@pytest.mark.parametrize("cast, kwargs", [
    (np.array, {"ndmin": 3}), (np.array, {"dtype": np.float64}), (np.asanyarray, {}),
    (np.ascontiguousarray, {}), (np.asfortranarray, {}), (np.asarray, {"dtype": "float64"})])
def test_tangents_of_casts(cast, kwargs):
    check_rule(cast, np.array([[0.5, -1.2], [2.0, 0.3]]), **kwargs)


@pytest.mark.parametrize("scalar_type", [np.float64, np.longdouble])
def test_tangents_of_scalar_types(scalar_type):
    check_rule(scalar_type, 0.75)


def test_cast_tangents_keep_the_result_dtype_or_cut():
    t = np.array([1.0, 2.0])
    to_float32 = rule_jvp(np.asarray, np.array([0.5, -1.5]), tangents={"a": t}, dtype=np.float32)
    assert to_float32.dtype == np.float32
    assert rule_jvp(np.float32, 0.5, tangents={"x": 1.0}).dtype == np.float32
    assert lookup(runtime.astype).tangent_for("x", {"dtype": int}) is None


@pytest.mark.parametrize("order", ["C", "F", "A", "K"])
def test_flatten_in_each_order(order):
    # (a Fortran-ordered array is read in its own order for 'A' and 'K')
    for a in (X, np.asfortranarray(Y), Y.T):
        g = np.arange(6.0) - 2.5
        np.testing.assert_allclose(rule_vjp(np.ndarray.flatten, a, order=order, g=g)["a"],
                                   np.ravel(g).reshape(a.shape, order=runtime.memory_order(
                                       a, order)))
        assert np.allclose(np.sum(a.flatten(order) * g),
                           np.sum(rule_vjp(np.ndarray.flatten, a, order=order, g=g)["a"] * a))
