"""Objects and functions passed as arguments (not defaults, not self): a model whose layers
are looped over, an activation function, layers zipped with their parameters."""

import numpy as np


class Dense:
    def __init__(self, activation=np.tanh):
        self.activation = activation

    def forward(self, W, x):
        return self.activation(x @ W)


class Sequential:
    def __init__(self, layers):
        self.layers = layers


def layers_zipped_with_params(params, x, model):
    for layer, W in zip(model.layers, params):
        x = layer.forward(W, x)
    return np.sum(x ** 2)


def layers_enumerated(params, x, model):
    for i, layer in enumerate(model.layers):
        x = layer.forward(params[i], x)
    return np.sum(x ** 2)


def activation_argument(x, act):
    return np.sum(act(x) ** 2)


def over_dict_keys(d, x):
    total = 0.0
    for k in d:
        total = total + np.sum(d[k] * x)
    return total


def comprehension_over_dict(d, x):
    return sum(np.sum(d[k] ** 2 * x) for k in d)
