"""Calls to the user's own functions, which srcgrad differentiates by inlining them."""

import functools

import numpy as np

import srcgrad
from corpus import helpers
from corpus.helpers import power_sum, shifted_square, sigmoid, two_outputs

SQUARE = lambda v: v * v


def calls_twice(x, w):
    return np.sum(sigmoid(x * w) + sigmoid(x + w) * x)


def uses_other_modules_global(x):
    return np.sum(shifted_square(x) * x)


def module_attribute_call(x):
    return np.sum(helpers.shifted_square(x) * np.cos(x))


def helper_with_loop_and_default(x):
    return power_sum(x) + power_sum(x * 2.0, p=0.5)


def keyword_call(x):
    return power_sum(v=x, p=2.0)


def tuple_returning_helper(x):
    a, b = two_outputs(x)
    return np.sum(a * b)


def same_local_names(x):
    z = x * 3.0
    h = sigmoid(z)
    return np.sum(h * z)


def outer_helper(v):
    return sigmoid(v) * shifted_square(v)


def nested_helpers(x):
    return np.sum(outer_helper(x))


def helper_in_loop(xs, w):
    acc = 0.0
    for x in xs:
        acc = acc + np.sum(sigmoid(x * w))
    return acc


def lambda_global(x):
    return np.sum(SQUARE(x) * x)


def factorial_power(n, x):
    if n == 0:
        return x
    return factorial_power(n - 1, x) * x


def recursive(x):
    return np.sum(factorial_power(3, x))


def lstm_cell(x, h, c, w, u, b):
    n = h.shape[0]
    z = x @ w + h @ u + b
    i = sigmoid(z[:n])
    f = sigmoid(z[n:2 * n])
    o = sigmoid(z[2 * n:3 * n])
    g = np.tanh(z[3 * n:])
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, c


def lstm_with_cell(w, u, b, xs, h0, c0):
    h = h0
    c = c0
    for x in xs:
        h, c = lstm_cell(x, h, c, w, u, b)
    return np.sum(h ** 2) + np.sum(c)


def closure_reads_outer(x, w):
    scale = np.sum(w)

    def step(v):
        return np.tanh(v * scale)

    h = x
    for _ in range(2):
        h = step(h)
    return np.sum(h)


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, x):
        return np.sum(x * x) * self.scale


MODEL = Model(3.0)


def doubled(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2.0 * fn(x)
    return wrapper


@doubled
def doubled_total(x):
    return np.sum(x * x)


def calls_decorated(x):
    return doubled_total(x) + np.sum(x)


def cube_sum(x):
    return np.sum(x ** 3)


cube_sum_grad = srcgrad.grad(cube_sum)


def calls_a_gradient(x):
    return np.sum(cube_sum_grad(x))


def _layer(x, *ws, scale=1.0, **options):
    for w in ws:
        x = np.tanh(x * w)
    return x * scale + options.get("shift", 0.0)


def helper_with_varargs(x):
    return np.sum(_layer(x, 2.0, x[0], scale=0.5, shift=x[1]))


def starred_call_of_known_items(x):
    ws = (x[0], 2.0)
    options = {"scale": 2.0}
    return np.sum(_layer(x, *ws, **options)) + np.sum(x * np.ones(*(3,)))


def _scaled_by(k):
    def scaled(v):
        return v * k
    return scaled


HALF, DOUBLE = _scaled_by(0.5), _scaled_by(2.0)


def two_closures_of_one_factory(x):
    return np.sum(HALF(x) * DOUBLE(x))


def function_in_a_variable(x):
    act = np.tanh
    acts = [np.sin, np.cos]
    return np.sum(act(x) + acts[0](x) * acts[1](x))


def _power(v, p=2.0):
    return v ** p


CUBE = functools.partial(_power, p=3.0)


def partial_function(x):
    return np.sum(CUBE(x))


class _Layer:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        return np.tanh(x * self.w)


LAYERS = [_Layer(0.5), _Layer(np.array([1.0, 2.0, -1.0]))]


def loop_over_layer_objects(x):
    for layer in LAYERS:
        x = layer.forward(x)
    total = 0.0
    for fn in (np.sin, np.cos):
        total = total + np.sum(fn(x))
    return total


class _Model:
    def __init__(self):
        self.layers = [_Layer(0.5), _Layer(1.5)]

    def loss(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return np.sum(x * x)


MODEL_OF_LAYERS = _Model()


def with_nonlinearity(x, W, nonlinearity=np.tanh):
    return np.sum(nonlinearity(x @ W))


def _shifted_square(x):
    def square(v):  # an inner def: each call of the helper has it under a name of its own
        return v * v
    return square(x) + 1.0


def helper_with_an_inner_def_called_twice(x):
    return np.sum(_shifted_square(x) * _shifted_square(2.0 * x))
