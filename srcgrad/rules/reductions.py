"""Rules for reductions: ``axis``, ``keepdims`` and ``ddof`` are never differentiated.

``axis`` may be None (everything), an int, a negative int or a tuple. Where it is a literal
None the templates spell the broadcast out; otherwise ``unreduce`` puts the reduced axes back.

- ``prod``: exact with zeros (each element gets the product of the others).
- ``max``/``min``/``amax``/``amin``: the gradient is split evenly among the elements that tie
  for the extremum (as autograd; JAX does the same for ``max``).
- ``std`` where it is zero (all elements equal, or an axis of length 1): 0, the subgradient
  with the least norm (as autograd over a length-1 axis; autograd and JAX give NaN for equal
  elements, the derivative of a square root at 0).
"""

import numpy as np

from .registry import DYNAMIC, defvjp

REDUCTION = "a, axis=None, dtype=None, out=None, keepdims=False"


def _spread(axis, keepdims, shape_a):
    """``g`` broadcast back over the reduced axes."""
    if axis is None or keepdims is True:
        return "spread(g, np.shape(a))"
    if shape_a is not DYNAMIC and keepdims is False and _axes(axis, len(shape_a)):
        return f"np.broadcast_to(np.expand_dims(g, {_axes(axis, len(shape_a))}), {shape_a!r})"
    return "unreduce(g, a, axis, keepdims)"


def _axes(axis, ndim):
    """A literal ``axis`` made non-negative (an int or a tuple, as written), or None."""
    if axis is DYNAMIC:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not axes or not all(isinstance(a, int) and -ndim <= a < ndim for a in axes):
        return None
    positive = tuple(a % ndim for a in axes)
    return positive[0] if len(positive) == 1 else positive


def _mean(axis, keepdims, shape_a):
    if axis is None and shape_a is DYNAMIC:
        # (np.divide: a mean of no elements is NaN, not a ZeroDivisionError)
        return "spread(np.divide(g, np.size(a)), np.shape(a))"
    axes = None if shape_a is DYNAMIC else _axes(axis, len(shape_a))
    if axis is None:
        axes = tuple(range(len(shape_a)))
        keepdims = True  # g is a scalar: spread it
    if axes is not None:
        count = int(np.prod([shape_a[a] for a in np.atleast_1d(axes)]))
        if count == 0:  # a mean over no elements: a has no elements either
            return f"np.zeros({shape_a!r})"
        if keepdims is True:
            return f"spread(g / {count}, {shape_a!r})"
        if keepdims is False:
            return f"np.broadcast_to(np.expand_dims(g / {count}, {axes}), {shape_a!r})"
    return "unreduce(g, a, axis, keepdims) / unreduce_count(a, axis)"


def _var(axis):
    if axis is None:
        return "2.0 * g * (a - np.mean(a)) / (np.size(a) - ddof)"
    return "var_grad(g, a, axis, ddof, keepdims)"




defvjp(np.sum, REDUCTION, reduction=True, shape_of=True, a=_spread)
defvjp(np.nansum, REDUCTION, reduction=True, shape_of=True,
       a="np.where(np.isnan(a), 0.0, unreduce(g, a, axis, keepdims))")
defvjp(np.mean, REDUCTION, reduction=True, shape_of=True, a=_mean)
defvjp(np.prod, REDUCTION, reduction=True, shape_of=True, a="prod_grad(g, a, axis, keepdims)")
for _extremum in (np.max, np.amax, np.min, np.amin):
    defvjp(_extremum, "a, axis=None, out=None, keepdims=False", reduction=True, shape_of=True,
           a="extremum_grad(g, a, ans, axis, keepdims)")
defvjp(np.var, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", reduction=True, shape_of=True,
       a=_var)
defvjp(np.std, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", reduction=True, shape_of=True,
       a="std_grad(g, a, ans, axis, ddof, keepdims)")
defvjp(np.cumsum, "a, axis=None, dtype=None, out=None", shape_of=True, a="cumsum_grad(g, a, axis)")
