"""Timings made when the docs are built: transformation cost and per-operation overhead.

They are measured on whatever machine builds the documentation, so they are indicative only;
the benchmark suite (``benchmarks/``) is the place for careful numbers.
"""

from __future__ import annotations

import importlib
import platform
import time
import timeit
import types

import numpy as np
from context import DOCS, load
from directives import Directive

PIPELINE = DOCS / "_examples" / "pipeline.py"
OVERHEAD = DOCS / "_examples" / "overhead.py"


def _best(fn, number: int, repeat: int = 5) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def transform_times(directive: Directive) -> str:
    """``srcgrad:transform-times``: how long srcgrad takes to write each gradient."""
    from srcgrad.cli import wrt_names
    from srcgrad.transform import transform

    rows = ["| Function | Lines of generated code | Time to generate and compile |",
            "|---|--:|--:|"]
    for name in ("predict", "mlp_loss", "lstm_loss", "vae_loss"):
        fn = load(f"{PIPELINE}:{name}")
        names = tuple(wrt_names(fn, tuple(range(4)) if name != "predict" else (0, 1)))
        start = time.perf_counter()
        made = transform(fn, names, "grad")
        seconds = time.perf_counter() - start
        rows.append(f"| `{name}` | {len(made.source.splitlines())} | {seconds * 1e3:.1f} ms |")
    return "\n".join(rows) + "\n"


def _autograd_version(fn):
    try:
        anp = importlib.import_module("autograd.numpy")
        autograd = importlib.import_module("autograd")
    except ImportError:
        return None
    namespace = dict(fn.__globals__, np=anp)
    traced = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__)
    return autograd.grad(traced, 0)


def overhead(directive: Directive) -> str:
    """``srcgrad:overhead``: time per primitive of a long chain of operations on tiny arrays."""
    import srcgrad

    fn = load(f"{OVERHEAD}:chain")
    module = importlib.import_module(fn.__module__)
    primitives = 2 * module.STEPS
    w, x = np.array([0.9]), np.array([0.5])
    gradient = srcgrad.grad(fn, wrt=0)
    gradient(w, x)
    rows = ["| What runs | Time per primitive |", "|---|--:|"]
    number = 200
    rows.append(f"| the NumPy function itself (forward only) | "
                f"{_best(lambda: fn(w, x), number) / primitives * 1e6:.2f} µs |")
    rows.append(f"| srcgrad's gradient (forward and backward) | "
                f"{_best(lambda: gradient(w, x), number) / primitives * 1e6:.2f} µs |")
    traced = _autograd_version(fn)
    if traced is not None:
        traced(w, x)
        rows.append(f"| autograd's gradient (forward and backward) | "
                    f"{_best(lambda: traced(w, x), 50) / primitives * 1e6:.2f} µs |")
    machine = f"{platform.python_implementation()} {platform.python_version()}, NumPy " \
              f"{np.__version__}, {platform.machine()}"
    return "\n".join(rows) + f"\n\n*Measured while building these pages ({machine}).*\n"
