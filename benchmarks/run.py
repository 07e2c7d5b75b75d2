#!/usr/bin/env python
"""Run srcgrad's benchmark suite and print a table.

    python benchmarks/run.py                      # everything (several minutes)
    python benchmarks/run.py --quick              # a fast smoke run
    python benchmarks/run.py --models mlp,gmm --tools srcgrad,hand,torch

For each model and tool: the median time of one gradient call, its ratio to the plain NumPy
forward (the model's loss, timed in the same process), the peak memory of one gradient call
(tracemalloc; NumPy-based tools only), and whether the tool's gradient matches srcgrad's.
Then the targets of issue 5, and srcgrad's transformation time and call overhead.

Tools: numpy (the forward, the baseline), hand (a hand-written NumPy adjoint, where the model
has one), srcgrad, autograd, torch (eager, CPU), jax (eager) and jax-jit. autograd, torch and
jax are optional: a missing one is skipped with a note. Everything runs single-threaded.
"""

from __future__ import annotations

import os

# Single-threaded BLAS, set before NumPy (or anything that imports it) is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                           "intra_op_parallelism_threads=1")
os.environ["JAX_ENABLE_X64"] = "1"           # float64 everywhere, as NumPy
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import gc
import importlib
import inspect
import json
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np

import srcgrad
import srcgrad.api
from benchmarks.models import Model, all_models, rebind

ALL_TOOLS = ("numpy", "hand", "srcgrad", "autograd", "torch", "jax", "jax-jit")

# Targets of issue 5: srcgrad's gradient time over the NumPy forward time.
RATIO_TARGETS = {"mlp": 2.5, "vae": 2.5, "lstm": 3.5, "lstm_dot": 3.5, "scalar": 5.0, "adbench-lstm": 2.9}
HAND_TARGETS = {"gmm": 1.2}                           # srcgrad within 1.2x of hand-written
TORCH_SPEEDUP_TARGETS = {"lstm": 5.0, "scalar": 5.0, "adbench-lstm": 5.0}
OVERHEAD_TARGET_US = 2.0
MEMORY_TARGET = 1.1        # srcgrad's peak memory / the hand-written adjoint's, every model
TRANSFORM_TARGET_MS = 50.0  # first transformation of the 50-line function


# ---------------------------------------------------------------------------------------------
# Timing and memory
# ---------------------------------------------------------------------------------------------

@dataclass
class Settings:
    budget_s: float = 1.0        # time to spend sampling one measurement
    sample_s: float = 0.02       # each sample loops the call for at least this long
    min_samples: int = 5
    max_samples: int = 200
    warmup: int = 2


FULL = Settings()
QUICK = Settings(budget_s=0.1, sample_s=0.005, min_samples=2, max_samples=20, warmup=1)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(fns: list[Callable[[], Any]], s: Settings, clock: str = "wall") -> list[float]:
    """Median seconds per call of each of ``fns``, sampled in interleaved rounds.

    Each round takes one sample of every function in turn (so that a change of machine load
    affects all of them alike: the ratios stay fair on a shared machine); a sample calls the
    function enough times to last ``s.sample_s``. Rounds go on until ``s.budget_s`` is spent,
    at least ``s.min_samples`` of them. The garbage collector is off while sampling, as in
    timeit. ``clock``: "wall" (perf_counter) or "cpu" (this process's CPU time).
    """
    now = CLOCKS[clock]
    inner = []
    for fn in fns:
        for _ in range(s.warmup):
            fn()
        t0 = time.perf_counter()
        fn()
        one = time.perf_counter() - t0
        inner.append(max(1, int(s.sample_s / max(one, 1e-9))))
    samples: list[list[float]] = [[] for _ in fns]
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        while len(samples[0]) < s.min_samples or (time.perf_counter() - start < s.budget_s
                                                   and len(samples[0]) < s.max_samples):
            for fn, k, out in zip(fns, inner, samples):
                t0 = now()
                for _ in range(k):
                    fn()
                out.append((now() - t0) / k)
    finally:
        if enabled:
            gc.enable()
    return [statistics.median(x) for x in samples]


def peak_memory(fn: Callable[[], Any]) -> float:
    """Peak bytes traced by tracemalloc during one call of ``fn``, above what was live before.

    NumPy reports its array buffers to tracemalloc, so this covers NumPy-based tools; PyTorch
    and XLA allocate outside it.
    """
    fn()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.clear_traces()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return float(peak - base)


# ---------------------------------------------------------------------------------------------
# Tools: each turns a model into (a timed gradient call, a function giving NumPy gradients)
# ---------------------------------------------------------------------------------------------

class Unavailable(Exception):
    """The tool is not installed, or cannot run this model (the message says why)."""


def _tuple(grads, n):
    return tuple(grads) if n > 1 else (grads,)


def tool_hand(model: Model, args):
    if model.hand_grad is None:
        raise Unavailable("no hand-written adjoint for this model")
    fn = model.hand_grad

    def call():
        return fn(*args)
    return call, lambda: tuple(call())


def tool_srcgrad(model: Model, args):
    g = srcgrad.grad(model.loss, wrt=model.wrt)

    def call():
        return g(*args)
    return call, lambda: _tuple(call(), len(model.wrt))


def tool_autograd(model: Model, args):
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        raise Unavailable("autograd is not installed (pip install autograd)") from None
    f = model.autograd_loss(anp) if model.autograd_loss else rebind(model.loss, np=anp)
    g = autograd.grad(f, model.wrt_index)

    def call():
        return g(*args)
    return call, lambda: tuple(call())


_torch = None


def _import_torch():
    global _torch
    if _torch is None:
        try:
            import torch
        except ImportError:
            raise Unavailable("PyTorch is not installed (pip install torch)") from None
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        _torch = torch
    return _torch


def tool_torch(model: Model, args):
    if model.torch_loss is None:
        raise Unavailable("no PyTorch version of this model")
    torch = _import_torch()
    f = model.torch_loss(torch)
    wrt = model.wrt_index
    targs = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            t = torch.from_numpy(a)
        elif i in wrt:
            t = torch.tensor(a, dtype=torch.float64)
        else:
            t = a
        if i in wrt:
            t = t.detach().requires_grad_(True)
        targs.append(t)
    leaves = [targs[i] for i in wrt]

    def call():
        return torch.autograd.grad(f(*targs), leaves)

    def grads():
        return tuple(g.detach().numpy() if g.ndim else float(g) for g in call())
    return call, grads


_jax = None


def _import_jax():
    global _jax
    if _jax is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import jax
                import jax.numpy
        except ImportError:
            raise Unavailable("JAX is not installed (pip install jax jaxlib)") from None
        jax.config.update("jax_enable_x64", True)
        _jax = jax
    return _jax


def _jax_setup(model: Model, args):
    jax = _import_jax()
    f = model.jax_loss(jax.numpy) if model.jax_loss else rebind(model.loss, np=jax.numpy)
    jargs = [jax.numpy.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    # Python numbers that are not differentiated are compile-time constants under jit.
    static = tuple(i for i, a in enumerate(args)
                   if not isinstance(a, np.ndarray) and i not in model.wrt_index)
    return jax, f, jargs, static


def _jax_tool(model: Model, args, jit: bool):
    jax, f, jargs, static = _jax_setup(model, args)
    g = jax.grad(f, model.wrt_index)
    if jit:
        g = jax.jit(g, static_argnums=static)

    def call():
        return jax.block_until_ready(g(*jargs))

    def grads():
        return tuple(np.asarray(x) if np.ndim(x) else float(x) for x in call())
    return call, grads


def tool_jax(model: Model, args):
    return _jax_tool(model, args, jit=False)


def tool_jax_jit(model: Model, args):
    return _jax_tool(model, args, jit=True)


TOOLS = {"hand": tool_hand, "srcgrad": tool_srcgrad, "autograd": tool_autograd,
         "torch": tool_torch, "jax": tool_jax, "jax-jit": tool_jax_jit}
# Tools whose arrays tracemalloc sees.
TRACED = {"numpy", "hand", "srcgrad", "autograd"}


# ---------------------------------------------------------------------------------------------
# The suite
# ---------------------------------------------------------------------------------------------

@dataclass
class Row:
    model: str
    tool: str
    time_s: float | None = None
    ratio: float | None = None
    peak_bytes: float | None = None
    check: str = ""
    note: str = ""
    first_call_s: float | None = None
    fwd_s: float | None = None       # the forward's median in the same (interleaved) rounds


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    command: str = ""


def compare(grads, ref, model: Model) -> str:
    """'ok', or what differs: the gradient of each wrt argument against the reference."""
    if len(grads) != len(ref):
        return f"MISMATCH: {len(grads)} gradients, expected {len(ref)}"
    bad = []
    for name, a, b in zip(model.wrt, grads, ref):
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        if a.shape != b.shape:
            bad.append(f"{name}: shape {a.shape} vs {b.shape}")
        elif not np.allclose(a, b, rtol=model.rtol, atol=model.atol):
            err = np.max(np.abs(a - b) / (np.abs(b) + model.atol))
            bad.append(f"{name}: max rel err {err:.1e}")
    return "ok" if not bad else "MISMATCH " + "; ".join(bad)


def run_model(model: Model, tools: list[str], s: Settings, clock: str, log,
              include_slow: bool = False) -> list[Row]:
    """One model: the forward alone, then each tool timed in rounds interleaved with it."""
    args = model.make_args(s is QUICK)
    rows = []
    loss = model.loss

    def forward():
        return loss(*args)
    (fwd_alone,) = measure([forward], s, clock)
    fwd = Row(model.name, "numpy", fwd_alone, 1.0, peak_memory(forward), check="-",
              note="the forward alone: the baseline")
    rows.append(fwd)
    log(f"  numpy forward      {fwd_alone * 1e3:10.3f} ms")

    # The reference gradient: srcgrad's, itself checked against autograd's below.
    ref = tool_srcgrad(model, args)[1]()
    for tool in tools:
        if tool == "numpy":
            continue
        if tool in model.skip and not include_slow:
            rows.append(Row(model.name, tool, note="skipped: " + model.skip[tool]))
            log(f"  {tool:18s} skipped: {model.skip[tool]}")
            continue
        try:
            t0 = time.perf_counter()
            call, grads = TOOLS[tool](model, args)
            got = grads()
            first = time.perf_counter() - t0
            check = compare(got, ref, model)
        except Unavailable as exc:
            rows.append(Row(model.name, tool, note=str(exc)))
            log(f"  {tool:18s} n/a: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a tool failing on a model is a result
            msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            rows.append(Row(model.name, tool, check="ERROR", note=msg))
            log(f"  {tool:18s} ERROR {msg}")
            continue
        if tool == "srcgrad":  # the reference itself: checked against autograd's gradient
            try:
                _, ag = tool_autograd(model, args)
                against = compare(ag(), ref, model)
                check = "= autograd" if against == "ok" else "vs autograd: " + against
            except Unavailable:
                check = "reference (autograd n/a)"
            except Exception as exc:  # noqa: BLE001
                check = f"reference (autograd failed: {type(exc).__name__})"
        fwd_t, t = measure([forward, call], s, clock)
        peak = peak_memory(call) if tool in TRACED else None
        note = model.notes.get(tool.split("-")[0], "")
        if tool == "jax-jit":
            note = (note + "; " if note else "") + f"first call (trace + compile) {first:.2f} s"
        row = Row(model.name, tool, t, t / fwd_t, peak, check, note, first, fwd_t)
        rows.append(row)
        log(f"  {tool:18s} {t * 1e3:10.3f} ms  x{t / fwd_t:7.2f}  (forward {fwd_t * 1e3:.3f} ms)"
            f"  {check}")
    return rows


# ---------------------------------------------------------------------------------------------
# srcgrad's own costs: first transformation, call overhead
# ---------------------------------------------------------------------------------------------

def transform_time(fn, wrt, reps: int) -> float:
    """Median seconds of ``srcgrad.grad(fn, wrt=wrt)`` with the cache cleared before each."""
    times = []
    for _ in range(reps):
        srcgrad.api._cache.clear()
        gc.collect()
        t0 = time.perf_counter()
        srcgrad.grad(fn, wrt=wrt)
        times.append(time.perf_counter() - t0)
    srcgrad.api._cache.clear()
    return statistics.median(times)


def first_call_time(fn, wrt, args, reps: int) -> float:
    """Median seconds the first call with new argument shapes adds to a call: the version of
    the gradient made for those shapes (after ``grad`` made the one for any shapes)."""
    extra = []
    for _ in range(reps):
        srcgrad.api._cache.clear()
        g = srcgrad.grad(fn, wrt=wrt)
        gc.collect()
        t0 = time.perf_counter()
        g(*args)
        t1 = time.perf_counter()
        g(*args)
        t2 = time.perf_counter()
        extra.append((t1 - t0) - (t2 - t1))
    srcgrad.api._cache.clear()
    return statistics.median(extra)


def tiny(x, y):
    return np.sum(x * y)


def call_overhead(quick: bool) -> dict[str, float]:
    """Seconds per call of the cached gradient function and of ``.generated`` on tiny inputs."""
    g = srcgrad.grad(tiny, wrt=(0, 1))
    x, y = np.ones(3), np.full(3, 2.0)
    wrapped, raw = (lambda: g(x, y)), (lambda: g.generated(x, y))
    number = 2000 if quick else 20000
    repeat = 5 if quick else 15
    best = {}
    for name, fn in (("wrapped", wrapped), ("generated", raw)):
        for _ in range(number // 10):
            fn()
    # Interleave the two so that drift affects both alike.
    runs = {"wrapped": [], "generated": []}
    gc.disable()
    try:
        for _ in range(repeat):
            for name, fn in (("wrapped", wrapped), ("generated", raw)):
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                runs[name].append((time.perf_counter() - t0) / number)
    finally:
        gc.enable()
    for name, times in runs.items():  # the least disturbed run (timeit's advice for tiny ones)
        best[name] = min(times)
    best["overhead"] = best["wrapped"] - best["generated"]
    return best


TRAINING_LOOP_TARGET = 1.2  # a lambda made each step, over a gradient made once (issue 11)


def training_loop_idioms(quick: bool, clock: str = "wall") -> dict[str, float]:
    """Seconds per training step of the two idioms of autograd and JAX on the MLP, with a new
    batch each step: ``g = grad(loss)`` made once and called with the batch, and
    ``grad(lambda W1, ...: loss(W1, ..., xb, yb))(W1, ...)`` made anew each step."""
    from benchmarks.models import mlp
    W1, b1, W2, b2, x, y = mlp.MODEL.make_args(quick)
    rng = np.random.default_rng(1)
    batches = [(x[rng.permutation(len(x))], y[rng.permutation(len(y))]) for _ in range(8)]
    loss, wrt = mlp.mlp_loss, mlp.MODEL.wrt
    made_once = srcgrad.grad(loss, wrt=wrt)
    steps = iter(range(10 ** 9))

    def once():
        xb, yb = batches[next(steps) % len(batches)]
        return made_once(W1, b1, W2, b2, xb, yb)

    def per_step():
        xb, yb = batches[next(steps) % len(batches)]
        return srcgrad.grad(lambda W1, b1, W2, b2: loss(W1, b1, W2, b2, xb, yb),
                            wrt=(0, 1, 2, 3))(W1, b1, W2, b2)

    times = measure([once, per_step], QUICK if quick else FULL, clock)
    return {"made_once_s": times[0], "lambda_per_step_s": times[1],
            "ratio": times[1] / times[0]}


def srcgrad_extras(models: list[Model], quick: bool, log) -> dict[str, Any]:
    from benchmarks.models import fifty, mlp
    reps = 3 if quick else 15
    out: dict[str, Any] = {}
    lines = len(inspect.getsource(fifty.fifty_line_loss).splitlines()) - 1
    out["transform_mlp_s"] = transform_time(mlp.mlp_loss, mlp.MODEL.wrt, reps)
    out["transform_fifty_s"] = transform_time(fifty.fifty_line_loss, fifty.WRT, reps)
    out["fifty_lines"] = lines
    out["first_call_fifty_s"] = first_call_time(fifty.fifty_line_loss, fifty.WRT,
                                                fifty.make_args(), reps)
    out["first_call_mlp_s"] = first_call_time(mlp.mlp_loss, mlp.MODEL.wrt,
                                              mlp.MODEL.make_args(quick), reps)
    log(f"  first transformation: MLP loss {out['transform_mlp_s'] * 1e3:.2f} ms, "
        f"{lines}-line function {out['transform_fifty_s'] * 1e3:.2f} ms")
    out["transform_models_s"] = {m.name: transform_time(m.loss, m.wrt, max(1, reps // 3))
                                 for m in models}
    out["overhead"] = call_overhead(quick)
    o = out["overhead"]
    log(f"  call: wrapped {o['wrapped'] * 1e6:.2f} us, generated {o['generated'] * 1e6:.2f} us,"
        f" overhead {o['overhead'] * 1e6:.2f} us")
    out["training_loop"] = t = training_loop_idioms(quick)
    log(f"  training step: grad made once {t['made_once_s'] * 1e3:.3g} ms, grad(lambda) each "
        f"step {t['lambda_per_step_s'] * 1e3:.3g} ms ({t['ratio']:.2f}x)")
    # Restore the cache for anything that follows.
    srcgrad.api._cache.clear()
    return out


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def _ms(t):
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    return f"{t * 1e3:.3g} ms" if t < 1 else f"{t:.3g} s"


def _mb(b):
    return "n/v" if b is None else f"{b / 2**20:.2f}"


def table(results: Results) -> str:
    head = ("| model | tool | median time | × NumPy fwd | (fwd, same rounds) | peak MB | gradient "
            "| note |\n|---|---|---:|---:|---:|---:|---|---|")
    lines = [head]
    for r in results.rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        peak = _mb(r.peak_bytes) if r.time_s is not None else "-"
        if r.time_s is not None and r.tool not in TRACED:
            peak = "n/v"
        lines.append(f"| {r.model} | {r.tool} | {_ms(r.time_s)} | {ratio} | {_ms(r.fwd_s)} | {peak} | "
                     f"{r.check} | {r.note} |")
    return "\n".join(lines)


def targets(results: Results) -> list[tuple[str, str, str]]:
    """(target, measured, MET/MISSED/n/a) for each target of issue 5."""
    by = {(r.model, r.tool): r for r in results.rows}
    out = []

    def get(m, t):
        r = by.get((m, t))
        return r if r is not None and r.time_s is not None else None

    for m, limit in RATIO_TARGETS.items():
        r = get(m, "srcgrad")
        if r is None:
            out.append((f"{m}: srcgrad / NumPy forward ≤ {limit}", "not run", "n/a"))
        else:
            out.append((f"{m}: srcgrad / NumPy forward ≤ {limit}", f"{r.ratio:.2f}",
                        "MET" if r.ratio <= limit else "MISSED"))
    for m, limit in HAND_TARGETS.items():
        r, h = get(m, "srcgrad"), get(m, "hand")
        if r is None or h is None:
            out.append((f"{m}: srcgrad / hand-written ≤ {limit}", "not run", "n/a"))
        else:
            q = r.ratio / h.ratio  # each against the forward of its own rounds: load cancels
            out.append((f"{m}: srcgrad / hand-written ≤ {limit}", f"{q:.2f}",
                        "MET" if q <= limit else "MISSED"))
    for m, limit in TORCH_SPEEDUP_TARGETS.items():
        r, t = get(m, "srcgrad"), get(m, "torch")
        if r is None or t is None:
            out.append((f"{m}: PyTorch eager / srcgrad ≥ {limit}", "not run", "n/a"))
        else:
            q = t.ratio / r.ratio
            out.append((f"{m}: PyTorch eager / srcgrad ≥ {limit}", f"{q:.2f}",
                        "MET" if q >= limit else "MISSED"))
    for m in dict.fromkeys(r.model for r in results.rows):
        r, h = by.get((m, "srcgrad")), by.get((m, "hand"))
        if r is None or h is None or not r.peak_bytes or not h.peak_bytes or \
                h.peak_bytes < 1e5:  # (the scalar loop allocates next to nothing)
            continue
        q = r.peak_bytes / h.peak_bytes
        out.append((f"{m}: peak memory srcgrad / hand-written ≤ {MEMORY_TARGET}", f"{q:.2f}",
                    "MET" if q <= MEMORY_TARGET else "MISSED"))
    if "transform_fifty_s" in results.extras:
        ms = results.extras["transform_fifty_s"] * 1e3
        what = (f"first transformation of the {results.extras['fifty_lines']}-line function "
                f"≤ {TRANSFORM_TARGET_MS:.0f} ms")
        out.append((what, f"{ms:.1f} ms", "MET" if ms <= TRANSFORM_TARGET_MS else "MISSED"))
    o = results.extras.get("overhead")
    if o:
        us = o["overhead"] * 1e6
        out.append((f"call overhead of the cached gradient ≤ {OVERHEAD_TARGET_US} µs",
                    f"{us:.2f} µs", "MET" if us <= OVERHEAD_TARGET_US else "MISSED"))
    return out


def report(results: Results) -> str:
    parts = ["## Gradient time, ratio to the NumPy forward, peak memory", "", table(results), ""]
    parts += [("peak MB: tracemalloc's peak during one gradient call, above what was live before "
              "it (n/v: not visible to tracemalloc — PyTorch and XLA allocate outside it). "
              "gradient: the tool's gradient against srcgrad's (allclose); srcgrad's own "
              "against autograd's. Ratios between tools (targets below) are ratios of their "
              "× NumPy fwd columns, each measured against the forward in its own interleaved "
              "rounds, so that a change of machine load between tools cancels."), ""]
    t = [x for x in targets(results) if x[2] != "n/a"]  # only those whose runs ran
    if t:
        parts += ["## Targets (issue 5)", "", "| target | measured | |", "|---|---:|---|"]
        parts += [f"| {a} | {b} | {c} |" for a, b, c in t]
        parts.append("")
    e = results.extras
    if "transform_mlp_s" in e:
        parts += ["## srcgrad's own costs", ""]
        parts.append(f"- first transformation (cache cleared, median): MLP loss "
                     f"{_ms(e['transform_mlp_s'])}, a {e['fifty_lines']}-line function "
                     f"{_ms(e['transform_fifty_s'])}")
        parts.append(f"- first call with new argument shapes (the version for them, made "
                     f"then): MLP loss {_ms(e['first_call_mlp_s'])}, the "
                     f"{e['fifty_lines']}-line function {_ms(e['first_call_fifty_s'])}")
        per = ", ".join(f"{k} {_ms(v)}" for k, v in e["transform_models_s"].items())
        parts.append(f"- first transformation of each model: {per}")
        o = e["overhead"]
        parts.append(f"- tiny inputs (np.sum(x * y), 3 elements): cached gradient "
                     f"{o['wrapped'] * 1e6:.2f} µs, `.generated` {o['generated'] * 1e6:.2f} µs,"
                     f" overhead {o['overhead'] * 1e6:.2f} µs per call")
        parts.append("")
    env = results.env
    parts += ["## Environment", "",
              "- " + ", ".join(f"{k} {v}" for k, v in env.items()),
              f"- command: `{results.command}`", ""]
    return "\n".join(parts)


def _dist_version(name: str) -> str:
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def environment() -> dict[str, str]:
    env = {"python": platform.python_version(), "numpy": np.__version__,
           "srcgrad": srcgrad.__version__}
    for mod in ("autograd", "torch", "jax"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = importlib.import_module(mod)
            env[mod] = getattr(m, "__version__", None) or _dist_version(mod)
        except ImportError:
            env[mod] = "not installed"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    env["cpu"] = cpu
    try:
        import subprocess
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "srcgrad"], cwd=ROOT,
                               text=True, capture_output=True, check=True).stdout.strip()
        env["srcgrad"] += f" (git {rev}{', srcgrad/ modified' if dirty else ''})"
    except (OSError, subprocess.CalledProcessError):
        pass
    env["threads"] = "1 (BLAS, torch, XLA)"
    return env


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a fast smoke run (few, short samples)")
    p.add_argument("--models", help="comma-separated models (default: all): " +
                   ", ".join(m.name for m in all_models()))
    p.add_argument("--tools", help="comma-separated tools (default: all): " +
                   ", ".join(ALL_TOOLS))
    p.add_argument("--no-extras", action="store_true",
                   help="skip srcgrad's transformation-time and call-overhead measurements")
    p.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                   help="wall time (default) or this process's CPU time, steadier on a busy "
                        "machine")
    p.add_argument("--include-slow", action="store_true",
                   help="also run the tool/model pairs skipped by default because one call "
                        "takes minutes (JAX on the ADBench LSTM)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--training-loop", action="store_true",
                   help="only time the training-loop idioms: grad(loss) made once against "
                        "grad(lambda ...) made each step with a new batch")
    a = p.parse_args(argv)
    if a.training_loop:
        t = training_loop_idioms(a.quick, a.clock)
        print(f"grad made once:        {_ms(t['made_once_s'])} per step\n"
              f"grad(lambda) per step: {_ms(t['lambda_per_step_s'])} per step "
              f"({t['ratio']:.2f}x, target {TRAINING_LOOP_TARGET}x)")
        return 0 if t["ratio"] <= TRAINING_LOOP_TARGET else 1

    models = all_models()
    if a.models:
        wanted = [w.strip() for w in a.models.split(",") if w.strip()]
        unknown = set(wanted) - {m.name for m in models}
        if unknown:
            p.error(f"unknown model(s): {', '.join(sorted(unknown))}")
        models = [m for m in models if m.name in wanted]
    tools = list(ALL_TOOLS)
    if a.tools:
        tools = [t.strip() for t in a.tools.split(",") if t.strip()]
        unknown = set(tools) - set(ALL_TOOLS)
        if unknown:
            p.error(f"unknown tool(s): {', '.join(sorted(unknown))}")
    s = QUICK if a.quick else FULL

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    results = Results(env=environment(),
                      command="python benchmarks/run.py" + ("" if argv is None and
                                                            len(sys.argv) == 1 else
                                                            " " + " ".join(sys.argv[1:]
                                                                           if argv is None
                                                                           else argv)))
    for model in models:
        log(f"{model.name}: {model.description}")
        results.rows += run_model(model, tools, s, a.clock, log, a.include_slow)
    if not a.no_extras and (not a.tools or "srcgrad" in tools):
        log("srcgrad's own costs")
        results.extras = srcgrad_extras(models, a.quick, log)
    print(report(results))
    if a.json:
        Path(a.json).write_text(json.dumps({"rows": [asdict(r) for r in results.rows],
                                            "extras": results.extras, "env": results.env,
                                            "command": results.command}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
