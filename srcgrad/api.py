"""The public entry points: ``grad``, ``value_and_grad``, ``vjp``; ``wrt`` handling; the cache."""

from __future__ import annotations

import functools
import inspect
import linecache
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast, overload

import numpy as np

from .errors import UnsupportedSyntaxError, WrtError
from .parse import parse_function
from .transform import Generated, transform

Wrt = int | str | Sequence[int | str]


class Gradient(Protocol):
    """What :func:`grad`, :func:`value_and_grad` and :func:`vjp` return: a function taking the
    differentiated function's arguments, with the code it runs."""

    __name__: str
    source: str  #: the generated code the last call ran
    generated: Callable[..., Any]  #: that code's compiled function
    any_shape_source: str  #: the version for any shapes

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


class _Entry(Protocol):
    @overload
    def __call__(self, f: Callable[..., Any], *, wrt: Wrt = 0) -> Gradient: ...

    @overload
    def __call__(self, f: None = None, *,
                 wrt: Wrt = 0) -> Callable[[Callable[..., Any]], Gradient]: ...

_cache: dict[tuple, Generated] = {}
_lock = threading.RLock()


def _wrt_names(fn: Callable, wrt: Wrt,
               signature: inspect.Signature) -> tuple[tuple[str, ...], bool]:
    """The parameter names ``wrt`` selects, and whether one (not a tuple) was asked for."""
    params = list(signature.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        code = getattr(fn, "__code__", None)
        filename = getattr(code, "co_filename", None)
        lineno = getattr(code, "co_firstlineno", None)
        raise UnsupportedSyntaxError(
            "*args and **kwargs parameters cannot be differentiated", filename=filename,
            lineno=lineno, line=linecache.getline(filename, lineno or 0) if filename else None,
            fix="give the function named parameters")
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                  p.KEYWORD_ONLY)]
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(cast(Sequence[int | str], wrt))
    if not items:
        raise WrtError("wrt is empty: name at least one parameter to differentiate")
    chosen = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer, str)):
            raise WrtError(f"wrt must hold parameter indices or names, got {item!r}")
        if isinstance(item, str):
            if item not in names:
                raise WrtError(f"{fn.__qualname__} has no parameter named {item!r}; its "
                               f"parameters are {', '.join(names) or '(none)'}")
            chosen.append(item)
        else:
            if not -len(names) <= item < len(names):
                raise WrtError(f"wrt={item} is out of range: {fn.__qualname__} has "
                               f"{len(names)} parameter{'s' if len(names) != 1 else ''} "
                               f"({', '.join(names)})")
            chosen.append(names[item])
    if len(set(chosen)) != len(chosen):
        raise WrtError(f"wrt names a parameter twice: {chosen}")
    return tuple(chosen), single


def generated(fn: Callable, wrt: tuple[str, ...], mode: str, as_tuple: bool = True,
              containers: frozenset = frozenset(),
              arg_shapes: frozenset = frozenset()) -> Generated:
    """The generated function for ``fn``, transformed once per code object, wrt, mode, set of
    parameters passed containers (lists, tuples, dicts) or numbers, and argument shapes."""
    # By identity: equal code objects from two modules may see different globals. The cached
    # entry keeps the function alive, so these ids cannot be reused while it is cached.
    key = (id(getattr(fn, "__code__", fn)), id(getattr(fn, "__globals__", None)), wrt, mode,
           as_tuple, _closure_key(fn), containers, arg_shapes)
    found = _cache.get(key)
    if found is None or not found.still_valid():
        with _lock:
            found = _cache.get(key)
            if found is None or not found.still_valid():  # new, or a global was rebound
                found = transform(fn, wrt, mode, as_tuple, containers, arg_shapes)
                _cache[key] = found
    return found


def _closure_key(fn) -> tuple:
    cells = getattr(fn, "__closure__", None) or ()
    return tuple(id(c) for c in cells)


_CONTAINERS = (list, tuple, dict)

#: How many versions specialised on argument shapes one gradient makes; calls with further
#: shapes share one version that works for any shapes. 0 turns specialisation off.
MAX_SHAPE_VERSIONS = 8
#: The most argument signatures one gradient remembers the version of (a bound on memory).
_MAX_REMEMBERED = 64


#: Arguments that get a version of the gradient of their own: containers, and numbers (whose
#: adjoints are then plain floats, with no broadcasting to undo).
_SPECIAL = (list, tuple, dict, float, int)


def _container_kind(value):
    """"scalar" for a number; for a list, tuple or dict: 1 if it holds arrays and numbers,
    2 if it holds containers too."""
    if isinstance(value, (float, int)):
        return "scalar"
    items = value.values() if isinstance(value, dict) else value
    return 2 if any(isinstance(item, _CONTAINERS) for item in items) else 1


def _check_float(value: Any, name: str, fn: Callable) -> None:
    if type(value) is np.ndarray:
        if value.dtype.kind in "fc":
            return
    elif isinstance(value, (float, np.floating)):
        return
    elif isinstance(value, _CONTAINERS):
        leaves = value.values() if isinstance(value, dict) else value
        for leaf in leaves:
            _check_float(leaf, name, fn)
        return
    kind = getattr(value, "dtype", type(value).__name__)
    raise WrtError(f"cannot differentiate {fn.__qualname__} with respect to {name!r}: its "
                   f"argument is {kind}, not a float array or float. Pass floats (e.g. "
                   f"np.asarray({name}, dtype=float)) or leave {name!r} out of wrt")


def _make(fn: Callable, wrt: Wrt, mode: str) -> Gradient:
    owner = None
    if inspect.ismethod(fn):  # model.loss: differentiate the function, self passed first
        owner, fn = fn.__self__, fn.__func__
    if not hasattr(fn, "__code__") or hasattr(fn, "__wrapped__"):
        parse_function(fn)  # raises SourceUnavailableError, naming what to do
    signature = inspect.signature(fn)
    if owner is not None:
        signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    wrt_names, single = _wrt_names(fn, wrt, signature)
    gen = generated(fn, wrt_names, mode, as_tuple=not single)
    names = list(signature.parameters)
    positions = [names.index(n) for n in wrt_names]

    def bound_to_owner(function):
        return function if owner is None else functools.partial(function, owner)

    check = _check_float
    shaped: set[frozenset] = set()   # the argument shapes given versions of their own
    remembered: dict[tuple, tuple] = {}  # array shapes -> (Generated, function), fast path
    last = [gen]

    def version(args) -> tuple[Generated, Callable]:
        """The generated function for these arguments: one per set of parameters passed
        lists, tuples, dicts or numbers (with what they hold), and per argument shapes."""
        containers = frozenset((n, _container_kind(a)) for n, a in zip(names, args)
                               if isinstance(a, _SPECIAL))
        shapes = frozenset((n, a.shape if type(a) is np.ndarray else ())
                           for n, a in zip(names, args)
                           if type(a) is np.ndarray or isinstance(a, (float, int)))
        if shapes not in shaped:
            if len(shaped) < MAX_SHAPE_VERSIONS:
                shaped.add(shapes)
            else:
                shapes = frozenset()  # enough versions: one for any shapes
        made = generated(fn, wrt_names, mode, not single, containers, shapes)
        return made, bound_to_owner(made.function)

    def shown(made: Generated) -> None:
        if last[0] is not made:  # .source shows the version the last call ran
            last[0] = made
            result.source = made.source
            result.generated = made.function
            if not made.arg_shapes:
                result.any_shape_source = made.source  # remade: a global was rebound

    def run(args, **seed):
        key = []
        for value in args:  # what the version depends on: shapes, numbers
            kind = type(value)
            if kind is np.ndarray:
                key.append(value.shape)
            elif kind is float or kind is int:
                key.append(kind)
            elif isinstance(value, _CONTAINERS):  # the version depends on what they hold
                made, function = version(args)
                shown(made)
                return function(*args, **seed)
            else:
                key.append(isinstance(value, (float, int)))  # np.float64, a string ...
        key = tuple(key)
        found = remembered.get(key)
        if found is None or not found[0].still_valid():  # new, or a global was rebound
            if len(remembered) >= _MAX_REMEMBERED:
                remembered.clear()
            found = remembered[key] = version(args)
        if last[0] is not found[0]:
            shown(found[0])
        return found[1](*args, **seed)

    def gradient(*args, **kwargs):
        if kwargs or len(args) != len(names):
            if mode == "vjp" and "seed" not in kwargs:
                raise TypeError(f"{gen.name}() needs the output's cotangent as keyword "
                                "argument seed=")
            seed = kwargs.pop("seed", None) if mode == "vjp" else None
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments[p] for p in names)
            for i, position in enumerate(positions):
                check(args[position], wrt_names[i], fn)
            if mode == "vjp":
                return run(args, seed=seed)
            return run(args)
        for i, position in enumerate(positions):
            value = args[position]
            if type(value) is not np.ndarray or value.dtype.kind != "f":
                check(value, wrt_names[i], fn)
        return run(args)

    functools.update_wrapper(gradient, fn)
    gradient.__name__ = gen.name
    gradient.__qualname__ = gen.name
    result = cast(Gradient, gradient)
    result.source = gen.source
    result.generated = gen.function
    result.any_shape_source = gen.source
    return result


def _decorator(mode: str, doc: str) -> _Entry:
    def entry(f: Callable | None = None, *, wrt: Wrt = 0) -> Any:
        if f is None:
            return lambda fn: _make(fn, wrt, mode)
        if not callable(f):
            raise WrtError(f"{mode} expects a function, got {f!r}")
        return _make(f, wrt, mode)

    entry.__name__ = mode
    entry.__qualname__ = mode
    entry.__doc__ = doc
    return cast(_Entry, entry)


grad = _decorator("grad", """Gradient of a scalar-valued NumPy function, by source transformation.

Works as ``@grad``, ``@grad(wrt=...)`` and ``grad(f, wrt=...)``. ``wrt`` is a parameter index,
a parameter name, or a tuple of those (default: the first parameter). The returned function
takes ``f``'s arguments and returns the gradient (a tuple of gradients, in ``wrt`` order, for a
tuple ``wrt``), each with its argument's shape and dtype.

The code is made for the shapes of the arguments of each call (once per set of shapes, up to
``srcgrad.api.MAX_SHAPE_VERSIONS`` = 8 per gradient; further shapes share a version for any
shapes). ``.source`` is the code the last call ran (before any call: the version for any
shapes), ``.generated`` that function itself. Raises
:class:`srcgrad.errors.NonScalarOutputError` when ``f``'s output is not a scalar (use
:func:`vjp`).""")

value_and_grad = _decorator("value_and_grad", """Like :func:`grad`, returning ``(value, gradients)``.""")

vjp = _decorator("vjp", """Vector-Jacobian product of a NumPy function with any output shape.

The returned function takes ``f``'s arguments plus the keyword ``seed``, the cotangent of the
output (same shape as the output), and returns the gradients as :func:`grad` does.""")
