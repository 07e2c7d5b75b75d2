"""The statements walked in reverse, each primitive's rule instantiated, adjoints summed.

The walk tracks, for every adjoint, whether it is still zero (no code has set it: the first
contribution is a plain assignment), set, or *owned* (a fresh array only the generated code can
see, which may be added to in place).

Loops run backwards (``for t in reversed(range(...))``). What the backward code of a statement
reads from the forward pass is planned by :mod:`.tape`; the adjoint expressions come from the
rules through :mod:`.instantiate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast
import numpy as np

from ... import ir, runtime
from ...errors import NonDifferentiableError, UnsupportedSyntaxError
from ...ir import Op, Source, atom_names, constant, facts, name, op_of, targets_of
from ...names import Namer
from ...rules import registry
from ..analysis import Activity, value_names
from ..shapes import SCALAR, Shape
from .instantiate import as_value, differentiated, instance, is_fresh, scale_in_place
from .tape import Piece, TapePlan, assign

# What an adjoint holds: nothing yet (zero), zero or a value (None stands for zero), a value,
# or a fresh array that only the generated code can see (so it may be added to in place).
UNSET, MAYBE, SET, OWNED = "unset", "maybe", "set", "owned"


def comment(text: str) -> ir.Comment:
    """A statement that the code generator prints as ``# text``."""
    return ir.comment(text)


@dataclass
class Reverser:
    """Builds the backward statements of one normalized, renamed function."""

    activity: Activity
    namer: Namer
    source: Source
    primal_names: set[str]
    shapes: dict[str, Shape] = field(default_factory=dict)
    containers: set[str] = field(default_factory=set)
    state: dict[str, str] = field(default_factory=dict)
    later: list = field(default_factory=list)  # per enclosing block: what is assigned after
    g_owned: bool = False  # whether the adjoint being consumed is an array only we hold
    tape: str = "tape"  # the names generated code uses for the tape and for ignored values
    unused: str = "_"
    scopes: list = field(default_factory=list)  # the loops and ifs around the statement
    plan: TapePlan = field(init=False)  # what the forward code keeps for this walk

    def __post_init__(self) -> None:
        self.plan = TapePlan(self.namer, self.shapes, self.containers, self.tape)

    # -- adjoint bookkeeping ---------------------------------------------------------------
    def adjoint(self, var: str) -> gast.Name:
        return name(self.namer.adjoint(var))

    def seed(self, var: str, value) -> gast.stmt:
        self.state[var] = SET
        return assign(self.namer.adjoint(var), value)

    def accumulate(self, var: str, expr, accumulate_expr=None,
                   nullable: bool = False) -> list[gast.stmt]:
        """Statements adding ``expr`` to the adjoint of ``var``. A ``nullable`` expression
        may be None (zero); lists and dicts of adjoints are summed with ``add_grads``."""
        d = self.namer.adjoint(var)
        state = self.state.get(var, UNSET)
        if nullable or var in self.containers:
            if state == UNSET:
                self.state[var] = MAYBE if nullable else SET
                return [assign(d, expr)]
            self.state[var] = MAYBE if nullable and state == MAYBE else SET
            return [assign(d, ir.call(runtime.add_grads, name(d), expr))]
        if state == UNSET:
            self.state[var] = OWNED if is_fresh(expr) else SET
            return [assign(d, expr)]
        if state == MAYBE:  # dx = e if dx is None else dx + e
            self.state[var] = SET
            total = gast.BinOp(left=name(d), op=gast.Add(), right=expr)
            return [assign(d, gast.IfExp(test=is_none(d), body=expr, orelse=total))]
        self.state[var] = OWNED
        op: gast.operator = gast.Add()
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
            op, expr = gast.Sub(), expr.operand  # dx - e, not dx + -e
        if state == OWNED:
            if isinstance(accumulate_expr, gast.stmt):
                return [accumulate_expr]
            if accumulate_expr is not None:
                return [assign(d, accumulate_expr)]
            return [gast.AugAssign(target=name(d, store=True), op=op, value=expr)]
        return [assign(d, gast.BinOp(left=name(d), op=op, right=expr))]

    def reads_of(self, stmts) -> set[str]:
        found = set()
        for stmt in stmts:
            for node in ir.walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                        node.id in self.primal_names:
                    found.add(node.id)
        return found

    # -- statements ------------------------------------------------------------------------
    def block(self, stmts) -> tuple[list[gast.stmt], set[str]]:
        """The backward code of ``stmts`` and the primal names it reads that code outside
        must keep for it."""
        pieces: list[Piece] = []  # in forward order
        reads_total: set[str] = set()
        after: set[str] = set()  # what the statements after this one assign
        for stmt in reversed(stmts):
            self.later.append(after)
            try:
                code, reads = self.statement(stmt)
            finally:
                self.later.pop()
            after |= set(targets_of(stmt)) | facts(stmt).assigned  # in place:
            # only the statement just done read it (through self.later), and a copy is quadratic
            code, push, reads = self.plan.pushes_after(stmt, code, reads, self.scopes)
            reads_total |= reads
            pieces.append(Piece(stmt, code, push))
        pieces.reverse()
        reads_total |= self.plan.arrange(pieces, self.scopes, set().union(*self.later))
        out: list[gast.stmt] = []
        last_line = None
        for piece in reversed(pieces):
            stmt, code, push = piece.stmt, piece.code, piece.push
            if not code:
                continue
            line = facts(stmt).line
            if isinstance(stmt, ir.SCOPES):
                last_line = None
            elif line != last_line:
                source = (facts(stmt).source or self.source)
                helper = facts(stmt).helper
                where = f"  (in {helper})" if helper else ""
                out.append(comment("grad of: " + source.line(line) + where))
                last_line = line
            if push:
                out.append(self.plan.record(stmt, push))  # pop names or shapes
            out.extend(code)
        return out, reads_total

    def zero_state(self, var: str, loop) -> str:
        """How the adjoint of ``var`` starts from zero before ``loop`` runs backwards: as zeros
        shaped like ``var`` (owned) when ``var`` keeps its value through the loop, ``0.0`` for
        a scalar, else ``None`` (a value the loop changes may change shape as well)."""
        if self.shapes.get(var) is SCALAR:
            return SET
        if var in self.containers or var in facts(loop).assigned or \
                var not in facts(loop).sure:
            return MAYBE  # (a variable some paths never set has no shape to copy either)
        return OWNED

    def zero(self, var: str, loop) -> gast.Assign:
        """The statement starting the adjoint of ``var`` from zero before ``loop``."""
        state = self.zero_state(var, loop)
        if state == SET:
            return assign(self.namer.adjoint(var), constant(0.0))
        if state == MAYBE:
            return assign(self.namer.adjoint(var), constant(None))
        return zeros(self.namer.adjoint(var), var)

    def statement(self, stmt) -> tuple[list[gast.stmt], set[str]]:
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        if isinstance(stmt, gast.If):
            return self.branch(stmt)
        if ir.is_write(stmt):
            return self.write(stmt)
        if not isinstance(stmt, gast.Assign):
            return [], set()
        targets = targets_of(stmt)
        if not any(t in self.activity.varied for t in targets):
            return [], set()
        if all(self.state.get(t, UNSET) == UNSET for t in targets):
            return [], set()  # every target's adjoint is zero: nothing flows back
        op = op_of(stmt)
        if isinstance(stmt.targets[0], gast.Name):
            target = targets[0]
            g = self.adjoint(target)
            ans = name(target)
        else:
            g = gast.List(elts=[self.adjoint(t) if self.state.get(t, UNSET) != UNSET
                                else constant(None) for t in targets], ctx=gast.Load())
            ans = gast.Tuple(elts=[name(t) for t in targets], ctx=gast.Load())
        maybe = [t for t in targets if self.state.get(t) == MAYBE]
        self.g_owned = len(targets) == 1 and self.state.get(targets[0]) == OWNED
        for t in targets:
            self.state[t] = UNSET  # consumed: what flows in later belongs to an older value
        if maybe and op.kind == "copy":  # a copy passes None (zero) along as it is
            code = self.contribute(op.bound["x"], g, nullable=True)
            return code, self.reads_of(code)
        if maybe and len(targets) == 1:  # the adjoint may be None (zero): skip the block then
            before = dict(self.state)
            code, reads = self.adjoint_code(stmt, op, g, ans)
            d = self.namer.adjoint(maybe[0])
            guard = gast.If(test=gast.Compare(left=name(d), ops=[gast.IsNot()],
                                              comparators=[constant(None)]),
                            body=code, orelse=[])
            return [guard] + self.join_states(before, guard), reads
        return self.adjoint_code(stmt, op, g, ans)

    def write(self, stmt) -> tuple[list[gast.stmt], set[str]]:
        """``x[index] = value`` backwards: the slot's adjoint goes to ``value`` and is zeroed
        (the values the write destroyed reached nothing after it), then the destroyed values,
        saved on the tape, are put back."""
        target = stmt.targets[0]
        var = target.value.id
        if var not in self.activity.varied:
            if var in self.containers:
                return [], set()
            # A constant array: no adjoint flows, but the backward code of the statements
            # before may read what the write destroyed (c = np.ones(3); y = x * c;
            # c[0] = 5.0): put it back, as for any write. (Every write the forward code makes
            # is then undone, in reverse order, before the backward code of what came before
            # it runs: an array on the tape is popped as it was pushed.)
            restore = [self.plan.save_slot(stmt)]
            return restore, self.reads_of(restore)
        if var in self.containers:
            raise (facts(stmt).source or self.source).error(
                UnsupportedSyntaxError, stmt, f"assigning into an element of the list or dict "
                f"{var} cannot be differentiated", f"build a new one: {var} = {var}[:i] + [v] + "
                f"{var}[i + 1:] for a list")
        d = self.namer.adjoint(var)
        index = ir.clone(target.slice)
        code: list[gast.stmt] = []
        state = self.state.get(var, UNSET)
        if state != UNSET:
            if state == SET:  # we are about to change it in place: make it ours
                code.append(assign(d, ir.call(np.array, name(d))))
                self.state[var] = OWNED
            slot = ir.call(runtime.pop_slot, name(d), as_value(index), name(var))
            value = stmt.value
            part = ir.call(runtime.unbroadcast, slot, ir.clone(value))
            before = dict(self.state)
            # the slot's adjoint is taken out (zeroed) whether or not it flows on to value; a
            # list or tuple written (y[t] = [q, p], made an array by NumPy): row by row
            contribution = (self.sequence(value, part) if isinstance(value, (gast.Tuple,
                                                                             gast.List))
                            else self.contribute(value, part)) or [gast.Expr(value=slot)]
            if state == MAYBE:  # what the guarded code sets may then still be zero (None)
                guard = gast.If(test=gast.Compare(left=name(d), ops=[gast.IsNot()],
                                                  comparators=[constant(None)]),
                                body=contribution, orelse=[])
                code.append(guard)
                code.extend(self.join_states(before, guard))
            else:
                code.extend(contribution)
        code.append(self.plan.save_slot(stmt))
        return code, self.reads_of(code)

    def join_states(self, skipped: dict, guard: gast.If) -> list[gast.stmt]:
        """After code that may not have run (``guard``): adjoints it set from zero may still
        be zero. Sets their state to MAYBE and adds ``else: dx = None`` to the guard."""
        for var, state in list(self.state.items()):
            old = skipped.get(var, UNSET)
            if state == old:
                continue
            if old == UNSET:
                guard.orelse.append(assign(self.namer.adjoint(var), constant(None)))
                self.state[var] = MAYBE
            elif MAYBE in (old, state):
                self.state[var] = MAYBE
            else:
                self.state[var] = OWNED if old == state == OWNED else SET
        return []

    def adjoint_code(self, stmt, op: Op, g, ans) -> tuple[list[gast.stmt], set[str]]:
        if op.kind == "copy":
            code = self.contribute(op.bound["x"], g)
        elif op.kind == "tuple":  # a list's adjoint holds None where an element's is zero
            code = []
            for i, element in enumerate(op.elements):
                code += self.contribute_item(element, gast.Subscript(
                    value=g, slice=constant(i), ctx=gast.Load()))
        elif op.kind == "dict":
            code = []
            for key, element in zip(op.static["keys"], op.elements):
                part = gast.Call(func=gast.Attribute(value=g, attr="get", ctx=gast.Load()),
                                 args=[constant(key)], keywords=[])
                code += self.contribute_item(element, part)
        elif op.kind == "rule":
            code = self.rule(stmt, self.as_concatenation(op), g, ans)
        else:
            code = []
        return code, self.reads_of(code)

    def as_concatenation(self, op: Op) -> Op:
        """``xs + [h]`` where both operands are lists (tuples): a concatenation, whose adjoint
        is cut in two, not an elementwise sum."""
        assert op.rule is not None
        concatenation = registry.concatenation(op.rule, op.bound, self.is_container)
        if concatenation is None:
            return op
        return Op("rule", concatenation, bound=op.bound, static={})

    def is_container(self, atom) -> bool:
        return isinstance(atom, (gast.List, gast.Tuple)) or \
            isinstance(atom, gast.Name) and atom.id in self.containers

    def contribute_item(self, atom, expr) -> list[gast.stmt]:
        """The adjoint ``expr`` (maybe None) of an item of a tuple or list: to a name, or to
        each item of a tuple written out inside it (``(("a", x), ("b", y))``)."""
        if not isinstance(atom, (gast.Tuple, gast.List)):
            return self.contribute(atom, expr, nullable=True)
        code = []
        for j, element in enumerate(atom.elts):
            part = ir.call(runtime.item_grad, ir.clone(expr), constant(j))
            code += self.contribute_item(element, part)
        return code

    def contribute(self, atom, expr, accumulate_expr=None,
                   nullable: bool = False) -> list[gast.stmt]:
        if isinstance(atom, gast.Name) and atom.id in self.activity.varied:
            return self.accumulate(atom.id, expr, accumulate_expr, nullable)
        return []

    def rule(self, stmt, op: Op, g, ans) -> list[gast.stmt]:
        rule = op.rule
        assert rule is not None
        call = instance(stmt, op, self.source, self.shapes, g=g, ans=ans)
        code: list[gast.stmt] = []
        for param, atom in op.bound.items():  # a gradient that no template carries: refused
            if param not in rule.adjoints and param not in rule.no_gradient and \
                    value_names(atom) & self.activity.varied:
                raise (facts(stmt).source or self.source).error(
                    NonDifferentiableError, stmt, f"{rule.name} has no gradient rule for its "
                    f"parameter {param!r}, and the value passed to it depends on the "
                    "arguments being differentiated",
                    f"pass a constant as {param!r}, or register a rule that differentiates it "
                    "(srcgrad.defvjp)")
        flowing = differentiated(op, self.activity.varied)
        for param in flowing:
            atom = op.bound[param]
            expr = call.adjoint(param)
            if expr is None:  # no gradient for these static arguments
                continue
            if rule.elementwise and len(flowing) == 1 and self.g_owned and \
                    isinstance(atom, gast.Name) and atom.id not in self.containers:
                expr, scaled = scale_in_place(expr, g)
                code += scaled
            if param in rule.sequences or isinstance(atom, (gast.Tuple, gast.List)):
                if any(isinstance(e, gast.Slice) and atom_names(e) & self.activity.varied
                       for e in getattr(atom, "elts", [atom])):
                    raise self.source.error(
                        NonDifferentiableError, stmt, f"{rule.name}[...] with a slice whose "
                        "bounds depend on a value being differentiated has no gradient rule",
                        "make the values with np.linspace or np.arange outside the subscript")
                code += self.sequence(atom, expr, nullable=rule.sparse)
                continue
            accumulate_expr = None
            if param in rule.accumulate and self.state.get(atom.id) == OWNED and \
                    atom.id not in self.containers:
                accumulate_expr = call.accumulate(param, self.adjoint(atom.id))
            code += self.contribute(atom, expr, accumulate_expr)
        return code

    def sequence(self, atom, expr, nullable: bool = False) -> list[gast.stmt]:
        """Adjoints of a sequence argument (``np.concatenate((a, b))``), given as a sequence."""
        if isinstance(atom, gast.Name):
            return self.contribute(atom, expr)
        targets, later, nested = [], [], []
        seen = set()
        for element in atom.elts:
            if isinstance(element, gast.Name) and element.id in self.activity.varied:
                var = element.id
                if var not in seen and self.state.get(var, UNSET) == UNSET and \
                        var not in self.containers:
                    targets.append(name(self.namer.adjoint(var), store=True))
                    self.state[var] = MAYBE if nullable else SET
                else:
                    part = self.namer.numbered(self.namer.adjoint(var) + "_part")
                    targets.append(name(part, store=True))
                    later.append((var, name(part)))
                seen.add(var)
            elif isinstance(element, (gast.Tuple, gast.List)) and \
                    atom_names(element) & self.activity.varied:  # nested: [[x, y], [z, w]]
                part = self.namer.numbered("d_row")
                targets.append(name(part, store=True))
                nested.append((element, name(part)))
            else:
                targets.append(name(self.unused, store=True))
        target = gast.Tuple(elts=targets, ctx=gast.Store())
        if isinstance(expr, gast.Tuple) and len(expr.elts) == len(targets):
            # the adjoints written out one by one: compute only those that are wanted
            kept = [(t, e) for t, e in zip(targets, expr.elts) if t.id != self.unused]
            if len(kept) == 1:
                target, expr = kept[0]
            else:
                target = gast.Tuple(elts=[t for t, _ in kept], ctx=gast.Store())
                expr = gast.Tuple(elts=[e for _, e in kept], ctx=gast.Load())
        code = [gast.Assign(targets=[target], value=expr, type_comment=None)]
        for var, part in later:
            code += self.accumulate(var, part, nullable=nullable)
        for element, part in nested:
            if nullable:  # a row's adjoint may be None (zero): its items are then None too
                part = gast.Tuple(elts=[ir.call(runtime.item_grad, ir.clone(part), constant(i))
                                        for i in range(len(element.elts))], ctx=gast.Load())
            code += self.sequence(element, part, nullable=nullable)
        return code

    def loop(self, stmt) -> tuple[list[gast.stmt], set[str]]:
        """A loop backwards: ``for t in reversed(range(...))``, or ``for _ in range(steps)``
        for a while loop (``steps`` counts the iterations that started)."""
        before = dict(self.state)
        top = dict(before)
        zero_before: list[str] = []
        self.scopes.append(stmt)
        try:
            for _ in range(8):
                self.state = dict(top)
                self.plan.forget(stmt.body)
                body, reads = self.block(stmt.body)
                end = self.state
                new_top = dict(top)
                for var in sorted(set(top) | set(end)):
                    a, b = top.get(var, UNSET), end.get(var, UNSET)
                    if b == UNSET and a not in (UNSET, MAYBE):
                        new_top[var] = MAYBE  # reset to None at the end of each iteration
                        continue
                    if a == b or b == UNSET:
                        continue
                    if a == UNSET:  # zero before the loop: start from zeros we own
                        if var not in zero_before:
                            zero_before.append(var)
                        new_top[var] = self.zero_state(var, stmt)
                    elif MAYBE in (a, b):
                        new_top[var] = MAYBE
                    else:  # owned at the start, but an iteration may leave an alias
                        new_top[var] = SET
                if new_top == top:
                    break
                top = new_top
        finally:
            self.scopes.pop()
        # Variables that are zero at the end of an iteration but set at its start: reset them.
        for var in sorted(v for v in top if top[v] != UNSET and end.get(v, UNSET) == UNSET):
            body.append(assign(self.namer.adjoint(var), constant(None)))
        self.state = top
        if not body:
            return [], set()
        steps = facts(stmt).count
        if isinstance(stmt, gast.While):
            assert steps is not None  # (the forward loop counts its trips)
            target = name(self.unused, store=True)
            header = ir.call(range, name(steps))
            header_reads = {steps}
        else:
            target = name(stmt.target.id, store=True)
            iterations = ir.clone(stmt.iter)
            if steps is not None:  # a loop with break: only the iterations that started
                iterations = gast.Subscript(value=iterations, slice=gast.Slice(
                    lower=None, upper=name(steps), step=None), ctx=gast.Load())
            header = ir.call(reversed, iterations)
            header_reads = atom_names(stmt.iter) | ({steps} if steps else set())
        facts(stmt).header = header_reads
        loop = gast.For(target=target, iter=header, body=body, orelse=[], type_comment=None)
        code = [self.zero(v, stmt) for v in zero_before] + [loop]
        reads = (reads - facts(stmt).assigned) | header_reads
        reads |= {v for v in zero_before}
        return code, reads

    def branch(self, stmt: gast.If) -> tuple[list[gast.stmt], set[str]]:
        """An if backwards: the same test, each branch's statements reversed."""
        start = dict(self.state)
        self.scopes.append(stmt)
        try:
            then_code, then_reads = self.block(stmt.body)
            then_state = self.state
            self.state = dict(start)
            else_code, else_reads = self.block(stmt.orelse)
            else_state = self.state
        finally:
            self.scopes.pop()
        joined = {}
        for var in sorted(set(then_state) | set(else_state)):
            a, b = then_state.get(var, UNSET), else_state.get(var, UNSET)
            if a == b:
                joined[var] = a
            elif UNSET in (a, b):  # set on one path only: None (zero) on the other
                (then_code if a == UNSET else else_code).append(
                    assign(self.namer.adjoint(var), constant(None)))
                joined[var] = MAYBE
            elif MAYBE in (a, b):
                joined[var] = MAYBE
            else:
                joined[var] = OWNED if a == b == OWNED else SET
        self.state = joined
        if not then_code and not else_code:
            return [], set()
        code = [gast.If(test=ir.clone(stmt.test), body=then_code or [gast.Pass()],
                        orelse=else_code)]
        reads = ((then_reads | else_reads) - facts(stmt).assigned) | atom_names(stmt.test)
        return code, reads


def is_none(var: str) -> gast.Compare:
    return gast.Compare(left=name(var), ops=[gast.Is()], comparators=[constant(None)])


def zeros(d: str, var: str) -> gast.Assign:
    """``d = np.zeros_like(var)``: an owned, zero adjoint to accumulate into."""
    return assign(d, ir.call(np.zeros_like, name(var)))
