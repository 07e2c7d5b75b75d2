"""The rules of np.fft: every transform, with n/s, axis/axes and norm, on real and complex
arrays, against central differences (real and imaginary directions) and autograd."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from tests.rules.harness import check_complex_rule

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((4, 6))
COMPLEX = RNG.standard_normal((4, 6)) + 1j * RNG.standard_normal((4, 6))
NORMS = [None, "ortho", "forward"]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 4, 9])
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("fn", [np.fft.fft, np.fft.ifft])
@pytest.mark.parametrize("x", [REAL, COMPLEX], ids=["real", "complex"])
def test_one_axis_complex_transforms(fn, x, n, axis, norm):
    check_complex_rule(fn, x, n=n, axis=axis, norm=norm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 4, 7, 9])
@pytest.mark.parametrize("axis", [-1, 0])
def test_rfft(n, axis, norm):
    check_complex_rule(np.fft.rfft, REAL, n=n, axis=axis, norm=norm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 4, 7, 10, 12])
@pytest.mark.parametrize("axis", [-1, 0])
def test_irfft_of_a_half_spectrum(n, axis, norm):
    check_complex_rule(np.fft.irfft, COMPLEX, n=n, axis=axis, norm=norm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("kwargs", [{}, {"s": (3, 8), "axes": (0, 1)}, {"axes": (0,)},
                                    {"s": (5,), "axes": (1,)}, {"axes": (1, 0)},
                                    {"s": (6,), "axes": (-1,)}])
@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
@pytest.mark.parametrize("x", [REAL, COMPLEX], ids=["real", "complex"])
def test_n_dimensional_transforms(name, x, kwargs, norm):
    if name == "rfftn" and np.iscomplexobj(x):
        pytest.skip("rfftn takes a real array")
    check_complex_rule(getattr(np.fft, name), x, norm=norm, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"s": (3, 5)}, {"axes": (1, 0)},
                                    {"s": (5, 3), "axes": (0, 2)}])
@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
def test_two_dimensional_transforms_of_a_stack(name, kwargs):
    x = RNG.standard_normal((2, 4, 6)) + 1j * RNG.standard_normal((2, 4, 6))
    check_complex_rule(getattr(np.fft, name), np.real(x) if name == "rfft2" else x, **kwargs)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("axes", [None, 0, (1,)])
def test_shifts_of_complex_arrays(name, axes):
    check_complex_rule(getattr(np.fft, name), COMPLEX, axes=axes)


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "fft2", "ifftn", "rfftn", "irfft"])
def test_against_autograd(name):
    from tests.rules.harness import rule_vjp
    x = COMPLEX if name in ("ifftn", "irfft") else REAL
    ans = getattr(np.fft, name)(x)
    g = RNG.standard_normal(ans.shape) + (1j * RNG.standard_normal(ans.shape)
                                          if np.iscomplexobj(ans) else 0)
    got = rule_vjp(getattr(np.fft, name), x, g=g)["a"]
    # autograd's gradient of the real loss sum(Re(g f(x))) in the same convention
    want = autograd.grad(lambda z: anp.sum(anp.real(g * getattr(anp.fft, name)(z))))(x)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
