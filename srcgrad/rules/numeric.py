"""Rules for numerical routines: interpolation, integration, polynomials, convolutions,
finite differences, ``sinc``.

Conventions where the function has a kink:

- ``interp`` at a knot: the slope of the segment to its right (at the last knot, the last
  segment's), as JAX; outside the knots the result is constant (``left``/``right``).
- ``gradient``: with spacings given as numbers (one for every axis, or one per axis) or as
  coordinates; a coordinate array's own gradient is refused.
"""

import numpy as np

from ..errors import NonDifferentiableError
from .registry import defvjp

_INTERP = "interp_grads(g, x, xp, fp, left, right)"


def _interp(which):
    def template(period):
        if period is not None:
            raise NonDifferentiableError("np.interp with period= has no gradient rule",
                                         fix="wrap x into one period yourself (np.mod)")
        return f"{_INTERP}[{which}]"
    return template


defvjp(np.interp, "x, xp, fp, left=None, right=None, period=None", shape_of=True,
       x=_interp(0), xp=_interp(1), fp=_interp(2), left=_interp(3), right=_interp(4))
if hasattr(np, "trapezoid"):
    defvjp(np.trapezoid, "y, x=None, dx=1.0, axis=-1", shape_of=True,
           y="trapezoid_grads(g, y, x, dx, axis)[0]", x="trapezoid_grads(g, y, x, dx, axis)[1]",
           dx="trapezoid_grads(g, y, x, dx, axis)[2]")
if hasattr(np, "trapz"):  # (NumPy < 2.4: the old name)
    defvjp(np.trapz, "y, x=None, dx=1.0, axis=-1", shape_of=True,
           y="trapezoid_grads(g, y, x, dx, axis)[0]", x="trapezoid_grads(g, y, x, dx, axis)[1]",
           dx="trapezoid_grads(g, y, x, dx, axis)[2]")
defvjp(np.polyval, "p, x", shape_of=True,
       p="polyval_grads(g, p, x)[0]", x="polyval_grads(g, p, x)[1]")
defvjp(np.convolve, "a, v, mode='full'", shape_of=True,
       a="convolve_grads(g, a, v, mode)[0]", v="convolve_grads(g, a, v, mode)[1]")
defvjp(np.correlate, "a, v, mode='valid'", shape_of=True,
       a="correlate_grads(g, a, v, mode)[0]", v="correlate_grads(g, a, v, mode)[1]")


# sinc(x) = sin(pi x) / (pi x): its derivative (cos(pi x) - sinc(x)) / x, 0 at 0.
defvjp(np.sinc, "x", elementwise=True,
       x="g * np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))")

# np.gradient(f, *varargs): linear in f; each axis's result is 1/h times the one for spacing 1.
defvjp(np.gradient, "f, *varargs, axis=None, edge_order=1", returns_sequence=True, sparse=True,
       sequences=("varargs",), linear="f",
       f="gradient_grads(g, f, ans, varargs, axis, edge_order)",
       varargs="gradient_spacing_grads(g, ans, varargs)",
       tangents={"varargs": "gradient_spacing_tangent(t, ans, varargs)"})
