"""Name resolution: autograd's NumPy wrapper resolves to NumPy."""

import numpy as np
from corpus import autograd_style
from corpus.support import numeric_grads

import srcgrad
from srcgrad.passes.resolve import numpy_equivalent


def test_autograd_numpy_is_numpy():
    import autograd.numpy as anp
    import autograd.numpy.linalg as alinalg

    assert numpy_equivalent(anp) is np
    assert numpy_equivalent(alinalg) is np.linalg
    assert numpy_equivalent(anp.tanh) is np.tanh
    assert numpy_equivalent(np.tanh) is np.tanh


def test_gradient_of_code_written_for_autograd():
    W = np.random.default_rng(0).normal(size=(3, 2))
    x = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    got = srcgrad.grad(autograd_style.mlp_loss)(W, x)
    np.testing.assert_allclose(got, numeric_grads(autograd_style.mlp_loss, [W, x], 0)[0],
                               rtol=1e-6, atol=1e-8)
    assert "np.tanh(np.dot(x, W))" in srcgrad.grad(autograd_style.mlp_loss).source


def test_autograd_random_is_numpy_random():
    W = np.ones((3, 2))
    np.testing.assert_allclose(srcgrad.grad(autograd_style.with_noise)(W), np.ones((3, 2)))
