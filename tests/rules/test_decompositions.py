"""Matrix decompositions and the linear algebra built on them: cholesky, eigh, eigvalsh, svd,
qr, pinv, lstsq, matrix_power, multi_dot; det, inv and solve on stacks."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from srcgrad import grad
from srcgrad.check import check_grads, numerical_grad
from srcgrad.errors import NonDifferentiableError

from .harness import (
    check_autograd,
    check_float32,
    check_rule,
    check_tangent_float32,
    check_tangents,
    rule_jvp,
    rule_vjp,
)

NUMPY2 = int(np.__version__.split(".")[0]) >= 2


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def spd(*shape, seed=0):
    """Symmetric positive definite matrices (a stack of them)."""
    b = rand(*shape, seed=seed)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric(*shape, seed=0):
    b = rand(*shape, seed=seed)
    return b + np.swapaxes(b, -1, -2)


def parts(g, *keep):
    """A decomposition's cotangent with only the parts ``keep`` (others None)."""
    return [part if i in keep else None for i, part in enumerate(g)]


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    if upper and not NUMPY2:
        pytest.skip("cholesky's upper= exists from NumPy 2.0")
    a = spd(*shape)
    options = {"upper": True} if upper else {}
    check_rule(np.linalg.cholesky, a, **options)
    check_float32(np.linalg.cholesky, a.astype(np.float32), **options)


def test_cholesky_agrees_with_autograd_on_symmetric_matrices():
    b = rand(3, 3)
    def f(b):
        return np.sum(np.sin(np.linalg.cholesky(b @ b.T + 3.0 * np.eye(3))))

    def f_autograd(b):
        return anp.sum(anp.sin(anp.linalg.cholesky(anp.dot(b, b.T) + 3.0 * anp.eye(3))))
    np.testing.assert_allclose(grad(f)(b), autograd.grad(f_autograd)(b), rtol=1e-8)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("keep", [(0,), (1,), (0, 1)])
def test_eigh(shape, uplo, keep):
    a = rand(*shape)  # not symmetric: eigh reads one triangle
    g = parts([rand(*shape[:-1], seed=3), rand(*shape, seed=4)], *keep)
    check_rule(np.linalg.eigh, a, UPLO=uplo, g=g)
    if len(shape) == 2:
        check_autograd(np.linalg.eigh, anp.linalg.eigh, a, UPLO=uplo,
                       g=[np.zeros(shape[:-1]) if p is None else p for p in g])


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4)])
def test_eigvalsh(shape):
    a = symmetric(*shape)
    check_rule(np.linalg.eigvalsh, rand(*shape))
    check_rule(np.linalg.eigvalsh, a, UPLO="U")
    check_float32(np.linalg.eigvalsh, a.astype(np.float32))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3), (3, 4, 2)])
@pytest.mark.parametrize("keep", [(0,), (1,), (2,), (0, 1, 2)])
def test_svd(shape, keep):
    a = rand(*shape)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    g = parts([rand(*u.shape, seed=1), rand(*s.shape, seed=2), rand(*vh.shape, seed=3)], *keep)
    check_rule(np.linalg.svd, a, full_matrices=False, g=g)
    if len(shape) == 2:
        check_autograd(np.linalg.svd, anp.linalg.svd, a, full_matrices=False,
                       g=[np.zeros_like(x) if p is None else p for p, x in zip(g, (u, s, vh))])


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3, 5)])
def test_svd_values_only(shape):
    a = rand(*shape)
    check_rule(np.linalg.svd, a, compute_uv=False)
    if hasattr(np.linalg, "svdvals"):  # NumPy 2.0 and later
        check_rule(np.linalg.svdvals, a)
        check_float32(np.linalg.svdvals, a.astype(np.float32))
    if len(shape) == 2:
        check_autograd(np.linalg.svd, anp.linalg.svd, a, compute_uv=False)


def test_svd_full_matrices():
    square = rand(3, 3)
    check_rule(np.linalg.svd, square, g=[rand(3, 3, seed=1), rand(3, seed=2), rand(3, 3, seed=3)])
    tall = rand(4, 2)
    s = np.linalg.svd(tall)[1]
    g = [np.pad(rand(4, 2, seed=1), ((0, 0), (0, 2))), s, None]
    reduced = rule_vjp(np.linalg.svd, tall, full_matrices=False, g=[g[0][:, :2], s, None])["a"]
    np.testing.assert_allclose(rule_vjp(np.linalg.svd, tall, g=g)["a"], reduced)
    with pytest.raises(NonDifferentiableError, match="full_matrices=False"):
        rule_vjp(np.linalg.svd, tall, g=[rand(4, 4), None, None])


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (2, 3, 5)])
def test_svd_full_matrices_tangents(shape):
    # The extra singular vectors have no tangent (NaN); the others are the reduced ones'.
    a, t = rand(*shape), rand(*shape, seed=1)
    k = min(shape[-2:])
    du, ds, dvh = rule_jvp(np.linalg.svd, a, tangents={"a": t})
    reduced = rule_jvp(np.linalg.svd, a, full_matrices=False, tangents={"a": t})
    np.testing.assert_allclose(du[..., :k], reduced[0])
    np.testing.assert_allclose(ds, reduced[1])
    np.testing.assert_allclose(dvh[..., :k, :], reduced[2])
    assert np.all(np.isnan(du[..., k:])) and np.all(np.isnan(dvh[..., k:, :]))
    assert du.shape[-1] == shape[-2] and dvh.shape[-2] == shape[-1]


def test_svd_through_the_engine():
    def f(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return np.sum(s ** 2) + np.sum(u[:, 0] * vh[0]) + np.linalg.svd(a, compute_uv=False)[1]
    check_grads(f, rand(3, 3))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 4, 3), (2, 2, 3)])
@pytest.mark.parametrize("keep", [(0,), (1,), (0, 1)])
def test_qr(shape, keep):
    a = rand(*shape)
    q, r = np.linalg.qr(a)
    g = parts([rand(*q.shape, seed=1), rand(*r.shape, seed=2)], *keep)
    check_rule(np.linalg.qr, a, g=g)
    if len(shape) == 2 and shape[0] >= shape[1]:
        check_autograd(np.linalg.qr, anp.linalg.qr, a,
                       g=[np.zeros_like(x) if p is None else p for p, x in zip(g, (q, r))])


def test_qr_other_modes_are_refused():
    with pytest.raises(NonDifferentiableError, match="mode='complete'"):
        rule_vjp(np.linalg.qr, rand(3, 2), mode="complete", g=[None, None])


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)])
def test_pinv(shape):
    a = rand(*shape)
    check_rule(np.linalg.pinv, a)
    check_float32(np.linalg.pinv, a.astype(np.float32))
    if len(shape) == 2:
        check_autograd(np.linalg.pinv, anp.linalg.pinv, a)


@pytest.mark.parametrize("a_shape, b_shape", [((4, 2), (4,)), ((4, 2), (4, 3)), ((3, 3), (3,)),
                                              ((2, 4), (2, 2))])
def test_lstsq(a_shape, b_shape):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.linalg.lstsq, a, b)  # every part: the solution, residuals, singular values
    x = np.linalg.lstsq(a, b)[0]
    check_rule(np.linalg.lstsq, a, b, g=[rand(*x.shape, seed=2), None, None, None])

    def f(a, b):
        solution, residuals, _, s = np.linalg.lstsq(a, b)
        return np.sum(solution ** 2) + np.sum(residuals) + s[0]
    check_grads(f, a, b)


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
@pytest.mark.parametrize("n", [0, 1, 2, 3, -1, -2])
def test_matrix_power(shape, n):
    a = rand(*shape) + 2.0 * np.eye(shape[-1])
    check_rule(np.linalg.matrix_power, a, n)
    check_float32(np.linalg.matrix_power, a.astype(np.float32), n)
    if len(shape) == 2 and n >= 0:
        check_autograd(np.linalg.matrix_power, anp.linalg.matrix_power, a, n)


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(3,), (3, 4), (4, 2)],
                                    [(2, 3), (3, 4), (4,)], [(3,), (3, 4), (4, 5), (5,)]])
def test_multi_dot(shapes):
    arrays = [rand(*s, seed=k) for k, s in enumerate(shapes)]
    check_rule(np.linalg.multi_dot, arrays)
    check_float32(np.linalg.multi_dot, [x.astype(np.float32) for x in arrays])


@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 1, 2, 2)])
def test_inverses_on_stacks(shape):
    a = rand(*shape) + 3.0 * np.eye(shape[-1])
    check_rule(np.linalg.det, a)
    check_rule(np.linalg.inv, a)
    check_rule(np.linalg.slogdet, a, g=[None, rand(*shape[:-2], seed=5)])
    check_rule(np.linalg.solve, a, rand(*shape[:-1], 2, seed=1))
    if NUMPY2:  # (before NumPy 2.0, a 1-d b beside a stack of matrices is read otherwise)
        check_rule(np.linalg.solve, a, rand(shape[-1], seed=1))
    check_autograd(np.linalg.det, anp.linalg.det, a)
    check_autograd(np.linalg.inv, anp.linalg.inv, a)


@pytest.mark.parametrize("f, args, kwargs", [
    (np.linalg.cholesky, (spd(2, 3, 3),), {}),
    (np.linalg.eigh, (symmetric(2, 3, 3),), {"UPLO": "U"}),
    (np.linalg.eigvalsh, (symmetric(3, 3),), {}),
    (np.linalg.svd, (rand(2, 4, 3),), {"full_matrices": False}),
    (np.linalg.svd, (rand(3, 4),), {"compute_uv": False}),
    (np.linalg.qr, (rand(2, 3, 4),), {}),
    (np.linalg.pinv, (rand(4, 3),), {}),
    (np.linalg.lstsq, (rand(4, 2), rand(4, 3, seed=1)), {}),
    (np.linalg.matrix_power, (rand(3, 3) + 2.0 * np.eye(3), -2), {}),
    (np.linalg.multi_dot, ([rand(3), rand(3, 4, seed=1), rand(4, 2, seed=2)],), {})])
def test_tangents_keep_float32(f, args, kwargs):
    def as32(a):
        if isinstance(a, list):
            return [as32(x) for x in a]
        return a.astype(np.float32) if isinstance(a, np.ndarray) else a
    check_tangent_float32(f, *[as32(a) for a in args], **kwargs)


def test_tangents_of_decompositions_of_stacks():
    check_tangents(np.linalg.pinv, rand(2, 4, 3))
    check_tangents(np.linalg.eigvalsh, rand(2, 3, 3), UPLO="U")
    check_tangents(np.linalg.matrix_power, rand(2, 3, 3) + 2.0 * np.eye(3), 3)
    check_tangents(np.linalg.slogdet, rand(2, 3, 3) + 3.0 * np.eye(3))


# Second derivatives: qr_grad and matrix_power_grad have no rule and are differentiated through
# their source (loops, no recursion); checked against differences of the gradient. (The shapes
# and powers are arguments, not a closure's variables: hvp's cache does not tell closures apart.)

def _check_second_derivatives(f, x, *args):
    from srcgrad import hessian, hvp, vjp
    gradient, step = grad(f), 1e-5
    expected = np.stack([(gradient(x + step * e, *args) - gradient(x - step * e, *args))
                         / (2 * step) for e in np.eye(x.size)], axis=1)
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(hessian(f)(x, *args), expected, rtol=1e-6, atol=1e-6 * scale)
    v = rand(x.size, seed=9)
    np.testing.assert_allclose(hvp(f)(x, *args, vector=v), expected @ v, rtol=1e-6,
                               atol=1e-6 * scale)
    # reverse over reverse: the gradient's own vjp (the Hessian is symmetric)
    np.testing.assert_allclose(vjp(gradient)(x, *args, seed=v), expected @ v, rtol=1e-6,
                               atol=1e-6 * scale)


def _matrix_power_terms(x, shape, n):
    a = np.reshape(x, shape) + 2.0 * np.eye(shape[-1])
    return np.sum(np.sin(np.linalg.matrix_power(a, n))) + np.sum(x ** 3)


@pytest.mark.parametrize("shape, n", [((3, 3), 3), ((3, 3), 1), ((3, 3), 0), ((3, 3), -2),
                                      ((2, 2, 2), 4), ((2, 3, 3), -1)])
def test_matrix_power_second_derivatives(shape, n):
    _check_second_derivatives(_matrix_power_terms, 0.5 * rand(int(np.prod(shape))), shape, n)


def _qr_terms(x, shape, keep_q, keep_r):
    q, r = np.linalg.qr(np.reshape(x, shape))
    total = np.sum(x ** 3)
    if keep_q:
        total = total + np.sum(np.sin(q))
    if keep_r:
        total = total + np.sum(np.cos(r))
    return total


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2), (2, 2, 3)])
@pytest.mark.parametrize("keep_q, keep_r", [(True, False), (False, True), (True, True)])
def test_qr_second_derivatives(shape, keep_q, keep_r):
    x = rand(int(np.prod(shape)), seed=3)
    _check_second_derivatives(_qr_terms, x, shape, keep_q, keep_r)


def _matrix_power_inverse_terms(x):
    a = np.reshape(x, (3, 3)) + 2.0 * np.eye(3)
    return np.sum(np.sin(np.linalg.matrix_power(a, -2))) + np.sum(x ** 3)


def _wide_qr_terms(x):
    q, r = np.linalg.qr(np.reshape(x, (2, 4)))
    return np.sum(np.sin(q)) + np.sum(np.cos(r))


@pytest.mark.parametrize("f, size", [(_matrix_power_inverse_terms, 9), (_wide_qr_terms, 8)])
def test_reverse_over_forward(f, size):
    # grad of code calling a jvp: matrix_power_tangent and qr_tangent (negative powers, wide
    # matrices) are differentiated through their source, which calls itself nowhere
    from srcgrad import hessian, jvp
    x, v = 0.5 * rand(size, seed=5), rand(size, seed=6)
    forward = jvp(f)

    def along_v(y):
        return forward(y, tangent=v)[1]

    np.testing.assert_allclose(grad(along_v)(x), hessian(f)(x) @ v, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(grad(along_v)(x), numerical_grad(along_v, [x], 0), rtol=1e-6,
                               atol=1e-8)


def test_matrix_power_hessian():
    from srcgrad import hessian

    def f(x):
        return np.sum(np.linalg.matrix_power(np.reshape(x, (3, 3)), 3) ** 2)
    x = rand(9, seed=4)
    _check_second_derivatives(f, x)
    # f is a polynomial of degree 6: its Hessian by differences of f itself, exact to rounding
    step, eye = 1e-4, np.eye(9)
    by_values = np.array([[(f(x + step * (ei + ej)) - f(x + step * (ei - ej))
                            - f(x - step * (ei - ej)) + f(x - step * (ei + ej))) / (4 * step ** 2)
                           for ej in eye] for ei in eye])
    np.testing.assert_allclose(hessian(f)(x), by_values, rtol=1e-5, atol=1e-5)
