"""Dense Hessians of functions whose second derivatives run through many primitives (norms,
determinants, decompositions, reductions, products), against autograd's ``hessian`` and
against central differences of the gradient; third derivatives by ``grad`` thrice."""

import autograd
import numpy as np
import pytest
from corpus.support import with_autograd_numpy

import srcgrad

EPS = 1e-5
S = np.array([[4.0, 0.5, -0.3, 0.2], [0.5, 3.0, 0.1, -0.4], [-0.3, 0.1, 5.0, 0.6],
              [0.2, -0.4, 0.6, 4.5]])


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def quadratic_form(x):
    return x @ S @ x + np.dot(x, x) ** 2


def euclidean_norm(x):
    return np.linalg.norm(x) * np.sum(x)


def frobenius_norm(x):
    return np.linalg.norm(np.outer(x, x) + S, "fro")


def one_norm_times_square(x):
    return np.linalg.norm(x, 1) * np.sum(x ** 2)


def spectral_norm(x):
    return np.linalg.norm(S + np.outer(x, x), 2)


def product(x):
    return np.prod(x) + np.prod(x[:2] ** 2)


def cubes_of_magnitudes(x):
    return np.sum(np.abs(x) ** 3)


def trace_of_product(x):
    return np.trace(np.outer(x, x) @ S) ** 2


def determinant(x):
    return np.linalg.det(S + np.outer(x, x))


def log_determinant(x):
    return np.linalg.slogdet(S + np.diag(x ** 2))[1]


def solve_system(x):
    return np.sum(np.linalg.solve(S + np.diag(x ** 2), x))


def inverse(x):
    return np.sum(np.linalg.inv(S + np.outer(x, x)) ** 2)


def cholesky_factor(x):
    return np.sum(np.linalg.cholesky(S + np.outer(x, x)))


def symmetric_eigenvalues(x):
    return np.sum(np.linalg.eigh(S + np.outer(x, x))[0] ** 3)


def eigenvalues_only(x):
    return np.sum(np.sin(np.linalg.eigvalsh(S + np.outer(x, x))))


def pseudo_inverse(x):
    return np.sum(np.linalg.pinv(S + np.outer(x, x)))


def standard_deviation(x):
    return np.std(x) * np.sum(x) + np.var(x ** 2)


def median_of_cubes(x):
    return np.median(x ** 3) * x[0]


def differences(x):
    return np.sum(np.diff(x) ** 3)


def chained_matrix_product(x):
    return np.sum(np.linalg.multi_dot([S, np.outer(x, x), S]))


def singular_values(x):
    return np.sum(np.linalg.svd(S + np.outer(x, x), compute_uv=False) ** 2)


def log_sum_exp(x):
    m = np.max(x)
    return np.log(np.sum(np.exp(x - m))) + m


def softmax_cross_entropy(x):
    return -np.log(np.exp(x[0]) / np.sum(np.exp(x)))


def sorted_weights(x):
    return np.sum(np.sort(x) * np.arange(4.0) * x)


def clipped(x):
    return np.sum(np.clip(x, -0.5, 0.5) ** 2 * x) + np.sum(np.maximum(x, 0.1) ** 3)


def checked_input(x):
    if x.ndim != 1:
        raise ValueError("x must be a vector")
    with np.errstate(divide="ignore"):
        r = np.log(x ** 2)
    return np.sum(r * x)


def einsum_quadratic(x):
    return np.einsum("i,ij,j->", x, S, x) ** 2 + np.sum(np.einsum("i,j->ij", x, x) ** 2)


def kronecker(x):
    return np.sum(np.kron(x[:2], x) ** 2)


def cumulative_product(x):
    return np.sum(np.cumprod(x)) + np.sum(np.cumprod(np.outer(x, x), axis=1))


def loop_recurrence(x):
    s = 0.0
    for i in range(len(x)):
        s = s + np.sin(x[i]) * s + x[i] ** 2
    return s


def nested_loops(x):
    h = x
    for i in range(2):
        for j in range(3):
            h = np.tanh(h * x[j] + 0.1 * i)
    return np.sum(h)


FUNCTIONS = [rosenbrock, quadratic_form, euclidean_norm, frobenius_norm, one_norm_times_square,
             spectral_norm, product, cubes_of_magnitudes, trace_of_product, determinant,
             log_determinant, solve_system, inverse, cholesky_factor, symmetric_eigenvalues,
             eigenvalues_only, pseudo_inverse, standard_deviation, median_of_cubes, differences,
             chained_matrix_product, singular_values, log_sum_exp, softmax_cross_entropy,
             sorted_weights, clipped, checked_input, einsum_quadratic, kronecker,
             cumulative_product, loop_recurrence, nested_loops]
#: Those autograd differentiates twice as well (its rules for the others have no second
#: derivative, or it cannot trace the code).
AUTOGRAD = {rosenbrock, quadratic_form, euclidean_norm, frobenius_norm, product,
            cubes_of_magnitudes, trace_of_product, determinant, log_determinant, solve_system,
            inverse, cholesky_factor, symmetric_eigenvalues, standard_deviation, differences,
            log_sum_exp, softmax_cross_entropy, einsum_quadratic, loop_recurrence,
            nested_loops}
X = np.array([0.3, -0.7, 1.1, 0.45])


def _differences_of_gradient(f, x):
    gradient = srcgrad.grad(f)
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = EPS
        columns.append((gradient(x + step) - gradient(x - step)) / (2 * EPS))
    return np.stack(columns, axis=-1)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_hessian_matches_differences_of_the_gradient_and_autograd(f):
    got = srcgrad.hessian(f)(X)
    assert got.shape == (4, 4)
    np.testing.assert_allclose(got, _differences_of_gradient(f, X), rtol=1e-5, atol=1e-6)
    if f in AUTOGRAD:
        expected = autograd.hessian(with_autograd_numpy(f))(X)
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("f", [rosenbrock, determinant, product, nested_loops],
                         ids=lambda f: f.__name__)
def test_hvp_is_the_hessian_times_the_vector(f):
    v = np.array([0.2, 0.5, -0.3, 0.9])
    np.testing.assert_allclose(srcgrad.hvp(f)(X, vector=v), srcgrad.hessian(f)(X) @ v,
                               rtol=1e-10, atol=1e-12)


def test_a_helper_differentiated_through_its_source_is_commented_with_its_name():
    source = srcgrad.hvp(product).source
    assert "(in prod_grad)" in source


def polynomial(x):
    return x ** 4 * np.exp(x) + np.log1p(x * x)


def test_third_derivatives_of_scalar_and_vector_functions():
    third = srcgrad.grad(srcgrad.grad(srcgrad.grad(polynomial)))
    expected = autograd.grad(autograd.grad(autograd.grad(with_autograd_numpy(polynomial))))
    for x in (0.3, -1.1, 2.0):
        np.testing.assert_allclose(third(x), expected(x), rtol=1e-9)


rosenbrock_gradient = srcgrad.grad(rosenbrock)


def gradient_norm(x):
    return np.sum(rosenbrock_gradient(x) ** 2) * np.prod(x)


def test_hessian_of_a_function_that_calls_a_gradient():
    got = srcgrad.hessian(gradient_norm)(X)
    expected = autograd.hessian(lambda x: autograd.numpy.sum(autograd.grad(
        with_autograd_numpy(rosenbrock))(x) ** 2) * autograd.numpy.prod(x))(X)
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-8)


def writes_into_its_argument(x):
    x *= 2.0
    x[0] = x[1] * x[2]
    return x


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_function_writing_into_its_argument_keeps_the_callers(mode):
    x = np.array([0.3, -0.7, 1.1])
    jacobian = srcgrad.jacobian(writes_into_its_argument, mode=mode)(x)
    np.testing.assert_array_equal(x, [0.3, -0.7, 1.1])
    np.testing.assert_allclose(jacobian, [[0.0, 4.4, -2.8], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]])
