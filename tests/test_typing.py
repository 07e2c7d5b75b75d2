"""A user's type checker sees what grad, value_and_grad and vjp return (srcgrad ships py.typed)."""

import textwrap

import pytest

mypy_api = pytest.importorskip("mypy.api")

USER_CODE = textwrap.dedent("""
    import numpy as np
    from srcgrad import grad, value_and_grad, vjp

    def loss(w: np.ndarray, x: np.ndarray) -> float:
        return float(np.sum((x @ w) ** 2))

    g = grad(loss, wrt="w")
    reveal_type(g)
    reveal_type(grad(wrt=0))
    dw = g(np.ones(3), np.ones((2, 3)))
    text: str = g.source + value_and_grad(loss).source + vjp(loss).any_shape_source
    g.no_such_attribute
""")


def test_grad_is_seen_as_a_callable_with_its_source(tmp_path):
    (tmp_path / "user.py").write_text(USER_CODE)
    out, err, _ = mypy_api.run([str(tmp_path / "user.py"), "--cache-dir", str(tmp_path / "cache"),
                                "--follow-imports", "silent"])
    lines = [line for line in out.splitlines() if "user.py" in line]
    assert any('Revealed type is "srcgrad.api.Gradient"' in line for line in lines), out + err
    assert any("def (def (*Any, **Any) -> Any) -> srcgrad.api.Gradient" in line
               or "srcgrad.api.Gradient]" in line for line in lines[1:]), out
    errors = [line for line in lines if ": error:" in line]  # only the attribute that is not
    assert len(errors) == 1 and "no_such_attribute" in errors[0], out + err
