"""Calls to the user's own functions are differentiated by inlining their normalized bodies.

A helper (``def lstm_cell(...)`` in the same or another module, an inner ``def``, a lambda
bound to a name) is parsed once and cached; each call site gets a copy of its body with the
helper's variables renamed apart, its parameters bound to the call's arguments (keyword and
default arguments included), and its return value (a tuple too) as the call's value.

Reads: a call of a user function and the function object. Writes: the statements binding the
parameters and the renamed body, for normalization to continue with (it is a helper of
:mod:`.normalize`, not a pass of its own).
"""

from __future__ import annotations

import copy
import inspect
import os
import sysconfig
import weakref
from typing import Any

import gast

from .. import ir
from .exits import walk_own
from .parse import ParsedFunction, parse_function

#: id of a helper's code object -> its tree and source; dropped when the code is collected.
_parsed_cache: dict[int, tuple[gast.FunctionDef, Any]] = {}


def parsed_helper(fn) -> ParsedFunction:
    """The parsed source of a helper function, read once per code object."""
    code = fn.__code__
    cached = _parsed_cache.get(id(code))
    if cached is None:
        parsed = parse_function(fn)
        cached = _parsed_cache[id(code)] = (parsed.tree, parsed.source)
        weakref.finalize(code, _parsed_cache.pop, id(code), None)
    tree, source = cached
    # a fresh tree per call site: normalization annotates and rewrites nodes
    return ParsedFunction(fn, copy.deepcopy(tree), source, fn.__globals__, _closure(fn),
                          dict(zip(fn.__code__.co_freevars, fn.__closure__ or ())))


def _closure(fn) -> dict:
    values = {}
    for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            values[var] = cell.cell_contents
        except ValueError:
            pass
    return values


def is_user_function(obj) -> bool:
    """A plain Python function outside NumPy and srcgrad: a helper to differentiate through
    (or a gradient made by srcgrad, which is refused when called)."""
    if hasattr(obj, "__wrapped__") and hasattr(obj, "generated"):
        return True
    if not inspect.isfunction(obj):
        return False
    module = getattr(obj, "__module__", "") or ""
    if module == "srcgrad.runtime":  # generated code differentiated again: a runtime helper
        return True  # without a rule is NumPy code, differentiated through like the user's
    if module == "numpy" or module.startswith(("numpy.", "srcgrad.")):
        return False
    return not _in_installed_library(obj.__code__.co_filename)


def library_fix(obj, text: str) -> str | None:
    """What to do about a call to ``obj`` with no rule, when it is a function of an installed
    library (which srcgrad does not read)."""
    code = getattr(obj, "__code__", None)
    if code is None or not _in_installed_library(code.co_filename):
        return None
    module = getattr(obj, "__module__", None) or "an installed library"
    return (f"{text} is a function of an installed library ({module}), whose code srcgrad "
            "does not differentiate: call NumPy's function (import numpy as np) or register "
            "a rule for it with srcgrad.defvjp")


def _library_folders() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(os.path.join(os.path.realpath(paths[key]), "")
                 for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths)


_LIBRARY_FOLDERS = _library_folders()


def _in_installed_library(filename: str) -> bool:
    """Whether code lives in the standard library or an installed package (autograd.numpy,
    scipy ...): not the user's helpers, so not inlined; a call to it without a rule is
    reported where the user's code makes it."""
    return os.path.realpath(filename).startswith(_LIBRARY_FOLDERS)


def local_names(fdef: gast.FunctionDef) -> set[str]:
    """A function's own variables: its parameters and what its body assigns."""
    args = fdef.args
    found = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    found |= {a.id for a in (args.vararg, args.kwarg) if a is not None}
    for node in walk_own(fdef.body):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            found.add(node.id)
        if isinstance(node, (gast.FunctionDef, gast.ClassDef)):
            found.add(node.name)
    return found


def rename_apart(fdef: gast.FunctionDef, namer) -> tuple[gast.FunctionDef, dict[str, str]]:
    """A copy of ``fdef`` whose own variables have names unused elsewhere."""
    fdef = copy.deepcopy(fdef)
    mapping = {v: namer.fresh(v) for v in sorted(local_names(fdef))}
    for node in ir.walk(fdef):
        if isinstance(node, gast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        elif isinstance(node, gast.FunctionDef) and node is not fdef and node.name in mapping:
            node.name = mapping[node.name]  # an inner def: called by its new name
    return fdef, mapping


def bind(normalizer, fdef: gast.FunctionDef, fn, call: gast.Call, hint: str,
         source) -> list[tuple[str, Any]]:
    """(parameter, atom) pairs binding a call's arguments to ``fdef``'s parameters: ``*args``
    gets a tuple of atoms, ``**kwargs`` a dict (a name assigned one). A call's ``*xs`` and
    ``**d`` are expanded where their items are known when the code is transformed."""
    args = fdef.args
    call_args, call_keywords = normalizer.spread_arguments(call, hint)
    positional = [a.id for a in args.posonlyargs + args.args]
    keyword_only = [a.id for a in args.kwonlyargs]
    values: dict[str, Any] = {}
    if len(call_args) > len(positional) and not args.vararg:
        raise normalizer.unsupported(call, f"too many arguments: the helper takes "
                                     f"{len(positional)}", "check the call")
    for param, arg in zip(positional, call_args):
        values[param] = arg
    if args.vararg:
        values[args.vararg.id] = gast.Tuple(elts=call_args[len(positional):], ctx=gast.Load())
    extra = {}
    for key, value in call_keywords.items():
        if key in values:
            raise normalizer.unsupported(call, f"repeated argument {key!r}", "check the call")
        if key in positional + keyword_only:
            values[key] = value
        elif args.kwarg:
            extra[key] = value
        else:
            raise normalizer.unsupported(call, f"unexpected argument {key!r}", "check the call")
    defaults = dict(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    defaults.update({p: d for p, d in zip(keyword_only, args.kw_defaults) if d is not None})
    object_defaults = {}
    if fn is not None:
        object_defaults = {p.name: p.default for p in inspect.signature(fn).parameters.values()
                           if p.default is not p.empty}
    for param in positional + keyword_only:
        if param in values:
            continue
        if param in object_defaults:
            values[param] = normalizer.constant_atom(object_defaults[param])
        elif param in defaults:
            values[param] = normalizer.atom(defaults[param], hint)
        else:
            raise normalizer.unsupported(call, f"missing argument {param!r}", "check the call")
    order = positional + ([args.vararg.id] if args.vararg else []) + keyword_only
    if args.kwarg:
        values[args.kwarg.id] = normalizer.literal_dict(extra, hint)
        order.append(args.kwarg.id)
    return [(p, values[p]) for p in order]
