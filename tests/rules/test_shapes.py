"""Shape, joining, splitting, copying and indexing rules."""

import autograd.numpy as anp
import numpy as np
import pytest

from srcgrad.check import check_grads
from srcgrad.errors import NonDifferentiableError
from srcgrad.rules import lookup

from .harness import check_autograd, check_float32, check_rule, rule_jvp, rule_vjp

STATIC = ["engine", "dynamic", "shapes"]


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


# Each case: (function name, array shape, other arguments, keyword arguments).
MOVES = [
    ("reshape", (2, 3), [(3, 2)], {}), ("reshape", (2, 3), [-1], {}),
    ("reshape", (2, 3, 2), [(3, 4)], {"order": "F"}), ("ravel", (2, 3), [], {}),
    ("ravel", (2, 3), [], {"order": "F"}), ("expand_dims", (2, 3), [0], {}),
    ("expand_dims", (2, 3), [(0, -1)], {}), ("squeeze", (2, 1, 3, 1), [], {}),
    ("squeeze", (2, 1, 3, 1), [], {"axis": 1}), ("broadcast_to", (3,), [(2, 3)], {}),
    ("broadcast_to", (2, 1), [(4, 2, 3)], {}), ("transpose", (2, 3, 4), [], {}),
    ("transpose", (2, 3, 4), [(1, 0, 2)], {}), ("transpose", (2, 3, 4), [(2, 0, 1)], {}),
    ("transpose", (2, 3, 4), [(-1, 0, 1)], {}), ("swapaxes", (2, 3, 4), [0, -1], {}),
    ("moveaxis", (2, 3, 4), [0, -1], {}), ("moveaxis", (2, 3, 4), [[0, 1], [2, 0]], {}),
    ("flip", (2, 3), [], {}), ("flip", (2, 3, 4), [], {"axis": (0, 2)}),
    ("flip", (2, 3), [], {"axis": -1}), ("fliplr", (2, 3), [], {}), ("flipud", (2, 3), [], {}),
    ("rot90", (2, 3), [], {}), ("rot90", (2, 3), [2], {}),
    ("rot90", (2, 3, 4), [-1], {"axes": (1, 2)}), ("roll", (5,), [2], {}),
    ("roll", (2, 3), [-1], {"axis": 1}), ("roll", (2, 3), [4], {}),
    ("roll", (2, 3), [(1, -2)], {"axis": (0, 1)}), ("triu", (3, 4), [], {}),
    ("triu", (3, 4), [1], {}), ("tril", (4, 3), [-1], {}), ("tril", (2, 3, 3), [], {}),
    ("tile", (2, 3), [2], {}), ("tile", (2, 3), [(2, 1, 3)], {}), ("tile", (3,), [(2, 2)], {}),
    ("tile", (2, 3), [0], {}), ("repeat", (2, 3), [2], {}), ("repeat", (2, 3), [3], {"axis": 1}),
    ("repeat", (2, 3), [[1, 0, 2]], {"axis": -1}), ("repeat", (2, 3), [[2, 0]], {"axis": 0}),
    ("repeat", (2, 2), [[1, 2, 0, 3]], {}), ("sort", (3, 4), [], {}),
    ("sort", (3, 4), [], {"axis": 0}), ("sort", (3, 4), [], {"axis": None}),
    ("diag", (3,), [], {}), ("diag", (3,), [1], {}), ("diag", (3, 4), [], {}),
    ("diag", (4, 3), [-1], {}), ("diag", (3, 4), [2], {}),
]


@pytest.mark.parametrize("name, shape, args, kwargs", MOVES)
@pytest.mark.parametrize("static", STATIC)
def test_moves(name, shape, args, kwargs, static):
    check_rule(getattr(np, name), rand(*shape), *args, static=static, **kwargs)


@pytest.mark.parametrize("name, shape, args, kwargs", MOVES)
def test_moves_keep_float32(name, shape, args, kwargs):
    check_float32(getattr(np, name), rand(*shape).astype(np.float32), *args, **kwargs)


def _autograd_can(name, args, kwargs):
    """Whether autograd has a correct VJP for this case (it lacks some, gets some wrong)."""
    if name in ("broadcast_to", "sort", "roll", "flip") or (name == "rot90" and kwargs):
        return False
    if name == "transpose" and args and min(args[0]) < 0:
        return False
    return not (name == "tile" or (name == "repeat" and np.ndim(args[0])))


@pytest.mark.parametrize("name, shape, args, kwargs",
                         [c for c in MOVES if _autograd_can(c[0], c[2], c[3])])
def test_moves_match_autograd(name, shape, args, kwargs):
    if name == "diag" and len(shape) == 2 and shape[0] != shape[1]:
        pytest.skip("autograd's diag adjoint assumes a square matrix")
    check_autograd(getattr(np, name), getattr(anp, name), rand(*shape), *args, **kwargs)


def test_ravel_and_reshape_in_memory_order():
    # (Finite differences would copy the array into C order: compare with the F-order rule.)
    fortran, g = np.asfortranarray(rand(2, 3)), np.arange(6.0)
    expected = g.reshape((2, 3), order="F")
    for order in ("K", "A"):
        np.testing.assert_array_equal(rule_vjp(np.ravel, fortran, order=order, g=g)["a"],
                                      expected)
    np.testing.assert_array_equal(rule_vjp(np.ravel, rand(2, 3), order="A", g=g)["a"],
                                  g.reshape((2, 3)))
    np.testing.assert_array_equal(rule_vjp(np.reshape, fortran, (3, 2), order="A",
                                           g=g.reshape((3, 2), order="F"))["a"], expected)
    with pytest.raises(NonDifferentiableError, match="order='K'"):
        rule_vjp(np.ravel, rand(4, 4)[::2, ::2], order="K", g=np.ones(4))


@pytest.mark.parametrize("make", [np.asfortranarray, lambda a: a.T.copy().T, np.ascontiguousarray])
@pytest.mark.parametrize("order", ["A", "K", "F"])
def test_the_tangent_of_a_reshape_reads_the_array_in_its_order(make, order):
    # a tangent laid out in C order is read in the order the reshape reads the array itself
    base, t = rand(2, 3), rand(2, 3)
    a, moved = make(base), make(base + 1e-3 * t)  # (laid out alike)
    for primitive, args in [(np.ravel, ()), (np.reshape, ((3, 2),)),
                            (np.ndarray.flatten, ())]:
        if primitive is np.reshape and order == "K":
            continue  # (NumPy's reshape takes no order 'K')
        got = rule_jvp(primitive, a, *args, order=order, tangents={"a": t})
        expected = primitive(moved, *args, order=order) - primitive(a, *args, order=order)
        np.testing.assert_allclose(got, expected / 1e-3, rtol=1e-6)


# Joining: the rule returns one adjoint per joined array.

JOINS = [
    ("concatenate", [(2, 3), (1, 3), (4, 3)], {}), ("concatenate", [(2, 3), (2, 1)], {"axis": 1}),
    ("concatenate", [(2, 3, 1), (2, 3, 2)], {"axis": -1}),
    ("concatenate", [(2, 3), (4,)], {"axis": None}), ("stack", [(2, 3), (2, 3)], {}),
    ("stack", [(2, 3), (2, 3), (2, 3)], {"axis": 1}), ("stack", [(3,), (3,)], {"axis": -1}),
    ("hstack", [(3,), (2,)], {}), ("hstack", [(2, 3), (2, 1)], {}), ("hstack", [(), (2,)], {}),
    ("vstack", [(3,), (2, 3)], {}), ("vstack", [(2, 3), (1, 3)], {}), ("vstack", [(), ()], {}),
]


@pytest.mark.parametrize("name, shapes, kwargs", JOINS)
@pytest.mark.parametrize("static", STATIC)
def test_joins(name, shapes, kwargs, static):
    arrays = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    check_rule(getattr(np, name), arrays, static=static, **kwargs)
    check_float32(getattr(np, name), [a.astype(np.float32) for a in arrays], **kwargs)


@pytest.mark.parametrize("name, shapes, kwargs",
                         [j for j in JOINS if j[0] != "hstack" and j[2] != {"axis": None}])
def test_joins_match_autograd(name, shapes, kwargs):
    arrays = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    check_autograd(getattr(np, name), getattr(anp, name), arrays, **kwargs)


def test_join_of_tuple_and_scalars():
    grads = rule_vjp(np.hstack, (1.0, np.array([2.0, 3.0])), g=np.array([4.0, 5.0, 6.0]))
    assert np.shape(grads["tup"][0]) == ()
    np.testing.assert_array_equal(grads["tup"][1], [5.0, 6.0])


# Splitting: g holds one adjoint per piece, None for a piece with zero gradient.

SPLITS = [
    ("split", (6, 2), [3], {}), ("split", (2, 6), [[1, 4]], {"axis": 1}),
    ("split", (2, 5), [[1, 1, 7]], {"axis": -1}), ("array_split", (7,), [3], {}),
    ("hsplit", (2, 4), [2], {}), ("hsplit", (6,), [[2]], {}), ("vsplit", (4, 3), [2], {}),
    ("dsplit", (2, 2, 4), [[1, 3]], {}),
]


@pytest.mark.parametrize("name, shape, args, kwargs", SPLITS)
@pytest.mark.parametrize("static", STATIC)
def test_splits(name, shape, args, kwargs, static):
    check_rule(getattr(np, name), rand(*shape), *args, static=static, **kwargs)
    check_float32(getattr(np, name), rand(*shape).astype(np.float32), *args, **kwargs)


@pytest.mark.parametrize("name, shape, args, kwargs", [s for s in SPLITS if s[1] != (6,)])
def test_splits_match_autograd(name, shape, args, kwargs):
    check_autograd(getattr(np, name), getattr(anp, name), rand(*shape), *args, **kwargs)


def test_split_with_missing_pieces():
    x = rand(6)
    g = [None, np.array([1.0, 2.0]), None]
    grads = check_rule(np.split, x, 3, g=g)
    np.testing.assert_array_equal(grads["ary"], [0.0, 0.0, 1.0, 2.0, 0.0, 0.0])
    g32 = [None, np.ones(2, np.float32), None]
    assert rule_vjp(np.split, x.astype(np.float32), 3, g=g32)["ary"].dtype == np.float32


# Indexing.

TAKES = [
    ([0, 2, 2, -1], {}), ([[1, 0], [3, 3]], {"axis": 1}), (1, {"axis": 0}),
    ([5, -7, 1], {"axis": 1, "mode": "wrap"}), ([9, -3, 0], {"axis": -1, "mode": "clip"}),
    (np.array([4, 4, 0]), {}),
]


@pytest.mark.parametrize("indices, kwargs", TAKES)
@pytest.mark.parametrize("static", STATIC)
def test_take(indices, kwargs, static):
    check_rule(np.take, rand(3, 4), indices, static=static, **kwargs)
    check_float32(np.take, rand(3, 4).astype(np.float32), indices, **kwargs)


def test_take_sums_repeated_indices():
    grads = rule_vjp(np.take, np.zeros(3), [1, 1, 2], g=np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(grads["a"], [0.0, 3.0, 4.0])


GETITEMS = [(1,), (slice(None), 1), (Ellipsis, slice(0, 2)), ([0, 0, 2],),
            (np.array([[True, False, True, True]] * 3),), (slice(None), [3, 1, 3]),
            (None, 1, slice(None, None, -1))]


@pytest.mark.parametrize("index", [1, -1, slice(0, 2), slice(None, None, -1)])
def test_getitem_of_a_list(index):
    def getitem(x, index):
        return x[index]

    items = [rand(2, seed=i) for i in range(3)]
    for static in ("engine", "shapes"):
        grads = rule_vjp("getitem", items, index, g=getitem(items, index), static=static,
                         fn=getitem)
        expected = [None] * 3
        expected[index] = getitem(items, index)
        assert len(grads["x"]) == 3
        for got, want in zip(grads["x"], expected):
            assert (got is None) == (want is None)
            if want is not None:
                np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("index", GETITEMS)
def test_getitem(index):
    def getitem(x, index):
        return x[index]

    index = index[0] if len(index) == 1 else index
    check_rule("getitem", rand(3, 4), index, fn=getitem)
    check_rule("getitem", rand(3, 4), index, fn=getitem, static="shapes")
    check_float32("getitem", rand(3, 4).astype(np.float32), index, fn=getitem)
    check_float32("getitem", rand(3, 4).astype(np.float32), index, fn=getitem, static="shapes")


# New arrays made from values.

CREATIONS = [
    ("full", [(2, 3), np.array(1.5)], {}), ("full", [(2, 3), np.array([1.0, 2.0, 3.0])], {}),
    ("full_like", [np.ones((3, 2)), np.array([[0.5], [1.5], [2.5]])], {}),
    ("linspace", [np.array(-1.0), np.array(2.0)], {"num": 5}),
    ("linspace", [np.array(-1.0), np.array(2.0)], {"num": 4, "endpoint": False}),
    ("linspace", [np.array([0.0, 1.0]), np.array([[2.0], [3.0]])], {"num": 3, "axis": -1}),
    ("linspace", [np.array(0.5), np.array([1.0, 2.0])], {"num": 1}),
    ("arange", [np.array(0.5), 4.0, np.array(0.75)], {}),
    ("logspace", [np.array(-1.0), np.array(0.5)], {"num": 4}),
    ("logspace", [np.array(-1.0), np.array(0.5)], {"num": 4, "base": 2.0}),
    ("geomspace", [np.array(0.5), np.array(4.0)], {"num": 5}),
    ("geomspace", [np.array([-1.0, 2.0]), np.array([-8.0, 3.0])], {"num": 3, "axis": 1}),
]


@pytest.mark.parametrize("name, args, kwargs", CREATIONS)
@pytest.mark.parametrize("static", STATIC)
def test_creations(name, args, kwargs, static):
    wrt = [p for p in lookup(getattr(np, name)).adjoints if p != "base"]
    check_rule(getattr(np, name), *args, static=static, wrt=wrt, **kwargs)


def test_arange_gradients():
    grads = rule_vjp(np.arange, 1.0, 4.0, 0.5, g=np.ones(6))
    assert grads == {"start_or_stop": 6.0, "stop": 0.0, "step": 15.0}
    assert rule_vjp(np.arange, 3.0, g=np.ones(3))["start_or_stop"] == 0.0


def test_linspace_with_retstep_refuses():
    with pytest.raises(NonDifferentiableError):
        rule_vjp(np.linspace, 0.0, 1.0, retstep=True, g=[np.ones(50), 1.0])


# Padding, products of arrays, choices, axes rolled, diagonals, partitions, gathers, grids.
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("shape, pad_width", [((5,), 2), ((5,), (1, 3)), ((3, 4), ((1, 2), (0, 3))),
                                              ((2, 3, 4), 1), ((3, 2), ((4, 4), (1, 0)))])
def test_pad(mode, shape, pad_width):
    a = rand(*shape)
    check_rule(np.pad, a, pad_width, mode=mode)
    check_float32(np.pad, a.astype(np.float32), pad_width, mode=mode)


def test_pad_constant_values():
    check_rule(np.pad, rand(3, 2), 1, constant_values=0.7, wrt=["array", "constant_values"])
    with pytest.raises(NonDifferentiableError, match="linear_ramp"):
        rule_vjp(np.pad, rand(3), 1, mode="linear_ramp", g=rand(5))


@pytest.mark.parametrize("a_shape, b_shape", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 2), (3,)),
                                              ((3,), (2, 2)), ((2, 1, 3), (2, 2)), ((), (3,))])
def test_kron(a_shape, b_shape):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.kron, a, b)
    check_float32(np.kron, a.astype(np.float32), b.astype(np.float32))


def test_select():
    x = rand(3, 4)
    conds = [x > 0.5, x > -0.5]
    check_rule(np.select, conds, [x * 2.0, rand(4, seed=1)], default=rand(3, 1, seed=2))
    check_rule(np.select, conds, [x, x ** 2])
    check_float32(np.select, conds, [x.astype(np.float32), x.astype(np.float32)])


@pytest.mark.parametrize("axis, start", [(0, 0), (2, 0), (0, 3), (1, 3), (-1, 1), (0, 2), (1, 0)])
def test_rollaxis(axis, start):
    check_rule(np.rollaxis, rand(2, 3, 4), axis, start)


def test_dstack_and_diagflat():
    check_rule(np.dstack, [rand(3), rand(3, seed=1)])
    check_rule(np.dstack, [rand(2, 3), rand(2, 3, 2, seed=1)])
    for k in (0, 1, -2):
        check_rule(np.diagflat, rand(3), k)
        check_rule(np.diagflat, rand(2, 2), k)


@pytest.mark.parametrize("shift", [np.fft.fftshift, np.fft.ifftshift])
@pytest.mark.parametrize("shape, axes", [((5,), None), ((4, 5), None), ((4, 5), 1), ((3, 4), (0,))])
def test_fftshift(shift, shape, axes):
    check_rule(shift, rand(*shape), axes)


@pytest.mark.parametrize("shape, kth, axis", [((6,), 2, -1), ((6,), [1, 4], -1), ((3, 5), 2, 0),
                                              ((3, 5), 1, 1), ((3, 5), 4, None)])
def test_partition(shape, kth, axis):
    a = rand(*shape)
    check_rule(np.partition, a, kth, axis=axis)
    check_float32(np.partition, a.astype(np.float32), kth, axis=axis)


@pytest.mark.parametrize("shape, indices, axis", [
    ((3, 4), [[0, 0, 3], [1, 2, 2], [3, 3, 3]], 1), ((3, 4), [[2, 0, 1, 1]], 0),
    ((5,), [4, 0, 0, -1], 0), ((2, 3), [5, 0, 0], None), ((2, 3, 4), np.zeros((2, 1, 4), int), 1)])
def test_take_along_axis(shape, indices, axis):
    a = rand(*shape)
    check_rule(np.take_along_axis, a, np.asarray(indices), axis)
    check_float32(np.take_along_axis, a.astype(np.float32), np.asarray(indices), axis)


def test_put_along_axis_is_a_write():
    def f(x, v):
        y = x * 1.0
        np.put_along_axis(y, np.array([[0], [2]]), v, axis=1)
        return np.sum(y ** 2 * np.arange(1.0, 4.0))
    check_grads(f, rand(2, 3), rand(2, 1, seed=1))


@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(3,), (4,), (2,)], [(3,)], [(2, 2), (3,)]])
@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(shapes, indexing, sparse):
    xi = [rand(*s, seed=k) for k, s in enumerate(shapes)]
    check_rule(np.meshgrid, *xi, indexing=indexing, sparse=sparse)
    ans = np.meshgrid(*xi, indexing=indexing)
    g = [rand(*ans[0].shape, seed=5)] + [None] * (len(xi) - 1)
    grads = rule_vjp(np.meshgrid, *xi, indexing=indexing, g=g)["xi"]
    assert all(np.all(d == 0) for d in grads[1:])


def test_meshgrid_through_the_engine():
    def f(x, y):
        gx, gy = np.meshgrid(x, y)
        return np.sum(gx * gy ** 2)
    check_grads(f, rand(3), rand(4, seed=1))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # (np.row_stack: NumPy 2 deprecates it)
@pytest.mark.skipif(not hasattr(np, "row_stack") or np.row_stack is np.vstack,
                    reason="np.row_stack is np.vstack here")
def test_row_stack():
    check_rule(np.row_stack, [rand(3), rand(2, 3, seed=1)])


@pytest.mark.parametrize("grid", [np.mgrid, np.ogrid])
def test_grids_refuse_tangents_too(grid):
    from srcgrad.rules.registry import lookup_subscript
    with pytest.raises(NonDifferentiableError):
        lookup_subscript(grid).tangent_for("index", {})
