"""srcgrad on CuPy against PyTorch CUDA (eager) and jax.jit, on the GPU, in one run of minutes.

    python benchmarks/gpu.py                      # every model, float32 and float64
    python benchmarks/gpu.py --models mlp --dtypes float32 --repeat 20

Models (the NumPy code of benchmarks/models, at larger shapes than the CPU suite): MLP batch
4096 784-2048-10, VAE batch 4096 (784-400-20), LSTM T=100 batch 256 hidden 512 (input 128).
Each tool's gradient is checked against srcgrad's before it is timed; a time is the median of
``--repeat`` steps, each ended by a device synchronisation. It needs CuPy and a CUDA device and
says so, and stops, where they are missing; PyTorch (CUDA) and JAX are timed where installed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.models import lstm, mlp, rebind, vae

#: name -> (module, shapes)
SHAPES = {
    "mlp": {"batch": 4096, "n_in": 784, "hidden": 2048, "n_out": 10},
    "vae": {"batch": 4096, "n_in": 784, "hidden": 400, "n_z": 20},
    "lstm": {"T": 100, "batch": 256, "n_in": 128, "hidden": 512},
}
MODELS = {"mlp": mlp.MODEL, "vae": vae.MODEL, "lstm": lstm.MODEL}


def make_args(name: str, dtype: str, scale: float = 1.0) -> tuple:
    """The model's arguments (NumPy, ``dtype``) at the benchmark's shapes (``scale`` shrinks
    every size, for a quick check of this script on the CPU)."""
    s = {k: max(2, int(v * scale)) for k, v in SHAPES[name].items()}
    rng = np.random.default_rng(0)

    def normal(std, *shape):
        return rng.normal(0.0, std, shape)

    if name == "mlp":
        args = (normal(s["n_in"] ** -0.5, s["n_in"], s["hidden"]), normal(0.1, s["hidden"]),
                normal(s["hidden"] ** -0.5, s["hidden"], s["n_out"]), normal(0.1, s["n_out"]),
                rng.uniform(0.0, 1.0, (s["batch"], s["n_in"])),
                np.eye(s["n_out"])[rng.integers(0, s["n_out"], s["batch"])])
    elif name == "vae":
        def dense(a, b):
            return normal(a ** -0.5, a, b), normal(0.1, b)
        args = (*dense(s["n_in"], s["hidden"]), *dense(s["hidden"], s["n_z"]),
                *dense(s["hidden"], s["n_z"]), *dense(s["n_z"], s["hidden"]),
                *dense(s["hidden"], s["n_in"]),
                rng.uniform(0.0, 1.0, (s["batch"], s["n_in"])), normal(1.0, s["batch"], s["n_z"]))
    else:
        n, n_in = s["hidden"], s["n_in"]
        args = (normal(n_in ** -0.5, n_in, 4 * n), normal(n ** -0.5, n, 4 * n),
                normal(0.1, 4 * n), normal(n ** -0.5, n, 1), np.zeros(1),
                normal(1.0, s["T"], s["batch"], n_in), normal(1.0, s["batch"], 1),
                np.zeros((s["batch"], n)), np.zeros((s["batch"], n)))
    return tuple(np.asarray(a, dtype=dtype) for a in args)


def srcgrad_step(name: str) -> Callable:
    import srcgrad
    model = MODELS[name]
    return srcgrad.grad(model.loss, wrt=model.wrt_index)


def torch_step(name: str, torch) -> Callable:
    model = MODELS[name]
    loss = model.torch_loss(torch)
    wrt = model.wrt_index

    def step(*args):
        leaves = [a.requires_grad_(True) if i in wrt else a
                  for i, a in enumerate(a.detach() for a in args)]
        return torch.autograd.grad(loss(*leaves), [leaves[i] for i in wrt])
    return step


def jax_step(name: str, jax) -> Callable:
    model = MODELS[name]
    loss = model.jax_loss(jax.numpy) if model.jax_loss else rebind(model.loss, np=jax.numpy)
    return jax.jit(jax.grad(loss, argnums=model.wrt_index))


def timed(step: Callable, args: tuple, sync: Callable, repeat: int) -> float:
    """The median seconds of ``repeat`` steps (after two warm-up steps)."""
    for _ in range(2):
        step(*args)
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step(*args)
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def require_cupy():
    """CuPy with a CUDA device, or a clear stop."""
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 (no CuPy, driver or device: all stop here)
        raise SystemExit(f"benchmarks/gpu.py needs CuPy and a CUDA GPU ({error}); install "
                         "cupy-cuda12x on a machine with one") from None
    if count == 0:
        raise SystemExit("benchmarks/gpu.py needs a CUDA GPU: CuPy sees none")
    return cupy


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS))
    p.add_argument("--dtypes", nargs="+", choices=("float32", "float64"),
                   default=["float32", "float64"])
    p.add_argument("--repeat", type=int, default=10, help="timed steps per tool")
    p.add_argument("--no-jax", action="store_true", help="skip jax.jit")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    return p.parse_args(argv)


def main(argv=None) -> list[dict]:
    args = parse(argv)
    cupy = require_cupy()
    torch = jax = None
    if not args.no_torch:
        try:
            import torch
            if not torch.cuda.is_available():
                print("PyTorch has no CUDA here: not timed")
                torch = None
        except ImportError:
            print("PyTorch is not installed: not timed")
    if not args.no_jax:
        try:
            import jax
            jax.config.update("jax_enable_x64", True)
            if jax.default_backend() != "gpu":
                print("JAX has no GPU here: not timed")
                jax = None
        except ImportError:
            print("JAX is not installed: not timed")
    rows = []
    print(f"{'model':6} {'dtype':8} {'srcgrad+cupy':>13} {'torch eager':>12} {'jax.jit':>9}"
          f" {'ratio':>6}")
    for name in args.models:
        for dtype in args.dtypes:
            host = make_args(name, dtype)
            step = srcgrad_step(name)
            on_gpu = tuple(cupy.asarray(a) for a in host)
            reference = [cupy.asnumpy(g) for g in step(*on_gpu)]
            tolerance = 2e-3 if dtype == "float32" else 1e-8
            row = {"model": name, "dtype": dtype,
                   "srcgrad": timed(step, on_gpu, cupy.cuda.Device().synchronize, args.repeat)}
            if torch is not None:
                tensors = tuple(torch.asarray(a, device="cuda") for a in host)
                tstep = torch_step(name, torch)
                for got, want in zip(tstep(*tensors), reference):
                    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=tolerance,
                                               atol=tolerance)
                row["torch"] = timed(tstep, tensors, torch.cuda.synchronize, args.repeat)
            if jax is not None:
                arrays = tuple(jax.device_put(a) for a in host)
                jstep = jax_step(name, jax)
                for got, want in zip(jstep(*arrays), reference):
                    np.testing.assert_allclose(np.asarray(got), want, rtol=tolerance,
                                               atol=tolerance)
                row["jax"] = timed(lambda *a, jstep=jstep: jax.block_until_ready(jstep(*a)),
                                   arrays, lambda: None, args.repeat)
            rows.append(row)
            ratio = row["srcgrad"] / row["torch"] if "torch" in row else float("nan")
            print(f"{name:6} {dtype:8} {row['srcgrad'] * 1e3:11.2f}ms "
                  f"{row.get('torch', float('nan')) * 1e3:10.2f}ms "
                  f"{row.get('jax', float('nan')) * 1e3:7.2f}ms {ratio:6.2f}", flush=True)
    return rows


if __name__ == "__main__":
    main()
