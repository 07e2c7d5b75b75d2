"""Find out what each name in a function refers to: a local, a module, a primitive, a constant.

Reads: a parsed function, its globals and closure. Writes: nothing in the tree; the
:class:`Resolver` answers what a free name is (:class:`Resolved`), and records every value it
looked at (``assumptions``) so the cache can tell when generated code is out of date.
"""

from __future__ import annotations

import builtins
import importlib
import types
from dataclasses import dataclass
from typing import Any

import gast
import numpy as np

from ..errors import SrcgradError
from .parse import ParsedFunction

_MISSING = object()

#: The builtins generated code calls by name (loops, ``zip(*rows)``, reversed iteration). A
#: user's variable, global or closure variable of one of these names is renamed apart (see
#: :meth:`Resolver.clashes`), so the name always means the builtin to the generated code.
GENERATED_BUILTINS = frozenset({"len", "min", "range", "reversed", "tuple", "zip"})

#: Values generated code reads at call time rather than having been made for: a global or
#: closure variable holding one may change between calls (a new batch each step) without
#: the code being made again; only a change to a value of another kind is a change of code.
DATA_TYPES = (np.ndarray, np.generic, int, float, complex, str, bytes, type(None))


def is_data(value: Any, depth: int = 0) -> bool:
    """Whether generated code reads ``value`` at call time (see :data:`DATA_TYPES`): those
    types, and small lists, tuples and dicts of them (a batch ``(xb, yb)``)."""
    if isinstance(value, DATA_TYPES):
        return True
    if depth < 2 and type(value) in (list, tuple, dict) and len(value) <= 16:
        items = value.values() if type(value) is dict else value
        return all(is_data(item, depth + 1) for item in items)
    return False


@dataclass
class Resolved:
    """What an expression such as ``np.linalg.norm`` or ``x.sum`` refers to.

    ``kind`` is ``"local"`` (rooted in a local variable: ``x.sum`` has ``attr`` "sum"),
    ``"object"`` (a global, closure or builtin object, in ``value``) or ``"unknown"``.
    """

    kind: str
    value: Any = None
    root: str | None = None


class Resolver:
    """Resolves names of one function against its locals, closure, globals and builtins."""

    def __init__(self, parsed: ParsedFunction, local_names: set[str],
                 shared: Resolver | None = None):
        self.parsed = parsed
        self.locals = local_names
        # One namespace for the generated code: helpers inlined from other modules share it.
        self.used_globals: dict[str, Any] = shared.used_globals if shared else {}
        # What the generated code assumes: (scope, name, value), where scope is a globals dict
        # (or an object's attributes, a dict of objects), a list of objects (name "items",
        # value its items as a tuple), a closure cell, ``"globals"`` (the differentiated function's globals) or an int (the
        # index of one of its own closure cells): the code is keyed on the function's code
        # object and serves every function made from it. The gradient function checks these
        # before each call and is made anew if one changed (a data value: if its kind did).
        self.assumptions: list[tuple[Any, str, Any]] = shared.assumptions if shared else []
        self.own_cells: dict[int, int] = shared.own_cells if shared else {
            id(cell): i for i, cell in enumerate(getattr(parsed.fn, "__closure__", None) or ())}
        self.own_globals: dict[str, Any] = shared.own_globals if shared else parsed.globals
        # Free names of an inlined helper renamed apart from the same names meaning something
        # else in the namespace (two closures of one factory): name in the code -> own name.
        self.aliases: dict[str, str] = {}
        # Such names that hold data, read at each call: name in the code -> (scope, own name).
        self.renamed_data: dict[str, tuple] = shared.renamed_data if shared else {}

    def add_global(self, base: str, value: Any) -> str:
        """A name under which generated code can read ``value``."""
        for key, known in self.used_globals.items():
            if known is value:
                return key
        key, i = f"_{base}", 1
        while key in self.used_globals or key in self.parsed.globals or key in self.locals:
            key, i = f"_{base}_{i}", i + 1
        self.used_globals[key] = value
        return key

    def record(self, key: str, value: Any) -> None:
        """Let generated code (and later resolution) read ``value`` as ``key``."""
        known = self.used_globals.get(key, _MISSING)
        if known is not _MISSING and known is not value:
            raise SrcgradError(
                f"the name {key!r} means different things in {self.parsed.fn.__qualname__} "
                f"({value!r:.60}) and in a function it calls ({known!r:.60}); srcgrad inlines "
                "helpers into one namespace, so give one of them another name")
        self.used_globals[key] = value

    def lookup(self, name: str) -> Any:
        """The object a non-local name refers to, or ``_MISSING``."""
        if name in GENERATED_BUILTINS:  # (the user's own of that name are renamed apart)
            return vars(builtins)[name]
        key, name = name, self.aliases.get(name, name)
        cells = self.parsed.cells
        if name in cells:
            try:
                value = cells[name].cell_contents
            except ValueError:
                return _MISSING
            scope = self.own_cells.get(id(cells[name]), cells[name])
            self.assumptions.append((scope, name, value))
            if key != name:
                self.renamed_data[key] = (scope, name)
            return value
        if name in self.parsed.globals:
            value = self.parsed.globals[name]
            scope = "globals" if self.parsed.globals is self.own_globals else self.parsed.globals
            self.assumptions.append((scope, name, value))
            if key != name:
                self.renamed_data[key] = (scope, name)
            return value
        if name in vars(builtins):
            return vars(builtins)[name]
        return self.used_globals.get(name, _MISSING)  # a name srcgrad itself recorded

    def peek(self, name: str) -> Any:
        """What a free name refers to (NumPy for autograd's wrapper), recording nothing."""
        name = self.aliases.get(name, name)
        if name in self.parsed.cells:
            try:
                return numpy_equivalent(self.parsed.cells[name].cell_contents)
            except ValueError:
                return _MISSING
        if name in self.parsed.globals:
            return numpy_equivalent(self.parsed.globals[name])
        if name in vars(builtins):
            return vars(builtins)[name]
        return self.used_globals.get(name, _MISSING)  # a name srcgrad itself recorded

    def clashes(self, name: str, outer: set[str]) -> bool:
        """Whether the free name ``name`` (of an inlined helper) means something other than
        the same name already does in the shared namespace, or is a local of the code around,
        or is a builtin generated code calls (:data:`GENERATED_BUILTINS`) bound to something
        else."""
        value = self.peek(name)
        if value is _MISSING:
            return False
        if name in GENERATED_BUILTINS and value is not vars(builtins)[name]:
            return True
        known = self.used_globals.get(name, _MISSING)
        return name in outer or (known is not _MISSING and known is not value)

    def is_local(self, name: str | None) -> bool:
        return name in self.locals

    def resolve(self, expr: gast.expr) -> Resolved:
        """Resolve a name or attribute chain (``np.linalg.norm``) without evaluating calls."""
        if isinstance(expr, gast.Name):
            if self.is_local(expr.id):
                return Resolved("local", root=expr.id)
            value = numpy_equivalent(self.lookup(expr.id))
            if value is _MISSING:
                return Resolved("unknown", root=expr.id)
            self.record(expr.id, value)
            return Resolved("object", value, expr.id)
        if isinstance(expr, gast.Attribute):
            base = self.resolve(expr.value)
            if base.kind != "object":
                return Resolved("local" if base.kind == "local" else "unknown", root=base.root)
            value = numpy_equivalent(getattr(base.value, expr.attr, _MISSING))
            if value is _MISSING:
                return Resolved("unknown", root=base.root)
            if isinstance(base.value, types.ModuleType) and \
                    not base.value.__name__.startswith("numpy"):  # mod.act: noticed if rebound
                self.assumptions.append((vars(base.value), expr.attr, value))
            return Resolved("object", value, base.root)
        return Resolved("local")


#: Modules that wrap NumPy's (and SciPy's) functions for tracing, and what they wrap: code
#: written for autograd (``import autograd.numpy as np``) is NumPy code to srcgrad.
_WRAPPERS = {"autograd.numpy": "numpy", "autograd.scipy": "scipy"}


def numpy_equivalent(value: Any) -> Any:
    """The NumPy (SciPy) module or function ``value`` wraps, if it is autograd's wrapper of
    one; else ``value``."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
    else:
        module = getattr(value, "__module__", None) or ""
        if not isinstance(module, str):
            return value
        if module == "autograd.tracer" and hasattr(value, "fun"):  # a wrapped primitive
            return value.fun
    for wrapper, wrapped in _WRAPPERS.items():
        if module == wrapper or module.startswith(wrapper + "."):
            target = wrapped + module[len(wrapper):]
            if isinstance(value, types.ModuleType):
                try:
                    return importlib.import_module(target)
                except ImportError:
                    return value
            for candidate in (target, wrapped):
                try:
                    found = getattr(importlib.import_module(candidate), value.__name__, None)
                except (ImportError, AttributeError):
                    found = None
                if found is not None:
                    return found
    return value
