"""benchmarks/gpu.py's CPU-side logic: its options, its models' arguments (run on PyTorch CPU
tensors through srcgrad, equal to NumPy's), and its loud stop without CuPy and a GPU."""

import importlib.util

import numpy as np
import pytest

from benchmarks import gpu


def test_options():
    args = gpu.parse(["--models", "mlp", "--dtypes", "float32", "--repeat", "3"])
    assert (args.models, args.dtypes, args.repeat) == (["mlp"], ["float32"], 3)
    assert gpu.parse([]).models == ["lstm", "mlp", "vae"]


@pytest.mark.parametrize("name", sorted(gpu.MODELS))
def test_models_on_torch_cpu(name):
    torch = pytest.importorskip("torch")
    pytest.importorskip("array_api_compat")
    host = gpu.make_args(name, "float64", scale=0.02)
    step = gpu.srcgrad_step(name)
    want = step(*host)
    got = step(*(torch.asarray(a) for a in host))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-10, atol=1e-12)
    for g, w in zip(gpu.torch_step(name, torch)(*(torch.asarray(a) for a in host)), want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-8, atol=1e-10)


def test_full_shapes():
    shapes = [a.shape for a in gpu.make_args("mlp", "float32")]
    assert shapes[0] == (784, 2048) and shapes[4] == (4096, 784)


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_stops_loudly_without_cupy():
    with pytest.raises(SystemExit, match="needs CuPy and a CUDA GPU"):
        gpu.main(["--models", "mlp"])
