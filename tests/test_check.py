"""srcgrad.check: central differences and check_grads, which must catch wrong gradients."""

import re

import numpy as np
import pytest
from corpus import api, custom, straight

import srcgrad
from srcgrad.check import GradientMismatchError, numerical_grad


@pytest.fixture
def x():
    return np.array([0.5, -1.5, 2.0])


# -- numerical_grad ------------------------------------------------------------------------------

def test_numerical_grad_of_a_cubic(x):
    np.testing.assert_allclose(numerical_grad(custom.sum_cube, [x, np.ones(3)], 0),
                               3 * x ** 2, rtol=1e-8)


def test_numerical_grad_selects_the_argument(x):
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(numerical_grad(custom.sum_cube, [x, w], 1), x ** 3, rtol=1e-8)


def test_numerical_grad_of_a_float_is_a_float():
    got = numerical_grad(api.scalar_of_floats, [1.5, -0.5], 1)
    assert type(got) is float
    assert got == pytest.approx(1.5 ** 2 + np.exp(-0.5), rel=1e-8)


def test_numerical_grad_is_float64_for_float32_input(x):
    got = numerical_grad(custom.sum_cube, [x.astype(np.float32), np.ones(3)], 0)
    assert got.dtype == np.float64


def test_numerical_grad_with_seed_for_non_scalar_output(x):
    seed = np.array([1.0, -2.0, 0.5])
    got = numerical_grad(custom.cube, [x], 0, seed=seed)
    np.testing.assert_allclose(got, seed * 3 * x ** 2, rtol=1e-8)


def test_numerical_grad_passes_keyword_arguments(x):
    got = numerical_grad(api.keyword_only, [x], 0, kwargs={"power": 4})
    np.testing.assert_allclose(got, 4 * x ** 3, rtol=1e-7)


def test_numerical_grad_leaves_the_argument_unchanged(x):
    before = x.copy()
    numerical_grad(custom.sum_cube, [x, np.ones(3)], 0)
    np.testing.assert_array_equal(x, before)


# -- check_grads ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, args, wrt", [
    (custom.sum_cube, (np.array([0.5, -1.5, 2.0]), np.array([1.0, 2.0, 3.0])), (0, 1)),
    (api.weighted, (np.ones(2), np.full(2, 0.3), np.zeros(2)), ("w", "b")),
    (api.scalar_of_floats, (1.5, -0.5), 1),
    (straight.matmul_chain, (np.eye(2), np.ones((2, 3)), np.arange(3.0)), 1),
])
def test_check_grads_accepts_right_gradients(fn, args, wrt):
    srcgrad.check_grads(fn, *args, wrt=wrt)


def test_check_grads_catches_a_wrong_rule(x):
    with pytest.raises(GradientMismatchError) as info:
        srcgrad.check_grads(custom.sum_cube_wrong, x, np.ones(3))
    assert isinstance(info.value, srcgrad.SrcgradError)
    message = str(info.value)
    assert "argument 0" in message and "finite differences" in message


def test_check_grads_reports_the_worst_entry():
    x = np.array([0.1, 3.0, -0.2])  # error 3x^2 - 2x is largest at index 1
    with pytest.raises(GradientMismatchError) as info:
        srcgrad.check_grads(custom.sum_cube_wrong, x, np.ones(3))
    message = str(info.value)
    assert re.search(r"at index \(1,\) srcgrad gives 6(\.0*)?, finite differences "
                     r"(27(\.0*)?|26\.9+\d*)\b", message), message
    assert "np." not in message


def test_check_grads_checks_every_wrt_entry(x):
    # the gradient of w is right, that of x wrong: listing x second must still fail
    with pytest.raises(GradientMismatchError, match="argument 0"):
        srcgrad.check_grads(custom.sum_cube_wrong, x, np.ones(3), wrt=("w", "x"))


def test_check_grads_tolerance(x):
    with pytest.raises(GradientMismatchError):
        srcgrad.check_grads(custom.sum_cube_slightly_off, x, np.ones(3))
    srcgrad.check_grads(custom.sum_cube_slightly_off, x, np.ones(3), rtol=1e-2)


def test_check_grads_with_seed_checks_the_vjp(x):
    seed = np.array([1.0, -1.0, 2.0])
    with pytest.raises(GradientMismatchError):
        srcgrad.check_grads(custom.cube_vector, x, seed=seed)
    srcgrad.check_grads(custom.cube, x, seed=seed)


def test_check_grads_with_keyword_arguments(x):
    srcgrad.check_grads(api.keyword_only, x, power=4)


def scales_its_weights_in_place(x, w):
    w *= 2.0
    return np.sum(x * w)


def test_check_grads_gives_each_evaluation_its_own_arguments(x):
    w = np.array([1.0, 2.0, 3.0])
    srcgrad.check_grads(scales_its_weights_in_place, x, w)  # would drift: w doubled per call
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])


def test_check_grads_takes_wrt_as_a_list(x):
    srcgrad.check_grads(custom.sum_cube, x, np.ones(3), wrt=[0, "w"])
    with pytest.raises(GradientMismatchError, match="argument 0"):
        srcgrad.check_grads(custom.sum_cube_wrong, x, np.ones(3), wrt=["w", 0])
