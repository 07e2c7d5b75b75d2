"""Which module of ``srcgrad/rules/`` registers each rule (its *family*), found by running them.

The registry does not record where a rule came from, so the rule modules are imported a second
time, in a private copy of the package whose registration functions note their caller. The real
``srcgrad`` is not touched; the rules shown in the docs still come from its registry.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import pkgutil
import sys
import types
from dataclasses import dataclass
from pathlib import Path

_COPY = "_srcgrad_docs_copy"


@dataclass
class Family:
    """A rule module: its name, docstring, and the rules (by :func:`key_text`) and method
    names it registers."""

    module: str
    doc: str
    rules: list[str]
    methods: list[str]

    @property
    def title(self) -> str:
        first = self.doc.strip().splitlines()[0] if self.doc.strip() else self.module
        return first.rstrip(".")


def key_text(key) -> str:
    """A registry key as text that is the same for the real registry and the private copy."""
    if isinstance(key, str):
        return "syntax " + key
    if isinstance(key, tuple):  # a bound method: (function, id of its object)
        return key_text(key[0]) + f" of {key[1]}"
    module = getattr(key, "__module__", None) or ""
    name = getattr(key, "__qualname__", None) or getattr(key, "__name__", None) or repr(key)
    return f"{module.replace(_COPY, 'srcgrad')}.{name}"


def _caller_family() -> str:
    """The rule module that called a registration function (through any registry helper)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith(_COPY + ".rules.") and not name.endswith(".registry"):
            return name.rsplit(".", 1)[-1]
        frame = frame.f_back
    return "registry"


def _package(name: str, path) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__path__ = [str(path)]
    module.__package__ = name
    sys.modules[name] = module
    return module


def _import_order(rules_dir) -> list[str]:
    """The rule modules in the order ``srcgrad/rules/__init__.py`` imports them (an alias
    needs the rule it aliases), then any others alphabetically."""
    present = sorted(m.name for m in pkgutil.iter_modules([str(rules_dir)]) if
                     m.name != "registry")
    tree = ast.parse((rules_dir / "__init__.py").read_text(encoding="utf-8"))
    order: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            order += [a.name for a in node.names if a.name in present and a.name not in order]
    return order + [m for m in present if m not in order]


@functools.cache
def families() -> list[Family]:
    """The rule modules, in the order the package imports them."""
    import srcgrad

    package_dir = Path(srcgrad.__file__).parent  # the srcgrad that runs, installed or not
    rules_dir = package_dir / "rules"
    saved = {k: v for k, v in sys.modules.items() if k == _COPY or k.startswith(_COPY + ".")}
    _package(_COPY, package_dir)
    _package(_COPY + ".rules", rules_dir)
    try:
        registry = importlib.import_module(_COPY + ".rules.registry")
        found: dict[str, Family] = {}

        def noting(register, kind):
            def wrapper(*args, **kwargs):
                before_rules = set(registry._RULES)
                before_methods = set(registry._METHODS)
                result = register(*args, **kwargs)
                caller = _caller_family()
                family = found.setdefault(caller, Family(caller, "", [], []))
                new = [key_text(k) for k in registry._RULES if k not in before_rules]
                if not new and kind == "rule" and args:  # registered again: this family's too
                    key_of = getattr(registry, "_key", lambda k: k)
                    new = [key_text(key_of(args[0]))]
                family.rules.extend(n for n in new if n not in family.rules)
                family.methods.extend(m for m in registry._METHODS if m not in before_methods)
                return result
            return wrapper

        for name, kind in (("defvjp", "rule"), ("nondiff", "rule"), ("alias", "rule"),
                           ("defmethod", "method"), ("deffusion", "rule")):
            if hasattr(registry, name):
                setattr(registry, name, noting(getattr(registry, name), kind))
        optional = set(getattr(registry, "OPTIONAL_FAMILIES", {}).values())
        for name in _import_order(rules_dir):
            try:
                module = importlib.import_module(f"{_COPY}.rules.{name}")
            except ModuleNotFoundError:  # the rules of an optional library not installed
                if name in optional:
                    continue
                raise
            found.setdefault(name, Family(name, "", [], [])).doc = module.__doc__ or ""
        order = _import_order(rules_dir)
        return sorted(found.values(), key=lambda f: order.index(f.module)
                      if f.module in order else len(order))
    finally:
        for key in [k for k in sys.modules if k == _COPY or k.startswith(_COPY + ".")]:
            del sys.modules[key]
        sys.modules.update(saved)


def family_of() -> dict[str, str]:
    """:func:`key_text` of a rule's key -> the module that registers it (``elementwise``)."""
    mapping: dict[str, str] = {}
    for family in families():
        for name in family.rules:
            mapping.setdefault(name, family.module)
    return mapping
