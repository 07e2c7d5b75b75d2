"""Fusions (srcgrad/fuse.py): patterns differentiated as one primitive, as registered with
srcgrad.rules.registry.deffusion (the sigmoid written out, a square written as a product)."""

import numpy as np
from corpus import loops
from corpus.support import assert_grads_close, numeric_grads, srcgrad_grads

import srcgrad


def gate(z):
    return np.sum(1.0 / (1.0 + np.exp(-z)))


def square_and_product(x, y):
    return np.sum(x * x + x * y)


def test_a_written_out_sigmoid_is_one_primitive():
    g = srcgrad.grad(gate)
    z = np.array([-2.0, 0.0, 3.0])
    s = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(g(z), s * (1.0 - s))
    backward = [line for line in g.source.split("# grad of")[1].splitlines()[1:]]
    assert not any("np.exp" in line for line in backward)  # it reads the result only


def test_a_product_of_a_variable_with_itself_is_a_square():
    g = srcgrad.grad(square_and_product, wrt=(0, 1))
    x, y = np.array([0.5, -1.5]), np.array([2.0, 3.0])
    dx, dy = g(x, y)
    np.testing.assert_allclose(dx, 2.0 * x + y)
    np.testing.assert_allclose(dy, x)
    assert "2.0 * " in g.source and g.source.count("dx +=") == 1  # x * y adds the second


def test_fused_operands_follow_the_renaming_of_loop_variables():
    # x = sigmoid(x) * w in a loop: the fused statement's operand is renamed with the loop's
    # version of x; the rule must differentiate that one, not the parameter.
    for fn, shapes, wrt in [(loops.sigmoid_of_param_in_loop, [(3,), (3,)], (0, 1)),
                            (loops.square_of_param_in_loop, [(3,)], 0)]:
        rng = np.random.default_rng(1)
        args = [rng.uniform(-0.9, 0.9, s) for s in shapes]
        assert_grads_close(srcgrad_grads(fn, args, wrt), numeric_grads(fn, args, wrt))
