"""The small language after normalization, and the questions every pass asks of it.

Statements are gast nodes: ``Assign`` (one primitive, see :class:`Op`),
``For`` over ``range(...)``, ``While``, ``If`` on an atom, ``Break`` (forward only), ``Expr``,
``Assert`` and ``Raise`` kept for their effect, and one final ``Return``. Loops and ifs are *scopes*:
their bodies run zero, one or many times, so values assigned inside may be overwritten before
the backward pass reads them.

What passes learn about a statement is kept in one declared record, :class:`Facts`, read and
written through :func:`facts` (never as ad-hoc attributes on the nodes).
"""

from __future__ import annotations

import builtins
import io
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gast
import numpy as np

from . import runtime
from .rules import registry
from .rules.registry import DYNAMIC

if TYPE_CHECKING:
    from .rules.registry import Rule

SCOPES = (gast.For, gast.While, gast.If)


def walk(node):
    """Every node of a tree, once each, in no particular order; a name's context is not
    visited. (Several times faster than ``gast.walk``, which passes run over and over.)"""
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    name, ast = gast.Name, gast.AST
    while stack:
        node = pop()
        yield node
        if type(node) is name:
            continue
        for part in node._fields:
            value = getattr(node, part, None)
            if type(value) is list:
                extend([item for item in value if isinstance(item, ast)])
            elif isinstance(value, ast):
                push(value)


def atom_names(node) -> set[str]:
    """The variable names an atom (or any expression) reads."""
    if node is None:
        return set()
    return {n.id for n in walk(node) if type(n) is gast.Name and type(n.ctx) is gast.Load}


def bodies(stmt) -> list[list]:
    """The statement lists nested in ``stmt`` (a loop's body, an if's two branches)."""
    if isinstance(stmt, (gast.For, gast.While)):
        return [stmt.body]
    if isinstance(stmt, gast.If):
        return [stmt.body, stmt.orelse]
    return []


def targets_of(stmt) -> list[str]:
    """The names a statement itself writes (an assignment's targets, a loop's variable)."""
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            return [target.id]
        if isinstance(target, gast.Subscript):  # x[i] = v changes x in place
            return [target.value.id]
        return [t.id for t in target.elts]
    if isinstance(stmt, gast.For):
        return [stmt.target.id]
    return []


def assigned_in(stmts) -> set[str]:
    """Every name assigned by ``stmts``, nested scopes included."""
    found: set[str] = set()
    for stmt in stmts:
        found.update(targets_of(stmt))
        for body in bodies(stmt):
            found |= assigned_in(body)
    return found


def is_write(stmt) -> bool:
    """Whether ``stmt`` writes into part of an array: ``x[index] = value``."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript)


def operands_of(stmt) -> set[str]:
    """The names a statement reads (for a scope: its header only)."""
    if is_write(stmt):
        return atom_names(stmt.value) | atom_names(stmt.targets[0])
    if isinstance(stmt, gast.Assign):
        return atom_names(stmt.value)
    if isinstance(stmt, gast.For):
        return atom_names(stmt.iter)
    if isinstance(stmt, (gast.While, gast.If)):
        return atom_names(stmt.test)
    if isinstance(stmt, (gast.Expr, gast.Return)):
        return atom_names(stmt.value)
    if isinstance(stmt, gast.Assert):
        return atom_names(stmt.test) | atom_names(stmt.msg)
    if isinstance(stmt, gast.Raise):
        return atom_names(stmt.exc) | atom_names(stmt.cause)
    return set()


def walk_statements(stmts):
    """Every statement in ``stmts``, nested ones included, in program order."""
    for stmt in stmts:
        yield stmt
        for body in bodies(stmt):
            yield from walk_statements(body)


def reads_in(stmts) -> set[str]:
    """Every name read anywhere in ``stmts``."""
    found: set[str] = set()
    for stmt in stmts:
        found |= atom_names(stmt)
    return found


def clone(node, mapping: dict | None = None, raw: dict | None = None):
    """A copy of a tree (much faster than ``copy.deepcopy`` on gast nodes). Each name in
    ``mapping`` read in ``node`` becomes a copy of its value; a name that is a subscript's
    whole index (``acc[index]``) takes its value from ``raw`` instead, slices included."""
    if isinstance(node, list):
        return [clone(item, mapping, raw) for item in node]
    if not isinstance(node, gast.AST) or isinstance(node, gast.expr_context):
        return node
    kind = type(node)
    if mapping and kind is gast.Name and node.id in mapping and \
            isinstance(node.ctx, gast.Load):
        return clone(mapping[node.id])
    if raw and kind is gast.Subscript and type(node.slice) is gast.Name and \
            node.slice.id in raw:
        return gast.Subscript(value=clone(node.value, mapping, raw),
                              slice=clone(raw[node.slice.id]), ctx=node.ctx)
    new = gast.AST.__new__(kind)
    for part in node._fields:
        setattr(new, part, clone(getattr(node, part, None), mapping, raw))
    for attribute in node._attributes:
        if hasattr(node, attribute):
            setattr(new, attribute, getattr(node, attribute))
    return new


def rewrite_up(node, rewrite):
    """Apply ``rewrite`` to every sub-expression of an expression, innermost first (through
    operators, calls, conditional expressions and tuples: where templates put them)."""
    for part in ("left", "right", "operand", "body", "orelse", "test"):
        child = getattr(node, part, None)
        if isinstance(child, gast.expr):
            setattr(node, part, rewrite_up(child, rewrite))
    for part in ("args", "elts"):
        children = getattr(node, part, None)
        if isinstance(children, list):
            setattr(node, part, [rewrite_up(c, rewrite) for c in children])
    return rewrite(node)


class Comment(gast.stmt):
    """A statement that is only a comment, ``# text`` in generated code (the backward pass's
    ``# grad of:`` lines). It reads and writes nothing; :mod:`.passes.codegen` prints it."""

    _fields = ("text",)

    def __init__(self, text: str):
        self.text = text


def comment(text: str) -> Comment:
    """The statement ``# text``."""
    return Comment(text)


def is_comment(stmt) -> bool:
    return isinstance(stmt, Comment)


def comment_text(stmt) -> str | None:
    """What a comment says (None for any other statement)."""
    return stmt.text if isinstance(stmt, Comment) else None


@dataclass
class Op:
    """How a normalized assignment computes its value.

    ``kind``: ``"copy"`` (of ``bound["x"]``), ``"rule"`` (a primitive with a rule),
    ``"tuple"`` (a tuple or list of atoms in ``elements``), ``"dict"`` (a dict literal with
    constant keys in ``static["keys"]``), ``"nondiff"`` (a primitive whose
    result carries no gradient, such as a comparison) or ``"opaque"`` (an expression with no
    rule, kept as written: it must not depend on differentiated values; ``what`` names it).
    """

    kind: str
    rule: Rule | None = None
    bound: dict[str, Any] = field(default_factory=dict)
    static: dict[str, Any] = field(default_factory=dict)
    elements: list[Any] = field(default_factory=list)
    what: str = ""
    fix: str | None = None  # for an opaque operation: what to do if it must be differentiated
    method: str | None = None  # written as a method of its first argument (x.copy())


def name(id_: str, store: bool = False) -> gast.Name:
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)


def constant(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def call(function: Any, *args, **keywords) -> gast.Call:
    """A call of ``function`` in generated code, named by the function itself (never by a
    string): a NumPy function as ``np.<name>``, a runtime helper or a builtin by its name."""
    called = function.__name__
    func: gast.expr = name(called)
    if getattr(np, called, None) is function:
        func = gast.Attribute(value=name("np"), attr=called, ctx=gast.Load())
    return gast.Call(func=func, args=list(args),
                     keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])


def static_value(node) -> Any:
    """The Python value of a literal atom (``1``, ``(0, 1)``, ``[0, 0]``, ``None``), or
    DYNAMIC. A list stays a list: as an index it picks elements (``x[[0, 0]]``), a tuple axes."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, (gast.Tuple, gast.List)):
        values = [static_value(e) for e in node.elts]
        if any(v is DYNAMIC for v in values):
            return DYNAMIC
        return tuple(values) if isinstance(node, gast.Tuple) else values
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = static_value(node.operand)
        return DYNAMIC if inner is DYNAMIC else -inner
    return DYNAMIC


def bind_op(rule: Rule, args: list, kwargs: dict, static_global=None) -> Op:
    """The Op of a call of ``rule``'s primitive with these atoms (TypeError if they do not
    match its parameters). ``static_global`` gives the value of an atom naming a global that
    templates specialise on (a dtype), or DYNAMIC."""
    bound = rule.signature.bind(*args, **kwargs)
    arguments = {}
    for param, spec in rule.signature.parameters.items():
        if param not in bound.arguments and spec.kind != spec.VAR_POSITIONAL:
            continue
        value = bound.arguments.get(param, ())  # (*args given nothing: an empty tuple)
        kind = spec.kind
        if kind == kind.VAR_POSITIONAL:
            value = gast.Tuple(elts=list(value), ctx=gast.Load())
        elif kind == kind.VAR_KEYWORD:
            continue
        arguments[param] = value
    static = {}  # literal arguments, for templates that specialise on them (x ** 2)
    for param, spec in rule.signature.parameters.items():
        if param in arguments:
            static[param] = static_value(arguments[param])
            if static[param] is DYNAMIC and static_global is not None:
                static[param] = static_global(arguments[param])
        elif spec.default is not spec.empty:
            static[param] = spec.default
    if not rule.differentiable or rule.cut(static):
        return Op("nondiff", rule=rule, bound=arguments, static=static, what=rule.name)
    return Op("rule", rule, bound=arguments, static=static, what=rule.name)


@dataclass
class Source:
    """Where a function's code lives, for error messages and ``# grad of:`` comments."""

    filename: str
    lines: dict[int, str] = field(default_factory=dict)  # file line number -> text

    def line(self, lineno: int | None) -> str:
        """The source line, without its comment."""
        text = self.lines.get(lineno or -1, "").strip()
        if "#" in text:
            try:
                tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
            except (tokenize.TokenError, SyntaxError):
                return text
            for token in tokens:
                if token.type == tokenize.COMMENT:
                    return text[:token.start[1]].rstrip()
        return text

    def error(self, cls, node, what: str, fix: str | None = None):
        """An exception of class ``cls`` located at ``node``."""
        lineno = getattr(node, "lineno", None)
        return cls(what, filename=self.filename, lineno=lineno,
                   line=self.lines.get(lineno or -1, ""), fix=fix)



@dataclass
class Facts:
    """What the passes record about one statement. Each field names the pass that writes it;
    any later pass may read it."""

    op: Op | None = None  # normalize (and passes that add statements): how it computes its value
    line: int | None = None  # normalize: the line in the user's file it comes from
    source: Source | None = None  # normalize: the file it comes from (an inlined helper's own)
    helper: str | None = None  # normalize: the helper it was inlined from, for comments
    inplace: bool = False  # normalize: ``y op= e`` written in place (aliasing carries it over)
    count: str | None = None  # normalize, analysis.rename: a loop's trip-count variable
    after_loop: bool = False  # exits: the check of a loop's exit flag placed after the loop
    assigned: set[str] = field(default_factory=set)  # analysis.rename: what a scope assigns
    sure: set[str] = field(default_factory=set)  # analysis.rename: what is set before a loop runs
    header: set[str] = field(default_factory=set)  # reverse: what a loop's header reads
    keep: bool = False  # transform, reverse: never removed as dead code
    pop: bool = False  # reverse: reads the tape (never dead code)
    pushes: list[str] = field(default_factory=list)  # reverse.tape: what is
    # pushed on the tape after it (values, or the x_shape and x_len of TapePlan.shape_of)
    saves_slot: bool = False  # reverse.tape: ``x[i] = v`` tapes the values it overwrites
    #: aliasing: a push onto (``T + [v]``) or pop from (``T[:-1]``) the tape of a generated
    #: gradient read back (hvp), whose old list is never read again: updated in place
    tape_update: bool = False
    reads: frozenset[str] | None = None  # optimize: cache of the names it reads

    def locate_like(self, other: Facts) -> None:
        """Take ``other``'s place in the user's code (for comments and errors)."""
        self.line, self.source, self.helper = other.line, other.source, other.helper


def op_of(stmt) -> Op:
    """How a normalized assignment computes its value (every one has an Op)."""
    op = facts(stmt).op
    assert op is not None, "a statement made without an Op"
    return op


def facts(stmt) -> Facts:
    """The facts recorded about ``stmt`` (an empty record the first time)."""
    found = stmt.__dict__.get("facts")
    if found is None:
        found = stmt.facts = Facts()
    return found


def called(node) -> Any:
    """The function a call in a template (or in code the passes write) calls: a runtime
    helper or a builtin by its name, a NumPy function by its ``np.`` path; else None."""
    if not isinstance(node, gast.Call):
        return None
    func, path = node.func, []
    while isinstance(func, gast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name):
        return None
    if not path:
        return getattr(runtime, func.id, None) or getattr(builtins, func.id, None)
    if func.id != "np":
        return None
    found: Any = np
    for attr in reversed(path):
        found = getattr(found, attr, None)
    return found


def shape_query(node) -> tuple[str, str] | None:
    """``("shape", "x")`` for ``np.shape(x)``, and so on for the other shape queries (see
    :attr:`Rule.shape_query`) of one variable; else None."""
    function = called(node)
    if function is None or len(node.args) != 1 or node.keywords or \
            not isinstance(node.args[0], gast.Name):
        return None
    rule = registry.lookup(function)
    if rule is None or rule.shape_query is None:
        return None
    return rule.shape_query, node.args[0].id
