"""The LSTM of :mod:`.lstm` written in another style: ``np.dot`` instead of ``@``, the states
started inside with ``np.zeros`` of a shape computed from the arguments' shapes, and the gates
through a ``sigmoid`` helper. The math is the same (the states start at zero), so is the
hand-written adjoint; srcgrad's gradient should cost the same, whatever the style.
"""

from __future__ import annotations

import numpy as np

from . import Model
from .lstm import lstm_hand_grad
from .lstm import make_args as lstm_args


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_dot_loss(Wx, Wh, b, Wy, by, xs, y):
    H = Wh.shape[0]
    h = np.zeros((xs.shape[1], H))
    c = np.zeros((xs.shape[1], H))
    for t in range(xs.shape[0]):
        z = np.dot(xs[t], Wx) + np.dot(h, Wh) + b
        i = sigmoid(z[:, :H])
        f = sigmoid(z[:, H:2 * H])
        o = sigmoid(z[:, 2 * H:3 * H])
        g = np.tanh(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    pred = np.dot(h, Wy) + by
    return np.mean((pred - y) ** 2)


def lstm_dot_hand_grad(Wx, Wh, b, Wy, by, xs, y):
    """:func:`.lstm.lstm_hand_grad` from zero states."""
    state = np.zeros((xs.shape[1], Wh.shape[0]))
    return lstm_hand_grad(Wx, Wh, b, Wy, by, xs, y, state, state)


def torch_loss(torch):
    def lstm_dot_loss_torch(Wx, Wh, b, Wy, by, xs, y):
        H = Wh.shape[0]
        h = torch.zeros((xs.shape[1], H), dtype=xs.dtype)
        c = torch.zeros((xs.shape[1], H), dtype=xs.dtype)
        for t in range(xs.shape[0]):
            z = torch.matmul(xs[t], Wx) + torch.matmul(h, Wh) + b
            i = torch.sigmoid(z[:, :H])
            f = torch.sigmoid(z[:, H:2 * H])
            o = torch.sigmoid(z[:, 2 * H:3 * H])
            g = torch.tanh(z[:, 3 * H:])
            c = f * c + i * g
            h = o * torch.tanh(c)
        pred = torch.matmul(h, Wy) + by
        return torch.mean((pred - y) ** 2)
    return lstm_dot_loss_torch


def make_args(quick: bool = False):
    """:func:`.lstm.make_args` without the initial states."""
    return lstm_args(quick)[:-2]


MODEL = Model(
    name="lstm_dot",
    description="the LSTM of lstm written with np.dot, states made inside with np.zeros of "
                "computed shapes, a sigmoid helper",
    loss=lstm_dot_loss,
    wrt=("Wx", "Wh", "b", "Wy", "by"),
    make_args=make_args,
    torch_loss=torch_loss,
    hand_grad=lstm_dot_hand_grad,
)
