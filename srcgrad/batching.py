"""Run-time helpers of batched forward mode: many tangents pushed through the code at once.

:func:`srcgrad.jacobian` and :func:`srcgrad.hessian` need one tangent per input element. The
batched ``jvp``/``hvp`` code (:mod:`srcgrad.passes.forward` with a batch) carries them all in
one pass: the tangent of a value ``v`` is one array of shape ``(batch,) + np.shape(v)`` (the
same structure of those for a list, tuple or dict), while the values themselves are computed
once. Each rule's tangent is made batched in one of three ways:

- elementwise templates (``t * np.cos(x)``) read the tangent with its axes aligned to the
  result's (:func:`lifted`), and broadcasting does the rest;
- a rule may declare a batched template of its own (``Rule.batched``: ``np.sum`` over shifted
  axes, ``matmul`` with the batch as a stack of matrices), built from the helpers here;
- any other template runs once per tangent of the batch (:func:`batch_map`): still exact, only
  slower.

Generated code calls these helpers by name, as it calls those of :mod:`srcgrad.runtime`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .runtime import matmul_lhs_grad, matmul_rhs_grad, real_for, unbroadcast, zero_tangent

# -- the batch's structure ----------------------------------------------------------------------


def batch_size(tangents: Any) -> int:
    """The number of tangents in a batch: the leading axis of its first array."""
    if isinstance(tangents, dict):
        tangents = list(tangents.values())
    if isinstance(tangents, (list, tuple)):
        for item in tangents:
            found = batch_size(item)
            if found >= 0:
                return found
        return -1
    return np.shape(tangents)[0] if np.ndim(tangents) else -1


def batch_zeros(x: Any, batch: int) -> Any:
    """The batched zero tangent of a value that does not vary (see ``zero_tangent``)."""
    if isinstance(x, (list, tuple)):
        return type(x)(batch_zeros(item, batch) for item in x)
    if isinstance(x, dict):
        return {key: batch_zeros(value, batch) for key, value in x.items()}
    zero = zero_tangent(x)
    if zero is None:
        return None
    return np.zeros((batch,) + np.shape(zero), dtype=np.result_type(zero, np.float64))


def _at(t: Any, b: int) -> Any:
    """Tangent ``b`` of a batch (numbers, which do not vary along it, as they are)."""
    if isinstance(t, np.ndarray) and t.ndim:
        return t[b]
    if isinstance(t, (list, tuple)):
        return type(t)(_at(item, b) for item in t)
    if isinstance(t, dict):
        return {key: _at(value, b) for key, value in t.items()}
    return t


def _stacked(results: list) -> Any:
    """One batch from a tangent per batch position (lists, tuples and dicts item by item)."""
    first = results[0]
    if isinstance(first, (list, tuple)):
        return type(first)(_stacked([r[i] for r in results]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stacked([r[key] for r in results]) for key in first}
    if first is None:
        return None
    return np.stack([np.asarray(r) for r in results])


def batch_map(template, batch: int, *tangents: Any) -> Any:
    """``template`` (a tangent rule for one tangent) applied to each of the ``batch`` tangents
    of the batch (lists of them item by item; an empty list is the same for each)."""
    return _stacked([template(*(_at(t, b) for t in tangents)) for b in range(batch)])


# -- elementwise ----------------------------------------------------------------------------------


def lifted(t: Any, like: Any) -> Any:
    """A batched tangent with length-1 axes after the batch axis, to ``like``'s rank: so that it
    broadcasts against values of ``like``'s shape as the unbatched tangent would."""
    if not isinstance(t, np.ndarray):
        return t
    missing = np.ndim(like) - (t.ndim - 1)
    if missing <= 0:
        return t
    return t.reshape(t.shape[:1] + (1,) * missing + t.shape[1:])


def batch_like(t: Any, ans: Any) -> Any:
    """The batched tangent of an elementwise result ``ans``, broadcast to its shape."""
    t = lifted(t, ans)
    shape = t.shape[:1] + np.shape(ans)
    return t if t.shape == shape else np.broadcast_to(t, shape)


def batch_as_tangent(t: Any, value: Any, batch: int) -> Any:
    """The batched output tangent: arrays of ``(batch,) + value.shape`` in ``value``'s float
    dtype; the same structure for lists, tuples and dicts."""
    if isinstance(value, (list, tuple)):
        return type(value)(batch_as_tangent(a, v, batch) for a, v in zip(t, value))
    if isinstance(value, dict):
        return {key: batch_as_tangent(t[key], v, batch) for key, v in value.items()}
    if t is None:
        return batch_zeros(value, batch)
    t = lifted(np.asarray(t), value)
    dtype = np.result_type(t, getattr(value, "dtype", np.float64), np.float64) \
        if np.iscomplexobj(t) else getattr(value, "dtype", np.float64)
    if np.dtype(dtype).kind not in "fc":
        dtype = np.float64
    return np.broadcast_to(t, (batch,) + np.shape(value)).astype(dtype)


# -- indexing -------------------------------------------------------------------------------------


def _batch_key(index: Any) -> tuple | None:
    """``index`` with the batch axis in front (``t[(slice(None),) + index]`` picks, for each
    tangent, what ``index`` picks), or None where NumPy would move the picked axes (index
    arrays apart from each other)."""
    parts = index if isinstance(index, tuple) else (index,)
    advanced = [i for i, p in enumerate(parts)
                if isinstance(p, (list, np.ndarray)) and np.ndim(p) > 0]
    if len(advanced) > 1 or advanced and any(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in parts):
        held = [i for i, p in enumerate(parts) if i in advanced or
                isinstance(p, (int, np.integer)) and not isinstance(p, bool)]
        if held != list(range(held[0], held[-1] + 1)):
            return None
    return (slice(None),) + parts


def batch_index(t: Any, index: Any) -> Any:
    """``t[index]`` for each tangent of a batch (a list or dict of tangents: its item)."""
    if isinstance(t, (list, tuple, dict)):
        return t[index]
    key = _batch_key(index)
    if key is None:
        return np.stack([each[index] for each in t])
    return t[key]


def batch_store(t: Any, index: Any, value: Any) -> Any:
    """``t[index] = value`` for each tangent of a batch ``t`` (a number ``value``: for all of
    them); returns ``t``, changed in place."""
    if isinstance(t, (list, dict)):
        t[index] = value
        return t
    batched = isinstance(value, np.ndarray) and value.ndim > 0
    key = _batch_key(index)
    if key is None:
        for b, each in enumerate(t):
            each[index] = value[b] if batched else value
        return t
    if batched:
        value = lifted(value, t[key][0])
    t[key] = value
    return t


# -- reductions and shapes ------------------------------------------------------------------------


def batch_axis(axis: Any, t: np.ndarray) -> Any:
    """A reduction's ``axis`` for batched tangents ``t``: every axis but the batch's for
    None, the others shifted past it (none for a number, which NumPy reduces over axis 0 or
    -1 to itself)."""
    rank = t.ndim - 1
    if axis is None or not rank:
        return tuple(range(1, t.ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % rank + 1 for a in axis)
    return axis % rank + 1


def batch_reshape(t: Any, shape: Any, order: Any = "C") -> Any:
    """``np.reshape`` of each tangent of the batch."""
    if not isinstance(t, np.ndarray) or order != "C":  # (Fortran order would mix directions)
        return batch_map(lambda e: np.reshape(e, shape, order=order), batch_size(t), t)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return t.reshape(t.shape[:1] + shape)


def batch_transpose(t: Any, axes: Any = None) -> Any:
    """``np.transpose`` of each tangent of the batch."""
    if not isinstance(t, np.ndarray):
        return batch_map(lambda e: np.transpose(e, axes), batch_size(t), t)
    rank = t.ndim - 1
    order = reversed(range(rank)) if axes is None else (a % rank for a in axes)
    return np.transpose(t, (0,) + tuple(a + 1 for a in order))


# -- products -------------------------------------------------------------------------------------


def batch_matmul(x1: Any, x2: Any, batched: str) -> np.ndarray:
    """``x1 @ x2`` for each tangent of the batch in ``x1`` (``batched == "x1"``) or ``x2``:
    the batch is a stack of matrices ``matmul`` broadcasts over."""
    if not isinstance(x1 if batched == "x1" else x2, np.ndarray):
        return batch_map(lambda e: np.matmul(e, x2), batch_size(x1), x1) if batched == "x1" else \
            batch_map(lambda e: np.matmul(x1, e), batch_size(x2), x2)
    if batched == "x1":
        rank, other = np.ndim(x1) - 1, np.ndim(x2)
        if rank == 1 and other > 2:  # (k,) @ (s, k, n) is (s, n): the batch became a row
            return np.moveaxis(np.matmul(x1, x2), -2, 0)
        if rank >= 2 and other > rank:
            x1 = x1.reshape(x1.shape[:1] + (1,) * (other - rank) + x1.shape[1:])
        return np.matmul(x1, x2)
    rank, other = np.ndim(x2) - 1, np.ndim(x1)
    if rank == 1:  # x1 @ (k,): a matrix of the tangents as columns
        return np.moveaxis(np.matmul(x1, np.swapaxes(x2, 0, 1)), -1, 0)
    if other >= 2 and other > rank:
        x2 = x2.reshape(x2.shape[:1] + (1,) * (other - rank) + x2.shape[1:])
    return np.matmul(x1, x2)


def batch_matmul_lhs_grad(g: np.ndarray, x: Any, y: Any) -> np.ndarray:
    """``matmul_lhs_grad`` (the gradient of ``x`` in ``x @ y``) of each cotangent ``g`` of a
    batch; ``x`` and ``y`` do not vary."""
    x_nd, y_nd = np.ndim(x), np.ndim(y)
    if x_nd == 2 and y_nd == 2:
        return np.matmul(g, np.swapaxes(y, -1, -2))
    if x_nd == 1 and y_nd == 2:
        return real_for(np.matmul(g, np.swapaxes(y, -1, -2)), x)
    if x_nd == 2 and y_nd == 1:
        return real_for(g[..., None] * y, x)
    return np.stack([matmul_lhs_grad(each, x, y) for each in g])


def batch_matmul_rhs_grad(g: np.ndarray, x: Any, y: Any) -> np.ndarray:
    """``matmul_rhs_grad`` (the gradient of ``y`` in ``x @ y``) of each cotangent ``g`` of a
    batch; ``x`` and ``y`` do not vary."""
    x_nd, y_nd = np.ndim(x), np.ndim(y)
    if x_nd == 2 and y_nd == 2:
        return np.matmul(np.swapaxes(x, -1, -2), g)
    if x_nd == 2 and y_nd == 1:
        return real_for(np.matmul(g, x), y)
    if x_nd == 1 and y_nd == 2:
        return real_for(x[:, None] * g[:, None, :], y)
    return np.stack([matmul_rhs_grad(each, x, y) for each in g])


def batch_dot(a: Any, b: Any, batched: str) -> Any:
    """``np.dot`` for each tangent of the batch in ``a`` or ``b`` (``batched``): a matrix
    product where both are vectors or matrices, else once per direction."""
    t, other = (a, b) if batched == "a" else (b, a)
    if isinstance(t, np.ndarray) and 1 <= t.ndim - 1 <= 2 and 1 <= np.ndim(other) <= 2:
        return batch_matmul(a, b, "x1" if batched == "a" else "x2")
    if batched == "a":
        return batch_map(lambda e: np.dot(e, b), batch_size(a), a)
    return batch_map(lambda e: np.dot(a, e), batch_size(b), b)


# -- the adjoint helpers of generated gradients (hvp: forward mode over them) ---------------------


def batch_unbroadcast(t: Any, x: Any) -> Any:
    """``unbroadcast`` (a sum down to ``x``'s shape) of each tangent of the batch."""
    if not isinstance(t, np.ndarray):
        return batch_map(lambda e: unbroadcast(e, x), batch_size(t), t)
    t = real_for(t, x)
    shape = np.shape(x)
    extra = t.ndim - 1 - len(shape)
    if extra > 0:
        t = t.sum(axis=tuple(range(1, 1 + extra)))
    axes = tuple(1 + i for i, n in enumerate(shape) if n == 1 and t.shape[1 + i] != 1)
    if axes:
        t = t.sum(axis=axes, keepdims=True)
    return t.reshape(t.shape[:1] + shape)


def batch_spread(t: Any, shape: Any) -> np.ndarray:
    """``spread`` (repeated to fill ``shape``) of each tangent of the batch."""
    shape = tuple(shape)
    t = np.asarray(t)
    out = np.empty(t.shape[:1] + shape, dtype=np.result_type(t, np.float64))
    out[...] = lifted(t, out[0])
    return out


def batch_unreduce(t: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``unreduce`` (a reduction's adjoint spread back over ``x``) of each tangent."""
    shape = np.shape(x)
    if axis is not None and not keepdims and shape:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        t = np.expand_dims(t, tuple(1 + a % len(shape) for a in axes))
    return np.broadcast_to(lifted(t, x), t.shape[:1] + shape)


def batch_as_grad(t: Any, x: Any) -> Any:
    """``as_grad`` (the gradient given its argument's shape and type) of each tangent; None
    where no tangent holds an array (the output's tangent is zeros: ``batch_as_tangent``)."""
    batch = batch_size(t)
    return None if batch < 0 else batch_as_tangent(t, x, batch)


# -- reductions and shapes, also for lists of batches -------------------------------------------


def batch_reduce(reduction: Any, t: Any, axis: Any = None, dtype: Any = None,
                 keepdims: bool = False, where: Any = True) -> Any:
    """A reduction (``np.sum``, ``np.mean``) of each tangent of the batch over ``axis``."""
    if not isinstance(t, np.ndarray):
        return batch_map(lambda e: reduction(e, axis=axis, dtype=dtype, keepdims=keepdims,
                                             where=where), batch_size(t), t)
    return reduction(t, axis=batch_axis(axis, t), dtype=dtype, keepdims=keepdims, where=where)


def _shifted(axis: Any, rank: int) -> Any:
    """An axis (or axes) of an unbatched value of ``rank``, as an axis of its batch."""
    if isinstance(axis, (tuple, list)):
        return tuple(_shifted(a, rank) for a in axis)
    return axis % rank + 1 if rank else axis


def batch_moveaxis(t: Any, source: Any, destination: Any) -> Any:
    """``np.moveaxis`` of each tangent of the batch."""
    if not isinstance(t, np.ndarray):
        return batch_map(lambda e: np.moveaxis(e, source, destination), batch_size(t), t)
    rank = t.ndim - 1
    return np.moveaxis(t, _shifted(source, rank), _shifted(destination, rank))


def batch_swapaxes(t: Any, axis1: int, axis2: int) -> Any:
    """``np.swapaxes`` of each tangent of the batch."""
    if not isinstance(t, np.ndarray):
        return batch_map(lambda e: np.swapaxes(e, axis1, axis2), batch_size(t), t)
    rank = t.ndim - 1
    return np.swapaxes(t, _shifted(axis1, rank), _shifted(axis2, rank))


def batch_concatenate(t: Any, axis: Any = 0, dtype: Any = None) -> Any:
    """``np.concatenate`` of each direction's arrays: ``t`` a list of batches, one per array
    (each direction's arrays flattened first for ``axis=None``)."""
    if not isinstance(t, (list, tuple)) or not all(isinstance(e, np.ndarray) and e.ndim > 1
                                                   for e in t):
        return batch_map(lambda e: np.concatenate(e, axis, dtype=dtype), batch_size(t), t)
    if axis is None:
        return np.concatenate([e.reshape(e.shape[0], -1) for e in t], axis=1, dtype=dtype)
    return np.concatenate(t, axis=_shifted(axis, t[0].ndim - 1), dtype=dtype)


def batch_stack(t: Any, axis: int = 0, dtype: Any = None) -> Any:
    """``np.stack`` of each direction's arrays: ``t`` a list of batches, one per array."""
    if not isinstance(t, (list, tuple)) or not t or \
            not all(isinstance(e, np.ndarray) and e.ndim > 0 for e in t):
        return batch_map(lambda e: np.stack(e, axis, dtype=dtype), batch_size(t), t)
    return np.stack(t, axis=_shifted(axis, t[0].ndim), dtype=dtype)


def batch_outer(a: Any, b: Any, batched: str) -> np.ndarray:
    """``np.outer`` (of the flattened arguments) for each tangent of the batch in ``a`` or
    ``b`` (``batched``)."""
    if batched == "a":
        return np.reshape(a, (np.shape(a)[0], -1, 1)) * np.ravel(b)
    return np.ravel(a)[:, None] * np.reshape(b, (np.shape(b)[0], 1, -1))


def batch_unindex_to(t: np.ndarray, shape: Any, index: Any) -> np.ndarray:
    """``unindex_to`` (each tangent placed into zeros of ``shape`` at ``index``)."""
    zeros = np.zeros(t.shape[:1] + tuple(shape), dtype=np.result_type(t, np.float64))
    return batch_store(zeros, index, t)
