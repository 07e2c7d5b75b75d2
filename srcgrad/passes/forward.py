"""Forward mode: each statement followed by the statements of its result's tangent.

The tangent of a variable ``h`` is ``h_dot``: how ``h`` changes along the direction the
caller gives for the differentiated parameters. Statements run in their own order (forward
mode keeps no tape); after one whose result varies with the parameters come, under a
``# tangent of: <line>`` comment, its tangent's statements, made from the rules' tangent
templates (:meth:`srcgrad.rules.registry.Rule.tangent_for`): the sum of each varying
argument's template, and for the arguments a primitive is linear in, the primitive applied to
their tangents.

A tangent is *zero* (no code computes it: the value does not vary here), *set*, or *owned* (a
new array only generated code holds, which a write ``x[i] = v`` may change in place; another is
copied first). Where paths meet (after an ``if``, around a loop) a tangent zero on one path and
set on another is made zeros on the first, where the value exists there.

With a batch (``batch``: the name of its size), each tangent carries many directions on a
leading axis at once, for Jacobians and Hessians (:mod:`srcgrad.batching`): zeros have that
axis, writes go through it, and each rule's tangent is its batched template, its elementwise
template with the tangent's axes aligned to the result's, or its template once per direction.

Reads: a normalized, renamed function (the front end's), which values vary (the activity) and
the shape analysis. Writes: a new statement list (the function's own statements are reused,
not changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast
import numpy as np

from .. import batching, ir, runtime
from ..errors import NonDifferentiableError
from ..ir import Op, Source, atom_names, constant, facts, name, op_of, targets_of
from ..names import Namer
from ..rules import registry
from ..rules.registry import LINEAR
from .analysis import value_names
from .reverse.instantiate import as_value, instance, is_fresh
from .reverse.tape import assign
from .shapes import Scalar, Shape, ShapeClass

ZERO, SET, OWNED = "zero", "set", "owned"


@dataclass
class Forward:
    """Builds the forward-mode statements of one normalized, renamed function."""

    varied: set[str]
    namer: Namer
    source: Source
    shapes: dict[str, Shape] = field(default_factory=dict)
    containers: set[str] = field(default_factory=set)  # variables that may hold lists
    state: dict[str, str] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)  # assigned on every path so far
    loop_tops: list = field(default_factory=list)  # per enclosing loop: the states at its top
    last_line: int | None = None
    batch: str | None = None  # batched: the variable holding the number of directions

    # -- tangents ----------------------------------------------------------------------------
    def tangent(self, var: str) -> gast.Name:
        return name(self.namer.tangent(var))

    def has(self, var: str) -> bool:
        return self.state.get(var, ZERO) != ZERO

    def varies(self, atom) -> bool:
        """Whether an operand has a tangent here."""
        return any(self.has(v) for v in value_names(atom))

    def tangent_of(self, atom):
        """The tangent of an operand: its variable's, zeros for a constant, and a tuple or list
        of those for a tuple or list written out."""
        if isinstance(atom, (gast.Tuple, gast.List)):
            return type(atom)(elts=[self.tangent_of(e) for e in atom.elts], ctx=gast.Load())
        if isinstance(atom, gast.Name) and self.has(atom.id):
            return self.tangent(atom.id)
        return self.zero(atom)

    def zero(self, atom) -> gast.Call:
        """The zero tangent of a value that does not vary (a batch of them, batched)."""
        if self.batch is None:
            return ir.call(runtime.zero_tangent, as_value(atom))
        return ir.call(batching.batch_zeros, as_value(atom), name(self.batch))

    def set_tangent(self, var: str, value, fresh: bool = False) -> list[gast.stmt]:
        """``var_dot = value`` (``fresh``: certainly a new array); the tangents ``value`` may
        share memory with are no longer owned."""
        if fresh or is_fresh(value):
            self.state[var] = OWNED
        else:
            self.state[var] = SET
            of_tangent = {t: v for v, t in self.namer.tangent_names().items()}
            for read in atom_names(value):
                shared = of_tangent.get(read)
                if shared is not None and self.state.get(shared) == OWNED:
                    self.state[shared] = SET
        return [assign(self.namer.tangent(var), value)]

    def zeros(self, var: str) -> gast.stmt:
        """``var_dot = zero_tangent(var)``: an owned zero tangent."""
        self.state[var] = OWNED
        return assign(self.namer.tangent(var), self.zero(name(var)))

    # -- statements --------------------------------------------------------------------------
    def block(self, stmts) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def commented(self, stmt, code: list[gast.stmt]) -> list[gast.stmt]:
        """The tangent code of ``stmt`` under a ``# tangent of: <line>`` comment (one per
        line of the user's code)."""
        if not code:
            return code
        line = facts(stmt).line
        if line == self.last_line:
            return code
        self.last_line = line
        source = facts(stmt).source or self.source
        helper = facts(stmt).helper
        where = f"  (in {helper})" if helper else ""
        return [ir.comment("tangent of: " + source.line(line) + where)] + code

    def statement(self, stmt) -> list[gast.stmt]:
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        if isinstance(stmt, gast.If):
            return self.branch(stmt)
        if isinstance(stmt, (gast.Break, gast.Continue)):
            return self.leave_iteration() + [stmt]
        if ir.is_write(stmt):
            return [stmt] + self.commented(stmt, self.write(stmt))
        if not isinstance(stmt, gast.Assign):
            return [stmt]
        targets = targets_of(stmt)
        code = self.assignment(stmt, targets)
        self.defined.update(targets)
        if facts(stmt).tape_update:  # the gradient's tape and its tangents, in place: the
            tangents = [line for each in code for line in _in_place(each)]  # tangents first,
            return self.commented(stmt, tangents) + _in_place(stmt)  # which may read the list
        return [stmt] + self.commented(stmt, code)

    def assignment(self, stmt: gast.Assign, targets: list[str]) -> list[gast.stmt]:
        op = op_of(stmt)
        value = None
        if any(t in self.varied for t in targets):
            value = self.tangent_expr(stmt, op)
        if value is None:
            for t in targets:
                self.state[t] = ZERO
            return []
        if len(targets) == 1 and isinstance(stmt.targets[0], gast.Name):
            rule = op.rule
            fresh = rule is not None and rule.view_of is None and not rule.selects and \
                not rule.syntax and isinstance(value, gast.Call)  # (a linear call's)
            return self.set_tangent(targets[0], value, fresh)
        for t in targets:  # a, b = value: tangents unpacked the same way
            self.state[t] = SET
        unpacked = gast.Tuple(elts=[name(self.namer.tangent(t), store=True) for t in targets],
                              ctx=gast.Store())
        return [gast.Assign(targets=[unpacked], value=value, type_comment=None)]

    def tangent_expr(self, stmt, op: Op):
        """The expression of the tangent of ``stmt``'s result, or None where it is zero."""
        if op.kind == "copy":
            x = op.bound["x"]
            return self.tangent_of(x) if self.varies(x) else None
        if op.kind == "tuple":
            if not any(self.varies(e) for e in op.elements):
                return None
            kind = gast.List if isinstance(stmt.value, gast.List) else gast.Tuple
            return kind(elts=[self.tangent_of(e) for e in op.elements], ctx=gast.Load())
        if op.kind == "dict":
            if not any(self.varies(e) for e in op.elements):
                return None
            return gast.Dict(keys=[constant(k) for k in op.static["keys"]],
                             values=[self.tangent_of(e) for e in op.elements])
        if op.kind == "rule" and op.rule is not None and op.rule.differentiable and \
                op.rule.shape_query is None:
            return self.rule(stmt, op)
        return None  # not differentiable: a constant

    def rule(self, stmt, op: Op):
        concatenation = registry.concatenation(op.rule, op.bound, self.is_container) \
            if op.rule is not None else None
        on_items = concatenation is not None  # xs + [h] of two lists: concatenated
        if on_items:
            op = Op("rule", concatenation, bound=op.bound, static={})
        rule = op.rule
        assert rule is not None
        targets = targets_of(stmt)
        ans = name(targets[0]) if len(targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
            else gast.Tuple(elts=[name(t) for t in targets], ctx=gast.Load())
        call = instance(stmt, op, self.source, self.shapes, ans=ans)
        parts = []
        linear: list[str] = []
        full_shape = False  # whether a part certainly has the result's shape
        every_argument = True  # whether every argument gives a part (tangents have their
        # values' shapes, so the parts of all an elementwise call's arguments have its shape)
        for param, atom in op.bound.items():
            if not self.varies(atom) or param in rule.no_gradient:
                every_argument = False
                continue
            if not rule.has_tangent(param):
                raise (facts(stmt).source or self.source).error(
                    NonDifferentiableError, stmt, f"{rule.name} has no forward-mode rule for "
                    f"its parameter {param!r}, and the value passed to it varies with the "
                    "arguments being differentiated",
                    "pass a constant there, use reverse mode (grad, vjp), or register a tangent "
                    "rule (srcgrad.defjvp)")
            template = call.tangent_template(param)
            if template is LINEAR:
                linear.append(param)
                continue
            if template is None:
                every_argument = False
                continue
            parts.append(call.tangent(template, self.tangent_of(atom)) if self.batch is None
                         else self.batched_part(call, param, template, atom, ans))
            full_shape = full_shape or self.same_shape(atom, targets)
        if linear and self.batch is not None and not on_items and \
                all(call.batched_template(p) is not None for p in linear):
            parts += [call.tangent(call.batched_template(p),
                                   self.tangent_of(op.bound[p])) for p in linear]
            full_shape = True
        elif linear:
            parts.append(self.linear_call(stmt, op, linear, ans, on_items))
            full_shape = True
        if not parts:
            return None
        total = parts[0]
        for part in parts[1:]:  # (lists of tangents are summed item by item)
            if rule.returns_sequence:
                total = ir.call(runtime.add_grads, total, part)
            elif isinstance(part, gast.UnaryOp) and isinstance(part.op, gast.USub):
                total = gast.BinOp(left=total, op=gast.Sub(), right=part.operand)  # a - b
            else:
                total = gast.BinOp(left=total, op=gast.Add(), right=part)
        if rule.elementwise and not (full_shape or every_argument):  # x + b, b varying
            total = ir.call(runtime.tangent_like if self.batch is None else batching.batch_like,
                            total, ir.clone(ans))
        return total

    def batched_part(self, call, param: str, template, atom, ans):
        """The batched tangent of a call from its argument ``param``'s: the rule's batched
        template; its elementwise template reading the tangent aligned to the result; or its
        template once per direction."""
        t = self.tangent_of(atom)
        rule = call.rule
        declared = call.batched_template(param)
        if declared is not None:
            return call.tangent(declared, t)
        if rule.elementwise and isinstance(ans, gast.Name) and _pointwise(template):
            return call.tangent(template, self.aligned(t, atom, ans))
        each = self.namer.fresh("t")
        assert self.batch is not None
        return ir.call(batching.batch_map, _lambda([each], call.tangent(template, name(each))),
                       name(self.batch), t)

    def aligned(self, t, atom, ans: gast.Name):
        """A batch of tangents of ``atom``, with length-1 axes to the rank of the result
        ``ans`` where it may have fewer (``lifted``)."""
        known = [self.shapes.get(a.id) if isinstance(a, gast.Name) else None
                 for a in (atom, ans)]
        if isinstance(known[0], tuple) and isinstance(known[1], tuple) and \
                len(known[0]) == len(known[1]) or \
                isinstance(known[0], (Scalar, ShapeClass)) and known[0] == known[1]:
            return t
        return ir.call(batching.lifted, t, ir.clone(ans))

    def is_container(self, atom) -> bool:
        """Whether an operand is a list or tuple (written out, or a variable that may hold one)."""
        return isinstance(atom, (gast.List, gast.Tuple)) or \
            isinstance(atom, gast.Name) and atom.id in self.containers

    def same_shape(self, atom, targets: list[str]) -> bool:
        """Whether an operand certainly has the (single) result's shape."""
        if len(targets) != 1 or not isinstance(atom, gast.Name):
            return False
        shape = self.shapes.get(atom.id)
        return shape is not None and shape == self.shapes.get(targets[0])

    def linear_call(self, stmt, op: Op, params: list[str], ans=None, on_items: bool = False):
        """The primitive applied to the tangents of the arguments it is linear in (zeros for
        those of its other linear arguments that are constant here).

        Batched: an elementwise one reads the tangents aligned to the result (``ans``); one
        that moves a list's items (``on_items``) applies to lists of batches as they are; any
        other is applied once per direction."""
        rule = op.rule
        assert rule is not None
        bound = [op.bound[p] for p in rule.linear if p in op.bound]
        if self.batch is None or on_items or rule.batch_transparent:
            return _replaced(stmt.value, {id(a): self.tangent_of(a) for a in bound})
        if rule.elementwise and isinstance(ans, gast.Name):
            return _replaced(stmt.value, {id(a): self.aligned(self.tangent_of(a), a, ans)
                                          for a in bound})
        varying = [a for a in bound if self.varies(a)]
        each = [self.namer.fresh("t") for _ in varying]
        replaced = {id(a): name(e) for a, e in zip(varying, each)}
        replaced.update({id(a): ir.call(runtime.zero_tangent, as_value(a))
                         for a in bound if id(a) not in replaced})
        return ir.call(batching.batch_map, _lambda(each, _replaced(stmt.value, replaced)),
                       name(self.batch), *[self.tangent_of(a) for a in varying])

    def write(self, stmt) -> list[gast.stmt]:
        """``x[index] = value``: the same write into ``x``'s tangent (owned first)."""
        target = stmt.targets[0]
        var = target.value.id
        value = stmt.value
        if not self.has(var) and not self.varies(value):
            return []
        code: list[gast.stmt] = []
        if not self.has(var):
            code.append(self.zeros(var))
        elif self.state[var] != OWNED:
            copied = ir.call(runtime.copy_tangent if var in self.containers else np.copy,
                             self.tangent(var))
            code += self.set_tangent(var, copied)
            self.state[var] = OWNED
        part = self.tangent_of(value) if self.varies(value) else constant(0.0)
        if self.batch is not None:  # x_dot = batch_store(x_dot, np.s_[index], part)
            if isinstance(part, (gast.Tuple, gast.List)):  # y[i] = [q, p]: stacked, as
                part = ir.call(batching.batch_stack, part)  # NumPy makes it an array
            index = gast.Subscript(value=gast.Attribute(value=name("np"), attr="s_",
                                                        ctx=gast.Load()),
                                   slice=ir.clone(target.slice), ctx=gast.Load())
            code.append(assign(self.namer.tangent(var), ir.call(
                batching.batch_store, self.tangent(var), index, part)))
            return code
        written = gast.Subscript(value=self.tangent(var), slice=ir.clone(target.slice),
                                 ctx=gast.Store())
        code.append(gast.Assign(targets=[written], value=part, type_comment=None))
        return code

    # -- control flow ------------------------------------------------------------------------
    def branch(self, stmt: gast.If) -> list[gast.stmt]:
        """An if: each branch walked from the same states; a tangent set on one path only
        is made zeros on the other (where the value exists there)."""
        start, defined = dict(self.state), set(self.defined)
        self.last_line = None
        then_code = self.block(stmt.body)
        then_state, then_defined = self.state, self.defined
        self.state, self.defined = dict(start), set(defined)
        self.last_line = None
        else_code = self.block(stmt.orelse)
        else_state, else_defined = self.state, self.defined
        joined = {}
        for var in sorted(set(then_state) | set(else_state)):
            a, b = then_state.get(var, ZERO), else_state.get(var, ZERO)
            if a == ZERO and b != ZERO and var in then_defined:
                then_code.append(self.zeros(var))
                a = OWNED
            elif b == ZERO and a != ZERO and var in else_defined:
                else_code.append(self.zeros(var))
                b = OWNED
            joined[var] = a if a == b else SET
        self.state = joined
        self.defined = then_defined & else_defined
        self.last_line = None
        return [gast.If(test=stmt.test, body=then_code or [gast.Pass()], orelse=else_code)]

    def loop(self, stmt) -> list[gast.stmt]:
        """A loop runs forward as it is. A tangent zero before the loop but set in it is made
        zeros before it (where the value exists then); one set at the top of an iteration but
        zero at its end is made zeros at the end, for the next iteration."""
        entry, defined = dict(self.state), set(self.defined)
        top = dict(entry)
        made: set[str] = set()  # tangents made zeros before the loop
        for _ in range(8):
            self.state, self.defined = dict(top), set(defined)
            self.loop_tops.append(top)
            self.last_line = None
            try:
                body = self.block(stmt.body)
            finally:
                self.loop_tops.pop()
            end = self.state
            new_top = dict(top)
            for var in sorted(set(end)):
                a, b = top.get(var, ZERO), end[var]
                if b == ZERO or a == b:
                    continue  # (set at the top, zero at the end: reset at the end below)
                if a == ZERO and var in defined:
                    made.add(var)
                    new_top[var] = OWNED if b == OWNED else SET
                elif a == ZERO:  # first assigned in the loop: the last iteration's
                    new_top[var] = b
                else:
                    new_top[var] = SET
            if new_top == top:
                break
            top = new_top
        body += self.resets(top)
        before = [self.zeros(v) for v in sorted(made)]
        self.state = dict(top)
        self.defined = defined
        self.last_line = None
        if isinstance(stmt, gast.For):
            loop = gast.For(target=stmt.target, iter=stmt.iter, body=body, orelse=[],
                            type_comment=None)
        else:
            loop = gast.While(test=stmt.test, body=body, orelse=[])
        return before + [loop]

    def resets(self, top: dict[str, str]) -> list[gast.stmt]:
        """Zeros for the tangents set at the top of the iteration but zero now."""
        code = []
        for var in sorted(v for v, s in top.items() if s != ZERO and not self.has(v)):
            if var in self.defined:
                code.append(self.zeros(var))
        return code

    def leave_iteration(self) -> list[gast.stmt]:
        """Before a break or continue: the tangents the loop's top expects."""
        if not self.loop_tops:
            return []
        saved = dict(self.state)
        code = self.resets(self.loop_tops[-1])
        self.state = saved
        return code


#: NumPy functions elementwise in each argument: a tangent passed to one stays aligned.
_POINTWISE_CALLS = frozenset({"where", "conj", "conjugate", "real", "imag", "multiply",
                              "negative", "divide", "true_divide", "add", "subtract"})


def _in_place(stmt) -> list[gast.stmt]:
    """A list's push or pop whose old value is never read again, made in place:
    ``T2 = T1 + [v]`` as ``T1.append(v)`` (``+ xs``: ``extend``) then ``T2 = T1``;
    ``T2 = T1[:-1]`` as ``del T1[-1]`` then ``T2 = T1``. Pushing and popping the gradient's tape
    this way takes a constant time, not one growing with the tape."""
    value = stmt.value if isinstance(stmt, gast.Assign) else None
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and \
            isinstance(value.left, gast.Name):
        listed, added = value.left, value.right
        if isinstance(added, gast.List) and len(added.elts) == 1:
            update: gast.stmt = gast.Expr(value=gast.Call(func=gast.Attribute(
                value=ir.clone(listed), attr="append", ctx=gast.Load()), args=added.elts,
                keywords=[]))
        else:
            update = gast.Expr(value=gast.Call(func=gast.Attribute(
                value=ir.clone(listed), attr="extend", ctx=gast.Load()), args=[added],
                keywords=[]))
    elif isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) and \
            _drops_the_last(value.slice):
        listed = value.value
        update = gast.Delete(targets=[gast.Subscript(value=ir.clone(listed), slice=constant(-1),
                                                      ctx=gast.Del())])
    else:
        return [stmt]
    alias = gast.Assign(targets=stmt.targets, value=ir.clone(listed), type_comment=None)
    facts(alias).op = Op("copy", bound={"x": alias.value})
    facts(alias).locate_like(facts(stmt))
    return [update, alias]


def _drops_the_last(index) -> bool:
    """Whether ``index`` is ``:-1`` (or ``np.s_[:-1]``)."""
    if isinstance(index, gast.Subscript) and isinstance(index.value, gast.Attribute) and \
            index.value.attr == "s_":
        index = index.slice
    return isinstance(index, gast.Slice) and index.lower is None and index.step is None and \
        isinstance(index.upper, gast.Constant) and index.upper.value == -1


def _pointwise(template) -> bool:
    """Whether a tangent template reads ``t`` only through elementwise arithmetic (so a batch
    of tangents, aligned to the result's axes, broadcasts through it as one tangent would)."""
    if not any(isinstance(n, gast.Name) and n.id == "t" for n in gast.walk(template)):
        return True
    if isinstance(template, gast.Name):
        return True
    if isinstance(template, gast.BinOp):
        return isinstance(template.op, (gast.Add, gast.Sub, gast.Mult, gast.Div)) and \
            _pointwise(template.left) and _pointwise(template.right)
    if isinstance(template, gast.UnaryOp):
        return isinstance(template.op, (gast.USub, gast.UAdd)) and _pointwise(template.operand)
    if isinstance(template, gast.Call):
        func = template.func
        return isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
            func.value.id == "np" and func.attr in _POINTWISE_CALLS and \
            all(_pointwise(a) for a in template.args) and \
            all(_pointwise(k.value) for k in template.keywords)
    return False


def _lambda(params: list[str], body) -> gast.Lambda:
    """``lambda <params>: <body>``: a tangent template for one direction."""
    args = gast.arguments(args=[name(p) for p in params], posonlyargs=[], vararg=None,
                          kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    for a in args.args:
        a.ctx = gast.Param()
    return gast.Lambda(args=args, body=body)


def _replaced(expr, replacements: dict[int, object]):
    """A copy of ``expr`` with the nodes whose ids ``replacements`` holds replaced."""
    found = replacements.get(id(expr))
    if found is not None:
        return found
    if not isinstance(expr, gast.AST):
        return expr
    copy = type(expr)()
    for field_name, value in gast.iter_fields(expr):
        if isinstance(value, list):
            value = [_replaced(v, replacements) for v in value]
        elif isinstance(value, gast.AST):
            value = _replaced(value, replacements)
        setattr(copy, field_name, value)
    return copy
