"""NumPy's indexing, array methods and attributes on other libraries (srcgrad/array_syntax.py):
the rewritten code gives NumPy's values, for reads and writes, with array-api-strict (which
takes the standard's indexing only) and PyTorch (no negative steps, few NumPy methods)."""

import ast

import numpy as np
import pytest

from srcgrad import array_syntax, arrays

pytest.importorskip("array_api_compat")


def _strict():
    strict = pytest.importorskip("array_api_strict")
    return strict.asarray


def _torch():
    torch = pytest.importorskip("torch")
    return torch.asarray


LIBRARIES = [pytest.param(_strict, id="array-api-strict"), pytest.param(_torch, id="torch")]

READS = ["x[1]", "x[::-1]", "x[1, ::-2]", "x[:, ::-1][0]", "x[idx]", "x[idx, 1:]", "x[x > 0]",
         "x[:, mask]", "x[None, 1]", "x[..., 0]", "x[[0, 2, 2]]", "x.T", "x.reshape(4, 3)",
         "x.sum(1)", "x.astype(np.float32).dtype.kind", "x.size", "x.flatten()",
         "x.transpose(1, 0)", "[float(np.sum(row)) for row in x]", "x.copy().max(axis=0)"]
WRITES = ["y[0] = 5.0", "y[::-1] = np.arange(12.0).reshape(3, 4)", "y[:, ::-1] += 1.0",
          "y[idx] = 7.0", "y[:, mask] = -1.0", "y[y > 0] = 0.0", "y[1, 2] += 3.0",
          "a, b, c = y", "np.add.at(y, idx, 1.0)", "np.add.at(y, (idx, slice(1, None)), 2.0)"]


def _run(code: str, x, xp_np, namespace_extra):
    tree = ast.parse(code)
    source = compile(array_syntax.rewrite(tree), "<test>", "exec")
    namespace = dict(namespace_extra, x=x, y=x * 1.0)
    exec(source, namespace)  # noqa: S102
    return namespace


def _setting(convert):
    x = np.array([[0.5, -1.0, 2.0, 0.0], [3.0, -0.25, 1.5, -2.0], [0.75, 4.0, -3.0, 1.0]])
    made = convert(x)
    f = arrays.facade(*arrays.library_key(made))
    names = dict(array_syntax.helpers(f), np=f)
    return x, made, f, names


def _numpy(value):
    if hasattr(value, "cpu"):
        value = value.cpu()
    if isinstance(value, list):
        return np.array(value)
    return np.asarray(value)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("expression", READS)
def test_reads_give_numpys_values(library, expression):
    x, made, f, names = _setting(library())
    idx, mask = np.array([2, 0, 2]), np.array([True, False, True, True])
    want = eval(expression, {"np": np, "x": x, "idx": idx, "mask": mask})  # noqa: S307
    code = f"out = {expression}"
    got = _run(code, made, None, dict(names, idx=f.lift(idx), mask=f.lift(mask)))["out"]
    if isinstance(want, str):
        assert got == want
    else:
        np.testing.assert_array_equal(_numpy(got), np.asarray(want))


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("statement", WRITES)
def test_writes_give_numpys_values(library, statement):
    x, made, f, names = _setting(library())
    idx, mask = np.array([2, 0, 2]), np.array([True, False, True, True])
    numpy_names = {"np": np, "x": x, "y": x * 1.0, "idx": idx, "mask": mask}
    exec(statement, numpy_names)  # noqa: S102
    got = _run(statement, made, None, dict(names, idx=f.lift(idx), mask=f.lift(mask)))
    for name in ("y", "a", "b", "c"):
        if name in numpy_names and name in got:
            np.testing.assert_array_equal(_numpy(got[name]), numpy_names[name])


def test_a_number_read_is_a_copy_as_in_numpy():
    x, made, f, names = _setting(_torch())
    got = _run("v = x[0, 1]\nx[0, 1] = 9.0", made, None, names)
    assert float(got["v"]) == -1.0  # a view in PyTorch would have seen the write


def test_rewritten_code_calls_the_helpers_and_leaves_np_calls_alone():
    tree = ast.parse("y = x[::-1].sum(0)")
    assert "_array_item" in ast.unparse(array_syntax.rewrite(tree))
    assert "np.sum" in ast.unparse(array_syntax.rewrite(ast.parse("s = np.sum(x)")))
