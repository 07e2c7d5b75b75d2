"""Rules for the runtime helpers that generated gradient code calls, so that a gradient can
itself be differentiated (``grad`` of code that calls a gradient, forward over reverse).

Each helper is the primitive here (keyed by its function in :mod:`srcgrad.runtime`). In the
parameter lists the helpers' own ``g`` is ``grad`` and their ``ans`` is ``value``, since ``g``
and ``ans`` in a template mean the incoming adjoint and the result.

Most helpers are linear in ``grad`` and read their other arguments only for shapes, indices or
ties (``no_gradient``); the products' gradients (``matmul_lhs_grad``) are linear in ``grad``
and in the other factor. A helper without a rule here (``prod_grad``, ``det_grad``) is NumPy
code that generated code calls like one of the user's functions: it is differentiated through
its source (:func:`srcgrad.passes.inline.is_user_function`). ``tests/rules/test_helpers.py``
lists them.
"""

from .. import runtime
from ..errors import NonDifferentiableError
from .registry import DYNAMIC, Rule, defbatch, defvjp, nondiff

#: The helpers given rules here: generated code's own vocabulary, not NumPy's coverage (checked
#: by tests/rules/test_helpers.py, not compared with autograd nor listed in the docs' families).
RULED: set = set()


def _defvjp(helper, params: str, **kwargs) -> Rule:
    """``defvjp`` for a runtime helper, which generated code calls by its own name."""
    RULED.add(helper)
    return defvjp(helper, params, name=helper.__name__, **kwargs)


# A slot's adjoint, copied (pop_slot, an effect in effects.py, is this and then the write):
# linear in the adjoint; its own adjoint (for a gradient of gradient code) is not worked out.
_defvjp(runtime.slot_value, "slot, index, x=None", no_gradient=("index", "x"), linear="slot")

# The element order a reshape with order='A' or 'K' reads an array in: a string.
nondiff(runtime.memory_order)
RULED.add(runtime.memory_order)

# Sums and spreads (un-broadcasting, reductions).
_defvjp(runtime.unbroadcast, "grad, x", no_gradient=("x",), linear="grad",
        grad="spread(g, np.shape(grad))")
_defvjp(runtime.unbroadcast_to, "grad, shape", no_gradient=("shape",),
        linear="grad", grad="spread(g, np.shape(grad))")
_defvjp(runtime.spread, "grad, shape", no_gradient=("shape",), linear="grad",
        grad="unbroadcast(g, grad)")
_defvjp(runtime.unreduce, "grad, x, axis=None, keepdims=False", no_gradient=("x",), linear="grad",
        grad="unreduce_grad(g, grad, x, axis, keepdims)")
_defvjp(runtime.cumsum_grad, "grad, a, axis=None", no_gradient=("a",),
        linear="grad", grad="np.cumsum(g, axis=axis)")

# Reductions whose gradient reads the values reduced: linear in ``grad``; ties (max/min) are
# constant almost everywhere. (prod_grad and std_grad are differentiated through their source.)
_defvjp(runtime.extremum_grad, "grad, a, value, axis=None, keepdims=False",
        no_gradient=("a", "value"), linear="grad",
        grad="unreduce_grad(g * extremum_grad(np.ones_like(grad), a, value, axis, keepdims), "
             "grad, a, axis, keepdims)")
# var_grad is 2 unreduce(grad) P(a) / (N - ddof), with P the (masked) centering, which is its
# own transpose: linear in grad and in a.
_defvjp(runtime.var_grad, "grad, a, axis=None, ddof=0, keepdims=False, where=True, mean=None",
        no_gradient=("where", "mean"), linear="grad",
        tangents={"a": "var_grad(grad, t, axis, ddof, keepdims, where, mean)"},
        grad="unreduce_grad(g * var_grad(np.ones_like(grad), a, axis, ddof, keepdims, where, "
             "mean), grad, a, axis, keepdims)",
        a="var_grad(np.ones_like(grad), unreduce(grad, a, axis, keepdims) * g, axis, ddof, "
          "keepdims, where, mean)")
# einsum's operands' gradients: each linear in grad and in every other operand; their adjoints
# are einsums again (the einsum with an adjoint in an operand's place, and its gradients).
_defvjp(runtime.einsum_grads, "grad, subscripts, operands, wanted=None", sequences=("operands",),
        no_gradient=("subscripts", "wanted"), returns_sequence=True,
        grad="einsum_grads_grad_adjoint(g, grad, subscripts, operands, wanted)",
        operands="einsum_grads_operands_adjoint(g, grad, subscripts, operands, wanted)",
        tangents={"grad": "einsum_grads(t, subscripts, operands, wanted)",
                  "operands": "einsum_grads_tangent(grad, subscripts, operands, t, wanted)"})

# Python's max/min of items: all of grad goes to the item chosen (choice_grad), whose tangent
# is the chosen item's (choice_tangent); the choice is constant almost everywhere, so each is
# linear in its first argument and the other's adjoint.
_defvjp(runtime.choice_grad, "grad, items, value, key=None", linear="grad",
        no_gradient=("items", "value", "key"), grad="choice_tangent(g, items, value, key)")
_defvjp(runtime.choice_tangent, "tangent, items, value, key=None", linear="tangent",
        no_gradient=("items", "value", "key"), tangent="choice_grad(g, items, value, key)")
# trace's gradient puts grad on a diagonal of zeros: linear in grad, a read for its shape.
_defvjp(runtime.trace_grad, "grad, a, offset=0, axis1=0, axis2=1", no_gradient=("a",),
        linear="grad", grad="np.trace(g, offset, axis1, axis2)")

# Products: each gradient is linear in grad and in the other factor (bilinear).
_defvjp(runtime.matmul_lhs_grad, "grad, x, y", no_gradient=("x",),
        linear="grad", tangents={"y": "matmul_lhs_grad(grad, x, t)"},
        grad="unbroadcast(np.matmul(g, y), grad)", y="matmul_rhs_grad(grad, g, y)")
_defvjp(runtime.matmul_rhs_grad, "grad, x, y", no_gradient=("y",),
        linear="grad", tangents={"x": "matmul_rhs_grad(grad, t, y)"},
        grad="unbroadcast(np.matmul(x, g), grad)", x="matmul_lhs_grad(grad, x, g)")
_defvjp(runtime.dot_lhs_grad, "grad, a, b", no_gradient=("a",),
        linear="grad", tangents={"b": "dot_lhs_grad(grad, a, t)"},
        grad="unbroadcast(np.dot(g, b), grad)", b="dot_rhs_grad(grad, g, b)")
_defvjp(runtime.dot_rhs_grad, "grad, a, b", no_gradient=("b",),
        linear="grad", tangents={"a": "dot_rhs_grad(grad, t, b)"},
        grad="unbroadcast(np.dot(a, g), grad)", a="dot_lhs_grad(grad, a, g)")
_defvjp(runtime.inner_lhs_grad, "grad, a, b", no_gradient=("a",),
        linear="grad", tangents={"b": "inner_lhs_grad(grad, a, t)"},
        grad="unbroadcast(np.inner(g, b), grad)", b="inner_rhs_grad(grad, g, b)")
_defvjp(runtime.inner_rhs_grad, "grad, a, b", no_gradient=("b",),
        linear="grad", tangents={"a": "inner_rhs_grad(grad, t, b)"},
        grad="unbroadcast(np.inner(a, g), grad)", a="inner_lhs_grad(grad, a, g)")
_defvjp(runtime.tensordot_lhs_grad, "grad, a, b, axes=2", no_gradient=("a",), linear="grad",
        tangents={"b": "tensordot_lhs_grad(grad, a, t, axes)"},
        grad="np.tensordot(g, b, axes)", b="tensordot_rhs_grad(grad, g, b, axes)")
_defvjp(runtime.tensordot_rhs_grad, "grad, a, b, axes=2", no_gradient=("b",), linear="grad",
        tangents={"a": "tensordot_rhs_grad(grad, t, b, axes)"},
        grad="np.tensordot(a, g, axes)", a="tensordot_lhs_grad(grad, a, g, axes)")


# Moving elements back where they came from: each is linear, and its adjoint is the primitive
# it undoes applied to ``g``.
def _reshape_order(order):
    if order not in ("C", "F"):
        raise NonDifferentiableError(
             f"the second derivative of a reshape with order={order!r} is not worked out",
             fix="reshape with order='C' or order='F'")
    return "np.reshape(g, np.shape(grad), order=order)"


_defvjp(runtime.unreshape, "grad, a, order='C'", no_gradient=("a",),
        linear="grad", grad=_reshape_order)
_defvjp(runtime.untranspose, "grad, axes=None", linear="grad",
        grad="np.transpose(g, axes)")
_defvjp(runtime.undiag, "grad, v, k=0", no_gradient=("v",), linear="grad",
        grad="np.diag(g, k)")
_defvjp(runtime.undiagonal, "grad, a, offset=0, axis1=0, axis2=1", no_gradient=("a",),
        linear="grad", grad="np.diagonal(g, offset, axis1, axis2)")
_defvjp(runtime.untile, "grad, a, reps", no_gradient=("a",), linear="grad",
        grad="np.tile(g, reps)")
_defvjp(runtime.unrepeat, "grad, a, repeats, axis=None", no_gradient=("a", "repeats"),
        linear="grad", grad="np.repeat(g, repeats, axis)")
_defvjp(runtime.untake, "grad, a, indices, axis=None, mode='raise'", no_gradient=("a", "indices"),
        linear="grad", grad="np.take(g, indices, axis, mode=mode)")


def _resort(axis):
    """The adjoint of ``unsort``: ``g`` in sorted order again (over every element for
    ``axis=None``); the choice written out only where the axis is not known before the code
    runs."""
    flat = ("np.reshape(np.take(np.ravel(g), np.argsort(np.ravel(a), kind='stable')), "
            "np.shape(grad))")
    along = "np.take_along_axis(g, np.argsort(a, axis=axis, kind='stable'), axis)"
    if axis is DYNAMIC:
        return f"{flat} if axis is None else {along}"
    return flat if axis is None else along


_defvjp(runtime.unsort, "grad, a, axis=-1", no_gradient=("a",), linear="grad", grad=_resort)
_defvjp(runtime.unstack, "grad, axis=0", linear="grad", returns_sequence=True,
        sparse=True, grad="restack(g, grad, axis)")
_defvjp(runtime.unconcatenate, "grad, arrays, axis=0", no_gradient=("arrays",), linear="grad",
        returns_sequence=True, sparse=True,
        grad="reconcatenate(g, arrays, axis)")

# Scattering into zeros and picking out again (None is a zero adjoint).
_defvjp(runtime.unindex, "grad, x, index", no_gradient=("x", "index"),
        linear="grad", sparse=True, grad="slot_grad(g, index, grad)")
_defvjp(runtime.unindex_to, "grad, shape, index", no_gradient=("shape", "index"), linear="grad",
        grad="slot_grad(g, index, grad)")
_defvjp(runtime.unindex_list, "grad, length, index", no_gradient=("length", "index"),
        linear="grad", sparse=True, grad="item_grad(g, index)")
_defvjp(runtime.add_at, "dx, index, grad", no_gradient=("index",),
        linear=("dx", "grad"), sparse=True, dx="g", grad="slot_grad(g, index, grad)")
_defvjp(runtime.slot_grad, "grad, index, x", no_gradient=("index", "x"), linear="grad",
        sparse=True, grad="None if grad is None else unindex(g, grad, index)")
_defvjp(runtime.item_grad, "grad, i", no_gradient=("i",), linear="grad",
        sparse=True, grad="None if grad is None else unindex_list(g, len(grad), i)")

# Summing and handing back adjoints.
_defvjp(runtime.add_grads, "a, b", linear=("a", "b"), sparse=True,
        a="add_grads_grad(g, a)", b="add_grads_grad(g, b)")
_defvjp(runtime.as_grad, "dx, x", no_gradient=("x",), linear="dx", sparse=True,
        dx="as_grad_grad(g, dx, x)")
# Their own gradients (third derivatives): linear in grad, each the other's transpose.
_defvjp(runtime.add_grads_grad, "grad, a", no_gradient=("a",), linear="grad", sparse=True,
        grad="None if grad is None else as_grad(g, grad)")
_defvjp(runtime.as_grad_grad, "grad, dx, x", no_gradient=("dx", "x"), linear="grad",
        sparse=True, grad="None if grad is None else as_grad(g, x)")
_defvjp(runtime.cotangent, "seed, value", no_gradient=("value",),
        linear="seed", seed="g")
_CONSTANT = (runtime.unit_seed, runtime.aux_seed, runtime.tie_share, runtime.within,
             runtime.unreduce_count)
nondiff(*_CONSTANT, params="*args")
RULED.update(_CONSTANT)

# Python's sum of items: g for each (linear in g; the adjoint of this, a sum of the items'
# gradients, is not worked out: refused in reverse mode).
_defvjp(runtime.unsum, "grad, items", no_gradient=("items",), linear="grad")

# Casts.
_defvjp(runtime.cast_back, "grad, x", no_gradient=("x",), linear="grad",
        grad="cast_back(g, grad)")
_defvjp(runtime.cast_grad, "grad, x, dtype", no_gradient=("x", "dtype"),
        linear="grad", grad="cast_grad(g, grad, dtype)")
_defvjp(runtime.dtype_grad, "grad, dtype", no_gradient=("dtype",),
        linear="grad", grad="dtype_grad(g, dtype)")
_defvjp(runtime.real_grad, "grad, x", no_gradient=("x",), linear="grad",
        grad="g")

# Functions the rules' templates compute with (a power's gradient, an inverse's).
_defvjp(runtime.real_power, "x, p", elementwise=True,
        x="unbroadcast(g * p * real_power(x, p - (p != 0)), x)",
        p="unbroadcast(g * ans * log_base(x), p)")
_defvjp(runtime.log_base, "x", elementwise=True,  # (0 at 0, as log_base)
        x="g * np.where(np.equal(x, 0), 0.0, 1.0 / np.where(np.equal(x, 0), 1.0, x))")
_defvjp(runtime.matrix_transpose, "a", view_of="a", linear="a",
        a="matrix_transpose(g)")

# The adjoints of the helpers above, where generated code is differentiated twice.
_defvjp(runtime.unreduce_grad, "grad, like, x, axis=None, keepdims=False", no_gradient=("like",
        "x"), linear="grad", grad="unreduce(g, x, axis, keepdims)")

# Forward-mode code's own helper: a tangent copied before a write into it (jvp code
# differentiated again).
_defvjp(runtime.copy_tangent, "tangent", linear="tangent", sparse=True, tangent="g")

# The adjoint of a repeated list ([h] * n): its own adjoint repeats the list again.
_defvjp(runtime.unrepeat_list, "grad, part", no_gradient=("part",), linear="grad", sparse=True,
        grad="None if g is None else list(g) * (len(grad) // max(len(part), 1))")

# Batched tangents (srcgrad.batching), for Hessians: forward mode over generated gradients.
defbatch(runtime.copy_tangent, transparent=True)
defbatch(runtime.unrepeat_list, transparent=True)
for _each_value in (runtime.matrix_transpose, runtime.cast_back):  # (the last axes, the dtype)
    defbatch(_each_value, transparent=True)
defbatch(runtime.unindex_to, grad="batch_unindex_to(t, shape, index)")
defbatch(runtime.unbroadcast, grad="batch_unbroadcast(t, x)")
defbatch(runtime.spread, grad="batch_spread(t, shape)")
defbatch(runtime.unreduce, grad="batch_unreduce(t, x, axis, keepdims)")
defbatch(runtime.as_grad, dx="batch_as_grad(t, x)")
defbatch(runtime.add_grads, transparent=True)
defbatch(runtime.matmul_lhs_grad, grad="batch_matmul_lhs_grad(t, x, y)")
defbatch(runtime.matmul_rhs_grad, grad="batch_matmul_rhs_grad(t, x, y)")
