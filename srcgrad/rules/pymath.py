"""Rules for Python's ``math`` module and the builtin ``pow``, on float arguments.

Generated code calls them as the user wrote them (``math.exp(x)``), so values and errors stay
Python's; the adjoints are NumPy expressions of the same derivatives as the NumPy functions'.
Their arguments are numbers: each tangent is its adjoint with the argument's tangent ``t`` for
the result's adjoint ``g``.
"""

import builtins
import functools
import math
import re

from .registry import NO_GRADIENT, defvjp, nondiff


def _tangent(template):
    """The tangent template of a function of numbers from its adjoint template (the
    derivative times ``g``): ``t`` for ``g``."""
    if callable(template):
        @functools.wraps(template)  # (the same parameters: the same static arguments)
        def of_static(**static):
            text = template(**static)
            return text if text is NO_GRADIENT else _tangent(text)
        return of_static
    return re.sub(r"\bg\b", "t", template)


def _defvjp(primitive, params, *, name, **adjoints):
    """A rule whose tangents follow from its adjoints (see :func:`_tangent`)."""
    defvjp(primitive, params, name=name, **adjoints,
           tangents={param: _tangent(template) for param, template in adjoints.items()})

SQRT_PI_2 = 2.0 / math.sqrt(math.pi)

_UNARY = {
    "exp": "g * ans", "expm1": "g * (ans + 1.0)", "log1p": "g / (1.0 + x)",
    "log2": f"g / (x * {math.log(2.0)!r})", "log10": f"g / (x * {math.log(10.0)!r})",
    "sqrt": "0.5 * g / ans", "sin": "g * np.cos(x)", "cos": "-g * np.sin(x)",
    "tan": "g * (1.0 + ans * ans)", "asin": "g / np.sqrt(1.0 - x * x)",
    "acos": "-g / np.sqrt(1.0 - x * x)", "atan": "g / (1.0 + x * x)", "sinh": "g * np.cosh(x)",
    "cosh": "g * np.sinh(x)", "tanh": "g * (1.0 - ans * ans)",
    "asinh": "g / np.sqrt(x * x + 1.0)", "acosh": "g / np.sqrt(x * x - 1.0)",
    "atanh": "g / (1.0 - x * x)", "fabs": "g * np.sign(x)",
    "degrees": f"g * {180.0 / math.pi!r}", "radians": f"g * {math.pi / 180.0!r}",
    "erf": f"g * {SQRT_PI_2!r} * np.exp(-x * x)", "erfc": f"-g * {SQRT_PI_2!r} * np.exp(-x * x)",
}
if hasattr(math, "cbrt"):
    _UNARY["cbrt"] = "g / (3.0 * ans * ans)"
if hasattr(math, "exp2"):
    _UNARY["exp2"] = f"g * ans * {math.log(2.0)!r}"
for _name, _template in _UNARY.items():
    _defvjp(getattr(math, _name), "x", name=f"math.{_name}", x=_template)


def _log_x(base):
    return "g / x" if base is None else "g / (x * np.log(base))"


_defvjp(math.log, "x, base=None", name="math.log", x=_log_x,
        base="-g * ans / (base * np.log(base))")
_defvjp(math.atan2, "y, x", name="math.atan2", y="g * x / (x * x + y * y)",
        x="-g * y / (x * x + y * y)")
_defvjp(math.fmod, "x, y", name="math.fmod", x="g", y="-g * np.trunc(x / y)")
# x ** y: 0 where y == 0 (as np.power's rule); the exponent's with log(0) taken as 0.
for _pow, _name in ((math.pow, "math.pow"), (builtins.pow, "pow")):
    _defvjp(_pow, "x, y, *args", name=_name, x="g * y * np.power(x, y - (y != 0))",
            y="g * ans * log_base(x)")
defvjp(math.fsum, "seq", name="math.fsum", seq="unsum(g, seq)",
       tangents={"seq": "float(np.sum(t))"})

# Integers, tests and piecewise-constant functions.
nondiff(math.floor, math.ceil, math.trunc, math.isfinite, math.isnan, math.isinf, math.isclose,
        math.factorial, math.comb, math.perm, math.gcd, math.isqrt)
