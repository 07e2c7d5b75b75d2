"""Complex values, in JAX's and autograd's convention: for a real output and a complex
argument, the gradient is ``dL/dRe(z) - 1j dL/dIm(z)`` (the conjugate of the steepest-ascent
direction); a real argument's gradient is real. Checked end to end against central differences
(real and imaginary directions) and autograd, and rule by rule with the harness."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from srcgrad import grad
from srcgrad.check import numerical_grad
from srcgrad.errors import NonDifferentiableError, SrcgradError
from tests.rules.harness import check_complex_rule

RNG = np.random.default_rng(7)
Z = RNG.standard_normal(5) + 1j * RNG.standard_normal(5)
X = RNG.standard_normal(5)
PHASE = np.exp(1j * np.linspace(0.0, 1.0, 5))
ROTATION = 2.0 + 1.0j


def numeric(f, x, *args):
    """Central differences of the real ``f`` at ``x``: ``d/dRe - 1j d/dIm`` for a complex x."""
    if not np.iscomplexobj(x):
        return numerical_grad(f, [x, *args], 0)
    re = numerical_grad(lambda r: f(r + 1j * np.imag(x), *args), [np.real(x).copy()], 0)
    im = numerical_grad(lambda i: f(np.real(x) + 1j * i, *args), [np.imag(x).copy()], 0)
    return re - 1j * im


# -- end to end: each function written twice, for NumPy and for autograd's NumPy -----------------

def phase_retrieval(phi, x, y):
    return np.sum((np.abs(np.fft.fft(x * np.exp(1j * phi))) - y) ** 2)


def phase_retrieval_ag(phi, x, y):
    return anp.sum((anp.abs(anp.fft.fft(x * anp.exp(1j * phi))) - y) ** 2)


def spectrum_loss(x, y):
    spectrum = np.fft.rfft(x * 2.0)
    return np.sum(np.abs(spectrum - y) ** 2) + np.sum(np.fft.irfft(spectrum * 1j) ** 2)


def spectrum_loss_ag(x, y):
    spectrum = anp.fft.rfft(x * 2.0)
    return anp.sum(anp.abs(spectrum - y) ** 2) + anp.sum(anp.fft.irfft(spectrum * 1j) ** 2)


def parts(z, x):
    c = z * x + ROTATION
    return np.sum(c.real * c.imag) + np.sum(np.real(np.conj(c) * c)) + np.sum(np.angle(c)) + \
        np.sum(np.imag(np.exp(c) / (c * c + 1.0)))


def parts_ag(z, x):
    c = z * x + ROTATION
    return anp.sum(anp.real(c) * anp.imag(c)) + anp.sum(anp.real(anp.conj(c) * c)) + \
        anp.sum(anp.angle(c)) + anp.sum(anp.imag(anp.exp(c) / (c * c + 1.0)))


def holomorphic(z, x):
    w = np.sin(z) * np.log(z) + np.sqrt(z) ** 3 - np.tanh(z * PHASE) + 1.0 / z
    return np.sum(np.abs(w)) + np.sum(np.conj(w) * z * x).real


def holomorphic_ag(z, x):
    w = anp.sin(z) * anp.log(z) + anp.sqrt(z) ** 3 - anp.tanh(z * PHASE) + 1.0 / z
    return anp.sum(anp.abs(w)) + anp.real(anp.sum(anp.conj(w) * z * x))


def norms(z, x):
    c = z * x
    return np.linalg.norm(c) + np.var(c) + np.std(c * 2.0) + np.sum(np.abs(c) ** 2)


def norms_ag(z, x):
    c = z * x
    return anp.linalg.norm(c) + anp.var(c) + anp.std(c * 2.0) + anp.sum(anp.abs(c) ** 2)


def casts(x, z):
    c = x.astype(complex) * z
    return np.sum(np.abs(np.asarray(c, dtype=np.complex128) * 1j + x)) + np.sum(c.real)


def casts_ag(x, z):
    c = (x + 0j) * z
    return anp.sum(anp.abs(c * 1j + x)) + anp.sum(anp.real(c))


def real_used_twice(x):
    c = x * 1j
    return np.sum(np.exp(c).real) + np.sum(x ** 2)


def real_used_twice_ag(x):
    return anp.sum(anp.real(anp.exp(x * 1j))) + anp.sum(x ** 2)


CASES = [
    (phase_retrieval, phase_retrieval_ag, (X, np.abs(X) + 0.5, RNG.random(5))),
    (phase_retrieval, phase_retrieval_ag, (X * 0.1, Z, RNG.random(5))),  # complex x, not in wrt
    (spectrum_loss, spectrum_loss_ag, (RNG.standard_normal(6), RNG.standard_normal(4) + 1j)),
    (parts, parts_ag, (Z, X)),
    (parts, parts_ag, (X, Z)),
    (holomorphic, holomorphic_ag, (Z + 2.0, X)),
    (norms, norms_ag, (Z, X)),
    (norms, norms_ag, (X, Z)),
    (casts, casts_ag, (X, Z)),
    (real_used_twice, real_used_twice_ag, (X,)),
]


@pytest.mark.parametrize("f, f_ag, args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_real_loss_of_complex_values(f, f_ag, args):
    got = grad(f)(*args)
    assert np.iscomplexobj(got) == np.iscomplexobj(args[0])
    np.testing.assert_allclose(got, numeric(f, *args), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, autograd.grad(f_ag)(*args), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grad(f)(*args), got)  # the version made for these shapes


def test_convention_is_jax_and_autograd_s():
    """|z|^2 has the steepest-ascent direction 2z; the gradient is its conjugate, 2 conj(z)."""
    np.testing.assert_allclose(grad(squared_modulus)(Z), 2.0 * np.conj(Z))
    np.testing.assert_allclose(grad(imag_sum)(Z), -1j * np.ones(5))


def squared_modulus(z):
    return np.sum(np.abs(z) ** 2)


def imag_sum(z):
    return np.sum(z.imag)


def complex_scalar(z):
    return abs(z * z + 1.0)


def test_complex_scalar_argument():
    z = 0.3 + 0.7j
    got = grad(complex_scalar)(z)
    assert isinstance(got, complex)
    np.testing.assert_allclose(got, numeric(lambda v: float(complex_scalar(v[()])),
                                            np.asarray(z)), rtol=1e-6)


# -- rules: non-holomorphic ones, and holomorphic ones on complex values -------------------------

@pytest.mark.parametrize("fn", [np.abs, np.angle, np.real, np.imag, np.conj, np.exp, np.log,
                                np.sin, np.cos, np.tan, np.sqrt, np.square, np.reciprocal,
                                np.tanh, np.sinh, np.cosh, np.arcsin, np.arctan, np.log1p,
                                np.expm1, np.negative],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [Z, RNG.uniform(0.1, 0.9, 5)], ids=["complex", "real"])
def test_elementwise_rule(fn, x):
    check_complex_rule(fn, x)


def test_angle_in_degrees():
    check_complex_rule(np.angle, Z, deg=True)


def test_abs_at_zero_is_zero():
    from tests.rules.harness import rule_vjp
    z = np.array([0.0 + 0.0j, 1.0 + 1.0j])
    assert rule_vjp(np.abs, z, g=np.ones(2))["x"][0] == 0


@pytest.mark.parametrize("fn", [np.sum, np.mean, np.cumsum, np.prod, np.var, np.std,
                                np.linalg.norm], ids=lambda f: f.__name__)
def test_reductions_of_complex_values(fn):
    check_complex_rule(fn, Z.reshape(1, 5) * np.ones((3, 1)) + RNG.standard_normal((3, 5)))


@pytest.mark.parametrize("fn", [np.multiply, np.true_divide, np.add, np.subtract, np.power,
                                np.matmul, np.dot, np.vdot], ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", [Z[::-1], X], ids=["complex", "real"])
@pytest.mark.parametrize("x", [Z, X], ids=["complex", "real"])
def test_binary_rules_on_complex_values(fn, x, other):
    if fn is np.power:
        x, other = x + 3.0, other * 0.3
    check_complex_rule(fn, x, other)


@pytest.mark.parametrize("x", [RNG.standard_normal((4, 4)),
                               RNG.standard_normal((4, 4)) + 1j * RNG.standard_normal((4, 4)),
                               RNG.standard_normal((2, 3, 3))], ids=["real", "complex", "stack"])
def test_eigvals(x):
    check_complex_rule(np.linalg.eigvals, x)


def eigenvector_loss(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.abs(v) ** 2 * np.arange(4.0)) + np.sum(np.real(w) * np.imag(w))


def eigenvector_loss_ag(a):
    w, v = anp.linalg.eig(a)
    return anp.sum(anp.abs(v) ** 2 * anp.arange(4.0)) + anp.sum(anp.real(w) * anp.imag(w))


@pytest.mark.parametrize("a", [RNG.standard_normal((4, 4)),
                               RNG.standard_normal((4, 4)) + 1j * RNG.standard_normal((4, 4))],
                         ids=["real", "complex"])
def test_eig_with_a_phase_invariant_loss(a):
    got = grad(eigenvector_loss)(a)
    np.testing.assert_allclose(got, numeric(eigenvector_loss, a), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got, autograd.grad(eigenvector_loss_ag)(a), rtol=1e-8, atol=1e-9)


# -- what stays refused --------------------------------------------------------------------------

def complex_output(z):
    return np.sum(z * z)


def test_a_complex_output_is_refused():
    with pytest.raises(NonDifferentiableError, match="real output"):
        grad(complex_output)(Z)


def cholesky_of_complex(z):
    a = np.outer(z, np.conj(z)) + 5.0 * np.eye(5)
    return np.sum(np.abs(np.linalg.cholesky(a)))


def sort_free_svd(z):
    return np.sum(np.linalg.svd(np.outer(z, z))[1])


@pytest.mark.parametrize("f", [cholesky_of_complex, sort_free_svd], ids=lambda f: f.__name__)
def test_real_only_rules_refuse_complex_values(f):
    with pytest.raises(SrcgradError, match="complex"):
        grad(f)(Z)


def real_next_to_complex(x):
    spectrum = np.fft.fft(np.ones(4))  # complex, but not from x
    return np.sum(x ** 2) * float(np.abs(spectrum[0]))


def imag_of_real(x, c):
    return np.sum(x * c.imag)


def test_real_code_next_to_complex_constants_works():
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(grad(real_next_to_complex)(x), 8.0 * x)
    np.testing.assert_allclose(grad(imag_of_real)(x, np.array([1j, 2j])), [1.0, 2.0])
