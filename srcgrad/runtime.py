"""The few helpers generated gradient code calls.

Each helper is self-contained (it needs only NumPy), so that :func:`srcgrad.export` can copy
its source into a standalone module. Keep them small and keep them here.
"""

from __future__ import annotations

import numpy as np

from .errors import CotangentShapeError, NonDifferentiableError, NonScalarOutputError


class declare:  # (a decorator, named like one)
    """What the passes may rely on about a helper (generated code never reads it):

    - ``fresh``: the result is a new array nobody else references (an adjoint holding it may
      be added to in place);
    - ``fresh_if="g"``: the result is the argument ``g`` itself or a new array: fresh where
      ``g`` is;
    - ``sums_down=("g", "x")``: the result is ``g`` summed down to the shape of ``x`` (``g``
      itself where the shapes agree);
    - ``shape_only=("x", "other")``: the helper reads only the shape of ``x``, and the helper
      ``other`` is the same one taking that shape (``np.shape(x)``) in the place of ``x``.

    An exported module copies the helpers without these lines.
    """

    def __init__(self, *, fresh=False, fresh_if=None, sums_down=None, shape_only=None):
        self.fresh = fresh
        self.fresh_if = fresh_if
        self.sums_down = sums_down
        self.shape_only = shape_only

    def __call__(self, helper):
        helper.declared = self
        return helper

    @staticmethod
    def of(helper):
        """What is declared about ``helper``, or None."""
        return getattr(helper, "declared", None)


@declare(fresh_if="g", sums_down=("g", "x"), shape_only=("x", "unbroadcast_to"))
def unbroadcast(g, x):
    """Sum the gradient ``g`` down to the shape of ``x``, undoing NumPy broadcasting; the real
    part of a complex ``g`` for a real ``x`` (see :func:`real_for`)."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape:
        return g if g.dtype.kind != "c" or x.dtype.kind == "c" else g.real  # the common case
    g = unbroadcast_to(real_for(g, x), np.shape(x))
    if not isinstance(x, np.ndarray) and np.ndim(g) == 0 and isinstance(g, np.ndarray):
        return g[()]
    return g


@declare(fresh_if="g")
def unbroadcast_to(g, shape):
    """Sum the gradient ``g`` down to ``shape``, undoing NumPy broadcasting."""
    if (g.shape if type(g) is np.ndarray else np.shape(g)) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def real_for(g, x):
    """``g``, the adjoint of ``x``, or its real part where ``g`` is complex and ``x`` real.

    Complex cotangents follow JAX's and autograd's convention: ``g`` stands for the real
    linear map ``dz -> Re(g dz)``, so a holomorphic function's adjoint is ``g f'(z)`` (no
    conjugate). Restricted to real ``dz``, that map is ``Re(g) dz``: a real argument's adjoint
    is the real part.
    """
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        return np.real(g)
    return g


def unsum(g, items):
    """The gradient of the items of Python's ``sum(items)``: ``g`` for each."""
    if isinstance(items, (list, tuple)):
        return [unbroadcast(g, item) for item in items]
    return spread(g, np.shape(items))


def _chosen_position(items, ans, key):
    """Where Python's ``max(items)``/``min(items)`` found its result ``ans``: the first item
    that is it (or, for an array's elements, equal to it; with ``key``, of equal key)."""
    for i, item in enumerate(items):
        if item is ans:
            return i
    rank = (lambda v: v) if key is None else key
    wanted = rank(ans)
    for i, item in enumerate(items):
        value = rank(item)
        if value == wanted or _is_nan(value) and _is_nan(wanted):  # (NaN is NaN's max)
            return i
    raise ValueError("max/min: the result is none of the items")


def _is_nan(value):
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def choice_grad(g, items, ans, key=None):
    """The gradient of the items of Python's ``max(items)``/``min(items)``: all of ``g`` to
    the item it returned (a list of gradients, None where zero; an array for an array)."""
    position = _chosen_position(items, ans, key)
    if isinstance(items, (list, tuple)):
        grads = [None] * len(items)
        grads[position] = g
        return grads
    dx = np.zeros(np.shape(items), dtype=np.result_type(g, np.asarray(items).dtype, 1.0))
    dx[position] = g
    return dx


def choice_tangent(t, items, ans, key=None):
    """The tangent of Python's ``max(items)``/``min(items)``: that of the item it returned
    (``t`` holds the items' tangents)."""
    return t[_chosen_position(items, ans, key)]


def dict_keys(d):
    """``list(d.keys())``: the keys of a dict, in order."""
    return list(d.keys())


def dict_values(d):
    """``list(d.values())``: the values of a dict, in order."""
    return list(d.values())


def dict_of_pairs(pairs):
    """``{k: v for ...}``: the dict of a list of (key, value) pairs (a later key wins)."""
    return dict(pairs)


def dict_of_pairs_grad(g, pairs):
    """The gradient of ``pairs`` in ``dict(pairs)``: for each pair, (None, the gradient of its
    key in ``g``), or (None, None) for a pair a later one with its key replaced."""
    last = {key: i for i, (key, _) in enumerate(pairs)}
    return [(None, g.get(key)) if last[key] == i else (None, None)
            for i, (key, _) in enumerate(pairs)]


def dict_of_pairs_tangent(t, pairs):
    """The tangent of ``dict(pairs)``: each key's value's tangent (``t`` holds the pairs'
    tangents; a key has none)."""
    return dict_of_pairs([(key, None if pair is None else pair[1])
                          for (key, _), pair in zip(pairs, t)])


def dict_values_grad(g, d):
    """The gradient of ``d`` in ``list(d.values())``: a dict of the values' gradients."""
    return {key: grad for key, grad in zip(d, g) if grad is not None}


def values_in_order(g, d):
    """The values of the dict ``g`` (None where it lacks a key, or for a None ``g``) in the
    order of ``d``'s keys: the gradient of ``g`` in ``dict_values_grad(g, d)``."""
    return None if g is None else [g.get(key) for key in d]


def _float_dtype(*values):
    """The float dtype of ``values`` (float64 for integers and booleans): NumPy 2's
    ``np.result_type(*values, 1.0)``, also on NumPy 1.x, where the Python float would make a
    float32 scalar float64."""
    dtype = np.result_type(*values) if values else np.dtype(np.float64)
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


@declare(fresh=True)
def spread(g, shape):
    """``g`` repeated to fill ``shape`` (like ``np.broadcast_to``, in an array of its own)."""
    out = np.empty(shape, dtype=_float_dtype(g))
    out[...] = g
    return out


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the gradient of a reduction over ``axis`` back to the shape of ``x``."""
    shape = np.shape(x)
    if axis is not None and not keepdims and shape:  # (a number reduced is itself)
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def unreduce_count(x, axis=None):
    """How many elements of ``x`` each result of a reduction over ``axis`` summarises."""
    shape = np.shape(x)
    if axis is None or not shape:
        return int(np.prod(shape))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


def unreduce_like(ans, x, axis=None, keepdims=False):
    """The result of a reduction, with the reduced axes put back, for comparing with ``x``."""
    if axis is not None and not keepdims and np.ndim(x):
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        ans = np.expand_dims(ans, tuple(a % np.ndim(x) for a in axes))
    return ans


def _is_basic_index(index):
    if isinstance(index, tuple):
        return all(_is_basic_index(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (int, np.integer, slice))


@declare(fresh=True)
def unindex(g, x, index):
    """The gradient of ``x[index]``: ``g`` scattered into zeros shaped like ``x``.

    For a list, tuple or dict ``x`` it is a list (a dict) of gradients, None where zero.
    """
    if isinstance(x, (list, tuple)):
        dx = [None] * len(x)
        dx[index] = g
        return dx
    if isinstance(x, dict):
        return {index: g}
    dx = np.zeros(np.shape(x), dtype=np.result_type(g, np.asarray(x).dtype))
    return add_at(dx, index, g)


def unindex_list(g, length, index):
    """The gradient of ``x[index]`` for a list ``x`` of ``length`` items: a list of gradients,
    None where zero."""
    dx = [None] * length
    dx[index] = g
    return dx


@declare(fresh=True)
def unindex_to(g, shape, index):
    """The gradient of ``x[index]`` for an array ``x`` of ``shape`` and an index of integers
    and slices (no element picked twice): ``g`` placed into zeros."""
    dx = np.zeros(shape, dtype=_float_dtype(g))
    dx[index] = g
    return dx


@declare(fresh_if="dx")
def add_at(dx, index, g):
    """Add ``g`` into ``dx[index]`` in place, summing over repeated indices; returns ``dx``."""
    if isinstance(dx, (list, dict)):
        dx[index] = add_grads(dx[index] if isinstance(dx, list) else dx.get(index), g)
    elif _is_basic_index(index):
        dx[index] += g
    else:
        np.add.at(dx, index, g)
    return dx


def pop_slot(dx, index, x=None):
    """``dx[index]``, copied, and then zeroed in ``dx``: the adjoint of a slot a write filled
    (see :func:`slot_value`)."""
    g = slot_value(dx, index, x)
    dx[index] = 0
    return g


def slot_value(dx, index, x=None):
    """``dx[index]``, copied: the adjoint of a slot a write filled. Where an index names an
    element twice (``y[[0, 0]] = v``), the last write wins: the earlier ones get no gradient;
    none either where ``x``, the array written, holds integers or booleans (the values written
    were cast to them)."""
    g = np.copy(dx[index])
    if x is not None and np.asarray(x).dtype.kind not in "fc":
        g = np.zeros_like(g)
    if not _is_basic_index(index):
        order = np.arange(g.size).reshape(g.shape)
        last = np.full(np.shape(dx), -1)
        last[index] = order
        g = np.where(last[index] == order, g, 0.0)
    return g


def unrepeat_list(g, part):
    """The adjoint of the list ``part`` in ``part * n`` (or ``n * part``): the list ``g`` of the
    result's adjoints (None where zero) summed over the repeats; None for the count."""
    if g is None or not isinstance(part, (list, tuple)):
        return None
    size = len(part)
    found = [None] * size
    for start in range(0, len(g), max(size, 1)):
        found = [add_grads(a, b) for a, b in zip(found, g[start:start + size])]
    return found


def item_grad(g, i):
    """``g[i]`` of a list's or tuple's adjoint, or None (zero) where ``g`` is."""
    return None if g is None else g[i]


def add_grads(a, b):
    """``a + b`` for gradients that may be None (zero), or lists and dicts of gradients."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, list):
        return [add_grads(x, y) for x, y in zip(a, b)]
    if isinstance(a, dict):
        total = dict(a)
        for key, value in b.items():
            total[key] = add_grads(total.get(key), value)
        return total
    return a + b


def unit_seed(value):
    """The adjoint ``1.0`` that starts the backward pass; only scalar outputs have one."""
    number = isinstance(value, (int, float, complex)) or \
        isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fiuc"
    if not number or isinstance(value, (bool, np.bool_)):
        raise NonScalarOutputError(
            f"grad needs a function whose output is a number, but this one returned "
            f"{type(value).__name__} {value!r:.40}: return the value to differentiate")
    if np.iscomplexobj(value):
        raise NonDifferentiableError(
            f"grad needs a real output, but this function's value is complex ({value!r:.40}): "
            "srcgrad differentiates real-valued code only",
            fix="keep the base of a fractional power positive (in Python, (-1.25) ** 0.5 is "
            "complex), or use np.sqrt / np.power, which give nan for it as NumPy does")
    if np.size(value) != 1:
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output, but this one returned shape "
            f"{np.shape(value)}. Use srcgrad.vjp for non-scalar outputs, or reduce the output "
            "(e.g. np.sum) before returning it.")
    if isinstance(value, (np.ndarray, np.generic)):
        return np.ones_like(value) if isinstance(value, np.ndarray) else value.dtype.type(1)
    return 1.0


def aux_seed(value):
    """The adjoints that start the backward pass of a function returning ``(output, aux)``:
    the output's unit seed; ``aux`` is passed through and gets none."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise NonScalarOutputError(
            "with has_aux=True the function must return a pair (output, aux), but it returned "
            f"a {type(value).__name__}")
    return [unit_seed(value[0]), None]


def cotangent(seed, value):
    """The ``seed`` given to a vjp function, checked to have the output's shape (for a list
    or tuple of outputs: a list or tuple of seeds, each shaped like its output)."""
    if isinstance(value, (list, tuple)):
        if not isinstance(seed, (list, tuple)) or len(seed) != len(value):
            raise CotangentShapeError(
                f"the function's output is a {type(value).__name__} of {len(value)} values: pass "
                f"a list or tuple of {len(value)} seeds, each shaped like its output")
        return [cotangent(s, v) for s, v in zip(seed, value)]
    if isinstance(seed, (list, tuple)):  # numbers written as a list
        dtype = value.dtype if isinstance(value, (np.ndarray, np.generic)) and \
            value.dtype.kind in "fc" else float
        seed = np.asarray(seed, dtype=dtype)
    if np.shape(seed) != np.shape(value):
        raise CotangentShapeError(
            f"seed has shape {np.shape(seed)}, but the function's output has shape "
            f"{np.shape(value)}: pass a cotangent shaped like the output")
    return seed


def as_grad(dx, x):
    """Give the gradient ``dx`` the type, shape and dtype of its argument ``x``.

    Zero gradients (``None``) become zeros, Python floats get floats, read-only views
    (from ``np.broadcast_to``) become arrays of their own; lists, tuples and dicts of
    arguments get lists, tuples and dicts of gradients.
    """
    if isinstance(x, np.ndarray):
        if (type(dx) is np.ndarray and dx.shape == x.shape and dx.dtype == x.dtype
                and dx.flags.writeable):
            return dx
        if dx is None:
            return np.zeros_like(x)
        return np.array(np.broadcast_to(real_for(dx, x), x.shape), dtype=x.dtype)
    if isinstance(x, (list, tuple)):
        parts = [None] * len(x) if dx is None else dx
        return type(x)(as_grad(d, item) for d, item in zip(parts, x))
    if isinstance(x, dict):
        parts = {} if dx is None else dx
        return {key: as_grad(parts.get(key), value) for key, value in x.items()}
    if dx is None:
        dx = 0.0
    dx = real_for(dx, x)
    if isinstance(x, (float, int)):
        return float(np.sum(dx)) if np.ndim(dx) else float(dx)
    if isinstance(x, complex):
        return complex(np.sum(dx)) if np.ndim(dx) else complex(dx)
    if isinstance(x, np.generic):
        return x.dtype.type(np.sum(dx))
    return dx


@declare(fresh=True)
def zero_tangent(x):
    """The zero tangent of a value that does not vary: zeros shaped like an array, ``0.0`` for
    a number, the same structure for a list, tuple or dict; None for anything else."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x) if x.dtype.kind in "fc" else np.zeros(x.shape)
    if isinstance(x, (list, tuple)):
        return type(x)(zero_tangent(item) for item in x)
    if isinstance(x, dict):
        return {key: zero_tangent(value) for key, value in x.items()}
    if isinstance(x, np.generic) and x.dtype.kind in "fc":
        return x.dtype.type(0)
    if isinstance(x, (int, float, complex, np.generic)):
        return 0.0
    return None


@declare(fresh=True)
def copy_tangent(tangent):
    """A tangent of its own, about to be written into: a copy of an array, a new list or dict
    holding the same tangents (a write replaces an item)."""
    if isinstance(tangent, (list, dict)):
        return type(tangent)(tangent)
    return np.copy(tangent)


@declare(fresh_if="t")
def tangent_like(t, ans):
    """The tangent ``t`` of an elementwise result ``ans``, broadcast to its shape (``x + b``
    where only ``b`` varies: ``b``'s tangent has ``b``'s shape)."""
    shape = np.shape(ans)
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


def as_tangent(t, value):
    """Give the output's tangent ``t`` the type, shape and dtype of the output ``value`` (see
    :func:`as_grad`, which does the same for gradients)."""
    return as_grad(t, value)


def real_power(x, p):
    """``np.power(x, p)`` (inf at 0, nan for a negative array's fractional power, as NumPy),
    refused where ``x`` and ``p`` are Python numbers and Python's ``x ** p`` is complex."""
    if type(x) in (int, float) and type(p) in (int, float) and x < 0 and p != int(p):
        raise NonDifferentiableError(
            f"a negative Python number to a fractional power is complex ({x!r} ** {p + 1!r}): "
            "srcgrad differentiates real-valued code only",
            fix="keep the base positive, or use np.power / np.sqrt, which give nan for it as "
            "NumPy does")
    return np.power(x, p)


@declare(fresh=True)
def matmul_lhs_grad(g, x, y):
    """The gradient of ``x`` in ``x @ y``, for any ranks ``matmul`` accepts."""
    x_nd, y_nd = np.ndim(x), np.ndim(y)
    if x_nd == 2 and y_nd == 2:
        return g @ y.T
    if y_nd == 1:
        dx = np.multiply.outer(g, y) if x_nd > 1 else g * y
    elif x_nd == 1:
        dx = np.swapaxes(y @ g[..., None], -1, -2)[..., 0, :] if np.ndim(g) > 1 else y @ g
    else:
        dx = g @ np.swapaxes(y, -1, -2)
    return unbroadcast(dx, x)


@declare(fresh=True)
def matmul_rhs_grad(g, x, y):
    """The gradient of ``y`` in ``x @ y``, for any ranks ``matmul`` accepts."""
    x_nd, y_nd = np.ndim(x), np.ndim(y)
    if x_nd == 2 and y_nd == 2:
        return x.T @ g
    if x_nd == 1:
        dy = np.multiply.outer(x, g) if y_nd > 1 else g * x
        if y_nd > 2:
            dy = np.moveaxis(dy, 0, -2)
    elif y_nd == 1:
        dy = np.sum(np.asarray(x) * np.asarray(g)[..., None], axis=-2)
    else:
        dy = np.swapaxes(x, -1, -2) @ g
    return unbroadcast(dy, y)


# ---------------------------------------------------------------------------------------------
# Helpers of the rules in srcgrad/rules (elementwise, reductions, linear algebra, shapes).
# Each is self-contained: NumPy and the helpers above only.
# ---------------------------------------------------------------------------------------------


def astype(x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """``x`` converted to ``dtype``: the function form of ``x.astype(dtype, ...)``, also for
    Python numbers."""
    if hasattr(x, "astype"):
        return x.astype(dtype, order, casting, subok, copy)
    return np.asarray(x).astype(dtype, order, casting, subok, copy)[()]


def cast_back(g, x):
    """``g`` in the dtype of ``x`` (the gradient of a cast of ``x`` to a real dtype): its real
    part (the cast result is real; for a complex ``x`` the cast drops the imaginary part)."""
    return astype(np.real(g), x.dtype if isinstance(x, np.ndarray) else np.asarray(x).dtype)


def complex_cast_back(g, x):
    """``g`` in the dtype of ``x`` (the gradient of a cast of ``x`` to a complex dtype): its
    real part for a real ``x``."""
    return astype(real_for(g, x), x.dtype if isinstance(x, np.ndarray) else np.asarray(x).dtype)


def real_grad(g, x):
    """The gradient of ``np.real(x)`` (``x.real``): the real part of ``g`` (the result is real:
    an imaginary part of ``g`` is left over from a complex product and stands for nothing), in
    ``x``'s complex dtype for a complex ``x`` (its other adjoints add into it)."""
    if np.iscomplexobj(x):
        return np.real(g).astype(np.result_type(x))
    return np.real(g)


def with_real_part(x, real):
    """``x`` with its real part replaced by ``real`` (a write through the view ``x.real``)."""
    if np.iscomplexobj(x):
        return real + 1j * np.imag(x)
    return real


def imag_grad(g, x):
    """The gradient of ``np.imag(x)``: ``-1j`` times the real part of ``g`` for a complex
    ``x`` (the map ``dz -> Re(-1j g dz) = g Im(dz)``); zeros for a real one (its imaginary part
    is 0 whatever it is)."""
    if np.iscomplexobj(x):
        return -1j * np.real(g)
    return np.zeros(np.shape(x), dtype=_float_dtype(x))


def abs_grad(g, x, ans):
    """The gradient of ``ans = np.abs(x)``: ``g sign(x)`` for a real ``x``; ``Re(g) conj(x) /
    |x|`` for a complex one; 0 where ``x`` is 0."""
    if not np.iscomplexobj(x):
        return g * np.sign(x)
    return np.real(g) * np.conj(x) / np.where(np.equal(ans, 0), 1, ans)


def abs_tangent(t, x, ans):
    """The tangent of ``ans = np.abs(x)``: ``t sign(x)`` for a real ``x``; ``Re(conj(x) t) /
    |x|`` for a complex one; 0 where ``x`` is 0."""
    if not np.iscomplexobj(x):
        return t * np.sign(x)
    return np.real(np.conj(x) * t) / np.where(np.equal(ans, 0), 1, ans)


def angle_grad(g, x, deg=False):
    """The gradient of ``np.angle(x, deg)``: ``-1j Re(g) conj(x) / |x|^2`` for a complex ``x``
    (0 at 0); zeros for a real one (its angle is 0 or pi, piecewise constant)."""
    if not np.iscomplexobj(x):
        return np.zeros(np.shape(x), dtype=_float_dtype(x))
    squared = np.real(x * np.conj(x))
    scale = (180.0 / np.pi) if deg else 1.0
    return -1j * scale * np.real(g) * np.conj(x) / np.where(np.equal(squared, 0), 1, squared)


def angle_tangent(t, x, deg=False):
    """The tangent of ``np.angle(x, deg)``: ``Im(conj(x) t) / |x|^2`` (0 for a real ``x``)."""
    if not np.iscomplexobj(x):
        return np.zeros(np.shape(x), dtype=_float_dtype(x))
    squared = np.real(x * np.conj(x))
    scale = (180.0 / np.pi) if deg else 1.0
    return scale * np.imag(np.conj(x) * t) / np.where(np.equal(squared, 0), 1, squared)


def real_only(x, what):
    """``x``, refused where it is complex: the rule of ``what`` holds for real values only."""
    if np.iscomplexobj(x):
        raise NonDifferentiableError(
            f"{what} of a complex value has no gradient rule (its rule holds for real values)",
            fix="compute it from the real and imaginary parts (np.real, np.imag, np.abs)")
    return x


def cast_grad(g, x, dtype):
    """The gradient of ``x`` cast to ``dtype`` (not known before the code ran): none (zeros)
    through an integer or boolean cast, else ``g`` cast back to ``x``'s dtype."""
    kind = np.dtype(dtype).kind
    if kind in "biu":
        return np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x).dtype, 0.0))
    if kind not in "fc":
        raise NonDifferentiableError(
            f"a cast to {np.dtype(dtype)} has no gradient: cast to a float or complex dtype")
    return cast_back(g, x) if kind == "f" else complex_cast_back(g, x)


def dtype_grad(grad, dtype):
    """``grad``, the gradient of an argument of a call computing in ``dtype``: zeros (a list of
    them for a list) where the dtype is an integer or boolean one."""
    kind = "f" if dtype is None else np.dtype(dtype).kind
    if kind in "biu":
        if isinstance(grad, (list, tuple)):
            return [None if part is None else np.zeros_like(part) for part in grad]
        return np.zeros_like(grad)
    if kind not in "fc":
        raise NonDifferentiableError(
            f"a computation in {np.dtype(dtype)} has no gradient: compute in a float or "
            "complex dtype")
    return grad


def matrix_transpose(a):
    """Swap the last two axes: the transpose of a matrix, or of each matrix in a stack."""
    return np.swapaxes(a, -1, -2)


def log_base(x):
    """``np.log(x)``, but 0 where ``x == 0``: the exponent gradient of ``x ** y`` needs it."""
    if np.ndim(x) == 0:
        return float(np.log(x)) if x != 0 else 0.0
    return np.log(np.where(np.equal(x, 0), 1, x))


def tie_share(x, y, ans):
    """The share of ``ans = np.maximum(x, y)`` (or minimum) owed to ``x``: 1, or 1/2 on a tie."""
    won = np.equal(x, ans)
    tied = won & np.equal(y, ans)
    if not tied.any():
        return won  # a boolean mask: multiplying by it is the cheapest way to select
    return won - np.asarray(0.5, _float_dtype(ans)) * tied


def within(a, lo, hi):
    """Where ``lo <= a <= hi`` (a boolean array); a bound of None is no bound."""
    above = True if lo is None else np.greater_equal(a, lo)
    below = True if hi is None else np.less_equal(a, hi)
    return np.logical_and(above, below)


def clip_min_grad(g, a, lo, hi):
    """The gradient of ``np.clip(a, lo, hi)`` for ``lo``: ``g`` where ``a < lo <= hi``."""
    return unbroadcast(clip_min_tangent(g, a, lo, hi), lo)


def clip_min_tangent(t, a, lo, hi):
    """The tangent of ``np.clip(a, lo, hi)`` through ``lo``: ``t`` where ``a < lo <= hi``."""
    return np.where(np.less(a, lo) & within(lo, None, hi), t, 0.0)


def clip_max_grad(g, a, lo, hi):
    """The gradient of ``np.clip(a, lo, hi)`` for ``hi``: ``g`` where ``max(a, lo) > hi``."""
    return unbroadcast(clip_max_tangent(g, a, lo, hi), hi)


def clip_max_tangent(t, a, lo, hi):
    """The tangent of ``np.clip(a, lo, hi)`` through ``hi``: ``t`` where ``max(a, lo) > hi``."""
    floor = a if lo is None else np.maximum(a, lo)
    return np.where(np.greater(floor, hi), t, 0.0)


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple) as a tuple of non-negative axes."""
    if axis is None or ndim == 0:  # (NumPy lets a number be reduced over axis 0 or -1)
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if np.ndim(axis) == 0 else axis))


def _even_share(hit, axis, like):
    """``hit`` divided by its count over ``axis``, in the float dtype of ``like``."""
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    return share.astype(_float_dtype(like), copy=False)


def extremum_grad(g, a, ans, axis=None, keepdims=False):
    """The gradient of ``np.max``/``np.min`` over ``axis``: ``g`` split evenly among ties."""
    hit = np.equal(a, unreduce_like(ans, a, axis, keepdims))
    return unreduce(g, a, axis, keepdims) * _even_share(hit, axis, ans)


def prod_grad(g, a, axis=None, keepdims=False):
    """The gradient of ``np.prod`` over ``axis``: ``g`` times the product of the *other* elements.

    Computed from prefix and suffix products, so it is exact when ``a`` holds zeros.
    """
    a = np.asarray(a)
    if a.size == 0:
        return np.zeros(a.shape, dtype=np.result_type(g, a))
    axes = _axes(axis, a.ndim)
    order = [i for i in range(a.ndim) if i not in axes] + list(axes)
    moved = np.transpose(a, order)
    n_kept = a.ndim - len(axes)
    flat = moved.reshape(moved.shape[:n_kept] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = np.transpose((before * after).reshape(moved.shape), np.argsort(order))
    return unreduce(g, a, axis, keepdims) * others


def var_grad(g, a, axis=None, ddof=0, keepdims=False, where=True, mean=None):
    """The gradient of ``np.var(a, axis, ddof=ddof, where=where)``: ``2 g (a - mean) / (N -
    ddof)`` over the elements ``where`` picks (``N`` of them), 0 elsewhere; ``conj(a - mean)``
    for a complex ``a``. (A ``mean`` given to ``np.var`` is refused.)"""
    if mean is not None:
        raise NonDifferentiableError("np.var and np.std with mean= have no gradient rule: "
                                     "leave the mean out (NumPy computes it)")
    if np.iscomplexobj(a):  # the mean of |a - mean|^2: the conjugate, and g is real
        g = np.real(g)
        a = np.conj(a)
    if where is True:
        centered = a - np.mean(a, axis=axis, keepdims=True)
        return 2.0 * unreduce(g, a, axis, keepdims) * centered / (unreduce_count(a, axis) - ddof)
    centered = a - np.mean(a, axis=axis, keepdims=True, where=where)
    scale = 2.0 * unreduce(g, a, axis, keepdims) / (masked_count(a, axis, where) - ddof)
    return np.where(where, scale * centered, 0.0)


def std_grad(g, a, ans, axis=None, ddof=0, keepdims=False, where=True, mean=None):
    """The gradient of ``ans = np.std(a, axis, ddof=ddof, where=where)``: that of the variance
    over ``2 ans``, and 0 where ``ans`` is 0 (a subgradient: the square root has a kink there)."""
    zero = np.equal(ans, 0)
    scale = np.where(zero, 0.0, g) / (2.0 * np.where(zero, 1.0, ans))
    return var_grad(scale, a, axis, ddof, keepdims, where, mean)


def masked_count(a, axis=None, where=True):
    """How many elements ``where`` picks in each result of a reduction of ``a`` over ``axis``
    (its axes kept, of length 1), in ``a``'s float dtype."""
    return np.sum(np.broadcast_to(where, np.shape(a)), axis=axis, keepdims=True,
                  dtype=_float_dtype(a))


def mean_where_grad(g, a, axis=None, keepdims=False, where=True):
    """The gradient of ``np.mean(a, axis, keepdims=keepdims, where=where)``."""
    count = np.maximum(masked_count(a, axis, where), 1)  # (no elements: no gradient)
    return np.where(where, unreduce(g, a, axis, keepdims) / count, 0.0)


def extremum_where_grads(g, a, ans, axis=None, keepdims=False, where=True):
    """The gradients of ``(a, initial)`` in ``np.max(a, axis, keepdims=keepdims,
    initial=initial, where=where)`` (or min): ``g`` split evenly among the elements picked
    that tie for the result; where none reaches it, ``g`` goes to ``initial``."""
    r = unreduce_like(ans, a, axis, keepdims)
    hit = np.equal(a, r) & np.broadcast_to(where, np.shape(a))
    count = np.sum(hit, axis=axis, keepdims=True)
    share = (hit / np.maximum(count, 1)).astype(_float_dtype(ans), copy=False)
    g_full = unreduce(g, a, axis, keepdims)
    d_initial = np.sum(np.where(count == 0, unreduce(g, count, axis, keepdims), 0.0))
    return np.where(np.isnan(r), np.nan, g_full * share), d_initial


def cumsum_grad(g, a, axis=None):
    """The gradient of ``np.cumsum(a, axis)``: ``g`` summed from the end, shaped like ``a``."""
    if axis is None:
        return np.reshape(np.cumsum(np.ravel(g)[::-1])[::-1], np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def dot_lhs_grad(g, a, b):
    """The gradient of ``a`` in ``np.dot(a, b)``, for any ranks."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    if b_nd == 1:
        return np.multiply.outer(g, b)
    if a_nd <= 2 and b_nd == 2:
        return g @ np.transpose(b)
    # np.dot sums the last axis of a against the second-to-last of b.
    b_rest = [i for i in range(b_nd) if i != b_nd - 2]
    return np.tensordot(g, b, axes=(list(range(a_nd - 1, np.ndim(g))), b_rest))


def dot_rhs_grad(g, a, b):
    """The gradient of ``b`` in ``np.dot(a, b)``, for any ranks."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    if a_nd == 1 and b_nd == 1:
        return g * a
    if a_nd == 2 and b_nd <= 2:
        return np.transpose(a) @ g
    lead = list(range(a_nd - 1))
    return np.moveaxis(np.tensordot(a, g, axes=(lead, lead)), 0, max(b_nd - 2, 0))


def inner_lhs_grad(g, a, b):
    """The gradient of ``a`` in ``np.inner(a, b)`` (a sum over both last axes)."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    return np.tensordot(g, b, axes=(list(range(a_nd - 1, np.ndim(g))), list(range(b_nd - 1))))


def inner_rhs_grad(g, a, b):
    """The gradient of ``b`` in ``np.inner(a, b)`` (a sum over both last axes)."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    return np.tensordot(g, a, axes=(list(range(a_nd - 1)), list(range(a_nd - 1))))


def _tensordot_axes(a_nd, b_nd, axes):
    """``np.tensordot``'s ``axes`` as two lists of non-negative axes, paired in order."""
    if np.ndim(axes) == 0:
        return list(range(a_nd - axes, a_nd)), list(range(axes))
    a_axes, b_axes = ([x] if np.ndim(x) == 0 else list(x) for x in axes)
    return [i % a_nd for i in a_axes], [i % b_nd for i in b_axes]


def tensordot_lhs_grad(g, a, b, axes=2):
    """The gradient of ``a`` in ``np.tensordot(a, b, axes)``."""
    a_axes, b_axes = _tensordot_axes(np.ndim(a), np.ndim(b), axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    da = np.tensordot(g, b, axes=(list(range(len(a_free), np.ndim(g))), b_free))
    # da's axes: a's free axes, then a's contracted ones in the order of their partners in b.
    order = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
    return np.transpose(da, np.argsort(order))


def tensordot_rhs_grad(g, a, b, axes=2):
    """The gradient of ``b`` in ``np.tensordot(a, b, axes)``."""
    a_axes, b_axes = _tensordot_axes(np.ndim(a), np.ndim(b), axes)
    a_free = [i for i in range(np.ndim(a)) if i not in a_axes]
    b_free = [i for i in range(np.ndim(b)) if i not in b_axes]
    db = np.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return np.transpose(db, np.argsort(order))


def _einsum_parse(subscripts, ndims):
    """Explicit subscripts of ``np.einsum``: a list of input strings and the output string.

    Each ``...`` becomes letters of its own, aligned on the right as broadcasting aligns them;
    implicit mode gets the output NumPy gives it (broadcast axes, then once-used letters sorted).
    """
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, output = subscripts.partition("->")
    inputs = lhs.split(",")
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in subscripts]
    widths = [nd - len(s) + 3 for s, nd in zip(inputs, ndims) if "..." in s]
    ellipsis = "".join(free[:max(widths, default=0)])
    inputs = [s.replace("...", ellipsis[len(ellipsis) - (nd - len(s) + 3):]) if "..." in s else s
              for s, nd in zip(inputs, ndims)]
    if arrow:
        return inputs, output.replace("...", ellipsis)
    letters = "".join(inputs)
    once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
    return inputs, ellipsis + "".join(once)


def _einsum_sublists(args):
    """``np.einsum``'s sublist form (``a, [0, 1], b, [1, 2], [0, 2]``) as subscripts and the
    positions of the arrays in ``args``."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def spec(sublist):
        return "".join("..." if i is Ellipsis else letters[i] for i in sublist)

    arrays = list(range(0, len(args) - len(args) % 2, 2))
    subscripts = ",".join(spec(args[k + 1]) for k in arrays)
    if len(args) % 2:
        subscripts += "->" + spec(args[-1])
    return subscripts, arrays


def einsum_operand_grads(g, first, operands, first_only=False):
    """The gradients of ``np.einsum(first, *operands)``'s arguments: ``first``'s (None for
    subscripts) with ``first_only``, else a list aligned with ``operands`` (None for the
    sublists of the sublist form)."""
    if isinstance(first, str):
        return einsum_grads(g, first, operands)
    args = (first,) + tuple(operands)
    subscripts, arrays = _einsum_sublists(args)
    wanted = {0} if first_only else set(range(1, len(arrays)))
    grads = einsum_grads(g, subscripts, [args[k] for k in arrays], wanted)
    if first_only:
        return grads[0]
    aligned = [None] * len(operands)
    for position, grad in zip(arrays, grads):
        if position:
            aligned[position - 1] = grad
    return aligned


def einsum_grads(g, subscripts, operands, wanted=None):
    """The gradients of the operands of ``np.einsum(subscripts, *operands)``, as a list; with
    ``wanted``, None for those not in it."""
    inputs, output = _einsum_parse(subscripts, [np.ndim(op) for op in operands])
    grads = []
    for k, (spec, op) in enumerate(zip(inputs, operands)):
        if wanted is not None and k not in wanted:
            grads.append(None)
            continue
        others = [(s, o) for j, (s, o) in enumerate(zip(inputs, operands)) if j != k]
        letters = "".join(dict.fromkeys(spec))  # each letter once, in order
        known = set(output).union(*(s for s, _ in others))
        terms = ",".join([output] + [s for s, _ in others])
        part = np.einsum(terms + "->" + "".join(c for c in letters if c in known), g,
                         *(o for _, o in others))
        # Letters only this operand has were summed away: spread the gradient back along them;
        # axes this operand broadcast from length 1 are summed back to it.
        part = np.expand_dims(part, tuple(i for i, c in enumerate(letters) if c not in known))
        size = dict(zip(spec, np.shape(op)))
        shrink = tuple(i for i, c in enumerate(letters) if size[c] == 1 and part.shape[i] != 1)
        if shrink:
            part = np.sum(part, axis=shrink, keepdims=True)
        part = np.broadcast_to(part, tuple(size[c] for c in letters))
        if len(letters) < len(spec):  # a repeated letter: a diagonal, zero elsewhere
            grad = np.zeros(np.shape(op), dtype=part.dtype)
            np.einsum(spec + "->" + letters, grad)[...] = part  # einsum returns a writable view
            part = grad
        grads.append(part)
    return grads


def einsum_grads_tangent(g, subscripts, operands, t, wanted=None):
    """The tangent of ``einsum_grads(g, subscripts, operands, wanted)`` along the operands'
    tangents ``t`` (a list; None for a constant operand). Each gradient is linear in every
    other operand: the sum over ``j`` of the gradients with operand ``j``'s tangent in its
    place, leaving out ``j``'s own (which does not read it); zeros where nothing varies."""
    total = [None] * len(operands)
    for j, tangent in enumerate(t):
        if tangent is None:
            continue
        replaced = list(operands)
        replaced[j] = tangent
        others = {k for k in range(len(operands))
                  if k != j and (wanted is None or k in wanted)}
        for k, part in enumerate(einsum_grads(g, subscripts, replaced, others)):
            if part is not None:
                total[k] = part if total[k] is None else total[k] + part
    return [np.zeros(np.shape(op), dtype=_float_dtype(g, op)) if part is None and
            (wanted is None or k in wanted) else part
            for k, (op, part) in enumerate(zip(operands, total))]


def einsum_grads_grad_adjoint(g, grad, subscripts, operands, wanted=None):
    """The adjoint of ``grad`` in ``einsum_grads(grad, subscripts, operands, wanted)`` from
    ``g``, the adjoints of the operands' gradients (a list; None for zero). Each gradient is the
    transpose of the einsum's derivative in its operand applied to ``grad``: this is that
    derivative applied to ``g``, the einsum with ``g[k]`` in operand ``k``'s place, summed."""
    total = np.zeros(np.shape(grad), dtype=_float_dtype(grad, *operands))
    for k, part in enumerate(g):
        if part is None or (wanted is not None and k not in wanted):
            continue
        replaced = list(operands)
        replaced[k] = part
        total = total + unbroadcast(np.einsum(subscripts, *replaced), grad)
    return total


def einsum_grads_operands_adjoint(g, grad, subscripts, operands, wanted=None):
    """The adjoints of the operands in ``einsum_grads(grad, subscripts, operands, wanted)`` from
    ``g``, the adjoints of their gradients (a list; None for zero), as a list. Gradient ``k``
    is linear in every other operand ``j``, and ``<g[k], gradient k>`` is ``<grad, einsum>``
    with ``g[k]`` in operand ``k``'s place: its gradient in operand ``j``, summed over
    ``k != j`` (as einsum_grads_tangent, transposed)."""
    total = [None] * len(operands)
    for k, part in enumerate(g):
        if part is None or (wanted is not None and k not in wanted):
            continue
        replaced = list(operands)
        replaced[k] = part
        others = set(range(len(operands))) - {k}
        for j, grad_j in enumerate(einsum_grads(grad, subscripts, replaced, others)):
            if grad_j is not None:
                total[j] = grad_j if total[j] is None else total[j] + grad_j
    return [np.zeros(np.shape(op), dtype=_float_dtype(grad, op)) if part is None else part
            for op, part in zip(operands, total)]


def einsum_tangent(t, first, operands, first_only=False):
    """The tangent of ``np.einsum(first, *operands)`` (multilinear: the sum over the arrays of
    the einsum with that array's tangent in its place) from the tangent ``t`` of ``first`` (with
    ``first_only``: an array, in the sublist form) or of ``operands`` (a list aligned with them;
    None, or entries of sublists, where there is none)."""
    if isinstance(first, str):
        subscripts, arrays = first, list(operands)
        tangents = list(t)
    else:
        args = (first,) + tuple(operands)
        subscripts, positions = _einsum_sublists(args)
        arrays = [args[k] for k in positions]
        given = [t] + [None] * len(operands) if first_only else [None] + list(t)
        tangents = [given[k] for k in positions]
    total = None
    for k, tangent in enumerate(tangents):
        if tangent is None:
            continue
        part = np.einsum(subscripts, *arrays[:k], tangent, *arrays[k + 1:])
        total = part if total is None else total + part
    return total


def trace_grad(g, a, offset=0, axis1=0, axis2=1):
    """The gradient of ``np.trace``: ``g`` on the (offset) diagonal of zeros shaped like ``a``."""
    da = np.zeros(np.shape(a), dtype=np.result_type(g, np.asarray(a).dtype))
    square = np.moveaxis(da, (axis1, axis2), (-2, -1))  # a view of da
    n, m = square.shape[-2:]
    i = np.arange(max(0, -offset), min(n, m - offset))
    square[..., i, i + offset] = np.asarray(g)[..., None]
    return da


def norm_grad(g, x, ans, ord=None, axis=None, keepdims=False):
    """The gradient of ``np.linalg.norm(x, ord, axis, keepdims)``, vector and matrix norms.

    Where the norm is not differentiable (the zero vector, ties in max-norms, repeated singular
    values) it gives one subgradient: ties share the gradient evenly.
    """
    real_only(x, 'np.linalg.norm with this ord or axis')
    x = np.asarray(x)
    axes = _axes(axis, x.ndim)
    matrix = (len(axes) == 2) if axis is not None else (ord is not None and x.ndim == 2)
    g = unreduce(g, x, axes, keepdims)
    r = unreduce_like(ans, x, axes, keepdims)
    if not matrix:
        if ord is None or ord == 2:
            return g * x / r
        if ord == 0:
            return np.zeros_like(g * x)
        if ord in (np.inf, -np.inf):
            return g * np.sign(x) * _even_share(np.equal(np.abs(x), r), axes, ans)
        return g * np.sign(x) * (np.abs(x) / r) ** (ord - 1)
    if ord in (None, "fro"):
        return g * x / r
    # Matrix norms: work on matrices in the last two axes.
    xm, gm, rm = (np.moveaxis(v, axes, (-2, -1)) for v in (x, g, r))
    if ord in ("nuc", 2, -2):
        u, _, vt = np.linalg.svd(xm, full_matrices=False)
        if ord == "nuc":
            dm = u @ vt
        else:  # the singular vectors of the largest (2) or smallest (-2) singular value
            k = 0 if ord == 2 else -1
            dm = u[..., :, [k]] @ vt[..., [k], :]
    elif ord in (1, -1):  # max/min column sum of |x|
        dm = np.sign(xm) * _even_share(np.equal(np.sum(np.abs(xm), -2, keepdims=True), rm), -1, ans)
    elif ord in (np.inf, -np.inf):  # max/min row sum of |x|
        dm = np.sign(xm) * _even_share(np.equal(np.sum(np.abs(xm), -1, keepdims=True), rm), -2, ans)
    else:
        raise ValueError(f"invalid norm order {ord!r} for matrices")
    return np.moveaxis(gm * dm, (-2, -1), axes)


def _solves_for_vectors(a, b):
    """Whether ``np.linalg.solve(a, b)`` reads ``b`` as (a stack of) vectors: when it is 1-d, and
    on NumPy 1.x also when it has one axis fewer than ``a``."""
    return np.ndim(b) == 1 or (_NUMPY_1 and np.ndim(b) == np.ndim(a) - 1)


_NUMPY_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"


def det_grad(g, a, ans):
    """The gradient of ``ans = np.linalg.det(a)``: ``g`` times the cofactor matrix of ``a``;
    through the inverse (``det(a) inv(a).T``), or where ``a`` is singular through its singular
    value decomposition (``a = u s vt``: ``det(u) det(vt) u diag(products of the other
    singular values) vt``)."""
    if np.all(ans != 0):  # (LU's pivots are all nonzero: the inverse exists)
        scale = np.expand_dims(np.asarray(g * ans), (-2, -1))
        return scale * matrix_transpose(np.linalg.inv(a))
    u, s, vt = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vt)
    cofactor = (u * (before * after)[..., None, :]) @ vt
    return np.expand_dims(np.asarray(g * sign), (-2, -1)) * cofactor


def slogdet_grad(g, a):
    """The gradient of ``a`` in ``sign, logabsdet = np.linalg.slogdet(a)``: that of
    ``logabsdet``, ``inv(a).T`` times its adjoint (``sign`` is piecewise constant)."""
    real_only(a, 'np.linalg.slogdet')
    if g[1] is None:
        return np.zeros(np.shape(a), dtype=np.result_type(a, 1.0))
    scale = np.expand_dims(np.asarray(g[1]), (-2, -1))
    return scale * matrix_transpose(np.linalg.inv(a))


def _as_3_vectors(v):
    """Vectors of 2 or 3 components (the last axis) as 3-vectors: a 2-vector has z = 0."""
    v = np.asarray(v)
    return v if v.shape[-1] == 3 else np.concatenate([v, np.zeros(v.shape[:-1] + (1,))], -1)


def cross_grads(g, a, b):
    """The gradients of ``a`` and ``b`` in ``np.cross(a, b)`` over the last axis: ``b x g``
    and ``g x a`` (2-vectors as 3-vectors in the plane; their cross product is the z
    component)."""
    a3, b3 = _as_3_vectors(a), _as_3_vectors(b)
    g = np.asarray(g)
    if np.shape(a)[-1] == 2 and np.shape(b)[-1] == 2:  # the result is z alone
        g = np.stack([np.zeros_like(g), np.zeros_like(g), g], -1)
    da = np.cross(b3, g)[..., :np.shape(a)[-1]]
    db = np.cross(g, a3)[..., :np.shape(b)[-1]]
    return unbroadcast(da, a), unbroadcast(db, b)


def solve_rhs_grad(g, a, b):
    """The gradient of ``b`` in ``np.linalg.solve(a, b)``: ``solve(a.T, g)``."""
    if _solves_for_vectors(a, b):
        db = np.linalg.solve(matrix_transpose(a), np.asarray(g)[..., None])[..., 0]
    else:
        db = np.linalg.solve(matrix_transpose(a), g)
    return unbroadcast(db, b)


def solve_lhs_grad(g, a, b, ans):
    """The gradient of ``a`` in ``x = np.linalg.solve(a, b)``: ``-solve(a.T, g) @ x.T``."""
    if _solves_for_vectors(a, b):
        db = np.linalg.solve(matrix_transpose(a), np.asarray(g)[..., None])
        da = -db * np.asarray(ans)[..., None, :]
    else:
        da = -np.linalg.solve(matrix_transpose(a), g) @ matrix_transpose(ans)
    return unbroadcast(da, a)


def solve_lhs_tangent(t, a, b, ans):
    """The tangent of ``x = np.linalg.solve(a, b)`` from the tangent ``t`` of ``a``:
    ``-solve(a, t @ x)``."""
    if _solves_for_vectors(a, b):
        return -np.linalg.solve(a, t @ np.asarray(ans)[..., None])[..., 0]
    return -np.linalg.solve(a, t @ ans)


def undiag(g, v, k=0):
    """The gradient of ``np.diag(v, k)``: the diagonal of ``g`` for a vector ``v``; for a
    matrix ``v``, zeros shaped like it with ``g`` on its ``k``-th diagonal."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    dv = np.zeros(np.shape(v), dtype=_float_dtype(g))
    rows = np.arange(len(g)) + max(-k, 0)
    dv[rows, rows + k] = g
    return dv


def memory_order(a, order):
    """The order, ``"C"`` or ``"F"``, in which ``np.reshape``/``np.ravel(a, order=order)``
    reads ``a``'s elements: ``"A"`` is Fortran's for an array laid out so, ``"K"`` the
    memory's (for a contiguous array). A tangent or gradient, laid out its own way, is read
    in that order too."""
    if order == "A":
        return "F" if np.isfortran(a) else "C"
    if order == "K":
        flags = np.asarray(a).flags
        if not (flags.c_contiguous or flags.f_contiguous):
            raise NonDifferentiableError(
                "order='K' of an array that is not contiguous (a strided view): srcgrad has "
                "no derivative for the element order NumPy then picks",
                fix="use order='C' or 'F', or make the array contiguous first (np.copy)")
        return "C" if flags.c_contiguous else "F"
    return order


def unreshape(g, a, order="C"):
    """The gradient of ``np.reshape(a, ..., order)`` or ``np.ravel``: ``g`` in ``a``'s shape."""
    return np.reshape(g, np.shape(a), order=memory_order(a, order))


def unconcatenate(g, arrays, axis=0):
    """The gradient of ``np.concatenate(arrays, axis)``: ``g`` cut back into one piece per array."""
    shapes = [np.shape(x) for x in arrays]
    if axis is None:
        ends = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]
        return [np.reshape(p, s) for p, s in zip(np.split(np.ravel(g), ends), shapes)]
    g = np.asarray(g)
    index = [slice(None)] * g.ndim
    pieces, start = [], 0
    for shape in shapes:
        index[axis] = slice(start, start + shape[axis])
        pieces.append(g[tuple(index)])
        start += shape[axis]
    return pieces


def unconcat_index(g, maker, index):
    """The gradients of the items of ``maker[index]`` (``np.r_[a, b]``, ``np.c_[a, b]``): a
    list, None for slices and directives; one gradient for an index of one item.

    Each element of the result comes from one element of one item: joining the items' element
    numbers instead of their values says which.
    """
    items = index if isinstance(index, tuple) else (index,)
    coded, blank, spans, total = list(items), list(items), {}, 0
    for k, item in enumerate(items):
        if isinstance(item, (str, slice)):
            continue
        shape = np.shape(item)
        size = int(np.prod(shape))
        coded[k] = np.arange(total, total + size, dtype=float).reshape(shape)
        blank[k] = np.full(shape, -1.0)
        spans[k] = (total, size, shape)
        total += size
    numbers = np.ravel(maker[tuple(coded)])
    hit = numbers != np.ravel(maker[tuple(blank)])  # elements that came from an item
    flat = np.zeros(total, dtype=np.result_type(g, 0.0))
    np.add.at(flat, numbers[hit].astype(np.intp), np.ravel(g)[hit])
    grads = [None] * len(items)
    for k, (start, size, shape) in spans.items():
        grads[k] = flat[start:start + size].reshape(shape)
    return grads if isinstance(index, tuple) else grads[0]


def concat_index_tangent(t, maker, index):
    """The tangent of ``maker[index]`` (``np.r_[a, 0:3]``): the same join of the items'
    tangents ``t`` (a list, one per item; one tangent for an index of one item), zeros for
    slices, which make constant ranges; directives (strings) kept."""
    items = index if isinstance(index, tuple) else (index,)
    tangents = t if isinstance(index, tuple) else [t]
    joined = [item if isinstance(item, str) else
              np.zeros_like(maker[item], dtype=float) if isinstance(item, slice) else
              np.zeros(np.shape(item)) if tangent is None else tangent
              for item, tangent in zip(items, tangents)]
    return maker[tuple(joined)]


def undiff(g, a, n=1, axis=-1, prepend=None, append=None):
    """The gradients of ``np.diff(a, n, axis, prepend=..., append=...)``: (a, prepend, append),
    None for an edge not given. Each difference's adjoint is minus the differences of ``g``
    padded with a zero at both ends."""
    a = np.asarray(a)
    axis %= a.ndim
    edges = []
    for edge in (prepend, append):
        if edge is not None:
            edge = np.asarray(edge)
            if edge.ndim == 0:
                edge = np.broadcast_to(edge, a.shape[:axis] + (1,) + a.shape[axis + 1:])
        edges.append(edge)
    g = np.asarray(g)
    pad = [(0, 0)] * g.ndim
    pad[axis] = (1, 1)
    for _ in range(n):
        g = -np.diff(np.pad(g, pad), axis=axis)
    sizes = [0 if e is None else e.shape[axis] for e in edges]
    da = np.take(g, np.arange(sizes[0], sizes[0] + a.shape[axis]), axis=axis)
    d_prepend = None if prepend is None else \
        unbroadcast(np.take(g, np.arange(sizes[0]), axis=axis), prepend)
    d_append = None if append is None else \
        unbroadcast(np.take(g, np.arange(g.shape[axis] - sizes[1], g.shape[axis]), axis=axis),
                    append)
    return da, d_prepend, d_append


def diff_tangent(t, n=1, axis=-1, prepend=None, append=None):
    """``np.diff(t, n, axis, prepend=..., append=...)`` passing only the edges given (not
    None): the tangent of ``np.diff``, which is linear, from its arguments' tangents."""
    edges = {name: edge for name, edge in (("prepend", prepend), ("append", append))
             if edge is not None}
    return np.diff(t, n, axis, **edges)


def unappend(g, arr, values, axis=None):
    """The gradients of ``np.append(arr, values, axis)``: (arr, values)."""
    if axis is None:
        flat = np.ravel(g)
        size = np.size(arr)
        return (np.reshape(flat[:size], np.shape(arr)),
                np.reshape(flat[size:], np.shape(values)))
    axis %= np.ndim(arr)
    cut = np.shape(arr)[axis]
    return np.split(np.asarray(g), [cut], axis=axis)


def undiagonal(g, a, offset=0, axis1=0, axis2=1):
    """The gradient of ``np.diagonal(a, offset, axis1, axis2)``: ``g`` on that diagonal of
    zeros shaped like ``a``."""
    da = np.zeros(np.shape(a), dtype=np.result_type(g, 0.0))
    square = np.moveaxis(da, (axis1, axis2), (-2, -1))  # a view of da
    n, m = square.shape[-2:]
    i = np.arange(max(0, -offset), min(n, m - offset))
    square[..., i, i + offset] = g
    return da


def cumprod_grad(g, a, axis=None):
    """The gradient of ``np.cumprod(a, axis)``, exact where ``a`` holds zeros.

    Along the axis, element ``j`` gets ``sum(g[i] * prod(a[:i + 1] without a[j]) for i >= j)``:
    ``cumsum_from_end(g * ans) / a[j]`` where ``a[j] != 0``; at a row's first zero, the product
    before it times the sum over ``i`` of ``g[i]`` times the products after it; after a zero, 0.
    """
    a = np.asarray(a)
    shape = a.shape
    if axis is None:  # along the flattened array
        a, g, axis = np.ravel(a), np.ravel(g), 0
    moved = np.moveaxis(a, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1]) if moved.shape[-1] else moved.reshape(0, 0)
    g_rows = np.moveaxis(np.asarray(g), axis, -1).reshape(rows.shape)
    ans = np.cumprod(rows, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.flip(np.cumsum(np.flip(g_rows * ans, -1), -1), -1) / rows
    for r in np.flatnonzero(np.any(rows == 0, axis=-1)):
        row, j = rows[r], int(np.argmax(rows[r] == 0))
        before = np.prod(row[:j])
        after = np.concatenate([[1.0], np.cumprod(row[j + 1:])])
        grad[r, j + 1:] = 0.0
        grad[r, j] = before * np.sum(g_rows[r, j:] * after)
    grad = np.moveaxis(grad.reshape(moved.shape), -1, axis)
    return np.reshape(grad, shape).astype(np.result_type(g, a), copy=False)


def cumprod_tangent(t, a, axis=None):
    """The tangent of ``ans = np.cumprod(a, axis)``: ``ans * cumsum(t / a)`` along the axis;
    where a row holds a zero, by the product rule ``d ans[i] = d ans[i-1] a[i] + ans[i-1] t[i]``
    (exact there too)."""
    a = np.asarray(a)
    if axis is None:
        return cumprod_tangent(np.ravel(t), np.ravel(a), 0)
    rows = np.moveaxis(a, axis, 0)
    t_rows = np.moveaxis(np.broadcast_to(t, a.shape), axis, 0)
    ans = np.cumprod(rows, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ans * np.cumsum(t_rows / rows, axis=0)
    zero = np.any(rows == 0, axis=0)
    if np.any(zero):
        a_zero, t_zero, ans_zero = rows[:, zero], t_rows[:, zero], ans[:, zero]
        d = np.empty(a_zero.shape, dtype=out.dtype)
        d[0] = t_zero[0]
        for i in range(1, len(d)):
            d[i] = d[i - 1] * a_zero[i] + ans_zero[i - 1] * t_zero[i]
        out[:, zero] = d
    return np.moveaxis(out, 0, axis).astype(np.result_type(t, a), copy=False)


def unstack(g, axis=0):
    """The gradient of ``np.stack(arrays, axis)``: the slices of ``g`` along ``axis``."""
    return list(np.moveaxis(g, axis, 0))


def unhstack(g, arrays):
    """The gradient of ``np.hstack(arrays)``: ``g`` cut back into pieces shaped like ``arrays``."""
    wide = [np.atleast_1d(x) for x in arrays]
    pieces = unconcatenate(g, wide, 0 if wide[0].ndim == 1 else 1)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, arrays)]


def unvstack(g, arrays):
    """The gradient of ``np.vstack(arrays)``: ``g`` cut back into pieces shaped like ``arrays``."""
    pieces = unconcatenate(g, [np.atleast_2d(x) for x in arrays], 0)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, arrays)]


def uncolumn_stack(g, tup):
    """The gradient of ``np.column_stack(tup)``: the columns of ``g`` back into pieces shaped
    like ``tup`` (1-d arrays are columns)."""
    widths = [1 if np.ndim(x) < 2 else np.shape(x)[1] for x in tup]
    pieces = np.split(g, np.cumsum(widths)[:-1], axis=1)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, tup)]


def unsplit(g, ary, indices_or_sections, axis=0):
    """The gradient of ``np.split(ary, ...)``: the pieces' gradients ``g`` put back together.

    ``g`` has one entry per piece; an entry of None is a piece whose gradient is zero.
    """
    dtype = _float_dtype(*[p for p in g if p is not None])
    da = np.zeros(np.shape(ary), dtype=dtype)
    for view, piece in zip(np.array_split(da, indices_or_sections, axis), g):
        if piece is not None:
            view[...] = piece
    return da


def untile(g, a, reps):
    """The gradient of ``np.tile(a, reps)``: ``g`` summed over the tiles."""
    shape = np.shape(a)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    n = max(len(shape), len(reps))
    shape_n = (1,) * (n - len(shape)) + tuple(shape)
    reps_n = (1,) * (n - len(reps)) + reps
    g = np.reshape(g, [k for pair in zip(reps_n, shape_n) for k in pair])
    return np.reshape(np.sum(g, axis=tuple(range(0, 2 * n, 2))), shape)


def unrepeat(g, a, repeats, axis=None):
    """The gradient of ``np.repeat(a, repeats, axis)``: ``g`` summed over the repeats."""
    shape = np.shape(a)
    if axis is None:
        return np.reshape(unrepeat(g, np.ravel(a), repeats, 0), shape)
    axis %= len(shape)
    if np.size(repeats) == 1:
        r = int(np.ravel(repeats)[0])
        return np.sum(np.reshape(g, shape[:axis] + (shape[axis], r) + shape[axis + 1:]), axis + 1)
    da = np.zeros(shape, dtype=np.asarray(g).dtype)
    np.add.at(da, (slice(None),) * axis + (np.repeat(np.arange(shape[axis]), repeats),), g)
    return da


def untake(g, a, indices, axis=None, mode="raise"):
    """The gradient of ``np.take(a, indices, axis, mode=mode)``: ``g`` added back at ``indices``."""
    da = np.zeros(np.shape(a), dtype=np.result_type(g, np.asarray(a).dtype))
    target = da.reshape(-1) if axis is None else da  # a view of da
    axis = 0 if axis is None else axis % da.ndim
    n = target.shape[axis]
    if mode == "wrap":
        indices = np.mod(indices, n)
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    np.add.at(target, (slice(None),) * axis + (indices,), g)
    return da


def unsort(g, a, axis=-1):
    """The gradient of ``np.sort(a, axis)``: ``g`` sent back to where each element came from."""
    if axis is None:
        return np.reshape(unsort(np.ravel(g), np.ravel(a), 0), np.shape(a))
    da = np.zeros(np.shape(a), dtype=np.result_type(g, np.asarray(a).dtype))
    np.put_along_axis(da, np.argsort(a, axis=axis, kind="stable"), g, axis)
    return da


def sort_tangent(t, a, axis=-1):
    """The tangent of ``np.sort(a, axis)``: ``t`` in the order ``a``'s elements were sorted."""
    if axis is None:
        return sort_tangent(np.ravel(t), np.ravel(a), 0)
    return np.take_along_axis(np.asarray(t), np.argsort(a, axis=axis, kind="stable"), axis)


def untranspose(g, axes=None):
    """The gradient of ``np.transpose(a, axes)``: ``g`` transposed back."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort(np.mod(axes, np.ndim(g))))


def linspace_grads(g, start, stop, num=50, endpoint=True, axis=0):
    """The gradients of ``np.linspace(start, stop, num, endpoint, axis=axis)``: (start, stop)."""
    steps = (num - 1 if endpoint else num) or 1
    g = np.moveaxis(np.asarray(g), axis, 0)  # the samples' axis first; the rest broadcast
    t = np.reshape(np.arange(num) / steps, (-1,) + (1,) * (g.ndim - 1)).astype(g.dtype)
    return (unbroadcast(np.sum(g * (1 - t), axis=0), start),
            unbroadcast(np.sum(g * t, axis=0), stop))


def arange_grads(g, start_or_stop, stop=None, step=1):
    """The gradients of ``np.arange(start_or_stop, stop, step)``'s arguments as passed.

    Its values are ``start + step * k``: ``stop`` (alone, or with a start) only sets the length.
    """
    d_step = np.sum(g * np.arange(np.size(g)))
    d_start = np.sum(g) if stop is not None else 0.0 * d_step
    return d_start, 0.0 * d_step, d_step


def diagonal_index(shape, wrap=False):
    """The index of the elements ``np.fill_diagonal`` sets in an array of ``shape``."""
    if len(shape) == 2 and not wrap:
        n = min(shape)
        return np.arange(n), np.arange(n)
    if len(shape) == 2:  # tall matrices: the diagonal starts again every n + 1 rows
        flat = np.arange(0, shape[0] * shape[1], shape[1] + 1)
        return np.unravel_index(flat, shape)
    return (np.arange(min(shape)),) * len(shape)


def flat_index(indices, shape):
    """The index of the elements ``np.put(a, indices, v)`` sets in an array of ``shape``."""
    size = int(np.prod(shape))
    indices = np.asarray(indices)
    return np.unravel_index(np.where(indices < 0, indices + size, indices), shape)


def added_at(a, index, b):
    """A copy of ``a`` with ``b`` added at ``index``, repeated indices summed (``np.add.at``)."""
    out = np.array(a, dtype=np.result_type(a, b))
    np.add.at(out, index, b)
    return out


# SciPy's functions, for the rules of srcgrad/rules/scipy_*.py. Each imports SciPy when it is
# first called: generated (and exported) code needs SciPy only where it uses it.

def scipy_special(function, *args):
    """``scipy.special.<function>(*args)`` (``scipy_special("digamma", x)``)."""
    from scipy import special
    return getattr(special, function)(*args)


def refuse_dynamic_special(function):
    """Raised where code differentiated again calls ``scipy_special`` with a function that
    has no rule (or one named only when the code runs)."""
    raise NonDifferentiableError(f"scipy.special.{function} has no derivative rule here")


def scipy_linalg(function, *args, **kwargs):
    """``scipy.linalg.<function>(*args, **kwargs)``."""
    from scipy import linalg
    return getattr(linalg, function)(*args, **kwargs)


def logsumexp_grads(g, a, b, ans, axis=None, keepdims=False):
    """The adjoints of ``scipy.special.logsumexp``'s ``a`` and ``b`` (None: weights of one).

    With ``return_sign=True`` its result ``ans`` is ``(log|sum|, sign)`` and ``g`` holds their
    adjoints: the sign is locally constant and carries none.
    """
    sign = 1.0
    if isinstance(ans, (tuple, list)):
        (ans, sign), g = ans, g[0]
    shape = np.broadcast_shapes(np.shape(a), np.shape(b)) if b is not None else np.shape(a)
    if axis is not None and not keepdims and shape:
        axes = tuple(n % len(shape) for n in ((axis,) if np.ndim(axis) == 0 else axis))
        g, ans, sign = (np.expand_dims(v, axes) for v in (g, ans, sign * np.ones_like(ans)))
    weight = g * sign * np.exp(a - ans)  # d ans / d b: sign * exp(a - ans)
    da = weight if b is None else weight * b
    return unbroadcast(da, a), None if b is None else unbroadcast(weight, b)


def logsumexp_tangent(a, b, ans, axis=None, keepdims=False, *, d_a=None, d_b=None):
    """The tangent of ``scipy.special.logsumexp`` from those of ``a`` and ``b`` (None: zero);
    with ``return_sign=True``, the pair (the value's tangent, zeros for the sign)."""
    pair = isinstance(ans, (tuple, list))
    value, sign = ans if pair else (ans, 1.0)
    shape = np.broadcast_shapes(np.shape(a), np.shape(b)) if b is not None else np.shape(a)
    expanded, expanded_sign = value, sign
    if axis is not None and not keepdims and shape:
        axes = tuple(n % len(shape) for n in ((axis,) if np.ndim(axis) == 0 else axis))
        expanded = np.expand_dims(value, axes)
        expanded_sign = np.expand_dims(sign * np.ones_like(value), axes)
    weight = expanded_sign * np.exp(a - expanded)  # d ans / d b
    moved = 0.0
    if d_a is not None:
        moved = moved + d_a * (weight if b is None else weight * b)
    if d_b is not None:
        moved = moved + d_b * weight
    tangent = np.sum(np.broadcast_to(moved, shape), axis=axis, keepdims=keepdims)
    return (tangent, np.zeros_like(sign)) if pair else tangent


def multigammaln_grad(g, a, d):
    """The adjoint of ``a`` in ``scipy.special.multigammaln(a, d)``: the sum of
    ``digamma(a - j / 2)`` over ``j < d``, times ``g``."""
    from scipy.special import digamma
    a = np.asarray(a)
    steps = np.arange(d).astype(np.result_type(a.dtype, np.float32)) / 2
    return g * np.sum(digamma(a[..., None] - steps), axis=-1)


def mvn_logpdf_grads(g, x, mean, cov):
    """The adjoints of ``x``, ``mean`` and ``cov`` in ``scipy.stats.multivariate_normal.logpdf``.

    Points lie along the last axis of ``x`` (a vector of numbers where the dimension is one);
    ``cov`` is a matrix, a vector (its diagonal) or a number (times the identity), and its
    adjoint has the same form (a matrix's is symmetric).
    """
    dim = np.size(mean) if mean is not None else (np.shape(cov) or (1,))[0]
    matrix = cov * np.eye(dim) if np.ndim(cov) == 0 else \
        np.diag(cov) if np.ndim(cov) == 1 else np.asarray(cov)
    points = np.reshape(x, (-1, 1)) if dim == 1 and np.ndim(x) <= 1 else np.asarray(x)
    g = np.reshape(g, points.shape[:-1])
    diff = points - (0.0 if mean is None else mean)
    scaled = np.linalg.solve(matrix, np.reshape(diff, (-1, dim)).T).T.reshape(diff.shape)
    dx = -g[..., None] * scaled
    weighted = np.reshape(dx, (-1, dim))
    dcov = 0.5 * (np.reshape(scaled, (-1, dim)).T @ -weighted - np.sum(g) * np.linalg.inv(matrix))
    dcov = np.sum(np.diag(dcov)) if np.ndim(cov) == 0 else \
        np.diag(dcov) if np.ndim(cov) == 1 else dcov
    dmean = None if mean is None else unbroadcast(-np.sum(weighted, axis=0), mean)
    return np.reshape(dx, np.shape(x)), dmean, dcov


def mvn_logpdf_tangent(x, mean, cov, ans, *, d_x=None, d_mean=None, d_cov=None):
    """The tangent of ``ans = scipy.stats.multivariate_normal.logpdf(x, mean, cov)`` from those
    of ``x``, ``mean`` and ``cov`` (None: zero; ``cov``'s in its form, as
    :func:`mvn_logpdf_grads`)."""
    dim = np.size(mean) if mean is not None else (np.shape(cov) or (1,))[0]

    def as_matrix(c):
        return c * np.eye(dim) if np.ndim(c) == 0 else \
            np.diag(c) if np.ndim(c) == 1 else np.asarray(c)

    points = np.reshape(x, (-1, 1)) if dim == 1 and np.ndim(x) <= 1 else np.asarray(x)
    diff = np.reshape(points - (0.0 if mean is None else mean), (-1, dim))
    scaled = np.linalg.solve(as_matrix(cov), diff.T).T  # cov^-1 (x - mean), per point
    tangent = np.zeros(len(diff), dtype=_float_dtype(points, cov))
    if d_x is not None:
        tangent -= np.sum(scaled * np.reshape(d_x, diff.shape), axis=-1)
    if d_mean is not None:
        tangent += scaled @ np.ravel(np.broadcast_to(d_mean, (dim,)))
    if d_cov is not None:
        d_matrix = as_matrix(d_cov)
        tangent += 0.5 * np.sum((scaled @ d_matrix) * scaled, axis=-1) - \
            0.5 * np.trace(np.linalg.solve(as_matrix(cov), d_matrix))
    return np.reshape(tangent, np.shape(ans))[()]


def dirichlet_logpdf_grads(g, x, alpha):
    """The adjoints of ``x`` and ``alpha`` in ``scipy.stats.dirichlet.logpdf``: components lie
    along the first axis of ``x``, which may leave out the last (then ``1 - sum`` of them)."""
    from scipy.special import digamma
    x, alpha = np.asarray(x), np.asarray(alpha)
    implied = x.shape[0] + 1 == alpha.shape[0]
    full = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)]) if implied else x
    shape = (-1,) + (1,) * (full.ndim - 1)
    dx = g * (alpha.reshape(shape) - 1.0) / full
    if implied:
        dx = dx[:-1] - dx[-1:]
    dalpha = np.reshape(digamma(np.sum(alpha)) - digamma(alpha), shape) * g + g * np.log(full)
    return dx, np.sum(np.reshape(dalpha, (alpha.shape[0], -1)), axis=1)


def dirichlet_logpdf_tangent(x, alpha, *, d_x=None, d_alpha=None):
    """The tangent of ``scipy.stats.dirichlet.logpdf(x, alpha)`` from those of ``x`` and
    ``alpha`` (None: zero), components along ``x``'s first axis as
    :func:`dirichlet_logpdf_grads`."""
    from scipy.special import digamma
    x, alpha = np.asarray(x), np.asarray(alpha)
    implied = x.shape[0] + 1 == alpha.shape[0]
    full = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)]) if implied else x
    shape = (-1,) + (1,) * (full.ndim - 1)
    terms = np.zeros(full.shape, dtype=_float_dtype(x, alpha))
    if d_x is not None:
        d_full = np.asarray(d_x)
        if implied:
            d_full = np.concatenate([d_full, -np.sum(d_full, axis=0, keepdims=True)])
        terms = terms + (alpha.reshape(shape) - 1.0) / full * d_full
    if d_alpha is not None:
        weight = np.log(full) + np.reshape(digamma(np.sum(alpha)) - digamma(alpha), shape)
        terms = terms + weight * np.reshape(d_alpha, shape)
    return np.sum(terms, axis=0)


def _triangle(a, lower):
    return np.tril(a) if lower else np.triu(a)


def solve_triangular_grads(g, a, ans, trans=0, lower=False, unit_diagonal=False):
    """The adjoints of ``a`` and ``b`` in ``scipy.linalg.solve_triangular(a, b, trans, lower,
    unit_diagonal)`` whose result is ``ans``: only the triangle it reads gets a gradient."""
    from scipy.linalg import solve_triangular
    transposed = trans in (1, 2, "T", "C")
    db = solve_triangular(a, g, trans=0 if transposed else 1, lower=lower,
                          unit_diagonal=unit_diagonal)
    outer = np.outer if np.ndim(db) == 1 else (lambda u, v: u @ v.T)
    da = -_triangle(outer(ans, db) if transposed else outer(db, ans), lower)
    if unit_diagonal:
        da = da - np.diag(np.diag(da))
    return da, db


def solve_triangular_tangent(t, a, ans, trans=0, lower=False, unit_diagonal=False):
    """The tangent of ``x = scipy.linalg.solve_triangular(a, b, trans, lower, unit_diagonal)``
    from the tangent ``t`` of ``a``: ``-op(T)^-1 op(dT) x``, ``dT`` the triangle of ``t`` read
    (without its diagonal for ``unit_diagonal``), ``op`` the transpose where ``trans`` asks."""
    from scipy.linalg import solve_triangular
    d_triangle = _triangle(t, lower)
    if unit_diagonal:
        d_triangle = d_triangle - np.diag(np.diag(d_triangle))
    moved = (d_triangle.T if trans in (1, 2, "T", "C") else d_triangle) @ ans
    return -solve_triangular(a, moved, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _cholesky_grad(factor, g_factor, lower):
    """The adjoint of the matrix whose Cholesky factor (the triangle ``lower`` of ``factor``)
    has the adjoint ``g_factor``, on the triangle LAPACK reads (each entry stands for itself
    and its mirror)."""
    from scipy.linalg import solve_triangular
    low = np.tril(factor) if lower else np.triu(factor).T
    g_low = np.tril(g_factor) if lower else np.triu(g_factor).T
    inner = np.tril(low.T @ g_low)
    inner = inner - 0.5 * np.diag(np.diag(inner))
    left = solve_triangular(low, inner, trans=1, lower=True)  # L^-T inner
    sym = solve_triangular(low, left.T, trans=1, lower=True).T  # L^-T inner L^-1
    folded = sym + sym.T - np.diag(np.diag(sym))
    return np.tril(folded) if lower else np.triu(folded)


def cho_factor_grad(g, a, ans):
    """The adjoint of ``a`` in ``scipy.linalg.cho_factor(a, lower)``, whose result ``ans`` is
    ``(c, lower)``: ``c``'s triangle is the factor; its other triangle holds ``a``'s entries
    in the SciPy releases that keep them (then the gradient passes through), zeros in others."""
    (factor, lower), g_factor = ans, g[0]
    if g_factor is None:
        return np.zeros_like(factor)
    g_factor = np.asarray(g_factor)
    grad = _cholesky_grad(factor, g_factor, lower)
    if _cho_factor_keeps_other_triangle():
        grad = grad + (np.triu(g_factor, 1) if lower else np.tril(g_factor, -1))
    return grad


def cho_factor_tangent(t, a, ans):
    """The tangents of ``(c, lower) = scipy.linalg.cho_factor(a, lower)``: the factor's in
    ``c``'s triangle (:func:`cholesky_tangent`), ``t``'s own in the other where this SciPy keeps
    the matrix's entries there (zeros where it does not), and none for the flag."""
    factor, lower = ans
    if lower:
        d_factor = cholesky_tangent(t, np.tril(factor))
        other = np.triu(t, 1)
    else:
        d_factor = cholesky_tangent(t, np.triu(factor), upper=True)
        other = np.tril(t, -1)
    if _cho_factor_keeps_other_triangle():
        d_factor = d_factor + other
    return d_factor, 0.0


def _cho_factor_keeps_other_triangle():
    """Whether this SciPy's ``cho_factor`` leaves the other triangle holding the matrix's
    entries (asked once, of a 2 x 2 matrix)."""
    from scipy.linalg import cho_factor
    c, _ = cho_factor(np.array([[4.0, 1.0], [1.0, 3.0]]))
    return bool(c[1, 0] == 1.0)


def cho_solve_grads(g, c_and_lower, ans):
    """The adjoints of ``(c, lower)`` and ``b`` in ``scipy.linalg.cho_solve((c, lower), b)``
    with result ``ans``: ``c`` gets one on the triangle that holds the factor."""
    from scipy.linalg import cho_solve
    factor, lower = c_and_lower
    db = cho_solve(c_and_lower, g)
    da = -(np.outer(db, ans) if np.ndim(db) == 1 else db @ ans.T)
    both = da + da.T
    low = np.tril(factor) if lower else np.triu(factor)
    dfactor = np.tril(both @ low) if lower else np.triu(low @ both)
    return (dfactor, None), db


def cho_solve_tangent(t, c_and_lower, ans):
    """The tangent of ``x = scipy.linalg.cho_solve((c, lower), b)`` from the tangent ``t`` of
    ``c``: with ``L`` the factor in ``c``'s triangle (the matrix ``L L^T``) and ``dL`` that
    triangle of ``t``, ``-cho_solve(dL L^T + L dL^T) x``."""
    from scipy.linalg import cho_solve
    factor, lower = c_and_lower
    low = np.tril(factor) if lower else np.triu(factor).T
    d_low = np.tril(t) if lower else np.triu(t).T
    d_matrix = d_low @ low.T + low @ d_low.T
    return -cho_solve(c_and_lower, d_matrix @ ans)


def expm_grad(g, a):
    """The adjoint of ``a`` in ``scipy.linalg.expm(a)``: the Fréchet derivative at ``a.T`` in
    the direction ``g`` (for a stack of matrices, each)."""
    from scipy.linalg import expm_frechet
    a, g = np.asarray(a), np.asarray(g)
    out = np.empty(np.broadcast_shapes(a.shape, g.shape), dtype=np.result_type(a, g))
    for index in np.ndindex(out.shape[:-2]):
        out[index] = expm_frechet(a[index].T, g[index], compute_expm=False)
    return out


def expm_tangent(t, a):
    """The tangent of ``scipy.linalg.expm(a)``: its Fréchet derivative at ``a`` in the direction
    ``t`` (for a stack of matrices, each)."""
    from scipy.linalg import expm_frechet
    a, t = np.asarray(a), np.asarray(t)
    out = np.empty(np.broadcast_shapes(a.shape, t.shape), dtype=np.result_type(a, t))
    for index in np.ndindex(out.shape[:-2]):
        out[index] = expm_frechet(a[index], t[index], compute_expm=False)
    return out


def sqrtm_grad(g, ans):
    """The adjoint of ``a`` in ``scipy.linalg.sqrtm(a)`` with result ``ans`` (``X``): the
    solution of ``X.T @ da + da @ X.T = g``."""
    from scipy.linalg import solve_sylvester
    return solve_sylvester(ans.T, ans.T, g)


def sqrtm_tangent(t, ans):
    """The tangent of ``X = scipy.linalg.sqrtm(a)``: the solution of ``X dX + dX X = t``."""
    from scipy.linalg import solve_sylvester
    return solve_sylvester(ans, ans, t)


# Matrix decompositions (srcgrad.rules.linalg). Their results are tuples: ``g`` holds one
# adjoint per part, None for a part whose gradient is zero.

def _part(g, i, like):
    """The adjoint of part ``i`` of a decomposition's result, zeros where None."""
    part = g[i]
    return np.zeros(np.shape(like), dtype=_float_dtype(like)) if part is None else part


def _triangle_grad(d, uplo="L"):
    """The gradient of a function that reads only the ``uplo`` triangle of its symmetric
    argument, from ``d``, its gradient as a function of the whole symmetric matrix: the
    diagonal, and both off-diagonal halves summed into the triangle read."""
    n = np.shape(d)[-1]
    eye = np.eye(n, dtype=bool)
    strict = np.tril(np.ones((n, n), dtype=bool), -1)
    if uplo == "U":
        strict = strict.T
    return np.where(eye, d, 0.0) + np.where(strict, d + matrix_transpose(d), 0.0)


def _diag_embed(v):
    """Matrices with the vectors ``v`` (the last axis) on their diagonals."""
    v = np.asarray(v)
    return v[..., :, None] * np.eye(v.shape[-1], dtype=v.dtype)


def _symmetric_from(t, uplo="L"):
    """The symmetric matrices whose ``uplo`` triangle is that of ``t``: what a function reading
    only that triangle sees (the tangent of its argument, for forward mode)."""
    strict = np.tril(t, -1) if uplo == "L" else np.triu(t, 1)
    return np.tril(np.triu(t)) + strict + matrix_transpose(strict)


def cholesky_grad(g, ans, upper=False):
    """The gradient of ``ans = np.linalg.cholesky(a)``, which reads ``a``'s lower triangle
    (its upper one with ``upper``): ``L^-T Phi(L^T g) L^-1``, symmetrised (Murray, 2016)."""
    real_only(ans, 'np.linalg.cholesky')
    low = matrix_transpose(ans) if upper else ans
    g = matrix_transpose(g) if upper else g
    lt = matrix_transpose(low)
    inner = lt @ g
    phi = np.tril(inner) - 0.5 * _diag_embed(np.diagonal(inner, 0, -2, -1))
    s = np.linalg.solve(lt, matrix_transpose(np.linalg.solve(lt, matrix_transpose(phi))))
    return _triangle_grad(0.5 * (s + matrix_transpose(s)), "U" if upper else "L")


def cholesky_tangent(t, ans, upper=False):
    """The tangent of ``ans = np.linalg.cholesky(a)`` (of its lower triangle, or upper with
    ``upper``) from the tangent ``t`` of ``a``: ``L Phi(L^-1 S L^-T)``, ``S`` the symmetric
    tangent the triangle read gives, ``Phi`` the lower triangle with half the diagonal."""
    low = matrix_transpose(ans) if upper else ans
    s = _symmetric_from(t, "U" if upper else "L")
    inner = np.linalg.solve(low, matrix_transpose(np.linalg.solve(low, s)))
    phi = np.tril(inner) - 0.5 * _diag_embed(np.diagonal(inner, 0, -2, -1))
    d_low = low @ phi
    return matrix_transpose(d_low) if upper else d_low


def eigh_grad(g, a, ans, UPLO="L"):
    """The gradient of ``w, v = np.linalg.eigh(a, UPLO)``: ``v (diag(gw) + F o (v^T gv)) v^T``
    with ``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, on the triangle ``eigh`` reads."""
    real_only(a, 'np.linalg.eigh')
    w, v = ans
    vt = matrix_transpose(v)
    inner = _diag_embed(_part(g, 0, w))
    if g[1] is not None:
        n = np.shape(w)[-1]
        gap = w[..., None, :] - w[..., :, None] + np.eye(n, dtype=w.dtype)
        inner = inner + np.where(np.eye(n, dtype=bool), 0.0, 1.0 / gap) * (vt @ g[1])
    return _triangle_grad(v @ inner @ vt, UPLO)


def eigh_tangent(t, ans, UPLO="L"):
    """The tangents of ``w, v = np.linalg.eigh(a, UPLO)`` from the tangent ``t`` of ``a``:
    with ``P = v^T S v`` (``S`` the symmetric tangent the triangle read gives),
    ``diag(P)`` and ``v (F o P)``, ``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal."""
    w, v = ans
    p = matrix_transpose(v) @ _symmetric_from(t, UPLO) @ v
    n = np.shape(w)[-1]
    gap = w[..., None, :] - w[..., :, None] + np.eye(n, dtype=w.dtype)
    return np.diagonal(p, 0, -2, -1), v @ (np.where(np.eye(n, dtype=bool), 0.0, 1.0 / gap) * p)


def eigvalsh_grad(g, a, UPLO="L"):
    """The gradient of ``np.linalg.eigvalsh(a, UPLO)``: ``v diag(g) v^T`` on the triangle read."""
    real_only(a, 'np.linalg.eigvalsh')
    _, v = np.linalg.eigh(a, UPLO)
    return _triangle_grad((v * np.asarray(g)[..., None, :]) @ matrix_transpose(v), UPLO)


def eigvalsh_tangent(t, a, UPLO="L"):
    """The tangent of ``np.linalg.eigvalsh(a, UPLO)``: ``diag(v^T S v)``, ``S`` the symmetric
    tangent the triangle read gives."""
    _, v = np.linalg.eigh(a, UPLO)
    return np.einsum("...ji,...jk,...ki->...i", v, _symmetric_from(t, UPLO), v)


def svd_grad(g, a, ans, full_matrices=True, compute_uv=True):
    """The gradient of ``np.linalg.svd(a, full_matrices, compute_uv)`` (Townsend, 2016).

    With ``full_matrices`` and a non-square ``a``, the columns beyond ``min(m, n)`` of ``u``
    (or rows of ``vh``) are not unique: their adjoints must be zero.
    """
    real_only(a, 'np.linalg.svd')
    if not compute_uv:  # (g: an array, or a list of the values' adjoints, None for zeros)
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return (u * np.asarray(as_array_grad(g, ans))[..., None, :]) @ vh
    u, s, vh = ans
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    gu, gs, gvh = _part(g, 0, u), _part(g, 1, s), _part(g, 2, vh)
    if full_matrices and m != n:
        if np.any(gu[..., :, k:]) or np.any(gvh[..., k:, :]):
            raise NonDifferentiableError(
                "the gradient of np.linalg.svd(..., full_matrices=True) of a non-square matrix "
                "through its extra singular vectors is not defined (they are not unique)",
                fix="pass full_matrices=False")
        u, gu, vh, gvh = u[..., :, :k], gu[..., :, :k], vh[..., :k, :], gvh[..., :k, :]
    v, gv = matrix_transpose(vh), matrix_transpose(gvh)
    eye = np.eye(k, dtype=bool)
    gap = s[..., None, :] ** 2 - s[..., :, None] ** 2
    f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, gap))
    utgu = matrix_transpose(u) @ gu
    vtgv = vh @ gv
    inner = (f * (utgu - matrix_transpose(utgu))) * s[..., None, :] + _diag_embed(gs) + \
        s[..., :, None] * (f * (vtgv - matrix_transpose(vtgv)))
    da = u @ inner @ vh
    if m > k:
        da = da + (gu - u @ utgu) / s[..., None, :] @ vh
    if n > k:
        da = da + u @ (matrix_transpose(gv - v @ vtgv) / s[..., :, None])
    return da


def svd_tangent(t, a, ans, full_matrices=True, compute_uv=True):
    """The tangents of ``np.linalg.svd(a, full_matrices, compute_uv)`` from the tangent ``t``
    of ``a`` (Townsend, 2016). With ``P = u^T t v``: ``ds = diag(P)``, ``du = u (F o (P s + s
    P^T)) + (I - u u^T) t v / s``, ``dv = v (F o (s P + P^T s)) + (I - v v^T) t^T u / s``,
    ``F[i, j] = 1 / (s[j]^2 - s[i]^2)`` off the diagonal.

    With ``full_matrices``, the columns of ``u`` (rows of ``vh``) beyond ``min(m, n)`` are not
    unique: their tangents are NaN (not defined), as their gradient is refused.
    """
    if not compute_uv:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return np.einsum("...ji,...jk,...ik->...i", u, t, vh)
    u_all, s, vh_all = ans
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    u, vh = u_all[..., :, :k], vh_all[..., :k, :]
    v, tt = matrix_transpose(vh), matrix_transpose(t)
    p = matrix_transpose(u) @ t @ v
    eye = np.eye(k, dtype=bool)
    gap = s[..., None, :] ** 2 - s[..., :, None] ** 2
    f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, gap))
    du = u @ (f * (p * s[..., None, :] + s[..., :, None] * matrix_transpose(p)))
    dv = v @ (f * (s[..., :, None] * p + matrix_transpose(p) * s[..., None, :]))
    if m > k:
        du = du + (t @ v - u @ p) / s[..., None, :]
    if n > k:
        dv = dv + (tt @ u - v @ matrix_transpose(p)) / s[..., None, :]
    ds = np.diagonal(p, 0, -2, -1)
    dvh = matrix_transpose(dv)
    if full_matrices and m != n:  # the extra singular vectors: no tangent defined
        du = np.concatenate([du, np.full(np.shape(u_all[..., :, k:]), np.nan, du.dtype)], -1)
        dvh = np.concatenate([dvh, np.full(np.shape(vh_all[..., k:, :]), np.nan, dvh.dtype)],
                             -2)
    return du, ds, dvh


def _times_inverse_transpose(x, r):
    """``x @ inv(r).T`` for square ``r``, by a solve."""
    return matrix_transpose(np.linalg.solve(r, matrix_transpose(x)))


def qr_grad(g, a, ans):
    """The gradient of ``q, r = np.linalg.qr(a)`` (mode ``"reduced"``): for ``m >= n``,
    ``(gq + q copyltu(M)) r^-T`` with ``M = r gr^T - gq^T q``; a wide ``a = [x | y]``
    (``x`` square) as in TensorFlow: ``x``'s part with ``gq + y gr_y^T``, ``y``'s ``q gr_y``.
    (No recursion, so that it can be differentiated through its source.)"""
    real_only(a, 'np.linalg.qr')
    q, r = ans
    gq, gr = _part(g, 0, q), _part(g, 1, r)
    m, n = np.shape(a)[-2:]
    wide = m < n
    dy = None
    if wide:  # x = a[..., :, :m] is square: its part as for m >= n, with gq and gr changed
        a = np.asarray(a)
        gr_y = gr[..., :, m:]
        gq = gq + a[..., :, m:] @ matrix_transpose(gr_y)
        gr = gr[..., :, :m]
        r = r[..., :, :m]
        dy = q @ gr_y
    mm = r @ matrix_transpose(gr) - matrix_transpose(gq) @ q
    lower = np.tril(mm, -1)
    copyltu = lower + matrix_transpose(lower) + _diag_embed(np.diagonal(mm, 0, -2, -1))
    da = _times_inverse_transpose(gq + q @ copyltu, r)
    if wide:
        da = np.concatenate([da, dy], axis=-1)
    return da


def qr_tangent(t, a, ans):
    """The tangents of ``q, r = np.linalg.qr(a)`` (mode ``"reduced"``) from the tangent ``t``
    of ``a``: for ``m >= n`` see :func:`_tall_qr_tangent`; a wide ``a = [x | y]`` (``x``
    square): ``x``'s, then ``dr_y = dq^T y + q^T t_y``."""
    q, r = ans
    m, n = np.shape(a)[-2:]
    if m >= n:
        return _tall_qr_tangent(t, q, r)
    a, t = np.asarray(a), np.asarray(t)
    dq, dr_x = _tall_qr_tangent(t[..., :, :m], q, r[..., :, :m])
    dr_y = matrix_transpose(dq) @ a[..., :, m:] + matrix_transpose(q) @ t[..., :, m:]
    return dq, np.concatenate([dr_x, dr_y], axis=-1)


def _tall_qr_tangent(t, q, r):
    """The tangents of ``q, r`` for an ``a`` with ``m >= n``: with ``X = q^T t r^-1`` and
    ``W`` its antisymmetric part below the diagonal, ``dq = q W + (I - q q^T) t r^-1`` and
    ``dr = (X - W) r``."""
    t_over_r = matrix_transpose(np.linalg.solve(matrix_transpose(r), matrix_transpose(t)))
    x = matrix_transpose(q) @ t_over_r
    below = np.tril(x, -1)
    w = below - matrix_transpose(below)
    return q @ w + t_over_r - q @ x, (x - w) @ r


def pinv_grad(g, a, ans):
    """The gradient of ``p = np.linalg.pinv(a)`` where the rank does not change nearby:
    ``-p^T g p^T + (I - a p) g^T p p^T + p^T p g^T (I - p a)``."""
    real_only(a, 'np.linalg.pinv')
    p, pt, gt = ans, matrix_transpose(ans), matrix_transpose(g)
    return -pt @ g @ pt + (gt - a @ (p @ gt)) @ (p @ pt) + (pt @ p) @ (gt - (gt @ p) @ a)


def pinv_tangent(t, a, ans):
    """The tangent of ``p = np.linalg.pinv(a)`` where the rank does not change nearby:
    ``-p t p + p p^T t^T (I - a p) + (I - p a) t^T p^T p``."""
    p, pt, tt = ans, matrix_transpose(ans), matrix_transpose(t)
    return -p @ t @ p + (p @ pt) @ (tt - (tt @ a) @ p) + (tt - p @ (a @ tt)) @ (pt @ p)


def lstsq_grads(g, a, b, ans):
    """The gradients of ``(a, b)`` in ``(x, residuals, rank, s) = np.linalg.lstsq(a, b)``,
    where ``a``'s rank does not change nearby: through ``x = pinv(a) b``, each residual ``|a x -
    b|^2`` (``2 r x^T`` and ``-2 r``, ``r = a x - b``: ``a^T r = 0``) and the singular values (the
    rank is an integer)."""
    real_only(a, 'np.linalg.lstsq')
    x, residuals, _, s = ans
    gx = _part(g, 0, x)
    p = np.linalg.pinv(a)
    vector = np.ndim(b) == 1
    gx2, x2, b2 = (gx[:, None], np.asarray(x)[:, None], np.asarray(b)[:, None]) if vector \
        else (gx, x, b)
    db = matrix_transpose(p) @ gx2
    da = pinv_grad(gx2 @ matrix_transpose(b2), a, p)
    if g[1] is not None and np.size(residuals):
        scaled = 2.0 * (a @ x2 - b2) * g[1]
        da = da + scaled @ matrix_transpose(x2)
        db = db - scaled
    if g[3] is not None:
        da = da + svd_grad(g[3], a, s, False, False)
    return da, db[:, 0] if vector else db


def lstsq_tangents(t_a, t_b, a, b, ans):
    """The tangents of ``(x, residuals, rank, s) = np.linalg.lstsq(a, b)`` from the tangent
    ``t_a`` of ``a`` or ``t_b`` of ``b`` (the other None), where ``a``'s rank does not change
    nearby: ``x = pinv(a) b``; each residual ``|a x - b|^2`` changes by ``2 (a x - b) . (t_a x -
    t_b)`` (``a^T (a x - b) = 0``); the singular values as in :func:`svd_tangent`; the rank, an
    integer, not at all."""
    x, residuals, rank, s = ans
    p = np.linalg.pinv(a)
    vector = np.ndim(b) == 1
    x2, b2 = (np.asarray(x)[:, None], np.asarray(b)[:, None]) if vector else (x, b)
    if t_a is not None:
        moved = t_a @ x2
        dx = pinv_tangent(t_a, a, p) @ b2
        ds = svd_tangent(t_a, a, s, compute_uv=False)
    else:
        moved = -(np.asarray(t_b)[:, None] if vector else t_b)
        dx = p @ -moved
        ds = np.zeros_like(s)
    d_residuals = np.zeros_like(residuals)
    if np.size(residuals):
        d_residuals = 2.0 * np.sum((a @ x2 - b2) * moved, axis=0)
    return dx[:, 0] if vector else dx, d_residuals, np.zeros_like(rank), ds


def matrix_power_grad(g, a, n):
    """The gradient of ``np.linalg.matrix_power(a, n)``: ``sum_k (a^T)^k g (a^T)^(n-1-k)``,
    as ``d <- d a^T + (a^T)^k g`` for ``k`` up to ``n - 1``; for ``n < 0`` through the
    inverse. (No recursion, so that it can be differentiated through its source.)"""
    if n < 0:
        at = matrix_transpose(np.linalg.inv(a))
    else:
        at = matrix_transpose(np.asarray(a))
    power = np.eye(np.shape(a)[-1], dtype=at.dtype)
    da = np.zeros(np.shape(a), dtype=np.result_type(g, at))
    for _ in range(abs(n)):
        da = da @ at + power @ g
        power = power @ at
    if n < 0:
        da = -(at @ da @ at)
    return da


def matrix_power_tangent(t, a, n):
    """The tangent of ``np.linalg.matrix_power(a, n)``: ``d(a^(k+1)) = d(a^k) a + a^k t``;
    for ``n < 0``, that of the inverse's ``-n``-th power (the inverse's tangent:
    ``-a^-1 t a^-1``)."""
    if n < 0:
        a = np.linalg.inv(a)
        t = -a @ t @ a
        n = -n
    if n == 0:
        return np.zeros(np.broadcast_shapes(np.shape(a), np.shape(t)),
                        dtype=np.result_type(a, t))
    power, tangent = a, t
    for _ in range(n - 1):
        power, tangent = power @ a, tangent @ a + power @ t
    return tangent


def multi_dot_grads(g, arrays):
    """The gradients of ``np.linalg.multi_dot(arrays)``: each matrix's is ``left^T g right^T``
    (``left``, ``right``: the products before and after it); a 1-d first (last) array is a
    row (column)."""
    mats = [np.asarray(x) for x in arrays]
    if mats[0].ndim == 1:
        mats[0] = mats[0][None, :]
    if mats[-1].ndim == 1:
        mats[-1] = mats[-1][:, None]
    g2 = np.reshape(g, (mats[0].shape[0], mats[-1].shape[1]))
    lefts = [np.eye(mats[0].shape[0], dtype=mats[0].dtype)]
    for x in mats[:-1]:
        lefts.append(lefts[-1] @ x)
    grads = [None] * len(mats)
    right = np.eye(mats[-1].shape[1], dtype=mats[-1].dtype)
    for i in range(len(mats) - 1, -1, -1):
        grads[i] = np.reshape(lefts[i].T @ g2 @ right.T, np.shape(arrays[i]))
        right = mats[i] @ right
    return grads


def multi_dot_tangent(t, arrays):
    """The tangent of ``np.linalg.multi_dot(arrays)`` from the tangents ``t`` of the arrays (a
    list aligned with them, None where there is none): the sum of the products with one array
    replaced by its tangent."""
    total = None
    for k, tangent in enumerate(t):
        if tangent is None:
            continue
        part = np.linalg.multi_dot([*arrays[:k], tangent, *arrays[k + 1:]])
        total = part if total is None else total + part
    return total


def average_grads(g, a, axis=None, weights=None, keepdims=False):
    """The gradients of ``(a, weights)`` in ``np.average(a, axis, weights, keepdims=...)``:
    ``g w / sum(w)`` and ``g (a - average) / sum(w)`` (a 1-d ``weights`` lies along ``axis``)."""
    a = np.asarray(a)
    if isinstance(g, (list, tuple)):
        raise NonDifferentiableError("np.average(..., returned=True) has no gradient rule",
                                     fix="compute the sum of the weights with np.sum")
    g_full = unreduce(g, a, axis, keepdims)
    if weights is None:
        return g_full / unreduce_count(a, axis), None
    w = np.asarray(weights)
    along = _weights_along(w, a, axis)
    total = np.sum(np.broadcast_to(along, a.shape), axis=axis, keepdims=True)
    mean = np.sum(a * along, axis=axis, keepdims=True) / total
    dw = unbroadcast_to(g_full * (a - mean) / total, along.shape)
    return g_full * along / total, np.reshape(dw, w.shape)


def average_weights_tangent(t, a, weights, axis=None, keepdims=False):
    """The tangent of ``np.average(a, axis, weights, keepdims=...)`` from the tangent ``t`` of
    ``weights``: ``sum((a - average) t) / sum(weights)`` over the axis."""
    a = np.asarray(a)
    along = _weights_along(np.asarray(weights), a, axis)
    total = np.sum(np.broadcast_to(along, a.shape), axis=axis, keepdims=True)
    mean = np.sum(a * along, axis=axis, keepdims=True) / total
    return np.sum((a - mean) * np.reshape(t, along.shape) / total, axis=axis, keepdims=keepdims)


def _weights_along(w, a, axis):
    """``np.average``'s weights as an array that broadcasts against ``a`` (a 1-d ``w`` lies
    along ``axis``)."""
    if w.shape != a.shape and w.ndim == 1 and np.ndim(axis) == 0 and axis is not None:
        return np.reshape(w, [w.size if i == axis % a.ndim else 1 for i in range(a.ndim)])
    return w


def _quantile_plan(a, q, axis, method):
    """How ``np.quantile(a, q, axis, method=method)`` computes its results: ``a``'s axes in the
    order that puts the reduced ones last, its rows (those flattened), the order sorting each
    row, and per quantile the two sorted positions ``lo``, ``hi`` it interpolates and the
    weight ``w`` of ``hi``: ``(1 - w) s[lo] + w s[hi]`` of the sorted values ``s``, ``lo + w``
    the virtual index ``q (n - 1)`` (``w`` rounded by the discrete methods)."""
    methods = {"linear": lambda w, lo: w, "lower": lambda w, lo: np.zeros_like(w),
               "higher": lambda w, lo: np.ceil(w),
               "midpoint": lambda w, lo: np.where(w > 0, 0.5, 0.0),
               "nearest": lambda w, lo: np.where(w == 0.5, lo % 2, np.around(w))}
    if method not in methods:
        raise NonDifferentiableError(f"np.quantile(..., method={method!r}) has no gradient "
                                     f"rule", fix=f"use one of {sorted(methods)}")
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    kept = [i for i in range(a.ndim) if i not in axes]
    permutation = kept + list(axes)
    moved = np.transpose(a, permutation)
    rows = moved.reshape(moved.shape[:len(kept)] + (-1,))
    n = rows.shape[-1]
    order = np.argsort(rows, axis=-1, kind="stable")
    virtual = np.ravel(q) * (n - 1)
    lo = np.floor(virtual)
    w = methods[method](virtual - lo, lo)
    lo = lo.astype(np.intp)
    return permutation, rows, order, lo, np.minimum(lo + 1, n - 1), w


def quantile_grads(g, a, q, axis=None, method="linear", keepdims=False):
    """The gradients of ``(a, q)`` in ``np.quantile(a, q, axis, method=method,
    keepdims=keepdims)``: each result is ``(1 - w) s[lo] + w s[hi]`` of the sorted values
    ``s`` (see :func:`_quantile_plan`)."""
    a = np.asarray(a)
    permutation, rows, order, lo, hi, w = _quantile_plan(a, q, axis, method)
    n = rows.shape[-1]
    rest = rows.shape[:-1]
    ordered = np.take_along_axis(rows, order, -1)
    q = np.asarray(q)
    g_rows = np.reshape(g, (lo.size,) + rest)
    sorted_grad = np.zeros(rows.shape, dtype=_float_dtype(g, a))
    dq = np.zeros(lo.size, dtype=_float_dtype(g, q))
    for j in range(lo.size):
        sorted_grad[..., lo[j]] += (1 - w[j]) * g_rows[j]
        sorted_grad[..., hi[j]] += w[j] * g_rows[j]
        if method == "linear":
            dq[j] = np.sum(g_rows[j] * (ordered[..., hi[j]] - ordered[..., lo[j]])) * (n - 1)
    grad_rows = np.zeros_like(sorted_grad)
    np.put_along_axis(grad_rows, order, sorted_grad, -1)
    moved_shape = tuple(a.shape[i] for i in permutation)
    da = np.transpose(grad_rows.reshape(moved_shape), np.argsort(permutation))
    return da, np.reshape(dq, q.shape) if q.ndim else dq[0]


def quantile_tangent(ans, a, q, axis=None, method="linear", t_a=None, t_q=None):
    """The tangent of ``ans = np.quantile(a, q, axis, method=method, keepdims=...)`` from the
    tangent ``t_a`` of ``a`` (the same interpolation of ``t_a`` sorted as ``a`` is) or ``t_q``
    of ``q`` (``(s[hi] - s[lo]) (n - 1) t_q`` for the linear method, 0 for the discrete ones)."""
    a = np.asarray(a)
    permutation, rows, order, lo, hi, w = _quantile_plan(a, q, axis, method)
    if t_a is not None:
        t_rows = np.transpose(np.broadcast_to(t_a, a.shape), permutation).reshape(rows.shape)
        ordered = np.take_along_axis(t_rows, order, -1)
        out = ordered[..., lo] * (1 - w) + ordered[..., hi] * w
    else:
        ordered = np.take_along_axis(rows, order, -1)
        slope = (ordered[..., hi] - ordered[..., lo]) * (rows.shape[-1] - 1)
        out = slope * np.ravel(t_q) * (method == "linear")
    return np.reshape(np.moveaxis(out, -1, 0), np.shape(ans)).astype(_float_dtype(ans),
                                                                     copy=False)


# Arrays (srcgrad.rules.shapes and srcgrad.rules.numeric).

def gather_back(g, source, size, shape):
    """The gradient of an array whose elements each copy element ``source`` of an argument of
    ``size`` elements and ``shape`` (``source`` -1: a constant): ``g`` summed back there."""
    source = np.ravel(source)
    picked = source >= 0
    flat = np.bincount(source[picked], weights=np.ravel(g)[picked], minlength=size)
    return np.reshape(flat.astype(_float_dtype(g), copy=False), shape)


def pad_grads(g, array, pad_width, mode="constant"):
    """The gradients of ``(array, constant_values)`` in ``np.pad(array, pad_width, mode)``
    for the modes that copy elements (constant, edge, reflect, symmetric, wrap): where each
    element came from, found by padding the elements' numbers."""
    shape = np.shape(array)
    size = int(np.prod(shape))
    numbers = np.arange(size).reshape(shape)
    if mode == "constant":
        source = np.pad(numbers, pad_width, mode, constant_values=-1)
    else:
        source = np.pad(numbers, pad_width, mode)
    d_constant = np.sum(np.where(source < 0, g, 0.0))
    return gather_back(g, source, size, shape), d_constant


def kron_grads(g, a, b):
    """The gradients of ``(a, b)`` in ``np.kron(a, b)``: element ``(i, k)`` of each axis (``i``
    of ``a``, ``k`` of ``b``) is ``a[i] b[k]``; ``g`` with each axis split in two is summed
    against the other factor."""
    nd = max(np.ndim(a), np.ndim(b))
    a2 = np.reshape(a, (1,) * (nd - np.ndim(a)) + np.shape(a))
    b2 = np.reshape(b, (1,) * (nd - np.ndim(b)) + np.shape(b))
    split = np.reshape(g, [n for pair in zip(a2.shape, b2.shape) for n in pair])
    a_axes, b_axes = tuple(range(0, 2 * nd, 2)), tuple(range(1, 2 * nd, 2))
    da = np.sum(split * np.expand_dims(b2, a_axes), axis=b_axes)
    db = np.sum(split * np.expand_dims(a2, b_axes), axis=a_axes)
    return np.reshape(da, np.shape(a)), np.reshape(db, np.shape(b))


def select_grads(g, condlist, choicelist, default=0):
    """The gradients of ``(choicelist, default)`` in ``np.select(condlist, choicelist,
    default)``: each element's goes to the first choice whose condition holds, or the
    default."""
    taken = np.zeros(np.shape(g), dtype=bool)
    grads = []
    for cond, choice in zip(condlist, choicelist):
        chosen = np.logical_and(cond, ~taken)
        grads.append(unbroadcast(np.where(chosen, g, 0.0), choice))
        taken = taken | chosen
    return grads, unbroadcast(np.where(taken, 0.0, g), default)


def unrollaxis(g, a, axis, start=0):
    """The gradient of ``np.rollaxis(a, axis, start)``: ``g`` with the axis rolled back."""
    nd = np.ndim(a)
    axis, start = axis % nd, start % (nd + 1)
    destination = start - 1 if start > axis else start
    return np.moveaxis(g, destination, axis)


def undstack(g, tup):
    """The gradient of ``np.dstack(tup)``: ``g`` cut back into pieces shaped like ``tup``."""
    pieces = unconcatenate(g, [np.atleast_3d(x) for x in tup], 2)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, tup)]


def unpermute(g, a, ans, axis=-1):
    """The gradient of ``a`` where ``ans`` holds ``a``'s elements reordered along ``axis``
    (``np.partition``): each element's comes from where its value went (tied values in the
    order a stable sort gives)."""
    if axis is None:
        return np.reshape(unpermute(np.ravel(g), np.ravel(a), np.ravel(ans), 0), np.shape(a))
    source = np.argsort(a, axis=axis, kind="stable")
    target = np.argsort(ans, axis=axis, kind="stable")
    moved = np.take_along_axis(np.asarray(g), target, axis)  # g in sorted order
    da = np.zeros(np.shape(a), dtype=_float_dtype(g, a))
    np.put_along_axis(da, source, moved, axis)
    return da


def permute_tangent(t, a, ans, axis=-1):
    """The tangent of ``ans``, ``a``'s elements reordered along ``axis`` (``np.partition``):
    each element's tangent moves with its value (ties as in :func:`unpermute`)."""
    if axis is None:
        return permute_tangent(np.ravel(t), np.ravel(a), np.ravel(ans), 0)
    source = np.argsort(a, axis=axis, kind="stable")
    target = np.argsort(ans, axis=axis, kind="stable")
    moved = np.take_along_axis(np.asarray(t), source, axis)  # t in sorted order
    dans = np.zeros(np.shape(ans), dtype=_float_dtype(t, a))
    np.put_along_axis(dans, target, moved, axis)
    return dans


def along_axis_index(shape, indices, axis):
    """The index that ``np.take_along_axis`` and ``np.put_along_axis`` read or write in an
    array of ``shape``: a tuple of integer arrays (one element each)."""
    indices = np.asarray(indices)
    if axis is None:
        return np.unravel_index(np.where(indices < 0, indices + int(np.prod(shape)), indices),
                                shape)
    axis %= len(shape)
    index = []
    for i in range(len(shape)):
        if i == axis:
            index.append(np.where(indices < 0, indices + shape[axis], indices))
        else:
            index.append(np.arange(shape[i]).reshape([-1 if j == i else 1
                                                      for j in range(len(shape))]))
    return tuple(np.broadcast_arrays(*index))


def untake_along_axis(g, arr, indices, axis):
    """The gradient of ``np.take_along_axis(arr, indices, axis)``: ``g`` added back at the
    elements read, repeated ones summed."""
    da = np.zeros(np.shape(arr), dtype=_float_dtype(g, arr))
    np.add.at(da, along_axis_index(np.shape(arr), indices, axis), g)
    return da


def meshgrid_grads(g, xi, indexing="xy"):
    """The gradients of ``np.meshgrid(*xi, indexing=indexing)``: output ``i`` repeats
    ``xi[i]`` along its axis; its adjoint summed over the others (None: zeros)."""
    grads = []
    nd = len(xi)
    for i, x in enumerate(xi):
        axis = i
        if indexing == "xy" and nd > 1 and i < 2:
            axis = 1 - i
        if g[i] is None:
            grads.append(np.zeros(np.shape(x), dtype=_float_dtype(x)))
            continue
        others = tuple(j for j in range(np.ndim(g[i])) if j != axis)
        grads.append(np.reshape(np.sum(g[i], axis=others), np.shape(x)))
    return grads


def interp_grads(g, x, xp, fp, left=None, right=None):
    """The gradients of ``(x, xp, fp, left, right)`` in ``np.interp(x, xp, fp, left, right)``.

    ``x`` between knots ``i`` and ``i + 1`` gives ``fp[i] + t (fp[i + 1] - fp[i])`` with
    ``t = (x - xp[i]) / (xp[i + 1] - xp[i])``; at a knot, the segment to its right (the last
    knot: the last segment), as JAX. Outside the knots the result is ``left`` or ``right``
    (``fp``'s first or last value where None).
    """
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
    dtype = _float_dtype(g, x, xp, fp)
    n = xp.size
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
    below, above = x < xp[0], x > xp[-1]
    inside = ~(below | above)
    g = np.asarray(g, dtype=dtype)
    d_fp = np.zeros(n, dtype=dtype)
    d_xp = np.zeros(n, dtype=dtype)
    d_x = np.zeros(np.shape(x), dtype=dtype)
    if n > 1:
        width = xp[i + 1] - xp[i]
        t = (x - xp[i]) / width
        slope = (fp[i + 1] - fp[i]) / width
        g_in = np.where(inside, g, 0.0)
        np.add.at(d_fp, i, g_in * (1 - t))
        np.add.at(d_fp, i + 1, g_in * t)
        np.add.at(d_xp, i, g_in * slope * (t - 1))
        np.add.at(d_xp, i + 1, -g_in * slope * t)
        d_x = g_in * slope
    else:
        d_fp[0] += np.sum(np.where(inside, g, 0.0))
    g_below, g_above = np.sum(np.where(below, g, 0.0)), np.sum(np.where(above, g, 0.0))
    if left is None:
        d_fp[0] += g_below
    if right is None:
        d_fp[-1] += g_above
    d_left = None if left is None else g_below
    d_right = None if right is None else g_above
    return d_x.reshape(np.shape(x)), d_xp, d_fp, d_left, d_right


def interp_tangent(x, xp, fp, left=None, right=None, *, d_x=None, d_xp=None, d_fp=None,
                   d_left=None, d_right=None):
    """The tangent of ``np.interp(x, xp, fp, left, right)`` from its arguments' tangents
    (``d_x`` ...; None: zero), with the conventions of :func:`interp_grads`."""
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
    n = xp.size
    d_xp = np.zeros(n) if d_xp is None else np.asarray(d_xp)
    d_fp = np.zeros(n) if d_fp is None else np.asarray(d_fp)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
    below, above = x < xp[0], x > xp[-1]
    if n > 1:
        width = xp[i + 1] - xp[i]
        s = (x - xp[i]) / width
        slope = (fp[i + 1] - fp[i]) / width
        moved = -d_xp[i] * (1 - s) - d_xp[i + 1] * s
        if d_x is not None:
            moved = moved + d_x
        inside = d_fp[i] * (1 - s) + d_fp[i + 1] * s + slope * moved
    else:
        inside = np.broadcast_to(d_fp[0], x.shape)
    d_below = d_fp[0] if left is None else 0.0 if d_left is None else d_left
    d_above = d_fp[-1] if right is None else 0.0 if d_right is None else d_right
    tangent = np.where(below, d_below, np.where(above, d_above, inside))
    return tangent.astype(_float_dtype(x, xp, fp), copy=False).reshape(np.shape(x))[()]


def trapezoid_grads(g, y, x=None, dx=1.0, axis=-1):
    """The gradients of ``(y, x, dx)`` in ``np.trapezoid(y, x, dx, axis)``: the sum over
    ``axis`` of ``d (y[1:] + y[:-1]) / 2``, ``d`` the differences of ``x`` (or ``dx``)."""
    y = np.asarray(y)
    axis %= y.ndim
    if x is None:
        d = dx
    else:
        x = np.asarray(x)
        d = np.diff(x, axis=axis if x.ndim > 1 else 0)
        if x.ndim == 1:
            d = np.reshape(d, [-1 if i == axis else 1 for i in range(y.ndim)])
    g = np.expand_dims(np.asarray(g), axis)
    ahead = [slice(None)] * y.ndim
    behind = [slice(None)] * y.ndim
    ahead[axis], behind[axis] = slice(1, None), slice(None, -1)
    dy = np.zeros(y.shape, dtype=_float_dtype(g, y))
    dy[tuple(ahead)] += g * d / 2
    dy[tuple(behind)] += g * d / 2
    d_d = g * (y[tuple(ahead)] + y[tuple(behind)]) / 2
    if x is None:
        return dy, None, unbroadcast(d_d, dx)
    no_dx = 0.0 * np.sum(g)  # (dx is not used)
    if x.ndim == 1:
        d_d = np.ravel(unbroadcast_to(d_d, d.shape))
        return dy, undiff(d_d, x, 1, 0)[0], no_dx
    d_d = unbroadcast_to(d_d, np.broadcast_shapes(d.shape, d_d.shape))
    return dy, unbroadcast(undiff(d_d, np.broadcast_to(x, y.shape), 1, axis)[0], x), no_dx


def polyval_grads(g, p, x):
    """The gradients of ``(p, x)`` in ``np.polyval(p, x)``: the powers of ``x`` (highest
    first) and the derivative of the polynomial."""
    p, x = np.asarray(p), np.asarray(x)
    n = p.shape[0]
    powers = x[..., None] ** np.arange(n - 1, -1, -1).astype(_float_dtype(x))
    dp = np.reshape(np.asarray(g)[..., None] * powers, (-1, n)).sum(axis=0)
    dx = g * np.polyval(np.polyder(p), x) if n > 1 else np.zeros_like(g * x)
    return (dp.astype(_float_dtype(g, p), copy=False),
            unbroadcast(np.asarray(dx, dtype=_float_dtype(g, x)), x))


def _full_adjoint(g, n, m, mode, correlate=False):
    """``g``, the adjoint of ``np.convolve`` (or ``np.correlate``) of lengths ``n`` and ``m``
    in ``mode``, as the adjoint of the full one (zeros where ``mode`` cut it)."""
    g = np.asarray(g)
    if mode == "full":
        return g
    short = min(n, m)
    start = short - 1 if mode == "valid" else \
        short // 2 if correlate and n < m else (short - 1) // 2
    full = np.zeros(n + m - 1, dtype=g.dtype)
    full[start:start + g.size] = g
    return full


def convolve_grads(g, a, v, mode="full"):
    """The gradients of ``(a, v)`` in ``np.convolve(a, v, mode)``: correlations of the full
    convolution's adjoint with the other argument."""
    a, v = np.asarray(a), np.asarray(v)
    full = _full_adjoint(g, a.size, v.size, mode)
    return np.correlate(full, v, "valid"), np.correlate(full, a, "valid")


def correlate_grads(g, a, v, mode="valid"):
    """The gradients of ``(a, v)`` in ``np.correlate(a, v, mode)``: the full correlation is
    ``np.convolve(a, v[::-1])`` for real arrays."""
    a, v = np.asarray(a), np.asarray(v)
    da, dv = convolve_grads(_full_adjoint(g, a.size, v.size, mode, correlate=True), a, v[::-1])
    return da, dv[::-1]


def as_array_grad(g, ans):
    """The adjoint ``g`` of an array result ``ans`` of a primitive whose result may also be a
    list (``np.gradient``): given as a list of its items' adjoints (None: zeros), an array."""
    if not isinstance(g, (list, tuple)):
        return g
    return np.array([np.zeros_like(ans[i]) if part is None else part
                     for i, part in enumerate(g)])


# Quantiles that skip NaNs, weighted quantiles, np.gradient with several spacings,
# np.cumulative_sum/cumulative_prod (srcgrad.rules.reductions and srcgrad.rules.numeric).

def _as_rows(a, axis):
    """``a`` with the axes ``axis`` reduces moved last and flattened into one:
    ``(rows, moved shape, order of the axes moved)``."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    kept = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, kept + list(axes))
    return moved.reshape(moved.shape[:len(kept)] + (-1,)), moved.shape, kept + list(axes)


def _from_rows(rows, moved_shape, order):
    """The inverse of :func:`_as_rows`: rows back in the shape and axis order of ``a``."""
    return np.transpose(rows.reshape(moved_shape), np.argsort(order))


_QUANTILE_FRACTIONS = {"linear": lambda t, lo: t, "lower": lambda t, lo: np.zeros_like(t),
                       "higher": lambda t, lo: np.ceil(t),
                       "midpoint": lambda t, lo: np.where(t > 0, 0.5, 0.0),
                       "nearest": lambda t, lo: np.where(t == 0.5, lo % 2, np.around(t))}


def _nan_quantile_picks(a, q, axis, method, skip_nan=True):
    """Where each result of ``np.nanquantile(a, q, axis, method=method)`` (``skip_nan``
    False: ``np.quantile``) reads ``a``: each is ``(1 - t) a[lo] + t a[hi]`` of two elements,
    given as flat indices into the rows of :func:`_as_rows` (with ``skip_nan``, the NaNs of
    each row skipped); also the slope of the result in ``q``.
    Returns ``(rows, moved shape, axis order, lo, hi, t, slope, empty)``; the last five have
    shape ``(q.size,) + rows.shape[:-1]`` (``empty``: a slice of NaNs only, whose result is
    NaN)."""
    if method not in _QUANTILE_FRACTIONS:
        raise NonDifferentiableError(f"np.nanquantile(..., method={method!r}) has no gradient "
                                     f"rule", fix=f"use one of {sorted(_QUANTILE_FRACTIONS)}")
    rows, moved_shape, order = _as_rows(a, axis)
    n = rows.shape[-1]
    ranked = np.argsort(rows, axis=-1, kind="stable")  # NaNs last
    count = np.sum(~np.isnan(rows), axis=-1) if skip_nan else np.full(rows.shape[:-1], n)
    virtual = np.reshape(np.ravel(q), (-1,) + (1,) * count.ndim) * np.maximum(count - 1, 0)
    lo = np.floor(virtual)
    t = _QUANTILE_FRACTIONS[method](virtual - lo, lo)
    lo = lo.astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    start = np.reshape(np.arange(count.size) * n, count.shape)
    ranked_flat = np.ravel(ranked)
    lo_at, hi_at = start + ranked_flat[start + lo], start + ranked_flat[start + hi]
    flat = np.ravel(rows)
    slope = (flat[hi_at] - flat[lo_at]) * (count - 1) if method == "linear" \
        else np.zeros(virtual.shape)
    empty = np.broadcast_to(count == 0, virtual.shape)
    return rows, moved_shape, order, lo_at, hi_at, t, slope, empty


def nan_quantile_grads(g, a, q, axis=None, method="linear", keepdims=False):
    """The gradients of ``(a, q)`` in ``np.nanquantile(a, q, axis, method=method,
    keepdims=keepdims)``: as :func:`quantile_grads`, over each slice's values that are not
    NaN (NaNs get none; a slice of NaNs gives none)."""
    rows, moved_shape, order, lo, hi, t, slope, empty = _nan_quantile_picks(a, q, axis, method)
    g = np.where(empty, 0.0, np.reshape(g, lo.shape))
    weights = np.concatenate([np.ravel((1 - t) * g), np.ravel(t * g)])
    flat = np.bincount(np.concatenate([np.ravel(lo), np.ravel(hi)]), weights=weights,
                       minlength=rows.size)
    da = _from_rows(flat.reshape(rows.shape), moved_shape, order).astype(_float_dtype(g, a))
    dq = np.sum(np.reshape(g * slope, (lo.shape[0], -1)), axis=-1).astype(_float_dtype(g, q))
    return da, np.reshape(dq, np.shape(q))


def nan_quantile_tangent(t, a, q, ans, axis=None, method="linear", wrt="a", skip_nan=True):
    """The tangent of ``ans = np.nanquantile(a, q, axis, method=method)`` (``skip_nan``
    False: ``np.quantile``) from the tangent ``t`` of ``a`` (``wrt="a"``) or of ``q``
    (``wrt="q"``)."""
    _, _, _, lo, hi, frac, slope, empty = _nan_quantile_picks(a, q, axis, method, skip_nan)
    if wrt == "q":
        tangent = slope * np.reshape(t, (-1,) + (1,) * (lo.ndim - 1))
    else:
        t_flat = np.ravel(_as_rows(np.broadcast_to(t, np.shape(a)), axis)[0])
        tangent = (1 - frac) * t_flat[lo] + frac * t_flat[hi]
    return np.reshape(np.where(empty, np.nan, tangent), np.shape(ans)) \
        .astype(_float_dtype(t, ans), copy=False)


def _picked_positions(a, ans, axis):
    """For a quantile that is one element of ``a`` (``method="inverted_cdf"`` with
    ``weights=``): flat indices into the rows of :func:`_as_rows` of an element equal to
    each result (the first, where several tie), and whether one is (a NaN result: none)."""
    rows, moved_shape, order = _as_rows(a, axis)
    found = np.reshape(ans, (-1,) + rows.shape[:-1])[..., None] == rows
    start = np.reshape(np.arange(int(np.prod(rows.shape[:-1]))) * rows.shape[-1],
                       rows.shape[:-1])
    return rows, moved_shape, order, start + np.argmax(found, axis=-1), np.any(found, axis=-1)


def picked_quantile_grad(g, a, ans, axis=None):
    """The gradient of ``a`` in a quantile ``ans`` that picks one of its elements (see
    :func:`_picked_positions`): ``g`` at the element picked."""
    rows, moved_shape, order, where, found = _picked_positions(a, ans, axis)
    weights = np.where(found, np.reshape(g, found.shape), 0.0)
    flat = np.bincount(np.ravel(where), weights=np.ravel(weights), minlength=rows.size)
    return _from_rows(flat.reshape(rows.shape), moved_shape, order).astype(_float_dtype(g, a))


def picked_quantile_tangent(t, a, ans, axis=None):
    """The tangent of a quantile ``ans`` that picks one element of ``a``, from ``a``'s
    tangent ``t``: ``t`` at the element picked."""
    _, _, _, where, found = _picked_positions(a, ans, axis)
    t_flat = np.ravel(_as_rows(np.broadcast_to(t, np.shape(a)), axis)[0])
    return np.reshape(np.where(found, t_flat[where], 0.0), np.shape(ans)) \
        .astype(_float_dtype(t, ans), copy=False)


def _gradient_spacings(f, varargs, axis):
    """The axes ``np.gradient(f, *varargs, axis=axis)`` differentiates along and the spacing
    of each: a number, or the coordinates of the samples (an array)."""
    axes = _axes(axis, np.ndim(f))
    if not varargs:
        return axes, [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return axes, list(varargs) * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("invalid number of arguments")  # (as np.gradient)
    return axes, list(varargs)


def _gradient_stencil(spacing, n, edge_order):
    """The coefficients of np.gradient along an axis of ``n`` samples: ``(first, middle,
    last)``, ``middle`` a (3, n - 2) array weighting samples ``i - 1, i, i + 1`` for each
    inner ``i``, ``first`` and ``last`` those of the first and last ``edge_order + 1``
    samples for the two ends."""
    dx = np.full(n - 1, spacing, dtype=float) if np.ndim(spacing) == 0 else \
        np.diff(np.asarray(spacing, dtype=float))
    dx1, dx2 = dx[:-1], dx[1:]
    middle = np.stack([-dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2),
                       dx1 / (dx2 * (dx1 + dx2))])
    if edge_order == 1:
        return np.array([-1.0, 1.0]) / dx[0], middle, np.array([-1.0, 1.0]) / dx[-1]
    a, b = dx[0], dx[1]
    first = np.array([-(2 * a + b) / (a * (a + b)), (a + b) / (a * b), -a / (b * (a + b))])
    a, b = dx[-2], dx[-1]
    last = np.array([b / (a * (a + b)), -(a + b) / (a * b), (2 * b + a) / (b * (a + b))])
    return first, middle, last


def gradient_grads(g, f, ans, varargs=(), axis=None, edge_order=1):
    """The gradient of ``f`` in ``ans = np.gradient(f, *varargs, axis=axis,
    edge_order=edge_order)``: the adjoint of each axis's difference stencil."""
    f = np.asarray(f)
    axes, spacings = _gradient_spacings(f, varargs, axis)
    g = [as_array_grad(g, ans)] if len(axes) == 1 else g
    df = np.zeros(f.shape, dtype=_float_dtype(f, *[x for x in g if x is not None]))
    column = (slice(None),) + (None,) * (f.ndim - 1)
    for k, (axis_k, spacing) in enumerate(zip(axes, spacings)):
        if g[k] is None:
            continue
        first, middle, last = _gradient_stencil(spacing, f.shape[axis_k], edge_order)
        gk = np.moveaxis(np.asarray(g[k]), axis_k, 0)
        out = np.moveaxis(df, axis_k, 0)  # a view of df
        for shift in range(3):
            out[shift:out.shape[0] - 2 + shift] += middle[shift][column] * gk[1:-1]
        out[:len(first)] += first[column] * gk[0][None]
        out[-len(last):] += last[column] * gk[-1][None]
    return df


# ---------------------------------------------------------------------------------------------
# Second derivatives: the adjoints of the helpers above, where generated code is itself
# differentiated (srcgrad/rules/helpers.py).
# ---------------------------------------------------------------------------------------------


def unreduce_grad(g, grad, x, axis=None, keepdims=False):
    """The gradient of ``grad`` in ``unreduce(grad, x, axis, keepdims)``: ``g`` (shaped like
    ``x``) summed over the reduced axes, back to the shape of ``grad``."""
    kept = np.shape(unreduce_like(grad, x, axis, keepdims))
    return unbroadcast(np.reshape(unbroadcast_to(g, kept), np.shape(grad)), grad)


def add_grads_grad(g, a):
    """The gradient of ``a`` in ``add_grads(a, b)``: None where ``a`` is None (zero) or ``g``
    is, ``g`` summed down to the shape of ``a`` for an array, item by item for a list, tuple
    or dict."""
    if a is None or g is None:
        return None
    if isinstance(a, (list, tuple)):
        return [add_grads_grad(part, item) for part, item in zip(g, a)]
    if isinstance(a, dict):
        return {key: add_grads_grad(g.get(key), item) for key, item in a.items()}
    return unbroadcast(g, a)


def as_grad_grad(g, dx, x):
    """The gradient of ``dx`` in ``as_grad(dx, x)``: None where ``dx`` is None (zero); for a
    number ``x`` (whose gradient sums ``dx``), ``g`` spread over ``dx``'s shape; for an array,
    ``g`` summed down to it, in ``dx``'s dtype; item by item for a list, tuple or dict."""
    if dx is None or g is None:
        return None
    if isinstance(x, (list, tuple)):
        return [as_grad_grad(part, d, item) for part, d, item in zip(g, dx, x)]
    if isinstance(x, dict):
        return {key: as_grad_grad(g[key], d, x[key]) for key, d in dx.items() if key in x}
    if not isinstance(x, np.ndarray):
        part = spread(g, np.shape(dx))
    else:
        part = unbroadcast_to(g, np.shape(dx))
    return cast_back(part, dx)


def restack(g, grad, axis=0):
    """The gradient of ``grad`` in ``unstack(grad, axis)``: the slices' gradients ``g`` (None
    for zero) stacked back along ``axis``."""
    like = np.moveaxis(np.asarray(grad), axis, 0)
    parts = [np.zeros_like(like[k], dtype=_float_dtype(like)) if part is None else part
             for k, part in enumerate(g)]
    return np.stack(parts, axis)


def reconcatenate(g, arrays, axis=0):
    """The gradient of ``grad`` in ``unconcatenate(grad, arrays, axis)``: the pieces'
    gradients ``g`` (None for zero) joined back along ``axis``."""
    parts = [np.zeros(np.shape(x), dtype=_float_dtype(x)) if part is None else part
             for part, x in zip(g, arrays)]
    if axis is None:
        return np.concatenate([np.ravel(part) for part in parts])
    return np.concatenate(parts, axis)


def slot_grad(g, index, x):
    """The gradient of a value ``x`` written into ``[index]`` of an adjoint whose gradient is
    ``g`` (``unindex``, ``add_at``): ``g[index]`` summed down to the shape of ``x``; for a list
    or dict adjoint, its item (None for zero)."""
    if g is None:
        return None
    if isinstance(g, dict):
        return g.get(index)
    if isinstance(g, (list, tuple)):
        return g[index]
    return unbroadcast(np.asarray(g)[index], x)
def _refuse_coordinates(varargs):
    if any(np.ndim(v) != 0 for v in varargs):
        raise NonDifferentiableError("np.gradient has no gradient rule for coordinate arrays "
                                     "(only for spacings given as numbers)",
                                     fix="pass the coordinates as a constant")


def gradient_spacing_grads(g, ans, varargs):
    """The gradients of the spacings (numbers) in ``ans = np.gradient(f, *varargs,
    axis=axis)``: each axis's result is ``1 / h`` times its result for spacing 1, so ``h``
    gets ``-sum(g ans) / h`` (summed over every axis where one number serves them all)."""
    _refuse_coordinates(varargs)
    parts = [ans] if not isinstance(ans, (list, tuple)) else ans
    g = [as_array_grad(g, ans)] if len(parts) == 1 else g
    spacings = list(varargs) * len(parts) if len(varargs) == 1 else list(varargs)
    grads = [0.0 if gk is None else -np.sum(gk * part) / h
             for gk, part, h in zip(g, parts, spacings)]
    return [sum(grads)] if len(varargs) == 1 else grads


def gradient_spacing_tangent(t, ans, varargs):
    """The tangent of ``ans = np.gradient(f, *varargs, ...)`` from the tangents ``t`` of its
    spacings (numbers; see :func:`gradient_spacing_grads`)."""
    _refuse_coordinates(varargs)
    parts = [ans] if not isinstance(ans, (list, tuple)) else list(ans)
    spacings = list(varargs) * len(parts) if len(varargs) == 1 else list(varargs)
    tangents = list(t) * len(parts) if len(varargs) == 1 else list(t)
    out = [-part * (tk / h) for part, tk, h in zip(parts, tangents, spacings)]
    return out[0] if not isinstance(ans, (list, tuple)) else out


def _cumulative_axis(x, axis):
    """The axis ``np.cumulative_sum(x, axis=axis)`` runs along (None: that of a vector)."""
    return 0 if axis is None else axis % np.ndim(x)


def cumulative_grad(g, x, axis=None, include_initial=False, product=False):
    """The gradient of ``x`` in ``np.cumulative_sum`` (``np.cumulative_prod`` with
    ``product``): that of ``np.cumsum`` (``np.cumprod``) along the axis, without the
    initial value's gradient where the result starts with it."""
    axis = _cumulative_axis(x, axis)
    if include_initial:
        g = np.moveaxis(np.moveaxis(np.asarray(g), axis, 0)[1:], 0, axis)
    return cumprod_grad(g, x, axis) if product else cumsum_grad(g, x, axis)


def cumulative_prod_tangent(t, x, axis=None, include_initial=False):
    """The tangent of ``np.cumulative_prod(x, axis=axis, include_initial=...)`` from ``x``'s
    tangent ``t``, exact where ``x`` holds zeros: along the axis, ``p[j] = p[j - 1] x[j]``
    has the tangent ``dp[j] = dp[j - 1] x[j] + p[j - 1] t[j]``."""
    axis = _cumulative_axis(x, axis)
    x_rows = np.moveaxis(np.asarray(x), axis, 0)
    t_rows = np.moveaxis(np.broadcast_to(t, np.shape(x)), axis, 0)
    product = np.ones(x_rows.shape[1:], dtype=_float_dtype(x))
    tangent = np.zeros(x_rows.shape[1:], dtype=_float_dtype(t, x))
    out = [tangent] if include_initial else []
    for x_j, t_j in zip(x_rows, t_rows):
        tangent = tangent * x_j + product * t_j
        product = product * x_j
        out.append(tangent)
    stacked = np.stack(out) if out else np.zeros((0,) + x_rows.shape[1:], tangent.dtype)
    return np.moveaxis(stacked, 0, axis)
# Discrete Fourier transforms (srcgrad.rules.fft). Each is linear and its matrix symmetric, so
# its adjoint (the transpose, in the convention of complex adjoints) is the same transform of
# ``g``, fitted back to the argument's shape (a zero-padded or cut input). A real input takes
# the real part.

def _fft_axes(a, s, axes):
    """The axes a transform of ``a`` runs over (as NumPy: all, or the last ``len(s)``)."""
    ndim = np.ndim(a)
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    elif np.ndim(axes) == 0:
        axes = (axes,)
    return tuple(ax % ndim for ax in axes)


def _fit(h, shape, axes):
    """``h`` cut or zero-padded along ``axes`` to ``shape``."""
    for ax in axes:
        have, want = h.shape[ax], shape[ax]
        if have > want:
            h = np.take(h, np.arange(want), axis=ax)
        elif have < want:
            widths = [(0, 0)] * h.ndim
            widths[ax] = (0, want - have)
            h = np.pad(h, widths)
    return h


@declare(fresh=True)
def fft_grad(g, a, s, axes, norm=None, inverse=False):
    """The gradient of ``np.fft.fftn(a, s, axes, norm)`` (``ifftn`` with ``inverse``; ``fft``,
    ``fft2`` ... as one or two axes): the same transform of ``g``, fitted to ``a``'s shape."""
    a = np.asarray(a)
    axes = _fft_axes(a, s, axes)
    h = (np.fft.ifftn if inverse else np.fft.fftn)(g, axes=axes, norm=norm)
    return real_for(_fit(h, a.shape, axes), a)


@declare(fresh=True)
def rfft_grad(g, a, s, axes, norm=None):
    """The gradient of ``np.fft.rfftn(a, s, axes, norm)`` (``rfft`` as one axis): the half
    spectrum ``g`` zero-padded to the full one (the length the last axis was transformed at),
    transformed as ``fftn``, its real part (``a`` is real)."""
    a = np.asarray(a)
    g = np.asarray(g)
    axes = _fft_axes(a, s, axes)
    last = axes[-1]
    n = a.shape[last] if s is None else s[-1]
    full = _fit(g, g.shape[:last] + (n,) + g.shape[last + 1:], (last,))
    return np.real(_fit(np.fft.fftn(full, axes=axes, norm=norm), a.shape, axes))


@declare(fresh=True)
def irfft_grad(g, a, s, axes, norm=None):
    """The gradient of ``np.fft.irfftn(a, s, axes, norm)`` (``irfft`` as one axis), a real
    result of length ``n`` on the last axis from the half spectrum ``a``: each frequency but
    the constant one (and, for an even ``n``, the last) stands for itself and its mirror
    image, so counts twice; the imaginary parts of those two do not count."""
    a = np.asarray(a)
    axes = _fft_axes(a, s, axes)
    last = axes[-1]
    n = np.shape(g)[last]
    h = np.fft.ifftn(np.real(g), axes=axes, norm=norm)
    h = np.take(h, np.arange(n // 2 + 1), axis=last)
    weight = np.full(n // 2 + 1, 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    h = h * weight.reshape((-1,) + (1,) * (h.ndim - 1 - last))
    return real_for(_fit(h, a.shape, axes), a)


def eigvals_grad(g, a):
    """The gradient of ``np.linalg.eigvals(a)`` (distinct eigenvalues): ``v^-T diag(g) v^T``
    for ``a = v diag(w) v^-1``; the real part for a real ``a``."""
    _, v = np.linalg.eig(a)
    vt = matrix_transpose(v)
    return real_for(np.linalg.solve(vt, np.asarray(g)[..., :, None] * vt), a)


def eig_grad(g, a, ans):
    """The gradient of ``w, v = np.linalg.eig(a)`` (distinct eigenvalues; eigenvectors of
    unit norm, so a function of them must not depend on their phase), as autograd:
    ``v^-T (diag(gw) + F o (v^T gv) - F o (v^T conj(v) Re(I o v^T gv))) v^T`` with
    ``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal; the real part for a real ``a``."""
    w, v = ans
    n = np.shape(w)[-1]
    vt = matrix_transpose(v)
    inner = _diag_embed(_part(g, 0, w).astype(w.dtype))
    if g[1] is not None:
        eye = np.eye(n, dtype=bool)
        gap = w[..., None, :] - w[..., :, None]
        f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, gap))
        vt_gv = vt @ g[1]
        unit = (vt @ np.conj(v)) @ (np.real(vt_gv) * np.eye(n))
        inner = inner + f * vt_gv - f * unit
    return real_for(np.linalg.solve(vt, inner @ vt), a)


def eig_tangent(t, a, ans=None):
    """The tangents ``(dw, dv)`` of ``w, v = np.linalg.eig(a)`` along ``t`` (distinct
    eigenvalues): with ``p = v^-1 t v``, ``dw = diag(p)`` and ``dv = v (F o p)``
    (``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal), less each column's change of norm
    (the eigenvectors stay of unit norm)."""
    w, v = np.linalg.eig(a) if ans is None else ans
    p = np.linalg.solve(v, t @ v)
    n = np.shape(w)[-1]
    eye = np.eye(n, dtype=bool)
    gap = w[..., None, :] - w[..., :, None]
    f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, gap))
    dv = v @ (f * p)
    dv = dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))
    return np.diagonal(p, axis1=-2, axis2=-1), dv
