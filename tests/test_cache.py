"""The transformation cache: once per function, anew for new code, once under contention."""

import gc
import importlib
import itertools
import sys
import threading
import time

import numpy as np
import pytest
from corpus import api

import srcgrad
import srcgrad.api as srcgrad_api
from srcgrad.export import module_source


@pytest.fixture
def count_transforms(monkeypatch):
    """Wrap srcgrad.api.transform; returns the list of functions transformed (in order)."""
    calls = []
    real = srcgrad_api.transform

    def counting(fn, *args, **kwargs):
        calls.append(fn)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(srcgrad_api, "transform", counting)
    return calls


_modules = itertools.count()


@pytest.fixture
def fresh_module(tmp_path, monkeypatch):
    """Write a module to a temporary directory and import it; call again to rewrite it.

    Each test's module starts with a distinct comment line, so its functions' code objects
    differ from other tests' (code objects with equal code and line numbers compare equal).
    """
    monkeypatch.syspath_prepend(str(tmp_path))
    number = next(_modules)
    name = f"cache_case_{number}"

    def write(body: str):
        (tmp_path / f"{name}.py").write_text(f"import numpy as np\n\nID = {number}\n\n\n"
                                             + body)
        importlib.invalidate_caches()
        if name in sys.modules:
            return importlib.reload(sys.modules[name])
        return importlib.import_module(name)

    yield write
    sys.modules.pop(name, None)


def test_second_grad_does_not_transform_again(fresh_module, count_transforms):
    module = fresh_module("def f(x):\n    return np.sum(x * x)\n")
    first = srcgrad.grad(module.f)
    second = srcgrad.grad(module.f)
    assert count_transforms == [module.f]
    assert second.generated.__code__ is first.generated.__code__


def test_cache_is_keyed_by_wrt_and_mode(fresh_module, count_transforms):
    module = fresh_module("def f(x, y):\n    return np.sum(x * y)\n")
    for entry, wrt in [(srcgrad.grad, 0), (srcgrad.grad, 1), (srcgrad.grad, (0, 1)),
                       (srcgrad.value_and_grad, 0), (srcgrad.vjp, 0), (srcgrad.grad, "x")]:
        entry(module.f, wrt=wrt)
    assert len(count_transforms) == 5  # wrt=0 and wrt="x" are the same parameter


def test_redefined_function_is_transformed_anew(fresh_module, count_transforms):
    x = np.array([1.0, 2.0])
    old = fresh_module("def f(x):\n    return np.sum(x * x)\n").f
    np.testing.assert_allclose(srcgrad.grad(old)(x), 2 * x)
    new = fresh_module("def f(x):\n    return np.sum(x * x * x) + 1.0\n").f
    assert new.__code__ is not old.__code__
    np.testing.assert_allclose(srcgrad.grad(new)(x), 3 * x ** 2)
    assert len(count_transforms) == 4  # each: the version for any shape, the one for x's
    np.testing.assert_allclose(srcgrad.grad(old)(x), 2 * x)  # the old one is still cached
    assert len(count_transforms) == 4


def test_redefined_function_is_transformed_anew_after_the_old_one_is_freed(fresh_module):
    x = np.array([1.0, 2.0])
    for power in range(2, 7):  # freed code objects' addresses tend to be reused
        body = f"def f(x):\n    return np.sum(x ** {power})\n"
        np.testing.assert_allclose(srcgrad.grad(fresh_module(body).f)(x), power * x ** (power - 1))
        gc.collect()


def test_cache_grows_by_one_entry_per_transformation(fresh_module):
    module = fresh_module("def g(x):\n    return np.sum(np.sin(x))\n")
    before = len(srcgrad_api._cache)
    srcgrad.grad(module.g)
    srcgrad.grad(module.g)
    assert len(srcgrad_api._cache) == before + 1


def test_threads_asking_at_once_get_one_transformation(fresh_module, monkeypatch):
    module = fresh_module("def h(x, w):\n    return np.sum(np.tanh(x @ w))\n")
    calls = []
    real = srcgrad_api.transform

    def slow(fn, *args, **kwargs):
        calls.append(fn)
        time.sleep(0.05)  # keep the window open for the other threads
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(srcgrad_api, "transform", slow)
    barrier = threading.Barrier(8)
    results, errors = [], []

    def ask():
        try:
            barrier.wait()
            results.append(srcgrad.grad(module.h, wrt=(0, 1)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(calls) == 1
    assert len(results) == 8 and len({id(r.generated.__code__) for r in results}) == 1


def test_closures_with_different_cells_are_cached_separately(count_transforms):
    def make(scale):
        def f(x):
            return np.sum(scale * x)
        return f

    x = np.ones(2)
    np.testing.assert_allclose(srcgrad.grad(make(2.0))(x), [2.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(make(3.0))(x), [3.0, 3.0])


def test_cached_gradient_is_correct_for_new_shapes():
    g = srcgrad.grad(api.weighted, wrt=(0, 1, 2))
    for shapes in [((3,), (3,), (3,)), ((2, 3), (3,), (2, 1)), ((), (), ())]:
        args = [np.full(s, 0.5) for s in shapes]
        grads = g(*args)
        for arg, grad in zip(args, grads):
            assert grad.shape == arg.shape


def test_same_code_in_two_modules_with_different_globals(tmp_path, monkeypatch):
    source = "import numpy as np\nSCALE = {}\n\n\ndef f(x):\n    return np.sum(SCALE * x)\n"
    for name, scale in [("same_code_a", 2.0), ("same_code_b", 3.0)]:
        (tmp_path / f"{name}.py").write_text(source.format(scale))
    monkeypatch.syspath_prepend(str(tmp_path))
    a, b = importlib.import_module("same_code_a"), importlib.import_module("same_code_b")
    try:
        np.testing.assert_allclose(srcgrad.grad(a.f)(np.ones(2)), [2.0, 2.0])
        np.testing.assert_allclose(srcgrad.grad(b.f)(np.ones(2)), [3.0, 3.0])
    finally:
        sys.modules.pop("same_code_a", None)
        sys.modules.pop("same_code_b", None)


def test_gradient_sees_a_rebound_global(fresh_module):
    module = fresh_module("SCALE = 2.0\n\n\ndef f(x):\n    return np.sum(SCALE * x)\n")
    g = srcgrad.grad(module.f)
    np.testing.assert_allclose(g(np.ones(2)), [2.0, 2.0])
    module.SCALE = 3.0
    np.testing.assert_allclose(srcgrad.grad(module.f)(np.ones(2)), [3.0, 3.0])
    np.testing.assert_allclose(g(np.ones(2)), [3.0, 3.0])


def test_gradient_sees_a_rebound_closure_variable():
    scale = 2.0

    def f(x):
        return np.sum(scale * x)

    g = srcgrad.grad(f)
    np.testing.assert_allclose(g(np.ones(2)), [2.0, 2.0])
    scale = 3.0  # f reads it through its closure
    np.testing.assert_allclose(g(np.ones(2)), [3.0, 3.0])


# -- versions made for the arguments' shapes -----------------------------------------------------

BIASED = "def f(x, b):\n    return np.sum(np.tanh(x + b))\n"


def test_each_argument_shape_gets_a_version_once(fresh_module, count_transforms):
    module = fresh_module(BIASED)
    g = srcgrad.grad(module.f, wrt=(0, 1))
    assert "unbroadcast" in g.source  # before a call: the version for any shapes
    b = np.zeros(3)
    for _ in range(2):
        g(np.ones((2, 3)), b)
    assert "np.sum(df_2, axis=0)" in g.source and "unbroadcast" not in g.source
    assert "(2, 3)" in g.source
    assert len(count_transforms) == 2
    g(np.ones((5, 3)), b)
    assert "(5, 3)" in g.source and "(2, 3)" not in g.source
    assert len(count_transforms) == 3
    g(np.ones((2, 3)), b)  # remembered
    assert len(count_transforms) == 3


def test_source_shows_the_version_the_last_call_ran(fresh_module):
    module = fresh_module("def f(x):\n    return np.mean(x * x)\n")
    g = srcgrad.grad(module.f)
    g(np.ones(4))
    assert "/ 4" in g.source
    g(np.ones(6))
    assert "/ 6" in g.source
    g(np.ones(4))
    assert "/ 4" in g.source


def test_after_the_limit_further_shapes_share_the_version_for_any_shape(fresh_module,
                                                                         count_transforms,
                                                                         monkeypatch):
    monkeypatch.setattr(srcgrad_api, "MAX_SHAPE_VERSIONS", 2)
    module = fresh_module(BIASED)
    g = srcgrad.grad(module.f, wrt=(0, 1))
    for n in range(1, 6):
        dx, db = g(np.ones((n, 3)), np.zeros(3))
        assert dx.shape == (n, 3)
        np.testing.assert_allclose(db, np.full(3, n * (1.0 - np.tanh(1.0) ** 2)))
    assert len(count_transforms) == 3  # any shapes, (1, 3), (2, 3); then any shapes again
    assert "unbroadcast" in g.source


def test_calls_with_numbers_reuse_their_version(fresh_module, count_transforms):
    module = fresh_module("def f(k, x, n):\n    return k * np.sum(x * x) * n\n")
    g = srcgrad.grad(module.f, wrt=(0, 1))
    for k, n in ((1.0, 2), (2.0, 2), (3.0, 2), (3.0, 2.0)):
        dk, dx = g(k, np.ones(3), n)
        assert type(dk) is float
        np.testing.assert_allclose(dx, 2.0 * k * n * np.ones(3))
    assert len(count_transforms) == 2  # any shapes; numbers (int or float) and x's shape


# -- functions made again from the same code: data read at call time ---------------------------

def _squared_error(W, xb, yb):
    return np.sum((xb @ W - yb) ** 2)


def test_training_loop_lambda_reuses_the_transformation(count_transforms):
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 2))
    for _ in range(10):  # a new batch, and a new lambda, each step
        xb, yb = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
        dW = srcgrad.grad(lambda W: _squared_error(W, xb, yb))(W)
        np.testing.assert_allclose(dW, 2 * xb.T @ (xb @ W - yb))
    assert len(count_transforms) == 2  # any shapes, and W's shape: once


def test_closures_made_again_share_code_but_read_their_own_cells(count_transforms):
    def make(scale):
        return lambda x: np.sum(scale * x * x)

    x = np.array([1.0, 2.0])
    grads = [srcgrad.grad(make(s)) for s in (1.0, 2.0, 3.0)]
    for s, g in zip((1.0, 2.0, 3.0), grads):
        np.testing.assert_allclose(g(x), 2 * s * x)
    for s, g in zip((1.0, 2.0, 3.0), grads):  # each still reads its own closure
        np.testing.assert_allclose(g(x), 2 * s * x)
    assert len(count_transforms) == 2


def test_module_data_global_is_read_at_call_time(fresh_module, count_transforms):
    module = fresh_module("DATA = np.ones(2)\n\n\ndef f(w):\n    return np.sum(DATA * w)\n")
    g = srcgrad.grad(module.f)
    for step in range(5):
        module.DATA = np.full(2, float(step))
        np.testing.assert_allclose(g(np.ones(2)), [step, step])
        np.testing.assert_allclose(srcgrad.grad(module.f)(np.ones(2)), [step, step])
    assert len(count_transforms) == 2


def test_a_data_global_that_becomes_a_function_is_transformed_anew(fresh_module):
    module = fresh_module("ACT = 2.0\n\n\ndef f(w):\n    return np.sum(ACT * w)\n")
    g = srcgrad.grad(module.f)
    np.testing.assert_allclose(g(np.ones(2)), [2.0, 2.0])
    module.ACT = np.float64(3.0)
    np.testing.assert_allclose(g(np.ones(2)), [3.0, 3.0])


def test_closure_capturing_different_helpers_is_remade_for_each(count_transforms):
    def make(act):
        return lambda x: np.sum(act(x))

    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(srcgrad.grad(make(np.sin))(x), np.cos(x))
    np.testing.assert_allclose(srcgrad.grad(make(np.tanh))(x), 1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(srcgrad.grad(make(np.sin))(x), np.cos(x))


# -- the cache is bounded and forgets collected functions ----------------------------------------

def test_functions_redefined_many_times_do_not_accumulate(fresh_module):
    x = np.ones(2)
    gc.collect()
    before = len(srcgrad_api._cache)
    for power in range(2, 42):  # each import makes new code objects; the old ones are freed
        module = fresh_module(f"def f(x):\n    return np.sum(x ** {power})\n")
        np.testing.assert_allclose(srcgrad.grad(module.f)(x), power * x)
        del module
    gc.collect()
    assert len(srcgrad_api._cache) <= before + 2  # the last one's two versions


def test_function_redefined_in_a_loop_is_transformed_once(count_transforms):
    x = np.ones(2)
    for _ in range(400):
        def f(x):
            return np.sum(x * x)
        np.testing.assert_allclose(srcgrad.grad(f)(x), 2 * x)
    assert len(count_transforms) == 2


def test_cache_is_bounded(fresh_module, monkeypatch):
    monkeypatch.setattr(srcgrad_api, "MAX_CACHED", 4)
    module = fresh_module("def f(x):\n    return np.sum(x * x)\n")
    g = srcgrad.grad(module.f)
    for n in range(1, 9):
        np.testing.assert_allclose(g(np.ones(n)), 2 * np.ones(n))
    assert len(srcgrad_api._cache) <= 4


# -- processes -----------------------------------------------------------------------------------

def test_fork_while_another_thread_holds_the_lock(fresh_module):
    import os

    module = fresh_module("def f(x):\n    return np.sum(np.sin(x))\n")
    holding, release = threading.Event(), threading.Event()

    def hold():
        with srcgrad_api._lock:
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(10)
    try:
        pid = os.fork()
        if pid == 0:  # the child: it must not wait for a lock no thread of it holds
            try:
                ok = np.allclose(srcgrad.grad(module.f)(np.zeros(2)), 1.0)
            finally:
                os._exit(0 if ok else 1)
        deadline = time.monotonic() + 30
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if not done:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        assert done and os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        thread.join()


def test_gradient_pickles_by_reference():
    import pickle

    g = srcgrad.value_and_grad(api.weighted, wrt=(0, 2))
    loaded = pickle.loads(pickle.dumps(g))
    args = [np.full(3, 0.5), np.full(3, 2.0), np.full(3, -1.0)]
    value, grads = loaded(*args)
    expected_value, expected = g(*args)
    assert value == expected_value
    for got, want in zip(grads, expected):
        np.testing.assert_array_equal(got, want)


def test_gradient_goes_to_a_worker_process():
    import multiprocessing

    g = srcgrad.grad(api.weighted)
    args = (np.full(3, 0.5), np.full(3, 2.0), np.full(3, -1.0))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        got = pool.apply(g, args)
    np.testing.assert_allclose(got, g(*args))


# -- what the cached code assumed --------------------------------------------------------------

def test_rule_registered_after_a_gradient_was_made_takes_effect(fresh_module):
    from srcgrad.rules import registry

    module = fresh_module("def op(x):\n    return x * x\n\n\n"
                          "def f(x):\n    return np.sum(op(x))\n")
    x = np.array([1.0, 2.0])
    made_before = srcgrad.grad(module.f)
    np.testing.assert_allclose(made_before(x), 2 * x)  # inlined
    try:
        srcgrad.defvjp(module.op, "x", x="g * 3.0 * x")
        np.testing.assert_allclose(made_before(x), 3 * x)
        np.testing.assert_allclose(srcgrad.grad(module.f)(x), 3 * x)
        srcgrad.defvjp(module.op, "x", x="g * 2.0 * x")  # a corrected rule
        np.testing.assert_allclose(made_before(x), 2 * x)
    finally:
        registry._RULES.pop(registry._key(module.op), None)


def test_helper_rebound_on_its_module_is_noticed(tmp_path, monkeypatch):
    (tmp_path / "rebound_helpers.py").write_text(
        "import numpy as np\n\n\ndef act(x):\n    return x * x\n\n\n"
        "def cube(x):\n    return x * x * x\n")
    (tmp_path / "rebound_user.py").write_text(
        "import numpy as np\nimport rebound_helpers as mod\n\n\n"
        "def f(x):\n    return np.sum(mod.act(x))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    helpers = importlib.import_module("rebound_helpers")
    user = importlib.import_module("rebound_user")
    try:
        x = np.array([1.0, 2.0])
        g = srcgrad.grad(user.f)
        np.testing.assert_allclose(g(x), 2 * x)
        monkeypatch.setattr(helpers, "act", helpers.cube)
        np.testing.assert_allclose(g(x), 3 * x ** 2)
        np.testing.assert_allclose(srcgrad.grad(user.f)(x), 3 * x ** 2)
        exported: dict = {}  # export writes the version for the current binding too
        exec(compile(module_source(g), "exported", "exec"), exported)  # noqa: S102
        np.testing.assert_allclose(exported["f_grad"](x), 3 * x ** 2)
    finally:
        sys.modules.pop("rebound_helpers", None)
        sys.modules.pop("rebound_user", None)
