"""A 50-line function for timing srcgrad's first transformation (not one of the timed models).

A small two-tower network with a normalisation, a gated unit, a short loop and several losses:
50 lines of body, each a different mix of the operations srcgrad has rules for.
"""

from __future__ import annotations

import numpy as np


def fifty_line_loss(W1, b1, W2, b2, W3, b3, Wg, bg, x, y, mask):
    a1 = x @ W1 + b1
    h1 = np.tanh(a1)
    mean1 = np.mean(h1, axis=1, keepdims=True)
    var1 = np.mean((h1 - mean1) ** 2, axis=1, keepdims=True)
    n1 = (h1 - mean1) / np.sqrt(var1 + 1e-5)
    a2 = n1 @ W2 + b2
    h2 = np.maximum(a2, 0.0)
    gate = 1.0 / (1.0 + np.exp(-(n1 @ Wg + bg)))
    h2 = gate * h2 + (1.0 - gate) * n1
    skip = h2 + h1
    s1 = np.sin(skip) * np.cos(skip)
    s2 = np.exp(-skip * skip)
    mix = 0.5 * s1 + 0.25 * s2 + 0.25 * skip
    for k in range(3):
        mix = np.tanh(mix @ W2 + b2) + mix
    z = mix * mask
    logits = z @ W3 + b3
    m = np.max(logits, axis=1, keepdims=True)
    shifted = logits - m
    expd = np.exp(shifted)
    denom = np.sum(expd, axis=1, keepdims=True)
    logp = shifted - np.log(denom)
    nll = -np.sum(y * logp) / x.shape[0]
    probs = expd / denom
    ent = -np.sum(probs * logp) / x.shape[0]
    conf = np.mean(np.max(probs, axis=1))
    l2 = np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3)
    l1 = np.sum(np.abs(Wg))
    tv = np.sum(np.abs(W1[1:] - W1[:-1]))
    center = np.mean(z, axis=0)
    spread = np.sum((z - center) ** 2) / x.shape[0]
    cov = (z - center).T @ (z - center) / x.shape[0]
    off = cov * (1.0 - np.eye(cov.shape[0]))
    decor = np.sum(off * off)
    norms = np.sqrt(np.sum(W3 * W3, axis=0) + 1e-8)
    maxnorm = np.sum(np.maximum(norms - 3.0, 0.0) ** 2)
    smooth = np.log1p(np.exp(-np.abs(logits))) + np.maximum(logits, 0.0)
    smooth_loss = np.mean(smooth)
    clipped = np.clip(logits, -5.0, 5.0)
    clip_loss = np.mean(clipped * clipped)
    hinge = np.maximum(1.0 - logits * (2.0 * y - 1.0), 0.0)
    hinge_loss = np.mean(hinge)
    gate_reg = np.mean(gate * (1.0 - gate))
    bias_reg = np.sum(b1 ** 2) + np.sum(b2 ** 2) + np.sum(b3 ** 2) + np.sum(bg ** 2)
    act = np.mean(np.abs(h2))
    reg = 1e-4 * l2 + 1e-5 * l1 + 1e-5 * tv + 1e-3 * decor + 1e-3 * maxnorm
    aux = 0.1 * ent - 0.01 * conf + 0.01 * spread + 0.1 * smooth_loss
    aux2 = 0.01 * clip_loss + 0.1 * hinge_loss + 0.01 * gate_reg + 1e-4 * bias_reg
    total = nll + reg + aux + aux2 + 1e-3 * act
    return total


def make_args():
    rng = np.random.default_rng(5)
    n_in, n_h, n_out, batch = 20, 16, 5, 8
    W1 = rng.normal(0, 0.3, (n_in, n_h))
    W2 = rng.normal(0, 0.3, (n_h, n_h))
    W3 = rng.normal(0, 0.3, (n_h, n_out))
    Wg = rng.normal(0, 0.3, (n_h, n_h))
    b1, b2, b3, bg = (rng.normal(0, 0.1, k) for k in (n_h, n_h, n_out, n_h))
    x = rng.normal(size=(batch, n_in))
    y = np.eye(n_out)[rng.integers(0, n_out, batch)]
    mask = (rng.random((batch, n_h)) < 0.8).astype(float)
    return W1, b1, W2, b2, W3, b3, Wg, bg, x, y, mask


WRT = ("W1", "b1", "W2", "b2", "W3", "b3", "Wg", "bg")
