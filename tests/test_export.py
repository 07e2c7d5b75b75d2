"""srcgrad.export writes a module that needs only NumPy: run it where srcgrad cannot be imported.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest
from corpus import api, calls, control, indexing, loops, models, straight, writes

import srcgrad

try:  # (for a gradient that calls SciPy)
    from scipy import special, stats
    from scipy.special import gammaln
except ImportError:
    special = stats = gammaln = None


def _numpy_alone(libraries=("numpy",)) -> str:
    """A folder of links to NumPy's entries in its site-packages (and those of the other
    ``libraries``), and nothing else: srcgrad installed from a wheel sits beside NumPy there,
    and must not be importable."""
    site = os.path.dirname(os.path.dirname(np.__file__))
    folder = tempfile.mkdtemp(prefix="numpy_alone_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for entry in os.listdir(site):
        if entry.startswith(libraries):  # numpy, numpy.libs (its BLAS), numpy-*.dist-info
            os.symlink(os.path.join(site, entry), os.path.join(folder, entry))
    return folder


NUMPY_HOME = _numpy_alone()

# Runs in a fresh interpreter: -I (isolated: no PYTHON* variables, no user site, no script
# directory on sys.path) and -S (no site module, so the venv's .pth files, among them
# srcgrad's editable install, are not processed). Only NumPy's directory is added.
RUNNER = textwrap.dedent("""
    import importlib.util, sys
    sys.path.append({numpy_home!r})
    import numpy as np
    try:
        import srcgrad
    except ImportError:
        pass
    else:
        raise SystemExit("srcgrad is importable: " + srcgrad.__file__)
    spec = importlib.util.spec_from_file_location("exported", {module!r})
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inputs = np.load({inputs!r}, allow_pickle=False)
    args = [inputs["arg%d" % i] for i in range(len(inputs.files) - ("seed" in inputs.files))]
    args = [a if a.ndim else a.dtype.type(a) for a in args]
    kwargs = {{"seed": inputs["seed"]}} if "seed" in inputs.files else {{}}
    result = getattr(module, {name!r})(*args, **kwargs)
    result = result if isinstance(result, tuple) else (result,)
    flat = []
    for item in result:
        flat.extend(item if isinstance(item, tuple) else (item,))
    np.savez({outputs!r}, *[np.asarray(r) for r in flat])
""")


ISOLATED = [sys.executable, "-I", "-S", "-c"]


def test_isolated_interpreter_has_numpy_but_not_srcgrad(tmp_path):
    probe = f"import sys; sys.path.append({NUMPY_HOME!r}); import numpy; import srcgrad"
    done = subprocess.run(ISOLATED + [probe], check=False, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert "No module named 'srcgrad'" in done.stderr
    # the same interpreter with its site packages can import srcgrad: the check is not vacuous
    done = subprocess.run([sys.executable, "-c", "import srcgrad"], check=False, cwd=tmp_path,
                          timeout=60)
    assert done.returncode == 0


def run_exported(fn, args, tmp_path, seed=None, home=NUMPY_HOME):
    """Export ``fn``, call it in an interpreter without srcgrad (with NumPy from ``home``),
    return its flat results."""
    module = tmp_path / "exported_grad.py"
    srcgrad.export(fn, module)
    inputs, outputs = tmp_path / "inputs.npz", tmp_path / "outputs.npz"
    arrays = {f"arg{i}": np.asarray(a) for i, a in enumerate(args)}
    if seed is not None:
        arrays["seed"] = seed
    np.savez(inputs, **arrays)
    script = RUNNER.format(numpy_home=home, module=str(module), inputs=str(inputs),
                           outputs=str(outputs), name=fn.__name__)
    done = subprocess.run(ISOLATED + [script], check=False, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
    with np.load(outputs) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def _flat(result):
    result = result if isinstance(result, tuple) else (result,)
    return [x for item in result for x in (item if isinstance(item, tuple) else (item,))]


def _args(rng, *shapes, dtype=np.float64):
    return [rng.uniform(-0.9, 0.9, size=s).astype(dtype) for s in shapes]


CASES = [
    ("grad", straight.arithmetic, [(3, 4), (3, 4)], (0, 1)),
    ("grad", straight.max_min, [(3, 4)], 0),
    ("grad", indexing.two_d, [(3, 4)], 0),
    ("grad", loops.with_zip, [(3, 2), (3, 2), (2,)], (0, 2)),
    ("grad", loops.nested, [(2, 3), (4,)], (0, 1)),
    ("grad", models.lstm, [(2, 12), (3, 12), (12,), (4, 2), (3,), (3,)], (0, 1, 2)),
    ("grad", api.uses_global_constant, [(3,)], 0),
    ("value_and_grad", models.mlp_softmax_xent, [(4, 5), (5,), (5, 3), (3,), (2, 4), (2, 3)],
     (0, 1, 2, 3)),
    ("vjp", api.elementwise_output, [(2, 3), (3, 4)], (0, 1)),
    ("grad", control.while_grows, [(3,)], 0),
    ("grad", control.carried_through_branches, [(3,), (3,)], (0, 1)),
    ("grad", control.return_in_loop, [(3,)], 0),
    ("grad", writes.rows_in_loop, [(4, 2), (2, 3)], (0, 1)),
    ("grad", calls.lstm_with_cell, [(2, 12), (3, 12), (12,), (4, 2), (3,), (3,)], (0, 1)),
]


@pytest.mark.parametrize("mode, fn, shapes, wrt", CASES,
                         ids=[f"{m}-{f.__name__}" for m, f, _, _ in CASES])
def test_exported_module_gives_the_same_result_without_srcgrad(mode, fn, shapes, wrt, tmp_path):
    rng = np.random.default_rng(0)
    args = _args(rng, *shapes)
    gradient = getattr(srcgrad, mode)(fn, wrt=wrt)
    seed = rng.standard_normal(np.shape(fn(*args))) if mode == "vjp" else None
    expected = _flat(gradient(*args, seed=seed) if mode == "vjp" else gradient(*args))
    got = run_exported(gradient, args, tmp_path, seed=seed)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == np.shape(e) and g.dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_exported_float32_gradient_stays_float32(tmp_path):
    rng = np.random.default_rng(1)
    args = _args(rng, (3, 2), (4, 3), dtype=np.float32)
    got = run_exported(srcgrad.grad(straight.data_not_differentiated), args, tmp_path)
    assert got[0].dtype == np.float32 and got[0].shape == (3, 2)


def test_exported_module_imports_only_numpy(tmp_path):
    path = tmp_path / "exported.py"
    srcgrad.export(srcgrad.grad(models.rnn, wrt=(0, 1)), path)
    text = path.read_text()
    imports = [line.strip() for line in text.splitlines()
               if line.lstrip().startswith(("import ", "from "))]
    assert set(imports) <= {"import numpy as np", "from __future__ import annotations"}


def test_exported_module_keeps_the_generated_source(tmp_path):
    gradient = srcgrad.grad(loops.nested, wrt=(0, 1))
    path = tmp_path / "exported.py"
    srcgrad.export(gradient, path)
    assert gradient.source.strip() in path.read_text()


def test_export_after_a_call_writes_the_version_for_any_shapes(tmp_path):
    gradient = srcgrad.grad(models.mlp_softmax_xent, wrt=(0, 1))
    rng = np.random.default_rng(3)
    small = _args(rng, (3, 4), (4,), (4, 2), (2,), (2, 3), (2, 2))
    gradient(*small)  # now .source is the version for these shapes
    assert gradient.source != gradient.any_shape_source
    larger = _args(rng, (3, 4), (4,), (4, 2), (2,), (7, 3), (7, 2))  # another batch size
    expected = _flat(gradient(*larger))
    got = run_exported(gradient, larger, tmp_path)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_export_writes_plain_constant_globals(tmp_path):
    path = tmp_path / "exported.py"
    srcgrad.export(srcgrad.grad(api.uses_global_constant), path)
    assert "SCALE = 0.5" in path.read_text()


def test_export_refuses_global_arrays(tmp_path):
    with pytest.raises(srcgrad.SrcgradError, match="TABLE"):
        srcgrad.export(srcgrad.grad(api.uses_global_array), tmp_path / "exported.py")


def test_export_refuses_other_functions(tmp_path):
    with pytest.raises(srcgrad.SrcgradError, match="export"):
        srcgrad.export(straight.cubic, tmp_path / "exported.py")


def test_non_finite_module_constants_export(tmp_path, monkeypatch):
    import importlib

    (tmp_path / "non_finite.py").write_text(
        "import numpy as np\ninf = np.inf\nnan = float('nan')\nNEG = -np.inf\n\n\n"
        "def f(x):\n    return np.sum(np.minimum(x, inf) + np.maximum(x, NEG)) + 0.0 * nan\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("non_finite")
    monkeypatch.setitem(sys.modules, "non_finite", module)
    from srcgrad.export import module_source

    text = module_source(srcgrad.grad(module.f))
    exported: dict = {}
    exec(compile(text, "exported", "exec"), exported)  # noqa: S102
    np.testing.assert_allclose(exported["f_grad"](np.array([1.0, 2.0])), [2.0, 2.0])


def scipy_log_likelihood(x, mu, log_s):
    from_functions = np.sum(stats.norm.logpdf(x, mu, np.exp(log_s))) + np.sum(gammaln(x * x + 1))
    return from_functions + np.sum(stats.t(4.0, loc=mu).logpdf(x)) + special.logsumexp(x * mu)


def test_exported_gradient_that_calls_scipy_imports_it(tmp_path):
    pytest.importorskip("scipy")
    gradient = srcgrad.grad(scipy_log_likelihood, wrt=(0, 1, 2))
    args = [np.array([0.3, -0.7, 1.1]), 0.2, -0.1]
    path = tmp_path / "exported.py"
    srcgrad.export(gradient, path)
    text = path.read_text()
    assert "It needs NumPy and SciPy" in text
    assert "from scipy.special import gammaln" in text and "import scipy.stats as stats" in text
    got = run_exported(gradient, args, tmp_path, home=_numpy_alone(("numpy", "scipy")))
    for g, e in zip(got, _flat(gradient(*args))):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
