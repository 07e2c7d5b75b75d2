"""Complex values: until complex differentiation is supported, a complex argument in wrt or a
complex value depending on a differentiated one is refused (with the user's line), never a
wrong number. Real code that merely sits next to complex constants still works."""

import numpy as np
import pytest

from srcgrad import grad
from srcgrad.errors import NonDifferentiableError, SrcgradError, WrtError

PHASE = np.exp(1j * np.linspace(0.0, 1.0, 3))
ROTATION = 2.0 + 1.0j


def imag_of_product(x):
    return np.sum((x * 1j).imag)


def real_of_exp(x):
    return np.sum(np.exp(1j * x).real)


def cast_to_complex(x):
    return np.sum(np.real(x.astype(complex)))


def asarray_complex(x):
    return np.sum(np.asarray(x, dtype=np.complex128).real)


def complex_string_dtype(x):
    return np.sum(np.abs(x.astype("complex64")))


def imag_function(x):
    return np.sum(np.imag(x * 2.0))


def conj_function(x):
    return np.sum(np.conj(x) * x)


def angle_function(x):
    return np.sum(np.angle(x))


def global_complex_array(x):
    return np.sum((PHASE * x).imag)


def global_complex_number(x):
    return np.sum((ROTATION * x).real)


def complex_literal_added(x):
    return np.sum(np.abs(x + 2j))


REFUSED = [imag_of_product, real_of_exp, cast_to_complex, asarray_complex, complex_string_dtype,
           imag_function, conj_function, angle_function, global_complex_array,
           global_complex_number, complex_literal_added]


@pytest.mark.parametrize("f", REFUSED, ids=lambda f: f.__name__)
def test_complex_values_from_differentiated_ones_are_refused_with_the_line(f):
    x = np.array([0.3, -1.2, 2.0])
    with pytest.raises(NonDifferentiableError) as info:
        grad(f)(x)
    assert info.value.filename == __file__ and info.value.lineno is not None


def complex_from_argument(x, c):
    return np.sum((c * x).imag)


def real_from_argument(x, c):
    return np.sum((c * x).real)


@pytest.mark.parametrize("f", [complex_from_argument, real_from_argument],
                         ids=lambda f: f.__name__)
def test_complex_value_known_only_when_run_is_refused(f):
    with pytest.raises(SrcgradError):
        grad(f)(np.array([0.3, 1.2]), np.array([1.0 + 2.0j, 0.5j]))


def test_complex_argument_in_wrt_is_refused():
    with pytest.raises(WrtError, match="complex"):
        grad(lambda_free)(np.array([1.0 + 1.0j, 2.0]))


def lambda_free(z):
    return np.sum(z * z).real


def real_next_to_complex(x):
    spectrum = np.fft.fft(np.ones(4))  # complex, but not from x
    return np.sum(x ** 2) * float(np.abs(spectrum[0]))


def imag_of_real(x, c):
    return np.sum(x * c.imag)


def test_real_code_next_to_complex_constants_works():
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(grad(real_next_to_complex)(x), 8.0 * x)
    np.testing.assert_allclose(grad(imag_of_real)(x, np.array([1j, 2j])), [1.0, 2.0])


def real_part_of_complex_argument(x, c):
    return np.sum((c * x).real) + np.sum(x ** 2)


def test_real_part_of_a_complex_value_is_refused():
    with pytest.raises(SrcgradError, match="complex"):
        grad(real_part_of_complex_argument)(np.array([0.3, 1.2]), np.array([1.0 + 2.0j, 0.5j]))
    np.testing.assert_allclose(grad(real_part_of_complex_argument)(np.ones(2), np.ones(2)), 3.0)


def test_cast_back_refuses_a_complex_gradient():
    from srcgrad import runtime
    with pytest.raises(SrcgradError, match="complex"):
        runtime.cast_back(np.array([1.0 + 1.0j]), np.ones(1, dtype=np.float32))
