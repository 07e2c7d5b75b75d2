"""The backward pass: statements walked in reverse, each primitive's rule instantiated.

Adjoints of variables used several times are summed. The pass tracks, for every adjoint, whether
it is still zero (no code has set it: the first contribution is a plain assignment), set, or
*owned* (a fresh array only the generated code can see, which may be added to in place).

Loops run backwards (``for t in reversed(range(...))``). Inside a loop, a value the backward pass
reads may be overwritten by later iterations; such values are pushed on a tape right after the
statement (or nested loop) that needs them, and popped right before its adjoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import gast
import numpy as np

from .. import ir
from ..errors import NonDifferentiableError, SourceError, UnsupportedSyntaxError
from ..ir import Op, atom_names, constant, facts, name, op_of, targets_of
from ..names import Namer
from ..rules import registry
from .analysis import Activity
from .parse import Source
from .shapes import SCALAR, ListOf, Shape

# What an adjoint holds: nothing yet (zero), zero or a value (None stands for zero), a value,
# or a fresh array that only the generated code can see (so it may be added to in place).
UNSET, MAYBE, SET, OWNED = "unset", "maybe", "set", "owned"

# Helpers whose result is a new array nobody else references.
_FRESH_HELPERS = {"unindex", "unindex_to", "matmul_lhs_grad", "matmul_rhs_grad", "add_at", "spread"}


def comment(text: str) -> ir.Comment:
    """A statement that the code generator prints as ``# text``."""
    return ir.comment(text)


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
    has_slice = any(isinstance(n, gast.Slice) for n in ir.walk(atom))
    if not has_slice:
        return ir.clone(atom)
    s_ = gast.Attribute(value=name("np"), attr="s_", ctx=gast.Load())
    return gast.Subscript(value=s_, slice=ir.clone(atom), ctx=gast.Load())


def substitute(template, mapping: dict[str, object], raw: dict[str, object] | None = None):
    """A copy of ``template`` with each name in ``mapping`` replaced by a copy of its value.

    Where a name is itself a subscript's index (``acc[index]``), its value in ``raw`` is used
    instead: slices can stand there as written.
    """
    return fold(ir.clone(template, mapping, raw))


def _number(node):
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def fold(node):
    """Fold constant arithmetic left by substitution: ``x ** (2 - 1)`` becomes ``x``."""
    return ir.rewrite_up(node, _fold_one)


def _fold_one(node):
    if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Tuple) and \
            isinstance(node.slice, gast.Constant) and type(node.slice.value) is int and \
            -len(node.value.elts) <= node.slice.value < len(node.value.elts):
        return node.value.elts[node.slice.value]  # (a, b)[1]: b
    if not isinstance(node, gast.BinOp):
        return node
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
    push_sets: dict[int, list[str]] = field(default_factory=dict)
    slot_saves: set[int] = field(default_factory=set)  # writes whose old values are taped
    later: list = field(default_factory=list)  # per enclosing block: what is assigned after
    g_owned: bool = False  # whether the adjoint being consumed is an array only we hold
    shape_name: dict[str, str] = field(default_factory=dict)  # x -> x_shape, taped for x
    shape_of: dict[str, str] = field(default_factory=dict)  # x_shape (or x_len) -> x
    lengths: set[str] = field(default_factory=set)  # the x_len among them: len(x) is taped
    tape: str = "tape"  # the names generated code uses for the tape and for ignored values
    unused: str = "_"
    scopes: list = field(default_factory=list)  # the loops and ifs around the statement

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
            return [assign(d, gast.Call(func=name("add_grads"), args=[name(d), expr],
                                        keywords=[]))]
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
        scope = self.scopes[-1] if self.scopes else None
        loop_target = scope.target.id if isinstance(scope, gast.For) else None
        # An if outside every loop runs at most once: its values stay until the backward pass
        # reads them, unless a later statement of the same branch overwrites them.
        once = not any(isinstance(s, (gast.For, gast.While)) for s in self.scopes)
        pieces = []  # (stmt, code, names to restore from the tape), in forward order
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
            push: list[str] = []
            if scope is not None:  # what a nested scope assigns it keeps for itself, but
                # its header (a loop's range, its trip count) is read outside it
                inner: set[str] = facts(stmt).assigned - \
                    facts(stmt).header
                push = [v for v in sorted(reads) if v in facts(scope).assigned and v not in inner
                        and v != loop_target]
                reads = reads - set(push)
                if push and not once:  # (a loop's header may read a list's length)
                    code, push = self.shapes_only(code, push,
                                                  lengths_only=isinstance(stmt, ir.SCOPES))
            reads_total |= reads
            pieces.append((stmt, code, push))
        pieces.reverse()
        _share_pushes(pieces, once, self.shape_of, set().union(*self.later))
        _group_pushes(pieces, self.shape_of)
        if isinstance(scope, (gast.For, gast.While)):
            reads_total |= self.recompute_from_operands(pieces, stmts, scope)
        out: list[gast.stmt] = []
        last_line = None
        for stmt, code, push in reversed(pieces):
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
                self.push_sets[id(stmt)] = push
                out.append(pop_stmt(self.tape, push))  # names or shapes
            out.extend(code)
        return out, reads_total

    def recompute_from_operands(self, pieces, stmts, loop) -> set[str]:
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
        count: dict[str, int] = {}
        for stmt in ir.walk_statements(loop.body):
            for target in targets_of(stmt):
                count[target] = count.get(target, 0) + 1
        again: dict[str, tuple] = {}
        reread: dict[str, object] = {}  # x_t -> xs[t]
        # the counter, the same in the backward loop (unless the body assigns it)
        outer = {loop.target.id} if isinstance(loop, gast.For) and \
            loop.target.id not in count else set()
        changing = set().union(*(facts(s).assigned for s in self.scopes))
        defined: set[str] = set()
        carried: set[str] = set()  # read before this statement, assigned at it or later
        read_before: set[str] = set()
        for stmt in stmts:
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
            elif op.rule.key == "getitem" and op.static.get("basic_index") is True and \
                    outer and isinstance(op.bound["x"], gast.Name) and \
                    not ir.atom_names(stmt.value) & (changing - outer):
                reread[target] = stmt.value
        reads: set[str] = set()
        for _, code, push in pieces:
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
            code[:0] = [assign(var, ir.clone(again[var][1])) for var in found] + \
                [assign(var, ir.clone(reread[var])) for var in items]
        return reads

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
                if var in only and isinstance(node.func, gast.Name):  # unbroadcast(g, x)
                    return gast.Call(func=name("unbroadcast_to"),
                                     args=[node.args[0], shape_of(var)], keywords=[])
                if var in only:  # np.shape(x)
                    return shape_of(var)
                return node

        code = [Rewrite().visit(stmt) for stmt in code]
        return code, [names.get(v, v) for v in push if v not in known]

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
            return [], set()
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
                code.append(assign(d, gast.Call(func=gast.Attribute(
                    value=name("np"), attr="array", ctx=gast.Load()), args=[name(d)],
                    keywords=[])))
                self.state[var] = OWNED
            slot = gast.Call(func=name("pop_slot"), args=[name(d), as_value(index), name(var)],
                             keywords=[])
            value = stmt.value
            part = gast.Call(func=name("unbroadcast"), args=[slot, ir.clone(value)],
                             keywords=[])
            before = dict(self.state)
            # the slot's adjoint is taken out (zeroed) whether or not it flows on to value
            contribution = self.contribute(value, part) or [gast.Expr(value=slot)]
            if state == MAYBE:  # what the guarded code sets may then still be zero (None)
                guard = gast.If(test=gast.Compare(left=name(d), ops=[gast.IsNot()],
                                                  comparators=[constant(None)]),
                                body=contribution, orelse=[])
                code.append(guard)
                code.extend(self.join_states(before, guard))
            else:
                code.extend(contribution)
        restore = gast.Assign(targets=[gast.Subscript(value=name(var), slice=index,
                                                      ctx=gast.Store())],
                              value=tape_call(self.tape, "pop", []), type_comment=None)
        facts(restore).pop = True
        code.append(restore)
        self.slot_saves.add(id(stmt))
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
        if op.rule.key != "+" or not all(self.is_container(op.bound.get(p)) for p in ("x1", "x2")):
            return op
        return Op("rule", registry.lookup("list +"), bound=op.bound, static={})

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
            part = gast.Call(func=name("item_grad"), args=[ir.clone(expr), constant(j)],
                             keywords=[])
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
        mapping = {"g": g, "ans": ans}
        for param, spec in rule.signature.parameters.items():
            if param in op.bound:
                mapping[param] = as_value(op.bound[param])
            elif spec.default is not spec.empty:
                mapping[param] = constant(spec.default)
        code: list[gast.stmt] = []
        flowing = [p for p in rule.adjoints if op.bound.get(p) is not None
                   and atom_names(op.bound[p]) & self.activity.varied]
        static = dict(op.static)
        for param, atom in op.bound.items():  # shape_x1: for templates that use shapes
            shape = self.known_shape(atom)
            if shape is not None:
                static["shape_" + param] = shape
            if isinstance(atom, gast.Name) and isinstance(self.shapes.get(atom.id), ListOf):
                static["list_" + param] = True
        for param in rule.adjoints:
            atom = op.bound.get(param)
            if atom is None or not atom_names(atom) & self.activity.varied:
                continue
            try:
                template = rule.template_for(param, static)
            except SourceError as exc:  # a rule refusing these arguments: give it the line
                if exc.filename is not None:
                    raise
                raise self.source.error(type(exc), stmt, exc.what, exc.fix) from None
            if template is None:  # no gradient for these static arguments
                continue
            expr = self.skip_unbroadcast(substitute(template, mapping), targets_of(stmt))
            if rule.elementwise and len(flowing) == 1 and self.g_owned and \
                    isinstance(atom, gast.Name) and atom.id not in self.containers:
                expr, scaled = self.in_place(expr, g)
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
                acc = dict(mapping, acc=self.adjoint(atom.id))
                accumulate_expr = substitute(rule.template_for(param, static,
                                                               accumulate=True), acc,
                                             raw=op.bound)
            code += self.contribute(atom, expr, accumulate_expr)
        return code

    def known_shape(self, atom):
        """The shape of ``atom`` fixed before the code runs (a tuple of them for a tuple of
        arrays), or None."""
        if isinstance(atom, gast.Name):
            shape = self.shapes.get(atom.id)
            return shape if isinstance(shape, tuple) else None
        if isinstance(atom, (gast.Tuple, gast.List)):
            shapes = [self.known_shape(e) for e in atom.elts]
            return None if any(s is None for s in shapes) else tuple(shapes)
        return None

    def in_place(self, expr, g) -> tuple[object, list]:
        """``g * e`` where ``g`` is an adjoint only this code holds, read for the last time:
        ``dz *= e`` reuses its array (one array fewer alive, one allocation fewer)."""
        if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mult) and \
                isinstance(expr.left, gast.Name) and isinstance(g, gast.Name) and \
                expr.left.id == g.id and g.id not in ir.atom_names(expr.right):
            scale = gast.AugAssign(target=name(g.id, store=True), op=gast.Mult(),
                                   value=expr.right)
            return name(g.id), [scale]
        return expr, []

    def skip_unbroadcast(self, expr, targets: list[str]):
        """Drop ``unbroadcast(e, x)`` where ``x`` has the statement result's shape; where both
        shapes are known before the code runs, sum over the broadcast axes by name
        (``np.sum(e, axis=0)``); write ``np.shape(x)`` of a known shape as a tuple."""
        shapes = self.shapes
        result = shapes.get(targets[0]) if len(targets) == 1 else None

        def drop(node):
            if not isinstance(node, gast.Call) or not isinstance(node.func, gast.Name) and \
                    not _is_np_shape(node.func):
                return node
            if len(node.args) == 2 and getattr(node.func, "id", None) == "unbroadcast" and \
                    isinstance(node.args[1], gast.Name) and result is not None:
                operand = shapes.get(node.args[1].id)
                if operand == result:
                    return node.args[0]
                if isinstance(result, tuple) and (isinstance(operand, tuple) or
                                                  operand is SCALAR):
                    return sum_to(node.args[0], result, () if operand is SCALAR else operand)
            if _is_np_shape(node.func) and len(node.args) == 1 and \
                    isinstance(node.args[0], gast.Name) and \
                    isinstance(shapes.get(node.args[0].id), tuple):
                shape = shapes[node.args[0].id]
                if node.func.attr == "size":
                    return constant(int(np.prod(shape)))
                return constant_tuple(shape)
            return node

        return ir.rewrite_up(expr, drop)

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
                for inner in ir.walk_statements(stmt.body):
                    self.push_sets.pop(id(inner), None)
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
            header = gast.Call(func=name("range"), args=[name(steps)], keywords=[])
            header_reads = {steps}
        else:
            target = name(stmt.target.id, store=True)
            iterations = ir.clone(stmt.iter)
            if steps is not None:  # a loop with break: only the iterations that started
                iterations = gast.Subscript(value=iterations, slice=gast.Slice(
                    lower=None, upper=name(steps), step=None), ctx=gast.Load())
            header = gast.Call(func=name("reversed"), args=[iterations], keywords=[])
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


def _is_np_shape(func) -> bool:
    """``np.shape`` or ``np.size``: a function of its argument's shape alone."""
    return isinstance(func, gast.Attribute) and func.attr in ("shape", "size") and \
        isinstance(func.value, gast.Name) and func.value.id == "np"


def constant_tuple(values: tuple) -> gast.Tuple:
    return gast.Tuple(elts=[constant(v) for v in values], ctx=gast.Load())


def sum_to(expr, shape: tuple, target: tuple):
    """``expr`` (of ``shape``) summed down to ``target``, from which NumPy broadcast it:
    over the leading axes it lacks and the axes where it has length 1."""
    lead = len(shape) - len(target)
    ones = tuple(lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    axes = tuple(range(lead)) + ones
    if not axes:
        return expr
    np_sum = gast.Attribute(value=name("np"), attr="sum", ctx=gast.Load())
    axis = constant(axes[0]) if len(axes) == 1 else constant_tuple(axes)
    keywords = [gast.keyword(arg="axis", value=axis)]
    if ones and not lead:
        keywords.append(gast.keyword(arg="keepdims", value=constant(True)))
    summed = gast.Call(func=np_sum, args=[expr], keywords=keywords)
    if ones and lead:
        np_reshape = gast.Attribute(value=name("np"), attr="reshape", ctx=gast.Load())
        return gast.Call(func=np_reshape, args=[summed, constant_tuple(target)], keywords=[])
    return summed


def _group_pushes(pieces, shape_of: dict[str, str]) -> None:
    """One push for a run of statements: values pushed after a statement move to the push
    after the next ones, until a statement reassigns one of them or a loop or an if starts
    (whose own pushes come in between). One tuple on the tape instead of several."""
    group: list[str] = []
    end = None

    def flush():
        if end is not None and group:
            pieces[end][2][:] = list(group)
        group.clear()

    for i, (stmt, _, push) in enumerate(pieces):
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


def _len_use(node) -> str | None:
    """The variable whose length alone ``node`` reads: ``len(x)``."""
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id == "len" and len(node.args) == 1 and not node.keywords and \
            isinstance(node.args[0], gast.Name):
        return node.args[0].id
    return None


def _shape_use(node) -> str | None:
    """The variable whose shape alone ``node`` reads: ``unbroadcast(g, x)``, ``np.shape(x)``."""
    if not isinstance(node, gast.Call):
        return None
    func, args = node.func, node.args
    if isinstance(func, gast.Name) and func.id == "unbroadcast" and len(args) == 2 and \
            isinstance(args[1], gast.Name):
        return args[1].id
    if isinstance(func, gast.Attribute) and func.attr == "shape" and \
            isinstance(func.value, gast.Name) and func.value.id == "np" and len(args) == 1 and \
            isinstance(args[0], gast.Name):
        return args[0].id
    return None


def _share_pushes(pieces, once: bool, shape_of: dict[str, str],
                  assigned_later: set[str]) -> None:
    """Push each value once: a value pushed after two statements, and not reassigned between
    them, is pushed after the later one only (its pop then serves both adjoints). In a block
    that runs at most once, a value nothing reassigns later (in it, or after the ifs around
    it: ``assigned_later``) needs no push at all."""
    last_push: dict[str, int] = {}
    for i, (stmt, _, push) in enumerate(pieces):
        changed = set(targets_of(stmt)) | set(facts(stmt).assigned)
        for entry in list(last_push):
            if shape_of.get(entry, entry) in changed:
                last_push.pop(entry)
        for var in push:
            j = last_push.get(var)
            if j is not None:
                pieces[j][2].remove(var)
            last_push[var] = i
    if once:
        for var, i in last_push.items():
            if shape_of.get(var, var) not in assigned_later:
                pieces[i][2].remove(var)


def is_none(var: str) -> gast.Compare:
    return gast.Compare(left=name(var), ops=[gast.Is()], comparators=[constant(None)])


def assign(target: str, value) -> gast.Assign:
    return gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)


def zeros(d: str, var: str) -> gast.Assign:
    """``d = np.zeros_like(var)``: an owned, zero adjoint to accumulate into."""
    zeros_like = gast.Attribute(value=name("np"), attr="zeros_like", ctx=gast.Load())
    return assign(d, gast.Call(func=zeros_like, args=[name(var)], keywords=[]))


def tape_call(tape: str, method: str, args) -> gast.Call:
    return gast.Call(func=gast.Attribute(value=name(tape), attr=method, ctx=gast.Load()),
                     args=args, keywords=[])


def pop_stmt(tape: str, names: list[str]) -> gast.Assign:
    if len(names) == 1:
        target = name(names[0], store=True)
    else:
        target = gast.Tuple(elts=[name(n, store=True) for n in names], ctx=gast.Store())
    stmt = gast.Assign(targets=[target], value=tape_call(tape, "pop", []), type_comment=None)
    facts(stmt).pop = True  # reading the tape: never dead code
    return stmt


def push_stmt(tape: str, names: list[str], shape_of: dict[str, str],
              lengths: set[str] | frozenset[str] = frozenset()) -> gast.Expr:
    def value_of(entry):
        if entry in lengths:  # x_len: push len(x)
            return gast.Call(func=name("len"), args=[name(shape_of[entry])], keywords=[])
        if entry in shape_of:  # x_shape: push np.shape(x)
            shape = gast.Attribute(value=name("np"), attr="shape", ctx=gast.Load())
            return gast.Call(func=shape, args=[name(shape_of[entry])], keywords=[])
        return name(entry)

    if len(names) == 1:
        value = value_of(names[0])
    else:
        value = gast.Tuple(elts=[value_of(n) for n in names], ctx=gast.Load())
    return gast.Expr(value=tape_call(tape, "append", [value]))


def with_pushes(stmts, reverser: Reverser, before_break: tuple = ()) -> list[gast.stmt]:
    """The forward statements with tape pushes after those whose values the backward reads.

    A ``break`` skips the pushes that follow the ifs around it, so ``before_break`` holds
    those pushes (innermost first) and they are made just before the break.
    """
    push_sets, tape = reverser.push_sets, reverser.tape
    out: list[gast.stmt] = []
    for stmt in stmts:
        if isinstance(stmt, gast.Break):
            out.extend(push_stmt(tape, push_sets[key], reverser.shape_of, reverser.lengths)
                       for key in before_break)
        elif isinstance(stmt, gast.If):
            inner = ((id(stmt),) if id(stmt) in push_sets else ()) + tuple(before_break)
            stmt.body = with_pushes(stmt.body, reverser, inner)
            stmt.orelse = with_pushes(stmt.orelse, reverser, inner)
        elif isinstance(stmt, (gast.For, gast.While)):
            stmt.body = with_pushes(stmt.body, reverser)
        elif id(stmt) in reverser.slot_saves:  # keep what the write destroys
            target = stmt.targets[0]
            old = gast.Subscript(value=name(target.value.id), slice=ir.clone(target.slice),
                                 ctx=gast.Load())
            copied = gast.Call(func=gast.Attribute(value=name("np"), attr="copy",
                                                   ctx=gast.Load()), args=[old], keywords=[])
            out.append(gast.Expr(value=tape_call(tape, "append", [copied])))
        out.append(stmt)
        if id(stmt) in push_sets:
            out.append(push_stmt(tape, push_sets[id(stmt)], reverser.shape_of, reverser.lengths))
    return out
