"""Small models: the seeds' networks, an MLP, an unrolled RNN and LSTM."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def seed_scalar(x1, x2):
    y = x1 * x2 + np.sin(x1)
    return y


def seed_graph(a, b, c, d):
    e = a + b
    f = e * c + e * d
    return f


def seed_linear(w, x, b):
    return w * x + b


def two_layer_net(x, w, b, w2, b2, target):
    h = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    y = 1.0 / (1.0 + np.exp(-(h @ w2 + b2)))
    return 0.5 * (target - y) ** 2


def two_layer_prediction(x, w, b, w2, b2):
    h = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    return 1.0 / (1.0 + np.exp(-(h @ w2 + b2)))


def mlp_softmax_xent(w1, b1, w2, b2, x, y):
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * y, axis=1))


def rnn(wx, wh, b, xs, h0):
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ wx + h @ wh + b)
        loss = loss + np.sum(h * h)
    return loss


def lstm(w, u, b, xs, h0, c0):
    h = h0
    c = c0
    n = h0.shape[0]
    for x in xs:
        z = x @ w + h @ u + b
        i = 1.0 / (1.0 + np.exp(-z[:n]))
        f = 1.0 / (1.0 + np.exp(-z[n:2 * n]))
        o = 1.0 / (1.0 + np.exp(-z[2 * n:3 * n]))
        g = np.tanh(z[3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h ** 2) + np.sum(c)
