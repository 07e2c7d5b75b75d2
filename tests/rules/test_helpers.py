"""Rules of the runtime helpers generated code calls (srcgrad/rules/helpers.py): adjoints
against central differences and tangents against both, on several shapes and broadcasts; and
which helpers generated code can call that have no rule yet."""

import importlib.util
import inspect
import pathlib
import re

import gast
import numpy as np
import pytest

from srcgrad import runtime
from srcgrad.errors import SrcgradError
from srcgrad.rules import lookup
from srcgrad.rules.registry import _instantiate, all_rules

from .harness import check_rule, rule_jvp, rule_vjp

rng = np.random.default_rng(0)


def r(*shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("grad, x", [(r(2, 3), r(3)), (r(2, 3), r(1, 3)), (r(4), 1.5),
                                     (r(2, 3), r(2, 3)), (r(4, 2, 3), r(2, 1))])
def test_unbroadcast(grad, x):
    check_rule(runtime.unbroadcast, grad, x, wrt=["grad"])


@pytest.mark.parametrize("grad, shape", [(r(2, 3), (3,)), (r(2, 3), (2, 1)), (r(3), ())])
def test_unbroadcast_to(grad, shape):
    check_rule(runtime.unbroadcast_to, grad, shape)


@pytest.mark.parametrize("grad, shape", [(1.5, (2, 3)), (r(3), (2, 3)), (r(2, 1), (2, 4))])
def test_spread(grad, shape):
    check_rule(runtime.spread, grad, shape, wrt=["grad"])


@pytest.mark.parametrize("grad, x, axis, keepdims", [
    (r(3), r(2, 3), 0, False), (r(2, 1), r(2, 3), 1, True), (1.5, r(2, 3), None, False),
    (r(1, 1), r(2, 3), None, True), (r(3), r(2, 3, 4), (0, 2), False),
    (r(2), r(2, 3), -1, False)])
def test_unreduce(grad, x, axis, keepdims):
    check_rule(runtime.unreduce, grad, x, axis, keepdims, wrt=["grad"])


@pytest.mark.parametrize("grad, a, axis", [(r(2, 3), r(2, 3), 1), (r(6), r(2, 3), None),
                                           (r(4), r(4), 0)])
def test_cumsum_grad(grad, a, axis):
    check_rule(runtime.cumsum_grad, grad, a, axis, wrt=["grad"])


@pytest.mark.parametrize("axis, keepdims", [(1, False), (0, True), (None, False)])
def test_extremum_grad_shares_ties(axis, keepdims):
    a = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    value = np.max(a, axis=axis, keepdims=keepdims)
    grad = r(*np.shape(value)) if np.ndim(value) else 1.5
    check_rule(runtime.extremum_grad, grad, a, value, axis, keepdims, wrt=["grad"])


@pytest.mark.parametrize("items", [r(4), r(5), np.array([1.0, 3.0, 3.0, -1.0])])
def test_choice_grad_and_tangent(items):
    # Python's max over an array's first axis (ties: the first); items are read for the choice
    value = max(items)
    check_rule(runtime.choice_grad, r(*np.shape(value)), items, value, wrt=["grad"])
    check_rule(runtime.choice_tangent, r(*np.shape(items)), items, value, wrt=["tangent"])


@pytest.mark.parametrize("grad, a, kwargs", [
    (r(3), r(4, 3), {"axis": 0}), (0.8, r(5), {}),
    (r(4, 1), r(4, 3), {"axis": 1, "keepdims": True}), (r(3), r(4, 3), {"axis": 0, "ddof": 1}),
    (r(4), r(4, 3), {"axis": 1, "where": np.array([True, False, True])})])
def test_var_grad_bilinear(grad, a, kwargs):
    check_rule(runtime.var_grad, grad, a, wrt=["grad", "a"], **kwargs)


PRODUCTS = [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3, 4)),
            ((1, 2, 3), (4, 3, 2)), ((3,), (3,)), ((3,), (2, 3, 4))]


@pytest.mark.parametrize("x_shape, y_shape", PRODUCTS)
def test_matmul_grads(x_shape, y_shape):
    x, y = r(*x_shape), r(*y_shape)
    out = np.matmul(x, y)
    grad = r(*out.shape) if out.ndim else 0.9
    check_rule(runtime.matmul_lhs_grad, grad, x, y, wrt=["grad", "y"])
    check_rule(runtime.matmul_rhs_grad, grad, x, y, wrt=["grad", "x"])


@pytest.mark.parametrize("a_shape, b_shape", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)),
                                              ((3,), (3, 4)), ((2, 3, 4), (4, 5)), ((), (3,))])
def test_dot_grads(a_shape, b_shape):
    a, b = r(*a_shape), r(*b_shape)
    out = np.dot(a, b)
    grad = r(*out.shape) if np.ndim(out) else 0.9
    if not a_shape:
        a = 1.3
    check_rule(runtime.dot_lhs_grad, grad, a, b, wrt=["grad", "b"])
    check_rule(runtime.dot_rhs_grad, grad, a, b, wrt=["grad"] + (["a"] if a_shape else []))


@pytest.mark.parametrize("a_shape, b_shape", [((2, 3), (4, 3)), ((3,), (3,)), ((2, 5, 3), (3,))])
def test_inner_grads(a_shape, b_shape):
    a, b = r(*a_shape), r(*b_shape)
    out = np.inner(a, b)
    grad = r(*out.shape) if np.ndim(out) else 0.9
    check_rule(runtime.inner_lhs_grad, grad, a, b, wrt=["grad", "b"])
    check_rule(runtime.inner_rhs_grad, grad, a, b, wrt=["grad", "a"])


@pytest.mark.parametrize("a_shape, b_shape, axes", [((2, 3, 4), (3, 4, 5), 2),
                                                    ((3, 2), (4, 3), ([0], [1])),
                                                    ((2, 3), (4, 5), 0)])
def test_tensordot_grads(a_shape, b_shape, axes):
    a, b = r(*a_shape), r(*b_shape)
    grad = r(*np.tensordot(a, b, axes).shape)
    check_rule(runtime.tensordot_lhs_grad, grad, a, b, axes, wrt=["grad", "b"])
    check_rule(runtime.tensordot_rhs_grad, grad, a, b, axes, wrt=["grad", "a"])


@pytest.mark.parametrize("order", ["C", "F"])
def test_unreshape(order):
    check_rule(runtime.unreshape, r(6), r(2, 3), order)
    check_rule(runtime.unreshape, r(2, 6), r(3, 4), order)


def test_unreshape_order_of_the_memory_is_refused():
    with pytest.raises(SrcgradError, match="order='K'"):
        rule_vjp(runtime.unreshape, r(6), r(2, 3), "K", g=r(2, 3))


@pytest.mark.parametrize("grad, axes", [(r(3, 4, 2), (2, 0, 1)), (r(3, 4), None),
                                        (r(2, 3, 4), (-1, 0, 1))])
def test_untranspose(grad, axes):
    check_rule(runtime.untranspose, grad, axes)


@pytest.mark.parametrize("grad, v, k", [(r(3, 3), r(3), 0), (r(4, 4), r(3), 1),
                                        (r(3), r(3, 4), 0), (r(2), r(3, 4), -1)])
def test_undiag(grad, v, k):
    check_rule(runtime.undiag, grad, v, k, wrt=["grad"])


@pytest.mark.parametrize("a_shape, offset, axis1, axis2", [((3, 4), 0, 0, 1), ((3, 4), 1, 0, 1),
                                                           ((2, 3, 3), -1, 1, 2)])
def test_undiagonal(a_shape, offset, axis1, axis2):
    a = r(*a_shape)
    grad = r(*np.diagonal(a, offset, axis1, axis2).shape)
    check_rule(runtime.undiagonal, grad, a, offset, axis1, axis2, wrt=["grad"])


@pytest.mark.parametrize("a_shape, reps", [((2, 3), (2, 1)), ((3,), 2), ((3,), (2, 2))])
def test_untile(a_shape, reps):
    a = r(*a_shape)
    check_rule(runtime.untile, r(*np.tile(a, reps).shape), a, reps, wrt=["grad"])


@pytest.mark.parametrize("repeats, axis", [(2, 0), (2, None), ([1, 0, 2], 1)])
def test_unrepeat(repeats, axis):
    a = r(2, 3)
    grad = r(*np.repeat(a, repeats, axis).shape)
    check_rule(runtime.unrepeat, grad, a, np.asarray(repeats), axis, wrt=["grad"])


@pytest.mark.parametrize("indices, axis, mode", [([0, 2, 2], 1, "raise"), ([5, 0], None, "raise"),
                                                 ([4, -1], 0, "wrap"), ([7], 1, "clip")])
def test_untake(indices, axis, mode):
    a = r(3, 3)
    grad = r(*np.take(a, indices, axis, mode=mode).shape)
    check_rule(runtime.untake, grad, a, np.asarray(indices), axis, mode, wrt=["grad"])


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_unsort(axis):
    a = np.array([[3.0, 1.0, 2.0], [0.5, 0.5, -1.0]])
    grad = r(*np.sort(a, axis=axis).shape)
    check_rule(runtime.unsort, grad, a, axis, wrt=["grad"])


@pytest.mark.parametrize("shape, axis", [((3, 2), 0), ((2, 3, 4), 1), ((2, 3), -1)])
def test_unstack(shape, axis):
    check_rule(runtime.unstack, r(*shape), axis)


def test_unstack_zero_pieces():
    grad = r(3, 2)
    g = [None, r(2), None]
    (d,) = rule_vjp(runtime.unstack, grad, 0, g=g).values()
    np.testing.assert_array_equal(d, [np.zeros(2), g[1], np.zeros(2)])


@pytest.mark.parametrize("shapes, axis", [([(2, 3), (1, 3)], 0), ([(2, 1), (2, 4)], 1),
                                          ([(2, 2), (3,)], None)])
def test_unconcatenate(shapes, axis):
    arrays = [r(*s) for s in shapes]
    grad = r(*np.concatenate(arrays if axis is not None else [np.ravel(a) for a in arrays],
                             axis if axis is not None else 0).shape)
    check_rule(runtime.unconcatenate, grad, arrays, axis, wrt=["grad"])
    g = [None, r(*np.shape(runtime.unconcatenate(grad, arrays, axis)[1]))]
    (d,) = rule_vjp(runtime.unconcatenate, grad, arrays, axis, g=g).values()
    assert d.shape == grad.shape and not d[tuple(slice(0, 1) for _ in d.shape)].any()


@pytest.mark.parametrize("grad, x, index", [
    (r(2), r(4), np.array([1, 1])), (r(3), r(2, 3), 0), (1.5, r(2, 3), (1, 2)),
    (r(3), r(4, 3), slice(1, 3)), (r(2, 3), r(4, 3), np.array([0, 2]))])
def test_unindex_arrays(grad, x, index):
    check_rule(runtime.unindex, grad, x, index, wrt=["grad"])


def test_unindex_of_a_list_and_a_dict():
    g = [None, r(3)]
    assert rule_vjp(runtime.unindex, r(3), [r(3), r(3)], 1, g=g)["grad"] is g[1]
    assert rule_vjp(runtime.unindex, r(3), [r(3), r(3)], 0, g=g)["grad"] is None
    assert rule_vjp(runtime.unindex, r(3), {"a": 1.0}, "a", g={})["grad"] is None


@pytest.mark.parametrize("grad, shape, index", [(r(3), (2, 3), 1), (0.5, (2, 3), (0, 1)),
                                                (r(2, 3), (4, 3), slice(0, 2))])
def test_unindex_to(grad, shape, index):
    check_rule(runtime.unindex_to, grad, shape, index, wrt=["grad"])


def test_unindex_list():
    g = [None, r(2), None]
    assert rule_vjp(runtime.unindex_list, r(2), 3, 1, g=g)["grad"] is g[1]
    assert rule_vjp(runtime.unindex_list, r(2), 3, 0, g=g)["grad"] is None


@pytest.mark.parametrize("dx, index, grad", [
    (r(4), np.array([1, 1, 3]), r(3)), (r(2, 3), 1, r(3)), (r(2, 3), (slice(None), 0), 0.5),
    (r(4, 2), np.array([0, 0]), r(1))])
def test_add_at(dx, index, grad):
    # add_at writes into dx: the harness calls it on copies
    def add_at(dx, index, grad):
        return runtime.add_at(np.array(dx), index, grad)
    check_rule(runtime.add_at, dx, index, grad, fn=add_at)


def test_item_grad():
    grad = [r(2), None, r(3)]
    g = r(3)
    d = rule_vjp(runtime.item_grad, grad, 2, g=g)["grad"]
    assert d[:2] == [None, None] and d[2] is g
    t = rule_jvp(runtime.item_grad, grad, 2, tangents={"grad": [None, None, g]})
    assert t is g


@pytest.mark.parametrize("a, b", [(r(2, 3), r(2, 3)), (r(2, 3), r(3)), (1.5, r(2))])
def test_add_grads_arrays(a, b):
    check_rule(runtime.add_grads, a, b, wrt=["a", "b"])


def test_add_grads_none_lists_dicts():
    g = [r(2), r(3)]
    grads = rule_vjp(runtime.add_grads, [r(2), None], [None, r(1)], g=g)
    assert grads["a"][0] is g[0] and grads["a"][1] is None
    assert grads["b"][0] is None and grads["b"][1].shape == (1,)
    np.testing.assert_allclose(grads["b"][1], [np.sum(g[1])])
    assert runtime.add_grads_grad(r(2), None) is None
    g = {"x": r(2), "y": r(2)}
    grads = rule_vjp(runtime.add_grads, {"x": r(2)}, {"y": r(2)}, g=g)
    assert grads["a"] == {"x": g["x"]} and grads["b"] == {"y": g["y"]}


@pytest.mark.parametrize("dx, x", [(r(2, 3), r(2, 3)), (r(3), r(2, 3)), (r(3), 2.0),
                                   (r(2, 3).astype(np.float32), r(2, 3))])
def test_as_grad_arrays(dx, x):
    check_rule(runtime.as_grad, dx, x, wrt=["dx"], rtol=1e-4)


def test_as_grad_containers():
    x = [r(2), 1.0, r(3)]
    dx = [r(2), r(4), None]
    g = [r(2), 0.5, r(3)]
    d = rule_vjp(runtime.as_grad, dx, x, g=g)["dx"]
    assert d[0].shape == (2,) and d[2] is None
    np.testing.assert_allclose(d[1], np.full(4, 0.5))
    d = rule_vjp(runtime.as_grad, {"w": r(2)}, {"w": r(2), "b": 1.0}, g={"w": r(2), "b": 0.0})
    assert set(d["dx"]) == {"w"}


def test_cotangent_and_seeds():
    check_rule(runtime.cotangent, r(2, 3), r(2, 3), wrt=["seed"])
    for helper in (runtime.unit_seed, runtime.aux_seed, runtime.tie_share, runtime.within):
        assert not lookup(helper).differentiable


@pytest.mark.parametrize("grad, x", [(r(3), r(3)), (r(2, 3), r(2, 3))])
def test_casts(grad, x):
    check_rule(runtime.cast_back, grad, x, wrt=["grad"])
    assert rule_vjp(runtime.cast_back, grad.astype(np.float32), x, g=x.astype(np.float32))[
        "grad"].dtype == np.float32
    check_rule(runtime.cast_grad, grad, x, np.float64, wrt=["grad"])
    check_rule(runtime.dtype_grad, grad, None, wrt=["grad"])
    check_rule(runtime.real_grad, grad, x, wrt=["grad"])
    assert not np.any(rule_vjp(runtime.cast_grad, grad, x, int, g=r(*x.shape))["grad"])


@pytest.mark.parametrize("x, p", [(np.abs(r(3)) + 0.5, 2.5), (np.abs(r(2, 3)) + 0.5, r(3)),
                                  (1.7, 3.0)])
def test_real_power(x, p):
    check_rule(runtime.real_power, x, p)


def test_log_base_and_matrix_transpose():
    check_rule(runtime.log_base, np.abs(r(2, 3)) + 0.5)
    check_rule(runtime.matrix_transpose, r(4, 2, 3))


@pytest.mark.parametrize("like, x, axis, keepdims", [
    (r(3), r(2, 3), 0, False), (r(2, 1), r(2, 3), 1, True), (1.5, r(2, 3), None, False)])
def test_unreduce_grad(like, x, axis, keepdims):
    check_rule(runtime.unreduce_grad, r(2, 3), like, x, axis, keepdims, wrt=["grad"])


# ---------------------------------------------------------------------------------------------
# Coverage: the helpers generated code can call, and which of them have no rule yet.
# ---------------------------------------------------------------------------------------------

SRC = pathlib.Path(runtime.__file__).parent
HELPERS = {name for name, value in vars(runtime).items()  # (private ones are not called)
           if inspect.isfunction(value) and value.__module__ == runtime.__name__
           and not name.startswith("_")}

#: Helpers generated code calls that have no rule: where a differentiated value reaches one,
#: its source is differentiated like the user's helpers (it is NumPy code), or refused at the
#: helper's line where that code uses what srcgrad cannot differentiate (recursion, a dynamic
#: call). Adjoint helpers (for grad of a gradient, hvp), tangent helpers (for differentiating
#: forward-mode code) and pop_slot (an effect, with its own rule in effects.py).
WITHOUT_RULES = {
    "abs_grad", "abs_tangent", "angle_grad", "angle_tangent", "arange_grads",
    "as_tangent", "average_grads", "average_weights_tangent", "cho_factor_grad",
    "cho_factor_tangent", "cho_solve_grads", "cho_solve_tangent",
    "cholesky_grad", "cholesky_tangent", "clip_max_grad", "clip_max_tangent", "clip_min_grad",
    "clip_min_tangent", "concat_index_tangent", "convolve_grads", "correlate_grads",
    "cross_grads", "cumprod_grad", "cumprod_tangent", "cumulative_grad",
    "cumulative_prod_tangent", "det_grad", "dict_of_pairs_grad", "dict_of_pairs_tangent",
    "diff_tangent", "dirichlet_logpdf_grads", "dirichlet_logpdf_tangent",
    "eig_grad", "eig_tangent", "eigh_grad", "eigh_tangent", "eigvals_grad", "eigvalsh_grad",
    "eigvalsh_tangent", "einsum_grads_grad_adjoint", "einsum_grads_operands_adjoint",
    "einsum_grads_tangent", "einsum_operand_grads", "einsum_tangent", "expm_grad",
    "expm_tangent", "extremum_where_grads", "fft_grad", "gradient_grads",
    "gradient_spacing_grads", "gradient_spacing_tangent", "imag_grad", "interp_grads",
    "interp_tangent", "irfft_grad", "kron_grads", "linspace_grads", "logsumexp_grads",
    "logsumexp_tangent", "lstsq_grads", "lstsq_tangents", "matrix_power_grad",
    "matrix_power_tangent", "mean_where_grad", "meshgrid_grads", "multi_dot_grads",
    "multi_dot_tangent", "multigammaln_grad", "mvn_logpdf_grads", "mvn_logpdf_tangent",
    "nan_quantile_grads", "nan_quantile_tangent", "norm_grad", "pad_grads", "permute_tangent",
    "picked_quantile_grad", "picked_quantile_tangent", "pinv_grad", "pinv_tangent",
    "polyval_grads", "pop_slot", "prod_grad", "qr_grad", "qr_tangent", "quantile_grads", "real_for",
    "reconcatenate", "restack", "rfft_grad", "refuse_dynamic_special", "scipy_linalg", "select_grads",
    "slogdet_grad", "solve_lhs_grad", "solve_lhs_tangent", "solve_rhs_grad",
    "solve_triangular_grads", "solve_triangular_tangent", "sort_tangent", "sqrtm_grad",
    "sqrtm_tangent", "std_grad", "svd_grad", "svd_tangent", "tangent_like", "trapezoid_grads",
    "unappend", "uncolumn_stack", "unconcat_index", "undiff", "undstack", "unhstack", "unpermute",
    "unrollaxis", "unsplit", "untake_along_axis", "unvstack", "values_in_order",
    "with_real_part", "zero_tangent",
}


#: Helpers whose rule is registered with a library's family, where it is installed.
RULED_WITH = {"scipy_special": "scipy"}


def _called(tree) -> set[str]:
    return {node.func.id for node in gast.walk(tree) if isinstance(node, gast.Call)
            and isinstance(node.func, gast.Name) and node.func.id in HELPERS}


def _template_helpers(template) -> set[str]:
    """The helpers a template calls, for its general form (every static argument DYNAMIC)."""
    try:
        text = _instantiate(template, {})
    except SrcgradError:
        return set()
    if not isinstance(text, str):
        return set()
    try:
        return _called(gast.parse(text))
    except SyntaxError:
        return set()


def helpers_generated_code_calls() -> set[str]:
    """The runtime helpers the rules' templates (in their general form) and the passes name."""
    found: set[str] = set()
    for rule in all_rules():
        for template in [*rule.adjoints.values(), *rule.accumulate.values(),
                         *rule.tangents.values(), *filter(None, [rule.inverse])]:
            found |= _template_helpers(template)
    for path in [*SRC.joinpath("passes").rglob("*.py"), SRC / "transform.py"]:
        found |= set(re.findall(r"runtime\.(\w+)", path.read_text())) & HELPERS
    for path in SRC.joinpath("rules").glob("*.py"):  # effects' templates, template functions
        for text in re.findall(r"\"[^\"\n]*\"|'[^'\n]*'", path.read_text()):
            found |= set(re.findall(r"\b(\w+)\(", text)) & HELPERS
    shape_forms = {runtime.declare.of(getattr(runtime, h)).shape_only[1] for h in found
                   if getattr(runtime.declare.of(getattr(runtime, h)), "shape_only", None)}
    return found | shape_forms


def test_helpers_generated_code_calls_without_a_rule():
    called = helpers_generated_code_calls()
    assert {"unbroadcast", "matmul_lhs_grad", "as_grad"} <= called
    missing = {h for h in called if lookup(getattr(runtime, h)) is None}
    expected = WITHOUT_RULES | {h for h, library in RULED_WITH.items()
                                if importlib.util.find_spec(library) is None}
    assert missing == expected, (
        f"new helpers without a rule: {sorted(missing - expected)}; "
        f"now with one (remove from WITHOUT_RULES): {sorted(expected - missing)}")


def _gradient_body(w, x, g):
    # what a generated gradient computes, written with its helpers: differentiated again
    dh = runtime.unbroadcast(runtime.spread(g, (2, 4)) * np.tanh(w @ x), np.ones((2, 4)))
    dw = runtime.as_grad(runtime.matmul_lhs_grad(dh, w, x), w)
    return np.sum(dw * dw) + np.sum(runtime.unreduce(np.sum(x, axis=0), x, 0) * x)


def test_code_calling_helpers_is_differentiated():
    from srcgrad import grad
    from srcgrad.check import numerical_grad

    rng = np.random.default_rng(4)
    w, x = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    got = grad(_gradient_body, wrt=(0, 1))(w, x, 0.7)
    for i in range(2):
        expected = numerical_grad(lambda *a: _gradient_body(*a, 0.7), [w, x], i)
        np.testing.assert_allclose(got[i], expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("subscripts, shapes", [("ij,jk->ik", [(2, 3), (3, 4)]),
                                                ("i,ij,j->", [(3,), (3, 3), (3,)]),
                                                ("ii->i", [(3, 3)])])
def test_einsum_grads_tangents(subscripts, shapes):
    # (forward mode only: their tangents against central differences)
    from .harness import rule_jvp
    operands = [r(*shape) for shape in shapes]
    out = np.einsum(subscripts, *operands)
    grad = r(*out.shape) if out.ndim else 0.6
    t_grad = r(*out.shape) if out.ndim else -0.3
    t_operands = [r(*shape) for shape in shapes]
    for tangents in ({"grad": t_grad}, {"operands": t_operands}):
        got = rule_jvp(runtime.einsum_grads, grad, subscripts, operands, tangents=tangents)
        step = 1e-6
        moved = [(grad + s * t_grad if "grad" in tangents else grad,
                  [o + s * t for o, t in zip(operands, t_operands)] if "operands" in tangents
                  else operands) for s in (step, -step)]
        plus, minus = (runtime.einsum_grads(g, subscripts, ops) for g, ops in moved)
        for a, p_, m in zip(got, plus, minus):
            np.testing.assert_allclose(a, (p_ - m) / (2 * step), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("subscripts, shapes, wanted", [
    ("ij,jk->ik", [(2, 3), (3, 4)], None), ("i,ij,j->", [(3,), (3, 3), (3,)], None),
    ("ii->i", [(3, 3)], None), ("ij,jk", [(2, 3), (3, 2)], None),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], {0, 2}), ("iij,j->i", [(2, 2, 3), (3,)], None),
    ("...i,...i->...", [(2, 3), (3,)], None), ("ij,ij->i", [(1, 3), (2, 3)], None),
    ("ij,jk->ik", [(2, 3), (3, 4)], {1}), ("i,i->", [(4,), (4,)], None)])
def test_einsum_grads(subscripts, shapes, wanted):
    # adjoints (grad of a gradient) against central differences, and the tangents with them
    operands = [r(*shape) for shape in shapes]
    out = np.einsum(subscripts, *operands)
    grad = r(*out.shape) if out.ndim else 0.6
    grads = runtime.einsum_grads(grad, subscripts, operands, wanted)
    g = [None if part is None else r(*part.shape) for part in grads]
    checked = check_rule(runtime.einsum_grads, grad, subscripts, operands, g=g)
    if wanted is not None:  # the same adjoints (the harness's tangents take no None pieces)
        got = rule_vjp(runtime.einsum_grads, grad, subscripts, operands, wanted, g=g)
        np.testing.assert_allclose(got["grad"], checked["grad"], rtol=1e-12)
        for a, b in zip(got["operands"], checked["operands"]):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    else:
        g[0] = None  # a piece without an adjoint
        check_rule(runtime.einsum_grads, grad, subscripts, operands, g=g)
