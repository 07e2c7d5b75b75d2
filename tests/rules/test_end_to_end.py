"""Each rule family through the whole engine: @grad against finite differences."""

import numpy as np
import pytest

from srcgrad import grad
from srcgrad.check import check_grads


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def elementwise(x, y):
    z = np.tanh(x) * np.exp(-y) + np.maximum(x, y) + np.clip(x, -0.5, 0.5)
    z = z + np.log1p(y ** 2) + np.arctan2(x, y + 3.0) + np.where(x > 0, x, 0.1 * x)
    return np.sum(z + x ** 2 + 2.0 ** y + np.abs(x) ** 1.5 + np.sqrt(np.hypot(x, y)))


def reductions(x):
    total = np.sum(np.max(x, axis=1)) + np.sum(np.mean(x, axis=(0, 2), keepdims=True))
    total = total + np.std(x, ddof=1) + np.sum(np.prod(x[0], axis=-1))
    return total + np.sum(np.cumsum(x, axis=1) ** 2) + np.var(np.min(x, axis=-1))


def linalg(a, b, c):
    square = a @ b + 3.0 * np.eye(2)
    total = np.trace(a @ b) + np.linalg.norm(a) + np.sum(np.einsum("ij,jk->ik", a, b) ** 2)
    total = total + np.linalg.det(square) + np.sum(np.linalg.inv(square))
    total = total + np.sum(np.linalg.solve(square, c)) + np.dot(c, c)
    return total + np.sum(np.tensordot(a, b, axes=1)) + np.sum(np.outer(c, c) ** 2)


def shapes(x, w):
    joined = np.concatenate([x, 2.0 * x], axis=0)
    stacked = np.stack([x, x ** 2], axis=-1)
    left, right = np.split(x, 2, axis=1)
    total = np.sum(joined ** 2) + np.sum(stacked * w) + np.sum(left * right)
    total = total + np.sum(np.transpose(x) @ x) + np.sum(np.tile(x, 2) ** 3)
    total = total + np.sum(np.take(x, [0, 0, 3], axis=1) ** 2) + np.sum(np.flip(x, 0) * x)
    return total + np.sum(np.reshape(x, (4, 2))[::2] ** 2) + np.sum(np.sort(x, axis=1) * w[..., 0])


def methods(x, w):
    total = x.sum() + (x ** 2).mean(axis=0).sum() + x.max() + x.reshape(4, 2).dot(w).sum()
    total = total + x.clip(-0.3, 0.3).sum() + x.astype(np.float64).std()
    total = total + x.cumsum(axis=1).var() + x.ravel().prod() + x.transpose().swapaxes(0, 1).min()
    return total + x.flatten().take([1, 1]).sum() + x.copy().squeeze().sum()


def nondifferentiable(x):
    np.random.seed(0)
    noise = np.random.normal(size=x.shape)
    rows = np.argmax(x, axis=0)
    total = np.sum(x * np.sign(x)) + np.sum(np.floor(x) * x) + np.sum(x * np.ones_like(x))
    return total + x.shape[0] * np.sum(x * noise) + np.sum(x[rows] ** 2) + len(x) * np.mean(x)


def values_into_arrays(w, mu, sigma):
    np.random.seed(0)
    sample = np.random.normal(mu, sigma, size=(3, 2))  # pathwise: mu + sigma * noise
    grid = np.linspace(w, 2.0 * w, 4)
    return np.sum(np.full((2, 2), w) ** 2) + np.sum(sample ** 2) + np.sum(grid ** 3)


def split_with_unused_piece(x):
    _first, second, _third = np.split(x, 3)
    return np.sum(second ** 2)


@pytest.mark.parametrize("f, args, wrt", [
    (elementwise, (rand(2, 3), rand(3, seed=1)), (0, 1)),
    (reductions, (rand(2, 3, 4),), 0),
    (linalg, (rand(2, 3), rand(3, 2, seed=1), rand(2, seed=2)), (0, 1, 2)),
    (shapes, (rand(2, 4), rand(2, 4, 2, seed=1)), (0, 1)),
    (methods, (rand(2, 4), rand(2, 3, seed=1)), (0, 1)),
    (nondifferentiable, (rand(3, 4),), 0),
    (split_with_unused_piece, (rand(6),), 0),
    (values_into_arrays, (0.7, rand(2), np.array([0.5, 1.5])), (0, 1, 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_family_end_to_end(f, args, wrt):
    check_grads(f, *args, wrt=wrt, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f, args", [
    (elementwise, (rand(2, 3), rand(3, seed=1))), (reductions, (rand(2, 3, 4),)),
    (methods, (rand(2, 4), rand(2, 3, seed=1)))], ids=lambda v: getattr(v, "__name__", ""))
def test_float32_end_to_end(f, args):
    args32 = [a.astype(np.float32) for a in args]
    gradient = grad(f, wrt=0)(*args32)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, grad(f, wrt=0)(*args), rtol=1e-3, atol=1e-3)


def uneven_split(x):
    first, _second, third = np.array_split(x, 3)
    return np.sum(first ** 2) + np.sum(third)


def test_uneven_split_end_to_end():
    check_grads(uneven_split, rand(7), rtol=1e-5, atol=1e-6)


def norm(x):
    return np.linalg.norm(x, ord=1, axis=0).sum() + np.std(x) + np.prod(x)


def test_function_named_like_a_runtime_helper():
    # Its gradient function (norm_grad) must not replace the helper norm_grad it calls.
    check_grads(norm, rand(3, 2) + 2.0)


def clip_spellings(x, hi):
    total = np.sum(x.clip(min=-0.3) ** 2) + np.sum(np.clip(x, max=hi) ** 2)
    return total + np.sum(x.clip(max=0.5, min=-0.2) * 3.0) + np.sum(np.clip(x, -0.1, None) ** 2)


@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.1.0",
                    reason="np.clip takes min= and max= from NumPy 2.1")
def test_clip_keyword_bounds():
    check_grads(clip_spellings, rand(3, 4), 0.25, wrt=(0, 1))
