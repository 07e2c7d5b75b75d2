"""Batched forward mode (srcgrad.batching): a batch of tangents pushed through the code in one
pass gives, direction by direction, what the unbatched ``jvp`` and ``hvp`` give; the helpers
match a loop over the directions on indices, products, reductions and broadcasting."""

import numpy as np
import pytest
import test_matrices
from test_forward_mode import CASES, IDS, MODELS, _arguments, _direction, _tangent_arg

import srcgrad
from srcgrad import batching
from srcgrad.api import Gradient
from srcgrad.errors import NonDifferentiableError, UnsupportedSyntaxError

DIRECTIONS = 3


def _batch(fn, make, wrt, seed):
    """The arguments, and DIRECTIONS tangents for the differentiated ones: one by one, and
    stacked into a batch (structures item by item)."""
    args = _arguments(make, np.random.default_rng(0))
    each = [_tangent_arg(_direction(args, wrt, np.random.default_rng(seed + k)), wrt)
            for k in range(DIRECTIONS)]
    return args, each, batching._stacked(each)


def _same(batched, one_by_one):
    """A batch equals the results of each direction (structures item by item)."""
    for k, expected in enumerate(one_by_one):
        np.testing.assert_allclose(np.asarray(batching._at(batched, k), dtype=complex),
                                   np.asarray(expected, dtype=complex), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_a_batch_of_tangents_gives_each_directions_jvp(fn, make, wrt):
    args, each, batch = _batch(fn, make, wrt, 10)
    try:
        expected = [srcgrad.jvp(fn, wrt=wrt)(*args, tangent=t)[1] for t in each]
    except (NonDifferentiableError, UnsupportedSyntaxError):
        with pytest.raises((NonDifferentiableError, UnsupportedSyntaxError)):
            Gradient(fn, wrt, "jvp_batched")(*args, tangents=batch)
        return
    value, got = Gradient(fn, wrt, "jvp_batched")(*args, tangents=batch)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
    for k, expected_k in enumerate(expected):
        for a, b in zip(*(v if isinstance(v, (list, tuple)) else [v]
                          for v in (batching._at(got, k), expected_k))):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, make, wrt", CASES + MODELS,
                         ids=IDS + [f"model-{i}" for i in range(len(MODELS))])
def test_a_batch_of_vectors_gives_each_vectors_hvp(fn, make, wrt):
    args, each, batch = _batch(fn, make, wrt, 20)
    try:
        expected = [srcgrad.hvp(fn, wrt=wrt)(*args, vector=v) for v in each]
    except (NonDifferentiableError, UnsupportedSyntaxError):
        pytest.skip("hvp refused")
    got = Gradient(fn, wrt, "hvp_batched")(*args, vectors=batch)
    for k, expected_k in enumerate(expected):
        got_k = batching._at(got, k)
        pairs = zip(got_k, expected_k) if isinstance(wrt, tuple) else [(got_k, expected_k)]
        for a, b in pairs:
            if isinstance(b, (list, tuple, dict)):
                _same(a, [b])
            else:
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f", test_matrices.FUNCTIONS, ids=lambda f: f.__name__)
def test_hessians_and_jacobians_run_batched_and_equal_the_loop(f, monkeypatch):
    x = test_matrices.X
    h = srcgrad.hessian(f)
    got = h(x)
    assert "_batched" in h.source  # (no fall back to one vector at a time)
    monkeypatch.setattr(srcgrad.matrices, "MAX_BATCH", 1)
    np.testing.assert_allclose(got, srcgrad.hessian(f)(x), rtol=1e-10, atol=1e-12)
    gradient = srcgrad.grad(f)
    j = srcgrad.jacobian(gradient, mode="forward")
    np.testing.assert_allclose(j(x), got, rtol=1e-8, atol=1e-10)


def test_columns_in_several_batches_and_a_tuple_wrt(monkeypatch):
    def f(a, b, c):
        return np.tanh(a @ b)[:, None] * c + np.sum(a ** 2) * c

    rng = np.random.default_rng(4)
    a, b, c = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(2)
    whole = srcgrad.jacobian(f, wrt=(0, 1, 2), mode="forward")(a, b, c)
    monkeypatch.setattr(srcgrad.matrices, "MAX_BATCH", 5)
    split = srcgrad.jacobian(f, wrt=(0, 1, 2), mode="forward")(a, b, c)
    reverse = srcgrad.jacobian(f, wrt=(0, 1, 2), mode="reverse")(a, b, c)
    for w, s, r, x in zip(whole, split, reverse, (a, b, c)):
        assert w.shape == (3, 2) + x.shape
        np.testing.assert_allclose(w, r, rtol=1e-12)
        np.testing.assert_allclose(s, r, rtol=1e-12)


def test_the_dense_hessian_of_a_model_is_one_pass_of_batched_code():
    fn, make, _ = MODELS[2]  # logistic regression
    w, x, y = make(np.random.default_rng(5))
    h = srcgrad.hessian(fn)
    got = h(w, x, y)
    assert h.source.startswith("def logistic_loss_grad_hvp_batched(w, x, y, *, vectors):")
    assert "batch_map" not in h.source  # every rule here has a batched form
    columns = np.stack([srcgrad.hvp(fn)(w, x, y, vector=e) for e in np.eye(w.size)], axis=-1)
    np.testing.assert_allclose(got, columns, rtol=1e-12)


# -- the helpers, against a loop over the directions ----------------------------------------------

RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 5, 6))
INDICES = [np.s_[1], np.s_[1:3], np.s_[:, 2], np.s_[..., 1], np.s_[None, 1:, ::-1],
           np.s_[[0, 2]], np.s_[:, [1, 1, 3]], np.s_[[0, 1], [2, 3]], np.s_[[0, 1], :, [2, 3]],
           np.s_[1, :, [2, 3]], np.s_[X[..., 0] > 0], np.s_[[[0], [1]], [0, 2, 4]], np.s_[-1, -2]]


@pytest.mark.parametrize("index", INDICES, ids=range(len(INDICES)))
def test_index_and_store_equal_a_loop_over_the_directions(index):
    batch = RNG.standard_normal((3,) + X.shape)
    got = batching.batch_index(batch, index)
    np.testing.assert_array_equal(got, np.stack([t[index] for t in batch]))
    value = RNG.standard_normal((3,) + np.shape(X[index]))
    stored = batching.batch_store(batch.copy(), index, value)
    expected = batch.copy()
    for t, v in zip(expected, value):
        t[index] = v
    np.testing.assert_array_equal(stored, expected)
    row = RNG.standard_normal((3,) + np.shape(X[index])[-1:])  # broadcast along the index
    expected = batch.copy()
    for t, v in zip(expected, row):
        t[index] = v
    np.testing.assert_array_equal(batching.batch_store(batch.copy(), index, row), expected)


SHAPES = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)), ((2, 3, 4), (4, 2)),
          ((3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((2, 3, 4), (2, 4, 5)),
          ((1, 3, 4), (2, 4, 5))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_products_equal_a_loop_over_the_directions(shapes):
    a, b = RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1])
    ta, tb = RNG.standard_normal((3,) + a.shape), RNG.standard_normal((3,) + b.shape)
    np.testing.assert_allclose(batching.batch_matmul(ta, b, "x1"), [t @ b for t in ta])
    np.testing.assert_allclose(batching.batch_matmul(a, tb, "x2"), [a @ t for t in tb])
    g = RNG.standard_normal((3,) + np.shape(a @ b))
    from srcgrad.runtime import matmul_lhs_grad, matmul_rhs_grad
    np.testing.assert_allclose(batching.batch_matmul_lhs_grad(g, a, b),
                               [matmul_lhs_grad(e, a, b) for e in g])
    np.testing.assert_allclose(batching.batch_matmul_rhs_grad(g, a, b),
                               [matmul_rhs_grad(e, a, b) for e in g])
    if a.ndim <= 2 and b.ndim <= 2:
        np.testing.assert_allclose(batching.batch_dot(ta, b, "a"), [np.dot(t, b) for t in ta])
        np.testing.assert_allclose(batching.batch_dot(a, tb, "b"), [np.dot(a, t) for t in tb])


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (-1, True), ((0, 2), False),
                                            (1, True)])
def test_reductions_and_their_adjoints_equal_a_loop(axis, keepdims):
    from srcgrad.runtime import unbroadcast, unreduce
    batch = RNG.standard_normal((3,) + X.shape)
    np.testing.assert_allclose(batching.batch_reduce(np.sum, batch, axis, None, keepdims),
                               [np.sum(t, axis=axis, keepdims=keepdims) for t in batch])
    np.testing.assert_allclose(batching.batch_reduce(np.mean, batch, axis, None, keepdims),
                               [np.mean(t, axis=axis, keepdims=keepdims) for t in batch])
    listed = [batch[:, 0], batch[:, 1]]  # a list of batches: the sum of the list's items
    np.testing.assert_allclose(batching.batch_reduce(np.sum, listed, axis if axis != (0, 2) else None),
                               [np.sum([a, b], axis=axis if axis != (0, 2) else None)
                                for a, b in zip(*listed)])
    reduced = np.stack([np.sum(t, axis=axis, keepdims=keepdims) for t in batch])
    np.testing.assert_allclose(batching.batch_unreduce(reduced, X, axis, keepdims),
                               [unreduce(r, X, axis, keepdims) for r in reduced])
    for like in (np.zeros((5, 1)), np.zeros(6), 0.0, np.zeros((1, 5, 6))):
        np.testing.assert_allclose(batching.batch_unbroadcast(batch, like),
                                   [unbroadcast(t, like) for t in batch])


def test_shapes_and_alignment():
    batch = RNG.standard_normal((3, 4, 6))
    assert batching.lifted(batch, np.zeros((2, 4, 6))).shape == (3, 1, 4, 6)
    assert batching.batch_like(RNG.standard_normal((3, 6)), np.zeros((4, 6))).shape == (3, 4, 6)
    np.testing.assert_array_equal(batching.batch_reshape(batch, (6, 4)),
                                  [t.reshape(6, 4) for t in batch])
    np.testing.assert_array_equal(batching.batch_reshape(batch, -1, "F"),
                                  [t.reshape(-1, order="F") for t in batch])
    np.testing.assert_array_equal(batching.batch_transpose(batch), [t.T for t in batch])
    np.testing.assert_array_equal(batching.batch_spread(np.arange(3.0), (2, 2)),
                                  [np.full((2, 2), k) for k in range(3)])
    zeros = batching.batch_zeros([np.ones(2), 1.0, {"a": np.ones((2, 2))}], 3)
    assert zeros[0].shape == (3, 2) and zeros[1].shape == (3,) and zeros[2]["a"].shape == (3, 2, 2)
    assert batching.batch_size((None, [np.ones((5, 2))])) == 5


def test_axes_joins_and_outer_products_equal_a_loop():
    from srcgrad.runtime import unindex_to
    batch = RNG.standard_normal((3, 2, 4, 5))
    np.testing.assert_array_equal(batching.batch_moveaxis(batch, 0, -1),
                                  [np.moveaxis(t, 0, -1) for t in batch])
    np.testing.assert_array_equal(batching.batch_moveaxis(batch, [0, 2], [2, 0]),
                                  [np.moveaxis(t, [0, 2], [2, 0]) for t in batch])
    np.testing.assert_array_equal(batching.batch_swapaxes(batch, -1, 0),
                                  [np.swapaxes(t, -1, 0) for t in batch])
    parts = [batch, RNG.standard_normal((3, 2, 4, 1))]
    for axis in (-1, 2):
        np.testing.assert_array_equal(batching.batch_concatenate(parts, axis),
                                      [np.concatenate([a, b], axis) for a, b in zip(*parts)])
    np.testing.assert_array_equal(batching.batch_concatenate(parts, None),
                                  [np.concatenate([a, b], None) for a, b in zip(*parts)])
    same = [batch, 2.0 * batch]
    for axis in (0, 1, -1, 3):
        np.testing.assert_array_equal(batching.batch_stack(same, axis),
                                      [np.stack([a, b], axis) for a, b in zip(*same)])
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(4)
    ta, tb = RNG.standard_normal((3, 2, 3)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(batching.batch_outer(ta, b, "a"), [np.outer(t, b) for t in ta])
    np.testing.assert_allclose(batching.batch_outer(a, tb, "b"), [np.outer(a, t) for t in tb])
    g = RNG.standard_normal((3, 2, 2))
    np.testing.assert_array_equal(batching.batch_unindex_to(g, (4, 5), np.s_[1:3, 2:4]),
                                  [unindex_to(e, (4, 5), np.s_[1:3, 2:4]) for e in g])


# -- Jacobians of functions with array outputs: forward (batched) = reverse = autograd ---------

A = RNG.standard_normal((3, 4))


def elementwise_and_reversed(x):
    return np.tanh(x) * x[::-1]


def affine_plus_norm(x):
    return A @ x + np.sum(x ** 2)


def running_sum(x):
    return np.cumsum(x * x)[1:]


def joined(x):
    return np.concatenate([x, x[:2] * 3.0, np.sin(x)])


def chosen(x):
    return np.where(x > 0, x ** 2, -x)


def outer_flattened(x):
    return (x[:, None] * x[None, :]).ravel()


def means_and_picks(x):
    return np.mean(x.reshape(2, 2), axis=0) + x[[0, 3]]


def written_rows(x):
    y = np.zeros((2, 3))
    y[0] = x[:3]
    y[1, 1:] = x[2:] ** 2
    y[:, 0] += x[1]
    return y


def looped_sums(x):
    out = []
    for i in range(3):
        out.append(np.sum(x[i:] ** (i + 1)))
    return np.array(out)


def gram(x):
    m = x.reshape(2, 2)
    return m @ m.T + np.linalg.inv(m + 3.0 * np.eye(2))


def stacked_columns(x):
    return np.stack([x, 2.0 * x, x ** 3], axis=1)


def recurrence(x):
    h = x
    for _ in range(3):
        h = np.tanh(A.T @ (A @ h)) + h[0]
    return h


VECTOR_FUNCTIONS = [elementwise_and_reversed, affine_plus_norm, running_sum, joined, chosen,
                    outer_flattened, means_and_picks, written_rows, looped_sums, gram,
                    stacked_columns, recurrence]


@pytest.mark.parametrize("f", VECTOR_FUNCTIONS, ids=lambda f: f.__name__)
def test_forward_jacobians_equal_reverse_ones_and_autograd(f):
    import autograd
    from corpus.support import with_autograd_numpy

    x = np.array([0.3, -0.7, 1.1, 0.45])
    forward = srcgrad.jacobian(f, mode="forward")
    got = forward(x)
    assert "_batched" in forward.source
    np.testing.assert_allclose(got, srcgrad.jacobian(f, mode="reverse")(x), rtol=1e-10,
                               atol=1e-12)
    if f is not written_rows:  # (autograd cannot trace writes into arrays)
        expected = autograd.jacobian(with_autograd_numpy(f))(x)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


def test_a_number_reduced_over_axis_minus_one_keeps_the_directions_apart():
    # np.sum(s, axis=-1) of a number is the number: for its batch (one axis, the
    # directions'), axis -1 must not become the directions' axis (the fuzzer, seed 75)
    def f(x):
        s = np.sum(np.sin(x))
        return np.sum(np.sum(s, axis=-1, keepdims=True) * x) + np.sum(s ** 2, axis=0)

    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(srcgrad.hessian(f)(x),
                               np.stack([srcgrad.hvp(f)(x, vector=e) for e in np.eye(3)], -1),
                               rtol=1e-12)
    batch = RNG.standard_normal((3,))
    assert batching.batch_axis(-1, batch) == () and batching.batch_axis(0, batch) == ()
    assert batching.batch_axis((0, -1), RNG.standard_normal((3, 4, 5))) == (1, 2)


def test_a_matrix_whose_batched_code_fails_falls_back_to_one_pass_per_direction(monkeypatch):
    def f(a, b):
        return np.sum(np.tanh(a @ b) ** 2) + np.sum(a ** 3) * b[0]

    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    batched = srcgrad.hessian(f, wrt=(0, 1))(a, b)
    batched_jacobian = srcgrad.jacobian(srcgrad.grad(f), mode="forward")(a, b)

    class Unbatchable(Gradient):  # batched code that fails when it runs
        def __call__(self, *args, **kwargs):
            raise ValueError("a shape the batch cannot take")

    monkeypatch.setattr(srcgrad.matrices, "Gradient", Unbatchable)
    hessian = srcgrad.hessian(f, wrt=(0, 1))
    looped = hessian(a, b)
    assert "_batched" not in hessian.source  # it ran the unbatched hvp, direction by direction
    for row_b, row_l in zip(batched, looped):
        for block_b, block_l in zip(row_b, row_l):
            np.testing.assert_allclose(block_l, block_b, rtol=1e-12, atol=1e-14)
    jacobian = srcgrad.jacobian(srcgrad.grad(f), mode="forward")
    np.testing.assert_allclose(jacobian(a, b), batched_jacobian, rtol=1e-12, atol=1e-14)
    assert "_batched" not in jacobian.source


def scaled_sines(x, s):
    return np.sum(np.sin(s * x) ** 2) * s


def test_a_matrix_of_a_number_argument_falls_back_alike(monkeypatch):
    # a Python float among the arguments: its unit tangents, one at a time, are numbers
    x, s = np.array([0.3, -1.2, 0.7]), 1.3
    batched = srcgrad.hessian(scaled_sines, wrt=(0, 1))(x, s)
    batched_jacobian = srcgrad.jacobian(srcgrad.grad(scaled_sines, wrt=1), wrt=1,
                                        mode="forward")(x, s)

    class Unbatchable(Gradient):
        def __call__(self, *args, **kwargs):
            raise ValueError("a shape the batch cannot take")

    monkeypatch.setattr(srcgrad.matrices, "Gradient", Unbatchable)
    looped = srcgrad.hessian(scaled_sines, wrt=(0, 1))(x, s)
    for row_b, row_l in zip(batched, looped):
        for block_b, block_l in zip(row_b, row_l):
            np.testing.assert_allclose(block_l, block_b, rtol=1e-12, atol=1e-14)
    assert np.shape(looped[1][1]) == () and np.shape(looped[0][1]) == (3,)
    jacobian = srcgrad.jacobian(srcgrad.grad(scaled_sines, wrt=1), wrt=1, mode="forward")
    np.testing.assert_allclose(jacobian(x, s), batched_jacobian, rtol=1e-12, atol=1e-14)


def scale_by(x, k):  # a primitive of this test's own
    return x * k


def calls_scale_by(x):
    y = np.sin(x)
    return np.sum(scale_by(y, 3.0) ** 2)


def test_a_batched_template_refusing_its_arguments_names_the_users_line():
    from srcgrad.rules import registry

    def refusing(k):
        raise NonDifferentiableError(f"no batched form for k={k}")

    srcgrad.defvjp(scale_by, "x, k", no_gradient=("k",), x="g * k", tangents={"x": "t * k"})
    try:
        registry.defbatch(scale_by, x=refusing)
        with pytest.raises(NonDifferentiableError, match="no batched form") as caught:
            Gradient(calls_scale_by, 0, "jvp_batched")
        assert caught.value.lineno == calls_scale_by.__code__.co_firstlineno + 2
        x = np.array([0.2, -0.4])
        np.testing.assert_allclose(srcgrad.hessian(calls_scale_by)(x),  # (one pass each)
                                   srcgrad.jacobian(srcgrad.grad(calls_scale_by))(x))
    finally:
        registry._RULES.pop(registry._key(scale_by), None)
