"""The plumbing the examples share: command line, progress bars, batches, pictures.

Nothing here is about automatic differentiation; the models are in the example scripts.
matplotlib and tqdm are optional dependencies of srcgrad: ``pip install "srcgrad[examples]"``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def require(module: str):
    """Import an optional dependency, or stop with a message saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SystemExit(
            f"This example needs the optional package {module.split('.')[0]!r}. Install the "
            f'examples\' dependencies with: pip install "srcgrad[examples]"'
        ) from None


def parser(description: str, *, epochs: int | None = None,
           steps: int | None = None) -> argparse.ArgumentParser:
    """An argument parser with the options every example has.

    ``--seed``, ``--out DIR``, ``--show-grad``, and ``--epochs N`` or ``--steps N`` (whichever
    default is given).
    """
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="random seed")
    if epochs is not None:
        p.add_argument("--epochs", type=int, default=epochs, help="passes over the training set")
    if steps is not None:
        p.add_argument("--steps", type=int, default=steps, help="optimization steps")
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the PNG pictures")
    p.add_argument("--save", type=Path, metavar="FILE.npz",
                   help="write the trained parameters to this file")
    p.add_argument("--load", type=Path, metavar="FILE.npz",
                   help="start from the parameters in this file (written by --save)")
    p.add_argument("--show-grad", action="store_true",
                   help="print the generated gradient code of the loss and exit")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                   help="where to train: NumPy on the CPU, or CuPy on the GPU (the same model "
                        "code: srcgrad runs its gradient on CuPy arrays)")
    return p


def device_arrays(device: str):
    """The array module for ``--device``: NumPy, or CuPy (refused loudly without a GPU)."""
    if device == "cpu":
        return np
    try:
        import cupy
        cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 (no CuPy, no CUDA driver or no device)
        raise SystemExit(f"--device gpu needs CuPy and a CUDA GPU: {error}") from None
    return cupy


def to_device(xp, values):
    """``values`` (arrays, or a tuple or list of them) as arrays of ``xp`` (explicit copies)."""
    if isinstance(values, (tuple, list)):
        return type(values)(to_device(xp, v) for v in values)
    return xp.asarray(values)


def to_host(values):
    """``values`` as NumPy arrays (for pictures and files)."""
    if isinstance(values, (tuple, list)):
        return type(values)(to_host(v) for v in values)
    return values.get() if hasattr(values, "get") else np.asarray(values)


def show(text: str) -> None:
    """Print ``text``; a reader that stops early (``--show-grad | head``) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit: point it nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def save_params(path: Path, params: Sequence[np.ndarray]) -> Path:
    """Write a tuple of parameter arrays to an ``.npz`` file; returns the file's path."""
    path = path if path.suffix == ".npz" else path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, *params)  # arr_0, arr_1, ... in order
    return path


def load_params(path: Path, like: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """The parameters :func:`save_params` wrote, checked against the shapes of ``like``."""
    with np.load(path) as saved:
        params = tuple(saved[f"arr_{i}"] for i in range(len(saved.files)))
    found, expected = [p.shape for p in params], [np.shape(p) for p in like]
    if found != expected:
        raise SystemExit(f"{path} holds parameters of shapes {found}, but this model's are "
                         f"{expected}: load them with the options they were trained with")
    return params


def progress(iterable, total: int | None = None, desc: str | None = None):
    """A tqdm progress bar (on stderr) over ``iterable``."""
    tqdm = require("tqdm").tqdm
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)


def say(message: str) -> None:
    """Print a line without breaking an active progress bar."""
    require("tqdm").tqdm.write(message)


def batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled index arrays covering ``range(n)`` in batches (the last may be smaller)."""
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def one_hot(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    """``(n,)`` integer labels to an ``(n, classes)`` float array of zeros and ones."""
    return np.eye(classes)[labels]


def pyplot():
    """matplotlib's pyplot with the file-only Agg backend (no display needed)."""
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def save_figure(fig, out: Path, name: str) -> Path:
    """Save a matplotlib figure as ``out/name`` and close it; returns the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=100, bbox_inches="tight")
    pyplot().close(fig)
    return path


def plot_curve(values: Sequence[float], out: Path, name: str, *, title: str,
               xlabel: str = "step", ylabel: str = "loss", smooth: int = 0,
               log: bool = False) -> Path:
    """Save a line plot of ``values`` (a loss curve); ``smooth`` adds a running mean."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    values = np.asarray(values, dtype=float)
    ax.plot(values, lw=0.8, alpha=0.5 if smooth else 1.0, label="per step")
    if smooth and len(values) > smooth:
        kernel = np.ones(smooth) / smooth
        running = np.convolve(values, kernel, mode="valid")
        ax.plot(np.arange(smooth - 1, len(values)), running, lw=1.5,
                label=f"mean of {smooth}")
        ax.legend()
    if log:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    return save_figure(fig, out, name)


def tile(images: np.ndarray, cols: int, pad: int = 1) -> np.ndarray:
    """Arrange ``(n, h, w)`` images in a grid ``cols`` wide, separated by ``pad`` pixels
    of NaN (drawn as background); returns one 2-D array."""
    n, h, w = images.shape
    rows = -(-n // cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), np.nan)
    for k in range(n):
        r, c = divmod(k, cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top:top + h, left:left + w] = images[k]
    return grid


def save_grid(images: np.ndarray, out: Path, name: str, *, cols: int, title: str,
              cmap: str = "gray", symmetric: bool = False) -> Path:
    """Save ``(n, h, w)`` images as a PNG grid. Pixels are in [0, 1], or with ``symmetric``,
    any sign, with the colour map centred on 0 (for weights)."""
    plt = pyplot()
    grid = tile(images, cols)
    rows = grid.shape[0] / grid.shape[1] * cols
    fig, ax = plt.subplots(figsize=(max(4, cols * 0.6), max(2, rows * 0.6 + 0.5)))
    if symmetric:
        limit = np.nanmax(np.abs(grid)) or 1.0
        ax.imshow(grid, cmap=cmap, vmin=-limit, vmax=limit)
    else:
        ax.imshow(grid, cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_title(title)
    ax.axis("off")
    return save_figure(fig, out, name)


def loss_trend(losses: Sequence[float], n: int = 10) -> str:
    """"training loss 2.3 -> 0.05": the mean of the first and of the last ``n`` values."""
    if not losses:
        return "no training steps (the parameters were evaluated as they were)"
    n = max(1, min(n, len(losses) // 2))
    return (f"training loss {np.mean(losses[:n]):.4g} (first {n} steps) -> "
            f"{np.mean(losses[-n:]):.4g} (last {n})")
