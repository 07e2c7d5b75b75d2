"""The command line: every command with good and bad input, exit codes, never a traceback."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from srcgrad import cli
from srcgrad import graph as graphs

MODELS = '''
import numpy as np


def loss(W, b, x):
    h = np.tanh(x @ W + b)
    return np.mean(h ** 2)


def double(x):
    return x * 2.0


def recurrent(w, xs):
    h = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(w * h + xs[t])
    return h


def guarded(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def opaque(x):
    return np.sum(np.unwrap(x))


def pair(W, x):
    h = x @ W
    return h, np.sum(W)


class Model:
    @staticmethod
    def energy(x):
        return np.sum(x * x)


NOT_A_FUNCTION = 3
'''


@pytest.fixture
def models(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "cli_models.py"
    path.write_text(MODELS)
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("srcgrad: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# -- show ---------------------------------------------------------------------------------------

def test_show_prints_generated_source(models):
    code, out, err = run("show", f"{models}:loss", "--wrt", "W,b")
    assert code == 0, err
    assert out.startswith("def loss_grad(W, b, x):")
    assert "# grad of:" in out
    assert "return as_grad(dW, W), as_grad(db, b)" in out
    assert "\x1b[" not in out  # not a terminal: no colour


def test_show_the_version_for_given_shapes(models):
    code, out, err = run("show", f"{models}:loss", "--wrt", "W,b", "--shapes",
                         "W=3x2,b=2,x=5x3")
    assert code == 0, err
    assert "db = np.sum(" in out and "axis=0" in out and "unbroadcast" not in out
    assert "dW = x.T @ " in out
    _, generic, _ = run("show", f"{models}:loss", "--wrt", "W,b")
    assert "unbroadcast" in generic
    code, out, err = run("show", f"{models}:recurrent", "--shapes", "w=float,xs=4")
    assert code == 0, err


@pytest.mark.parametrize("shapes", ["W=3x", "nope=3", "W", "W=-1", "W=3x-2", "W=2.5"])
def test_show_refuses_bad_shapes(models, shapes):
    code, out, err = run("show", f"{models}:loss", "--shapes", shapes)
    assert code != 0 and not out
    assert "--shapes" in err and "Traceback" not in err


def test_show_default_wrt_and_index(models):
    _, default, _ = run("show", f"{models}:loss")
    _, by_index, _ = run("show", f"{models}:loss", "--wrt", "0")
    assert default == by_index
    assert default.rstrip().endswith("return as_grad(dW, W)")


def test_show_modes(models):
    code, out, _ = run("show", f"{models}:double", "--mode", "vjp")
    assert code == 0
    assert out.startswith("def double_vjp(x, *, seed):")
    code, out, _ = run("show", f"{models}:loss", "--mode", "value_and_grad")
    assert code == 0 and out.startswith("def loss_value_and_grad(")


def test_show_dotted_function_name(models):
    code, out, err = run("show", f"{models}:Model.energy")
    assert code == 0, err
    assert out.startswith("def energy_grad(x):")


def test_show_colour_when_asked():
    pytest.importorskip("pygments")
    assert "\x1b[" in cli.highlight("def f(x):\n    return x\n", True)
    assert cli.highlight("x = 1\n", False) == "x = 1\n"


def test_show_colour_choice(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli._use_color("auto", Tty())
    assert not cli._use_color("auto", io.StringIO())
    assert not cli._use_color("never", Tty())
    assert cli._use_color("always", io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._use_color("auto", Tty())


# -- export -------------------------------------------------------------------------------------

def test_export_writes_a_working_module(models, tmp_path):
    target = tmp_path / "loss_grad.py"
    code, out, err = run("export", f"{models}:loss", "-o", str(target), "--wrt", "W,b")
    assert code == 0, err
    assert "wrote" in err and out == ""
    text = target.read_text()
    assert "import srcgrad" not in text and "from srcgrad" not in text
    spec = importlib.util.spec_from_file_location("exported_loss_grad", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    dW, db = module.loss_grad(W, b, x)
    h = np.tanh(x @ W + b)
    dz = 2 * h * (1 - h * h) / h.size
    np.testing.assert_allclose(dW, x.T @ dz)
    np.testing.assert_allclose(db, dz.sum(axis=0))


def test_export_needs_output(models, capsys):
    code, _, _ = run("export", f"{models}:loss")
    assert code == 2
    err = capsys.readouterr().err  # argparse writes usage errors to sys.stderr
    assert "-o" in err and "Traceback" not in err


def test_show_names_the_line_where_shapes_cannot_go_together(models):
    code, out, err = run("show", f"{models}:loss", "--shapes", "W=2x3,b=3,x=4x5")
    assert code == 1 and not out
    assert_one_line_error(err, "cli_models.py:6", "x @ W", "cannot go together")
    code, out, err = run("show", f"{models}:loss", "--shapes", "W=3x2,b=4,x=5x3")
    assert code == 1 and not out
    assert_one_line_error(err, "cli_models.py:6", "cannot go together")


def test_shapes_are_checked_on_the_function_the_mode_differentiates(models):
    code, out, err = run("show", f"{models}:pair", "--mode", "vjp", "--shapes", "W=2x3,x=4x5")
    assert code == 1 and not out
    assert_one_line_error(err, "h = x @ W", "cannot go together")


def test_export_refuses_to_overwrite_the_source(models):
    before = Path(models).read_text()
    code, _, err = run("export", f"{models}:loss", "-o", str(models))
    assert code == 1
    assert_one_line_error(err, "refusing")
    assert Path(models).read_text() == before


def test_export_into_missing_folder(models, tmp_path):
    code, _, err = run("export", f"{models}:loss", "-o", str(tmp_path / "nope" / "g.py"))
    assert code == 1
    assert_one_line_error(err, "does not exist")


# -- rules --------------------------------------------------------------------------------------

def test_rules_lists_everything():
    code, out, _ = run("rules")
    assert code == 0
    assert any(line.startswith("np.exp(x)") and "differentiable in x" in line
               for line in out.splitlines())
    assert any(line.startswith("np.argmax(") and "no gradient" in line
               for line in out.splitlines())
    assert any(line.startswith("x.sum(...)") for line in out.splitlines())


def test_rules_glob():
    code, out, _ = run("rules", "np.linalg.*")
    assert code == 0
    names = [line.split("(")[0] for line in out.splitlines() if line[:1] != " "]
    assert names and all(n.startswith("np.linalg.") for n in names)


def test_rules_substring_is_case_insensitive():
    code, out, _ = run("rules", "TANH")
    assert code == 0
    assert "np.tanh(x)" in out and "np.arctanh(x)" in out
    assert "np.exp(" not in out


def test_rules_no_match():
    code, out, err = run("rules", "no_such_primitive")
    assert code == 1 and out == ""
    assert_one_line_error(err, "no_such_primitive")


# -- graph --------------------------------------------------------------------------------------

def test_graph_prints_dot(models):
    code, out, err = run("graph", f"{models}:recurrent")
    assert code == 0, err
    assert out.startswith('digraph "recurrent" {')
    assert "subgraph cluster_" in out and "for t in range" in out


def test_graph_adjoint(models):
    code, out, _ = run("graph", f"{models}:recurrent", "--adjoint", "--wrt", "w")
    assert code == 0
    assert out.startswith('digraph "recurrent_grad" {')
    assert "grad of: " in out and '"tape"' in out


def test_graph_writes_dot_file(models, tmp_path):
    target = tmp_path / "g.dot"
    code, out, _ = run("graph", f"{models}:loss", "--wrt", "W", "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_text().startswith("digraph")


@pytest.mark.skipif(graphs.dot_program() is None, reason="Graphviz's dot is not installed")
def test_graph_renders_svg(models, tmp_path):
    target = tmp_path / "g.svg"
    code, _, err = run("graph", f"{models}:loss", "-o", str(target))
    assert code == 0, err
    assert "<svg" in target.read_text()


def test_graph_without_dot_writes_dot_text_and_fails(models, tmp_path, monkeypatch):
    monkeypatch.setattr(graphs, "dot_program", lambda: None)
    target = tmp_path / "g.png"
    code, _, err = run("graph", f"{models}:loss", "-o", str(target))
    assert code == 1  # the picture asked for was not made
    assert_one_line_error(err, "g.png")
    assert not target.exists()
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "not installed" in err and "dot -Tpng" in err


def test_graph_bad_suffix(models, tmp_path):
    code, _, err = run("graph", f"{models}:loss", "-o", str(tmp_path / "g.txt"))
    assert code == 1
    assert_one_line_error(err, "g.txt")


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["show", "graph"])
def test_missing_file(command, tmp_path):
    code, out, err = run(command, f"{tmp_path / 'missing.py'}:f")
    assert code == 1 and out == ""
    assert_one_line_error(err, "missing.py", "no such file")


def test_target_without_function(models):
    code, _, err = run("show", str(models))
    assert code == 1
    assert_one_line_error(err, "FILE.py:FUNCTION")


def test_no_such_function_lists_the_defined_ones(models):
    code, _, err = run("show", f"{models}:nope")
    assert code == 1
    assert_one_line_error(err, "no function 'nope'", "loss", "recurrent")


def test_not_a_function(models):
    code, _, err = run("show", f"{models}:NOT_A_FUNCTION")
    assert code == 1
    assert_one_line_error(err, "not a function")


def test_syntax_error_in_file(tmp_path):
    bad = tmp_path / "broken_syntax.py"
    bad.write_text("import numpy as np\n\ndef f(x:\n    return x\n")
    code, _, err = run("show", f"{bad}:f")
    assert code == 1
    assert_one_line_error(err, "broken_syntax.py:3", "syntax error")


def test_file_that_raises_on_import(tmp_path):
    bad = tmp_path / "raises_on_import.py"
    bad.write_text("raise RuntimeError('no data here')\n")
    code, _, err = run("show", f"{bad}:f")
    assert code == 1
    assert_one_line_error(err, "RuntimeError", "no data here")


def test_file_that_exits_on_import(tmp_path):
    bad = tmp_path / "exits_on_import.py"
    bad.write_text("import sys\nsys.exit(3)\n")
    code, _, err = run("show", f"{bad}:f")
    assert code == 1
    assert_one_line_error(err, "sys.exit")


def test_source_error_is_one_line_with_file_and_fix(models):
    code, _, err = run("show", f"{models}:guarded")
    assert code == 1
    assert_one_line_error(err, "cli_models.py:", "try blocks", "Fix:")


def test_non_differentiable_error(models):
    code, _, err = run("graph", f"{models}:opaque", "--wrt", "x")
    assert code == 1
    assert_one_line_error(err, "np.unwrap")
    code, out, err = run("graph", f"{models}:opaque")  # drawn: nothing is differentiated
    assert code == 0 and "np.unwrap" in out, err


def test_bad_wrt(models):
    code, _, err = run("show", f"{models}:loss", "--wrt", "Q")
    assert code == 1
    assert_one_line_error(err, "'Q'", "W, b, x")
    code, _, err = run("show", f"{models}:loss", "--wrt", "W,,b")
    assert code == 1
    assert_one_line_error(err, "empty")


def test_usage_errors_exit_2():
    assert run()[0] == 2
    assert run("frobnicate")[0] == 2
    code, _, err = run("show")
    assert code == 2 and "Traceback" not in err


def test_help_and_version(capsys):
    assert run("--help")[0] == 0
    assert "show" in capsys.readouterr().out
    assert run("--version")[0] == 0
    assert "srcgrad" in capsys.readouterr().out


def test_describe_error_of_a_source_error():
    from srcgrad.errors import UnsupportedSyntaxError

    exc = UnsupportedSyntaxError("while loops are not supported yet", filename="m.py",
                                 lineno=7, line="    while x:", fix="use a for loop")
    text = cli.describe_error(exc)
    assert text == "m.py:7: while loops are not supported yet. Fix: use a for loop"


# -- as a program -------------------------------------------------------------------------------

def test_python_dash_m(models, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "srcgrad", "show", f"{models}:double"],
                        check=False, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("def double_grad(x):")
    assert "\x1b[" not in ok.stdout  # a pipe, not a terminal
    bad = subprocess.run([sys.executable, "-m", "srcgrad", "show", f"{models}:guarded"],
                         check=False, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert_one_line_error(bad.stderr, "try blocks")


def test_pyproject_declares_the_entry_point():
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert 'srcgrad = "srcgrad.cli:main"' in textwrap.dedent(text)
