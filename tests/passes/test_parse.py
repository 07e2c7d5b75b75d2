"""Reading a function's source: the right lambda, and never text that is not the running code."""

import importlib
import itertools
import sys

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import SourceUnavailableError
from srcgrad.passes.parse import parse_function

square_l, cube_l = (lambda x: np.sum(x ** 2)), (lambda x: np.sum(x ** 3))


def _lambda_inside_a_def(x): return srcgrad.grad(lambda x: np.sum(x ** 3))(x)  # noqa: E704


class _Scaled:
    def __init__(self):
        self.__scale = 2.0

    def loss(self, x):
        return np.sum(x * x) * self.__scale


@pytest.mark.parametrize("fn, expected", [(square_l, lambda x: 2 * x),
                                          (cube_l, lambda x: 3 * x ** 2)])
def test_two_lambdas_on_one_line(fn, expected):
    x = np.array([1.0, -2.0])
    if sys.version_info < (3, 11):  # no column positions in code objects: refused, not guessed
        with pytest.raises(srcgrad.SrcgradError, match="which lambda"):
            srcgrad.grad(fn)
        return
    np.testing.assert_allclose(srcgrad.grad(fn)(x), expected(x))


def test_lambda_on_the_line_of_a_def_is_the_lambda():
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(_lambda_inside_a_def(x), 3 * x ** 2)


def test_method_with_private_names_is_its_own_source():
    model = _Scaled()
    for _ in range(50):  # specialised by the interpreter: still recognised
        model.loss(np.ones(2))
    assert parse_function(_Scaled.loss).tree.name == "loss"
    np.testing.assert_allclose(srcgrad.grad(model.loss)(np.array([1.0, 3.0])), [4.0, 12.0])


_modules = itertools.count()


@pytest.fixture
def module_file(tmp_path, monkeypatch):
    """Write a module and import it; returns (module, path)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    name = f"parse_case_{next(_modules)}"
    path = tmp_path / f"{name}.py"

    def write(text: str):
        path.write_text(text)
        importlib.invalidate_caches()
        return importlib.import_module(name), path

    yield write
    sys.modules.pop(name, None)


ORIGINAL = "import numpy as np\n\n\ndef f(x):\n    return np.sum(x * x)\n"


@pytest.mark.parametrize("edited", [
    "import numpy as np\n\n\ndef f(x):\n    return np.sum(x * x * x)\n",  # body changed
    "import numpy as np\n\n\n\n\ndef f(x):\n    return np.sum(x * x)\n",  # lines moved
    "import numpy as np\n\n\ndef g(x):\n    return np.sum(x * x)\n",  # another function
    "import numpy as np\n\n\ndef f(x):\n    return np.sum(x + x)\n",  # an operator changed
])
def test_source_edited_after_import_is_refused(module_file, edited):
    module, path = module_file(ORIGINAL)
    np.testing.assert_allclose(srcgrad.grad(module.f)(np.ones(2)), [2.0, 2.0])
    path.write_text(edited + "# edited\n")
    with pytest.raises(SourceUnavailableError, match="changed after it was imported"):
        srcgrad.value_and_grad(module.f)


def test_unchanged_source_is_accepted_after_an_edit_is_reverted(module_file):
    module, path = module_file(ORIGINAL)
    path.write_text(ORIGINAL.replace("x * x", "x * x * x"))
    with pytest.raises(SourceUnavailableError):
        srcgrad.vjp(module.f)
    path.write_text(ORIGINAL)
    np.testing.assert_allclose(srcgrad.vjp(module.f)(np.ones(2), seed=1.0), [2.0, 2.0])
