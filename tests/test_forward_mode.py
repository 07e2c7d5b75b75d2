"""Forward mode and second derivatives: jvp, hvp, hessian, jacobian on the corpora of the
reverse-mode tests (straight-line code, loops, branches, containers), checked against central
differences, against the gradient (<grad, v> == jvp for a scalar function) and autograd."""

import inspect

import autograd
import numpy as np
import pytest
import test_control_flow
import test_loops
import test_straight_line
from corpus.support import positions, with_autograd_numpy

import srcgrad
from srcgrad.errors import NonDifferentiableError, UnsupportedSyntaxError, WrtError

EPS = 1e-6
CASES = test_straight_line.CASES + test_loops.CASES + test_control_flow.CASES
IDS = [f"{fn.__module__.split('.')[-1]}.{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(CASES)]


def _arguments(make, rng):
    """The arguments a case's maker gives (some take the random generator, some nothing)."""
    return make(rng) if inspect.signature(make).parameters else make()


def _direction(args, wrt, rng):
    """A random tangent per differentiated argument (floats for floats)."""
    found = []
    for p in positions_of(args, wrt):
        x = args[p]
        found.append(float(rng.standard_normal()) if np.ndim(x) == 0 and
                     isinstance(x, float) else rng.standard_normal(np.shape(x)))
    return found


def positions_of(args, wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def _moved(args, wrt, direction, step):
    moved = list(args)
    for p, v in zip(positions_of(args, wrt), direction):
        moved[p] = args[p] + step * v
    return moved


def _central(f, args, wrt, direction):
    """The derivative of ``f`` at ``args`` along ``direction`` (central differences)."""
    plus, minus = f(*_moved(args, wrt, direction, EPS)), f(*_moved(args, wrt, direction, -EPS))
    if isinstance(plus, (tuple, list)):
        return [(np.asarray(a) - np.asarray(b)) / (2 * EPS) for a, b in zip(plus, minus)]
    return (np.asarray(plus) - np.asarray(minus)) / (2 * EPS)


def _tangent_arg(direction, wrt):
    return tuple(direction) if isinstance(wrt, tuple) else direction[0]


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_jvp_matches_central_differences_and_the_gradient(fn, make, wrt):
    args = _arguments(make, np.random.default_rng(0))
    direction = _direction(args, wrt, np.random.default_rng(1))
    value, tangent = srcgrad.jvp(fn, wrt=wrt)(*args, tangent=_tangent_arg(direction, wrt))
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, _central(fn, args, wrt, direction), rtol=1e-5,
                               atol=1e-6)
    grads = srcgrad.grad(fn, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    along = sum(float(np.sum(g * v)) for g, v in zip(grads, direction))
    np.testing.assert_allclose(tangent, along, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_hvp_is_refused_at_a_line_or_matches_the_gradients_differences(fn, make, wrt):
    args = _arguments(make, np.random.default_rng(0))
    direction = _direction(args, wrt, np.random.default_rng(2))
    try:
        got = srcgrad.hvp(fn, wrt=wrt)(*args, vector=_tangent_arg(direction, wrt))
    except (NonDifferentiableError, UnsupportedSyntaxError) as exc:  # never a wrong answer;
        assert exc.lineno is not None  # a refusal names the line
        pytest.skip(f"refused: {exc.what}")
    gradient = srcgrad.grad(fn, wrt=wrt)
    expected = _central(gradient, args, wrt, direction)
    got = list(got) if isinstance(wrt, tuple) else [got]
    expected = expected if isinstance(wrt, tuple) else [expected]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def mlp_loss(w1, b1, w2, x, y):
    h = np.tanh(x @ w1 + b1)
    out = h @ w2
    return np.mean((out - y) ** 2)


def logistic_loss(w, x, y):
    z = x @ w
    return np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(w * w)


def rnn_loss(w, xs):
    h = np.zeros(w.shape[0])
    for x in xs:
        h = np.tanh(w @ h + x)
    return np.sum(h ** 2)


def _mlp_args(rng):
    return (rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((4, 2)),
            rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))


MODELS = [
    (mlp_loss, _mlp_args, 0),
    (mlp_loss, _mlp_args, (0, 1, 2)),
    (logistic_loss, lambda r: (r.standard_normal(4), r.standard_normal((6, 4)),
                               (r.random(6) > 0.5).astype(float)), 0),
    (rnn_loss, lambda r: (0.5 * r.standard_normal((3, 3)), r.standard_normal((4, 3))), 0),
]


@pytest.mark.parametrize("fn, make, wrt", MODELS, ids=lambda v: getattr(v, "__name__", ""))
def test_hvp_of_models_matches_autograd(fn, make, wrt):
    rng = np.random.default_rng(3)
    args = make(rng)
    direction = _direction(args, wrt, rng)
    got = srcgrad.hvp(fn, wrt=wrt)(*args, vector=_tangent_arg(direction, wrt))
    got = list(got) if isinstance(wrt, tuple) else [got]
    traced = with_autograd_numpy(fn)
    ps = positions(fn, wrt)

    def along(*params):  # <grad f, v> as a function of the differentiated arguments
        full = list(args)
        for p, value in zip(ps, params):
            full[p] = value
        grads = [autograd.grad(traced, p)(*full) for p in ps]
        return sum(autograd.numpy.sum(g * v) for g, v in zip(grads, direction))

    expected = [autograd.grad(along, i)(*[args[p] for p in ps]) for i in range(len(ps))]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_hessian_is_symmetric_and_matches_autograd():
    rng = np.random.default_rng(4)
    w, x, y = rng.standard_normal(4), rng.standard_normal((6, 4)), rng.random(6)
    got = srcgrad.hessian(logistic_loss)(w, x, y)
    expected = autograd.hessian(with_autograd_numpy(logistic_loss))(w, x, y)
    assert got.shape == (4, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got, got.T, atol=1e-12)


def test_hessian_blocks_for_a_tuple_of_arguments():
    rng = np.random.default_rng(5)
    args = _mlp_args(rng)
    blocks = srcgrad.hessian(mlp_loss, wrt=(1, 2))(*args)
    traced = with_autograd_numpy(mlp_loss)
    for i, p in enumerate((1, 2)):
        for j, q in enumerate((1, 2)):
            expected = autograd.jacobian(autograd.grad(traced, p), q)(*args)
            assert blocks[i][j].shape == args[p].shape + args[q].shape
            np.testing.assert_allclose(blocks[i][j], expected, rtol=1e-9, atol=1e-11)


def layer(w, x):
    return np.tanh(x @ w)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_in_every_mode_matches_autograd(mode):
    rng = np.random.default_rng(6)
    w, x = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    expected = autograd.jacobian(with_autograd_numpy(layer))(w, x)
    got = srcgrad.jacobian(layer, mode=mode)(w, x)
    assert got.shape == (4, 2, 3, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_jvp_source_reads_as_tangent_code():
    made = srcgrad.jvp(layer)
    made(np.ones((3, 2)), np.ones((4, 3)), tangent=np.ones((3, 2)))
    assert "w_dot" in made.source
    assert "# tangent of: return np.tanh(x @ w)" in made.source


def test_tangent_of_the_wrong_shape_is_refused():
    with pytest.raises(WrtError, match="shape"):
        srcgrad.jvp(layer)(np.ones((3, 2)), np.ones((4, 3)), tangent=np.ones(3))
    with pytest.raises(TypeError, match="tangent="):
        srcgrad.jvp(layer)(np.ones((3, 2)), np.ones((4, 3)))


def test_writes_into_an_array_carry_their_tangent():
    def f(x):
        y = np.zeros((2, 3))
        y[0] = x * 2.0
        z = y  # the same array under another name: the write below changes both
        z[1, :2] = x[:2] ** 2
        return np.sum(y * z)

    x = np.array([0.3, -1.2, 0.7])
    v = np.array([1.0, 0.5, -2.0])
    _, got = srcgrad.jvp(f)(x, tangent=v)
    np.testing.assert_allclose(got, _central(f, (x,), 0, [v]), rtol=1e-6)


def test_a_loop_carried_value_that_starts_constant_gets_a_tangent():
    def f(x, n):
        h = np.zeros(3)
        total = 0.0
        for i in range(n):
            total = total + np.sum(h * x)
            h = np.sin(h + x)
            if i == 1:
                h = np.ones(3)  # constant again: the next iteration's tangent is zero
        return total

    x = np.array([0.3, -0.2, 0.5])
    v = np.array([1.0, -1.0, 0.5])
    _, got = srcgrad.jvp(f)(x, 4, tangent=v)
    np.testing.assert_allclose(got, _central(lambda x: f(x, 4), (x,), 0, [v]), rtol=1e-6)


def wavy(x):
    return x ** 3 * np.sin(x)


def test_grad_of_grad_of_a_scalar_function():
    second = srcgrad.grad(srcgrad.grad(wavy))
    gradient = srcgrad.grad(wavy)
    for x in (0.3, 1.3, -2.0):
        expected = (gradient(x + EPS) - gradient(x - EPS)) / (2 * EPS)
        np.testing.assert_allclose(second(x), expected, rtol=1e-6)
    third = srcgrad.grad(second)
    for x in (0.7, -1.2):
        expected = (second(x + EPS) - second(x - EPS)) / (2 * EPS)
        np.testing.assert_allclose(third(x), expected, rtol=1e-6)


def test_jvp_and_vjp_of_a_gradient():
    rng = np.random.default_rng(7)
    w, x, y = rng.standard_normal(4), rng.standard_normal((6, 4)), rng.random(6)
    v = rng.standard_normal(4)
    gradient = srcgrad.grad(logistic_loss)
    _, tangent = srcgrad.jvp(gradient)(w, x, y, tangent=v)
    np.testing.assert_allclose(tangent, srcgrad.hvp(logistic_loss)(w, x, y, vector=v),
                               rtol=1e-10)
    pulled = srcgrad.vjp(gradient)(w, x, y, seed=v)  # the Hessian is symmetric
    np.testing.assert_allclose(pulled, tangent, rtol=1e-10)


def flattened_methods(x):
    return np.sum(x.flatten() ** 3) + x.ravel().dot(x.ravel())


def test_hvp_called_again_reuses_its_code():
    # (code made from a gradient that reads a class attribute, np.ndarray.flatten, is checked
    # for changes on every call)
    x = np.arange(6.0).reshape(2, 3)
    product = srcgrad.hvp(flattened_methods)
    first = product(x, vector=np.ones_like(x))
    np.testing.assert_allclose(product(x, vector=np.ones_like(x)), first)
    np.testing.assert_allclose(first, 6.0 * x + 2.0)


def tanh_regression(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def test_hvp_code_leaves_out_the_gradient_it_does_not_return():
    # The gradient's last product (dw = matmul_rhs_grad(dloss, x, w)) is read by nothing the
    # hvp returns: only its tangent's product is computed.
    x, w, v = np.arange(6.0).reshape(3, 2) / 6, np.array([0.3, -0.5]), np.array([1.0, 2.0])
    product = srcgrad.hvp(tanh_regression)
    np.testing.assert_allclose(product(w, x, vector=v),
                               _central(srcgrad.grad(tanh_regression), [w, x], 0, [v]),
                               rtol=1e-6)
    code = [line.strip() for line in product.source.splitlines()
            if not line.strip().startswith("#")]
    assert sum("matmul_rhs_grad(" in line for line in code) == 1
    assert not any(line.startswith("dw = ") for line in code)


def python_max_of_sums(a, b):
    s = max(np.sum(a * a), np.sum(b) * 0.5, 0.1)
    return s * np.sum(np.sin(b)) + min([np.sum(a ** 3), 2.0])


def test_hvp_through_python_max_and_min():
    # their gradients (choice_grad) have rules: the hvp does not inline their search
    a, b, v = np.array([0.5, -1.0, 2.0]), np.array([0.3, 0.2, 0.9]), np.array([1.0, -0.5, 0.2])
    for wrt, x in [(0, a), (1, b)]:
        product = srcgrad.hvp(python_max_of_sums, wrt=wrt)
        expected = _central(srcgrad.grad(python_max_of_sums, wrt=wrt), [a, b], wrt, [v])
        np.testing.assert_allclose(product(a, b, vector=v), expected, rtol=1e-6, atol=1e-8)


def rollout(x, n):
    y = x[:2] * 1.0
    for i in range(n):
        k = i % 3
        y = np.sin(y) * 0.9 + x[k] * y[::-1]
        if np.sum(y) > 10.0:
            y = y / 2.0
    return np.sum(y ** 2)


def test_hvp_of_a_loop_pushes_and_pops_the_gradients_tape_in_place():
    # the tape (and its tangents) are updated in place, not rebuilt at each push and pop:
    # the hvp takes a time linear in the number of steps
    x, v = np.array([0.3, -0.7, 1.1]), np.array([0.2, 0.5, -0.3])
    product = srcgrad.hvp(rollout)
    for n in (0, 1, 7):
        expected = _central(srcgrad.grad(rollout), [x, n], 0, [v])
        np.testing.assert_allclose(product(x, n, vector=v), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcgrad.hessian(rollout)(x, 7) @ v, product(x, 7, vector=v),
                               rtol=1e-10, atol=1e-12)
    assert "tape.append(" in product.source and "tape_dot.append(" in product.source
    assert "tape + [" not in product.source and "[:-1]" not in product.source


def _remade(n, w):
    def f(x):
        y = x
        for _ in range(n):
            y = np.sin(y) * x + w
        return np.sum(y)
    return f


def test_hvp_and_hessian_of_a_closure_made_again_read_its_own_data():
    # One code object, cached once: each closure's n and w are its own (the gradient the hvp
    # was made from is bound to the function called, not to the first one).
    x, v = np.linspace(0.5, 1.5, 4), np.array([0.3, -1.0, 0.5, 2.0])
    for n, w in [(3, 0.0), (2, 0.5), (4, np.arange(4.0) / 4)]:
        f = _remade(n, w)
        gradient = srcgrad.grad(f)
        expected = _central(gradient, [x], 0, [v])
        np.testing.assert_allclose(srcgrad.hvp(f)(x, vector=v), expected, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(srcgrad.hessian(f)(x) @ v, expected, rtol=1e-6, atol=1e-8)


def test_jvp_of_a_write_into_a_list_item():
    def f(x):
        hs = [x, x[:2] * 3.0]
        hs[0] = hs[0] * 2.0
        return np.sum(hs[0] ** 2) + np.sum(hs[1] ** 3)

    x, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.3, -0.2])
    _, tangent = srcgrad.jvp(f)(x, tangent=v)
    np.testing.assert_allclose(tangent, _central(f, [x], 0, [v]), rtol=1e-7)
