"""Array methods: ``x.sum(axis=0)`` is differentiated as ``np.sum(x, axis=0)``.

Each method's positional parameters match its function's after the array (``x.var(axis, dtype,
out, ddof)`` is ``np.var(x, axis, dtype, out, ddof)``). ``x.reshape(2, 3)`` and
``x.transpose(1, 0)`` pack their arguments into one tuple. ``x.astype(dtype)`` and ``x.copy()``
have function forms of their own, with rules here.
"""

import numpy as np

from .. import runtime
from .registry import defmethod, defvjp

# A cast's gradient is cast back to the argument's dtype. Generated code calls x.astype(dtype)
# as np.astype where NumPy has it (2.1+), else as the runtime helper astype.
defvjp(runtime.astype, "x, dtype", name="astype", shape_of=True, x="astype(g, np.result_type(x))")
if hasattr(np, "astype"):
    defvjp(np.astype, "x, dtype, *, copy=True, device=None", shape_of=True,
           x="astype(g, np.result_type(x))")
defvjp(np.copy, "a, order='K', subok=False", shape_of=True, a="g")
defvjp(np.asarray, "a, dtype=None, order=None, *, device=None, copy=None, like=None",
       view_of="a", always_view=False,  # (a itself, where it is an array of that dtype)
       a=lambda dtype: "g" if dtype is None else "astype(g, np.result_type(a))")
defvjp(np.asanyarray, "a, dtype=None, order=None, *, device=None, copy=None, like=None",
       view_of="a", always_view=False,
       a=lambda dtype: "g" if dtype is None else "astype(g, np.result_type(a))")

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
       a="np.reshape(g, np.shape(a))")
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
defmethod("astype", getattr(np, "astype", runtime.astype))
defmethod("copy", np.copy)
