"""Gradient checking against central finite differences."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import SrcgradError


class GradientMismatchError(SrcgradError):
    """srcgrad's gradient and the finite-difference estimate disagree."""


def numerical_grad(f: Callable, args: Sequence[Any], index: int, *, kwargs: dict | None = None,
                   seed: Any = None, eps: float = 1e-6) -> Any:
    """Central-difference gradient of ``f(*args)`` with respect to ``args[index]``, in float64.

    For a non-scalar output, ``seed`` (the output's cotangent) turns it into the scalar
    ``sum(seed * f(...))``. The result has the argument's shape (a float for a float).
    """
    kwargs = kwargs or {}
    args = list(args)
    x0 = args[index]
    scalar = not isinstance(x0, np.ndarray)
    x = np.array(x0, dtype=np.float64)

    def value(xv):
        args[index] = float(xv) if scalar else xv
        fresh = copy.deepcopy(args)  # f may change its arguments in place
        out = np.asarray(f(*fresh, **copy.deepcopy(kwargs)), dtype=np.float64)
        if seed is not None:
            return float(np.sum(np.asarray(seed, dtype=np.float64) * out))
        return float(out)

    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        step = eps * max(1.0, abs(orig))
        flat[i] = orig + step
        plus = value(x.copy())
        flat[i] = orig - step
        minus = value(x.copy())
        flat[i] = orig
        gflat[i] = (plus - minus) / (2 * step)
    args[index] = x0
    return float(grad) if scalar else grad


def _positions(f: Callable, wrt) -> list[int]:
    import inspect

    names = list(inspect.signature(f).parameters)
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    return [names.index(w) if isinstance(w, str) else w for w in items]


def check_grads(f: Callable, *args: Any, wrt=0, rtol: float = 1e-5, atol: float = 1e-7,
                eps: float = 1e-6, seed: Any = None, **kwargs: Any) -> None:
    """Check srcgrad's gradient of ``f`` at ``args`` against central finite differences.

    ``wrt`` is as for :func:`srcgrad.grad` (a list too). Each evaluation of ``f`` and of its
    gradient gets copies of the arguments, so a function that changes its inputs is checked
    fairly. With ``seed``, ``f`` may have a non-scalar output and
    :func:`srcgrad.vjp` is checked instead. Raises :class:`GradientMismatchError` naming the
    worst entry when the two differ by more than ``atol + rtol * |numerical|``.
    """
    from .api import grad, vjp

    fresh = copy.deepcopy  # every evaluation gets arguments of its own: f may change them
    if seed is None:
        computed = grad(f, wrt=wrt)(*fresh(args), **fresh(kwargs))
    else:
        computed = vjp(f, wrt=wrt)(*fresh(args), seed=seed, **fresh(kwargs))
    if not isinstance(wrt, (tuple, list)):
        computed = (computed,)
    for position, got in zip(_positions(f, wrt), computed):
        expected = numerical_grad(f, args, position, kwargs=kwargs, seed=seed, eps=eps)
        got_arr = np.asarray(got, dtype=np.float64)
        exp_arr = np.asarray(expected, dtype=np.float64)
        if got_arr.shape != exp_arr.shape:
            raise GradientMismatchError(
                f"gradient for argument {position} has shape {got_arr.shape}, "
                f"expected {exp_arr.shape}")
        err = np.abs(got_arr - exp_arr) - (atol + rtol * np.abs(exp_arr))
        if np.any(err > 0):
            worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape)) \
                if err.ndim else ()
            raise GradientMismatchError(
                f"gradient for argument {position} differs from finite differences: at index "
                f"{worst} srcgrad gives {float(got_arr[worst]):.8g}, finite differences "
                f"{float(exp_arr[worst]):.8g} (rtol={rtol}, atol={atol})")
