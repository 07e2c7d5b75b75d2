"""ADBench's GMM objective, as GradBench's ``gmm`` eval defines it: d = 10, K = 25, n = 1000.

The log-posterior of a Gaussian mixture with a Wishart prior on the precision matrices. Each
component k has a weight logit alpha_k, a mean mu_k, and the Cholesky factor Q_k of its
precision: exp(q_k) on the diagonal, l_k below it (column by column, GradBench's order).

Reference: GradBench ``python/gradbench/gradbench/tools/jax/gmm_objective.py`` and the
``gmm`` eval (which returns the log-posterior, the negative of what is minimized; ADBench's
original adds the prior with the opposite sign). Data as GradBench generates it: x and q, l,
alpha standard normal, mu uniform [0, 1), m = 0, gamma = 1 (seeded here).

Two implementation choices keep the code within what srcgrad supports now: the lower triangle
is filled by a constant 0/1 matrix product (``l @ scatter``) instead of an indexed assignment,
and the multivariate log-gamma constant is computed with ``math.lgamma`` (it depends on no
differentiated value).
"""

from __future__ import annotations

import math

import numpy as np

from . import Model


def gmm_objective(alpha, mu, q, l, x, gamma, m):
    n = x.shape[0]
    d = x.shape[1]
    K = mu.shape[0]
    cols, rows = np.triu_indices(d, 1)
    scatter = np.eye(d * d)[rows * d + cols]
    Ls = np.reshape(l @ scatter, (K, d, d))
    Qdiags = np.exp(q)
    sum_qs = np.sum(q, axis=1)
    xcentered = x[:, None, :] - mu[None, :, :]
    Lxcentered = Qdiags * xcentered + np.einsum("ijk,mik->mij", Ls, xcentered)
    sqsum_Lxcentered = np.sum(Lxcentered ** 2, axis=2)
    inner_term = alpha + sum_qs - 0.5 * sqsum_Lxcentered
    inner_max = np.max(inner_term, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(inner_term - inner_max), axis=1, keepdims=True)) + inner_max
    slse = np.sum(lse)
    alpha_max = np.max(alpha)
    lse_alpha = np.log(np.sum(np.exp(alpha - alpha_max))) + alpha_max
    CONSTANT = -n * d * 0.5 * math.log(2 * math.pi)
    # log Wishart prior
    nw = d + m + 1
    out = np.sum(0.5 * gamma * gamma * (np.sum(Qdiags ** 2, axis=1) + np.sum(l ** 2, axis=1))
                 - m * sum_qs)
    C = nw * d * math.log(gamma / math.sqrt(2))
    multigammaln = 0.25 * d * (d - 1) * math.log(math.pi) + math.fsum(
        [math.lgamma(0.5 * nw + 0.5 * (1 - j)) for j in range(1, d + 1)])
    prior = -out + K * (C - multigammaln)
    return CONSTANT + slse - n * lse_alpha + prior


def gmm_hand_grad(alpha, mu, q, l, x, gamma, m):
    """The adjoint by hand: the responsibilities r (a softmax over components) drive it all."""
    n = x.shape[0]
    d = x.shape[1]
    K = mu.shape[0]
    cols, rows = np.triu_indices(d, 1)
    Ls = np.zeros((K, d, d))
    Ls[:, rows, cols] = l
    Qdiags = np.exp(q)
    xcentered = x[:, None, :] - mu[None, :, :]
    Lxcentered = Qdiags * xcentered + np.einsum("ijk,mik->mij", Ls, xcentered)
    inner_term = alpha + np.sum(q, axis=1) - 0.5 * np.sum(Lxcentered * Lxcentered, axis=2)
    e = np.exp(inner_term - np.max(inner_term, axis=1, keepdims=True))
    r = e / np.sum(e, axis=1, keepdims=True)                 # (n, K)
    r_sum = np.sum(r, axis=0)
    ea = np.exp(alpha - np.max(alpha))
    dalpha = r_sum - n * ea / np.sum(ea)
    dLx = -r[:, :, None] * Lxcentered                        # (n, K, d)
    dQdiags = np.sum(dLx * xcentered, axis=0) - gamma * gamma * Qdiags
    dxcentered = Qdiags * dLx + np.einsum("ijk,mij->mik", Ls, dLx)
    dLs = np.einsum("mij,mik->ijk", dLx, xcentered)
    dl = dLs[:, rows, cols] - gamma * gamma * l
    dmu = -np.sum(dxcentered, axis=0)
    dq = dQdiags * Qdiags + (r_sum + m)[:, None]
    return dalpha, dmu, dq, dl


def torch_loss(torch):
    def gmm_objective_torch(alpha, mu, q, l, x, gamma, m):
        n = x.shape[0]
        d = x.shape[1]
        K = mu.shape[0]
        cols, rows = torch.triu_indices(d, d, 1)
        scatter = torch.eye(d * d, dtype=x.dtype)[rows * d + cols]
        Ls = torch.reshape(l @ scatter, (K, d, d))
        Qdiags = torch.exp(q)
        sum_qs = torch.sum(q, dim=1)
        xcentered = x[:, None, :] - mu[None, :, :]
        Lxcentered = Qdiags * xcentered + torch.einsum("ijk,mik->mij", Ls, xcentered)
        sqsum_Lxcentered = torch.sum(Lxcentered ** 2, dim=2)
        inner_term = alpha + sum_qs - 0.5 * sqsum_Lxcentered
        inner_max = torch.amax(inner_term, dim=1, keepdim=True)
        lse = torch.log(torch.sum(torch.exp(inner_term - inner_max), dim=1,
                                  keepdim=True)) + inner_max
        slse = torch.sum(lse)
        alpha_max = torch.amax(alpha)
        lse_alpha = torch.log(torch.sum(torch.exp(alpha - alpha_max))) + alpha_max
        CONSTANT = -n * d * 0.5 * math.log(2 * math.pi)
        nw = d + m + 1
        out = torch.sum(0.5 * gamma * gamma * (torch.sum(Qdiags ** 2, dim=1)
                                               + torch.sum(l ** 2, dim=1)) - m * sum_qs)
        C = nw * d * math.log(gamma / math.sqrt(2))
        multigammaln = 0.25 * d * (d - 1) * math.log(math.pi) + math.fsum(
            [math.lgamma(0.5 * nw + 0.5 * (1 - j)) for j in range(1, d + 1)])
        prior = -out + K * (C - multigammaln)
        return CONSTANT + slse - n * lse_alpha + prior
    return gmm_objective_torch


def make_args(quick: bool = False, d: int = 10, K: int = 25, n: int = 1000):
    rng = np.random.default_rng(31337)
    x = rng.normal(size=(n, d))
    mu = rng.uniform(size=(K, d))
    q = rng.normal(size=(K, d))
    l = rng.normal(size=(K, d * (d - 1) // 2))
    alpha = rng.normal(size=K)
    return alpha, mu, q, l, x, 1.0, 0


def naive_log_posterior(alpha, mu, q, l, x, gamma, m):
    """GradBench's naive check of the objective (densities multiplied, then the log), in NumPy.

    Only for small n: the likelihood underflows for n = 1000.
    """
    from math import lgamma
    n, d = x.shape
    K = mu.shape[0]
    cols, rows = np.triu_indices(d, 1)
    phi = np.exp(alpha) / np.sum(np.exp(alpha))
    Q = np.zeros((K, d, d))
    Q[:, np.arange(d), np.arange(d)] = np.exp(q)
    Q[:, rows, cols] = l
    S = np.transpose(Q, (0, 2, 1)) @ Q
    like = 0.0
    for i in range(n):
        dens = [phi[k] * np.exp(-0.5 * (x[i] - mu[k]) @ S[k] @ (x[i] - mu[k]))
                / np.sqrt((2 * np.pi) ** d / np.linalg.det(S[k])) for k in range(K)]
        like += np.log(np.sum(dens))
    nw = d + m + 1
    log_mgamma = 0.25 * d * (d - 1) * np.log(np.pi) + sum(lgamma(0.5 * nw + 0.5 * (1 - j))
                                                          for j in range(1, d + 1))
    prior = 0.0
    for k in range(K):  # Wishart(S_k; V = I / gamma^2, nw)
        prior += (0.5 * (nw - d - 1) * np.log(np.linalg.det(S[k]))
                  - 0.5 * gamma * gamma * np.trace(S[k]) - 0.5 * d * nw * np.log(2)
                  - 0.5 * nw * d * np.log(1 / gamma ** 2) - log_mgamma)
    return like + prior


def check_versions(n: int = 20) -> tuple[float, float]:
    """The objective matches GradBench's naive log-posterior on a small instance."""
    args = make_args(n=n)
    a, b = gmm_objective(*args), naive_log_posterior(*args)
    assert np.isclose(a, b, rtol=1e-9), (a, b)
    return float(a), float(b)


MODEL = Model(
    name="gmm",
    description="ADBench/GradBench GMM, d=10, K=25, n=1000",
    loss=gmm_objective,
    wrt=("alpha", "mu", "q", "l"),
    make_args=make_args,
    torch_loss=torch_loss,
    hand_grad=gmm_hand_grad,
)
