"""Rules at the edges users reach, through the whole engine: heaviside's second argument, std
and var over axes of length 1, einsum's sublist form, np.r_/np.c_, 0 ** 0, a mean of nothing,
norms of lists of values. Each against central differences and autograd where it has them."""

import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from srcgrad import grad
from srcgrad.check import check_grads


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


# heaviside: a step in x (derivative 0, as autograd and JAX), h where x == 0.
def heaviside(x, h):
    return np.sum(np.heaviside(x, h) * np.arange(1.0, 5.0))


def test_heaviside_gradient_in_h_where_x_is_zero():
    x = np.array([0.0, 1.5, -2.0, 0.0])
    h = np.array([0.3, 0.7, 0.1, 0.9])
    dx, dh = grad(heaviside, wrt=("x", "h"))(x, h)
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_allclose(dh, [1.0, 0.0, 0.0, 4.0])
    check_grads(heaviside, x, h, wrt="h")
    check_grads(heaviside, x + 0.5, h, wrt="x")  # away from the step


def heaviside_scalar_h(x, h):
    return np.sum(np.heaviside(x, h) * (x + 1.0))


def test_heaviside_scalar_h_is_summed():
    x = np.array([0.0, 1.5, 0.0])
    assert grad(heaviside_scalar_h, wrt="h")(x, 0.5) == 2.0  # two zeros in x
    check_grads(heaviside_scalar_h, x, 0.5, wrt="h")


# std and var over an axis of length 1 (identically zero): gradient 0, not NaN.
def std_length_one(x):
    return np.sum(np.std(x, axis=1)) + np.sum(np.var(x, axis=-1, keepdims=True))


def std_length_one_autograd(x):
    return anp.sum(anp.std(x, axis=1)) + anp.sum(anp.var(x, axis=-1, keepdims=True))


def test_std_and_var_over_an_axis_of_length_one():
    x = rand(3, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero on the way
        dx = grad(std_length_one)(x)
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_array_equal(dx, autograd.grad(std_length_one_autograd)(x))


def std_of_constant(x):
    return np.std(x * 0.0 + 1.0) + np.sum(np.std(np.stack([x, x]), axis=0))


def test_std_of_equal_elements_is_zero_not_nan():
    np.testing.assert_array_equal(grad(std_of_constant)(rand(4)), 0.0)


def spreads(x):
    total = np.sum(np.std(x, axis=(0, 2), ddof=1)) + np.sum(np.var(x, axis=-2, keepdims=True))
    total = total + np.std(x, ddof=2) + np.sum(np.std(x, axis=-1, keepdims=True) ** 2)
    return total + np.sum(np.var(x, axis=(-1, 0), ddof=1))


def spreads_autograd(x):
    total = anp.sum(anp.std(x, axis=(0, 2), ddof=1)) + anp.sum(anp.var(x, axis=-2, keepdims=True))
    total = total + anp.std(x, ddof=2) + anp.sum(anp.std(x, axis=-1, keepdims=True) ** 2)
    return total + anp.sum(anp.var(x, axis=(-1, 0), ddof=1))


def test_std_and_var_ddof_keepdims_tuple_and_negative_axes():
    x = rand(2, 3, 4)
    check_grads(spreads, x)
    np.testing.assert_allclose(grad(spreads)(x), autograd.grad(spreads_autograd)(x), rtol=1e-10)


# np.einsum in its sublist form.
def einsum_transpose(x):
    return np.sum(np.einsum(x, [0, 1], [1, 0]) * np.arange(6.0).reshape(3, 2))


def einsum_product(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]) ** 2)


def einsum_implicit(a, b, c):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2], c, [2]) ** 2)


def einsum_ellipsis(a, b):
    return np.sum(np.einsum(a, [Ellipsis, 0], b, [0, 1], [Ellipsis, 1]) ** 2)


def test_einsum_sublist_one_operand():
    check_grads(einsum_transpose, rand(2, 3))


def test_einsum_sublist_operands():
    a, b, c = rand(2, 3), rand(3, 4), rand(4)
    check_grads(einsum_product, a, b, wrt=(0, 1))
    check_grads(einsum_product, a, b, wrt=1)
    check_grads(einsum_implicit, a, b, c, wrt=(0, 1, 2))
    check_grads(einsum_ellipsis, rand(2, 2, 3), b, wrt=(0, 1))
    expected = autograd.grad(lambda a, b: anp.sum(anp.einsum("ij,jk->ik", a, b) ** 2), (0, 1))
    for got, want in zip(grad(einsum_product, wrt=(0, 1))(a, b), expected(a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


# np.r_ and np.c_.
def r_join(x, y):
    return np.sum(np.r_[x, 2.0 * y, 0:3, 5.0] ** 2 * np.arange(1.0, 13.0))


def c_join(x, m):
    return np.sum(np.c_[x, m, x * x] ** 3)


def r_directive(m, x):
    return np.sum(np.r_["1,2,0", m, x[:, None]] ** 2 * np.arange(1.0, 13.0).reshape(3, 4))


def r_single(x):
    return np.sum(np.r_[x] ** 2) + np.sum(np.c_[x] * 3.0)


def test_r_and_c_are_differentiated():
    x, y, m = rand(3), rand(5), rand(3, 2)
    check_grads(r_join, x, y, wrt=(0, 1))
    check_grads(c_join, x, m, wrt=(0, 1))
    check_grads(r_directive, rand(3, 3), x, wrt=(0, 1))
    check_grads(r_single, x)
    check_grads(r_scalar, 1.5, y)  # a scalar item


def r_scalar(x, y):
    return np.sum(np.r_[x, y, x * x] ** 2 * np.arange(1.0, 8.0))


# x ** y at 0 ** 0 (Python floats): the value is 1; the gradients 0, as autograd and JAX.
def power(x, y):
    return x ** y


def power_sum(x, y):
    return np.sum(x ** y)


def power_literal(x):
    return x ** 0.5 + x ** 2.0


def test_power_at_zero_to_the_zero():
    assert power(0.0, 0.0) == 1.0
    assert grad(power, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    assert autograd.grad(power, (0, 1))(0.0, 0.0) == (0.0, 0.0)
    got = grad(power_sum, wrt=(0, 1))(np.zeros(3), np.zeros(3))
    for part in got:
        np.testing.assert_array_equal(part, 0.0)
    check_grads(power, 1.3, 0.0, wrt=(0, 1))
    check_grads(power, 1.3, 2.5, wrt=(0, 1))
    with np.errstate(divide="ignore"):  # d/dx sqrt(x) at 0 is infinite, not an exception
        assert grad(power_literal)(0.0) == np.inf


# A mean of no elements is NaN (NumPy), its gradient has no elements: no exception.
def mean_of_nothing(x):
    return np.sum(x) + np.nan_to_num(np.mean(x[:0]))


def mean_over_empty_axis(x):
    return np.sum(np.nan_to_num(np.mean(x[:, :0], axis=1))) + np.sum(x ** 2)


def test_mean_of_an_empty_array():
    x = rand(3)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(grad(mean_of_nothing)(x), 1.0)
        np.testing.assert_allclose(grad(mean_over_empty_axis)(rand(3, 2)), 2.0 * rand(3, 2))


# Norms of lists of differentiated values.
def norm_of_list(x):
    return np.linalg.norm([x, x + 2.0])


def norm_of_named_list(x, y):
    v = [x, y * x, 3.0]
    return np.linalg.norm(v) + np.linalg.norm([x, y], ord=1)


def test_norm_of_a_list_of_values():
    check_grads(norm_of_list, 1.5)
    expected = autograd.grad(lambda x: anp.linalg.norm(anp.array([x, x + 2.0])))(1.5)
    assert grad(norm_of_list)(1.5) == pytest.approx(expected, rel=1e-12)
    check_grads(norm_of_named_list, 1.5, -0.5, wrt=(0, 1))
