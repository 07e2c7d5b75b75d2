"""The tape plan (srcgrad/passes/reverse/tape.py): what the forward code keeps for the backward
code, read off the statements once the backward walk has planned it."""

import numpy as np
from corpus.support import normalized

from srcgrad import ir
from srcgrad.ir import facts
from srcgrad.passes.analysis import activity, rename
from srcgrad.passes.codegen import to_source
from srcgrad.passes.reverse import Reverser, uses_tape, with_pushes


def planned(fn, wrt):
    """``(walker, {statement source: statement})`` after the backward walk over ``fn``."""
    parsed, fdef, namer = normalized(fn)
    fdef, _ = rename(fdef, namer, set(wrt))
    forward, result = fdef.body[:-1], fdef.body[-1].value.id
    params = {a.id for a in fdef.args.args}
    walker = Reverser(activity(fdef, list(wrt), parsed.source), namer, parsed.source,
                      ir.assigned_in(forward) | params)
    walker.seed(result, ir.constant(1.0))
    walker.block(forward)
    statements = {to_source(s).strip().splitlines()[0]: s for s in ir.walk_statements(forward)}
    return walker, forward, statements


def pushes(statements):
    return {text: facts(s).pushes for text, s in statements.items() if facts(s).pushes}


def running_bias(x, b, n):
    s = 0.0
    for t in range(n):
        b = b * 2.0
        s = s + np.sum(x + b)
    return s


def test_a_loop_pushes_what_its_later_steps_overwrite_as_one_tuple():
    walker, _, statements = planned(running_bias, ("b",))
    # the adjoints read only shapes (un-broadcasting): shapes are taped, after the step's
    # last statement, as one tuple
    assert pushes(statements) == {"b_2 = b_1 * 2.0": ["b_1_shape"],
                                  "s_3 = s + s_2": ["b_1_shape", "s_1_shape", "s_shape",
                                                    "s_2_shape"]}
    assert walker.plan.shape_of["b_1_shape"] == "b_1"
    assert not walker.plan.lengths


def appended(x, n):
    xs = []
    for t in range(n):
        xs.append(x * t)
    return np.sum(xs[0])


def test_a_list_grown_in_a_loop_tapes_its_length():
    walker, forward, statements = planned(appended, ("x",))
    assert pushes(statements) == {"xs_2 = xs + [xs_1]": ["xs_len"]}
    assert walker.plan.lengths == {"xs_len"}
    code = "\n".join(to_source(s) for s in with_pushes(forward, walker.plan))
    assert "tape.append(len(xs))" in code


def tanh_steps(h, w, n):
    for t in range(n):
        h = np.tanh(h * w)
    return np.sum(h)


def test_an_elementwise_function_of_a_carried_value_is_computed_again():
    _, _, statements = planned(tanh_steps, ("h", "w"))
    # np.tanh(h_1) is not taped: the backward loop computes it again from its operand
    assert "h_1" not in {v for push in pushes(statements).values() for v in push}


def rows(xs, w):
    total = 0.0
    for t in range(xs.shape[0]):
        row = xs[t]
        total = total + np.sum(row * w)
    return total


def test_a_row_of_an_array_the_loop_keeps_is_read_again_not_taped():
    _, _, statements = planned(rows, ("w",))
    assert all("row" not in push for push in pushes(statements).values())


def overwrite(x, v):
    y = x * 1.0
    y[0] = v
    return np.sum(y * y)


def test_a_write_tapes_the_values_it_overwrites():
    walker, forward, statements = planned(overwrite, ("x", "v"))
    assert facts(statements["y[0] = v"]).saves_slot
    assert uses_tape(forward)
    code = "\n".join(to_source(s) for s in with_pushes(forward, walker.plan))
    assert "tape.append(np.copy(y[0]))" in code


def straight(x, w):
    return np.sum(np.tanh(x * w))


def test_straight_line_code_keeps_everything_alive_and_tapes_nothing():
    _, forward, statements = planned(straight, ("w",))
    assert not pushes(statements)
    assert not uses_tape(forward)
