"""Gradient-descent optimizers over any structure of parameters: SGD, momentum, Adam.

Parameters may be a single array or any nesting of dicts, lists and tuples (named tuples
included) of arrays: whatever you pass to your function and whatever ``grad`` gives back,
as long as the gradients have the same structure as the parameters::

    opt = Adam(lr=1e-3)
    params = (W1, b1, W2, b2)
    for x, y in batches:
        grads = loss_grad(*params, x, y)        # a tuple, in the same order
        params = opt.step(params, grads)

Each optimizer keeps its state (velocities, moment estimates) for one parameter structure;
``step`` returns new arrays and never modifies the ones it is given. A gradient of ``None``
leaves its parameter unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import SrcgradError

__all__ = ["SGD", "Adam", "Momentum", "Optimizer", "StructureError", "tree_leaves", "tree_map"]

Tree = Any  # an array, a number, None, or a dict / list / tuple of trees


class StructureError(SrcgradError, ValueError):
    """Gradients (or optimizer state) that do not have the structure of the parameters."""


# --------------------------------------------------------------------------- tree helpers


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def tree_map(fn: Callable[..., Any], tree: Tree, *rest: Tree, path: str = "params") -> Tree:
    """Apply ``fn`` leaf by leaf to ``tree`` and the trees in ``rest``, keeping the structure.

    Dicts, lists and tuples (named tuples too) are containers; anything else is a leaf.
    ``fn`` receives the leaf of ``tree`` and the corresponding leaves of ``rest``. Raises
    :class:`StructureError` if the trees do not have the same structure.
    """
    if isinstance(tree, dict):
        for other in rest:
            if not isinstance(other, dict) or set(other) != set(tree):
                raise StructureError(f"{path}: expected a dict with keys {sorted(map(str, tree))}"
                                     f", got {_describe(other)}")
        items = {k: tree_map(fn, v, *(o[k] for o in rest), path=f"{path}[{k!r}]")
                 for k, v in tree.items()}
        return type(tree)(items) if type(tree) is not dict else items
    if isinstance(tree, (list, tuple)):
        for other in rest:
            if not isinstance(other, (list, tuple)) or len(other) != len(tree):
                raise StructureError(f"{path}: expected a {type(tree).__name__} of length "
                                     f"{len(tree)}, got {_describe(other)}")
        children = [tree_map(fn, v, *(o[i] for o in rest), path=f"{path}[{i}]")
                    for i, v in enumerate(tree)]
        if _is_namedtuple(tree):
            return type(tree)(*children)
        return type(tree)(children)
    for other in rest:
        if isinstance(other, (dict, list, tuple)):
            raise StructureError(f"{path}: expected a leaf (an array), got {_describe(other)}")
    return fn(tree, *rest)


def tree_leaves(tree: Tree) -> list[Any]:
    """The leaves of ``tree`` in order (dicts in insertion order)."""
    leaves: list[Any] = []
    tree_map(leaves.append, tree)
    return leaves


def _describe(x: Any) -> str:
    if isinstance(x, dict):
        return f"a dict with keys {sorted(map(str, x))}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    return f"a {type(x).__name__}"


# --------------------------------------------------------------------------- optimizers


class Optimizer:
    """Base class: subclasses implement :meth:`update` for a single array."""

    def __init__(self, lr: float):
        if not lr > 0:
            raise ValueError(f"the learning rate must be positive, got {lr!r}")
        self.lr = lr
        self.t = 0          # number of steps taken
        self.state: Tree = None

    def init_state(self, param: np.ndarray) -> Any:
        """The state of one parameter before the first step (``None`` if stateless)."""
        return None

    def update(self, param: np.ndarray, grad: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        """One step for one array: returns ``(new_param, new_state)``."""
        raise NotImplementedError

    def step(self, params: Tree, grads: Tree) -> Tree:
        """Take one step; returns the new parameters, with the structure of ``params``."""
        if self.state is None:
            self.state = tree_map(lambda p: _Leaf(self.init_state(np.asarray(p))), params)
        self.t += 1
        # One (new parameter, new state) pair per leaf, then split into two trees.
        pairs = tree_map(self._update_leaf, params, grads, self.state)
        self.state = tree_map(lambda _, pair: _Leaf(pair[1]), params, pairs)
        return tree_map(lambda _, pair: pair[0], params, pairs)

    def reset(self) -> None:
        """Forget the state (start again from step 0)."""
        self.t = 0
        self.state = None

    def _update_leaf(self, param, grad, state):
        if not isinstance(state, _Leaf):
            raise StructureError("the optimizer state does not match these parameters; "
                                 "call reset() before using it on other parameters")
        if grad is None:
            return _Pair(param, state.value)
        if np.shape(grad) != np.shape(param):
            raise StructureError(f"a gradient of shape {np.shape(grad)} for a parameter of "
                                 f"shape {np.shape(param)}")
        new_param, new_state = self.update(param, grad, state.value)
        if isinstance(param, np.ndarray):  # keep the parameter's dtype (float32 stays float32)
            new_param = np.asarray(new_param).astype(param.dtype, copy=False)
        return _Pair(new_param, new_state)


class _Leaf:
    """A wrapper that makes one parameter's state (even a tuple) a single tree leaf."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class _Pair:
    """A (new parameter, new state) pair, kept as a single tree leaf."""

    __slots__ = ("items",)

    def __init__(self, param: Any, state: Any):
        self.items = (param, state)

    def __getitem__(self, i: int) -> Any:
        return self.items[i]


class SGD(Optimizer):
    """Plain stochastic gradient descent, ``p -= lr * g``; with ``momentum > 0``, heavy-ball
    momentum, ``v = momentum * v + g; p -= lr * v`` (``nesterov=True`` for Nesterov's).
    ``weight_decay`` adds ``weight_decay * p`` to each gradient (L2 regularisation)."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay

    def init_state(self, param):
        return np.zeros_like(param) if self.momentum else None

    def update(self, param, grad, velocity):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if not self.momentum:
            return param - self.lr * grad, None
        velocity = self.momentum * velocity + grad
        direction = grad + self.momentum * velocity if self.nesterov else velocity
        return param - self.lr * direction, velocity


class Momentum(SGD):
    """SGD with heavy-ball momentum (0.9 by default): ``SGD(lr, momentum=0.9)``."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): steps scaled by running estimates of the gradient's first
    and second moments, with bias correction."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay = weight_decay

    def init_state(self, param):
        return np.zeros_like(param), np.zeros_like(param)

    def update(self, param, grad, state):
        m, v = state
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        m = self.beta1 * m + (1 - self.beta1) * grad
        v = self.beta2 * v + (1 - self.beta2) * (grad * grad)
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        return param - self.lr * m_hat / (np.sqrt(v_hat) + self.eps), (m, v)
