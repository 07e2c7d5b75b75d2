"""Rules for functions that move elements around: reshaping, joining, splitting, indexing; and
for new arrays made from values (``full``, ``linspace``, ``arange``).

Their adjoints move ``g`` back: a reshape reshapes it back, a transpose transposes it back, a
concatenation cuts it into pieces, a repeat or a tile sums over the copies.

Sequences. ``np.concatenate``/``stack``/``hstack``/``vstack`` take a sequence of arrays: their
template returns a list of adjoints, one per array, in order. ``np.split`` (and
``array_split``/``hsplit``/``vsplit``/``dsplit``) *returns* a list: in its rule, ``g`` is the
list of the pieces' adjoints, where an entry is None for a piece whose gradient is zero (a piece
the output does not depend on); ``unsplit`` fills those with zeros.

``x[index]`` (the ``"getitem"`` syntax) is in :mod:`.operators`.
"""

import numpy as np

from ..errors import NonDifferentiableError, RuleError
from .registry import DYNAMIC, defbatch, defjvp, defsubscript, defvjp


def unreshape_adjoint(order):
    """A reshape's adjoint: ``g`` in ``a``'s shape, read in the order the reshape read ``a``."""
    if order == "C":
        return "np.reshape(g, np.shape(a))"
    return "unreshape(g, a, order)"


def _reshape_shape(a, shape, order="C", *, copy=None):
    """A reshape to a shape written out (no -1) has that shape, whatever ``a``'s was."""
    shape = (shape,) if isinstance(shape, int) else shape
    if isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape):
        return np.broadcast_to(0.0, shape)
    return np.reshape(a, shape, order=order)


def in_memory_order(template: str):
    """A reshape's tangent (``template``, ending in ``{order}``: the order argument, written
    ``, order=...`` where it is not C's): in the order it reads ``a`` (``order='A'`` or ``'K'``
    follow ``a``'s layout, not the tangent's)."""
    def tangent(order):
        return template.format(order="" if order == "C" else ", order=order"
                               if order == "F" else ", order=memory_order(a, order)")
    return tangent


defvjp(np.reshape, "a, shape, order='C', *, copy=None", shape_of=_reshape_shape, linear="a",
       view_of="a", always_view=False, a=unreshape_adjoint,
       tangents={"a": in_memory_order("np.reshape(t, shape{order})")})
defvjp(np.ravel, "a, order='C'", shape_of=True, linear="a", view_of="a", always_view=False,
       a=unreshape_adjoint, tangents={"a": in_memory_order("np.ravel(t{order})")})
defvjp(np.expand_dims, "a, axis", shape_of=True, linear="a", view_of="a", a="np.reshape(g, np.shape(a))")
defvjp(np.squeeze, "a, axis=None", shape_of=True, linear="a", view_of="a", a="np.reshape(g, np.shape(a))")
defvjp(np.broadcast_to, "array, shape, subok=False", shape_of=True, linear="array", view_of="array", array="unbroadcast(g, array)")


def _untranspose(axes):
    if axes is None:
        return "np.transpose(g)"
    if axes is not DYNAMIC and all(isinstance(i, int) and i >= 0 for i in axes):
        return f"np.transpose(g, {tuple(int(i) for i in np.argsort(axes))!r})"
    return "untranspose(g, axes)"


defvjp(np.transpose, "a, axes=None", shape_of=True, linear="a", view_of="a", a=_untranspose)
defvjp(np.swapaxes, "a, axis1, axis2", shape_of=True, linear="a", view_of="a", a="np.swapaxes(g, axis1, axis2)")
defvjp(np.moveaxis, "a, source, destination", shape_of=True, linear="a", no_gradient=("source", "destination"),
       view_of="a", a="np.moveaxis(g, destination, source)")
defvjp(np.flip, "m, axis=None", shape_of=True, linear="m", view_of="m", m="np.flip(g, axis)")
# np.diag makes a matrix from a vector, or takes a matrix's diagonal: the adjoint does the other.
defvjp(np.diag, "v, k=0", shape_of=True, linear="v", v="undiag(g, v, k)")
defvjp(np.fliplr, "m", shape_of=True, linear="m", view_of="m", m="np.fliplr(g)")
defvjp(np.flipud, "m", shape_of=True, linear="m", view_of="m", m="np.flipud(g)")
defvjp(np.rot90, "m, k=1, axes=(0, 1)", shape_of=True, linear="m", view_of="m", m="np.rot90(g, -k, axes)")


def _unroll(shift):
    if isinstance(shift, int) and shift is not DYNAMIC:
        return "np.roll(g, -shift, axis)"
    return "np.roll(g, np.negative(shift), axis)"


defvjp(np.roll, "a, shift, axis=None", shape_of=True, linear="a", no_gradient=("shift",), a=_unroll)
defvjp(np.triu, "m, k=0", shape_of=True, linear="m", m="np.triu(g, k)")
defvjp(np.tril, "m, k=0", shape_of=True, linear="m", m="np.tril(g, k)")

# Joining: one adjoint per array joined.
JOIN = "*, dtype=None, casting='same_kind'"
def _unconcatenate(axis, shape_arrays):
    # Where every piece's shape is known: the slices of g, written out.
    if shape_arrays is DYNAMIC or not isinstance(axis, int) or axis is DYNAMIC or \
            not shape_arrays or any(not 0 <= axis < len(s) for s in shape_arrays):
        return "unconcatenate(g, arrays, axis)"
    pieces, start = [], 0
    for shape in shape_arrays:
        where = ":, " * axis + f"{start}:{start + shape[axis]}"
        pieces.append(f"g[{where}]")
        start += shape[axis]
    return "(" + ", ".join(pieces) + ",)"


# A join is linear: its tangent joins the arrays' tangents (t, a list) the same way.
defvjp(np.concatenate, f"arrays, axis=0, out=None, {JOIN}", shape_of=True,
       sequences=("arrays",), arrays=_unconcatenate,
       tangents={"arrays": "np.concatenate(t, axis, dtype=dtype)"})
defvjp(np.stack, f"arrays, axis=0, out=None, {JOIN}", shape_of=True, sequences=("arrays",),
       arrays="unstack(g, axis)", tangents={"arrays": "np.stack(t, axis, dtype=dtype)"})
defvjp(np.hstack, f"tup, {JOIN}", shape_of=True, sequences=("tup",), tup="unhstack(g, tup)",
       tangents={"tup": "np.hstack(t, dtype=dtype)"})
defvjp(np.vstack, f"tup, {JOIN}", shape_of=True, sequences=("tup",), tup="unvstack(g, tup)",
       tangents={"tup": "np.vstack(t, dtype=dtype)"})
defvjp(np.column_stack, "tup", shape_of=True, sequences=("tup",),
       tup="uncolumn_stack(g, tup)", linear="tup")

# Splitting: g is a list with one adjoint (or None) per piece.
defvjp(np.split, "ary, indices_or_sections, axis=0", returns_sequence=True, linear="ary",
       ary="unsplit(g, ary, indices_or_sections, axis)")
defvjp(np.array_split, "ary, indices_or_sections, axis=0", returns_sequence=True, linear="ary",
       ary="unsplit(g, ary, indices_or_sections, axis)")
defvjp(np.hsplit, "ary, indices_or_sections", returns_sequence=True, linear="ary",
       ary="unsplit(g, ary, indices_or_sections, 1 if np.ndim(ary) > 1 else 0)")
defvjp(np.vsplit, "ary, indices_or_sections", returns_sequence=True, linear="ary",
       ary="unsplit(g, ary, indices_or_sections, 0)")
defvjp(np.dsplit, "ary, indices_or_sections", returns_sequence=True, linear="ary",
       ary="unsplit(g, ary, indices_or_sections, 2)")

# np.r_[a, b, 0:3] and np.c_[a, b] join their index's items (along the first and the last
# axis): each item's adjoint is where its elements went.
# Their tangent joins the items' tangents the same way (slices, constant ranges: zeros).
for _maker, _name in ((np.r_, "np.r_"), (np.c_, "np.c_")):
    defjvp(defsubscript(_maker, "index", name=_name,
                        index=f"unconcat_index(g, {_name}, index)").key,
           index=f"concat_index_tangent(t, {_name}, index)")

def _refuse_grid():
    raise NonDifferentiableError("np.mgrid and np.ogrid have no gradient rule for their bounds",
                                 fix="build the grid with np.linspace and np.meshgrid")


for _grid, _name in ((np.mgrid, "np.mgrid"), (np.ogrid, "np.ogrid")):
    defjvp(defsubscript(_grid, "index", name=_name, index=_refuse_grid).key, index=_refuse_grid)

# Differences, appends, diagonals, added axes.
defvjp(np.diff, "a, n=1, axis=-1, prepend=None, append=None", shape_of=True,
       a="undiff(g, a, n, axis, prepend, append)[0]",
       prepend="undiff(g, a, n, axis, prepend, append)[1]",
       append="undiff(g, a, n, axis, prepend, append)[2]",
       tangents={"a": "diff_tangent(t, n, axis, zero_tangent(prepend), zero_tangent(append))",
                 "prepend": "diff_tangent(zero_tangent(a), n, axis, t, zero_tangent(append))",
                 "append": "diff_tangent(zero_tangent(a), n, axis, zero_tangent(prepend), t)"})
defvjp(np.append, "arr, values, axis=None", shape_of=True,
       arr="unappend(g, arr, values, axis)[0]", values="unappend(g, arr, values, axis)[1]",
       tangents={"arr": "np.append(t, zero_tangent(values), axis)",
                 "values": "np.append(zero_tangent(arr), t, axis)"})
defvjp(np.diagonal, "a, offset=0, axis1=0, axis2=1", shape_of=True, linear="a", view_of="a",  # read-only
       a="undiagonal(g, a, offset, axis1, axis2)")
for _atleast in (np.atleast_1d, np.atleast_2d, np.atleast_3d):  # one array (several: a list)
    defvjp(_atleast, "ary", shape_of=True, linear="ary", view_of="ary",  # (ary itself, or a view of it)
           ary="np.reshape(g, np.shape(ary))")

# Copies: the adjoint sums over them.
defvjp(np.tile, "A, reps", shape_of=True, linear="A", A="untile(g, A, reps)")
defvjp(np.repeat, "a, repeats, axis=None", linear="a", a="unrepeat(g, a, repeats, axis)")

# Indexing and sorting.
defvjp(np.take, "a, indices, axis=None, out=None, mode='raise'", no_gradient=("indices",),
       a="untake(g, a, indices, axis, mode)", tangents={"a": "np.take(t, indices, axis, mode=mode)"})


def _unsort(order):
    if order is not None and order is not DYNAMIC:
        raise RuleError("np.sort with order= (structured arrays) has no gradient rule")
    return "unsort(g, a, axis)"


def _sort_tangent(order):
    _unsort(order)  # (the same refusal)
    return "sort_tangent(t, a, axis)"


defvjp(np.sort, "a, axis=-1, kind=None, order=None, *, stable=None", a=_unsort,
       tangents={"a": _sort_tangent})


# New arrays filled from values: the values' gradients.
defvjp(np.full, "shape, fill_value, dtype=None, order='C', *, device=None, like=None",
       fill_value="unbroadcast(g, fill_value)", tangents={"fill_value": "np.full_like(ans, t)"})
defvjp(np.full_like,
       "a, fill_value, dtype=None, order='K', subok=True, shape=None, *, device=None",
       no_gradient=("a",), fill_value="unbroadcast(g, fill_value)",
       tangents={"fill_value": "np.full_like(ans, t)"})


def _linspace(which, tangent=False):
    """The adjoint template of ``start`` (``which`` 0) or ``stop`` (1); with ``tangent``, its
    tangent: linspace is linear in the two jointly, so a linspace from ``t`` to 0 (from 0 to
    ``t``)."""
    def template(retstep):
        if retstep is True:  # (a non-literal retstep=True fails at run time: g is a pair)
            raise NonDifferentiableError(
                "np.linspace(..., retstep=True) has no gradient rule",
                fix="compute the step as (stop - start) / (num - 1) yourself")
        if tangent:
            return _LINSPACE_TANGENT[which] + ", dtype=dtype)"
        return f"linspace_grads(g, start, stop, num, endpoint, axis)[{which}]"
    return template


# (0.0 * start: zeros shaped like start, a number or an array)
_LINSPACE_TANGENT = ("np.linspace(t, 0.0 * stop, num, endpoint, axis=axis",
                     "np.linspace(0.0 * start, t, num, endpoint, axis=axis")
defvjp(np.linspace, "start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, "
       "*, device=None", start=_linspace(0), stop=_linspace(1),
       tangents={"start": _linspace(0, tangent=True), "stop": _linspace(1, tangent=True)})


# arange(start, stop, step) is start + step * k; stop only sets the length (locally constant).
defvjp(np.arange, "start_or_stop, stop=None, step=1, *, dtype=None, device=None, like=None",
       start_or_stop="arange_grads(g, start_or_stop, stop, step)[0]",
       stop="arange_grads(g, start_or_stop, stop, step)[1]",
       step="arange_grads(g, start_or_stop, stop, step)[2]",
       tangents={"start_or_stop": "np.zeros_like(ans) + (0.0 * t if stop is None else t)",
                 "stop": "np.zeros_like(ans) + 0.0 * t",
                 "step": "t * np.arange(len(ans), dtype=ans.dtype)"})


def _refuse_base():
    raise NonDifferentiableError("np.logspace has no gradient rule for its base",
                                 fix="write base ** np.linspace(start, stop, num)")


# logspace is base ** linspace(start, stop).
defvjp(np.logspace, "start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0",
       start="linspace_grads(g * ans * np.log(base), start, stop, num, endpoint, axis)[0]",
       stop="linspace_grads(g * ans * np.log(base), start, stop, num, endpoint, axis)[1]",
       base=_refuse_base,
       tangents={"start": f"ans * np.log(base) * {_LINSPACE_TANGENT[0]})",
                 "stop": f"ans * np.log(base) * {_LINSPACE_TANGENT[1]})", "base": _refuse_base})
# geomspace is sign * exp(linspace(log|start|, log|stop|)).
defvjp(np.geomspace, "start, stop, num=50, endpoint=True, dtype=None, axis=0",
       start="linspace_grads(g * ans, start, stop, num, endpoint, axis)[0] / start",
       stop="linspace_grads(g * ans, start, stop, num, endpoint, axis)[1] / stop",
       tangents={"start": "ans * np.linspace(t / start, 0.0 * stop, num, endpoint, axis=axis)",
                 "stop": "ans * np.linspace(0.0 * start, t / stop, num, endpoint, axis=axis)"})

# More joins, views and copies.
defvjp(np.dstack, f"tup, {JOIN}", shape_of=True, sequences=("tup",), tup="undstack(g, tup)",
       tangents={"tup": "np.dstack(t)"})
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:  # (NumPy < 2.4: vstack itself)
    defvjp(np.row_stack, f"tup, {JOIN}", shape_of=True, sequences=("tup",),
           tup="unvstack(g, tup)", tangents={"tup": "np.row_stack(t, dtype=dtype)"})
defvjp(np.rollaxis, "a, axis, start=0", shape_of=True, linear="a", view_of="a",
       a="unrollaxis(g, a, axis, start)")
defvjp(np.fft.fftshift, "x, axes=None", shape_of=True, linear="x", x="np.fft.ifftshift(g, axes)")
defvjp(np.fft.ifftshift, "x, axes=None", shape_of=True, linear="x", x="np.fft.fftshift(g, axes)")
defvjp(np.diagflat, "v, k=0", shape_of=True, linear="v", v="np.reshape(np.diag(g, k), np.shape(v))")
defvjp(np.kron, "a, b", shape_of=True, a="kron_grads(g, a, b)[0]", b="kron_grads(g, a, b)[1]",
       tangents={"a": "np.kron(t, b)", "b": "np.kron(a, t)"})


def _pad(which, tangent=False):
    """The adjoint template of ``array`` (``which`` 0) or ``constant_values`` (1); with
    ``tangent``, the tangent of ``array``: pad is linear in it, the constant padding zeros."""
    def template(mode, stat_length, end_values, reflect_type):
        if mode not in ("constant", "edge", "reflect", "symmetric", "wrap", DYNAMIC) or \
                reflect_type not in ("even", DYNAMIC) or stat_length is not None or \
                end_values != 0:
            raise NonDifferentiableError(
                f"np.pad(..., mode={mode!r}) has no gradient rule",
                fix="use mode 'constant', 'edge', 'reflect', 'symmetric' or 'wrap' "
                    "(reflect_type 'even')")
        if tangent:
            return "np.pad(t, pad_width, mode)"
        return f"pad_grads(g, array, pad_width, mode)[{which}]"
    return template


def _pad_constant(tangent=False):
    """The adjoint (``tangent``: tangent) template of ``constant_values``: the padding."""
    def template(constant_values):
        if not isinstance(constant_values, (int, float)) and constant_values is not DYNAMIC:
            raise NonDifferentiableError("np.pad with constant_values per axis has no gradient "
                                         "rule for them", fix="pad with one value")
        if tangent:
            return "np.pad(np.zeros(np.shape(array), ans.dtype), pad_width, constant_values=t)"
        return "pad_grads(g, array, pad_width, mode)[1]"
    return template


# The modes that copy elements; constant_values as one number. (A mode given as a variable
# other than these fails when it runs.)
defvjp(np.pad, "array, pad_width, mode='constant', *, stat_length=None, constant_values=0, "
       "end_values=0, reflect_type='even'", array=_pad(0),
       constant_values=_pad_constant(),
       tangents={"array": _pad(0, tangent=True), "constant_values": _pad_constant(tangent=True)})
defvjp(np.select, "condlist, choicelist, default=0", sequences=("choicelist",), no_gradient=("condlist",),
       choicelist="select_grads(g, condlist, choicelist, default)[0]",
       default="select_grads(g, condlist, choicelist, default)[1]",
       tangents={"choicelist": "np.select(condlist, t, 0.0)",
                 "default": "np.select(condlist, zero_tangent(choicelist), t)"})
defvjp(np.partition, "a, kth, axis=-1, kind='introselect', order=None", shape_of=True, no_gradient=("kth",),
       a="unpermute(g, a, ans, axis)", tangents={"a": "permute_tangent(t, a, ans, axis)"})
def _along_axis_shape(arr, indices, axis=-1):
    """The result's shape (placeholders of indices are floats: made integers here)."""
    return np.take_along_axis(arr, np.zeros(np.shape(indices), dtype=np.intp), axis)


defvjp(np.take_along_axis, "arr, indices, axis=-1", shape_of=_along_axis_shape, linear="arr", no_gradient=("indices",),
       arr="untake_along_axis(g, arr, indices, axis)")
defvjp(np.meshgrid, "*xi, copy=True, sparse=False, indexing='xy'", sequences=("xi",),
       returns_sequence=True, sparse=True, xi="meshgrid_grads(g, xi, indexing)",
       tangents={"xi": "np.meshgrid(*t, sparse=sparse, indexing=indexing)"})

# Batched tangents (srcgrad.batching): each direction reshaped or transposed alike.
defbatch(np.reshape, a=in_memory_order("batch_reshape(t, shape{order})"))
defbatch(np.ravel, a=in_memory_order("batch_reshape(t, -1{order})"))
for _reshaping in (np.expand_dims, np.squeeze):
    defbatch(_reshaping, a="batch_reshape(t, np.shape(ans))")
defbatch(np.transpose, a="batch_transpose(t, axes)")
defbatch(np.moveaxis, a="batch_moveaxis(t, source, destination)")
defbatch(np.swapaxes, a="batch_swapaxes(t, axis1, axis2)")
defbatch(np.concatenate, arrays="batch_concatenate(t, axis, dtype)")
defbatch(np.stack, arrays="batch_stack(t, axis, dtype)")
