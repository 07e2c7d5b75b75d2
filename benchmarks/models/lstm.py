"""An LSTM unrolled with a Python for loop: T = 30 steps, hidden 64, batch 16, input 32.

The four gates come from one matrix product per step; the loss is the mean squared error of a
linear read-out of the final hidden state.
"""

from __future__ import annotations

import numpy as np

from . import Model


def lstm_loss(Wx, Wh, b, Wy, by, xs, y, h, c):
    n = h.shape[1]
    for t in range(xs.shape[0]):
        z = xs[t] @ Wx + h @ Wh + b
        i = 1.0 / (1.0 + np.exp(-z[:, :n]))
        f = 1.0 / (1.0 + np.exp(-z[:, n:2 * n]))
        o = 1.0 / (1.0 + np.exp(-z[:, 2 * n:3 * n]))
        g = np.tanh(z[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
    pred = h @ Wy + by
    return np.mean((pred - y) ** 2)


def lstm_hand_grad(Wx, Wh, b, Wy, by, xs, y, h, c):
    """Backpropagation through time by hand: keep the gates and states of every step."""
    n = h.shape[1]
    T = xs.shape[0]
    hs, cs, gates = [h], [c], []
    for t in range(T):
        z = xs[t] @ Wx + h @ Wh + b
        ifo = 1.0 / (1.0 + np.exp(-z[:, :3 * n]))
        g = np.tanh(z[:, 3 * n:])
        c = ifo[:, n:2 * n] * c + ifo[:, :n] * g
        h = ifo[:, 2 * n:] * np.tanh(c)
        hs.append(h)
        cs.append(c)
        gates.append((ifo, g))
    pred = h @ Wy + by
    dpred = (2.0 / pred.size) * (pred - y)
    dWy = h.T @ dpred
    dby = np.sum(dpred, axis=0)
    dh = dpred @ Wy.T
    dc = np.zeros_like(c)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    dz = np.empty((h.shape[0], 4 * n))
    for t in reversed(range(T)):
        ifo, g = gates[t]
        i, f, o = ifo[:, :n], ifo[:, n:2 * n], ifo[:, 2 * n:]
        tc = np.tanh(cs[t + 1])
        dc += dh * o * (1.0 - tc * tc)
        dz[:, :n] = dc * g * i * (1.0 - i)
        dz[:, n:2 * n] = dc * cs[t] * f * (1.0 - f)
        dz[:, 2 * n:3 * n] = dh * tc * o * (1.0 - o)
        dz[:, 3 * n:] = dc * i * (1.0 - g * g)
        dc *= f
        dWx += xs[t].T @ dz
        dWh += hs[t].T @ dz
        db += np.sum(dz, axis=0)
        dh = dz @ Wh.T
    return dWx, dWh, db, dWy, dby


def torch_loss(torch):
    def lstm_loss_torch(Wx, Wh, b, Wy, by, xs, y, h, c):
        n = h.shape[1]
        for t in range(xs.shape[0]):
            z = xs[t] @ Wx + h @ Wh + b
            i = 1.0 / (1.0 + torch.exp(-z[:, :n]))
            f = 1.0 / (1.0 + torch.exp(-z[:, n:2 * n]))
            o = 1.0 / (1.0 + torch.exp(-z[:, 2 * n:3 * n]))
            g = torch.tanh(z[:, 3 * n:])
            c = f * c + i * g
            h = o * torch.tanh(c)
        pred = h @ Wy + by
        return torch.mean((pred - y) ** 2)
    return lstm_loss_torch


def make_args(quick: bool = False):
    rng = np.random.default_rng(1)
    T, batch, n_in, n = 30, 16, 32, 64
    Wx = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, 4 * n))
    Wh = rng.normal(0.0, 1.0 / np.sqrt(n), (n, 4 * n))
    b = rng.normal(0.0, 0.1, 4 * n)
    Wy = rng.normal(0.0, 1.0 / np.sqrt(n), (n, 1))
    by = np.zeros(1)
    xs = rng.normal(0.0, 1.0, (T, batch, n_in))
    y = rng.normal(0.0, 1.0, (batch, 1))
    h = np.zeros((batch, n))
    c = np.zeros((batch, n))
    return Wx, Wh, b, Wy, by, xs, y, h, c


MODEL = Model(
    name="lstm",
    description="LSTM, Python for loop, T=30, hidden 64, batch 16, input 32, MSE of final h",
    loss=lstm_loss,
    wrt=("Wx", "Wh", "b", "Wy", "by"),
    make_args=make_args,
    torch_loss=torch_loss,
    hand_grad=lstm_hand_grad,
)
