"""The generated source of three small functions, pinned.

Expected text lives in tests/golden/<function>.py.txt. After an intended change to the
generated code, rewrite the files with ``SRCGRAD_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff.
"""

import difflib
import os
import sys
from pathlib import Path

import pytest
from corpus import golden

import srcgrad

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SRCGRAD_UPDATE_GOLDEN") == "1"

CASES = [
    (golden.product_sine, (0, 1)),
    (golden.dense_layer, ("w", "b")),
    (golden.running_state, 0),
]


@pytest.mark.parametrize("fn, wrt", CASES, ids=[fn.__name__ for fn, _ in CASES])
def test_generated_source_is_unchanged(fn, wrt):
    path = GOLDEN / f"{fn.__name__}.py.txt"
    source = srcgrad.grad(fn, wrt=wrt).source
    if UPDATE:
        path.write_text(source)
        return
    assert path.exists(), f"{path} is missing: run with SRCGRAD_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text()
    if source != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), source.splitlines(True),
                                            f"golden/{path.name}", "generated"))
        pytest.fail(f"the generated source of {fn.__name__} changed (SRCGRAD_UPDATE_GOLDEN=1 "
                    f"rewrites the golden file):\n{diff}", pytrace=False)


def test_update_mode_writes_and_mismatch_shows_a_diff(tmp_path, monkeypatch):
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "GOLDEN", tmp_path)
    monkeypatch.setattr(module, "UPDATE", True)
    test_generated_source_is_unchanged(golden.product_sine, (0, 1))
    written = tmp_path / "product_sine.py.txt"
    assert written.read_text().startswith("def product_sine_grad(x1, x2):")
    written.write_text(written.read_text().replace("np.cos(x1)", "np.sin(x1)"))
    monkeypatch.setattr(module, "UPDATE", False)
    with pytest.raises(pytest.fail.Exception) as info:
        test_generated_source_is_unchanged(golden.product_sine, (0, 1))
    assert "-    dx1 = dy_2 * np.sin(x1)\n+    dx1 = dy_2 * np.cos(x1)" in str(info.value)
