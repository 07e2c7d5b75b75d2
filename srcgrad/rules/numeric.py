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
_INTERP_PARAMS = ("x", "xp", "fp", "left", "right")


def _interp(which, tangent=False):
    """The adjoint (``tangent``: tangent) template of the parameter numbered ``which``."""
    def template(period):
        if period is not None:
            raise NonDifferentiableError("np.interp with period= has no gradient rule",
                                         fix="wrap x into one period yourself (np.mod)")
        if tangent:
            return f"interp_tangent(x, xp, fp, left, right, d_{_INTERP_PARAMS[which]}=t)"
        return f"{_INTERP}[{which}]"
    return template


defvjp(np.interp, "x, xp, fp, left=None, right=None, period=None", shape_of=True,
       **{param: _interp(which) for which, param in enumerate(_INTERP_PARAMS)},
       tangents={param: _interp(which, tangent=True)
                 for which, param in enumerate(_INTERP_PARAMS)})
# (linear in y, and in x or dx: a sum of the spacings times the mean heights)
for _name in ("trapezoid", "trapz"):  # (NumPy < 2.4: the old name trapz too)
    if hasattr(np, _name):
        defvjp(getattr(np, _name), "y, x=None, dx=1.0, axis=-1", shape_of=True,
               y="trapezoid_grads(g, y, x, dx, axis)[0]",
               x="trapezoid_grads(g, y, x, dx, axis)[1]",
               dx="trapezoid_grads(g, y, x, dx, axis)[2]",
               tangents={"y": f"np.{_name}(t, x, dx, axis)", "x": f"np.{_name}(y, t, dx, axis)",
                         "dx": f"np.{_name}(y, None, t, axis) if x is None else 0.0 * ans"})
defvjp(np.polyval, "p, x", shape_of=True,
       p="polyval_grads(g, p, x)[0]", x="polyval_grads(g, p, x)[1]",
       tangents={"p": "np.polyval(t, x)", "x": "t * np.polyval(np.polyder(p), x)"})
defvjp(np.convolve, "a, v, mode='full'", shape_of=True,
       a="convolve_grads(g, a, v, mode)[0]", v="convolve_grads(g, a, v, mode)[1]",
       tangents={"a": "np.convolve(t, v, mode)", "v": "np.convolve(a, t, mode)"})
defvjp(np.correlate, "a, v, mode='valid'", shape_of=True,
       a="correlate_grads(g, a, v, mode)[0]", v="correlate_grads(g, a, v, mode)[1]",
       tangents={"a": "np.correlate(t, v, mode)", "v": "np.correlate(a, t, mode)"})


# sinc(x) = sin(pi x) / (pi x): its derivative (cos(pi x) - sinc(x)) / x, 0 at 0.
defvjp(np.sinc, "x", elementwise=True,
       x="g * np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))")

# np.gradient(f, *varargs): linear in f; each axis's result is 1/h times the one for spacing 1.
defvjp(np.gradient, "f, *varargs, axis=None, edge_order=1", returns_sequence=True, sparse=True,
       sequences=("varargs",), linear="f",
       f="gradient_grads(g, f, ans, varargs, axis, edge_order)",
       varargs="gradient_spacing_grads(g, ans, varargs)",
       tangents={"varargs": "gradient_spacing_tangent(t, ans, varargs)"})
