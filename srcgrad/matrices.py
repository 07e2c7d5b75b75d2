"""Dense Jacobians and Hessians, column by column (forward) or row by row (reverse), from the
generated ``jvp``, ``vjp`` and ``hvp`` functions."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from .api import Wrt, hvp, jvp, vjp
from .errors import WrtError

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


def _units(arrays: list) -> list:
    """One tuple of tangents per element of the arguments: the unit vector there."""
    units = []
    for i, x in enumerate(arrays):
        for index in np.ndindex(x.shape):
            direction = [np.zeros_like(a, dtype=np.result_type(a, np.float64)) for a in arrays]
            direction[i][index] = 1.0
            units.append(tuple(d if d.ndim else float(d) for d in direction))
    return units


def _blocks(columns: list, arrays: list, out_shape: tuple, single: bool):
    """Stack per-element results (``columns[k]``: the output's derivative along element
    ``k``) into ``out_shape + x.shape`` per argument (a tuple for a tuple ``wrt``)."""
    found, start = [], 0
    for x in arrays:
        count = x.size
        block = np.stack([np.asarray(c) for c in columns[start:start + count]], axis=-1)
        found.append(block.reshape(out_shape + x.shape))
        start += count
    return found[0] if single else tuple(found)


def jacobian(f: Callable | None = None, *, wrt: Wrt = 0, mode: str = "auto") -> Any:
    """The Jacobian of a NumPy function: ``out.shape + x.shape`` per argument in ``wrt`` (a
    tuple of them for a tuple ``wrt``).

    ``mode="forward"`` pushes one tangent per input element through the generated ``jvp``;
    ``"reverse"`` pulls one cotangent per output element through the generated ``vjp``;
    ``"auto"`` picks the one with fewer passes.
    """
    if mode not in JACOBIAN_MODES:
        raise WrtError(f"mode must be one of {JACOBIAN_MODES}, got {mode!r}")

    def make(fn: Callable) -> Matrix:
        forward, backward = jvp(fn, wrt=wrt), vjp(fn, wrt=wrt)

        def build(matrix: Matrix, *args, **kwargs):
            arrays, single = _selected(fn, wrt, args, kwargs)
            out = fn(*args, **kwargs)
            out_shape = np.shape(out)
            inputs = sum(x.size for x in arrays)
            use = mode if mode != "auto" else \
                ("forward" if inputs <= max(int(np.prod(out_shape)), 1) else "reverse")
            if use == "forward":
                matrix._inner = forward
                columns = [forward(*args, **kwargs, tangent=u[0] if single else u)[1]
                           for u in _units(arrays)]
                return _blocks(columns, arrays, out_shape, single)
            matrix._inner = backward
            rows = []
            for index in np.ndindex(out_shape):
                seed = np.zeros(out_shape)
                seed[index] = 1.0
                grads = backward(*args, **kwargs, seed=seed if out_shape else 1.0)
                rows.append([grads] if single else list(grads))
            found = tuple(np.stack([np.asarray(r[i]) for r in rows]).reshape(out_shape + x.shape)
                          for i, x in enumerate(arrays))
            return found[0] if single else found

        return Matrix(fn, wrt, build, forward)

    return make if f is None else make(f)


def hessian(f: Callable | None = None, *, wrt: Wrt = 0) -> Any:
    """The dense Hessian of a scalar NumPy function: ``x.shape + x.shape``; for a tuple
    ``wrt``, a nested tuple of blocks (``H[i][j]`` of shape ``xi.shape + xj.shape``), as JAX
    gives. One Hessian-vector product (:func:`srcgrad.hvp`) per element."""
    def make(fn: Callable) -> Matrix:
        product = hvp(fn, wrt=wrt)

        def build(matrix: Matrix, *args, **kwargs):
            arrays, single = _selected(fn, wrt, args, kwargs)
            columns = [product(*args, **kwargs, vector=u[0] if single else u)
                       for u in _units(arrays)]
            if single:
                return _blocks(columns, arrays, arrays[0].shape, True)
            rows = []
            for i, xi in enumerate(arrays):  # block (i, j): d grad_i / d x_j
                part = [c[i] for c in columns]
                rows.append(_blocks(part, arrays, xi.shape, False))
            return tuple(rows)

        return Matrix(fn, wrt, build, product)

    return make if f is None else make(f)
