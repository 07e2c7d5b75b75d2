"""Casts through the engine: to integers or booleans they cut the gradient, to floats they keep
it (in the argument's dtype); a dtype known only when the code runs is decided then."""

import numpy as np
import pytest

from srcgrad import grad
from srcgrad.check import check_grads, numerical_grad

X = np.array([1.3, -0.7, 2.2, 0.4])  # away from integers: the casts are locally constant


def astype_int(x):
    return np.sum(x.astype(int) * x)


def astype_int32(x):
    return np.sum(x.astype(np.int32) * x ** 2)


def asarray_int64(x):
    return np.sum(np.asarray(x, dtype=np.int64) * x)


def array_int(x):
    return np.sum(np.array(x, dtype=int) * x)


def astype_bool(x):
    return np.sum(x.astype(bool) * x) + np.sum(x.astype("bool") * np.sin(x))


def astype_string_int(x):
    return np.sum(np.asarray(x, dtype="int16") * x)


def only_through_int(x):
    return np.sum(x.astype(int) * 3.0)


CUTS = [astype_int, astype_int32, asarray_int64, array_int, astype_bool, astype_string_int,
        only_through_int]


@pytest.mark.parametrize("f", CUTS, ids=lambda f: f.__name__)
def test_integer_and_boolean_casts_cut_the_gradient(f):
    check_grads(f, X)


def test_integer_cast_generates_no_adjoint_for_it():
    # The cast is a constant: no adjoint code flows into it.
    source = grad(astype_int).source
    assert "cast_grad" not in source and "result_type" not in source
    np.testing.assert_allclose(grad(only_through_int)(X), 0.0)


def cast_to(x, dtype):
    return np.sum(x.astype(dtype) * x) + np.sum(np.asarray(x, dtype=dtype) ** 2)


@pytest.mark.parametrize("dtype", [int, np.int32, bool, float, np.float64, "float32"])
def test_dtype_not_known_before_the_code_runs(dtype):
    got = grad(cast_to)(X, dtype)
    if np.dtype(dtype).kind == "f":  # x cast, times x, plus x cast squared: 4x (to rounding)
        expected = 4.0 * X
    else:
        expected = numerical_grad(lambda x: cast_to(x, dtype), [X], 0)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def float_casts(x):
    return np.sum(x.astype(np.float32) * x) + np.sum(np.asarray(x, dtype=float) ** 3)


def test_float_casts_keep_the_gradient():
    # (central differences cannot see through rounding to float32, nor autograd through
    # astype: the derivative written out is the reference)
    np.testing.assert_allclose(grad(float_casts)(X), 2.0 * X + 3.0 * X ** 2, rtol=1e-6)


def float32_square(x):
    return np.sum(x.astype(np.float32) ** 2)


def test_float32_stays_float32():
    dx = grad(float32_square)(X.astype(np.float32))
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, 2.0 * X, rtol=1e-6)


def nested_array(x):
    return np.sum(np.array([[x, 2.0 * x], [x * x, x]]) ** 2)


def nested_asarray(x):
    return np.sum(np.asarray([[x, 2.0 * x], [x * x, np.sin(x)]]) * 3.0)


@pytest.mark.parametrize("f", [nested_array, nested_asarray], ids=lambda f: f.__name__)
def test_arrays_from_nested_lists(f):
    check_grads(f, 1.5)


def array_ndmin(x):
    return np.sum(np.array(x, ndmin=3) * np.arange(3.0))


def test_array_with_ndmin():
    check_grads(array_ndmin, X[:3])


def scalar_types(x):
    return np.sum(np.int32(x[0]) * x) + np.sum(np.float64(x[1]) * x) + np.sum(int(x[2]) * x)


def other_array_makers(x):
    total = np.sum(np.asanyarray(x, dtype=int) * x) + np.sum(np.ascontiguousarray(x) ** 2)
    return total + np.sum(np.asfortranarray(x, dtype=np.int8) * x)


def astype_spellings(x):
    total = np.sum(x.astype("i8") * x) + np.sum(x.astype(dtype=np.uint8) * x)
    return total + np.sum(x.astype(np.float64, copy=False) ** 2) + np.sum(x.astype(x.dtype) * x)


@pytest.mark.parametrize("f", [scalar_types, other_array_makers, astype_spellings],
                         ids=lambda f: f.__name__)
def test_other_spellings_of_casts(f):
    check_grads(f, X, rtol=1e-6, atol=1e-6)
