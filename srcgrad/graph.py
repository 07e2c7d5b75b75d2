"""Computation graphs, as Graphviz ``dot`` text, of a normalized function and of its adjoint.

:func:`forward_graph` draws a function as srcgrad differentiates it (after the front end:
A-normal form, writes to shared memory resolved, fused, renamed): one node per variable
(ellipses; parameters at the top, the result with a double border), one node per operation
(boxes), edges for data flow. The operations of one line of the user's code are grouped in a box
labelled with that line; loops are clusters, and a value a loop carries from one iteration to
the next gets a dashed edge back; each branch of an ``if`` is a cluster, and a variable either
branch sets is merged after it (a dotted node). With ``wrt``, the variables srcgrad
differentiates (the *active* ones) are shaded.

:func:`adjoint_graph` draws the generated gradient code (``.source``) the same way: forward
statements, then the backward pass with one cluster per ``# grad of:`` block, and the tape as
one cylinder that loops push values into and the backward loops pop them from.

Only the engine's passes are used, read-only; nothing here changes how gradients are made.
"""

from __future__ import annotations

import inspect
import io
import itertools
import shutil
import subprocess
import tokenize
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gast

from . import ir
from .errors import SrcgradError
from .ir import facts
from .passes.codegen import expression_source
from .transform import FrontEnd, front_end

#: The name generated code gives its tape (a list of saved values).
TAPE = "tape"
#: Formats :func:`render` can produce with Graphviz's ``dot``.
RENDER_FORMATS = ("svg", "png", "pdf")
_MAX_LABEL = 48

# Colours: parameters being differentiated, other active values, backward-pass values.
_WRT_FILL = "#9ecae1"
_ACTIVE_FILL = "#deebf7"
_ADJOINT_FILL = "#fdd0a2"


class GraphRenderError(SrcgradError):
    """Graphviz's ``dot`` failed to render a graph."""


@dataclass
class Node:
    """A variable or an operation."""

    id: str
    label: str
    kind: str  # "var", "op" or "tape"
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Cluster:
    """A group of nodes drawn in a box: a loop, a line of the user's code, a ``grad of`` block."""

    label: str
    style: str = "rounded"
    nodes: list[str] = field(default_factory=list)
    children: list[Cluster] = field(default_factory=list)


@dataclass
class Edge:
    source: str
    target: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Graph:
    """Nodes, edges and nested clusters; :func:`to_dot` writes it out."""

    name: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    root: Cluster = field(default_factory=lambda: Cluster(label=""))


# -- building ---------------------------------------------------------------------------------

def _code_only(line: str) -> str:
    """A line of code without its trailing comment."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return line
    for token in tokens:
        if token.type == tokenize.COMMENT:
            return line[:token.start[1]].rstrip()
    return line


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LABEL else text[:_MAX_LABEL - 3] + "..."


def _loads(node, local: set[str]) -> list[str]:
    """Local names an expression reads, in order, without repeats; callees are not reads."""
    found: list[str] = []

    def visit(sub):
        if isinstance(sub, gast.Call):
            func = sub.func
            if isinstance(func, gast.Attribute):  # x.method(...): the receiver is read
                visit(func.value)
            for part in list(sub.args) + [k.value for k in sub.keywords]:
                visit(part)
            return
        if isinstance(sub, gast.Name):
            if isinstance(sub.ctx, gast.Load) and sub.id in local and sub.id not in found:
                found.append(sub.id)
            return
        for child in gast.iter_child_nodes(sub):
            visit(child)

    visit(node)
    return found


def _target_names(target) -> list[str]:
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    return []


def _first_reads(stmts: Sequence[gast.stmt], local: set[str]) -> set[str]:
    """Names a block reads before it writes them (what a loop carries between iterations)."""
    written: set[str] = set()
    carried: set[str] = set()

    def walk(block):
        for stmt in block:
            if isinstance(stmt, gast.For):
                carried.update(set(_loads(stmt.iter, local)) - written)
                walk(stmt.body)
                written.update(_target_names(stmt.target))
                continue
            if isinstance(stmt, (gast.While, gast.If)):
                carried.update(set(_loads(stmt.test, local)) - written)
                walk(stmt.body + stmt.orelse)
                continue
            value = getattr(stmt, "value", None)
            reads = set(_loads(value, local)) if value is not None else set()
            if isinstance(stmt, gast.AugAssign):
                reads |= set(_target_names(stmt.target))
            carried.update(reads - written)
            for target in getattr(stmt, "targets", []) + ([stmt.target] if isinstance(
                    stmt, gast.AugAssign) else []):
                written.update(_target_names(target))

    walk(stmts)
    return carried


class _Builder:
    """Turns statements into a :class:`Graph`, one version of a variable per assignment."""

    def __init__(self, name: str, local: set[str]):
        self.graph = Graph(name)
        self.local = local
        self.current: dict[str, str] = {}
        self.ids = itertools.count()
        self.cluster = self.graph.root
        self.var_style: Callable[[str], dict[str, str]] = lambda var: {}

    # nodes and edges
    def node(self, label: str, kind: str, **attrs: str) -> str:
        node_id = f"n{next(self.ids)}"
        self.graph.nodes[node_id] = Node(node_id, label, kind, dict(attrs))
        self.cluster.nodes.append(node_id)
        return node_id

    def edge(self, source: str, target: str, **attrs: str) -> None:
        self.graph.edges.append(Edge(source, target, dict(attrs)))

    def define(self, var: str, **attrs: str) -> str:
        """A new version of ``var``, made current."""
        style = {**self.var_style(var), **attrs}
        styles = [s for s in (self.var_style(var).get("style"), attrs.get("style")) if s]
        if styles:
            style["style"] = ",".join(styles)
        node_id = self.node(var, "var", **style)
        self.current[var] = node_id
        return node_id

    def read(self, var: str) -> str | None:
        if var == TAPE:
            return self.tape()
        return self.current.get(var)

    def tape(self) -> str:
        if TAPE not in self.current:
            saved, self.cluster = self.cluster, self.graph.root
            self.current[TAPE] = self.node(TAPE, "tape", shape="cylinder", style="filled",
                                           fillcolor="#eeeeee")
            self.cluster = saved
        return self.current[TAPE]

    def enter(self, label: str, style: str = "rounded") -> Cluster:
        cluster = Cluster(label=_short(label), style=style)
        self.cluster.children.append(cluster)
        saved, self.cluster = self.cluster, cluster
        return saved

    # statements
    def operation(self, label: str, reads: Iterable[str], writes: Iterable[str],
                  **attrs: str) -> None:
        op = self.node(_short(label), "op", **attrs)
        for var in reads:
            source = self.read(var)
            if source is not None:
                self.edge(source, op)
        for var in writes:
            self.edge(op, self.define(var))

    def statement(self, stmt) -> None:
        if isinstance(stmt, gast.Assign):
            self.assign(stmt)
        elif isinstance(stmt, gast.AugAssign):
            target = _target_names(stmt.target)
            text = expression_source(stmt.value)
            op = _AUG_OPS.get(type(stmt.op), "?")
            self.operation(f"{target[0]} {op}= {text}" if target else text,
                           target + _loads(stmt.value, self.local), target)
        elif isinstance(stmt, (gast.For, gast.While, gast.If)):
            self.compound(stmt)
        elif isinstance(stmt, (gast.Break, gast.Continue)):
            self.node("break" if isinstance(stmt, gast.Break) else "continue", "op",
                      style="rounded,dashed")
        elif isinstance(stmt, gast.Expr):
            self.expression_statement(stmt)
        elif isinstance(stmt, gast.Assert):
            self.operation("assert " + expression_source(stmt.test),
                           _loads(stmt.test, self.local), [])
        elif isinstance(stmt, gast.Raise):
            self.operation("raise", _loads(stmt.exc, self.local) if stmt.exc else [], [])
        elif isinstance(stmt, gast.Return):
            self.returns(stmt)

    def assign(self, stmt: gast.Assign) -> None:
        targets = [n for t in stmt.targets for n in _target_names(t)]
        value = stmt.value
        if targets == [TAPE]:  # tape = []
            self.tape()
            return
        if _is_tape_call(value, "pop"):
            tape = self.tape()
            for var in targets:
                self.edge(tape, self.define(var), label="pop", style="dashed")
            return
        self.operation(expression_source(value), _loads(value, self.local), targets)

    def expression_statement(self, stmt: gast.Expr) -> None:
        value = stmt.value
        if _is_tape_call(value, "append"):
            tape = self.tape()
            for var in _loads(value, self.local):
                source = self.read(var) if var != TAPE else None
                if source is not None:
                    self.edge(source, tape, label="push", style="dashed")
            return
        self.operation(expression_source(value), _loads(value, self.local), [])

    def returns(self, stmt: gast.Return) -> None:
        value = stmt.value
        if isinstance(value, gast.Name) and value.id in self.current:
            node = self.graph.nodes[self.current[value.id]]
            node.attrs["peripheries"] = "2"
            return
        self.operation("return " + expression_source(value), _loads(value, self.local), [],
                       peripheries="2")

    def compound(self, stmt, label: str | None = None,
                 body: Callable[[list], None] | None = None) -> None:
        """A ``for``/``while`` loop or an ``if``, its statements laid out by ``body``."""
        body = body or self.block
        if isinstance(stmt, gast.If):
            self.branch(stmt, label, body)
        else:
            self.loop(stmt, label, body)

    def loop(self, stmt, label: str | None, body: Callable[[list], None]) -> None:
        """A loop as a cluster; values carried between iterations get a dashed edge back."""
        if isinstance(stmt, gast.For):
            header = f"for {expression_source(stmt.target)} in {expression_source(stmt.iter)}"
        else:
            header = f"while {expression_source(stmt.test)}"
        saved = self.enter(label or header, style="rounded,dashed")
        carried = {}
        for var in sorted(_first_reads(stmt.body, self.local) & _assigned(stmt.body)):
            before = self.current.get(var)
            carried[var] = self.define(var, style="dashed")
            if before is not None:
                self.edge(before, carried[var])
        if isinstance(stmt, gast.For):
            self.operation(expression_source(stmt.iter), _loads(stmt.iter, self.local),
                           _target_names(stmt.target))
        else:
            self.operation(expression_source(stmt.test), _loads(stmt.test, self.local), [])
        body(stmt.body)
        for var, start in carried.items():
            if self.current[var] != start:
                self.edge(self.current[var], start, style="dashed", constraint="false",
                          label="next")
        self.cluster = saved
        if stmt.orelse:
            saved = self.enter("else (after the loop)", style="rounded,dashed")
            body(stmt.orelse)
            self.cluster = saved

    def branch(self, stmt: gast.If, label: str | None,
               body: Callable[[list], None]) -> None:
        """An ``if`` as a cluster per branch; a variable either branch sets is merged after."""
        saved = self.enter(label or f"if {expression_source(stmt.test)}",
                           style="rounded,dashed")
        test = self.node(_short(expression_source(stmt.test)), "op", shape="diamond")
        for var in _loads(stmt.test, self.local):
            source = self.read(var)
            if source is not None:
                self.edge(source, test)
        before = dict(self.current)
        body(stmt.body)
        after_body = dict(self.current)
        self.current = dict(before)
        if stmt.orelse:
            self.cluster = saved
            self.enter("else", style="rounded,dashed")
            body(stmt.orelse)
        after_else = self.current
        self.cluster = saved
        merged = dict(before)
        for var in sorted(set(after_body) | set(after_else)):
            versions = {v for v in (after_body.get(var), after_else.get(var)) if v is not None}
            if len(versions) == 1:
                merged[var] = versions.pop()
                continue
            merged[var] = node = self.define(var, style="dotted")
            for version in sorted(versions):
                self.edge(version, node, style="dotted")
        self.current = merged

    def block(self, stmts) -> None:
        for stmt in stmts:
            self.statement(stmt)


_AUG_OPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.MatMult: "@",
            gast.Pow: "**"}


def _assigned(stmts) -> set[str]:
    found: set[str] = set()
    for stmt in stmts:
        for target in getattr(stmt, "targets", []):
            found.update(_target_names(target))
        if isinstance(stmt, (gast.AugAssign, gast.For)):
            found.update(_target_names(stmt.target))
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            found |= _assigned(stmt.body + stmt.orelse)
    return found


def _is_tape_call(value, method: str) -> bool:
    return (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
            and value.func.attr == method and isinstance(value.func.value, gast.Name)
            and value.func.value.id == TAPE)


def _params(fdef: gast.FunctionDef) -> list[str]:
    args = fdef.args
    return [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


# -- the normalized function ------------------------------------------------------------------

def normalized(fn: Callable, wrt: Sequence[str] | None = None) -> FrontEnd:
    """``fn`` as srcgrad differentiates it (see :func:`srcgrad.transform.front_end`): parsed,
    normalized to A-normal form, writes to shared memory resolved, fused and renamed.

    ``wrt`` (parameter names; default: the first parameter) matters to renaming, as in ``grad``.
    """
    if not wrt:
        wrt = list(inspect.signature(fn).parameters)[:1]
    return front_end(fn, wrt)


def normalized_function(fn: Callable, wrt: Sequence[str] | None = None) -> tuple[Any, Any]:
    """The ``gast.FunctionDef`` of :func:`normalized` and its
    :class:`srcgrad.passes.parse.ParsedFunction`."""
    front = normalized(fn, wrt)
    return front.fdef, front.parsed


def forward_graph(fn: Callable, wrt: Sequence[str] | None = None) -> Graph:
    """The computation graph of ``fn`` as srcgrad differentiates it (see the module docstring).

    With ``wrt`` (parameter names), the active variables are shaded; this runs srcgrad's
    activity analysis, which raises :class:`srcgrad.errors.NonDifferentiableError` where the
    gradient would flow through an operation without a rule.
    """
    front = normalized(fn, wrt)
    fdef = front.fdef
    params = _params(fdef)
    local = set(params) | _assigned(fdef.body)
    builder = _Builder(fdef.name, local)
    if wrt:
        act = front.activity
        chosen = set(front.wrt)

        def style(var: str) -> dict[str, str]:
            if var in chosen:
                return {"style": "filled", "fillcolor": _WRT_FILL}
            if act.active(var):
                return {"style": "filled", "fillcolor": _ACTIVE_FILL}
            return {}

        builder.var_style = style
    for param in params:
        builder.define(param, **({"penwidth": "2"} if wrt and param in front.wrt else {}))
    _lines(builder, fdef.body, front.parsed.source)
    return builder.graph


def _lines(builder: _Builder, stmts, source) -> None:
    """Statements in clusters, one per line of the user's code (loops nest their own)."""
    group_line = None
    outer = builder.cluster
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            builder.cluster, group_line = outer, None
            line = (facts(stmt).line or getattr(stmt, "lineno", None))
            text = _code_only(source.line(line))
            builder.compound(stmt, f"line {line}: {text}" if text else None,
                             lambda body: _lines(builder, body, source))
            continue
        line = facts(stmt).line
        if isinstance(stmt, gast.Return):
            builder.cluster = outer
            builder.statement(stmt)
            continue
        if line != group_line:
            builder.cluster = outer
            text = _code_only(source.line(line))
            if text:
                builder.enter(f"line {line}: {text}")
            group_line = line
        builder.statement(stmt)
    builder.cluster = outer


# -- the generated adjoint --------------------------------------------------------------------

def parse_generated(source: str) -> gast.FunctionDef:
    """The generated code's function, each of its comment lines a comment statement
    (:func:`srcgrad.ir.comment`) where it stands."""
    fdef = gast.parse(source).body[0]
    if not isinstance(fdef, gast.FunctionDef):
        raise SrcgradError("the generated source holds no function definition")
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    comments = [(token.start[0], token.string[1:].strip()) for token in tokens
                if token.type == tokenize.COMMENT and not token.line[:token.start[1]].strip()]
    fdef.body = _with_comments(fdef.body, comments)
    return fdef


def _with_comments(stmts: list, comments: list[tuple[int, str]]) -> list:
    """``stmts`` with the comments (line, text; in line order) placed among them by line:
    inside the loop or branch whose lines hold them."""
    out: list = []
    for stmt in stmts:
        out += [ir.comment(text) for line, text in comments if line < stmt.lineno]
        inside = [(line, text) for line, text in comments
                  if stmt.lineno <= line <= stmt.end_lineno]
        comments = [(line, text) for line, text in comments if line > stmt.end_lineno]
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            start_else = stmt.orelse[0].lineno if stmt.orelse else stmt.end_lineno + 1
            stmt.body = _with_comments(stmt.body, [c for c in inside if c[0] < start_else])
            stmt.orelse = _with_comments(stmt.orelse, [c for c in inside if c[0] >= start_else])
        out.append(stmt)
    return out + [ir.comment(text) for _, text in comments]


def adjoint_graph(source: str) -> Graph:
    """The graph of generated gradient code (the ``.source`` of ``grad`` and friends).

    Values computed by the backward pass are shaded; each ``# grad of:`` block is a cluster.
    """
    fdef = parse_generated(source)
    params = _params(fdef)
    local = set(params) | _assigned(fdef.body) | {TAPE}
    builder = _Builder(fdef.name, local)
    backward = {"on": False}

    def style(var: str) -> dict[str, str]:
        return {"style": "filled", "fillcolor": _ADJOINT_FILL} if backward["on"] else {}

    builder.var_style = style
    for param in params:
        builder.define(param)
    _adjoint_block(builder, fdef.body, backward)
    return builder.graph


def _adjoint_block(builder: _Builder, stmts, backward: dict) -> None:
    outer = builder.cluster
    for stmt in stmts:
        text = ir.comment_text(stmt)
        if text is not None:
            backward["on"] = True
            builder.cluster = outer
            builder.enter(text)
            continue
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            builder.cluster = outer
            builder.compound(stmt, body=lambda body: _adjoint_block(builder, body, backward))
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call) and \
                isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == "unit_seed":
            backward["on"] = True
        if isinstance(stmt, gast.Return):
            builder.cluster = outer
        builder.statement(stmt)
    builder.cluster = outer


# -- output -----------------------------------------------------------------------------------

def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs: dict[str, str]) -> str:
    return ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items())


def to_dot(graph: Graph) -> str:
    """The graph as Graphviz ``dot`` text."""
    lines = [f"digraph {_quote(graph.name)} {{",
             ('  graph [rankdir="TB", fontname="Helvetica", fontsize="10", '
              'labeljust="l", nodesep="0.25", ranksep="0.3"];'),
             '  node [fontname="Helvetica", fontsize="10", height="0.3"];',
             '  edge [fontname="Helvetica", fontsize="8", arrowsize="0.6"];']
    counter = itertools.count(1)

    def node_line(node: Node, indent: str) -> str:
        attrs = {"label": node.label}
        if node.kind == "op":
            attrs.update(shape="box", style="rounded", fontname="Courier")
        elif node.kind == "var":
            attrs.update(shape="ellipse")
        attrs.update(node.attrs)
        if node.kind == "op" and "filled" in node.attrs.get("style", ""):
            attrs["style"] = "rounded,filled"
        return f"{indent}{node.id} [{_attrs(attrs)}];"

    def cluster(c: Cluster, indent: str) -> None:
        for node_id in c.nodes:
            lines.append(node_line(graph.nodes[node_id], indent))
        for child in c.children:
            if not child.nodes and not child.children:
                continue
            lines.append(f"{indent}subgraph cluster_{next(counter)} {{")
            lines.append(f"{indent}  label={_quote(child.label)}; style={_quote(child.style)}; "
                         f'color="#999999"; fontname="Courier";')
            cluster(child, indent + "  ")
            lines.append(f"{indent}}}")

    cluster(graph.root, "  ")
    for edge in graph.edges:
        extra = f" [{_attrs(edge.attrs)}]" if edge.attrs else ""
        lines.append(f"  {edge.source} -> {edge.target}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_program() -> str | None:
    """The path of Graphviz's ``dot``, or None when it is not installed."""
    return shutil.which("dot")


def render(dot_text: str, path: str | Path, fmt: str | None = None) -> None:
    """Render ``dot_text`` to ``path`` with Graphviz (format from the suffix unless ``fmt``).

    Raises :class:`GraphRenderError` when ``dot`` is missing or fails.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in RENDER_FORMATS:
        raise GraphRenderError(f"cannot render to {path.name}: use a .dot, "
                               + ", ".join("." + f for f in RENDER_FORMATS) + " file")
    program = dot_program()
    if program is None:
        raise GraphRenderError("Graphviz's dot program is not installed")
    done = subprocess.run([program, f"-T{fmt}", "-o", str(path)], input=dot_text, text=True,
                          capture_output=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or "").strip().splitlines()
        raise GraphRenderError(f"dot failed to render {path}: "
                               + (message[0] if message else f"exit status {done.returncode}"))
