"""For loops: range with any bounds, rows of an array, enumerate, zip, nesting, carried state."""

import numpy as np
import pytest
from corpus import loops, models, writes
from corpus.support import (
    assert_grads_close,
    autograd_grads,
    normal,
    numeric_grads,
    positions,
    srcgrad_grads,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import srcgrad


def _arrays(*shapes, extra=()):
    def make(rng):
        return tuple(normal(rng, *s) for s in shapes) + tuple(extra)
    return make


def _small(*shapes):
    """Arrays with entries in [-0.9, 0.9]: keeps repeated products well conditioned."""
    return lambda rng: tuple(rng.uniform(-0.9, 0.9, size=s) for s in shapes)


CASES = [
    (loops.power_by_loop, _arrays((3,)), 0),
    (loops.accumulate_scaled, _arrays((3,), extra=(4,)), 0),
    (loops.sum_over_steps, _arrays((4, 3), (3,)), (0, 1)),
    (loops.start_stop_step, _arrays((6,)), 0),
    (loops.backwards_range, _arrays((5,)), 0),
    (loops.over_rows, _arrays((4, 3), (3,)), (0, 1)),
    (loops.over_rows_wrt_sequence, _arrays((3, 2)), 0),
    (loops.with_enumerate, _arrays((3, 2), (2,)), (0, 1)),
    (loops.with_zip, _arrays((3, 2), (3, 2), (2,)), (0, 1, 2)),
    (loops.nested, _arrays((2, 3), (4,)), (0, 1)),
    (loops.nested_accumulators, _arrays((3, 4)), 0),
    (loops.assigned_twice_per_step, _arrays((3,), (3,)), (0, 1)),
    (loops.read_before_and_after_reassignment, _small((3,), (3,)), (0, 1)),
    (loops.zero_iterations, _arrays((3,), extra=(0,)), 0),
    (loops.zero_iterations, _arrays((3,), extra=(2,)), 0),
    (loops.last_value_after_loop, _arrays((3,)), 0),
    (loops.carried_and_data, _arrays((3, 3), (4, 3)), 0),
    (loops.loop_then_straight, _arrays((3,)), 0),
    (loops.two_loops, _small((3,), (3,)), (0, 1)),
    (loops.swap_in_loop, _small((3,), (3,)), (0, 1)),
    (loops.augmented_in_loop, _arrays((3,), (3,)), (0, 1)),
    (loops.param_reassigned_in_loop, _small((3,)), 0),
    (loops.sigmoid_of_param_in_loop, _small((3,), (3,)), (0, 1)),
    (loops.square_of_param_in_loop, _small((3,)), 0),
    (loops.matrix_power_loop, _small((3, 3), (3,)), (0, 1)),
    (loops.constant_factor, _arrays((3,)), 0),
    (loops.for_else, _arrays((3,)), 0),
    (loops.delayed_dependency, _arrays((3,), (3,)), (0, 1)),
    (loops.growing_shape, _small((1, 3), (2, 1)), (0, 1)),
    (loops.repeated_index, _arrays((5,), extra=(np.array([0, 1, 1, 4, 1]),)), 0),
    (loops.compound, lambda rng: (0.05, 10), 0),
    (loops.index_used_after_loop, _arrays((3,)), 0),
    (loops.over_list_of_params, _arrays((3,), (3,), (3,)), (0, 1, 2)),
    (loops.index_after_empty_loop, _arrays((3,)), 0),
    (loops.over_transpose, _arrays((3, 2), (3,)), (0, 1)),
    (loops.over_slice, _arrays((3, 2)), 0),
    (loops.zip_three, _arrays((3, 2), (3, 2), (3, 2)), (0, 1, 2)),
    (loops.range_len, _arrays((3, 2), (2,)), (0, 1)),
    (loops.loop_target_shadows_param, _arrays((3,), extra=(5,)), 0),
    (loops.rebinds_loop_item, _arrays((3, 2)), 0),
    (loops.same_array_twice_in_zip, _arrays((3, 2)), 0),
    (loops.nested_same_index, _arrays((4,)), 0),
    (loops.sequence_rebound_in_body, _arrays((3, 2)), 0),
    (loops.enumerate_sequence_rebound, _arrays((4,)), 0),
    (loops.sequence_changed_in_place, _arrays((4,)), 0),
    (writes.rows_in_loop, _arrays((4, 2), (2, 3)), (0, 1)),
    (writes.rows_from_lists, _arrays((3,)), 0),
    (loops.loop_variable_held_an_array, _arrays((3,)), 0),
    (loops.shape_changes_in_loop, _small((2, 3), (2, 1)), (0, 1)),
    (loops.shape_changes_in_nested_loop, _small((2, 3), (2, 1)), (0, 1)),
    (models.rnn, _small((2, 3), (3, 3), (3,), (4, 2), (3,)), (0, 1, 2, 4)),
    (models.lstm, _small((2, 12), (3, 12), (12,), (4, 2), (3,), (3,)), (0, 1, 2, 3, 4, 5)),
]
IDS = [f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)]
NOT_FOR_AUTOGRAD = {"augmented_in_loop", "rows_in_loop",  # in-place ops on boxes
                    "sequence_changed_in_place", "rows_from_lists"}


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_matches_central_differences(fn, make, wrt):
    args = make(np.random.default_rng(0))
    assert_grads_close(srcgrad_grads(fn, args, wrt), numeric_grads(fn, args, wrt), rtol=1e-5,
                       atol=1e-6, what=fn.__name__)


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_matches_autograd(fn, make, wrt):
    if fn.__name__ in NOT_FOR_AUTOGRAD:
        pytest.skip("autograd cannot trace this function")
    args = make(np.random.default_rng(1))
    assert_grads_close(srcgrad_grads(fn, args, wrt), autograd_grads(fn, args, wrt), rtol=1e-9,
                       atol=1e-12, what=fn.__name__)


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_value_and_grad_returns_the_value(fn, make, wrt):
    args = make(np.random.default_rng(2))
    value, grads = srcgrad.value_and_grad(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    expected = srcgrad.grad(fn, wrt=wrt)(*args)
    for got, want in zip(grads if isinstance(wrt, tuple) else [grads],
                         expected if isinstance(wrt, tuple) else [expected]):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_float32_stays_float32(fn, make, wrt):
    args = make(np.random.default_rng(3))
    if not all(isinstance(args[p], np.ndarray) for p in positions(fn, wrt)):
        pytest.skip("differentiates a Python float")
    single = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
              else a for a in args]
    got = srcgrad_grads(fn, single, wrt)
    reference = srcgrad_grads(fn, args, wrt)
    for arg, g, r in zip([single[p] for p in positions(fn, wrt)], got, reference):
        assert g.dtype == np.float32 and g.shape == arg.shape
        np.testing.assert_allclose(g, r, rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("fn", [loops.vector_output, loops.loop_output])
def test_vjp_of_loops_with_array_outputs(fn):
    rng = np.random.default_rng(4)
    x = rng.uniform(-0.9, 0.9, size=3)
    seed = rng.standard_normal(3)
    assert_grads_close([srcgrad.vjp(fn)(x, seed=seed)], numeric_grads(fn, [x], 0, seed=seed))


def test_python_float_through_a_loop():
    got = srcgrad.grad(loops.compound)(0.05, 10)
    assert type(got) is float
    assert got == pytest.approx(10 * 1.05 ** 9, rel=1e-12)


@pytest.mark.parametrize("fn", [loops.broadcast_accumulator, loops.growing_shape])
@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_loop_carried_broadcasting_any_shapes(fn, shapes, seed):
    rng = np.random.default_rng(seed)
    args = [rng.uniform(-1.0, 1.0, size=s) for s in shapes.input_shapes]
    got = srcgrad_grads(fn, args, (0, 1))
    assert_grads_close(got, autograd_grads(fn, args, (0, 1)), rtol=1e-9, atol=1e-12,
                       what=fn.__name__)


@settings(max_examples=30, deadline=None)
@given(start=st.integers(-5, 5), stop=st.integers(-6, 6),
       step=st.integers(-3, 3).filter(lambda s: s != 0))
def test_range_with_any_bounds(start, stop, step):
    x = np.linspace(-0.8, 0.9, 6)
    args = [x, start, stop, step]
    assert_grads_close(srcgrad_grads(loops.any_range, args, 0),
                       autograd_grads(loops.any_range, args, 0), rtol=1e-9, atol=1e-12)
    value, _ = srcgrad.value_and_grad(loops.any_range)(*args)
    assert value == pytest.approx(loops.any_range(*args), rel=1e-12)


def test_a_list_built_in_a_loop_is_taped_by_its_length():
    from corpus.containers import append_then_stack

    g = srcgrad.grad(append_then_stack, wrt=(0, 1))
    x, w = np.array([0.3, -0.2, 0.5]), np.array([1.5, 0.5, -1.0])
    got = g(x, w)
    assert "len(hs)" in g.source and "tape.append((h, hs))" not in g.source, g.source
    assert_grads_close(list(got), numeric_grads(append_then_stack, [x, w], (0, 1)))


def cell_loop(x, w):
    c = x
    total = 0.0
    for t in range(4):
        z = w * c
        c = c * 0.5 + np.sin(z)
        h = np.tanh(c)
        total = total + np.sum(h * w)
    return total


def test_a_function_of_a_carried_value_is_computed_again_not_taped():
    g = srcgrad.grad(cell_loop, wrt=(0, 1))
    x, w = np.array([0.3, -0.2, 0.5]), np.array([1.5, 0.5, -1.0])
    got = g(x, w)
    backward = g.source.split("reversed(")[1]
    assert "h = np.tanh(c)" in backward, g.source  # from the popped c
    code = [line for line in backward.splitlines() if not line.strip().startswith("#")]
    assert not any("= np.sin(z)" in line for line in code)  # z is not carried: sin(z) is not
    assert_grads_close(list(got), numeric_grads(cell_loop, [x, w], (0, 1)))
    generic = srcgrad_grads(cell_loop, [x, w], (0, 1))
    assert_grads_close(generic, list(got), rtol=1e-12, atol=1e-14)


def carried_both(x, w):
    c = x
    h = np.tanh(x)
    total = 0.0
    for t in range(4):
        total = total + np.sum(h * w)  # the previous step's h
        c = c * w + 0.1
        h = np.tanh(c)
    return total


def test_a_function_of_a_carried_value_that_is_itself_carried_stays_on_the_tape():
    x, w = np.array([0.3, -0.2, 0.5]), np.array([1.5, 0.5, -1.0])
    got = srcgrad_grads(carried_both, [x, w], (0, 1))
    assert_grads_close(got, numeric_grads(carried_both, [x, w], (0, 1)))


def rows_of_input(xs, w):
    h = np.zeros(w.shape[1])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w + h)
    return np.sum(h * h)


def rows_of_changing(xs, w):
    a = xs
    h = np.zeros(w.shape[1])
    for t in range(xs.shape[0]):
        row = a[t]
        h = np.tanh(row @ w + h)
        a = a * 0.9  # the array the rows come from changes in the loop
    return np.sum(h * h)


def rows_in_nested_loops(xs, w):
    total = 0.0
    a = xs
    for k in range(2):
        a = a * 0.5  # the array changes in the outer loop
        for t in range(a.shape[0]):
            total = total + np.sum(np.tanh(a[t] @ w))
    return total


@pytest.mark.parametrize("fn, reread", [(rows_of_input, True), (rows_of_changing, False),
                                        (rows_in_nested_loops, False)])
def test_rows_of_an_array_the_loops_do_not_change_are_read_again(fn, reread):
    rng = np.random.default_rng(4)
    xs, w = rng.standard_normal((4, 3)) * 0.5, rng.standard_normal((3, 2)) * 0.5
    g = srcgrad.grad(fn, wrt=(0, 1))
    got = g(xs, w)
    backward = g.source.split("reversed(")[-1]
    read_again = any(line.strip().endswith(("= xs[t]", "= a[t]")) and "#" not in line
                     for line in backward.splitlines())
    assert read_again == reread, g.source
    assert_grads_close(list(got), numeric_grads(fn, [xs, w], (0, 1)))
    assert_grads_close(srcgrad_grads(fn, [xs, w], (0, 1)), list(got), rtol=1e-12, atol=1e-14)
