#!/usr/bin/env python
"""Forward mode and second derivatives, side by side with JAX and PyTorch.

    python benchmarks/second_order.py            # MLP, LSTM, VAE; a 100-parameter Hessian
    python benchmarks/second_order.py --quick    # small shapes, few repeats

For each model: the median time of one gradient, one JVP (a random tangent for the
differentiated arguments) and one Hessian-vector product, and their ratios to the gradient
(issue 16's targets: JVP <= 1.5x, HVP <= 2.5x). Beside srcgrad: ``jax.jvp`` and
``jax.jvp(jax.grad(f))`` (eager), ``torch.func.jvp`` and ``torch.func.jvp(torch.func.grad(f))``,
where installed. Then the dense Hessian of a 100-parameter logistic regression: srcgrad, JAX
eager (``jax.hessian``) and ``torch.func.hessian``. Everything runs single-threaded, float64.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["JAX_ENABLE_X64"] = "1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import srcgrad  # noqa: E402
from benchmarks.models import lstm, mlp, rebind, vae  # noqa: E402


def median_time(call: Callable[[], object], repeats: int) -> float:
    call()  # (made and warmed up)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def logistic_loss(w, x, y):
    z = x @ w
    return np.sum(np.logaddexp(0.0, z) - y * z) / x.shape[0] + 0.5 * np.sum(w * w)


def optional(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def srcgrad_row(model, args, direction, repeats) -> dict[str, float]:
    wrt = model.wrt_index
    tangent = tuple(direction)
    gradient = srcgrad.grad(model.loss, wrt=wrt)
    forward = srcgrad.jvp(model.loss, wrt=wrt)
    product = srcgrad.hvp(model.loss, wrt=wrt)
    return {"grad": median_time(lambda: gradient(*args), repeats),
            "jvp": median_time(lambda: forward(*args, tangent=tangent), repeats),
            "hvp": median_time(lambda: product(*args, vector=tangent), repeats)}


def jax_row(jax, model, args, direction, repeats) -> dict[str, float]:
    loss = rebind(model.loss, np=jax.numpy) if model.jax_loss is None else \
        model.jax_loss(jax.numpy)
    wrt = model.wrt_index
    params = tuple(jax.numpy.asarray(args[i]) for i in wrt)
    tangent = tuple(jax.numpy.asarray(d) for d in direction)

    def of(*ps):
        full = list(args)
        for i, p in zip(wrt, ps):
            full[i] = p
        return loss(*full)

    gradient = jax.grad(of, argnums=tuple(range(len(wrt))))

    def block(value):
        return jax.block_until_ready(value)

    return {"grad": median_time(lambda: block(gradient(*params)), repeats),
            "jvp": median_time(lambda: block(jax.jvp(of, params, tangent)), repeats),
            "hvp": median_time(lambda: block(jax.jvp(gradient, params, tangent)), repeats)}


def torch_row(torch, model, args, direction, repeats) -> dict[str, float] | None:
    if model.torch_loss is None:
        return None
    loss = model.torch_loss(torch)
    wrt = model.wrt_index
    full = [torch.as_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    params = tuple(full[i] for i in wrt)
    tangent = tuple(torch.as_tensor(d) for d in direction)

    def of(*ps):
        given = list(full)
        for i, p in zip(wrt, ps):
            given[i] = p
        return loss(*given)

    gradient = torch.func.grad(of, argnums=tuple(range(len(wrt))))
    return {"grad": median_time(lambda: gradient(*params), repeats),
            "jvp": median_time(lambda: torch.func.jvp(of, params, tangent), repeats),
            "hvp": median_time(lambda: torch.func.jvp(gradient, params, tangent), repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    repeats = 3 if options.quick else 20
    jax, torch = optional("jax"), optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        torch.set_default_dtype(torch.float64)
    print(f"{'model':8} {'tool':8} {'grad ms':>9} {'jvp ms':>9} {'hvp ms':>9} "
          f"{'jvp/grad':>9} {'hvp/grad':>9}")
    for model in (mlp.MODEL, lstm.MODEL, vae.MODEL):
        args = model.make_args(options.quick)
        rng = np.random.default_rng(0)
        direction = [rng.standard_normal(np.shape(args[i])) for i in model.wrt_index]
        rows = {"srcgrad": srcgrad_row(model, args, direction, repeats)}
        if jax is not None:
            rows["jax"] = jax_row(jax, model, args, direction, repeats)
        if torch is not None:
            found = torch_row(torch, model, args, direction, repeats)
            if found is not None:
                rows["torch"] = found
        for tool, row in rows.items():
            print(f"{model.name:8} {tool:8} {row['grad'] * 1e3:9.3f} {row['jvp'] * 1e3:9.3f} "
                  f"{row['hvp'] * 1e3:9.3f} {row['jvp'] / row['grad']:9.2f} "
                  f"{row['hvp'] / row['grad']:9.2f}")
    rng = np.random.default_rng(1)
    w, x = rng.standard_normal(100), rng.standard_normal((500, 100))
    y = (rng.random(500) > 0.5).astype(float)
    hessian = srcgrad.hessian(logistic_loss)
    print("\nDense Hessian, logistic regression, 100 parameters, 500 rows:")
    print(f"  srcgrad.hessian      {median_time(lambda: hessian(w, x, y), repeats) * 1e3:9.2f} ms")
    if jax is not None:
        jloss = rebind(logistic_loss, np=jax.numpy)
        jh = jax.hessian(jloss)
        print(f"  jax.hessian (eager)  "
              f"{median_time(lambda: jax.block_until_ready(jh(w, x, y)), repeats) * 1e3:9.2f} ms")
    if torch is not None:
        tx, ty = torch.as_tensor(x), torch.as_tensor(y)

        def tloss(tw):
            z = tx @ tw
            return torch.sum(torch.logaddexp(torch.zeros_like(z), z) - ty * z) / tx.shape[0] \
                + 0.5 * torch.sum(tw * tw)

        th = torch.func.hessian(tloss)
        tw = torch.as_tensor(w)
        print(f"  torch.func.hessian   {median_time(lambda: th(tw), repeats) * 1e3:9.2f} ms")


if __name__ == "__main__":
    main()
