"""Dense Jacobians and Hessians, column by column (forward) or row by row (reverse), from the
generated ``jvp``, ``vjp`` and ``hvp`` functions."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from .api import Gradient, Wrt, hvp, jvp, vjp
from .errors import SrcgradError, WrtError

JACOBIAN_MODES = ("auto", "forward", "reverse")


class Matrix:
    """A function made by :func:`jacobian` or :func:`hessian`; ``source`` is the generated
    code each column or row runs."""

    def __init__(self, fn: Callable, wrt: Wrt, build: Callable, inner: Any):
        functools.update_wrapper(self, fn)
        self._fn, self._wrt, self._build, self._inner = fn, wrt, build, inner

    @property
    def source(self) -> str:
        return self._inner.source

    def __call__(self, *args, **kwargs):
        return self._build(self, *args, **kwargs)


def _selected(fn: Callable, wrt: Wrt, args: tuple, kwargs: dict) -> tuple[list, bool]:
    """The arguments ``wrt`` selects (as arrays), and whether a single one was asked for."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    names = list(bound.arguments)
    single = not isinstance(wrt, (tuple, list))
    picked = []
    items: list[int | str] = [cast(int | str, wrt)] if single else \
        list(cast(Sequence[int | str], wrt))
    for item in items:  # (names and ranges were checked by the generated functions already)
        key = item if isinstance(item, str) else names[item]
        value = bound.arguments[key]
        if not isinstance(value, (np.ndarray, float, np.floating)):
            raise WrtError(f"jacobian and hessian need float arrays or numbers as the "
                           f"arguments in wrt; {key!r} is {type(value).__name__}")
        picked.append(np.asarray(value))
    return picked, single


#: The most directions one batched pass carries (each intermediate tangent holds this many
#: copies of its value's shape).
MAX_BATCH = 128


def _unit_batches(arrays: list, single: bool):
    """The unit tangents, one per element of the arguments, in batches of at most
    :data:`MAX_BATCH`: per argument, an array of ``(count,) + x.shape`` (a tuple of them for a
    tuple ``wrt``)."""
    sizes = [x.size for x in arrays]
    total = sum(sizes)
    for start in range(0, total, MAX_BATCH):
        stop = min(start + MAX_BATCH, total)
        parts, offset = [], 0
        for x, size in zip(arrays, sizes):
            part = np.zeros((stop - start, size), dtype=np.result_type(x, np.float64))
            rows = np.arange(max(start, offset), min(stop, offset + size))
            part[rows - start, rows - offset] = 1.0
            parts.append(part.reshape((stop - start,) + x.shape))
            offset += size
        yield parts[0] if single else tuple(parts)


def _columns(results: list, arrays: list, out_shape: tuple, single: bool):
    """Batched results (``(count,) + out_shape``, one per element of the arguments, chunk by
    chunk) as ``out_shape + x.shape`` per argument."""
    whole = np.concatenate([np.asarray(r).reshape((-1,) + out_shape) for r in results])
    found, start = [], 0
    for x in arrays:
        block = np.moveaxis(whole[start:start + x.size], 0, -1)
        found.append(block.reshape(out_shape + x.shape))
        start += x.size
    return found[0] if single else tuple(found)


def _copied(value: Any) -> Any:
    """``value`` with every array in it copied (through lists, tuples and dicts)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value


def _directions(batch, single: bool):
    """The unit tangents of a batch (see :func:`_unit_batches`), one at a time."""
    parts = [batch] if single else list(batch)
    for k in range(len(parts[0])):
        yield parts[0][k] if single else tuple(p[k] for p in parts)


def _stacked(results: list, single: bool):
    """Results of one direction each, as a batched function returns them: one array with a
    leading axis of directions (a tuple of them where each result is a tuple)."""
    if single:
        return np.stack([np.asarray(r) for r in results])
    return tuple(np.stack([np.asarray(r) for r in part]) for part in zip(*results))


def _batched(batched: Callable, looped: Callable, fallback: list) -> Callable:
    """Run ``batched``; where it cannot be made or run (``fallback[0]`` set since), ``looped``,
    one direction at a time. Both give the same numbers: the batch only runs them at once."""
    def run(*args, **kwargs):
        if not fallback[0]:
            try:
                return batched(*args, **kwargs)
            except (SrcgradError, ValueError, TypeError, IndexError):  # (shapes it cannot batch)
                fallback[0] = True
        return looped(*args, **kwargs)
    return run


def _batched_or_not(fn: Callable, wrt: Wrt, mode: str, unbatched: Callable) -> tuple:
    """The batched function of ``mode`` and the flag that sends calls to the loop instead
    (set where it cannot be made: the unbatched one is then made now, raising any refusal
    where the user asked for the matrix)."""
    try:
        return Gradient(fn, wrt, mode), [False]
    except SrcgradError:
        unbatched()
        return None, [True]


def jacobian(f: Callable | None = None, *, wrt: Wrt = 0, mode: str = "auto") -> Any:
    """The Jacobian of a NumPy function: ``out.shape + x.shape`` per argument in ``wrt`` (a
    tuple of them for a tuple ``wrt``).

    ``mode="forward"`` pushes one tangent per input element through the generated ``jvp``,
    in batches (a leading axis on every tangent; see :mod:`srcgrad.batching`); ``"reverse"``
    pulls one cotangent per output element through the generated ``vjp``; ``"auto"`` picks
    forward where the inputs are no more than the outputs.
    """
    if mode not in JACOBIAN_MODES:
        raise WrtError(f"mode must be one of {JACOBIAN_MODES}, got {mode!r}")

    def make(fn: Callable) -> Matrix:
        made: dict[str, Any] = {}  # the unbatched jvp and the vjp, made when first needed

        def generated(kind: str, entry: Callable) -> Any:
            if kind not in made:
                made[kind] = entry(fn, wrt=wrt)
            return made[kind]

        batched, fallback = _batched_or_not(fn, wrt, "jvp_batched",
                                            lambda: generated("jvp", jvp))

        def build(matrix: Matrix, *args, **kwargs):
            arrays, single = _selected(fn, wrt, args, kwargs)
            out_shape = np.shape(fn(*_copied(args), **_copied(kwargs)))  # (fn may write into
            # its arguments: the caller's stay as they are, as the generated code keeps them)
            inputs = sum(x.size for x in arrays)
            use = mode if mode != "auto" else \
                ("forward" if inputs <= max(int(np.prod(out_shape)), 1) else "reverse")
            if use == "forward":
                def each_batch(units):
                    matrix._inner = batched
                    return batched(*args, **kwargs, tangents=units)[1]

                def one_by_one(units):
                    forward = matrix._inner = generated("jvp", jvp)
                    return _stacked([forward(*args, **kwargs, tangent=d)[1]
                                     for d in _directions(units, single)], True)
                run = _batched(each_batch, one_by_one, fallback)
                return _columns([run(u) for u in _unit_batches(arrays, single)], arrays,
                                out_shape, single)
            backward = matrix._inner = generated("vjp", vjp)
            rows = []
            for index in np.ndindex(out_shape):
                seed = np.zeros(out_shape)
                seed[index] = 1.0
                grads = backward(*args, **kwargs, seed=seed if out_shape else 1.0)
                rows.append([grads] if single else list(grads))
            found = tuple(np.stack([np.asarray(r[i]) for r in rows]).reshape(out_shape + x.shape)
                          for i, x in enumerate(arrays))
            return found[0] if single else found

        return Matrix(fn, wrt, build, batched or generated("jvp", jvp))

    return make if f is None else make(f)


def hessian(f: Callable | None = None, *, wrt: Wrt = 0) -> Any:
    """The dense Hessian of a scalar NumPy function: ``x.shape + x.shape``; for a tuple
    ``wrt``, a nested tuple of blocks (``H[i][j]`` of shape ``xi.shape + xj.shape``), as JAX
    gives. Hessian-vector products (:func:`srcgrad.hvp`) of every unit vector, in batches (see
    :mod:`srcgrad.batching`)."""
    def make(fn: Callable) -> Matrix:
        made: list = []  # the unbatched hvp, made when first needed

        def unbatched() -> Any:
            if not made:
                made.append(hvp(fn, wrt=wrt))
            return made[0]

        batched, fallback = _batched_or_not(fn, wrt, "hvp_batched", unbatched)

        def build(matrix: Matrix, *args, **kwargs):
            arrays, single = _selected(fn, wrt, args, kwargs)

            def each_batch(units):
                matrix._inner = batched
                return batched(*args, **kwargs, vectors=units)

            def one_by_one(units):
                product = matrix._inner = unbatched()
                return _stacked([product(*args, **kwargs, vector=d)
                                 for d in _directions(units, single)], single)
            run = _batched(each_batch, one_by_one, fallback)
            found = [run(u) for u in _unit_batches(arrays, single)]
            if single:
                return _columns(found, arrays, arrays[0].shape, True)
            return tuple(_columns([f[i] for f in found], arrays, xi.shape, False)
                         for i, xi in enumerate(arrays))  # block (i, j): d grad_i / d x_j

        return Matrix(fn, wrt, build, batched or unbatched())

    return make if f is None else make(f)
