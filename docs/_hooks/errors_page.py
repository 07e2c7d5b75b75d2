"""The "Errors" page: srcgrad's exception hierarchy, each with a real message made at build time.

Messages come from running the ``raise_<ErrorName>`` functions of
``docs/_examples/error_cases.py``; a function that no longer raises its error fails the build.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap

from context import DOCS, fence, load, log, tidy
from directives import Directive
from tables import rst_to_markdown

CASES = DOCS / "_examples" / "error_cases.py"
#: Modules whose SrcgradError subclasses users may meet.
MODULES = ("srcgrad.errors", "srcgrad.check", "srcgrad.optimizers",
           "srcgrad.graph")


def _classes():
    from srcgrad.errors import SrcgradError

    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional module's dependency is missing
            continue
    order: list[tuple[int, type]] = []

    def walk(cls, depth):
        order.append((depth, cls))
        for sub in sorted(cls.__subclasses__(), key=lambda c: c.__name__):
            if sub.__module__.startswith("srcgrad"):
                walk(sub, depth + 1)

    walk(SrcgradError, 0)
    return order


def _triggers() -> dict[str, list]:
    module = inspect.getmodule(load(f"{CASES}:raise_WrtError"))
    found: dict[str, list] = {}
    for name, fn in vars(module).items():
        if name.startswith("raise_") and inspect.isfunction(fn):
            found.setdefault(name[len("raise_"):].split("_")[0], []).append(fn)
    return found


def _example_code(trigger) -> str:
    """The trigger's body, after the functions of the cases module it uses."""
    body = textwrap.dedent("\n".join(inspect.getsource(trigger).splitlines()[1:]))
    module = inspect.getmodule(trigger)
    used = []
    for name, fn in vars(module).items():
        if inspect.isfunction(fn) and fn.__module__ == module.__name__ and \
                not name.startswith("raise_") and re.search(rf"\b{name}\b", body):
            used.append(inspect.getsource(fn).rstrip())
    return "\n\n".join(used + [body.strip()])


def _message(cls: type, trigger) -> str | None:
    try:
        trigger()
    except cls as exc:
        return tidy(str(exc))
    except Exception as exc:  # noqa: BLE001 - reported as a stale example
        log.warning("%s in %s raised %s instead of %s: %s", trigger.__name__,
                    tidy(str(CASES)), type(exc).__name__, cls.__name__, exc)
        return None
    log.warning("%s in %s no longer raises %s", trigger.__name__, tidy(str(CASES)),
                cls.__name__)
    return None


def hierarchy(directive: Directive) -> str:
    """``srcgrad:error-tree``: the classes as a nested list."""
    lines = []
    for depth, cls in _classes():
        doc = rst_to_markdown((inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " "))
        lines.append("    " * depth + f"- [`{cls.__name__}`](#{cls.__name__.lower()}) — {doc}")
    return "\n".join(lines) + "\n"


def details(directive: Directive) -> str:
    """``srcgrad:error-details``: per class, where it lives, its docstring and real messages."""
    triggers = _triggers()
    out = []
    for _, cls in _classes():
        out.append(f"### {cls.__name__}\n")
        out.append(f"`{cls.__module__}.{cls.__qualname__}`"
                   + (f", a subclass of `{cls.__bases__[0].__name__}`" if cls.__bases__
                      and cls.__bases__[0] is not Exception else "") + "\n")
        doc = inspect.getdoc(cls)
        if doc:
            out.append(rst_to_markdown(doc) + "\n")
        for trigger in triggers.get(cls.__name__, []):
            message = _message(cls, trigger)
            if message is None:
                continue
            out.append("For example,\n")
            out.append(fence(_example_code(trigger)))
            out.append("raises\n")
            out.append(fence(message, "text"))
    return "\n".join(out)
