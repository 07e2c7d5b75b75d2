"""shapes: one analysis of what each value's shape is (concrete from the arguments' shapes,
or classes of equal shape without them), and the shape functions the rules declare for it."""

import numpy as np
import pytest
from corpus import loops, real_code, straight
from corpus.support import renamed

import srcgrad
from srcgrad.passes.reverse import sum_to
from srcgrad.passes.shapes import SCALAR, ShapeClass, infer_shapes, shape_conflicts
from srcgrad.rules.registry import all_rules, lookup


TRAPEZOID = getattr(np, "trapezoid", None) or np.trapz  # (the old name before NumPy 2.0)


def shapes_of(fn, **arg_shapes):
    _, fdef, _ = renamed(fn)
    return infer_shapes(fdef, arg_shapes)


def classes_of(fn, scalars=frozenset()):
    _, fdef, _ = renamed(fn)
    return infer_shapes(fdef, scalars=scalars)


def concrete(found):
    return {v: s for v, s in found.items() if isinstance(s, tuple)}


def dense(W, b, x):
    h = np.tanh(x @ W + b)
    s = np.sum(h, axis=1, keepdims=True)
    total = np.sum(h / s)
    return total


def test_elementwise_products_and_reductions():
    found = shapes_of(dense, W=(3, 4), b=(4,), x=(5, 3))
    assert found["h"] == (5, 4)
    assert found["s"] == (5, 1)
    assert found["total"] is SCALAR  # a sum over all axes: a number


def rows(xs):
    total = 0.0
    for t in range(xs.shape[0]):
        row = xs[t]
        total = total + np.sum(row * row)
    return total


def test_a_loop_counter_picks_one_row_of_known_shape():
    found = shapes_of(rows, xs=(7, 3))
    assert found["row"] == (3,)
    assert found["total"] is SCALAR


def gates(x):
    hs = x.shape[1] // 4
    forget = x[:, 0:hs]
    rest = x[:, hs:]
    return np.sum(forget) + np.sum(rest)


def test_slices_whose_bounds_are_shape_expressions():
    found = shapes_of(gates, x=(2, 8))
    assert found["forget"] == (2, 2)
    assert found["rest"] == (2, 6)


def grows(x):
    acc = x
    for t in range(3):
        acc = np.concatenate((acc, x))
    return np.sum(acc)


def test_a_value_reassigned_with_another_shape_has_none():
    found = shapes_of(grows, x=(2,))
    assert "acc" not in found  # (neither a shape nor a class)
    assert found["x"] == (2,)


def tail_from_counter(x):
    total = 0.0
    for t in range(x.shape[0]):
        total = total + np.sum(x[t:])
    return total


def masked(x):
    return np.sum(x[x > 0])


def from_argmax(x):
    return np.sum(x[np.argmax(x):])


def fancy(x, index):
    return np.sum(x[index])


@pytest.mark.parametrize("fn, shapes", [
    (tail_from_counter, {"x": (5,)}),   # the slice's length depends on the counter's value
    (masked, {"x": (5,)}),              # a boolean mask: as many elements as are positive
    (from_argmax, {"x": (5,)}),         # a bound computed from values
    (fancy, {"x": (5,), "index": (3,)}),  # an index array: its values are not known here
])
def test_shapes_that_depend_on_values_are_not_guessed(fn, shapes):
    found = concrete(shapes_of(fn, **shapes))
    reads_value = {v for v in found if v not in shapes and found[v] != ()}
    assert not reads_value, {v: found[v] for v in reads_value}


def reshaped(x, rows):
    picked = x[rows]
    return np.sum(np.reshape(picked, (2, 3)) ** 2)


def test_a_reshape_to_a_written_out_shape_needs_no_known_input():
    found = concrete(shapes_of(reshaped, x=(4, 3), rows=(2,)))
    assert "picked" not in found  # an index array: not known here
    assert (2, 3) in found.values()
    x, rows = np.arange(12.0).reshape(4, 3), np.array([3, 1])
    np.testing.assert_allclose(srcgrad.grad(reshaped)(x, rows),
                               np.where(np.isin(np.arange(4), rows)[:, None], 2 * x, 0.0))


def list_state(x, h0):
    s = [h0[i] for i in range(h0.shape[0])]
    out = []
    for k in range(len(s)):
        item = s[k]
        out.append(np.tanh(item * x))
    last = out[-1]
    return np.sum(last)


def mixed_list(x, y):
    items = [x, y]
    first = items[0]
    return np.sum(first)


def test_items_of_a_list_whose_items_share_a_shape_have_it():
    found = shapes_of(list_state, x=(3,), h0=(2, 3))
    assert found["item"] == (3,)
    assert found["last"] == (3,)
    x, h0 = np.array([0.5, -1.0, 2.0]), np.arange(6.0).reshape(2, 3) / 10.0
    np.testing.assert_allclose(srcgrad.grad(list_state)(x, h0),
                               (1.0 - np.tanh(h0[1] * x) ** 2) * h0[1])


def test_items_of_a_list_of_different_shapes_have_none():
    found = concrete(shapes_of(mixed_list, x=(3,), y=(2,)))
    assert "first" not in found
    np.testing.assert_allclose(srcgrad.grad(mixed_list)(np.ones(3), np.ones(2)), np.ones(3))


def test_an_integer_index_array_gives_the_right_gradient():
    x = np.arange(5.0)
    index = np.array([0, 0, 3])
    got = srcgrad.grad(fancy)(x, index)
    np.testing.assert_array_equal(got, [2.0, 0.0, 0.0, 1.0, 0.0])


# -- creation calls, np.dot, loop-carried states -------------------------------------------------

def dot_cell(W, U, xs):
    H = U.shape[0]
    h = np.zeros((xs.shape[1], H))
    c = np.zeros_like(h)
    for t in range(xs.shape[0]):
        z = np.dot(xs[t], W) + np.dot(h, U)
        c = c * np.tanh(z)
        h = np.tanh(c)
    out = np.dot(h, np.ones(H))
    return np.sum(out)


def test_creation_calls_with_computed_shapes_and_states_carried_by_a_loop():
    found = shapes_of(dot_cell, W=(3, 4), U=(4, 4), xs=(5, 2, 3))
    assert found["H"] is SCALAR
    assert found["h"] == found["c"] == found["z"] == (2, 4)
    assert found["out"] == (2,)


def test_lengths_are_numbers_without_argument_shapes():
    found = classes_of(dot_cell)
    assert found["H"] is SCALAR
    assert "h" not in found  # zeros of a computed shape, then np.tanh(c) of another class


def like(x, w):
    a = np.zeros(x.shape)
    b = np.ones_like(x) * 2.0
    s = np.shape(x)
    e = np.empty(s)
    n = np.zeros(len(x))
    return np.sum((a + b + e) * x) + np.sum(n * w)


def test_arrays_made_from_an_arrays_shape_share_its_class():
    found = classes_of(like)
    assert found["a"] == found["b"] == found["e"] == found["x"] == ShapeClass("x")
    assert "n" not in found or found["n"] != found["x"]


def test_arrays_made_from_a_known_shape_have_it():
    found = shapes_of(like, x=(3, 2), w=(3,))
    assert found["a"] == found["b"] == found["e"] == (3, 2)
    assert found["n"] == (3,)


def test_a_shape_argument_given_to_a_like_function_wins():
    def reshaped_like(x):
        z = np.zeros_like(x, shape=(2, 3))
        return np.sum(z) + np.sum(x)

    assert shapes_of(reshaped_like, x=(3,))["z"] == (2, 3)
    assert "z" not in classes_of(reshaped_like) or \
        classes_of(reshaped_like)["z"] != ShapeClass("x")


def counted(x):
    k = 1
    for t in range(3):
        k = k + 1
    return np.sum(x[:k])


def test_an_integer_reassigned_in_a_loop_has_no_known_value():
    found = shapes_of(counted, x=(6,))
    assert found["k"] is SCALAR
    assert not any(s in ((1,), (2,), (3,), (4,)) for s in found.values())
    np.testing.assert_allclose(srcgrad.grad(counted)(np.arange(6.0)), [1, 1, 1, 1, 0, 0])


def test_dot_gradients_are_matrix_products_where_shapes_are_known():
    g = srcgrad.grad(dot_cell, wrt=("W", "U"))
    rng = np.random.default_rng(0)
    W, U, xs = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=(5, 2, 3))
    g(W, U, xs)
    assert "dot_lhs_grad" not in g.source and "dot_rhs_grad" not in g.source
    assert "unbroadcast" not in g.source


def test_shape_conflicts_name_the_statement_that_fails():
    def product(x, y):
        return np.sum(np.dot(x, y))

    _, fdef, _ = renamed(product)
    assert len(shape_conflicts(fdef, {"x": (2, 3), "y": (4, 5)})) == 1
    assert shape_conflicts(fdef, {"x": (2, 3), "y": (3, 5)}) == []


# -- classes of equal shape, without the arguments' shapes ---------------------------------------

def test_elementwise_results_share_their_operands_class():
    classes = classes_of(straight.elementwise_chain)
    assert classes["y"] == classes["z"] == classes["x"]
    assert classes["w"] != classes["x"]
    assert classes.get("u") != classes["x"]  # x * w may broadcast


def test_numbers_are_scalars():
    classes = classes_of(straight.elementwise_chain, scalars={"w"})
    assert classes["w"] is SCALAR
    assert classes["u"] == classes["x"]  # a number does not change the shape


@pytest.mark.parametrize("fn, variable, operands", [
    (loops.broadcast_accumulator, "acc", ("a", "b")),  # 0.0, then a * b's shape
    (loops.growing_shape, "h", ("row", "col")),  # 1.0, then row's shape, then row + col's
    (straight.reassigned_param, "x_1", ("x", "w")),  # x * w may broadcast
])
def test_values_whose_shape_may_differ_from_their_operands_share_no_class(fn, variable,
                                                                          operands):
    classes = classes_of(fn)
    assert variable not in classes or \
        all(classes[variable] != classes.get(v) for v in operands), classes


def joined(xs, ys):
    both = xs + ys
    return np.sum(both[0]) + np.sum(both[-1])


def test_two_lists_joined_are_not_shaped_like_either():
    classes = classes_of(joined)
    assert classes.get("both") not in (classes["xs"], classes["ys"])
    assert "both" not in concrete(shapes_of(joined))


# -- the rules' shape functions ------------------------------------------------------------------

def P(*shape):
    """A placeholder, as the analysis gives shape functions."""
    return np.broadcast_to(np.zeros(()), shape)


a34, a234, v3, v4, m33 = (np.ones((3, 4)), np.ones((2, 3, 4)), np.ones(3), np.ones(4),
                          np.ones((3, 3)))
CASES = [
    (np.sum, (a234,), {"axis": 1}), (np.sum, (a234,), {"axis": (0, 2), "keepdims": True}),
    (np.sum, (a234,), {}), (np.nansum, (a34,), {"axis": -1}), (np.mean, (a34,), {"axis": 0}),
    (np.prod, (a34,), {"axis": 1}), (np.max, (a34,), {"axis": 1, "keepdims": True}),
    (np.amax, (a34,), {}), (np.min, (a34,), {"axis": 0}), (np.amin, (a34,), {"axis": None}),
    (np.var, (a34,), {"axis": 0, "ddof": 1}), (np.std, (a34,), {"axis": 1}),
    (np.cumsum, (a34,), {"axis": 1}), (np.cumsum, (a34,), {}),
    (np.reshape, (a234, (6, -1)), {}), (np.ravel, (a34,), {}),
    (np.expand_dims, (a34, 1), {}), (np.squeeze, (np.ones((3, 1, 4)),), {}),
    (np.broadcast_to, (v4, (3, 4)), {}), (np.transpose, (a234,), {}),
    (np.transpose, (a234, (1, 0, 2)), {}), (np.swapaxes, (a234, 0, 2), {}),
    (np.moveaxis, (a234, 0, -1), {}), (np.flip, (a34,), {"axis": 0}), (np.diag, (v3,), {}),
    (np.diag, (m33,), {}), (np.fliplr, (a34,), {}), (np.flipud, (a34,), {}),
    (np.rot90, (a34,), {}), (np.roll, (a34, 1), {"axis": 1}), (np.triu, (m33,), {}),
    (np.tril, (m33, -1), {}), (np.concatenate, ((a34, a34),), {"axis": 1}),
    (np.stack, ((v3, v3),), {"axis": 1}), (np.hstack, ((v3, v4),), {}),
    (np.vstack, ((v4, a34),), {}), (np.tile, (v3, (2, 2)), {}),
    (np.matmul, (a34, np.ones((4, 5))), {}), (np.matmul, (a234, v4), {}),
    (np.matmul, (v3, a34), {}), (np.matmul, (v4, v4), {}),
    (np.matmul, (np.ones((5, 1, 3, 4)), np.ones((2, 4, 6))), {}),
    (np.dot, (a34, v4), {}), (np.dot, (v3, a34), {}), (np.dot, (v4, v4), {}),
    (np.einsum, ("ijk,ik->ij", a234, np.ones((2, 4))), {}), (np.trace, (m33,), {}),
    (np.linalg.norm, (a34,), {"axis": 1}), (np.linalg.norm, (a34,), {}),
    (np.copy, (a34,), {}), ("getitem", (a234, (slice(None), 1)), {}),
    ("getitem", (a234, (None, Ellipsis, slice(1, 3))), {}), ("attr T", (a34,), {}),
    (srcgrad.runtime.astype, (a34, np.float32), {}),
    (np.diff, (a34,), {"n": 2}), (np.diff, (a34,), {"axis": 0, "prepend": 0.0}),
    (np.append, (a34, a34), {"axis": 0}), (np.append, (a34, v3), {}),
    (np.diagonal, (a34,), {"offset": 1}), (np.atleast_1d, (np.float64(1.0),), {}),
    (np.atleast_2d, (v3,), {}), (np.atleast_3d, (a34,), {}), (np.cumprod, (a34,), {"axis": 1}),
    (np.ptp, (a34,), {"axis": 0}), (np.column_stack, ((v3, np.ones((3, 2))),), {}),
    (np.cross, (np.ones((4, 3)), v3), {}),
    (np.linalg.cholesky, (np.eye(3),), {}), (np.linalg.eigvalsh, (a234[..., :3],), {}),
    *([(np.linalg.svdvals, (a34,), {})] if hasattr(np.linalg, "svdvals") else []),
    (np.linalg.pinv, (a34,), {}),
    (np.linalg.matrix_power, (np.eye(3), -2), {}), (np.linalg.multi_dot, ((v3, a34, v4),), {}),
    (np.dstack, ((v3, v3),), {}), (np.rollaxis, (a234, 2), {}),
    (np.fft.fftshift, (a34,), {}), (np.fft.ifftshift, (a34, 1), {}), (np.diagflat, (a34, 1), {}),
    (np.kron, (a34, v3), {}),
    (np.fft.fft, (a34,), {"n": 6}), (np.fft.ifft, (a34, 2, 0), {}), (np.fft.rfft, (a34,), {}),
    (np.fft.irfft, (a34,), {"n": 7}), (np.fft.fftn, (a234,), {"s": (2, 5), "axes": (0, 2)}),
    (np.fft.ifftn, (a234,), {}), (np.fft.rfftn, (a234,), {"axes": (1,)}),
    (np.fft.irfftn, (a234,), {}), (np.fft.fft2, (a234,), {}), (np.fft.ifft2, (a34,), {}),
    (np.fft.rfft2, (a234,), {"s": (3, 6)}), (np.fft.irfft2, (a34,), {}),
    (np.linalg.eigvals, (a234[..., :3],), {}),
    (np.partition, (a34, 1), {}), (np.take_along_axis, (a34, np.zeros((3, 2), int), 1), {}),
    (np.interp, (a34, v3, v3), {}), (TRAPEZOID, (a34,), {"axis": 0}),
    (np.polyval, (v3, a34), {}), (np.convolve, (v3, v4), {"mode": "same"}),
    (np.correlate, (v4, v3), {}), (np.average, (a34,), {"axis": 1, "weights": v4}),
    (np.quantile, (a234, v3), {"axis": (0, 2)}), (np.percentile, (a34, 50.0), {"axis": 1}),
    (np.median, (a34,), {"keepdims": True}), (np.nanmean, (a34,), {"axis": 0}),
    (np.nanmax, (a34,), {}), (np.nanmin, (a34,), {"axis": 1}), (np.nanprod, (a34,), {}),
    (np.nanvar, (a34,), {"axis": 1}), (np.nanstd, (a34,), {"ddof": 1}),
    (np.nancumsum, (a34,), {}), (np.nancumprod, (a34,), {"axis": 0}),
    (np.nanquantile, (a234, v3), {"axis": (0, 2)}), (np.nanpercentile, (a34, 50.0), {"axis": 1}),
    (np.nanmedian, (a34,), {"keepdims": True}),
] + ([(np.cumulative_sum, (a34,), {"axis": 1, "include_initial": True}),
      (np.cumulative_prod, (v3,), {})] if hasattr(np, "cumulative_sum") else []) + (
    [(np.astype, (a34, np.float32), {})] if hasattr(np, "astype") else []) + (
    [(np.row_stack, ((v3, v3),), {})]
    if hasattr(np, "row_stack") and np.row_stack is not np.vstack else [])


def _placeholders(value):
    if isinstance(value, np.ndarray):
        return P(*value.shape)
    if isinstance(value, tuple) and value and all(isinstance(v, np.ndarray) for v in value):
        return tuple(P(*v.shape) for v in value)
    return value


def _real(primitive, args, kwargs):
    if primitive == "getitem":
        return args[0][args[1]]
    if primitive == "attr T":
        return args[0].T
    return primitive(*args, **kwargs)


@pytest.mark.parametrize("primitive, args, kwargs", CASES,
                         ids=[f"{getattr(c[0], '__name__', c[0])}-{i}"
                              for i, c in enumerate(CASES)])
def test_shape_function_gives_the_shape_numpy_gives(primitive, args, kwargs):
    rule = lookup(primitive)
    assert rule.shape_of is not None
    found = rule.shape_of(*[_placeholders(a) for a in args], **kwargs)
    assert np.shape(found) == np.shape(_real(primitive, args, kwargs))


def test_every_shape_function_is_checked_here():
    checked = {lookup(c[0]).name for c in CASES}
    builtin = ("numpy", "srcgrad")  # (tests register rules of their own too)
    declared = {r.name for r in all_rules() if r.shape_of is not None and (
        r.callable is None or getattr(r.callable, "__module__", "").startswith(builtin))}
    assert declared <= checked, declared - checked


def test_matrix_product_shape_refuses_mismatched_operands():
    rule = lookup(np.matmul)
    with pytest.raises(ValueError):
        rule.shape_of(P(3, 4), P(5, 2))


# -- summing an adjoint down to an operand's shape -----------------------------------------------

@pytest.mark.parametrize("shape, target", [
    ((5, 4), (4,)), ((5, 4), (5, 1)), ((2, 5, 4), (5, 1)), ((5, 4), ()), ((2, 3), (2, 3)),
    ((3, 1, 4), (1, 1, 4)), ((6, 5, 4), (4,)),
])
def test_sum_to_matches_numpy_broadcasting(shape, target):
    from srcgrad.ir import name
    from srcgrad.passes.codegen import to_source

    g = np.random.default_rng(0).standard_normal(shape)
    code = to_source(sum_to(name("g"), shape, target)).strip()
    got = eval(code, {"np": np, "g": g})
    expected = srcgrad.runtime.unbroadcast_to(g, target)
    assert np.shape(got) == target
    np.testing.assert_allclose(got, expected)


def test_a_rule_registered_with_shape_of_and_a_shape_template():
    from corpus import custom

    x, b = np.arange(6.0).reshape(2, 3) / 10.0, np.array([0.1, -0.2, 0.3])
    g = srcgrad.grad(custom.biased_rows, wrt=(0, 1))
    assert "np.shape(" in g.source  # the version for any shapes
    dx, db = g(x, b)
    assert "np.broadcast_to(" in g.source and "(2, 3)" in g.source
    assert "np.sum(" in g.source and "axis=0" in g.source  # b's adjoint, summed by name
    assert "unbroadcast" not in g.source  # row_sums's result shape is known: (2,)
    r = np.sum(x + b, axis=1)
    np.testing.assert_allclose(dx, np.broadcast_to(2.0 * r[:, None], (2, 3)))
    np.testing.assert_allclose(db, np.sum(np.broadcast_to(2.0 * r[:, None], (2, 3)), axis=0))


def test_sizes_computed_from_shapes_are_scalars():
    # so that start += 1 on a copy of one is a new int, not a write into shared memory
    assert classes_of(real_code.advanced_copy_of_a_size)["d"] is SCALAR
