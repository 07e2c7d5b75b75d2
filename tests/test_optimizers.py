"""srcgrad.optimizers: SGD, momentum and Adam converge, on any structure of parameters."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest

from srcgrad.errors import SrcgradError
from srcgrad.optimizers import SGD, Adam, Momentum, StructureError, tree_leaves, tree_map

OPTIMIZERS = {
    "sgd": lambda: SGD(lr=0.1),
    "momentum": lambda: Momentum(lr=0.05),
    "nesterov": lambda: SGD(lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda: Adam(lr=0.05),
}

# A badly scaled quadratic, f(x) = 0.5 * sum(a * (x - target)**2), and its gradient.
A = np.array([1.0, 3.0, 0.5, 2.0])
TARGET = np.array([1.0, -2.0, 0.5, 3.0])


def quad_grad(x):
    return A * (x - TARGET)


def run(opt, params, grad_fn, steps=500):
    for _ in range(steps):
        params = opt.step(params, grad_fn(params))
    return params


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_converges_on_a_quadratic(name):
    x = run(OPTIMIZERS[name](), np.zeros(4), quad_grad)
    np.testing.assert_allclose(x, TARGET, atol=1e-3)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_dict_list_tuple_and_nested(name):
    Pair = namedtuple("Pair", "w b")
    params = {
        "layer": [np.zeros((2, 2)), (np.zeros(3), Pair(np.zeros(1), np.zeros(2)))],
        "scale": np.zeros(()),
    }
    targets = tree_map(lambda p: np.full(np.shape(p), 2.0), params)

    def grads_of(ps):
        return tree_map(lambda p, t: p - t, ps, targets)

    out = run(OPTIMIZERS[name](), params, grads_of)
    # Same structure, same types, and every leaf at its target.
    assert isinstance(out, dict) and list(out) == ["layer", "scale"]
    assert isinstance(out["layer"], list) and isinstance(out["layer"][1], tuple)
    assert isinstance(out["layer"][1][1], Pair)
    for leaf, target in zip(tree_leaves(out), tree_leaves(targets)):
        assert np.shape(leaf) == np.shape(target)
        np.testing.assert_allclose(leaf, target, atol=1e-3)


def test_tuple_of_arrays_as_grad_returns():
    # The way the examples use it: params and grads are tuples in `wrt` order.
    W, b = np.ones((3, 2)), np.ones(2)
    W2, b2 = SGD(lr=0.5).step((W, b), (np.ones((3, 2)), 2 * np.ones(2)))
    np.testing.assert_allclose(W2, 0.5)
    np.testing.assert_allclose(b2, 0.0)


def test_single_array():
    x = SGD(lr=0.1).step(np.array([1.0, 2.0]), np.array([10.0, 10.0]))
    np.testing.assert_allclose(x, [0.0, 1.0])


def test_does_not_modify_inputs():
    params = [np.ones(3)]
    grads = [np.ones(3)]
    opt = Adam(lr=0.1)
    opt.step(params, grads)
    opt.step(params, grads)
    np.testing.assert_array_equal(params[0], 1.0)
    np.testing.assert_array_equal(grads[0], 1.0)


def test_sgd_step_exact():
    (x,) = SGD(lr=0.25).step((np.array([1.0]),), (np.array([2.0]),))
    assert x == pytest.approx(0.5)


def test_momentum_accumulates():
    opt = Momentum(lr=1.0, momentum=0.5)
    x = np.array([0.0])
    x = opt.step(x, np.array([1.0]))   # v = 1
    x = opt.step(x, np.array([1.0]))   # v = 1.5
    assert x[0] == pytest.approx(-2.5)


def test_adam_first_step_is_lr_times_sign():
    # With bias correction, Adam's first step is lr * g / |g| for every coordinate.
    x = Adam(lr=0.01).step(np.zeros(3), np.array([1e-3, -5.0, 100.0]))
    np.testing.assert_allclose(x, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_dtype_preserved():
    params = (np.ones(3, np.float32), np.ones((2, 2), np.float32))
    grads = (np.ones(3, np.float64), np.ones((2, 2), np.float32))
    for opt in (SGD(0.1), Momentum(0.1), Adam(0.1)):
        out = opt.step(params, grads)
        assert all(p.dtype == np.float32 for p in out)


def test_none_gradient_leaves_parameter():
    params = {"a": np.ones(2), "b": np.ones(2)}
    out = Adam(lr=0.1).step(params, {"a": None, "b": np.ones(2)})
    np.testing.assert_array_equal(out["a"], 1.0)
    assert np.all(out["b"] < 1.0)


def test_ordered_dict_kept():
    params = OrderedDict(z=np.zeros(1), a=np.zeros(1))
    out = SGD(0.1).step(params, OrderedDict(z=np.ones(1), a=np.ones(1)))
    assert type(out) is OrderedDict and list(out) == ["z", "a"]


@pytest.mark.parametrize("grads, message", [
    ((np.ones(2),), "tuple of length 2"),
    ((np.ones(2), np.ones(3)), "shape"),
    ([np.ones(2), {"x": 1}], "leaf"),
])
def test_structure_mismatch(grads, message):
    with pytest.raises(StructureError, match=message):
        SGD(0.1).step((np.ones(2), np.ones(2)), grads)


def test_dict_keys_mismatch():
    with pytest.raises(StructureError, match="keys"):
        Adam().step({"a": np.ones(1)}, {"b": np.ones(1)})


def test_state_tied_to_structure():
    opt = Adam()
    opt.step((np.ones(1), np.ones(1)), (np.ones(1), np.ones(1)))
    with pytest.raises(StructureError):
        opt.step((np.ones(1), np.ones(1), np.ones(1)), (np.ones(1),) * 3)
    opt.reset()
    opt.step((np.ones(1), np.ones(1), np.ones(1)), (np.ones(1),) * 3)
    assert opt.t == 1


def test_structure_error_is_a_srcgrad_error():
    assert issubclass(StructureError, SrcgradError)


@pytest.mark.parametrize("make", [lambda: SGD(lr=0), lambda: Adam(lr=-1),
                                  lambda: SGD(0.1, momentum=1.0)])
def test_bad_hyperparameters(make):
    with pytest.raises(ValueError):
        make()


def test_weight_decay_pulls_towards_zero():
    x = run(SGD(lr=0.1, weight_decay=1.0), np.ones(2), lambda p: np.zeros(2), steps=200)
    np.testing.assert_allclose(x, 0.0, atol=1e-6)


def test_learning_rate_can_change():
    opt = SGD(lr=1.0)
    x = opt.step(np.zeros(1), np.ones(1))
    opt.lr = 0.5
    x = opt.step(x, np.ones(1))
    assert x[0] == pytest.approx(-1.5)


def test_tree_map_and_leaves():
    tree = {"a": [1, 2], "b": (3, {"c": 4})}
    assert tree_leaves(tree) == [1, 2, 3, 4]
    assert tree_map(lambda x, y: x + y, tree, tree) == {"a": [2, 4], "b": (6, {"c": 8})}


def test_with_srcgrad_gradients():
    # End to end with a gradient from srcgrad: a least-squares fit.
    from srcgrad import grad

    def loss(w, b, x, y):
        return np.mean((x @ w + b - y) ** 2)

    loss_grad = grad(loss, wrt=("w", "b"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    y = x @ w_true + 0.3
    params = (np.zeros(3), np.zeros(()))
    opt = Adam(lr=0.05)
    for _ in range(1000):
        params = opt.step(params, loss_grad(*params, x, y))
    np.testing.assert_allclose(params[0], w_true, atol=1e-3)
    assert float(params[1]) == pytest.approx(0.3, abs=1e-3)
