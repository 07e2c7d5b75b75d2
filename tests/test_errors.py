"""Bad input raises a SrcgradError subclass whose message locates the problem and says what to do.
"""

import inspect
import re
import subprocess
import sys

import numpy as np
import pytest
from corpus import api, calls, unsupported

import srcgrad
from srcgrad import errors

MARKER = "# <- here"

# (function, the error class expected, a phrase the message must contain)
UNSUPPORTED = [
    (unsupported.try_block, errors.UnsupportedSyntaxError, "try"),
    (unsupported.with_block, errors.UnsupportedSyntaxError, "with"),
    (unsupported.attribute_assignment, errors.UnsupportedSyntaxError, "attribute"),
    (unsupported.returns_tuple, errors.UnsupportedSyntaxError, "several values"),
    (unsupported.no_return, errors.UnsupportedSyntaxError, "return"),
    (unsupported.star_args, errors.UnsupportedSyntaxError, "*args"),
    (unsupported.generator, errors.UnsupportedSyntaxError, "yield"),
    (unsupported.global_statement, errors.UnsupportedSyntaxError, "global"),
    (unsupported.delete, errors.UnsupportedSyntaxError, "del"),
    (unsupported.set_comprehension_on_wrt, errors.NonDifferentiableError, "set comprehension"),
    (unsupported.math_on_wrt, errors.NonDifferentiableError, "math.gamma"),
    (unsupported.numpy_without_rule, errors.NonDifferentiableError, "np.i0"),
    (unsupported.undefined_name, errors.UnsupportedSyntaxError, "not_defined_anywhere"),
    (unsupported.list_insert, errors.UnsupportedSyntaxError, "insert"),
    (unsupported.while_else, errors.UnsupportedSyntaxError, "else"),
    (unsupported.break_and_else, errors.UnsupportedSyntaxError, "else"),
    (unsupported.nonlocal_statement, errors.UnsupportedSyntaxError, "nonlocal"),
    (unsupported.class_definition, errors.UnsupportedSyntaxError, "class"),
    # a value being differentiated given to a call that may keep it (never a zero gradient)
    (unsupported.append_to_a_nested_list, errors.NonDifferentiableError, "groups[i % 2].append"),
    (unsupported.append_to_an_attribute, errors.NonDifferentiableError, "buffer.data.append"),
    (unsupported.append_through_a_lambda, errors.NonDifferentiableError, "kept.append"),
    (unsupported.copy_of_a_list, errors.UnsupportedSyntaxError, ".copy() of a list"),
]


def _marked_line(fn):
    """(line number in the file, stripped text) of the line of ``fn`` marked ``# <- here``."""
    lines, first = inspect.getsourcelines(fn)
    for offset, text in enumerate(lines):
        if MARKER in text:
            return first + offset, text.strip()
    raise AssertionError(f"{fn.__name__} has no marked line")


@pytest.mark.parametrize("fn, cls, phrase", UNSUPPORTED, ids=[(c.values if hasattr(c, "values") else c)[0].__name__
                              for c in UNSUPPORTED])
def test_unsupported_code_is_located_and_explained(fn, cls, phrase):
    with pytest.raises(srcgrad.SrcgradError) as info:
        srcgrad.grad(fn)(np.ones(3))
    error = info.value
    assert isinstance(error, cls)
    message = str(error)
    lineno, text = _marked_line(fn)
    assert f'File "{unsupported.__file__}", line {lineno}:' in message
    assert text.split(MARKER)[0].strip() in message  # shows the line
    assert phrase in message
    assert "\nFix: " in message  # says what to do
    assert error.lineno == lineno and error.filename == unsupported.__file__


def test_errors_are_raised_when_grad_is_called_not_later():
    with pytest.raises(errors.UnsupportedSyntaxError):
        srcgrad.grad(unsupported.try_block)


def test_message_names_only_user_variables():
    with pytest.raises(errors.NonDifferentiableError) as info:
        srcgrad.grad(unsupported.math_on_wrt)
    # the argument of math.gamma is np.sum(x): the message should not name a temporary
    assert "math_on_wrt_" not in str(info.value)


def test_fix_points_to_a_command_that_exists():
    with pytest.raises(errors.NonDifferentiableError) as info:
        srcgrad.grad(unsupported.numpy_without_rule)
    command = re.search(r"`python -m srcgrad ([a-z ]+)`", str(info.value))
    if command:
        done = subprocess.run([sys.executable, "-m", "srcgrad", *command.group(1).split()],
                              check=False, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "np.sin" in done.stdout, done.stderr


def test_call_without_rule_on_constants_is_fine():
    np.testing.assert_allclose(srcgrad.grad(unsupported.constant_math)(np.ones(2)),
                               np.full(2, 6.0))


@pytest.mark.parametrize("target", [print, np.random.default_rng])
def test_callable_without_source(target):
    # (np.random.default_rng has a rule and no code object on NumPy 1.x: "already differentiates")
    with pytest.raises(errors.SourceUnavailableError, match="defvjp|already differentiates"):
        srcgrad.grad(target)


@pytest.mark.parametrize("target", [np.sin, len])
def test_primitive_with_a_rule_is_not_a_function_to_transform(target):
    with pytest.raises(errors.SourceUnavailableError, match="write a Python function"):
        srcgrad.grad(target)


def test_function_created_by_exec():
    namespace = {"np": np}
    exec("def f(x):\n    return np.sum(x * x)\n", namespace)  # noqa: S102
    with pytest.raises(errors.SourceUnavailableError, match="in a module"):
        srcgrad.grad(namespace["f"])


def test_not_a_function():
    with pytest.raises(srcgrad.SrcgradError):
        srcgrad.grad(42)
    with pytest.raises(errors.WrtError, match="expects a function"):  # grad(None)(x)
        srcgrad.grad(None)(np.ones(2))


# -- bad wrt ---------------------------------------------------------------------------------

@pytest.mark.parametrize("wrt, phrases", [
    ("nope", ["no parameter named 'nope'", "x, w, b, scale"]),
    (4, ["out of range", "4 parameters"]),
    (-5, ["out of range"]),
    ((0, "y"), ["no parameter named 'y'"]),
    (True, ["True"]),
    (np.bool_(False), ["False"]),
    (1.0, ["1.0"]),
    ((), ["empty"]),
    ((0, "x"), ["twice"]),
    (None, ["None"]),
])
def test_bad_wrt_is_refused_with_a_clear_message(wrt, phrases):
    with pytest.raises(errors.WrtError) as info:
        srcgrad.grad(api.weighted, wrt=wrt)
    for phrase in phrases:
        assert phrase in str(info.value)


@pytest.mark.parametrize("value, kind", [
    (np.arange(3), "int64"),
    (3, "int"),
    (np.array([True, False, True]), "bool"),
    ([1, 2, 3], "int"),
])
def test_non_float_argument_to_differentiate(value, kind):
    g = srcgrad.grad(api.weighted, wrt="w")
    with pytest.raises(errors.WrtError) as info:
        g(np.ones(3), value, np.ones(3))
    message = str(info.value)
    assert "'w'" in message and kind in message and "float" in message


def test_non_float_argument_passed_by_keyword():
    g = srcgrad.grad(api.weighted, wrt="w")
    with pytest.raises(errors.WrtError, match="'w'"):
        g(np.ones(3), b=np.ones(3), w=np.arange(3))


def test_integer_data_arguments_are_fine():
    g = srcgrad.grad(api.weighted, wrt="x")
    got = g(np.ones(3), np.arange(3), np.ones(3))
    assert got.dtype == np.float64 and got.shape == (3,)


@pytest.mark.parametrize("cls", [errors.SourceError, errors.UnsupportedSyntaxError,
                                 errors.UnknownCallableError, errors.NonDifferentiableError,
                                 errors.SourceUnavailableError, errors.WrtError,
                                 errors.NonScalarOutputError, errors.RuleError])
def test_every_error_is_a_srcgrad_error(cls):
    assert issubclass(cls, srcgrad.SrcgradError)
    assert srcgrad.SrcgradError is errors.SrcgradError


def test_recursion_is_refused():
    with pytest.raises(errors.UnsupportedSyntaxError, match="recursion") as info:
        srcgrad.grad(calls.recursive)
    assert "return factorial_power(n - 1, x) * x" in str(info.value)
    assert "Fix: " in str(info.value)


def test_bound_method():
    x = np.array([0.5, -1.0])
    try:
        got = srcgrad.grad(calls.MODEL.loss)(x)
    except srcgrad.SrcgradError:
        return  # refusing with a SrcgradError is acceptable
    np.testing.assert_allclose(got, 6.0 * x)


def _import_source(tmp_path, monkeypatch, name: str, text: str):
    import importlib

    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    monkeypatch.setitem(sys.modules, name, module)  # removed again after the test
    return module


def test_deeply_nested_expressions_transform(tmp_path, monkeypatch):
    terms = " + ".join(f"x[{i % 3}] * {i % 7 + 1}.0" for i in range(300))
    nested = "x"
    for _ in range(150):
        nested = f"np.sin({nested})"
    module = _import_source(tmp_path, monkeypatch, "deep_case", (
        f"import numpy as np\n\n\ndef terms(x):\n    return {terms}\n\n\n"
        f"def nested(x):\n    return np.sum({nested})\n"))
    x = np.array([0.3, -0.2, 0.5])
    expected = [sum(i % 7 + 1.0 for i in range(300) if i % 3 == k) for k in range(3)]
    np.testing.assert_allclose(srcgrad.grad(module.terms)(x), expected)
    srcgrad.check_grads(module.nested, x)


def test_error_in_a_helper_of_another_module_names_the_helper(tmp_path, monkeypatch):
    _import_source(tmp_path, monkeypatch, "other_helpers",
                   "import math\n\n\ndef helper(x):\n    y = x * 2.0\n"
                   "    return math.gamma(y[0])  # <- here\n")
    user = _import_source(tmp_path, monkeypatch, "helper_user",
                          "from other_helpers import helper\n\n\n"
                          "def f(x):\n    return helper(x)\n")
    with pytest.raises(errors.NonDifferentiableError) as info:
        srcgrad.grad(user.f)(np.ones(2))
    assert info.value.filename == str(tmp_path / "other_helpers.py")
    assert info.value.lineno == 6 and "math.gamma" in str(info.value)


def matching(x):
    match x.shape[0]:  # <- here
        case 2:
            return np.sum(x)
        case _:
            return np.sum(x * 2.0)


def test_match_statement_is_named():
    with pytest.raises(errors.UnsupportedSyntaxError, match="match statements") as info:
        srcgrad.grad(matching)
    assert info.value.lineno == _marked_line(matching)[0]


@pytest.mark.parametrize("primitive, call", [(len, "len(x)"), (abs, "abs(x)"),
                                             (np.sin, "np.sin(x)"),
                                             (np.linalg.norm, "np.linalg.norm(x)")])
def test_primitive_message_shows_how_to_call_it(primitive, call):
    with pytest.raises(errors.SourceUnavailableError) as info:
        srcgrad.grad(primitive)
    assert f"return {call}" in str(info.value)


def early_return_skips_a_write(x, c):
    buf = np.zeros(3)
    buf[0] = np.sum(x)
    if c:
        return np.sum(x * 3.0)
    return np.sum(buf * x[0])


def loop_sequence_reassigned(M):
    s = 0.0
    for row in M:
        M = M * 2.0
        s = s + np.sum(row * M[0])
    return s


def enumerate_sequence_reassigned(xs):
    s = 0.0
    for i, v in enumerate(xs):
        xs = xs * 3.0
        s = s + v * xs[0] * i
    return s


def zip_sequence_reassigned(xs, ys):
    s = 0.0
    for a, b in zip(xs, ys):
        ys = ys * a
        s = s + np.sum(b * ys)
    return s


@pytest.mark.parametrize("fn, args", [
    (early_return_skips_a_write, (np.array([0.5, 1.0, 2.0]), True)),
    (early_return_skips_a_write, (np.array([0.5, 1.0, 2.0]), False)),
    (loop_sequence_reassigned, (np.array([[1.0, 2.0], [0.5, -1.0]]),)),
    (enumerate_sequence_reassigned, (np.array([0.5, 1.0, 2.0]),)),
    (zip_sequence_reassigned, (np.array([0.5, 1.0]), np.array([1.5, -1.0]))),
])
def test_no_error_from_generated_code(fn, args):
    wrt = tuple(i for i, a in enumerate(args) if isinstance(a, np.ndarray))
    srcgrad.check_grads(fn, *args, wrt=wrt)
