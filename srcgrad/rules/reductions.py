"""Rules for reductions: ``axis``, ``keepdims`` and ``ddof`` are never differentiated.

``axis`` may be None (everything), an int, a negative int or a tuple. Where it is a literal
None the templates spell the broadcast out; otherwise ``unreduce`` puts the reduced axes back.

- ``prod`` and ``cumprod``: exact with zeros (each element gets the product of the others;
  autograd gives NaN there).
- ``max``/``min``/``amax``/``amin``: the gradient is split evenly among the elements that tie
  for the extremum (as autograd; JAX does the same for ``max``).
- ``where=``: elements left out get no gradient; ``initial=`` gets the gradient of a result no
  element reaches (of every result, for ``sum``).
- ``nan*`` reductions: NaNs get no gradient (``nanmax`` of a slice of NaNs: NaN).
- ``quantile``/``percentile``/``median``: the gradient goes to the one or two sorted values the
  result interpolates, tied values ordered as a stable sort orders them (as JAX); where
  ``q (n - 1)`` is an integer (a kink in ``q``), ``q``'s is the slope above it.
- ``std`` where it is zero (all elements equal, or an axis of length 1): 0, the subgradient
  with the least norm (as autograd over a length-1 axis; autograd and JAX give NaN for equal
  elements, the derivative of a square root at 0).

Forward mode: ``sum``, ``mean`` and ``cumsum`` are linear; the other reductions' tangents are
``t`` times their gradient, summed over the axis, so where they have none (ties, kinks) tangents
take the same subgradient as adjoints (``<J v, u> = <v, J^T u>``).
"""

import re

import numpy as np

from ..errors import NonDifferentiableError
from .registry import DYNAMIC, defbatch, defjvp, defvjp

REDUCTION = "a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True"
EXTREMUM = "a, axis=None, out=None, keepdims=False, initial=None, where=True"
MOMENT = ("a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None, "
          "correction=None")


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


def _mean_all(axis, keepdims, shape_a):
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


def _moment(helper, nan=False):
    """The template of ``var`` (``helper``: ``"var_grad(g, a"``) or ``std`` (``"std_grad(g, a,
    ans"``), or of their ``nan`` versions."""
    def template(axis, where, mean, correction):
        return _moment_text(helper, nan, axis, where, mean, correction)
    return template


def _moment_tangent(helper, nan=False):
    """The tangent template of ``var`` or ``std`` (or their ``nan`` versions): ``t`` times
    their gradient (``helper`` with ``g`` for ones), summed over the axis."""
    def template(axis, where, mean, correction):
        return _summed(_moment_text(helper, nan, axis, where, mean, correction), nan)
    return template


def _summed(adjoint, nan=False):
    """The tangent of a reduction from the text of its adjoint: ``t`` times the adjoint of
    ones (each result's derivatives in the elements of ``a`` it reduces), summed over the
    axis (its real part for a real result). Where no derivative exists (ties) it takes the
    adjoint's subgradient. ``nan``: a ``nan*`` reduction, which leaves NaNs out, leaves out
    their tangents too (a NaN's tangent may be NaN: ``0 * nan`` would be)."""
    partials = re.sub(r"\bg\b", "np.ones_like(ans)", adjoint)  # (a real result of complex
    t = "np.where(np.isnan(a), 0.0, t)" if nan else "t"  # values: real)
    return f"real_for(np.sum({t} * {partials}, axis=axis, keepdims=keepdims), ans)"


def _moment_text(helper, nan, axis, where, mean, correction):
    if mean is not None and mean is not DYNAMIC:
        raise NonDifferentiableError("np.var and np.std with mean= have no gradient rule",
                                     fix="leave the mean out: NumPy computes it")
    ddof = {None: "ddof", DYNAMIC: "(ddof if correction is None else correction)"}.get(
        correction, "correction")
    if nan:
        where = "np.logical_and(where, ~np.isnan(a))"
    elif axis is None and where is True and mean is None and helper.startswith("var"):
        return f"2.0 * np.real(g) * np.conj(a - np.mean(a)) / (np.size(a) - {ddof})"
    else:
        where = "True" if where is True else "where"
    return f"{helper}, axis, {ddof}, keepdims, {where}{', mean' if mean is DYNAMIC else ''})"


def _sum(axis, keepdims, shape_a, where):
    if where is True:
        return _spread(axis, keepdims, shape_a)
    return "np.where(where, unreduce(g, a, axis, keepdims), 0.0)"


def _extremum(initial, where):
    if initial is None and where is True:
        return "extremum_grad(g, a, ans, axis, keepdims)"
    return "extremum_where_grads(g, a, ans, axis, keepdims, where)[0]"


def _extremum_tangent(initial, where):
    # ties share the tangent as they share the gradient: its mean over them
    return _summed(_extremum(initial, where))


#: The tangent of an extremum's ``initial``: ``t`` where no element reaches the result.
EXTREMUM_INITIAL = ("t * (1.0 - np.sum(extremum_where_grads(np.ones_like(ans), a, ans, axis, "
                    "keepdims, where)[0], axis=axis, keepdims=keepdims))")


def _mean(axis, keepdims, shape_a, where):
    if where is True:
        return _mean_all(axis, keepdims, shape_a)
    return "mean_where_grad(g, a, axis, keepdims, where)"


def _times_initial(initial) -> str:
    """The adjoint of a product's factors: ``g``, times ``initial`` where one is given (it is
    one more factor of every product)."""
    if initial is None:
        return "g"
    return "(g if initial is None else g * initial)" if initial is DYNAMIC else "(g * initial)"


def _prod(where, initial):
    g = _times_initial(initial)
    if where is True:
        return f"prod_grad({g}, a, axis, keepdims)"
    return f"np.where(where, prod_grad({g}, np.where(where, a, 1.0), axis, keepdims), 0.0)"


def _prod_tangent(where, initial):
    return _summed(_prod(where, initial))


def _nanprod(initial):
    return ("np.where(np.isnan(a) | ~np.asarray(where), 0.0, "
            f"prod_grad({_times_initial(initial)}, np.where(np.isnan(a) | ~np.asarray(where), "
            "1.0, a), axis, keepdims))")


def _nanprod_tangent(initial):
    return _summed(_nanprod(initial), nan=True)


defvjp(np.sum, REDUCTION, reduction=True, shape_of=True, a=_sum, initial="np.sum(g)",
       linear="a, initial")
defvjp(np.nansum, REDUCTION, reduction=True, shape_of=True, initial="np.sum(g)",
       a="np.where(np.isnan(a), 0.0, np.where(where, unreduce(g, a, axis, keepdims), 0.0))",
       tangents={"a": "np.sum(np.where(np.isnan(a), 0.0, t), axis=axis, dtype=dtype, "
                      "keepdims=keepdims, where=where)",
                 "initial": "np.full_like(ans, t)"})
defvjp(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False, *, where=True",
       reduction=True, shape_of=True, a=_mean, linear="a")
defvjp(np.nanmean, "a, axis=None, dtype=None, out=None, keepdims=False, *, where=True",
       reduction=True, shape_of=True,
       a="mean_where_grad(g, a, axis, keepdims, np.logical_and(where, ~np.isnan(a)))",
       tangents={"a": _summed("mean_where_grad(g, a, axis, keepdims, "
                              "np.logical_and(where, ~np.isnan(a)))", nan=True)})
# initial is one more factor of every product: its derivative, the product of the others.
defvjp(np.prod, REDUCTION, reduction=True, shape_of=True, a=_prod,
       initial="np.sum(g * np.prod(a, axis=axis, keepdims=keepdims, where=where))",
       tangents={"a": _prod_tangent,
                 "initial": "t * np.prod(a, axis=axis, keepdims=keepdims, where=where)"})
defvjp(np.nanprod, REDUCTION, reduction=True, shape_of=True, a=_nanprod,
       initial="np.sum(g * np.nanprod(a, axis=axis, keepdims=keepdims, where=where))",
       tangents={"a": _nanprod_tangent,
                 "initial": "t * np.nanprod(a, axis=axis, keepdims=keepdims, where=where)"})
for _extremum_fn in (np.max, np.amax, np.min, np.amin):
    defvjp(_extremum_fn, EXTREMUM, reduction=True, shape_of=True, a=_extremum,
           initial="extremum_where_grads(g, a, ans, axis, keepdims, where)[1]",
           tangents={"a": _extremum_tangent, "initial": EXTREMUM_INITIAL})
for _extremum_fn in (np.nanmax, np.nanmin):  # (NaNs never tie for the result)
    defvjp(_extremum_fn, EXTREMUM, reduction=True, shape_of=True,
           a="extremum_where_grads(g, a, ans, axis, keepdims, where)[0]",
           initial="extremum_where_grads(g, a, ans, axis, keepdims, where)[1]",
           tangents={"a": _summed("extremum_where_grads(g, a, ans, axis, keepdims, where)[0]",
                                  nan=True),
                     "initial": EXTREMUM_INITIAL})
for _moment_fn, _helper, _nan in ((np.var, "var_grad(g, a", False),
                                   (np.nanvar, "var_grad(g, a", True),
                                   (np.std, "std_grad(g, a, ans", False),
                                   (np.nanstd, "std_grad(g, a, ans", True)):
    defvjp(_moment_fn, MOMENT, reduction=True, shape_of=True, a=_moment(_helper, _nan),
           tangents={"a": _moment_tangent(_helper, _nan)})
defvjp(np.cumsum, "a, axis=None, dtype=None, out=None", shape_of=True, a="cumsum_grad(g, a, axis)",
       linear="a")
defvjp(np.nancumsum, "a, axis=None, dtype=None, out=None", shape_of=True,
       a="np.where(np.isnan(a), 0.0, cumsum_grad(g, a, axis))",
       tangents={"a": "np.cumsum(np.where(np.isnan(a), 0.0, t), axis=axis, dtype=dtype)"})
defvjp(np.cumprod, "a, axis=None, dtype=None, out=None", shape_of=True,
       a="cumprod_grad(g, a, axis)", tangents={"a": "cumprod_tangent(t, a, axis)"})
defvjp(np.nancumprod, "a, axis=None, dtype=None, out=None", shape_of=True,
       a="np.where(np.isnan(a), 0.0, cumprod_grad(g, np.where(np.isnan(a), 1.0, a), axis))",
       tangents={"a": "cumprod_tangent(np.where(np.isnan(a), 0.0, t), "
                      "np.where(np.isnan(a), 1.0, a), axis)"})
defvjp(np.ptp, "a, axis=None, out=None, keepdims=False", reduction=True, shape_of=True,
       a="extremum_grad(g, a, np.max(a, axis=axis, keepdims=keepdims), axis, keepdims) - "
         "extremum_grad(g, a, np.min(a, axis=axis, keepdims=keepdims), axis, keepdims)",
       tangents={"a": _summed(
           "(extremum_grad(g, a, np.max(a, axis=axis, keepdims=keepdims), axis, keepdims) - "
           "extremum_grad(g, a, np.min(a, axis=axis, keepdims=keepdims), axis, keepdims))")})



def _average(text):
    def template(returned):
        if returned is True:
            raise NonDifferentiableError("np.average(..., returned=True) has no gradient rule",
                                         fix="compute the sum of the weights with np.sum")
        return text
    return template


def _average_shape(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The shape of a mean (weights of zeros would make ``np.average`` fail)."""
    return np.mean(a, axis=axis, keepdims=keepdims)


defvjp(np.average, "a, axis=None, weights=None, returned=False, *, keepdims=False",
       reduction=True, shape_of=_average_shape,
       a=_average("average_grads(g, a, axis, weights, keepdims)[0]"),
       weights=_average("average_grads(g, a, axis, weights, keepdims)[1]"),
       tangents={"a": _average("np.average(t, axis, weights, keepdims=keepdims)"),
                 "weights": _average("average_weights_tangent(t, a, weights, axis, keepdims)")})

# Quantiles (q as a fraction, a percentage, or 1/2 for the median).
QUANTILE = "a, q, axis=None, out=None, overwrite_input=False, method='linear', keepdims=False, " \
           "*, weights=None"


def _quantile(which, scale=""):
    """The template of ``a`` (``which`` 0) or ``q`` (1) of a quantile; ``scale`` turns ``q``
    into a fraction (``" / 100.0"`` for a percentile)."""
    def template(weights):
        grads = f"quantile_grads(g, a, {_scaled(scale)}, axis, method, keepdims)[{which}]"
        return _weighted_or(grads + scale if which else grads, "a" if which == 0 else "q",
                            weights)
    return template


def _weighted_or(unweighted, param, weights):
    """A quantile's template for ``param`` given the template without ``weights=``: with
    weights (``method="inverted_cdf"``, NumPy >= 2.0) the result is one of ``a``'s elements,
    which gets its gradient; ``q`` and the weights (:data:`_WEIGHTS`) get none (the result is
    a step function of them)."""
    weighted = {"a": "picked_quantile_grad(g, a, ans, axis)", "q": "0.0 * np.asarray(q)"}[param]
    if weights is None:
        return unweighted
    return weighted if weights is not DYNAMIC else f"({unweighted} if weights is None else " \
                                                   f"{weighted})"


_WEIGHTS = "0.0 * np.asarray(weights)"
defvjp(np.quantile, QUANTILE, reduction=True, shape_of=True,
       a=_quantile(0), q=_quantile(1), weights=_WEIGHTS)
defvjp(np.percentile, QUANTILE, reduction=True, shape_of=True,
       a=_quantile(0, " / 100.0"), q=_quantile(1, " / 100.0"),
       weights=_WEIGHTS)
defvjp(np.median, "a, axis=None, out=None, overwrite_input=False, keepdims=False",
       reduction=True, shape_of=True, a="quantile_grads(g, a, 0.5, axis, 'linear', keepdims)[0]")


# Quantiles skipping NaNs (NaNs get no gradient; a slice of NaNs gives none), and the forward
# mode of every quantile: the tangents of the one or two sorted values a result interpolates.

def _scaled(scale: str) -> str:
    """The quantiles ``q`` as fractions (``np.percentile``'s, a list or tuple too, over 100)."""
    return f"np.asarray(q){scale}" if scale else "q"


def _nan_quantile(which, scale=""):
    """As :func:`_quantile`, for ``np.nanquantile`` (``np.nanpercentile`` with ``scale``)."""
    def template(weights):
        grads = f"nan_quantile_grads(g, a, {_scaled(scale)}, axis, method, keepdims)[{which}]"
        return _weighted_or(grads + scale if which else grads, "a" if which == 0 else "q",
                            weights)
    return template


def _quantile_tangent(param, scale="", skip_nan=False):
    """The tangent template of ``a`` or ``q`` of a quantile (see :func:`_quantile`)."""
    def template(weights):
        t = "t" + scale if param == "q" else "t"
        plain = f"nan_quantile_tangent({t}, a, {_scaled(scale)}, ans, axis, method, {param!r}, " \
                f"{skip_nan})"
        weighted = "picked_quantile_tangent(t, a, ans, axis)" if param == "a" \
            else "np.zeros_like(ans)"
        if weights is None:
            return plain
        return weighted if weights is not DYNAMIC else \
            f"({plain} if weights is None else {weighted})"
    return template


def _quantile_tangents(scale="", skip_nan=False):
    return {"a": _quantile_tangent("a", scale, skip_nan),
            "q": _quantile_tangent("q", scale, skip_nan), "weights": "np.zeros_like(ans)"}


MEDIAN = "a, axis=None, out=None, overwrite_input=False, keepdims=False"
defvjp(np.nanquantile, QUANTILE, reduction=True, shape_of=True,
       a=_nan_quantile(0), q=_nan_quantile(1), weights=_WEIGHTS,
       tangents=_quantile_tangents(skip_nan=True))
defvjp(np.nanpercentile, QUANTILE, reduction=True, shape_of=True,
       a=_nan_quantile(0, " / 100.0"), q=_nan_quantile(1, " / 100.0"), weights=_WEIGHTS,
       tangents=_quantile_tangents(" / 100.0", skip_nan=True))
defvjp(np.nanmedian, MEDIAN, reduction=True, shape_of=True,
       a="nan_quantile_grads(g, a, 0.5, axis, 'linear', keepdims)[0]",
       tangents={"a": "nan_quantile_tangent(t, a, 0.5, ans, axis, 'linear', 'a', True)"})
defjvp(np.quantile, **_quantile_tangents())
defjvp(np.percentile, **_quantile_tangents(" / 100.0"))
defjvp(np.median, a="nan_quantile_tangent(t, a, 0.5, ans, axis, 'linear', 'a', False)")

# The cumulative sum and product of the array API (NumPy >= 2.1), which may start with the
# initial value (0 or 1: no gradient).
if hasattr(np, "cumulative_sum"):
    CUMULATIVE = "x, /, *, axis=None, dtype=None, out=None, include_initial=False"
    defvjp(np.cumulative_sum, CUMULATIVE, shape_of=True, linear="x",
           x="cumulative_grad(g, x, axis, include_initial)")
    defvjp(np.cumulative_prod, CUMULATIVE, shape_of=True,
           x="cumulative_grad(g, x, axis, include_initial, product=True)",
           tangents={"x": "cumulative_prod_tangent(t, x, axis, include_initial)"})

# Batched tangents (srcgrad.batching): the sum over the same axes of each direction.
defbatch(np.sum, a="batch_reduce(np.sum, t, axis, dtype, keepdims, where)",
         initial="batch_like(t, ans)")
defbatch(np.mean, a="batch_reduce(np.mean, t, axis, dtype, keepdims, where)")
