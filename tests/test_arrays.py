"""The same NumPy model code differentiated on other array libraries (srcgrad/arrays.py):
PyTorch CPU tensors and array-api-strict arrays give NumPy's results, as arrays of their own
library and dtype, with no conversion to NumPy on the way."""

import numpy as np
import pytest

import srcgrad
from benchmarks.models.vae import vae_loss
from srcgrad.errors import ArrayLibraryError
from tests.corpus.models import lstm, mlp_softmax_xent, rnn, two_layer_net

pytest.importorskip("array_api_compat")


def _torch():
    torch = pytest.importorskip("torch")
    return torch.asarray, torch.Tensor


def _strict():
    strict = pytest.importorskip("array_api_strict")
    return strict.asarray, strict._array_object.Array


LIBRARIES = [pytest.param(_torch, id="torch"), pytest.param(_strict, id="array-api-strict")]


def lstm_zero_state(w, u, b, xs):
    """An LSTM whose state starts as zeros made in the loss (``np.zeros``): on the arguments'
    library. Rows by ``xs[t, ...]``, which the array API standard allows."""
    n = u.shape[0]
    h = np.zeros((xs.shape[1], n))
    c = np.zeros((xs.shape[1], n))
    for t in range(xs.shape[0]):
        z = xs[t, ...] @ w + h @ u + b
        i = 1.0 / (1.0 + np.exp(-z[:, :n]))
        f = 1.0 / (1.0 + np.exp(-z[:, n:2 * n]))
        o = 1.0 / (1.0 + np.exp(-z[:, 2 * n:3 * n]))
        g = np.tanh(z[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h ** 2) + np.mean(c)


def _normal(rng, *shapes):
    return [rng.normal(size=s) for s in shapes]


def _cases():
    rng = np.random.default_rng(0)
    vae_shapes = [(6, 5), (5,), (5, 2), (2,), (5, 2), (2,), (2, 5), (5,), (5, 6), (6,),
                  (4, 6), (4, 2)]
    return [
        ("mlp", mlp_softmax_xent, (0, 1, 2, 3),
         _normal(rng, (4, 5), (5,), (5, 3), (3,), (7, 4), (7, 3))),
        ("two_layer", two_layer_net, (1, 2, 3, 4),
         _normal(rng, (3,), (3, 4), (4,), (4,), (), ())),
        ("vae", vae_loss, tuple(range(10)), _normal(rng, *vae_shapes)),
        ("lstm_zero_state", lstm_zero_state, (0, 1, 2),
         _normal(rng, (3, 12), (3, 12), (12,), (5, 2, 3))),
    ]


CASES = _cases()


def _close(got, want, type_, dtype=np.float64):
    assert type(got) is type_
    values = np.asarray(got.cpu() if hasattr(got, "cpu") else got)
    assert values.dtype == dtype
    np.testing.assert_allclose(values, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("name, fn, wrt, args", CASES, ids=[c[0] for c in CASES])
def test_gradients_equal_numpys(library, name, fn, wrt, args):
    convert, type_ = library()
    gradient = srcgrad.grad(fn, wrt=wrt)
    want = gradient(*args)
    got = gradient(*[convert(a) for a in args])
    for g, w in zip(got, want):
        _close(g, w, type_)
    numpy_source = gradient.source
    gradient(*args)
    assert gradient.source == numpy_source  # one readable code for both


@pytest.mark.parametrize("fn, wrt, args", [
    (lstm, (0, 1, 2), _normal(np.random.default_rng(1), (3, 8), (2, 8), (8,), (5, 3), (2,),
                             (2,))),
    (rnn, (0, 1, 2), _normal(np.random.default_rng(2), (3, 4), (4, 4), (4,), (6, 3), (4,))),
], ids=["lstm", "rnn"])
def test_loops_over_rows_on_torch(fn, wrt, args):
    convert, type_ = _torch()
    gradient = srcgrad.grad(fn, wrt=wrt)
    for g, w in zip(gradient(*[convert(a) for a in args]), gradient(*args)):
        _close(g, w, type_)


@pytest.mark.parametrize("library", LIBRARIES)
def test_float32_stays_float32(library):
    convert, type_ = library()
    _, fn, wrt, args = CASES[0]
    args32 = [a.astype(np.float32) for a in args]
    got = srcgrad.grad(fn, wrt=wrt)(*[convert(a) for a in args32])
    want = srcgrad.grad(fn, wrt=wrt)(*args32)
    for g, w in zip(got, want):
        assert type(g) is type_
        values = np.asarray(g)
        assert values.dtype == np.float32
        np.testing.assert_allclose(values, w, rtol=1e-5, atol=1e-6)


def test_other_modes_on_torch():
    convert, type_ = _torch()
    _, fn, wrt, args = CASES[0]
    tensors = [convert(a) for a in args]
    value, grads = srcgrad.value_and_grad(fn, wrt=wrt)(*tensors)
    want_value, want = srcgrad.value_and_grad(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(float(value), want_value, rtol=1e-12)
    for g, w in zip(grads, want):
        _close(g, w, type_)
    directions = tuple(np.ones_like(args[i]) for i in wrt)
    value, tangent = srcgrad.jvp(fn, wrt=wrt)(*tensors,
                                              tangent=tuple(convert(d) for d in directions))
    _, want_tangent = srcgrad.jvp(fn, wrt=wrt)(*args, tangent=directions)
    np.testing.assert_allclose(np.asarray(tangent), want_tangent, rtol=1e-10)
    product = srcgrad.hvp(fn, wrt=wrt)(*tensors, vector=tuple(convert(d) for d in directions))
    want_product = srcgrad.hvp(fn, wrt=wrt)(*args, vector=directions)
    for g, w in zip(product, want_product):
        _close(g, w, type_)
    seed = np.ones((7, 5))
    (dw,) = srcgrad.vjp(_layer, wrt=(0,))(tensors[0], tensors[4], seed=convert(seed))
    (want_dw,) = srcgrad.vjp(_layer, wrt=(0,))(args[0], args[4], seed=seed)
    _close(dw, want_dw, type_)


def _layer(w, x):
    return np.tanh(x @ w)


def test_no_conversion_to_numpy_during_a_step(monkeypatch):
    """Every tensor converted to NumPy goes through ``Tensor.__array__``: none may."""
    convert, type_ = _torch()
    conversions = []
    original = type_.__array__

    def recorded(self, *args, **kwargs):
        conversions.append(tuple(self.shape))
        return original(self, *args, **kwargs)

    for name, fn, wrt, args in CASES:
        gradient = srcgrad.grad(fn, wrt=wrt)
        tensors = [convert(a) for a in args]
        gradient(*tensors)  # made (the shapes' version) before recording
        monkeypatch.setattr(type_, "__array__", recorded)
        gradient(*tensors)
        monkeypatch.setattr(type_, "__array__", original)
        assert conversions == [], name


def noisy_loss(w, x):
    noise = np.random.normal(0.0, 1.0, size=x.shape)
    return np.sum((x + 0.0 * noise) @ w) + np.sum(np.eye(3) * np.ones((3, 3)) * w[:3, :3])


def test_creation_calls_make_the_arguments_arrays():
    convert, type_ = _torch()
    rng = np.random.default_rng(3)
    w, x = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    _close(srcgrad.grad(noisy_loss)(convert(w), convert(x)), srcgrad.grad(noisy_loss)(w, x),
           type_)


def uses_einsum(a):
    return np.sum(np.einsum("ij,jk->ik", a, a))


def test_a_function_the_library_lacks_is_named_with_the_users_line():
    convert, _ = _strict()
    a = np.arange(4.0).reshape(2, 2)
    with pytest.raises(ArrayLibraryError) as error:
        srcgrad.grad(uses_einsum)(convert(a))
    message = str(error.value)
    assert "np.einsum" in message and "array_api_strict" in message
    assert error.value.lineno == uses_einsum.__code__.co_firstlineno + 1
    torch_convert, type_ = _torch()  # PyTorch has einsum: it is used
    _close(srcgrad.grad(uses_einsum)(torch_convert(a)), srcgrad.grad(uses_einsum)(a), type_)


def test_integer_tensors_are_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(srcgrad.errors.WrtError, match="not a float or complex array"):
        srcgrad.grad(uses_einsum)(torch.ones((2, 2), dtype=torch.int64))


def _corpus():
    import inspect as inspect_

    import test_control_flow
    import test_loops
    import test_straight_line

    cases = test_straight_line.CASES + test_loops.CASES + test_control_flow.CASES
    out = []
    for i, (fn, make, wrt) in enumerate(cases):
        name = f"{fn.__module__.split('.')[-1]}.{fn.__name__}-{i}"
        out.append(pytest.param(fn, make, wrt, id=name))
    return out, inspect_


CORPUS, _inspect = _corpus()
#: What array-api-strict refuses in the corpora's own code, as the standard allows it to:
#: operators mixing booleans or integers with floats, NumPy arrays held by the user's objects.
STRICT_REFUSES = {"comparisons", "reversed_steps", "loop_over_layer_objects"}
#: What only NumPy runs in the corpora's own code: a Python list written into an array's slot
#: (traj[t] = [q, p]). srcgrad makes the function's arrays (np.zeros) on the arguments'
#: library, whose arrays refuse such a write (torch: "can't assign a list").
NUMPY_ONLY = {"rows_from_lists"}


def _refused_by_the_library(made, given, keywords=None):
    with pytest.raises((TypeError, AttributeError), match="list"):
        made(*given, **(keywords or {}))
#: ... except where the hvp's code runs none of it: comparisons is piecewise linear, its hvp
#: code is the zero tangent alone.
STRICT_HVP_RUNS = {"comparisons"}


def _converted(value, convert):
    if isinstance(value, np.ndarray):
        return convert(value)
    if isinstance(value, list):
        return [_converted(v, convert) for v in value]
    return value


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("fn, make, wrt", CORPUS)
def test_the_corpora_give_numpys_gradients_on_other_libraries(library, fn, make, wrt):
    convert, type_ = library()
    args = make(np.random.default_rng(0)) if _inspect.signature(make).parameters else make()
    gradient = srcgrad.grad(fn, wrt=wrt)
    want = gradient(*args)
    given = [_converted(a, convert) for a in args]
    if fn.__name__ in NUMPY_ONLY:
        _refused_by_the_library(gradient, given)
        return
    if library is _strict and fn.__name__ in STRICT_REFUSES:
        with pytest.raises(TypeError):
            gradient(*given)
        return
    got = gradient(*given)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    got, want = (got, want) if isinstance(wrt, tuple) else ((got,), (want,))
    for p, g, w in zip(positions, got, want):
        if isinstance(args[p], np.ndarray):
            _close(g, w, type_)
        else:
            np.testing.assert_allclose(np.asarray(g, dtype=float), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["jvp", "hvp"])
@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("fn, make, wrt", CORPUS)
def test_the_corpora_give_numpys_jvp_and_hvp_on_other_libraries(library, fn, make, wrt, mode):
    convert, type_ = library()
    args = make(np.random.default_rng(0)) if _inspect.signature(make).parameters else make()
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    if not all(isinstance(args[p], np.ndarray) for p in positions):
        pytest.skip("a number among the differentiated arguments")
    vectors = tuple(np.full_like(args[p], 0.3) for p in positions)
    keyword = "tangent" if mode == "jvp" else "vector"
    try:
        made = getattr(srcgrad, mode)(fn, wrt=wrt)
        want = made(*args, **{keyword: vectors if isinstance(wrt, tuple) else vectors[0]})
    except srcgrad.SrcgradError:
        pytest.skip("refused for NumPy arrays too")
    given = [_converted(a, convert) for a in args]
    converted = tuple(convert(v) for v in vectors)
    if fn.__name__ in NUMPY_ONLY:
        _refused_by_the_library(made, given, {
            keyword: converted if isinstance(wrt, tuple) else converted[0]})
        return
    if library is _strict and fn.__name__ in STRICT_REFUSES and \
            not (mode == "hvp" and fn.__name__ in STRICT_HVP_RUNS):
        with pytest.raises(TypeError):
            made(*given, **{keyword: converted if isinstance(wrt, tuple) else converted[0]})
        return
    got = made(*given, **{keyword: converted if isinstance(wrt, tuple) else converted[0]})
    got, want = (got[1], want[1]) if mode == "jvp" else (got, want)
    got, want = (got, want) if isinstance(wrt, tuple) and mode == "hvp" else ((got,), (want,))
    for g, w in zip(got, want):
        _close(g, w, type_)


PROJECTION = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
OFFSETS = [np.array([0.5, -0.5, 0.25]), 1.5]


def with_numpy_data(x):
    return np.sum(np.tanh(x @ PROJECTION + OFFSETS[0]) ** 2) * OFFSETS[1]


@pytest.mark.parametrize("library", LIBRARIES)
def test_numpy_arrays_in_globals_become_the_librarys(library):
    convert, type_ = library()
    x = np.random.default_rng(3).standard_normal((5, 4))
    gradient = srcgrad.grad(with_numpy_data)
    _close(gradient(convert(x)), gradient(x), type_)
    _close(gradient(convert(x)), gradient(x), type_)  # (made once, read again)
