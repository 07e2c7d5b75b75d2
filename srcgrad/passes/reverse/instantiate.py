"""A rule's templates made code for one call: names substituted, constants folded, shapes known
before the code runs written in.

Nothing here depends on the backward walk: given an Op, the value standing for ``g`` (the
result's adjoint, or a tangent) and the result, it gives each operand's expression. What it
knows of the calls templates make it reads from their declarations: the rules' (``shape_query``)
and the runtime helpers' (:class:`srcgrad.runtime.declare`).
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, cast

import gast
import numpy as np

from ... import ir, runtime
from ...errors import SourceError
from ...ir import Op, Source, atom_names, constant, name
from ...rules import registry
from ...rules.registry import Rule
from ..shapes import SCALAR, ListOf, Shape


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


# -- what the calls in templates are ------------------------------------------------------------

def arguments(node: gast.Call) -> dict[str, Any]:
    """The arguments of a call of a runtime helper by its parameters' names, defaults
    included ({} where they do not match)."""
    try:
        bound = _signature(ir.called(node)).bind(
            *node.args, **{k.arg: k.value for k in node.keywords if k.arg is not None})
    except (TypeError, ValueError):
        return {}
    bound.apply_defaults()
    return {param: value if isinstance(value, gast.AST) else constant(value)
            for param, value in bound.arguments.items()}


@functools.cache
def _signature(helper) -> inspect.Signature:
    return inspect.signature(helper)


def declared(node) -> runtime.declare | None:
    """What the runtime helper a call calls declares about itself, or None."""
    return runtime.declare.of(ir.called(node))


def call_of(rule: Rule, args: list) -> gast.Call:
    """A call of ``rule``'s primitive by the name generated code uses for it."""
    return gast.Call(func=gast.parse(rule.name, mode="eval").body, args=args, keywords=[])


def shape_query_call(kind: str, var: str) -> gast.Call:
    """``np.shape(var)`` for ``"shape"``, ``len(var)`` for ``"len"`` ..."""
    rule = registry.lookup_where(shape_query=kind, syntax=False)
    assert rule is not None, f"no function answers the shape query {kind!r}"
    return call_of(rule, [name(var)])


def is_fresh(expr) -> bool:
    """Whether an adjoint expression certainly evaluates to a new array of its own."""
    if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
        return True
    facts = declared(expr)
    if facts is None:
        return False
    if facts.fresh:
        return True
    passed = arguments(expr).get(facts.fresh_if) if facts.fresh_if else None
    return passed is not None and is_fresh(passed)


# -- shapes known before the code runs ----------------------------------------------------------

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
    axis = constant(axes[0]) if len(axes) == 1 else constant_tuple(axes)
    if ones and not lead:
        return ir.call(np.sum, expr, axis=axis, keepdims=constant(True))
    summed = ir.call(np.sum, expr, axis=axis)
    return ir.call(np.reshape, summed, constant_tuple(target)) if ones else summed


def known_shape(atom, shapes: dict[str, Shape]):
    """The shape of ``atom`` fixed before the code runs (a tuple of them for a tuple of
    arrays), or None."""
    if isinstance(atom, gast.Name):
        shape = shapes.get(atom.id)
        return shape if isinstance(shape, tuple) else None
    if isinstance(atom, (gast.Tuple, gast.List)):
        found = [known_shape(e, shapes) for e in atom.elts]
        return None if any(s is None for s in found) else tuple(found)
    return None


def with_known_shapes(expr, result: object, shapes: dict[str, Shape]):
    """``expr`` where shapes known before the code runs decide: a sum down to the shape of
    an operand that has the result's shape (``result``) dropped, or written as a sum over the
    broadcast axes by name (``np.sum(e, axis=0)``) where both shapes are known; a shape query
    of a known shape (``np.shape(x)``) written as its value."""
    def decide(node):
        facts = declared(node)
        if facts is not None and facts.sums_down is not None and result is not None:
            given = arguments(node)
            summed, like = (given.get(p) for p in facts.sums_down)
            if summed is not None and isinstance(like, gast.Name):
                operand = shapes.get(like.id)
                if operand == result:
                    return summed
                if isinstance(result, tuple) and (isinstance(operand, tuple) or
                                                  operand is SCALAR):
                    return sum_to(summed, result, () if operand is SCALAR else operand)
        query = ir.shape_query(node)
        if query is not None and isinstance(shapes.get(query[1]), tuple):
            shape = cast(tuple, shapes[query[1]])
            if query[0] == "shape":
                return constant_tuple(shape)
            if query[0] == "size":
                return constant(int(np.prod(shape)))
        return node

    return ir.rewrite_up(expr, decide)


# -- one call's templates -----------------------------------------------------------------------

@dataclass
class Instance:
    """One call of a rule (``op`` at ``stmt``), its templates ready to be made code.

    ``values`` gives what the names a template reads besides the rule's parameters stand for
    (``g`` and ``ans`` for an adjoint); ``result`` is the shape of the call's result where it
    is a single value, else None.
    """

    op: Op
    stmt: gast.stmt
    source: Source
    mapping: dict[str, object]
    static: dict[str, Any]
    result: object
    shapes: dict[str, Shape]

    @property
    def rule(self) -> Rule:
        assert self.op.rule is not None
        return self.op.rule

    def template(self, param: str, accumulate: bool = False):
        """The template of ``param`` for this call's static arguments (None: no gradient);
        a rule refusing these arguments is given the call's line."""
        return self._at_line(lambda: self.rule.template_for(param, self.static,
                                                            accumulate=accumulate))

    def _at_line(self, get):
        """``get()``, an error it raises without a line given this call's."""
        try:
            return get()
        except SourceError as exc:
            if exc.filename is not None:
                raise
            raise self.source.error(type(exc), self.stmt, exc.what, exc.fix) from None

    def adjoint(self, param: str):
        """The expression of ``param``'s adjoint, or None where it has no gradient."""
        template = self.template(param)
        if template is None:
            return None
        return with_known_shapes(substitute(template, self.mapping), self.result, self.shapes)

    def tangent_template(self, param: str):
        """The tangent template of ``param`` for this call's static arguments: an expression
        of ``t``, :data:`~srcgrad.rules.registry.LINEAR`, or None (no derivative)."""
        return self._at_line(lambda: self.rule.tangent_for(param, self.static))

    def batched_template(self, param: str):
        """The rule's batched tangent template of ``param`` for this call's static arguments
        (``t`` a batch of tangents on a leading axis), or None where it declares none."""
        return self._at_line(lambda: self.rule.batched_for(param, self.static))

    def tangent(self, template, t):
        """A tangent template made code, ``t`` standing for its argument's tangent."""
        return with_known_shapes(substitute(template, dict(self.mapping, t=t)), self.result,
                                 self.shapes)

    def accumulate(self, param: str, acc) -> gast.AST:
        """The rule's form adding ``param``'s adjoint into ``acc`` in place: an expression
        giving the sum, or a statement (``acc[index] += g``)."""
        return substitute(self.template(param, accumulate=True), dict(self.mapping, acc=acc),
                          raw=self.op.bound)


def instance(stmt, op: Op, source: Source, shapes: dict[str, Shape], **values) -> Instance:
    """The :class:`Instance` of ``op`` computed at ``stmt``, whose templates read ``values``
    (``g=..., ans=...``)."""
    rule = op.rule
    assert rule is not None
    mapping: dict[str, object] = dict(values)
    for param, spec in rule.signature.parameters.items():
        if param in op.bound:
            mapping[param] = as_value(op.bound[param])
        elif spec.default is not spec.empty:
            mapping[param] = constant(spec.default)
    static = dict(op.static)
    for param, atom in op.bound.items():  # shape_x1: for templates that use shapes
        shape = known_shape(atom, shapes)
        if shape is not None:
            static["shape_" + param] = shape
        if isinstance(atom, gast.Name) and isinstance(shapes.get(atom.id), ListOf):
            static["list_" + param] = True
    targets = ir.targets_of(stmt)
    result = shapes.get(targets[0]) if len(targets) == 1 else None
    return Instance(op, stmt, source, mapping, static, result, shapes)


def differentiated(op: Op, varied: set[str]) -> list[str]:
    """The parameters of ``op``'s rule with an adjoint template whose argument depends on
    ``varied`` values."""
    assert op.rule is not None
    return [p for p in op.rule.adjoints if op.bound.get(p) is not None
            and atom_names(op.bound[p]) & varied]


def scale_in_place(expr, g) -> tuple[object, list]:
    """``g * e`` where ``g`` is an adjoint only this code holds, read for the last time:
    ``dz *= e`` reuses its array (one array fewer alive, one allocation fewer)."""
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mult) and \
            isinstance(expr.left, gast.Name) and isinstance(g, gast.Name) and \
            expr.left.id == g.id and g.id not in ir.atom_names(expr.right):
        scale = gast.AugAssign(target=name(g.id, store=True), op=gast.Mult(),
                               value=expr.right)
        return name(g.id), [scale]
    return expr, []
