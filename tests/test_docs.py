"""The documentation: ``mkdocs build --strict`` passes, and its generated parts are generated.

The build runs without the example scripts (``SRCGRAD_DOCS_EXAMPLES=0``: their training runs
take most of a full build, and they have tests of their own); set
``SRCGRAD_DOCS_TEST_EXAMPLES=1`` to include them. Skipped when MkDocs is not installed
(``pip install -e ".[docs]"``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "docs" / "_hooks"


def _hook_module(name: str):
    if str(HOOKS) not in sys.path:
        sys.path.insert(0, str(HOOKS))
    return __import__(name)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            pytest.skip(f"{module} is not installed (pip install -e \".[docs]\")")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    if env.get("SRCGRAD_DOCS_TEST_EXAMPLES") != "1":
        env["SRCGRAD_DOCS_EXAMPLES"] = "0"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def test_strict_build_writes_every_page(site):
    for name in ("getting-started", "how-it-works", "supported-python", "supported-numpy",
                 "custom-rules", "checking-gradients", "errors", "command-line", "examples",
                 "performance", "comparison", "api"):
        assert (site / name / "index.html").exists(), name
    assert (site / "index.html").exists()


def test_listings_are_generated(site):
    html = page(site, "how-it-works")
    for name in ("predict_grad", "mlp_loss_grad", "lstm_loss_grad", "vae_loss_grad"):
        assert f"{name}</span>" in html or f"{name}(" in html, name
    assert "<!-- srcgrad:" not in html  # every marker was expanded
    assert "This part could not be generated" not in html


def test_tables_come_from_the_registry(site):
    html = page(site, "supported-numpy")
    from srcgrad.rules.registry import all_rules

    for rule in all_rules():
        if rule.differentiable and rule.name.startswith("np."):
            assert rule.name in html, rule.name
    assert "np.argmax" in html  # the list of functions without a gradient


def test_error_messages_are_real(site):
    html = page(site, "errors")
    assert "docs/_examples/error_cases.py" in html  # paths made relative to the repository
    assert str(ROOT) not in html
    assert "WrtError" in html and "RuleError" in html


def test_every_example_script_has_a_page(site):
    for script in sorted((ROOT / "examples").glob("*.py")):
        if "__main__" in script.read_text(encoding="utf-8"):
            assert (site / "examples" / script.stem / "index.html").exists(), script.name


# -- the hooks' pieces, without MkDocs ------------------------------------------------------------

def test_markers_are_parsed():
    directives = _hook_module("directives")
    text = "a\n<!-- srcgrad:grad f.py:g wrt=a,b mode=vjp\nx = 1 :: one\n-->\nb <!-- srcgrad:x -->"
    found = directives.find(text)
    assert [d.name for d in found] == ["grad", "x"]
    assert found[0].args == ["f.py:g"]
    assert found[0].options == {"wrt": "a,b", "mode": "vjp"}
    assert found[0].body == ["x = 1 :: one"]
    expanded = directives.expand(text, lambda d: d.name.upper(), lambda d, e: "!")
    assert expanded == "a\nGRAD\nb X"


def test_stale_explanations_fail():
    directives = _hook_module("directives")
    listings = _hook_module("listings")
    code = "def f_grad(x):\n    y = x\n    dx = dy\n    return dx\n"
    ok = directives.Directive("grad", ["f.py:f"], body=["y = x .. dx = :: both"])
    assert "Lines 2–3" in listings._explain(code, ok)
    stale = directives.Directive("grad", ["f.py:f"], body=["z = 2 :: gone"])
    with pytest.raises(directives.DirectiveError, match="update the explanation"):
        listings._explain(code, stale)


def test_rule_families_cover_the_registry():
    families = _hook_module("families")
    import numpy as np
    from rules.harness import is_built_in as built_in

    from srcgrad.rules.registry import all_rules

    mapping = families.family_of()
    missing = [r.name for r in all_rules() if built_in(r)
               and families.key_text(r.key) not in mapping]
    assert not missing
    assert mapping[families.key_text(np.exp)] == "elementwise"
    assert mapping[families.key_text("+")] == "operators"


def _python_snippets():
    """(page, number, code) of every ```python block written in the docs' pages."""
    for page in sorted((ROOT / "docs").rglob("*.md")):
        blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), re.DOTALL | re.MULTILINE)
        for number, code in enumerate(blocks, 1):
            yield pytest.param(code, id=f"{page.relative_to(ROOT / 'docs')}#{number}")


@pytest.mark.parametrize("code", list(_python_snippets()))
def test_every_python_snippet_runs_as_shown(code):
    # run beside docs/_examples, whose files the pages show; pdb is told to continue
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "docs" / "_examples",
                          input="continue\n", capture_output=True, text=True, timeout=120,
                          check=False)
    missing = re.search(r"ModuleNotFoundError: No module named '(torch|cupy)'", done.stderr)
    if missing:  # a snippet about an optional array library, not installed here
        pytest.skip(f"{missing.group(1)} is not installed")
    assert done.returncode == 0 and "Traceback" not in done.stdout + done.stderr, \
        done.stdout + done.stderr
