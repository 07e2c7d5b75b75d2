"""The public entry points: ``grad``, ``value_and_grad``, ``vjp``; ``wrt`` handling; the cache."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import linecache
import os
import sys
import threading
import types
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast, overload

import gast
import numpy as np

from . import array_syntax, arrays, ir
from .errors import ArrayLibraryError, SourceUnavailableError, UnsupportedSyntaxError, WrtError
from .passes.parse import parse_function
from .passes.resolve import is_data
from .transform import (
    KEYWORDS,
    Generated,
    defaults_of,
    generated_name,
    literal_defaults,
    transform,
    transform_forward,
)

Wrt = int | str | Sequence[int | str]

#: The most generated functions cached (each gradient also keeps the versions it uses).
MAX_CACHED = 512


class _Entry(Protocol):
    """The type of :func:`grad` and friends: a decorator, with or without arguments."""

    @overload
    def __call__(self, f: Callable[..., Any], *, wrt: Wrt = 0,
                 has_aux: bool = False) -> Gradient: ...

    @overload
    def __call__(self, f: None = None, *, wrt: Wrt = 0,
                 has_aux: bool = False) -> Callable[[Callable[..., Any]], Gradient]: ...


_cache: dict[tuple, Generated] = {}
_keys_of_code: dict[int, set[tuple]] = {}  # id of a code object -> its keys in _cache
_lock = threading.RLock()


def _parameter_names(fn: Callable, method: bool) -> list[str]:
    """``fn``'s parameters in order (without ``self`` for a ``method``)."""
    code = fn.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        filename, lineno = code.co_filename, code.co_firstlineno
        raise UnsupportedSyntaxError(
            "*args and **kwargs parameters cannot be differentiated", filename=filename,
            lineno=lineno, line=linecache.getline(filename, lineno or 0) if filename else None,
            fix="give the function named parameters")
    return list(code.co_varnames[int(method):code.co_argcount + code.co_kwonlyargcount])


def _wrt_names(fn: Callable, wrt: Wrt, names: list[str]) -> tuple[tuple[str, ...], bool]:
    """The parameter names ``wrt`` selects, and whether one (not a tuple) was asked for."""
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
              containers: frozenset = frozenset(), arg_shapes: frozenset = frozenset(),
              statics: tuple = (), dicts: frozenset = frozenset(),
              complex_params: frozenset = frozenset(),
              library: arrays.Facade | None = None) -> Generated:
    """The generated function for ``fn``, transformed once per code object, wrt, mode, set of
    parameters passed containers (lists, tuples, dicts) or numbers, argument shapes, objects
    passed (``statics``) and parameters passed dicts.

    For arrays of another library (``library``: its facade, see :mod:`srcgrad.arrays`) it is
    the same code, run with ``np`` and the runtime helpers bound to the facade.

    Functions made again from the same code (a lambda or closure made at each training step)
    share it: the data in their closures and globals is read at call time (see
    :meth:`Generated.bind`); a helper, rule or other non-data value that changed makes it anew.
    """
    code = fn.__code__
    # By identity: equal code objects from two modules may see different globals. An entry is
    # dropped when its code object is collected, so these ids cannot be reused while cached.
    key = (id(code), id(fn.__globals__), wrt, mode, as_tuple, literal_defaults(fn),
           containers, arg_shapes, tuple((p, id(v)) for p, v in statics), dicts,
           complex_params, library)
    found = _cache.get(key)
    if found is None or not found.still_valid(fn):
        with _lock:
            found = _cache.get(key)
            if found is None or not found.still_valid(fn):  # new, or a global was rebound
                with _deep_recursion(fn):
                    if library is not None:
                        found = _for_library(fn, generated(fn, wrt, mode, as_tuple, containers,
                                                           arg_shapes, statics, dicts,
                                                           complex_params), library)
                    elif mode in ("jvp", "jvp_batched"):
                        found = transform_forward(fn, wrt, as_tuple, containers, arg_shapes,
                                                  statics, dicts, mode=mode)
                    elif mode in ("hvp", "hvp_batched"):  # forward over the gradient
                        gradient = generated(fn, wrt, "grad", as_tuple, containers, arg_shapes,
                                             statics, dicts, complex_params)
                        function, refresh = gradient.bind(fn)
                        if refresh is not None:
                            refresh()
                        found = transform_forward(function, wrt, as_tuple, containers,
                                                  arg_shapes, (), dicts, mode=mode)
                        found.rebase(gradient)
                    else:
                        found = transform(fn, wrt, mode, as_tuple, containers, arg_shapes,
                                          statics, dicts, complex_params)
                made = found.function.__code__  # its lines, for tracebacks, go with it
                weakref.finalize(made, linecache.cache.pop, made.co_filename, None)
                _remember(key, code, found)
    return found


def _for_library(fn: Callable, made: Generated, library: arrays.Facade) -> Generated:
    """``made`` (the NumPy version) for arrays of ``library``: its code with the globals of
    :func:`arrays.namespace_for`; refused, naming the function and the user's line, where the
    code calls a NumPy function the library has no equivalent of."""
    missing = arrays.unsupported(made.source, library)
    if missing is not None:
        name, origin = missing
        filename, lineno, line = _user_line(fn, name, origin)
        raise ArrayLibraryError(f"np.{name} has no equivalent for {library.library} "
                                "arrays (neither the array API standard nor the library has "
                                "it)", filename=filename, lineno=lineno, line=line,
                                fix="write it with other functions, or call the gradient "
                                "with NumPy arrays")
    namespace = arrays.namespace_for(made.namespace, library)
    function: Callable[..., Any]
    if library.numpy_syntax:
        function = types.FunctionType(made.function.__code__, namespace, made.name,
                                      made.function.__defaults__)
        function.__kwdefaults__ = made.function.__kwdefaults__
    else:  # the same lines, NumPy's indexing and array methods made calls of the facade
        function = array_syntax.recompiled(made.function, namespace, made.source)
    return dataclasses.replace(made, function=function, namespace=namespace,
                               convert=library.data)


def _user_line(fn: Callable, function: str, origin: str | None) -> tuple:
    """(file, line number, line) of the user's line that calls ``np.<function>``, or of the
    line ``origin`` (the generated code's ``# grad of:`` text), as well as the source shows."""
    code = fn.__code__
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return code.co_filename, None, origin
    wanted = [f"np.{function}"] + ([origin.strip()] if origin else [])
    for text in wanted:
        for offset, line in enumerate(lines):
            if text in line:
                return code.co_filename, first + offset, line
    return code.co_filename, None, origin


#: The recursion limit while transforming: the passes recurse into expressions, and Python
#: compiles deeply nested ones (a sum of hundreds of terms, calls nested a hundred deep).
TRANSFORM_RECURSION_LIMIT = 20000


@contextlib.contextmanager
def _deep_recursion(fn: Callable):
    """Run a transformation with room for deeply nested expressions; past that, an error
    naming the function rather than a RecursionError from inside srcgrad."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, TRANSFORM_RECURSION_LIMIT))
    try:
        yield
    except RecursionError:
        code = fn.__code__
        raise UnsupportedSyntaxError(
            "an expression in this function is nested too deeply to transform",
            filename=code.co_filename, lineno=code.co_firstlineno,
            line=linecache.getline(code.co_filename, code.co_firstlineno),
            fix="split the expression over several lines with intermediate variables") from None
    finally:
        sys.setrecursionlimit(before)


def _remember(key: tuple, code, made: Generated) -> None:
    """Cache ``made`` under ``key`` until its code object is collected or the cache is full."""
    _cache.pop(key, None)
    _cache[key] = made
    keys = _keys_of_code.get(id(code))
    if keys is None:
        keys = _keys_of_code[id(code)] = set()
        weakref.finalize(code, _forget, id(code))
    keys.add(key)
    while len(_cache) > MAX_CACHED:  # the oldest entry first
        try:
            oldest = next(iter(_cache))
        except (RuntimeError, StopIteration):  # a collected function's entries just went
            break
        _cache.pop(oldest, None)
        _keys_of_code.get(oldest[0], set()).discard(oldest)


def _forget(code_id: int) -> None:
    for key in _keys_of_code.pop(code_id, ()):
        _cache.pop(key, None)


def _reset_lock_after_fork() -> None:
    """A child forked while another thread held the lock would wait for it forever."""
    global _lock
    _lock = threading.RLock()


os.register_at_fork(after_in_child=_reset_lock_after_fork)


_CONTAINERS = (list, tuple, dict)

#: How many versions specialised on argument shapes one gradient makes; calls with further
#: shapes share one version that works for any shapes. 0 turns specialisation off.
MAX_SHAPE_VERSIONS = 8
#: Gradients whose code is longer (in lines) get no versions for argument shapes: for them
#: the transformation costs more than what a version for the shapes saves (a 2,000-line
#: function is transformed once).
MAX_SPECIALISED_LINES = 2000
#: The most argument signatures one gradient remembers the version of (a bound on memory).
_MAX_REMEMBERED = 64


#: Arguments that get a version of the gradient of their own: containers, and numbers (whose
#: adjoints are then plain floats, with no broadcasting to undo).
_SPECIAL = (list, tuple, dict, float, int, np.integer)


def _container_kind(value):
    """"scalar" for a number; for a list, tuple or dict: 1 if it holds arrays and numbers,
    2 if it holds containers too."""
    if isinstance(value, (float, int, np.integer)):  # (a NumPy integer too: a count)
        return "scalar"
    items = value.values() if isinstance(value, dict) else value
    return 2 if any(isinstance(item, _CONTAINERS) for item in items) else 1


#: What the keyword argument of a mode gives (see transform.KEYWORDS).
_GIVEN = {"vjp": "output's cotangent", "jvp": "arguments' tangent",
          "hvp": "vector to multiply the Hessian by",
          "jvp_batched": "arguments' tangents, on a leading axis",
          "hvp_batched": "vectors to multiply the Hessian by, on a leading axis"}


def _check_tangent(tangent: Any, values: list, names: tuple[str, ...], single: bool) -> None:
    """A tangent per differentiated argument (a tuple of them for a tuple ``wrt``), each of
    its argument's structure and shapes."""
    if not single and (not isinstance(tangent, (tuple, list)) or len(tangent) != len(values)):
        raise WrtError(f"tangent must be a tuple of {len(values)} tangents, one per argument "
                       f"in wrt ({', '.join(names)})")
    parts = [tangent] if single else list(tangent)
    for part, value, name in zip(parts, values, names):
        _check_structure(part, value, name)


def _check_structure(part: Any, value: Any, name: str) -> None:
    if isinstance(value, _CONTAINERS):
        keys = list(value) if isinstance(value, dict) else range(len(value))
        if type(part) is not type(value) or len(part) != len(value) or \
                (isinstance(value, dict) and set(part) != set(value)):
            raise WrtError(f"the tangent of {name!r} must be a {type(value).__name__} like the "
                           "argument")
        for key in keys:
            _check_structure(part[key], value[key], name)
        return
    if np.shape(part) != np.shape(value):
        raise WrtError(f"the tangent of {name!r} has shape {np.shape(part)}; the argument's is "
                       f"{np.shape(value)}")


def _check_float(value: Any, name: str, fn: Callable) -> None:
    if type(value) is np.ndarray:
        if value.dtype.kind in "fc":
            return
    elif (xp := arrays.namespace_of(value)) is not None:  # another library's array
        if xp.isdtype(value.dtype, "real floating"):
            return
    elif isinstance(value, (float, complex, np.inexact)):
        return
    elif isinstance(value, _CONTAINERS):
        leaves = value.values() if isinstance(value, dict) else value
        for leaf in leaves:
            _check_float(leaf, name, fn)
        return
    kind = getattr(value, "dtype", type(value).__name__)
    raise WrtError(f"cannot differentiate {fn.__qualname__} with respect to {name!r}: its "
                   f"argument is {kind}, not a float or complex array or number. Pass floats "
                   f"(e.g. np.asarray({name}, dtype=float)) or leave {name!r} out of wrt")


class Gradient:
    """A function made by :func:`grad`, :func:`value_and_grad` or :func:`vjp`.

    ``source`` is the code the last call ran, ``generated`` that function, and
    ``any_shape_source`` the version for any shapes. The code is made when ``grad`` is
    applied, or at the first call where it needs to know an object passed as an argument
    (``loss(params, x, model)`` calling ``layer.forward``). It pickles by reference: the original
    function, ``wrt`` and the mode, made again when loaded (so it can go to other processes).
    """

    __name__: str
    __qualname__: str
    current_any_shape: Callable[[], tuple[Generated, Callable]]
    _generated: Callable | None
    _bind_first: Callable[[], Callable]

    def __init__(self, fn: Callable, wrt: Wrt, mode: str):
        self._made_from = (fn, wrt, mode)
        self._source: str | None = None
        self._any_shape_source: str | None = None
        functools.update_wrapper(self, fn)
        self._call = _make(self, fn, wrt, mode)

    @property
    def source(self) -> str:
        """The generated code the last call ran (before any call: the version for any
        shapes)."""
        return self.any_shape_source if self._source is None else self._source

    @source.setter
    def source(self, text: str) -> None:
        self._source = text

    @property
    def any_shape_source(self) -> str:
        """The version for any shapes (made for the objects the last call passed, if any)."""
        if self._any_shape_source is None:
            self._any_shape_source = self.current_any_shape()[0].source
        return self._any_shape_source

    @any_shape_source.setter
    def any_shape_source(self, text: str) -> None:
        self._any_shape_source = text

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def differentiable(self) -> Callable:
        """The generated function for any shapes, bound to the data the function reads now:
        what differentiating this gradient again (``grad(grad(f))``, ``hvp``, a function
        calling it) transforms."""
        made, _ = self.current_any_shape()
        function, refresh = made.bind(self._made_from[0])
        if refresh is not None:  # the data its globals and closure hold now
            refresh()
        return function

    @property
    def generated(self) -> Callable:
        if self._generated is None:  # made when first asked for
            self._generated = self._bind_first()
        return self._generated

    def __get__(self, instance, owner=None):  # @grad on a method: self is passed first
        return self if instance is None else types.MethodType(self, instance)

    def __reduce__(self):
        return _remake, self._made_from

    def __repr__(self) -> str:
        return f"<srcgrad gradient {self.__qualname__}>"


def _remake(fn: Callable, wrt: Wrt, mode: str) -> Gradient:
    return Gradient(fn, wrt, mode)


def _is_static(value: Any) -> bool:
    """Whether an argument is a function or an object (a layer, a model) rather than data or
    a container of it: the code is made knowing it (``act(x)`` with ``act=np.tanh``)."""
    return not isinstance(value, _CONTAINERS) and not is_data(value) and \
        _library_of(type(value), value) is None


#: Per type of argument: the key of its array library (see arrays.library_key) without the
#: device, or None for NumPy and anything that is not an array.
_libraries: dict[type, tuple | None] = {}


def _library_of(kind: type, value: Any) -> tuple | None:
    """The array library of ``value`` (of type ``kind``): (array type, namespace), or None."""
    found = _libraries.get(kind, False)
    if found is False:
        key = arrays.library_key(value)
        found = _libraries[kind] = None if key is None else key[:2]
    return cast("tuple | None", found)


def _facade_of(values: Sequence[Any]) -> arrays.Facade | None:
    """The facade of the first array of another library among ``values`` (and the lists,
    tuples and dicts they are), on its device; None where all are NumPy's."""
    for value in values:
        if isinstance(value, _CONTAINERS):
            found = _facade_of(list(value.values()) if isinstance(value, dict) else value)
            if found is not None:
                return found
            continue
        library = _library_of(type(value), value)
        if library is not None:
            return arrays.facade(*cast(tuple, arrays.library_key(value)))
    return None


def _uses_as_object(fn: Callable, parameters: set[str]) -> bool:
    """Whether ``fn`` calls one of ``parameters`` or reads an attribute of one that arrays
    lack (``act(x)``, ``model.layers``): an object or function may be passed for it."""
    if not parameters:
        return False
    code = getattr(fn, "__code__", None)
    used = _used_as_objects.get(code) if code is not None else None
    if used is None:
        try:
            tree = parse_function(fn).tree
        except SourceUnavailableError:  # (made before, the code may still be cached)
            return False
        found: set[str] = set()
        for node in ir.walk(tree):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
                found.add(node.func.id)
            elif isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) and \
                    not hasattr(np.ndarray, node.attr):
                found.add(node.value.id)
        used = frozenset(found)
        if code is not None:
            _used_as_objects[code] = used
    return bool(used & parameters)


#: Per code object: the names its source calls or reads attributes of that arrays lack.
_used_as_objects: dict[Any, frozenset[str]] = {}


def _make(gradient: Gradient, fn: Callable, wrt: Wrt, mode: str) -> Callable:
    """Set up ``gradient`` (its name and ``source``) and return the function it calls."""
    owner = None
    if isinstance(fn, Gradient):  # grad(grad(f)): the generated code, differentiated again
        fn = fn.differentiable()
    if inspect.ismethod(fn):  # model.loss: differentiate the function, self passed first
        owner, fn = fn.__self__, fn.__func__
    if not hasattr(fn, "__code__") or hasattr(fn, "__wrapped__"):
        parse_function(fn)  # raises SourceUnavailableError, naming what to do
    names = _parameter_names(fn, owner is not None)
    wrt_names, single = _wrt_names(fn, wrt, names)
    # a bound method's self is known: its attributes, methods and lists of objects (layers)
    statics: tuple[tuple[str, Any], ...] = \
        ((fn.__code__.co_varnames[0], owner),) if owner is not None else ()
    statics += tuple((p, v) for p, v in defaults_of(fn).items() if _is_static(v))  # act=np.tanh
    gen: Generated | None = None
    # a function that uses another parameter as an object (model.layers, act(x)) is made at
    # the first call, knowing the object passed (or refused there); others now
    with _deep_recursion(fn):
        eager = not _uses_as_object(fn, set(names) - set(wrt_names) - {p for p, _ in statics})
    if eager:
        gen = generated(fn, wrt_names, mode, not single, statics=statics)
    signature: list[inspect.Signature] = []  # made when a call needs it (keywords, defaults)
    positions = [names.index(n) for n in wrt_names]

    def bound(made: Generated) -> tuple[Generated, Callable, Callable | None]:
        """``made`` as a function of ``fn``'s own: its defaults, its closure's data."""
        function, refresh = made.bind(fn)
        return made, function if owner is None else functools.partial(function, owner), refresh

    check = _check_float
    # (the length of the code for the objects passed first, if not made before a call)
    specialise: list[bool] = [] if gen is None else \
        [gen.source.count("\n") <= MAX_SPECIALISED_LINES]
    last_statics = [statics]  # those of the last call: for the version for any shapes
    shaped: set[frozenset] = set()   # the argument shapes given versions of their own
    remembered: dict[tuple, tuple] = {}  # array shapes -> (Generated, function, refresh)
    last = [None]

    def version(args) -> tuple[Generated, Callable, Callable | None]:
        """The generated function for these arguments: one per set of parameters passed
        lists, tuples, dicts or numbers (with what they hold), and per argument shapes."""
        containers = frozenset((n, _container_kind(a)) for n, a in zip(names, args)
                               if isinstance(a, _SPECIAL))
        # (not for complex arrays: shapes known let the code skip un-broadcasting, which also
        # takes the real part of a complex adjoint for a real argument)
        shapes = frozenset((n, () if isinstance(a, (float, int)) else tuple(a.shape))
                           for n, a in zip(names, args)
                           if type(a) is np.ndarray and a.dtype.kind != "c"
                           or isinstance(a, (float, int)) or _library_of(type(a), a) is not None)
        library = _facade_of([args[p] for p in positions] + list(args))
        known = tuple({**dict(statics), **{n: a for n, a in zip(names, args)
                                           if _is_static(a)}}.items())
        last_statics[0] = known
        if not specialise:
            specialise.append(generated(fn, wrt_names, mode, not single, containers,
                                        statics=known).source.count("\n")
                              <= MAX_SPECIALISED_LINES)
        if not specialise[0]:
            shapes = frozenset()
        elif shapes not in shaped:
            if len(shaped) < MAX_SHAPE_VERSIONS:
                shaped.add(shapes)
            else:
                shapes = frozenset()  # enough versions: one for any shapes
        dicts = frozenset(n for n, a in zip(names, args) if isinstance(a, dict))
        complex_params = frozenset(n for n, a in zip(names, args)
                                   if type(a) is np.ndarray and a.dtype.kind == "c"
                                   or isinstance(a, complex))
        return bound(generated(fn, wrt_names, mode, not single, containers, shapes, known,
                               dicts, complex_params, library))

    def shown(found) -> None:
        if last[0] is not found[0]:  # .source shows the version the last call ran
            last[0] = found[0]
            gradient.source = found[0].source
            gradient._generated = found[1]
            if not found[0].arg_shapes:
                gradient.any_shape_source = found[0].source  # remade: a global was rebound

    def run(args, **seed):
        key = []
        for value in args:  # what the version depends on: shapes, numbers
            kind = type(value)
            if kind is np.ndarray:  # (complex arrays: a version of their own, see version)
                key.append(value.shape if value.dtype.kind != "c" else ("complex", value.shape))
            elif kind is float or kind is int or isinstance(value, np.integer):
                key.append(kind)
            elif _library_of(kind, value) is not None:  # another library's array
                key.append((kind, tuple(value.shape), value.device, value.dtype))
            elif isinstance(value, _CONTAINERS):  # the version depends on what they hold
                found = version(args)
                shown(found)
                return found[1](*args, **seed)
            elif _is_static(value):  # a function or an object: a version of its own
                key.append(("static", id(value)))
            else:
                key.append(isinstance(value, (float, int)))  # np.float64, a string ...
        key = tuple(key)
        found = remembered.get(key)
        if found is None or not found[0].still_valid(fn):  # new, or a global was rebound
            if len(remembered) >= _MAX_REMEMBERED:
                remembered.clear()
            found = remembered[key] = version(args)
        elif found[2] is not None:
            found[2]()  # the data the closure and globals hold now
        if last[0] is not found[0]:
            shown(found)
        return found[1](*args, **seed)

    keyword = KEYWORDS.get(mode)

    def call(*args, **kwargs):
        if kwargs or len(args) != len(names) or keyword is not None:
            if keyword is not None and keyword not in kwargs:
                raise TypeError(f"{gradient.__name__}() needs the {_GIVEN[mode]} as keyword "
                                f"argument {keyword}=")
            given = {keyword: kwargs.pop(keyword)} if keyword is not None else {}
            if not signature:
                whole = inspect.signature(fn)
                signature.append(whole.replace(
                    parameters=list(whole.parameters.values())[owner is not None:]))
            bound_args = signature[0].bind(*args, **kwargs)
            bound_args.apply_defaults()
            args = tuple(bound_args.arguments[p] for p in names)
            for i, position in enumerate(positions):
                check(args[position], wrt_names[i], fn)
            if mode in ("jvp", "hvp"):
                _check_tangent(given[keyword], [args[p] for p in positions], wrt_names,
                               single)
            return run(args, **given)
        for i, position in enumerate(positions):
            value = args[position]
            if type(value) is not np.ndarray or value.dtype.kind != "f":
                check(value, wrt_names[i], fn)
        return run(args)

    def current_any_shape() -> tuple[Generated, Callable]:
        """The version for any shapes as the current bindings make it (for export)."""
        made, function, _ = bound(generated(fn, wrt_names, mode, not single,
                                            statics=last_statics[0]))
        return made, function

    gradient.current_any_shape = current_any_shape
    gradient.__name__ = gradient.__qualname__ = generated_name(fn.__code__.co_name, mode)
    if gen is not None:
        gradient.source = gradient.any_shape_source = gen.source
    gradient._generated = None
    gradient._bind_first = lambda: current_any_shape()[1]
    return call


def _decorator(mode: str, doc: str) -> _Entry:
    def entry(f: Callable | None = None, *, wrt: Wrt = 0, has_aux: bool = False) -> Any:
        if has_aux and mode in KEYWORDS:
            raise WrtError(f"{mode} does not take has_aux: return the output alone")
        chosen = mode + "_aux" if has_aux else mode

        def make(fn: Callable) -> Gradient:
            if not callable(fn):
                raise WrtError(f"{mode} expects a function, got {fn!r:.60}")
            return Gradient(fn, wrt, chosen)

        return make if f is None else make(f)

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
shapes; a gradient longer than ``srcgrad.api.MAX_SPECIALISED_LINES`` lines has only that one). ``.source`` is the code the last call ran (before any call: the version for any
shapes), ``.generated`` that function itself. With ``has_aux=True``, ``f`` returns a pair
``(output, aux)``: the gradient is of ``output``, and ``(gradients, aux)`` is returned. Raises
:class:`srcgrad.errors.NonScalarOutputError` when ``f``'s output is not a scalar (use
:func:`vjp`).""")

value_and_grad = _decorator("value_and_grad", """Like :func:`grad`, returning ``(value, gradients)``
(``((value, aux), gradients)`` with ``has_aux=True``).""")

vjp = _decorator("vjp", """Vector-Jacobian product of a NumPy function with any output shape.

The returned function takes ``f``'s arguments plus the keyword ``seed``, the cotangent of the
output (same shape as the output), and returns the gradients as :func:`grad` does.""")

jvp = _decorator("jvp", """Jacobian-vector product (forward mode) of a NumPy function with any output.

The returned function takes ``f``'s arguments plus the keyword ``tangent``: the direction in
which the ``wrt`` arguments move (shaped like the argument; a tuple of them for a tuple
``wrt``; the same structure for lists, tuples and dicts). It returns ``(value,
output_tangent)``, the output and its derivative along that direction, computed in one pass
of generated code (``.source``) that runs each statement followed by its tangent's.""")

hvp = _decorator("hvp", """Hessian-vector product of a scalar-valued NumPy function.

The returned function takes ``f``'s arguments plus the keyword ``vector``, shaped like the
gradient (a tuple for a tuple ``wrt``, the same structure for containers), and returns the
product of the Hessian with it, in the gradient's structure. The code (``.source``) is forward
mode applied to the generated gradient: the gradient's statements, each followed by its
tangent's.""")
