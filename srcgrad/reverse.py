"""The backward pass: statements walked in reverse, each primitive's rule instantiated.

Adjoints of variables used several times are summed. The pass tracks, for every adjoint, whether
it is still zero (no code has set it: the first contribution is a plain assignment), set, or
*owned* (a fresh array only the generated code can see, which may be added to in place).

Loops run backwards (``for t in reversed(range(...))``). Inside a loop, a value the backward pass
reads may be overwritten by later iterations; such values are pushed on a tape right after the
statement (or nested loop) that needs them, and popped right before its adjoint.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import gast

from .analysis import Activity, targets_of
from .codegen import COMMENT_MARKER
from .names import Namer
from .normalize import Op, atom_names, constant, name
from .parse import Source

UNSET, SET, OWNED = "unset", "set", "owned"

# Helpers whose result is a new array nobody else references.
_FRESH_HELPERS = {"unindex", "matmul_lhs_grad", "matmul_rhs_grad", "add_at"}


def comment(text: str) -> gast.Expr:
    """A statement that the code generator prints as ``# text``."""
    marker = gast.Call(func=name(COMMENT_MARKER), args=[constant(text)], keywords=[])
    return gast.Expr(value=marker)


def is_fresh(expr) -> bool:
    """Whether an adjoint expression certainly evaluates to a new array of its own."""
    if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
        return True
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name):
        if expr.func.id in _FRESH_HELPERS:
            return True
        if expr.func.id == "unbroadcast" and expr.args:
            return is_fresh(expr.args[0])
    return False


def as_value(atom):
    """An index atom as an ordinary expression: slices become ``np.s_[...]``."""
    has_slice = any(isinstance(n, gast.Slice) for n in gast.walk(atom))
    if not has_slice:
        return copy.deepcopy(atom)
    s_ = gast.Attribute(value=name("np"), attr="s_", ctx=gast.Load())
    return gast.Subscript(value=s_, slice=copy.deepcopy(atom), ctx=gast.Load())


def substitute(template, mapping: dict[str, object], raw: dict[str, object] | None = None):
    """A copy of ``template`` with each name in ``mapping`` replaced by a copy of its value.

    Where a name is itself a subscript's index (``acc[index]``), its value in ``raw`` is used
    instead: slices can stand there as written.
    """
    raw = raw or {}

    class Replace(gast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in mapping and isinstance(node.ctx, gast.Load):
                return copy.deepcopy(mapping[node.id])
            return node

        def visit_Subscript(self, node):
            if isinstance(node.slice, gast.Name) and node.slice.id in raw:
                node.value = self.visit(node.value)
                node.slice = copy.deepcopy(raw[node.slice.id])
                return node
            return self.generic_visit(node)

    return fold(Replace().visit(copy.deepcopy(template)))


def _number(node):
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def fold(tree):
    """Fold constant arithmetic left by substitution: ``x ** (2 - 1)`` becomes ``x``."""
    class Fold(gast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            left, right = _number(node.left), _number(node.right)
            if left is not None and right is not None and \
                    isinstance(node.op, (gast.Add, gast.Sub, gast.Mult)):
                value = {gast.Add: left + right, gast.Sub: left - right,
                         gast.Mult: left * right}[type(node.op)]
                return constant(value)
            if right == 1 and isinstance(node.op, (gast.Pow, gast.Mult, gast.Div)):
                return node.left
            if left == 1 and isinstance(node.op, gast.Mult):
                return node.right
            return node

    return Fold().visit(tree)


@dataclass
class Reverser:
    """Builds the backward statements of one normalized, renamed function."""

    activity: Activity
    namer: Namer
    source: Source
    primal_names: set[str]
    shapes: dict[str, object] = field(default_factory=dict)
    state: dict[str, str] = field(default_factory=dict)
    push_sets: dict[int, list[str]] = field(default_factory=dict)
    loops: list[gast.For] = field(default_factory=list)

    # -- adjoint bookkeeping ---------------------------------------------------------------
    def adjoint(self, var: str) -> gast.Name:
        return name(self.namer.adjoint(var))

    def seed(self, var: str, value) -> gast.stmt:
        self.state[var] = SET
        return assign(self.namer.adjoint(var), value)

    def accumulate(self, var: str, expr, accumulate_expr=None) -> list[gast.stmt]:
        """Statements adding ``expr`` to the adjoint of ``var``."""
        d = self.namer.adjoint(var)
        state = self.state.get(var, UNSET)
        if state == UNSET:
            self.state[var] = OWNED if is_fresh(expr) else SET
            return [assign(d, expr)]
        self.state[var] = OWNED
        if state == OWNED:
            if isinstance(accumulate_expr, gast.stmt):
                return [accumulate_expr]
            if accumulate_expr is not None:
                return [assign(d, accumulate_expr)]
            return [gast.AugAssign(target=name(d, store=True), op=gast.Add(), value=expr)]
        return [assign(d, gast.BinOp(left=name(d), op=gast.Add(), right=expr))]

    def reads_of(self, stmts) -> set[str]:
        found = set()
        for stmt in stmts:
            for node in gast.walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                        node.id in self.primal_names:
                    found.add(node.id)
        return found

    # -- statements ------------------------------------------------------------------------
    def block(self, stmts) -> tuple[list[gast.stmt], set[str]]:
        """The backward code of ``stmts`` and the primal names it reads that code outside
        must keep for it."""
        loop = self.loops[-1] if self.loops else None
        pieces = []  # (stmt, code, names to restore from the tape), in forward order
        reads_total: set[str] = set()
        for stmt in reversed(stmts):
            code, reads = self.statement(stmt)
            push: list[str] = []
            if loop is not None:
                inner = getattr(stmt, "sg_assigned", set())
                push = [v for v in sorted(reads) if v in loop.sg_assigned and v not in inner
                        and v != loop.target.id]
                reads = reads - set(push)
            reads_total |= reads
            pieces.append((stmt, code, push))
        pieces.reverse()
        _share_pushes(pieces)
        out: list[gast.stmt] = []
        last_line = None
        for stmt, code, push in reversed(pieces):
            if not code:
                continue
            line = getattr(stmt, "sg_line", None)
            if isinstance(stmt, gast.For):
                last_line = None
            elif line != last_line:
                out.append(comment("grad of: " + self.source.line(line)))
                last_line = line
            if push:
                self.push_sets[id(stmt)] = push
                out.append(pop_stmt(push))
            out.extend(code)
        return out, reads_total

    def statement(self, stmt) -> tuple[list[gast.stmt], set[str]]:
        if isinstance(stmt, gast.For):
            return self.loop(stmt)
        if not isinstance(stmt, gast.Assign):
            return [], set()
        targets = targets_of(stmt)
        if not any(t in self.activity.varied for t in targets):
            return [], set()
        if all(self.state.get(t, UNSET) == UNSET for t in targets):
            return [], set()  # every target's adjoint is zero: nothing flows back
        op: Op = stmt.sg_op
        if isinstance(stmt.targets[0], gast.Name):
            target = targets[0]
            g = self.adjoint(target)
            ans = name(target)
        else:
            g = gast.List(elts=[self.adjoint(t) if self.state.get(t, UNSET) != UNSET
                                else constant(None) for t in targets], ctx=gast.Load())
            ans = gast.Tuple(elts=[name(t) for t in targets], ctx=gast.Load())
        for t in targets:
            self.state[t] = UNSET  # consumed: what flows in later belongs to an older value
        if op.kind == "copy":
            code = self.contribute(op.bound["x"], g)
        elif op.kind == "tuple":
            code = []
            for i, element in enumerate(op.elements):
                code += self.contribute(element, gast.Subscript(value=g, slice=constant(i),
                                                                ctx=gast.Load()))
        elif op.kind == "rule":
            code = self.rule(stmt, op, g, ans)
        else:
            code = []
        return code, self.reads_of(code)

    def contribute(self, atom, expr, accumulate_expr=None) -> list[gast.stmt]:
        if isinstance(atom, gast.Name) and atom.id in self.activity.varied:
            return self.accumulate(atom.id, expr, accumulate_expr)
        return []

    def rule(self, stmt, op: Op, g, ans) -> list[gast.stmt]:
        rule = op.rule
        mapping = {"g": g, "ans": ans}
        for param, spec in rule.signature.parameters.items():
            if param in op.bound:
                mapping[param] = as_value(op.bound[param])
            elif spec.default is not spec.empty:
                mapping[param] = constant(spec.default)
        code: list[gast.stmt] = []
        for param in rule.adjoints:
            atom = op.bound.get(param)
            if atom is None or not atom_names(atom) & self.activity.varied:
                continue
            template = rule.template_for(param, op.static)
            expr = self.skip_unbroadcast(substitute(template, mapping), targets_of(stmt))
            if param in rule.sequences or isinstance(atom, (gast.Tuple, gast.List)):
                code += self.sequence(atom, expr)
                continue
            accumulate_expr = None
            if param in rule.accumulate and self.state.get(atom.id) == OWNED:
                acc = dict(mapping, acc=self.adjoint(atom.id))
                accumulate_expr = substitute(rule.template_for(param, op.static,
                                                               accumulate=True), acc,
                                             raw=op.bound)
            code += self.contribute(atom, expr, accumulate_expr)
        return code

    def skip_unbroadcast(self, expr, targets: list[str]):
        """Drop ``unbroadcast(e, x)`` where ``x`` has the statement result's shape."""
        if len(targets) != 1:
            return expr
        result = self.shapes.get(targets[0])
        if result is None:
            return expr
        shapes = self.shapes

        class Drop(gast.NodeTransformer):
            def visit_Call(self, node):
                self.generic_visit(node)
                if isinstance(node.func, gast.Name) and node.func.id == "unbroadcast" and \
                        len(node.args) == 2 and isinstance(node.args[1], gast.Name) and \
                        shapes.get(node.args[1].id) == result:
                    return node.args[0]
                return node

        return Drop().visit(expr)

    def sequence(self, atom, expr) -> list[gast.stmt]:
        """Adjoints of a sequence argument (``np.concatenate((a, b))``), given as a sequence."""
        if isinstance(atom, gast.Name):
            return self.contribute(atom, expr)
        targets, later = [], []
        seen = set()
        for element in atom.elts:
            if isinstance(element, gast.Name) and element.id in self.activity.varied:
                var = element.id
                if var not in seen and self.state.get(var, UNSET) == UNSET:
                    targets.append(name(self.namer.adjoint(var), store=True))
                    self.state[var] = SET
                else:
                    part = self.namer.numbered(self.namer.adjoint(var) + "_part")
                    targets.append(name(part, store=True))
                    later.append((var, name(part)))
                seen.add(var)
            else:
                targets.append(name("_", store=True))
        code = [gast.Assign(targets=[gast.Tuple(elts=targets, ctx=gast.Store())], value=expr,
                            type_comment=None)]
        for var, part in later:
            code += self.accumulate(var, part)
        return code

    def loop(self, stmt: gast.For) -> tuple[list[gast.stmt], set[str]]:
        before = dict(self.state)
        top = dict(before)
        zero_before: list[str] = []
        self.loops.append(stmt)
        try:
            for _ in range(8):
                self.state = dict(top)
                for inner in _walk(stmt.body):
                    self.push_sets.pop(id(inner), None)
                body, reads = self.block(stmt.body)
                end = self.state
                new_top = dict(top)
                for var in set(top) | set(end):
                    a, b = top.get(var, UNSET), end.get(var, UNSET)
                    if a == b or b == UNSET:
                        continue
                    if a == UNSET:  # zero before the loop: start from zeros we own
                        if var not in zero_before:
                            zero_before.append(var)
                        new_top[var] = OWNED
                    else:  # owned at the start, but an iteration may leave an alias
                        new_top[var] = SET
                if new_top == top:
                    break
                top = new_top
        finally:
            self.loops.pop()
        # Variables that are zero at the end of an iteration but set at its start: reset them.
        for var in sorted(v for v in top if top[v] != UNSET and end.get(v, UNSET) == UNSET):
            body.append(zeros(self.namer.adjoint(var), var))
            end[var] = OWNED
        self.state = top
        if not body:
            return [], set()
        header = gast.Call(func=name("reversed"), args=[copy.deepcopy(stmt.iter)], keywords=[])
        loop = gast.For(target=name(stmt.target.id, store=True), iter=header, body=body,
                        orelse=[], type_comment=None)
        code = [zeros(self.namer.adjoint(v), v) for v in zero_before] + [loop]
        reads = (reads - stmt.sg_assigned) | atom_names(stmt.iter)
        reads |= {v for v in zero_before}
        return code, reads


def _share_pushes(pieces) -> None:
    """Push each value once: a value pushed after two statements, and not reassigned between
    them, is pushed after the later one only (its pop then serves both adjoints)."""
    last_push: dict[str, int] = {}
    for i, (stmt, _, push) in enumerate(pieces):
        for var in targets_of(stmt) + sorted(getattr(stmt, "sg_assigned", ())):
            last_push.pop(var, None)
        for var in push:
            j = last_push.get(var)
            if j is not None:
                pieces[j][2].remove(var)
            last_push[var] = i


def _walk(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, gast.For):
            yield from _walk(stmt.body)


def assign(target: str, value) -> gast.Assign:
    return gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)


def zeros(d: str, var: str) -> gast.Assign:
    """``d = np.zeros_like(var)``: an owned, zero adjoint to accumulate into."""
    zeros_like = gast.Attribute(value=name("np"), attr="zeros_like", ctx=gast.Load())
    return assign(d, gast.Call(func=zeros_like, args=[name(var)], keywords=[]))


def tape_call(method: str, args) -> gast.Call:
    return gast.Call(func=gast.Attribute(value=name("tape"), attr=method, ctx=gast.Load()),
                     args=args, keywords=[])


def pop_stmt(names: list[str]) -> gast.Assign:
    if len(names) == 1:
        target = name(names[0], store=True)
    else:
        target = gast.Tuple(elts=[name(n, store=True) for n in names], ctx=gast.Store())
    return gast.Assign(targets=[target], value=tape_call("pop", []), type_comment=None)


def push_stmt(names: list[str]) -> gast.Expr:
    if len(names) == 1:
        value = name(names[0])
    else:
        value = gast.Tuple(elts=[name(n) for n in names], ctx=gast.Load())
    return gast.Expr(value=tape_call("append", [value]))


def with_pushes(stmts, push_sets: dict[int, list[str]]) -> list[gast.stmt]:
    """The forward statements with tape pushes after those whose values the backward reads."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.For):
            stmt.body = with_pushes(stmt.body, push_sets)
        out.append(stmt)
        if id(stmt) in push_sets:
            out.append(push_stmt(push_sets[id(stmt)]))
    return out
