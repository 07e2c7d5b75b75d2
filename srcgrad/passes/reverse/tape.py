"""What the forward code keeps for the backward pass, and the forward code that keeps it.

Inside a loop or an if, a value the backward code of a statement reads may be overwritten
before it runs: it is pushed on a tape right after the statement, and popped right before the
statement's adjoint. The plan pushes as little as it can: a value once for every statement
that reads it, one tuple for a run of statements, a shape (``x_shape``) or a length (``x_len``)
where only that is read, nothing where the value can be computed again or read again in the
backward loop. Writes into arrays (``x[i] = v``) tape the values they overwrite.

The plan is kept on the statements (``ir.facts(stmt).pushes``, ``.saves_slot``) and in a
:class:`TapePlan` (the shapes and lengths taped); :func:`with_pushes` writes it into the
forward code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import gast
import numpy as np

from ... import ir
from ...ir import facts, name, targets_of
from ...names import Namer
from ..shapes import SCALAR, Shape
from .instantiate import arguments, constant_tuple, declared, shape_query_call


@dataclass
class Piece:
    """One statement of a block with its backward code and what is pushed after it."""

    stmt: gast.stmt
    code: list
    push: list[str]


@dataclass
class TapePlan:
    """The tape of one gradient function: what is pushed and popped, and the names of the
    shapes and lengths taped in place of values."""

    namer: Namer
    shapes: dict[str, Shape] = field(default_factory=dict)
    containers: set[str] = field(default_factory=set)
    tape: str = "tape"  # the name generated code uses for the tape
    shape_name: dict[str, str] = field(default_factory=dict)  # x -> x_shape, taped for x
    shape_of: dict[str, str] = field(default_factory=dict)  # x_shape (or x_len) -> x
    lengths: set[str] = field(default_factory=set)  # the x_len among them: len(x) is taped

    # -- what is pushed --------------------------------------------------------------------
    def pushes_after(self, stmt, code: list, reads: set[str],
                     scopes: list) -> tuple[list, list[str], set[str]]:
        """What must be pushed after ``stmt``, whose backward ``code`` reads ``reads``, inside
        ``scopes`` (the loops and ifs around it): the values the innermost scope assigns.
        Returns the code (reading taped shapes where it needs only those), the pushes, and
        the reads left for the code outside the scope."""
        if not scopes:
            return code, [], reads
        scope = scopes[-1]
        loop_target = scope.target.id if isinstance(scope, gast.For) else None
        # what a nested scope assigns it keeps for itself, but its header (a loop's range,
        # its trip count) is read outside it
        inner: set[str] = facts(stmt).assigned - facts(stmt).header
        push = [v for v in sorted(reads) if v in facts(scope).assigned and v not in inner
                and v != loop_target]
        reads = reads - set(push)
        if push and not runs_once(scopes):  # (a loop's header may read a list's length)
            code, push = self.shapes_only(code, push, lengths_only=isinstance(stmt, ir.SCOPES))
        return code, push, reads

    def arrange(self, pieces: list[Piece], scopes: list, assigned_later: set[str]) -> set[str]:
        """Push each value once, group pushes into tuples and, in a loop, compute or read
        values again instead of taping them (:meth:`recompute_from_operands`). Returns the
        names the backward code then reads from outside the block."""
        share_pushes(pieces, runs_once(scopes), self.shape_of, assigned_later)
        group_pushes(pieces, self.shape_of)
        if scopes and isinstance(scopes[-1], (gast.For, gast.While)):
            return self.recompute_from_operands(pieces, scopes)
        return set()

    def shapes_only(self, code, push: list[str],
                    lengths_only: bool = False) -> tuple[list, list[str]]:
        """Tape a value's shape, not the value, where the adjoint reads only its shape
        (``unbroadcast(g, x)``, ``np.shape(x)``): the code then reads ``x_shape``; and a list's
        length where only that is read (``len(x)``, the adjoint of ``x.append(v)``): ``x_len``.
        With ``lengths_only`` (the code of a loop or if), only lengths, of lists it never
        assigns."""
        total: dict[str, int] = {}
        stored: set[str] = set()
        shape_uses: dict[str, int] = {}
        len_uses: dict[str, int] = {}
        for stmt in code:
            for node in ir.walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                    total[node.id] = total.get(node.id, 0) + 1
                elif isinstance(node, gast.Name):
                    stored.add(node.id)
                var = _shape_use(node)
                if var is not None:
                    shape_uses[var] = shape_uses.get(var, 0) + 1
                var = _len_use(node)
                if var is not None:
                    len_uses[var] = len_uses.get(var, 0) + 1
        only = {v for v in push if shape_uses.get(v) and shape_uses[v] == total.get(v)
                and not lengths_only}
        only_len = {v for v in push if len_uses.get(v) and len_uses[v] == total.get(v)
                    and v not in stored}
        if not only and not only_len:
            return code, push
        names, known = {}, {}
        for var in only_len:
            names[var] = self.shape_name.get(var) or self.namer.fresh(var + "_len")
            self.shape_name[var] = names[var]
            self.shape_of[names[var]] = var
            self.lengths.add(names[var])
        for var in only:
            token = self.shapes.get(var)
            if token is SCALAR or isinstance(token, tuple):  # known without taping anything
                known[var] = constant_tuple(() if token is SCALAR else cast(tuple, token))
                continue
            names[var] = self.shape_name.get(var) or self.namer.fresh(var + "_shape")
            self.shape_name[var] = names[var]
            self.shape_of[names[var]] = var

        def shape_of(var):
            return ir.clone(known[var]) if var in known else name(names[var])

        class Rewrite(gast.NodeTransformer):
            def visit_Call(self, node):
                self.generic_visit(node)
                if _len_use(node) in only_len:  # len(x)
                    return name(names[_len_use(node)])
                var = _shape_use(node)
                if var not in only:
                    return node
                helper = declared(node)
                if helper is not None:  # unbroadcast(g, x): unbroadcast_to(g, x_shape)
                    param, other = helper.shape_only
                    given = [shape_of(var) if p == param else v
                             for p, v in arguments(node).items()]
                    return gast.Call(func=name(other), args=given, keywords=[])
                return shape_of(var)  # np.shape(x)

        code = [Rewrite().visit(stmt) for stmt in code]
        return code, [names.get(v, v) for v in push if v not in known]

    def recompute_from_operands(self, pieces: list[Piece], scopes: list) -> set[str]:
        """Compute again in the backward loop, rather than tape, two kinds of values; returns
        the names that code reads from outside the loop.

        - ``t = np.tanh(c)``, an elementwise function of a value the loop carries from step to
          step (read before the body assigns it, once, before ``t``): ``c`` is taped instead,
          and computed again after the pop. ``c`` keeps its value to the step's end, and its
          array is on the tape already (as the next step's ``c``) or alive anyway, so the tape
          holds one array fewer per step, for one operation more. ``t`` itself must not be
          carried: where its previous step's value is taped, ``c`` may already hold this
          step's.
        - ``x_t = xs[t]``, an item of an array no loop around changes, at an index of the loop
          counter and such values: read again (a view, no copy) instead of taped.
        """
        loop = scopes[-1]
        count: dict[str, int] = {}
        for stmt in ir.walk_statements(loop.body):
            for target in targets_of(stmt):
                count[target] = count.get(target, 0) + 1
        again: dict[str, tuple] = {}
        reread: dict[str, object] = {}  # x_t -> xs[t]
        # the counter, the same in the backward loop (unless the body assigns it)
        outer = {loop.target.id} if isinstance(loop, gast.For) and \
            loop.target.id not in count else set()
        changing = set().union(*(facts(s).assigned for s in scopes))
        defined: set[str] = set()
        carried: set[str] = set()  # read before this statement, assigned at it or later
        read_before: set[str] = set()
        for piece in pieces:
            stmt = piece.stmt
            carried |= read_before & set(targets_of(stmt))
            read_before |= ir.reads_in([stmt]) - defined
            defined |= set(targets_of(stmt))
            op = facts(stmt).op
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and op is not None and op.kind == "rule" and op.rule is not None):
                continue
            target = stmt.targets[0].id
            if count.get(target) != 1 or target in read_before or target in self.shape_of:
                continue  # assigned more than once, or carried: its taped value is needed
            names = [a.id for a in op.bound.values() if isinstance(a, gast.Name)]
            others = [a for a in op.bound.values() if not isinstance(a, gast.Name)]
            if op.rule.elementwise and op.rule.pure and len(names) == 1 and \
                    all(isinstance(a, gast.Constant) for a in others) and \
                    names[0] in carried and count.get(names[0]) == 1 and \
                    not {target, names[0]} & (self.containers | set(self.shape_of)):
                again[target] = (names[0], stmt.value)
            elif op.rule.selects and op.static.get("basic_index") is True and \
                    outer and isinstance(op.bound["x"], gast.Name) and \
                    not ir.atom_names(stmt.value) & (changing - outer):
                reread[target] = stmt.value
        reads: set[str] = set()
        for piece in pieces:
            push = piece.push
            found = [v for v in push if v in again]
            for var in found:
                operand = again[var][0]
                push.remove(var)
                if operand not in push:
                    push.append(operand)
            items = [v for v in push if v in reread]
            for var in items:
                push.remove(var)
                reads |= ir.atom_names(reread[var]) - outer
            piece.code[:0] = [assign(var, ir.clone(again[var][1])) for var in found] + \
                [assign(var, ir.clone(reread[var])) for var in items]
        return reads

    # -- the plan kept on the statements ---------------------------------------------------
    def record(self, stmt, push: list[str]) -> gast.Assign:
        """Push ``push`` after ``stmt``; returns the pop that comes before its adjoint."""
        facts(stmt).pushes = push
        return self.pop_stmt(push)

    def forget(self, stmts) -> None:
        """Drop the pushes planned inside ``stmts`` (a loop's body planned again)."""
        for stmt in ir.walk_statements(stmts):
            facts(stmt).pushes = []

    def save_slot(self, stmt) -> gast.Assign:
        """Tape the values the write ``stmt`` (``x[index] = v``) overwrites; returns the
        statement putting them back, for after its adjoint."""
        facts(stmt).saves_slot = True
        restore = gast.Assign(targets=[ir.clone(stmt.targets[0])],
                              value=tape_call(self.tape, "pop", []), type_comment=None)
        facts(restore).pop = True
        return restore

    # -- tape code -------------------------------------------------------------------------
    def pop_stmt(self, names: list[str]) -> gast.Assign:
        if len(names) == 1:
            target = name(names[0], store=True)
        else:
            target = gast.Tuple(elts=[name(n, store=True) for n in names], ctx=gast.Store())
        stmt = gast.Assign(targets=[target], value=tape_call(self.tape, "pop", []),
                           type_comment=None)
        facts(stmt).pop = True  # reading the tape: never dead code
        return stmt

    def push_stmt(self, names: list[str]) -> gast.Expr:
        def value_of(entry):
            if entry in self.lengths:  # x_len: push len(x)
                return shape_query_call("len", self.shape_of[entry])
            if entry in self.shape_of:  # x_shape: push np.shape(x)
                return shape_query_call("shape", self.shape_of[entry])
            return name(entry)

        if len(names) == 1:
            value = value_of(names[0])
        else:
            value = gast.Tuple(elts=[value_of(n) for n in names], ctx=gast.Load())
        return gast.Expr(value=tape_call(self.tape, "append", [value]))


def runs_once(scopes: list) -> bool:
    """Whether code inside ``scopes`` runs at most once: no loop is among them. Its values
    stay until the backward pass reads them, unless a later statement overwrites them."""
    return not any(isinstance(s, (gast.For, gast.While)) for s in scopes)


def uses_tape(stmts) -> bool:
    """Whether the plan pushes anything in ``stmts`` (the function then makes a tape)."""
    return any(facts(s).pushes or facts(s).saves_slot for s in ir.walk_statements(stmts))


def _len_use(node) -> str | None:
    """The variable whose length alone ``node`` reads: ``len(x)``."""
    query = ir.shape_query(node)
    return query[1] if query is not None and query[0] == "len" else None


def _shape_use(node) -> str | None:
    """The variable whose shape alone ``node`` reads: ``unbroadcast(g, x)``, ``np.shape(x)``."""
    helper = declared(node)
    if helper is not None and helper.shape_only is not None:
        atom = arguments(node).get(helper.shape_only[0])
        return atom.id if isinstance(atom, gast.Name) else None
    query = ir.shape_query(node)
    return query[1] if query is not None and query[0] == "shape" else None


def group_pushes(pieces: list[Piece], shape_of: dict[str, str]) -> None:
    """One push for a run of statements: values pushed after a statement move to the push
    after the next ones, until a statement reassigns one of them or a loop or an if starts
    (whose own pushes come in between). One tuple on the tape instead of several."""
    group: list[str] = []
    end = None

    def flush():
        if end is not None and group:
            pieces[end].push[:] = list(group)
        group.clear()

    for i, piece in enumerate(pieces):
        stmt, push = piece.stmt, piece.push
        changed = set(targets_of(stmt)) | set(facts(stmt).assigned)
        if isinstance(stmt, ir.SCOPES) or any(shape_of.get(v, v) in changed for v in group):
            flush()
            end = None
        if isinstance(stmt, ir.SCOPES):
            continue
        if push:
            group.extend(v for v in push if v not in group)
            push.clear()
            end = i
    flush()


def share_pushes(pieces: list[Piece], once: bool, shape_of: dict[str, str],
                 assigned_later: set[str]) -> None:
    """Push each value once: a value pushed after two statements, and not reassigned between
    them, is pushed after the later one only (its pop then serves both adjoints). In a block
    that runs at most once, a value nothing reassigns later (in it, or after the ifs around
    it: ``assigned_later``) needs no push at all."""
    last_push: dict[str, int] = {}
    for i, piece in enumerate(pieces):
        changed = set(targets_of(piece.stmt)) | set(facts(piece.stmt).assigned)
        for entry in list(last_push):
            if shape_of.get(entry, entry) in changed:
                last_push.pop(entry)
        for var in piece.push:
            j = last_push.get(var)
            if j is not None:
                pieces[j].push.remove(var)
            last_push[var] = i
    if once:
        for var, i in last_push.items():
            if shape_of.get(var, var) not in assigned_later:
                pieces[i].push.remove(var)


def assign(target: str, value) -> gast.Assign:
    return gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)


def tape_call(tape: str, method: str, args) -> gast.Call:
    return gast.Call(func=gast.Attribute(value=name(tape), attr=method, ctx=gast.Load()),
                     args=args, keywords=[])


def with_pushes(stmts, plan: TapePlan, before_break: tuple = ()) -> list[gast.stmt]:
    """The forward statements with tape pushes after those whose values the backward reads.

    A ``break`` skips the pushes that follow the ifs around it, so ``before_break`` holds
    those ifs (innermost first) and their pushes are made just before the break.
    """
    out: list[gast.stmt] = []
    for stmt in stmts:
        if isinstance(stmt, gast.Break):
            out.extend(plan.push_stmt(facts(scope).pushes) for scope in before_break)
        elif isinstance(stmt, gast.If):
            inner = ((stmt,) if facts(stmt).pushes else ()) + tuple(before_break)
            stmt.body = with_pushes(stmt.body, plan, inner)
            stmt.orelse = with_pushes(stmt.orelse, plan, inner)
        elif isinstance(stmt, (gast.For, gast.While)):
            stmt.body = with_pushes(stmt.body, plan)
        elif facts(stmt).saves_slot:  # keep what the write destroys
            target = stmt.targets[0]
            old = gast.Subscript(value=name(target.value.id), slice=ir.clone(target.slice),
                                 ctx=gast.Load())
            copied = ir.call(np.copy, old)
            out.append(gast.Expr(value=tape_call(plan.tape, "append", [copied])))
        out.append(stmt)
        if facts(stmt).pushes:
            out.append(plan.push_stmt(facts(stmt).pushes))
    return out
