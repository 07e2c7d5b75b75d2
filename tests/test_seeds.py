"""The seed notes' worked examples, number for number."""

import numpy as np
import pytest
from corpus import models

import srcgrad


def test_product_plus_sine():
    # y = x1·x2 + sin x1 at (2, 3): dy/dx1 = x2 + cos x1 = 3 + cos 2, dy/dx2 = x1 = 2.
    dx1, dx2 = srcgrad.grad(models.seed_scalar, wrt=(0, 1))(2.0, 3.0)
    assert dx1 == pytest.approx(3 + np.cos(2.0), abs=1e-12)
    assert round(dx1, 3) == 2.584
    assert dx2 == pytest.approx(2.0, abs=1e-12)


def test_shared_subexpression():
    # e = a + b, f = e·c + e·d at a=-2, b=5, c=-4, d=2: df/da = df/db = c + d, df/dc = df/dd = e.
    grads = srcgrad.grad(models.seed_graph, wrt=(0, 1, 2, 3))(-2.0, 5.0, -4.0, 2.0)
    assert grads == pytest.approx((-2.0, -2.0, 3.0, 3.0), abs=1e-12)


def test_linear_unit():
    value, grads = srcgrad.value_and_grad(models.seed_linear, wrt=("w", "x", "b"))(2.0, 3.0, 1.0)
    assert value == pytest.approx(7.0)
    assert grads == pytest.approx((3.0, 2.0, 1.0), abs=1e-12)


@pytest.fixture
def net():
    return {"x": np.array([1.0, 0.0]), "w": np.array([[3.0, 2.0], [4.0, 3.0]]),
            "b": np.array([-2.0, -4.0]), "w2": np.array([5.0, -5.0]), "b2": -2.0,
            "target": 1.0}


def test_two_layer_net_prediction(net):
    inputs = {k: v for k, v in net.items() if k != "target"}
    assert models.two_layer_prediction(**inputs) == pytest.approx(0.743, abs=5e-4)
    value = srcgrad.value_and_grad(models.two_layer_net)(**net)[0]
    assert value == pytest.approx(0.5 * (1 - 0.743) ** 2, abs=5e-4)


def test_two_layer_net_output_layer_gradient(net):
    dw2 = srcgrad.grad(models.two_layer_net, wrt="w2")(**net)
    np.testing.assert_allclose(dw2, [-0.0360, -0.00587], rtol=5e-3)


def test_two_layer_net_all_gradients_agree_with_differences(net):
    srcgrad.check_grads(models.two_layer_net, *net.values(), wrt=("w", "b", "w2", "b2"))
