"""MLP 784-256-10 on a batch of 128: tanh hidden layer, softmax cross-entropy (stable form)."""

from __future__ import annotations

import numpy as np

from . import Model


def mlp_loss(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    shifted = logits - m
    lse = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    logp = shifted - lse
    return -np.sum(y * logp) / x.shape[0]


def mlp_hand_grad(W1, b1, W2, b2, x, y):
    """What a person writes: softmax minus the one-hot labels, then the two layers back."""
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    e = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    dlogits = e / np.sum(e, axis=1, keepdims=True)
    dlogits -= y                      # y is one-hot: each row of y sums to 1
    dlogits /= x.shape[0]
    dW2 = h.T @ dlogits
    db2 = np.sum(dlogits, axis=0)
    da = dlogits @ W2.T
    da *= 1.0 - h * h
    dW1 = x.T @ da
    db1 = np.sum(da, axis=0)
    return dW1, db1, dW2, db2


def torch_loss(torch):
    def mlp_loss_torch(W1, b1, W2, b2, x, y):
        h = torch.tanh(x @ W1 + b1)
        logits = h @ W2 + b2
        m = torch.amax(logits, dim=1, keepdim=True)
        shifted = logits - m
        lse = torch.log(torch.sum(torch.exp(shifted), dim=1, keepdim=True))
        logp = shifted - lse
        return -torch.sum(y * logp) / x.shape[0]
    return mlp_loss_torch


def make_args(quick: bool = False):
    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out, batch = 784, 256, 10, 128
    W1 = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_hidden))
    b1 = rng.normal(0.0, 0.1, n_hidden)
    W2 = rng.normal(0.0, 1.0 / np.sqrt(n_hidden), (n_hidden, n_out))
    b2 = rng.normal(0.0, 0.1, n_out)
    x = rng.uniform(0.0, 1.0, (batch, n_in))
    y = np.eye(n_out)[rng.integers(0, n_out, batch)]
    return W1, b1, W2, b2, x, y


MODEL = Model(
    name="mlp",
    description="MLP 784-256-10, batch 128, tanh, softmax cross-entropy",
    loss=mlp_loss,
    wrt=("W1", "b1", "W2", "b2"),
    make_args=make_args,
    torch_loss=torch_loss,
    hand_grad=mlp_hand_grad,
)
