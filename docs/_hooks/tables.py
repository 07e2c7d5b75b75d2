"""Tables of what srcgrad can differentiate, made from the rule registry at build time."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable

from directives import Directive
from families import Family, families, family_of, key_text

_ROLE = re.compile(r":(?:func|class|mod|meth|data|attr|exc):`~?\.?([^`]+)`")
_SYNTAX_FAMILIES = ("operators", "builtins")
_NONDIFF = "nondiff"


def _rules():
    from srcgrad.rules.registry import all_rules

    return all_rules()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def rst_to_markdown(text: str) -> str:
    """A docstring's reST as Markdown: roles dropped, ``code`` kept as code."""
    text = _ROLE.sub(lambda m: f"``{m.group(1)}``", text)
    return re.sub(r"``(.+?)``", lambda m: f"`{m.group(1)}`", text)


def _docstring_body(family: Family) -> str:
    lines = family.doc.strip().splitlines()[1:]
    return rst_to_markdown("\n".join(lines).strip())


def _params(rule) -> str:
    parts = []
    for p in rule.signature.parameters.values():
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        parts.append(prefix + p.name)
    return ", ".join(parts)


def template_text(rule, param: str) -> str:
    """A rule's adjoint template for ``param`` as shown in the docs.

    A template that is a function of literal arguments (``axis``, ``keepdims`` ...) is shown
    for the parameters' default values (and, for parameters without one, for a value that is
    not a literal: the general form), with the arguments it depends on.
    """
    from srcgrad.rules.registry import DYNAMIC

    template = rule.adjoints[param]
    if not callable(template):
        return _code(template)
    wanted = list(inspect.signature(template).parameters)
    values, shown = {}, []
    for name in wanted:
        spec = rule.signature.parameters.get(name)
        if spec is not None and spec.default is not spec.empty:
            values[name] = spec.default
            shown.append(f"{name}={spec.default!r}")
        else:
            values[name] = DYNAMIC
    depends = ", ".join(f"`{w}`" for w in wanted)
    try:
        text = template(**values)
    except Exception:  # noqa: BLE001 - a template that needs a value: say what it depends on
        return f"depends on {depends}"
    where = f"for {', '.join(shown)}" if shown else "in general"
    return f"{_code(text)} ({where}; depends on literal {depends})"


def _rule_rows(rules: Iterable) -> list[str]:
    rows = ["| Function | Gradient flows to | Adjoint, per argument |", "|---|---|---|"]
    for rule in rules:
        diff = [p for p in rule.signature.parameters if p in rule.adjoints]
        adjoints = "<br>".join(f"`{p}`: {template_text(rule, p)}" for p in diff)
        rows.append(f"| {_code(f'{rule.name}({_params(rule)})')} | "
                    f"{', '.join(f'`{p}`' for p in diff)} | {adjoints} |")
    return rows


def _display(rule) -> str:
    from srcgrad.cli import display_name

    return display_name(rule)


def _fusion_keys() -> set[str]:
    from srcgrad.rules import registry

    return {key_text(f.rule.key) for f in getattr(registry, "fusions", list)()}


def numpy_tables(directive: Directive) -> str:
    """``srcgrad:numpy-rules``: one section per rule module with a table of its rules."""
    rules = {key_text(r.key): r for r in _rules()
             if r.differentiable and _display(r).startswith("np.")}
    out = []
    shown: set[str] = set()
    for family in families():
        if family.module in _SYNTAX_FAMILIES or family.module == _NONDIFF:
            continue
        members = [rules[k] for k in family.rules if k in rules and k not in shown]
        if not members:
            continue
        shown.update(key_text(r.key) for r in members)
        out += [f"### {family.title}", "", _docstring_body(family), "", *_rule_rows(members), ""]
    others = [r for k, r in rules.items() if k not in shown]
    if others:
        out += ["### Other rules", "", *_rule_rows(others), ""]
    count = len(shown) + len(others)
    return f"srcgrad has rules for **{count} NumPy functions**.\n\n" + "\n".join(out)


def fusion_table(directive: Directive) -> str:
    """``srcgrad:fusions``: expressions differentiated as one primitive."""
    from srcgrad.passes.codegen import expression_source
    from srcgrad.rules import registry

    found = getattr(registry, "fusions", list)()
    if not found:
        return "*No fused patterns are registered.*\n"
    rows = ["| Name | Written as | Adjoint |", "|---|---|---|"]
    for fusion in found:
        rule = fusion.rule
        spellings = "<br>".join(_code(expression_source(p)) for p in fusion.patterns)
        adjoints = "<br>".join(f"`{p}`: {template_text(rule, p)}" for p in rule.adjoints)
        rows.append(f"| `{rule.name}` | {spellings} | {adjoints} |")
    return "\n".join(rows) + "\n"


def nondiff_list(directive: Directive) -> str:
    """``srcgrad:nondiff``: the functions whose results carry no gradient."""
    names = sorted({_display(r) for r in _rules()
                    if not r.differentiable and _display(r).startswith("np.")})
    random = [n for n in names if n.startswith("np.random.")]
    plain = [n for n in names if not n.startswith("np.random.")]
    text = ", ".join(f"`{n}`" for n in plain)
    if random:
        text += (f", and {len(random)} functions and classes of `np.random`: "
                 + ", ".join(f"`{n}`" for n in random))
    return text + "\n"


def python_tables(directive: Directive) -> str:
    """``srcgrad:python-rules``: operators, subscripts, attributes and builtins."""
    from srcgrad.rules.operators import syntax_form

    mapping = family_of()
    fused = _fusion_keys()
    syntax = [r for r in _rules() if mapping.get(key_text(r.key)) in _SYNTAX_FAMILIES
              and key_text(r.key) not in fused]
    rows = ["| Code | Differentiated as | Gradient flows to |", "|---|---|---|"]
    for rule in syntax:
        if not rule.differentiable:
            continue
        name = _display(rule)
        form = syntax_form(name) if isinstance(rule.key, str) else \
            f"{name}({', '.join(rule.signature.parameters)})"
        diff = ", ".join(f"`{p}`" for p in rule.signature.parameters if p in rule.adjoints)
        how = f"the rule of `{rule.name}`" if rule.name != name else ", ".join(
            f"`{p}`: {template_text(rule, p)}" for p in rule.adjoints)
        rows.append(f"| {_code(form)} | {how} | {diff} |")
    none = [_code(syntax_form(_display(r)) if isinstance(r.key, str) else _display(r))
            for r in syntax if not r.differentiable]
    return "\n".join(rows) + "\n\nNo gradient (their results are constants): " + \
        ", ".join(none) + ".\n"


def method_table(directive: Directive) -> str:
    """``srcgrad:methods``: array methods and the functions they stand for."""
    from srcgrad.rules.registry import _METHODS, lookup

    rows = ["| Method | Differentiated as | |", "|---|---|---|"]
    for name in sorted(_METHODS):
        method = _METHODS[name]
        rule = lookup(method.function)
        target = rule.name if rule is not None else getattr(method.function, "__name__", "?")
        note = "no gradient" if rule is not None and not rule.differentiable else ""
        if method.pack_varargs:
            note = (note + "; " if note else "") + f"`x.{name}(a, b)` means `{target}(x, (a, b))`"
        rows.append(f"| `x.{name}(...)` | `{target}(x, ...)` | {note} |")
    return "\n".join(rows) + "\n"


def counts(directive: Directive) -> str:
    """``srcgrad:rule-counts``: one sentence with the numbers."""
    rules = _rules()
    numpy_diff = len({r.name for r in rules if r.differentiable and r.name.startswith("np.")})
    nondiff = sum(1 for r in rules if not r.differentiable)
    from srcgrad.rules.registry import _METHODS

    return (f"{numpy_diff} differentiable NumPy functions, {len(_METHODS)} array methods and "
            f"{nondiff} primitives known to carry no gradient")
