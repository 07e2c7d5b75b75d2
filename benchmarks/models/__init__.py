"""The benchmark models: each a plain NumPy loss that srcgrad differentiates, with equivalents.

Every model module defines one :class:`Model` named ``MODEL``:

- ``loss``: the NumPy function, kept in its own file because srcgrad reads its source. autograd
  and JAX (eager and ``jax.jit``) run *the same code* with ``np`` rebound to ``autograd.numpy``
  or ``jax.numpy`` (see :func:`rebind`), unless the model gives a variant of its own.
- ``torch_loss(torch)``: the PyTorch version, written as close to the NumPy code as the two
  APIs allow (a factory, so that ``torch`` is imported only when PyTorch is benchmarked).
- ``hand_grad``: a hand-written NumPy adjoint, the "by hand" reference (where there is one).
- ``make_args(quick)``: the arguments, float64 NumPy arrays (or Python floats), seeded.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Model:
    name: str
    description: str
    loss: Callable
    wrt: tuple[str, ...]
    make_args: Callable[[bool], tuple]
    torch_loss: Callable[[Any], Callable] | None = None
    jax_loss: Callable[[Any], Callable] | None = None      # factory(jnp) -> fn; default rebind
    autograd_loss: Callable[[Any], Callable] | None = None  # factory(anp) -> fn; default rebind
    hand_grad: Callable | None = None
    # Per-tool notes (a tool that cannot run the model, a variant used for it).
    notes: dict[str, str] = field(default_factory=dict)
    # Tools to skip on this model, with the reason (e.g. a compile that takes minutes).
    skip: dict[str, str] = field(default_factory=dict)
    # Relative tolerance for comparing gradients between tools.
    rtol: float = 1e-6
    atol: float = 1e-9

    @property
    def wrt_index(self) -> tuple[int, ...]:
        import inspect
        params = list(inspect.signature(self.loss).parameters)
        return tuple(params.index(w) for w in self.wrt)


def rebind(fn: Callable, **names) -> Callable:
    """A copy of ``fn`` whose global names (``np``) are replaced by ``names``.

    This is how autograd and JAX run the very code srcgrad differentiates. Helper functions of
    the same module that ``fn`` calls are rebound alike.
    """
    glb = dict(fn.__globals__)
    glb.update(names)

    def copy(f):
        new = types.FunctionType(f.__code__, glb, f.__name__, f.__defaults__, f.__closure__)
        new.__kwdefaults__ = f.__kwdefaults__
        return new

    for key, value in list(glb.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == fn.__module__ \
                and key not in names:
            glb[key] = copy(value)
    return copy(fn)


def all_models() -> list[Model]:
    from . import adbench_lstm, gmm, lstm, lstm_dot, mlp, spring, vae
    return [m.MODEL for m in (mlp, lstm, lstm_dot, vae, spring, adbench_lstm)] + \
        [adbench_lstm.MODEL_CANONICAL, gmm.MODEL]
