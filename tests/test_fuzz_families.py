"""The random-program fuzzer on the families of issue 10: aliasing and in-place writes, ``out=``
and other effects, repeated fancy indices, negative literals, random arithmetic, casts, walrus,
integer reassignment, closures, complex intermediates (see corpus/programs.py). Every program's
value and gradients (with respect to every parameter) must match the function itself and central
differences, or srcgrad must refuse it with a SrcgradError naming the file and line. A sample of
them is checked in forward mode too (jvp against central differences and <grad, v>, hvp against
central differences of the gradient, or refused at a line), fewer: each costs two more
transformations.

Derandomized and without an example database, so that the marks below are stable; the long run
(tests/fuzz_long.py) draws many more.
"""

import pytest
from corpus.programs import FAMILIES, check_program, family_programs
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
                suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])

#: Families whose bug is not fixed on this branch (each reported in /work/findings/fuzz.md):
#: they fail today and must XPASS, then lose their mark, once the engine is fixed.
KNOWN: dict[str, str] = {}


def _families():
    return [pytest.param(family, marks=pytest.mark.xfail(strict=True, reason=KNOWN[family]))
            if family in KNOWN else family for family in FAMILIES]


@pytest.mark.parametrize("family", _families())
@FUZZ
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_family_programs(family, data, seed, tmp_path_factory):
    source = data.draw(family_programs(family, control_flow=data.draw(st.booleans())),
                       label="source")
    outcome = check_program(source, seed, tmp_path_factory.mktemp("programs"), forward=False)
    assume(outcome.kind != "invalid")
    event(f"{outcome.kind}: {outcome.category}")  # pytest --hypothesis-show-statistics
    assert outcome.kind != "failure", f"{outcome.detail}\n{source}"


@settings(FUZZ, max_examples=6)
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_family_programs_in_forward_mode(data, seed, tmp_path_factory):
    family = data.draw(st.sampled_from(sorted(set(FAMILIES) - set(KNOWN))), label="family")
    source = data.draw(family_programs(family, control_flow=data.draw(st.booleans())),
                       label="source")
    outcome = check_program(source, seed, tmp_path_factory.mktemp("programs"))
    assume(outcome.kind != "invalid")
    for mode, result in outcome.forward.items():
        event(f"{mode}: {result.split(':')[0]}")
    assert outcome.kind != "failure", f"{outcome.detail}\n{source}"


# -- the checker itself: it must see a wrong value or gradient, and not invent one ---------------

_SMOOTH = """import numpy as np


def f(a, b, c):
    return np.sum(np.sin(a) * b) + np.sum(c ** 2)
"""


def _check_with(monkeypatch, tmp_path, value_and_grad):
    import srcgrad
    monkeypatch.setattr(srcgrad, "value_and_grad", value_and_grad)
    return check_program(_SMOOTH, 0, tmp_path)


def test_checker_reports_a_wrong_gradient_and_a_wrong_value(monkeypatch, tmp_path):
    import srcgrad
    real = srcgrad.value_and_grad

    def off_gradient(fn, wrt):
        def run(*args):
            value, grads = real(fn, wrt=wrt)(*args)
            return value, (grads[0] * 1.001,) + tuple(grads[1:])
        return run

    def off_value(fn, wrt):
        def run(*args):
            value, grads = real(fn, wrt=wrt)(*args)
            return value + 1e-6, grads
        return run

    assert _check_with(monkeypatch, tmp_path, off_gradient).category == "gradient"
    assert _check_with(monkeypatch, tmp_path, off_value).category == "value"
    assert _check_with(monkeypatch, tmp_path, real).kind == "ok"


def _forward_check_with(monkeypatch, tmp_path, mode, made):
    import srcgrad
    monkeypatch.undo()  # (the mode patched before)
    monkeypatch.setattr(srcgrad, mode, made)
    return check_program(_SMOOTH, 0, tmp_path)


def test_checker_reports_a_wrong_jvp_and_a_wrong_hvp(monkeypatch, tmp_path):
    import srcgrad
    real_jvp, real_hvp = srcgrad.jvp, srcgrad.hvp

    def off_jvp(fn, wrt):
        def run(*args, tangent):
            value, found = real_jvp(fn, wrt=wrt)(*args, tangent=tangent)
            return value, found * 1.001
        return run

    def off_hvp(fn, wrt):
        def run(*args, vector):
            found = real_hvp(fn, wrt=wrt)(*args, vector=vector)
            return (found[0] * 1.001,) + tuple(found[1:])
        return run

    assert _forward_check_with(monkeypatch, tmp_path, "jvp", off_jvp).category == \
        "jvp differs from <grad, v>"
    assert _forward_check_with(monkeypatch, tmp_path, "hvp", off_hvp).category == \
        "hvp differs from central differences of the gradient"
    checked = _forward_check_with(monkeypatch, tmp_path, "hvp", real_hvp)
    assert checked.kind == "ok"
    assert checked.forward == {"jvp": "checked", "hvp": "checked"}


def test_checker_counts_an_hvp_refusal_at_a_line_and_never_as_checked(monkeypatch, tmp_path):
    from srcgrad.errors import UnsupportedSyntaxError

    def refuse(fn, wrt):
        raise UnsupportedSyntaxError("no", filename="<generated f_grad>", lineno=3,
                                     line="    x[i] = tape.pop()")

    outcome = _forward_check_with(monkeypatch, tmp_path, "hvp", refuse)
    assert outcome.kind == "ok"
    assert outcome.forward["hvp"] == "refused: UnsupportedSyntaxError: no"

    def refuse_nowhere(fn, wrt):
        raise UnsupportedSyntaxError("no")

    outcome = _forward_check_with(monkeypatch, tmp_path, "hvp", refuse_nowhere)
    assert outcome.kind == "failure" and outcome.category.startswith("hvp refused")


def test_checker_requires_refusals_to_name_the_file_and_line(monkeypatch, tmp_path):
    from srcgrad.errors import UnsupportedSyntaxError

    def refuse(filename):
        def make(fn, wrt):
            raise UnsupportedSyntaxError("no", filename=filename or fn.__code__.co_filename,
                                         lineno=5, line="    return ...")
        return make

    assert _check_with(monkeypatch, tmp_path, refuse(None)).kind == "refused"
    assert _check_with(monkeypatch, tmp_path, refuse("elsewhere.py")).kind == "failure"

    def crash(fn, wrt):
        raise KeyError("x")

    assert _check_with(monkeypatch, tmp_path, crash).kind == "failure"


def test_checker_gives_each_evaluation_fresh_arguments(tmp_path):
    """A program that writes into its parameters: no false mismatch from shared arguments."""
    source = """import numpy as np


def f(a, b, c):
    a *= 2.0
    b += 1.0
    return np.sum(np.sin(a) * b) + np.sum(c)
"""
    assert check_program(source, 0, tmp_path).kind == "ok"


def test_checker_skips_programs_that_fail_themselves(tmp_path):
    source = """import numpy as np


def f(a, b, c):
    return np.sum(a @ c)
"""
    assert check_program(source, 0, tmp_path).kind == "invalid"


# -- reproducers the long run found on main, minimized (/work/findings/fuzz.md) ------------------

_REPRODUCERS = {
    "positional-out": """
def f(a, b, c):
    y_0 = a * 1.0
    w_0 = np.cos(a)
    np.square(y_0, w_0)
    return np.sum(y_0 ** 2) + np.sum(w_0 ** 2) + np.sum(a ** 2)
""",
    "positional-out-into-parameter": """
def f(a, b, c):
    y_0 = np.sin(c) + np.mean(c)
    np.square(y_0, c)
    return np.sum(y_0 ** 2) + np.sum(c) * np.mean(a)
""",
    "astype-no-copy-written-twice": """
def f(a, b, c):
    w_1 = a.astype(float, copy=False)
    w_1[0] = np.max(a)
    w_1[0] = np.max(b)
    return np.sum(a ** 2) + np.sum(np.sin(w_1))
""",
    "max-of-0d-with-axis": """
def f(a, b, c):
    s_0 = np.sum(a * a)
    return np.max(s_0, axis=0) + s_0
""",
}
_REPRODUCERS_KNOWN: dict[str, str] = {}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=_REPRODUCERS_KNOWN[name]))
    if name in _REPRODUCERS_KNOWN else name for name in _REPRODUCERS])
def test_long_run_reproducers(name, tmp_path):
    outcome = check_program("import numpy as np\n\n" + _REPRODUCERS[name], 0, tmp_path)
    assert outcome.kind in ("ok", "refused"), outcome.detail
