"""Rules for NumPy's elementwise functions (ufuncs and friends).

Binary rules un-broadcast each adjoint to its argument's shape; unary ones need not, their
result has their argument's shape. Constants are Python floats, so float32 stays float32.

Where a function has a kink, the rule picks one subgradient:

- ``abs`` (and ``sign``-like kinks) at 0: 0.
- ``maximum``/``minimum``/``fmax``/``fmin`` on a tie: half to each argument (as JAX; it is also
  what central differences give).
- ``clip`` at a bound: the gradient goes to ``a`` (``a_min <= a <= a_max`` is inclusive, as
  PyTorch); a bound gets it only where it strictly binds.
"""

import math

import numpy as np

from .registry import DYNAMIC, deffusion, defvjp

LN2 = math.log(2.0)
LN10 = math.log(10.0)
DEGREE = math.pi / 180.0


def _number(value):
    """Whether a static argument is a literal real number (not a bool, not DYNAMIC)."""
    return (value is not DYNAMIC and isinstance(value, (int, float))
            and not isinstance(value, bool) and math.isfinite(value))


# Arithmetic.
defvjp(np.add, "x1, x2", elementwise=True,
       x1="unbroadcast(g, x1)", x2="unbroadcast(g, x2)")
defvjp(np.subtract, "x1, x2", elementwise=True,
       x1="unbroadcast(g, x1)", x2="unbroadcast(-g, x2)")
defvjp(np.multiply, "x1, x2", elementwise=True,
       x1="unbroadcast(g * x2, x1)", x2="unbroadcast(g * x1, x2)")
defvjp(np.true_divide, "x1, x2", elementwise=True,  # np.divide is np.true_divide
       x1="unbroadcast(g / x2, x1)", x2="unbroadcast(-g * ans / x2, x2)")
defvjp(np.negative, "x", elementwise=True, x="-g")
defvjp(np.positive, "x", elementwise=True, x="g")
defvjp(np.reciprocal, "x", elementwise=True, x="-g * ans * ans")
defvjp(np.square, "x", elementwise=True, x="2.0 * g * x")
defvjp(np.sqrt, "x", elementwise=True, x="0.5 * g / ans")
defvjp(np.cbrt, "x", elementwise=True, x="g / (3.0 * ans * ans)")
# np.abs is np.absolute; of a complex x, |x| is not holomorphic: a template of its own
defvjp(np.absolute, "x", elementwise=True, x="abs_grad(g, x, ans)",
       tangents={"x": "abs_tangent(t, x, ans)"})
defvjp(np.fabs, "x", elementwise=True, x="g * np.sign(x)")
# x1 % x2 == x1 - floor(x1 / x2) * x2, and the floor is locally constant.
defvjp(np.remainder, "x1, x2", elementwise=True,  # np.mod is np.remainder
       x1="unbroadcast(g, x1)", x2="unbroadcast(-g * np.floor_divide(x1, x2), x2)")
defvjp(np.fmod, "x1, x2", elementwise=True,
       x1="unbroadcast(g, x1)", x2="unbroadcast(-g * np.trunc(x1 / x2), x2)")


def _power_base(x2):
    # A literal exponent (x ** 2) gives the derivative a person would write.
    if _number(x2):
        if x2 == 0:
            return "np.zeros_like(g)"
        if x2 == 1:
            return "g"
        if x2 == 2:
            return "2.0 * g * x1"
        if x2 < 1:  # x1 ** -0.5 at 0.0 is a ZeroDivisionError for a Python float
            return f"{x2!r} * g * real_power(x1, {x2 - 1!r})"
        return f"{x2!r} * g * x1 ** {x2 - 1!r}"
    # x2 * x1 ** (x2 - 1), but 0 where x2 == 0 (as autograd and JAX: 0 ** 0 is 1 nearby too)
    return "unbroadcast(g * x2 * real_power(x1, x2 - (x2 != 0)), x1)"


def _power_exponent(x1):
    if _number(x1) and x1 > 0:  # 2.0 ** x
        return f"g * ans * {math.log(x1)!r}"
    return "unbroadcast(g * ans * log_base(x1), x2)"


defvjp(np.power, "x1, x2", elementwise=True, x1=_power_base, x2=_power_exponent)
defvjp(np.float_power, "x1, x2", elementwise=True,
       x1="unbroadcast(g * x2 * np.float_power(x1, x2 - (x2 != 0)), x1)",
       x2="unbroadcast(g * ans * log_base(x1), x2)")

# Exponentials and logarithms.
defvjp(np.exp, "x", elementwise=True, x="g * ans")
defvjp(np.expm1, "x", elementwise=True, x="g * (ans + 1.0)")
defvjp(np.exp2, "x", elementwise=True, x=f"g * ans * {LN2!r}")
defvjp(np.log, "x", elementwise=True, x="g / x")
defvjp(np.log1p, "x", elementwise=True, x="g / (1.0 + x)")
defvjp(np.log2, "x", elementwise=True, x=f"g / (x * {LN2!r})")
defvjp(np.log10, "x", elementwise=True, x=f"g / (x * {LN10!r})")
defvjp(np.logaddexp, "x1, x2", elementwise=True,
       x1="unbroadcast(g * np.exp(x1 - ans), x1)", x2="unbroadcast(g * np.exp(x2 - ans), x2)")
defvjp(np.logaddexp2, "x1, x2", elementwise=True,
       x1="unbroadcast(g * np.exp2(x1 - ans), x1)", x2="unbroadcast(g * np.exp2(x2 - ans), x2)")

# Trigonometric and hyperbolic functions.
defvjp(np.sin, "x", elementwise=True, x="g * np.cos(x)")
defvjp(np.cos, "x", elementwise=True, x="-g * np.sin(x)")
defvjp(np.tan, "x", elementwise=True, x="g * (1.0 + ans * ans)")
defvjp(np.arcsin, "x", elementwise=True, x="g / np.sqrt(1.0 - x * x)")
defvjp(np.arccos, "x", elementwise=True, x="-g / np.sqrt(1.0 - x * x)")
defvjp(np.arctan, "x", elementwise=True, x="g / (1.0 + x * x)")
defvjp(np.arctan2, "x1, x2", elementwise=True,  # the angle of the point (x2, x1)
       x1="unbroadcast(g * x2 / (x1 * x1 + x2 * x2), x1)",
       x2="unbroadcast(-g * x1 / (x1 * x1 + x2 * x2), x2)")
defvjp(np.hypot, "x1, x2", elementwise=True,
       x1="unbroadcast(g * x1 / ans, x1)", x2="unbroadcast(g * x2 / ans, x2)")
defvjp(np.sinh, "x", elementwise=True, x="g * np.cosh(x)")
defvjp(np.cosh, "x", elementwise=True, x="g * np.sinh(x)")
defvjp(np.tanh, "x", elementwise=True, x="g * (1.0 - ans * ans)")
defvjp(np.arcsinh, "x", elementwise=True, x="g / np.sqrt(x * x + 1.0)")
defvjp(np.arccosh, "x", elementwise=True, x="g / np.sqrt(x * x - 1.0)")
defvjp(np.arctanh, "x", elementwise=True, x="g / (1.0 - x * x)")
defvjp(np.deg2rad, "x", elementwise=True, x=f"g * {DEGREE!r}")  # np.radians is the same
defvjp(np.radians, "x", elementwise=True, x=f"g * {DEGREE!r}")
defvjp(np.rad2deg, "x", elementwise=True, x=f"g / {DEGREE!r}")
defvjp(np.degrees, "x", elementwise=True, x=f"g / {DEGREE!r}")

# Selection: the gradient follows the value that was selected.
for _extremum in (np.maximum, np.minimum, np.fmax, np.fmin):
    defvjp(_extremum, "x1, x2", elementwise=True,
           x1="unbroadcast(g * tie_share(x1, x2, ans), x1)",
           x2="unbroadcast(g * tie_share(x2, x1, ans), x2)")
# nan_to_num replaces NaN and infinities by constants: the gradient passes where x is finite.
defvjp(np.nan_to_num, "x, copy=True, nan=0.0, posinf=None, neginf=None", elementwise=True,
       x="np.where(np.isfinite(x), g, 0.0)")

# heaviside(x1, x2) is 0, x2 or 1 as x1 is negative, zero or positive: a step in x1 (derivative
# 0, as autograd and JAX), and x2 wherever x1 == 0.
defvjp(np.heaviside, "x1, x2", elementwise=True, no_gradient=("x1",),
       x2="unbroadcast(np.where(np.equal(x1, 0), g, 0.0), x2)")
defvjp(np.where, "condition, x=None, y=None", elementwise=True, no_gradient=("condition",),
       x="unbroadcast(np.where(condition, g, 0.0), x)",
       y="unbroadcast(np.where(condition, 0.0, g), y)")


# clip: the bounds by position (a_min, a_max) or, as NumPy 2.1 and the method x.clip(min=...),
# by the keywords min and max; each template names the bounds the call passed.
def _bounds(a_min, a_max, min, max):
    """(expression, static value) of the lower and the upper bound passed; ("None", None)
    for none."""
    return _bound("a_min", a_min, "min", min), _bound("a_max", a_max, "max", max)


def _bound(positional, positional_value, keyword, keyword_value):
    if positional_value is None:
        return (keyword, keyword_value) if keyword_value is not None else ("None", None)
    if keyword_value is None or positional_value is not DYNAMIC:
        return positional, positional_value
    # Both may be given, neither known: whichever is not None when the code runs.
    return f"({positional} if {positional} is not None else {keyword})", DYNAMIC


def _clip_a(a_min, a_max, min, max, shape_a):
    (lo, lo_value), (hi, hi_value) = _bounds(a_min, a_max, min, max)
    # Literal number bounds do not broadcast an array a: plain comparisons, no un-broadcasting.
    # (a may also be a list of values, or a number.)
    array = isinstance(shape_a, tuple) and all(isinstance(n, int) for n in shape_a)
    if array and all(value is None or _number(value) for value in (lo_value, hi_value)):
        tests = [f"a >= {lo}"] * (lo_value is not None) + [f"a <= {hi}"] * (hi_value is not None)
        if len(tests) == 2:
            return f"np.where(({tests[0]}) & ({tests[1]}), g, 0.0)"
        return f"np.where({tests[0]}, g, 0.0)" if tests else "g"
    return f"unbroadcast(np.where(within(a, {lo}, {hi}), g, 0.0), a)"


def _clip_bound(which, param, tangent=False):
    """The adjoint template of a bound (with ``tangent``: its tangent template, which keeps
    the result's shape where the adjoint sums down to the bound's)."""
    kind, seed = ("tangent", "t") if tangent else ("grad", "g")

    def template(a_min, a_max, min, max):
        (lo, _), (hi, _) = _bounds(a_min, a_max, min, max)
        if which == "lower":
            return f"clip_min_{kind}({seed}, a, {param}, {hi})"
        return f"clip_max_{kind}({seed}, a, {lo}, {param})"
    return template


_CLIP_BOUNDS = {"a_min": "lower", "min": "lower", "a_max": "upper", "max": "upper"}
defvjp(np.clip, "a, a_min=None, a_max=None, out=None, *, min=None, max=None", elementwise=True,
       a=_clip_a, **{param: _clip_bound(which, param) for param, which in _CLIP_BOUNDS.items()},
       tangents={param: _clip_bound(which, param, tangent=True)
                 for param, which in _CLIP_BOUNDS.items()})


# Complex numbers' parts (of a real x: x, 0, x and 0 or pi). None is holomorphic: each adjoint
# is the transpose of the real-linear map (see the registry's docstring); real, imag and conj
# are real-linear, so each is its own tangent.
defvjp(np.real, "x", elementwise=True, linear="x", x="real_grad(g, x)")
defvjp(np.imag, "x", elementwise=True, linear="x", x="imag_grad(g, x)")
defvjp(np.conj, "x, *args, **kwargs", elementwise=True, linear="x",  # np.conjugate too
       x="np.conj(g)")
defvjp(np.angle, "z, deg=False", elementwise=True, z="angle_grad(g, z, deg)",
       tangents={"z": "angle_tangent(t, z, deg)"})


# A square written as a product: one adjoint contribution instead of two equal ones.
deffusion("square", "x * x", elementwise=True, x="2.0 * g * x")

# The logistic sigmoid, as people write it: fused, its adjoint needs only the result.
deffusion("sigmoid", "1.0 / (1.0 + np.exp(-x))", "1.0 / (np.exp(-x) + 1.0)",
          "1 / (1 + np.exp(-x))", "1 / (np.exp(-x) + 1)", elementwise=True,
          x="g * ans * (1.0 - ans)")
