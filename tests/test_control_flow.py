"""Control flow (if/else, conditional expressions, while, break, continue, early returns),
checked against central differences and autograd (which follows Python's control flow)."""

import numpy as np
import pytest
from corpus import control
from corpus.support import assert_grads_close, autograd_grads, numeric_grads, srcgrad_grads

import srcgrad


def _values(*values):
    return lambda: tuple(np.asarray(v, dtype=float) if isinstance(v, list) else v
                         for v in values)


X = [0.4, -0.3, 0.7]
NEGATIVE = [-0.4, -0.3, 0.2]
CASES = [
    (control.branch_on_data, _values(X, 1), 0),
    (control.branch_on_data, _values(X, -1), 0),
    (control.branch_on_value, _values(X), 0),
    (control.branch_on_value, _values(NEGATIVE), 0),
    (control.if_without_else, _values(X, [0.5, 0.2, 0.1]), (0, 1)),
    (control.if_without_else, _values(X, [-0.5, 0.2, 0.1]), (0, 1)),
    (control.nested_ifs, _values(X, 2.0), (0, 1)),
    (control.nested_ifs, _values(X, 0.5), (0, 1)),
    (control.nested_ifs, _values(X, -0.5), (0, 1)),
    (control.branch_in_loop, _values(X, [0.9, 1.1, -0.8]), (0, 1)),
    (control.branch_reads_before_assignment, _values(X), 0),
    (control.branch_reads_before_assignment, _values([-0.4, -0.3, -0.2]), 0),
    (control.conditional_expression, _values(X), 0),
    (control.conditional_expression, _values(NEGATIVE), 0),
    (control.while_grows, _values(X), 0),
    (control.while_never_runs, _values(X), 0),
    (control.while_with_break, _values(X), 0),
    (control.for_with_break, _values(X, [1.5, 1.2, 0.9]), (0, 1)),
    (control.for_with_break, _values(X, [0.1, 0.2, 0.1]), (0, 1)),
    (control.break_at_first_step, _values(X), 0),
    (control.for_with_continue, _values([[0.1, 0.2], [0.3, 0.4], [0.5, -0.6]], [0.7, 0.8]),
     (0, 1)),
    (control.return_in_branch, _values(X), 0),
    (control.return_in_branch, _values(NEGATIVE), 0),
    (control.return_in_loop, _values(X), 0),
    (control.return_in_loop, _values([0.01, 0.02, 0.01]), 0),
    (control.carried_through_branches, _values(X, [0.3, -0.9, 0.5]), (0, 1)),
    (control.while_in_for_every_step, _values(X), 0),
    (control.assigned_in_one_branch_loop_in_other, _values([-1.0, 0.5], [1.0, 1.0]), (0, 1)),
    (control.assigned_in_one_branch_loop_in_other, _values([1.0, 0.5], [1.0, 1.0]), (0, 1)),
    (control.defined_in_branch_used_in_loop, _values([0.5, 0.4], [1.0, 1.0]), (0, 1)),
    (control.maybe_assigned_nested_ifs, _values([0.5, 0.2], [0.7, 0.2]), (0, 1)),
    (control.overwritten_in_sibling_if, _values([-0.5, 0.2], [0.7, 0.2]), (0, 1)),
    (control.dead_in_nested_if, _values(X, [0.3, -0.1, 0.2]), (0, 1)),
    (control.maybe_assigned_nested_ifs, _values([0.5, 0.2], [-0.5, 0.2]), (0, 1)),
    (control.defined_in_branch_used_in_loop, _values([0.1, 0.2], [1.0, 1.0]), (0, 1)),
    (control.update_then_break, _values([0.5, 0.4, 0.3], [0.3, 0.4, 0.5]), (0, 1)),
    (control.update_then_break, _values([0.2, 0.1, 0.3], [0.3, 0.4, 0.6]), (0, 1)),
    (control.while_in_for, _values([0.3, 0.2, 0.1], [1.5, 1.2, 1.1]), (0, 1)),
    (control.if_in_while_in_for, _values([[0.05, 0.02], [-1.2, 0.9], [0.5, -0.4]], [0.7, 0.4]),
     (0, 1)),
    (control.overwritten_in_sibling_if, _values([0.5, 0.2], [0.7, 0.2]), (0, 1)),
    (control.append_then_break, _values(X), 0),
    (control.update_in_branch_then_break, _values(X), 0),
    (control.checks_its_input, _values(X, 2.0), (0, 1)),
    (control.raises_in_a_loop, _values(X), 0),
    (control.warnings_silenced, _values([0.4, 0.0, -1.3]), 0),
]
IDS = [f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_matches_central_differences(fn, make, wrt):
    args = make()
    assert_grads_close(srcgrad_grads(fn, args, wrt), numeric_grads(fn, args, wrt), rtol=1e-5,
                       atol=1e-6, what=fn.__name__)




@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_matches_autograd(fn, make, wrt):
    args = make()
    assert_grads_close(srcgrad_grads(fn, args, wrt), autograd_grads(fn, args, wrt), rtol=1e-9,
                       atol=1e-12, what=fn.__name__)


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_value_and_grad_returns_the_value(fn, make, wrt):
    args = make()
    value, _ = srcgrad.value_and_grad(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)


def test_value_and_grad_value_after_a_break():
    a, b = np.array([0.5, 0.4, 0.3]), np.array([0.3, 0.4, 0.5])
    value, _ = srcgrad.value_and_grad(control.update_then_break, wrt=1)(a, b)
    assert value == pytest.approx(control.update_then_break(a, b), rel=1e-12)


def test_a_check_that_raises_raises_from_the_gradient_too():
    gradient = srcgrad.grad(control.checks_its_input, wrt=(0, 1))
    with pytest.raises(ValueError, match="must be a vector, not 2-d"):
        gradient(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="scale must be positive"):
        gradient(np.ones(2), -1.0)
    with pytest.raises(FloatingPointError, match=r"x\[1\] is not finite"):
        srcgrad.grad(control.raises_in_a_loop)(np.array([1.0, np.inf]))
