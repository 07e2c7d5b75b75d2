"""The functions the "How it works" page differentiates; the listings are generated from them
when the documentation is built."""

import numpy as np


def predict(w, b, x):
    """A one-neuron model: the smallest function that shows every pass."""
    y = np.tanh(w * x + b)
    return np.sum(y * y)


def mlp_loss(W1, b1, W2, b2, x, y):
    """Softmax cross-entropy of a one-hidden-layer perceptron; y holds one-hot labels."""
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_args():
    """Arguments for mlp_loss: 784 inputs, 256 hidden units, 10 classes, a batch of 128."""
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(128, 784))
    y = np.eye(10)[rng.integers(0, 10, 128)]
    return (rng.normal(0.0, 0.03, (784, 256)), np.zeros(256), rng.normal(0.0, 0.06, (256, 10)),
            np.zeros(10), x, y)


def lstm_loss(Wx, Wh, b, Wy, xs, y):
    """An LSTM read over xs (time, batch, features), unrolled with a for loop."""
    n = Wh.shape[0]
    h = np.zeros((xs.shape[1], n))
    c = np.zeros((xs.shape[1], n))
    for t in range(xs.shape[0]):
        z = xs[t] @ Wx + h @ Wh + b
        gates = 1.0 / (1.0 + np.exp(-z[:, :3 * n]))
        i = gates[:, :n]
        f = gates[:, n:2 * n]
        o = gates[:, 2 * n:]
        c = f * c + i * np.tanh(z[:, 3 * n:])
        h = o * np.tanh(c)
    return np.mean((h @ Wy - y) ** 2)


def vae_loss(We, Wmu, Wlv, Wd, x, eps):
    """A variational autoencoder's negative ELBO; eps is the reparameterization noise."""
    h = np.tanh(x @ We)
    mu = h @ Wmu
    logvar = h @ Wlv
    z = mu + np.exp(0.5 * logvar) * eps
    logits = z @ Wd
    recon = np.sum(np.logaddexp(0.0, logits) - x * logits)
    kl = -0.5 * np.sum(1.0 + logvar - mu * mu - np.exp(logvar))
    return (recon + kl) / x.shape[0]
