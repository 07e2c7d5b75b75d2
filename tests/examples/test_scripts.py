"""The example scripts run, learn, and write their pictures (reduced, offline runs).

Training runs go through a subprocess, as a user would run them, with one BLAS thread so
that a busy machine does not slow them down by oversubscription. ``--help`` and
``--show-grad`` are checked in-process through each script's ``main(argv)``.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPTS = ["mnist_mlp", "lstm_sine", "vae_mnist", "spiral"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")


def load(name):
    """Import examples/<name>.py as a module (its folder on sys.path for example_utils)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name, *args, timeout=120):
    """Run examples/<name>.py with ``args``; returns stdout and stderr, checks success."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join([str(ROOT),
                                                             os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, str(EXAMPLES / f"{name}.py"), *map(str, args)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=ROOT, check=False)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout, proc.stderr


def loss_went_down(stdout):
    """Parse the 'training loss A (first n steps) -> B (last n)' line."""
    match = re.search(r"training loss (\S+) \(first \d+ steps\) -> (\S+) \(last", stdout)
    assert match, stdout
    first, last = map(float, match.groups())
    return last < first


def pngs_written(out, names):
    for name in names:
        path = out / name
        assert path.exists(), f"{name} not written"
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000, f"{name} is not a real PNG"


# --------------------------------------------------------------------------- in-process


@pytest.mark.parametrize("name", SCRIPTS)
def test_help(name, capsys):
    with pytest.raises(SystemExit) as info:
        load(name).main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--seed", "--out", "--show-grad", "--save", "--load"):
        assert option in text
    assert "--epochs" in text or "--steps" in text
    # every option with a value says its default
    parser_actions = [a for a in _parser(name)._actions if a.default not in (None, False)
                      and a.option_strings and a.dest != "help"]
    assert parser_actions
    for action in parser_actions:
        assert f"(default: {action.default})" in " ".join(text.split()), action.dest


def _parser(name):
    """The script's argument parser, as its main builds it."""
    captured = {}
    module = load(name)
    original = module.ex.parser

    def keep(*args, **kwargs):
        captured["parser"] = original(*args, **kwargs)
        return captured["parser"]

    module.ex.parser = keep
    try:
        with pytest.raises(SystemExit):
            module.main(["--no-such-option"])
    finally:
        module.ex.parser = original
    return captured["parser"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_show_grad_into_a_pipe_closed_early(name):
    # `--show-grad | head`: here a reader that leaves before reading anything, so that every
    # write meets a closed pipe. Not an error: no traceback, exit status 0.
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    command = f'set -o pipefail; "{sys.executable}" "{EXAMPLES / name}.py" --show-grad | true'
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                          env=env, cwd=ROOT, check=False)
    assert done.returncode == 0 and "Error" not in done.stderr, done.stderr


@pytest.mark.parametrize("name", SCRIPTS)
def test_show_grad_prints_generated_code(name, capsys, tmp_path):
    assert load(name).main(["--show-grad", "--out", str(tmp_path)]) == {}
    source = capsys.readouterr().out
    assert "def " in source and "# grad of:" in source and "return" in source
    assert not any(tmp_path.iterdir())  # exits before training


def test_mnist_falls_back_when_download_fails(monkeypatch, tmp_path, capsys):
    # The default (not --offline) path, with a network that fails: bundled data, and a message.
    pooch = pytest.importorskip("pooch")

    def no_network(url, *args, **kwargs):
        raise ConnectionError(f"cannot reach {url}")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    result = load("mnist_mlp").main(["--hidden", "0", "--epochs", "1", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert "Falling back to the MNIST test set bundled with the examples" in err
    assert "first 8,000 images" in out and "last 2,000" in out
    assert result["accuracy"] > 0.8


# --------------------------------------------------------------------------- training runs


def test_mnist_mlp(tmp_path):
    out, err = run("mnist_mlp", "--offline", "--epochs", "1", "--out", tmp_path)
    assert "training on its first 8,000 images, evaluating on the last 2,000" in out
    assert loss_went_down(out)
    accuracy = float(re.search(r"test accuracy ([\d.]+)% on 2,000 images", out).group(1))
    assert accuracy > 85
    assert "it/s" in err or "s/it" in err  # the progress bar
    pngs_written(tmp_path, ["mnist_mlp_loss.png", "mnist_mlp_weights.png"])


def test_mnist_logistic_regression(tmp_path):
    out, _ = run("mnist_mlp", "--offline", "--hidden", "0", "--epochs", "1", "--out", tmp_path)
    assert "logistic regression" in out and loss_went_down(out)
    pngs_written(tmp_path, ["mnist_mlp_loss.png", "mnist_mlp_weights.png"])


def test_lstm_sine(tmp_path):
    out, _ = run("lstm_sine", "--steps", "300", "--out", tmp_path)
    assert loss_went_down(out)
    rmse, baseline = map(float, re.search(r"generation RMSE (\S+) vs baseline (\S+),", out).groups())
    assert rmse < baseline
    pngs_written(tmp_path, ["lstm_sine.png", "lstm_sine_loss.png"])


def test_vae_fashion_offline_falls_back_to_mnist(tmp_path):
    out, err = run("vae_mnist", "--dataset", "fashion", "--offline", "--epochs", "1",
                   "--hidden", "128", "--out", tmp_path)
    assert "Fashion-MNIST is not bundled" in err
    assert loss_went_down(out)
    assert re.search(r"epoch  1  train ELBO +-[\d.]+  test ELBO +-[\d.]+ nats per image", out)
    pngs_written(tmp_path, ["vae_reconstructions.png", "vae_samples.png", "vae_loss.png"])


def test_spiral(tmp_path):
    out, _ = run("spiral", "--steps", "300", "--out", tmp_path)
    assert loss_went_down(out)
    accuracy = float(re.search(r"training accuracy ([\d.]+)%", out).group(1))
    assert accuracy > 70
    pngs_written(tmp_path, ["spiral.png"])


def test_parameters_saved_and_loaded(tmp_path):
    saved = tmp_path / "spiral.npz"
    out, _ = run("spiral", "--steps", "200", "--out", tmp_path, "--save", saved)
    first = float(re.search(r"training accuracy ([\d.]+)%", out).group(1))
    assert f"saved the parameters to {saved}" in out
    # no further training: the loaded parameters give the same accuracy
    out, _ = run("spiral", "--steps", "0", "--out", tmp_path, "--load", saved)
    assert float(re.search(r"training accuracy ([\d.]+)%", out).group(1)) == first


def test_loading_parameters_of_another_model_is_refused(tmp_path):
    saved = tmp_path / "spiral.npz"
    run("spiral", "--steps", "1", "--out", tmp_path, "--save", saved)
    command = [sys.executable, str(EXAMPLES / "spiral.py"), "--hidden", "7", "--load", str(saved),
               "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    assert done.returncode != 0 and "load them with the options they were trained with" in \
        done.stderr
