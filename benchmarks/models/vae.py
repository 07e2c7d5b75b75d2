"""A VAE 784-400-20 on a batch of 100: tanh encoder and decoder, Bernoulli likelihood on logits.

The reparameterization noise ``eps`` is passed in, so the loss is a deterministic function.
Loss: (reconstruction cross-entropy + KL(q(z|x) || N(0, I))) / batch.
"""

from __future__ import annotations

import numpy as np

from . import Model


def vae_loss(W1, b1, Wmu, bmu, Wlv, blv, W3, b3, W4, b4, x, eps):
    h = np.tanh(x @ W1 + b1)
    mu = h @ Wmu + bmu
    logvar = h @ Wlv + blv
    z = mu + np.exp(0.5 * logvar) * eps
    h2 = np.tanh(z @ W3 + b3)
    logits = h2 @ W4 + b4
    recon = np.sum(np.logaddexp(0.0, logits) - x * logits)
    kl = -0.5 * np.sum(1.0 + logvar - mu * mu - np.exp(logvar))
    return (recon + kl) / x.shape[0]


def torch_loss(torch):
    def vae_loss_torch(W1, b1, Wmu, bmu, Wlv, blv, W3, b3, W4, b4, x, eps):
        h = torch.tanh(x @ W1 + b1)
        mu = h @ Wmu + bmu
        logvar = h @ Wlv + blv
        z = mu + torch.exp(0.5 * logvar) * eps
        h2 = torch.tanh(z @ W3 + b3)
        logits = h2 @ W4 + b4
        zero = torch.zeros((), dtype=logits.dtype)
        recon = torch.sum(torch.logaddexp(zero, logits) - x * logits)
        kl = -0.5 * torch.sum(1.0 + logvar - mu * mu - torch.exp(logvar))
        return (recon + kl) / x.shape[0]
    return vae_loss_torch


def vae_hand_grad(W1, b1, Wmu, bmu, Wlv, blv, W3, b3, W4, b4, x, eps):
    """The VAE's adjoint by hand (sigmoid(logits) - x for the Bernoulli cross-entropy)."""
    B = x.shape[0]
    h = np.tanh(x @ W1 + b1)
    mu = h @ Wmu + bmu
    logvar = h @ Wlv + blv
    std = np.exp(0.5 * logvar)
    z = mu + std * eps
    h2 = np.tanh(z @ W3 + b3)
    logits = h2 @ W4 + b4
    dlogits = 1.0 / (1.0 + np.exp(-logits))
    dlogits -= x
    dlogits /= B
    dW4 = h2.T @ dlogits
    db4 = np.sum(dlogits, axis=0)
    da2 = dlogits @ W4.T
    da2 *= 1.0 - h2 * h2
    dW3 = z.T @ da2
    db3 = np.sum(da2, axis=0)
    dz = da2 @ W3.T
    dmu = dz + mu / B
    dlogvar = 0.5 * dz * std * eps + 0.5 * (std * std - 1.0) / B
    dWmu = h.T @ dmu
    dbmu = np.sum(dmu, axis=0)
    dWlv = h.T @ dlogvar
    dblv = np.sum(dlogvar, axis=0)
    da = dmu @ Wmu.T + dlogvar @ Wlv.T
    da *= 1.0 - h * h
    dW1 = x.T @ da
    db1 = np.sum(da, axis=0)
    return dW1, db1, dWmu, dbmu, dWlv, dblv, dW3, db3, dW4, db4


def make_args(quick: bool = False):
    rng = np.random.default_rng(2)
    n_in, n_hidden, n_z, batch = 784, 400, 20, 100

    def dense(a, b):
        return rng.normal(0.0, 1.0 / np.sqrt(a), (a, b)), rng.normal(0.0, 0.1, b)

    W1, b1 = dense(n_in, n_hidden)
    Wmu, bmu = dense(n_hidden, n_z)
    Wlv, blv = dense(n_hidden, n_z)
    W3, b3 = dense(n_z, n_hidden)
    W4, b4 = dense(n_hidden, n_in)
    x = (rng.uniform(0.0, 1.0, (batch, n_in)) < 0.3).astype(float)
    eps = rng.normal(0.0, 1.0, (batch, n_z))
    return W1, b1, Wmu, bmu, Wlv, blv, W3, b3, W4, b4, x, eps


MODEL = Model(
    name="vae",
    description="VAE 784-400-20, batch 100, eps passed in",
    loss=vae_loss,
    wrt=("W1", "b1", "Wmu", "bmu", "Wlv", "blv", "W3", "b3", "W4", "b4"),
    make_args=make_args,
    torch_loss=torch_loss,
    hand_grad=vae_hand_grad,
)
