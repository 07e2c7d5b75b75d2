"""Code written for autograd: its NumPy wrapper is NumPy to srcgrad."""

import autograd.numpy as np
import autograd.numpy.random as npr


def mlp_loss(W, x):
    h = np.tanh(np.dot(x, W))
    return np.sum(h ** 2) + np.linalg.norm(W)


def with_noise(W):
    return np.sum(W * npr.randn(3, 2) * 0.0 + W)
