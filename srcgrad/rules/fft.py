"""Rules for NumPy's discrete Fourier transforms (``np.fft``).

Every transform is linear, and its matrix symmetric: the adjoint of ``fft`` is ``fft`` of the
adjoint (in the convention of complex adjoints, the transpose, not the conjugate transpose; see
the registry's docstring), fitted back to the argument's shape where ``n``/``s`` padded or cut
it. The real transforms (``rfft``, ``irfft``) map real arrays to half spectra and back: see
their helpers in :mod:`srcgrad.runtime`. Being linear, each is its own tangent.
(``fftshift``/``ifftshift`` are with the shape rules.)
"""

import numpy as np

from .registry import DYNAMIC, defvjp

ONE = "a, n=None, axis=-1, norm=None, out=None"
MANY = "a, s=None, axes=None, norm=None, out=None"
TWO = "a, s=None, axes=(-2, -1), norm=None, out=None"


def _one(helper, inverse=False):
    """The template of a transform along one axis: ``helper``'s n-dimensional form on
    ``(axis,)``, ``n`` as a one-item ``s``."""
    def template(n):
        s = "None" if n is None else "(n,)" if n is not DYNAMIC else "None if n is None else (n,)"
        return f"{helper}(g, a, {s}, (axis,), norm{', True' if inverse else ''})"
    return template


def _many(helper, inverse=False):
    return f"{helper}(g, a, s, axes, norm{', True' if inverse else ''})"


defvjp(np.fft.fft, ONE, shape_of=True, linear="a", a=_one("fft_grad"))
defvjp(np.fft.ifft, ONE, shape_of=True, linear="a", a=_one("fft_grad", inverse=True))
defvjp(np.fft.rfft, ONE, shape_of=True, linear="a", a=_one("rfft_grad"))
defvjp(np.fft.irfft, ONE, shape_of=True, linear="a", a=_one("irfft_grad"))
for _params in (MANY, TWO):
    _suffix = "n" if _params is MANY else "2"
    defvjp(getattr(np.fft, "fft" + _suffix), _params, shape_of=True, linear="a",
           a=_many("fft_grad"))
    defvjp(getattr(np.fft, "ifft" + _suffix), _params, shape_of=True, linear="a",
           a=_many("fft_grad", inverse=True))
    defvjp(getattr(np.fft, "rfft" + _suffix), _params, shape_of=True, linear="a",
           a=_many("rfft_grad"))
    defvjp(getattr(np.fft, "irfft" + _suffix), _params, shape_of=True, linear="a",
           a=_many("irfft_grad"))
