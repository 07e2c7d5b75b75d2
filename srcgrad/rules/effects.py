"""Calls that write into an argument, differentiated as the write they make.

``np.copyto(dst, src)`` is ``dst[...] = src``; ``y.sort()`` is ``y[...] = np.sort(y)``. Each
:func:`~.registry.defeffect` names the argument written, the index written (default: all of it)
and the value, as templates; the engine then treats the call as that assignment, and memory the
argument shares with other variables sees the change (:mod:`srcgrad.passes.aliasing`). Calls whose
effect has no simple derivative are refused by name.
"""

import numpy as np

from .. import runtime
from .registry import defeffect, defvjp, nondiff

defeffect(np.copyto, "dst, src, casting='same_kind', where=True", writes="dst",
          value=lambda where: "src" if where is True else "np.where(where, src, dst)")
defeffect(np.fill_diagonal, "a, val, wrap=False", writes="a",
          index="diagonal_index(np.shape(a), wrap)", value="val")
defeffect(np.put, "a, ind, v, mode='raise'", writes="a", index="flat_index(ind, np.shape(a))",
          value="v")
defeffect(np.add.at, "a, indices, b", writes="a", name="np.add.at",
          value="added_at(a, indices, b)")
defeffect(np.subtract.at, "a, indices, b", writes="a", name="np.subtract.at",
          value="added_at(a, indices, -b)")
defeffect(np.ndarray.sort, "a, axis=-1, kind=None, order=None", writes="a", method="sort",
          name="ndarray.sort", value="np.sort(a, axis, kind, order)")
defeffect(np.ndarray.fill, "a, value", writes="a", method="fill", name="ndarray.fill",
          value="value")

_SHUFFLE = "shuffle an index instead: y = y[np.random.permutation(len(y))]"
for _name in ("multiply", "divide", "true_divide", "power", "maximum", "minimum"):
    defeffect(getattr(np, _name).at, "a, indices, b=None", writes="a", value=None,
              name=f"np.{_name}.at", refusal="write y = y.copy(); then build the new values "
              "with np.where or an index")
defeffect(np.random.shuffle, "x", writes="x", value=None, refusal=_SHUFFLE)
defeffect(np.random.Generator.shuffle, "self, x, axis=0", writes="x", value=None,
          method="shuffle", name="Generator.shuffle", refusal=_SHUFFLE)
# arr[index] = values, the index made from indices along the axis.
defeffect(np.put_along_axis, "arr, indices, values, axis", writes="arr",
          index="along_axis_index(np.shape(arr), indices, axis)", value="values")
for _name in ("place", "putmask"):
    defeffect(getattr(np, _name), "arr, *args, **kwargs", writes="arr", value=None,
              refusal="build the new array with np.where or an index, then assign it")

# Generated gradient code, differentiated again (hvp): the slot's adjoint (slot_value, whose
# rule is in helpers.py), then zeroed.
defeffect(runtime.pop_slot, "dx, index, x=None", writes="dx", value="0.0", index="index",
          name="pop_slot", result=runtime.slot_value)

# The helpers the templates above call.
nondiff(runtime.diagonal_index, runtime.flat_index, runtime.along_axis_index)
defvjp(runtime.added_at, "a, index, b", name="added_at", no_gradient=("index",), a="g",
       b="unbroadcast(g[index], b)", linear=("a", "b"))
