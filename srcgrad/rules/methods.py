"""Array methods: ``x.sum(axis=0)`` is differentiated as ``np.sum(x, axis=0)``.

Each method's positional parameters match its function's after the array (``x.var(axis, dtype,
out, ddof)`` is ``np.var(x, axis, dtype, out, ddof)``). ``x.reshape(2, 3)`` and
``x.transpose(1, 0)`` pack their arguments into one tuple. ``x.astype(dtype)`` and ``x.copy()``
have function forms of their own, with rules here.
"""

import numpy as np

from .. import runtime
from ..errors import NonDifferentiableError
from .registry import DYNAMIC, NO_GRADIENT, defmethod, defvjp, nondiff
from .shapes import in_memory_order, unreshape_adjoint


# A cast's gradient is cast back to the argument's dtype; a cast to an integer or boolean dtype
# cuts it (the result is piecewise constant), and one to a dtype not known before the code runs
# decides when it runs. Generated code calls x.astype(dtype, ...) as the runtime helper astype
# (np.astype takes no order=, casting= or subok=, and dtype= by position only).
def _cast(param, reshape=False):
    """The template of a cast of ``param`` to ``dtype`` (``reshape``: np.array's ``ndmin`` may
    add axes, which the gradient drops)."""
    back = f"np.reshape(g, np.shape({param}))" if reshape else "g"

    def template(dtype):
        if dtype is None:
            return back
        kind = _kind(dtype)
        if kind is None:
            return f"cast_grad({back}, {param}, dtype)"
        try:
            kind = np.dtype(dtype).kind
        except (TypeError, ValueError):
            return f"cast_grad({back}, {param}, dtype)"
        if kind in "biu":
            return NO_GRADIENT
        if kind not in "fc":
            raise NonDifferentiableError(f"a cast to {np.dtype(dtype)} has no gradient",
                                         fix="cast to a float or complex dtype")
        return f"{'complex_' if kind == 'c' else ''}cast_back({back}, {param})"
    return template


def _cast_tangent(reshape=False):
    """The tangent template of a cast: ``t`` cast as the result ``ans`` is (a new array, as a
    cast's result), and shaped as it where ``reshape`` (np.array's ``ndmin``)."""
    def template(dtype):
        kind = "f" if dtype is None else _kind(dtype)
        if kind is not None and kind in "biu":
            return NO_GRADIENT
        cast = "cast_back(t, ans)" if kind is not None else "cast_grad(t, ans, dtype)"
        return f"np.reshape({cast}, np.shape(ans))" if reshape else cast
    return template


def _kind(dtype):
    """The kind of a cast's static ``dtype`` (``"f"``, ``"i"`` ...), or None where it is not
    known before the code runs; a dtype other than a number's is refused."""
    if dtype is DYNAMIC:
        return None
    try:
        kind = np.dtype(dtype).kind
    except (TypeError, ValueError):
        return None
    if kind not in "biufc":  # (complex casts are refused before templates are asked)
        raise NonDifferentiableError(f"a cast to {np.dtype(dtype)} has no gradient",
                                     fix="cast to a float dtype")
    return kind


# (with copy=False, x itself where it has that dtype already)
defvjp(runtime.astype, "x, dtype, order='K', casting='unsafe', subok=True, copy=True",
       name="astype", shape_of=True, view_of="x", always_view=False, inverse="g",
       x=_cast("x"), tangents={"x": _cast_tangent()})
if hasattr(np, "astype"):
    defvjp(np.astype, "x, dtype, *, copy=True, device=None", shape_of=True, view_of="x",
           always_view=False, inverse="g", x=_cast("x"), tangents={"x": _cast_tangent()})
defvjp(np.copy, "a, order='K', subok=False", shape_of=True, a="g", linear="a")
defvjp(np.asarray, "a, dtype=None, order=None, *, device=None, copy=None, like=None",
       view_of="a", always_view=False, inverse="g",  # (a itself, where it has that dtype)
       a=_cast("a"), tangents={"a": _cast_tangent()})
# Each may return its argument itself, or a view of it (np.array with copy=False).
defvjp(np.array, "object, dtype=None, *, copy=True, order='K', subok=False, ndmin=0, like=None",
       view_of="object", always_view=False, inverse="np.reshape(g, np.shape(object))",
       object=_cast("object", reshape=True), tangents={"object": _cast_tangent(reshape=True)})
defvjp(np.asanyarray, "a, dtype=None, order=None, *, device=None, copy=None, like=None",
       view_of="a", always_view=False, inverse="g", a=_cast("a"),
       tangents={"a": _cast_tangent()})
for _contiguous in (np.ascontiguousarray, np.asfortranarray):
    defvjp(_contiguous, "a, dtype=None, *, like=None", view_of="a", always_view=False,
           inverse="np.reshape(g, np.shape(a))", a=_cast("a", reshape=True),
           tangents={"a": _cast_tangent(reshape=True)})

# NumPy's scalar types called on a value (np.float32(x), np.int64(x)) are casts too.
for _type in (np.float16, np.float32, np.float64, np.longdouble):
    defvjp(_type, "x=0.0", name=f"np.{_type.__name__}", x="cast_back(g, x)",
           tangents={"x": "cast_back(t, ans)"})
nondiff(np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
        np.intp, np.uintp, np.bool_)

# Reductions.
for _name, _function in [("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max),
                         ("min", np.min), ("var", np.var), ("std", np.std),
                         ("cumsum", np.cumsum), ("any", np.any), ("all", np.all),
                         ("argmax", np.argmax), ("argmin", np.argmin),
                         ("argsort", np.argsort), ("nonzero", np.nonzero)]:
    defmethod(_name, _function)

# Shapes and element order.
defmethod("reshape", np.reshape, pack_varargs=True)
defmethod("transpose", np.transpose, pack_varargs=True)
defmethod("ravel", np.ravel)
# flatten always copies (ravel may return a view): writes into its result change nothing else.
defvjp(np.ndarray.flatten, "a, order='C'", name="np.ndarray.flatten", shape_of=True,
       a=unreshape_adjoint, linear="a",
       tangents={"a": in_memory_order("np.ndarray.flatten(t{order})")})
defmethod("flatten", np.ndarray.flatten)
defmethod("squeeze", np.squeeze)
defmethod("swapaxes", np.swapaxes)
defmethod("repeat", np.repeat)
defmethod("take", np.take)

# Elementwise and linear algebra.
defmethod("clip", np.clip)
defmethod("round", np.round)
defmethod("dot", np.dot)
defmethod("trace", np.trace)

# Copies and casts.
defmethod("astype", runtime.astype)
defmethod("copy", np.copy)
