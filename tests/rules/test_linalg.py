"""Linear algebra rules: products for all ranks, einsum, norms, inverses and solves."""

import ast
import importlib
import inspect

import autograd.numpy as anp
import numpy as np
import pytest

from srcgrad.rules import lookup

from .harness import (
    check_autograd,
    check_float32,
    check_rule,
    check_tangent_float32,
    check_tangents,
    rule_jvp,
    rule_vjp,
)


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def well_conditioned(*shape, seed=0):
    n = shape[-1]
    return np.eye(n) * 2.0 + 0.3 * rand(*shape, seed=seed)


PRODUCT_SHAPES = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,))]


@pytest.mark.parametrize("a_shape, b_shape", PRODUCT_SHAPES + [
    ((2, 1, 2, 3), (4, 3, 2)), ((5, 2, 3), (3,)), ((3,), (2, 3, 4)), ((1, 2, 3), (4, 3, 2))])
def test_matmul(a_shape, b_shape):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.matmul, a, b)
    check_rule(np.matmul, a, b, static="shapes")
    check_autograd(np.matmul, anp.matmul, a, b)


@pytest.mark.parametrize("a_shape, b_shape", PRODUCT_SHAPES + [
    ((), (2, 3)), ((2, 3), ()), ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)),
    ((4,), (4, 2)), ((2, 3), (4, 3, 5))])
def test_dot(a_shape, b_shape):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.dot, a, b)
    check_autograd(np.dot, anp.dot, a, b)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((2, 3), (4, 3)), ((3,), (3,)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4)), ((), (2, 3)),
    ((2, 3), ()), ((2, 3), (5, 2, 3))])
def test_inner(a_shape, b_shape):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.inner, a, b)
    check_autograd(np.inner, anp.inner, a, b)


@pytest.mark.parametrize("a_shape, b_shape", [((3,), (4,)), ((2, 3), (4,)), ((2, 2), (3, 1))])
def test_outer(a_shape, b_shape):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.outer, a, b)
    if len(a_shape) == 1:  # autograd's outer does not flatten
        check_autograd(np.outer, anp.outer, a, b)


def test_vdot():
    check_rule(np.vdot, rand(2, 3), rand(6, seed=1))
    check_rule(np.vdot, rand(4), rand(4, seed=1))


@pytest.mark.parametrize("a_shape, b_shape, axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4,), 0),
    ((2, 3, 4), (4, 3, 5), ((1, 2), (1, 0))), ((2, 3, 4), (4, 5), ([2], [0])),
    ((2, 3, 4), (4, 2), ((-1, 0), (0, -1))), ((3, 2), (3, 4), (0, 0)),
    ((2, 3, 4), (2, 3, 4), 3)])
def test_tensordot(a_shape, b_shape, axes):
    a, b = rand(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.tensordot, a, b, axes=axes)
    check_rule(np.tensordot, a, b, axes=axes, static="dynamic")
    check_autograd(np.tensordot, anp.tensordot, a, b, axes=axes)


# (subscripts, operand shapes, whether autograd can do it too).
EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)], True),
    ("ij,ij->", [(2, 3), (2, 3)], True),
    ("i,j->ij", [(3,), (4,)], True),
    ("ij->ji", [(2, 3)], True),
    ("ijk->i", [(2, 3, 4)], True),  # letters only one operand has
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], True),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)], True),
    ("ii->", [(3, 3)], False),  # a trace: a repeated letter
    ("ii->i", [(3, 3)], False),
    ("iij,k->jk", [(3, 3, 2), (4,)], False),
    ("ij,jk", [(2, 3), (3, 4)], True),  # implicit output
    ("ba", [(2, 3)], True),  # implicit output: sorted letters, a transpose
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)], True),  # broadcast batch axes
    ("...i,i", [(2, 3), (3,)], True),
    ("i...,i->...", [(3, 2, 2), (3,)], True),
    ("ij,jk->ik", [(2, 1), (3, 4)], False),  # einsum broadcasts a length-1 axis too
    (" ij , jk -> ik ", [(2, 3), (3, 4)], True),
]


@pytest.mark.parametrize("subscripts, shapes, autograd_too", EINSUMS)
def test_einsum(subscripts, shapes, autograd_too):
    operands = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    check_rule(np.einsum, subscripts, *operands)
    check_rule(np.einsum, subscripts, *operands, static="shapes")  # contractions written out
    if autograd_too:
        check_autograd(np.einsum, anp.einsum, subscripts, *operands)


def test_einsum_keeps_float32():
    a, b = rand(2, 3).astype(np.float32), rand(3, 3).astype(np.float32)
    check_float32(np.einsum, "ij,jk->ik", a, b)
    check_float32(np.einsum, "ij,jk->ik", a, b, static="shapes")
    check_float32(np.einsum, "ij,jj->i", a, b)


@pytest.mark.parametrize("shape, kwargs", [
    ((3, 3), {}), ((3, 4), {"offset": 1}), ((4, 3), {"offset": -2}), ((3, 3), {"offset": 5}),
    ((2, 3, 4), {"axis1": 1, "axis2": 2}), ((3, 2, 3), {"axis1": 2, "axis2": 0}),
    ((3, 2, 4), {"offset": 1, "axis1": -1, "axis2": 0})])
def test_trace(shape, kwargs):
    check_rule(np.trace, rand(*shape), **kwargs)
    if "axis1" not in kwargs:  # autograd's trace takes no axes
        check_autograd(np.trace, anp.trace, rand(*shape), **kwargs)
    check_float32(np.trace, rand(*shape).astype(np.float32), **kwargs)


NORMS = [
    ((5,), {}), ((5,), {"ord": 2}), ((5,), {"ord": 1}), ((5,), {"ord": 3}),
    ((5,), {"ord": 0.5}), ((5,), {"ord": np.inf}), ((5,), {"ord": -np.inf}),
    ((5,), {"ord": -1.5}), ((2, 3, 4), {}),
    ((3, 4), {}), ((3, 4), {"ord": "fro"}), ((3, 4), {"ord": "nuc"}), ((3, 4), {"ord": 2}),
    ((3, 4), {"ord": -2}), ((3, 4), {"ord": 1}), ((3, 4), {"ord": -1}),
    ((3, 4), {"ord": np.inf}), ((3, 4), {"ord": -np.inf}),
    ((3, 4), {"axis": 1}), ((3, 4), {"axis": -2, "ord": 1}), ((3, 4), {"axis": 0, "ord": 2}),
    ((2, 3, 4), {"axis": 2, "keepdims": True}), ((2, 3, 4), {"axis": (0, 2)}),
    ((2, 3, 4), {"axis": (2, 0), "ord": "nuc"}), ((2, 3, 4), {"axis": (0, 1), "ord": 2}),
    ((2, 3, 4), {"axis": (1, 2), "ord": np.inf, "keepdims": True}),
    ((2, 3, 4), {"axis": (-1, -2), "ord": "fro", "keepdims": True}),
]


@pytest.mark.parametrize("shape, kwargs", NORMS)
@pytest.mark.parametrize("static", ["engine", "dynamic"])
def test_norm(shape, kwargs, static):
    check_rule(np.linalg.norm, rand(*shape), static=static, **kwargs)
    check_float32(np.linalg.norm, rand(*shape).astype(np.float32), static=static, **kwargs)


@pytest.mark.parametrize("shape, kwargs", [
    ((5,), {}), ((5,), {"ord": 3}), ((3, 4), {}), ((3, 4), {"ord": "fro"}),
    ((3, 4), {"ord": "nuc"}), ((3, 4), {"axis": 1}), ((2, 3, 4), {"axis": (0, 2)})])
def test_norm_matches_autograd(shape, kwargs):
    check_autograd(np.linalg.norm, anp.linalg.norm, rand(*shape), **kwargs)


def test_max_norm_ties_split_evenly():
    grads = rule_vjp(np.linalg.norm, np.array([3.0, -3.0, 1.0]), ord=np.inf, g=2.0)
    np.testing.assert_array_equal(grads["x"], [1.0, -1.0, 0.0])


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_inv_det(shape):
    a = well_conditioned(*shape)
    for f, af in [(np.linalg.inv, anp.linalg.inv), (np.linalg.det, anp.linalg.det)]:
        check_rule(f, a)
        check_autograd(f, af, a)
        check_float32(f, a.astype(np.float32))


@pytest.mark.parametrize("a", [
    np.array([[1.0, 2.0], [2.0, 4.0]]),                       # rank 1
    np.zeros((3, 3)),                                          # rank 0
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, -1.0]]),  # rank 2
    np.stack([np.eye(3), np.ones((3, 3))]),                    # a stack with one singular
], ids=["rank1", "zeros", "rank2", "stack"])
def test_det_of_singular_matrices(a):
    # The gradient (the cofactor matrix) exists where the inverse does not.
    check_rule(np.linalg.det, a)
    dx = rule_vjp(np.linalg.det, a, g=np.ones(np.shape(np.linalg.det(a))))["a"]
    assert np.all(np.isfinite(dx))


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((3, 3), (2, 3, 2)),
    pytest.param((2, 3, 3), (3,), marks=pytest.mark.skipif(
        np.lib.NumpyVersion(np.__version__) < "2.0.0", reason="NumPy 1.x cannot solve it")),
    ((2, 3, 3), (1, 3, 4)),
    ((2, 2, 2), (2, 2))])  # b: two vectors on NumPy 1.x, one matrix on NumPy 2
def test_solve(a_shape, b_shape):
    a, b = well_conditioned(*a_shape), rand(*b_shape, seed=1)
    check_rule(np.linalg.solve, a, b)
    check_float32(np.linalg.solve, a.astype(np.float32), b.astype(np.float32))
    if len(a_shape) == 2 and len(b_shape) <= 2:  # autograd reads batches of b as NumPy 1.x
        check_autograd(np.linalg.solve, anp.linalg.solve, a, b)


@pytest.mark.parametrize("f", [np.matmul, np.dot, np.inner, np.outer, np.tensordot])
def test_products_keep_float32(f):
    a, b = rand(3, 3).astype(np.float32), rand(3, 3, seed=1).astype(np.float32)
    check_float32(f, a, b)
    check_float32(f, a[0], b, **({"axes": 1} if f is np.tensordot else {}))


# -- forward mode ----------------------------------------------------------------------------

def registered_in(module):
    """The primitives whose rules ``module`` registers (its ``defvjp`` calls, read from its
    source; a call in a ``for`` loop registers each item of the loop)."""
    tree = ast.parse(inspect.getsource(module))
    namespace = vars(module)
    loops = {}  # a module-level loop's variable: the values it takes
    for node in tree.body:
        if isinstance(node, ast.For):
            items = eval(compile(ast.Expression(node.iter), "<loop>", "eval"), namespace)
            targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
            for k, target in enumerate(targets):
                loops[target.id] = [item[k] if len(targets) > 1 else item for item in items]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "defvjp":
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id in loops:
                yield from loops[first.id]
            else:
                try:
                    yield eval(compile(ast.Expression(first), "<rule>", "eval"), namespace)
                except AttributeError:  # a function this NumPy lacks (np.linalg.svdvals)
                    continue


@pytest.mark.parametrize("family", ["linalg", "reductions", "scipy_linalg"])
def test_every_rule_has_tangents(family):
    if family.startswith("scipy"):
        pytest.importorskip("scipy.linalg")
    module = importlib.import_module(f"srcgrad.rules.{family}")
    primitives = list(registered_in(module))
    assert primitives
    for primitive in primitives:
        rule = lookup(primitive)
        missing = [p for p in rule.adjoints if not rule.has_tangent(p)]
        assert not missing, f"{rule.name}: no tangent for {missing}"


F32_CASES = [
    (np.matmul, (rand(2, 3, 4), rand(4, 2, seed=1)), {}),
    (np.dot, (rand(3, 4), rand(4, seed=1)), {}),
    (np.vdot, (rand(3, 4), rand(3, 4, seed=1)), {}),
    (np.inner, (rand(3, 4), rand(2, 4, seed=1)), {}),
    (np.outer, (rand(3), rand(2, 2, seed=1)), {}),
    (np.tensordot, (rand(2, 3, 4), rand(4, 3, seed=1)), {"axes": ((1, 2), (1, 0))}),
    (np.einsum, ("ij,jk->ik", rand(2, 3), rand(3, 4, seed=1)), {}),
    (np.trace, (rand(3, 4),), {"offset": 1}),
    (np.linalg.norm, (rand(3, 4),), {"ord": "nuc"}),
    (np.linalg.norm, (rand(2, 3, 4),), {"axis": -1, "keepdims": True}),
    (np.linalg.norm, (rand(5),), {"ord": np.inf}),
    (np.linalg.inv, (well_conditioned(2, 3, 3),), {}),
    (np.linalg.det, (well_conditioned(2, 3, 3),), {}),
    (np.linalg.slogdet, (well_conditioned(3, 3),), {}),
    (np.linalg.solve, (well_conditioned(2, 3, 3), rand(2, 3, 2, seed=1)), {}),
    (np.linalg.solve, (well_conditioned(3, 3), rand(3, seed=1)), {}),
    (np.cross, (rand(2, 3), rand(3, seed=1)), {}),
]


@pytest.mark.parametrize("f, args, kwargs", F32_CASES)
def test_tangents_keep_float32(f, args, kwargs):
    as32 = [a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args]
    check_tangent_float32(f, *as32, **kwargs)


def test_einsum_sublist_form_tangents():
    a, b, c = rand(2, 3), rand(3, 4, seed=1), rand(4, seed=2)
    check_tangents(np.einsum, a, [0, 1], b, [1, 2], [0, 2])
    check_tangents(np.einsum, a, [0, 1], b, [1, 2], c, [2])
    check_tangents(np.einsum, rand(2, 3, 4), [Ellipsis, 0], c, [0], [Ellipsis])


@pytest.mark.parametrize("x, kwargs", [
    (np.array([3.0, -3.0, 1.0]), {"ord": np.inf}),
    (np.array([[1.0, -2.0], [2.0, 1.0]]), {"ord": 1}),
    (np.array([[1.0, -2.0], [2.0, 1.0]]), {"ord": -np.inf})])
def test_norm_ties_share_the_tangent_as_the_gradient(x, kwargs):
    # At a tie no derivative exists; tangent and adjoint take the same subgradient.
    t, u = rand(*x.shape, seed=1), 1.7
    jvp = rule_jvp(np.linalg.norm, x, tangents={"x": t}, **kwargs)
    adjoint = rule_vjp(np.linalg.norm, x, g=u, **kwargs)["x"]
    np.testing.assert_allclose(u * jvp, np.sum(adjoint * t))


@pytest.mark.parametrize("a_shape, b_shape", [((3, 2, 3), (2, 3)), ((2, 1, 4), (3, 4))])
def test_broadcast_products_tangents(a_shape, b_shape):
    check_tangents(np.cross, rand(*a_shape)[..., :3], rand(*b_shape, seed=1)[..., :3])
    check_tangents(np.einsum, "...i,...i->...", rand(*a_shape), rand(*b_shape, seed=1))


# Reverse over reverse through einsum: the gradient's code calls einsum_grads (or the einsums
# written out), whose adjoints are einsums again; against differences and autograd.

def _einsum_square(y):
    return np.sum(np.einsum("ij,jk->ik", y, y) ** 2)


def _einsum_chain(y):
    return np.sum(np.sin(np.einsum("ij,jk,k->i", y, np.tanh(y), y[0])))


def _einsum_diagonal(y):
    return np.sum(np.einsum("ii,ij->j", y, y) ** 2) + np.einsum("...i,...i->...", y, y)[1] ** 2


@pytest.mark.parametrize("f", [_einsum_square, _einsum_chain, _einsum_diagonal],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [3, 4])
def test_grad_of_a_function_calling_an_einsum_gradient(f, n):
    from autograd import grad as autograd_grad

    from srcgrad import grad, vjp
    from srcgrad.check import numerical_grad
    gradient = grad(f)

    def outer(x):
        return np.sum(gradient(x) ** 2)

    x, v = 0.5 * rand(n, n), rand(n, n, seed=1)
    got = grad(outer)(x)
    np.testing.assert_allclose(got, numerical_grad(outer, [x], 0), rtol=1e-6,
                               atol=1e-6 * np.max(np.abs(got)))
    second = vjp(gradient)(x, seed=v)  # the Hessian times v
    np.testing.assert_allclose(second, numerical_grad(lambda y: np.sum(gradient(y) * v), [x], 0),
                               rtol=1e-6, atol=1e-6 * np.max(np.abs(second)))
    if f is _einsum_square:
        def auto(y):
            return anp.sum(anp.einsum("ij,jk->ik", y, y) ** 2)
        expected = autograd_grad(lambda y: anp.sum(autograd_grad(auto)(y) * v))(x)
        np.testing.assert_allclose(second, expected, rtol=1e-9, atol=1e-9)
