"""analysis: renaming to single assignment, activity (varied and useful)."""

import operator
from collections import Counter

import gast
import numpy as np
import pytest
from corpus import loops, straight
from corpus.support import compile_tree, renamed

import srcgrad
from passes.test_normalize import FUNCTIONS, IDS, MORE, MORE_IDS, _args, _statements
from srcgrad.errors import NonDifferentiableError
from srcgrad.passes.analysis import activity


def _top_level_targets(fdef) -> Counter:
    counts = Counter()
    for stmt in fdef.body:
        if isinstance(stmt, gast.Assign):
            for node in gast.walk(stmt.targets[0]):
                if isinstance(node, gast.Name):
                    counts[node.id] += 1
    return counts


@pytest.mark.parametrize("fn, shapes", FUNCTIONS + MORE, ids=IDS + MORE_IDS)
def test_renamed_function_computes_the_same(fn, shapes):
    _, fdef, _ = renamed(fn)
    compiled, source = compile_tree(fdef, fn)
    np.testing.assert_allclose(compiled(*_args(shapes)), fn(*_args(shapes)), rtol=1e-13,
                               err_msg=source)


@pytest.mark.parametrize("fn, shapes", FUNCTIONS, ids=IDS)
def test_outside_loops_every_name_is_assigned_once(fn, shapes):
    _, fdef, _ = renamed(fn)
    params = {a.id for a in fdef.args.args}
    counts = _top_level_targets(fdef)
    assert not [n for n, c in counts.items() if c > 1]
    # a name a loop assigns is not also assigned by straight-line code after the loop
    assert not (set(counts) & params)


@pytest.mark.parametrize("fn, shapes", FUNCTIONS, ids=IDS)
def test_loop_names_are_the_names_loops_assign(fn, shapes):
    _, fdef, loop_names = renamed(fn)
    in_loops = set()
    for stmt in fdef.body:
        if isinstance(stmt, gast.For):
            in_loops |= {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)
                         and isinstance(n.ctx, gast.Store)}
    assert loop_names <= in_loops | {s.target.id for s in _statements(fdef.body)
                                     if isinstance(s, gast.For)}


def test_values_kept_for_the_backward_pass_are_not_overwritten():
    # y = x * 2.0 is read by the loop's first iteration and by nothing after: the loop may
    # reuse its name. h = np.tanh(...) reads its result in its adjoint: a later loop that
    # reassigns the variable must give it a new name.
    _, fdef, _ = renamed(loops.loop_then_straight, wrt={"x"})
    compiled, _ = compile_tree(fdef, loops.loop_then_straight)
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(compiled(x), loops.loop_then_straight(x))


# -- activity ---------------------------------------------------------------------------------------

def _activity(fn, wrt):
    parsed, fdef, _ = renamed(fn, wrt)
    return activity(fdef, list(wrt), parsed.source), fdef


@pytest.mark.parametrize("fn, wrt, active, inactive", [
    (straight.data_not_differentiated, ["w"], {"w", "h", "h_1"}, {"x", "scale", "scale_1"}),
    (straight.dead_code, ["x"], {"x"}, {"unused", "also", "y"}),
    (straight.dead_code, ["y"], set(), {"unused", "also", "x"}),
    (straight.comparisons, ["x"], {"x"}, {"mask", "small"}),
    (loops.carried_and_data, ["w"], {"w", "h"}, {"count", "xs"}),
    (loops.delayed_dependency, ["x"], {"x", "a", "b"}, {"y"}),
    (loops.delayed_dependency, ["y"], {"y", "a"}, {"x"}),
])
def test_activity(fn, wrt, active, inactive):
    act, _ = _activity(fn, wrt)
    assert {v for v in active if not act.active(v)} == set()
    assert {v for v in inactive if act.active(v)} == set()


def test_dead_values_are_not_useful_and_data_is_not_varied():
    act, _ = _activity(straight.dead_code, ["x", "y"])
    assert "unused" not in act.useful and "also" not in act.useful
    assert "y" in act.varied and "y" not in act.useful
    act, _ = _activity(straight.data_not_differentiated, ["w"])
    assert "scale" in act.useful and "scale" not in act.varied


def _writes_through_an_unknown_call(x):
    y = x * 2.0
    operator.setitem(y, 0, 5.0)  # a call srcgrad cannot see into, for its effect
    return np.sum(y)


def _prints_a_differentiated_value(x):
    y = x * 2.0
    print("y is", y)
    return np.sum(y)


def test_a_call_kept_for_its_effect_on_a_differentiated_value_is_refused():
    with pytest.raises(NonDifferentiableError, match="operator.setitem.*effect") as info:
        srcgrad.grad(_writes_through_an_unknown_call)(np.ones(3))
    assert info.value.lineno is not None
    np.testing.assert_allclose(srcgrad.grad(_prints_a_differentiated_value)(np.ones(3)),
                               [2.0, 2.0, 2.0])  # print leaves its arguments as they were
