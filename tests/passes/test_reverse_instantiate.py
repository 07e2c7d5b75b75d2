"""Rule templates made code for one call (srcgrad/passes/reverse/instantiate.py), and the
declarations it reads: runtime helpers' (``@declare``) and rules' (``shape_query``)."""

import gast
import numpy as np
import pytest

from srcgrad import runtime
from srcgrad.ir import Source, bind_op, called, name, shape_query
from srcgrad.passes.codegen import to_source
from srcgrad.passes.reverse.instantiate import (
    instance,
    is_fresh,
    shape_query_call,
    with_known_shapes,
)
from srcgrad.passes.shapes import SCALAR
from srcgrad.rules import registry


def expr(text):
    return gast.parse(text, mode="eval").body


def code(node):
    return to_source(gast.Module(body=[gast.Expr(value=node)], type_ignores=[])).strip()


@pytest.mark.parametrize("text, query", [
    ("np.shape(x)", ("shape", "x")), ("np.size(x)", ("size", "x")),
    ("np.ndim(x)", ("ndim", "x")), ("len(x)", ("len", "x")),
    ("np.sum(x)", None), ("np.shape(x + y)", None), ("unbroadcast(g, x)", None),
])
def test_shape_queries_are_found_through_the_rules(text, query):
    assert shape_query(expr(text)) == query


@pytest.mark.parametrize("kind, text", [("shape", "np.shape(x)"), ("len", "len(x)")])
def test_a_shape_query_is_written_by_its_rule_name(kind, text):
    assert code(shape_query_call(kind, "x")) == text


def test_calls_resolve_to_helpers_numpy_and_builtins():
    assert called(expr("unbroadcast(g, x)")) is runtime.unbroadcast
    assert called(expr("np.linalg.inv(a)")) is np.linalg.inv
    assert called(expr("len(x)")) is len
    assert called(expr("x.sum()")) is None


@pytest.mark.parametrize("text, fresh", [
    ("g * x", True), ("unindex(g, x, i)", True), ("spread(g, s)", True),
    ("unbroadcast(g * x, x)", True), ("unbroadcast(g, x)", False), ("g", False),
    ("add_at(dx, i, g)", False), ("np.transpose(g)", False),
])
def test_fresh_results_come_from_the_helpers_declarations(text, fresh):
    assert is_fresh(expr(text)) is fresh


@pytest.mark.parametrize("operand, text", [
    ((3, 4), "g"), ((4,), "np.sum(g, axis=0)"), ((3, 1), "np.sum(g, axis=1, keepdims=True)"),
    (SCALAR, "np.sum(g, axis=(0, 1))"), (None, "unbroadcast(g, x)"),
])
def test_a_sum_down_to_a_known_shape_is_written_out(operand, text):
    shapes = {"x": operand} if operand is not None else {}
    assert code(with_known_shapes(expr("unbroadcast(g, x)"), (3, 4), shapes)) == text


def test_a_known_shape_is_written_as_its_value():
    assert code(with_known_shapes(expr("np.shape(x)"), None, {"x": (2, 5)})) == "(2, 5)"
    assert code(with_known_shapes(expr("np.size(x)"), None, {"x": (2, 5)})) == "10"


def test_an_instance_gives_each_operands_adjoint_independently_of_any_walk():
    stmt = gast.parse("z = a * b").body[0]
    op = bind_op(registry.lookup("*"), [name("a"), name("b")], {})
    shapes = {"z": (3, 4), "a": (3, 4), "b": (4,)}
    call = instance(stmt, op, Source("<test>"), shapes, g=name("dz"), ans=name("z"))
    assert code(call.adjoint("x1")) == "dz * b"
    assert code(call.adjoint("x2")) == "np.sum(dz * a, axis=0)"


def test_the_concatenation_rule_is_found_by_its_property():
    concatenation = registry.on_sequences(registry.lookup("+"))
    assert concatenation is not None and concatenation.concatenates
    assert registry.on_sequences(registry.lookup(np.add)) is None
