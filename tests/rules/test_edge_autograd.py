"""Every rule against autograd at edge inputs: zeros, ties (max/min/abs/sort/clip), length-1 and
empty axes, negative bases.

Each case evaluates the rule's templates (tests/rules/harness.py) and autograd's VJP of the same
function at the same point with the same cotangent. Where srcgrad's documented convention differs
from autograd's on purpose, the case is listed in :data:`CONVENTIONS` with the reason and the
value srcgrad must give instead; every differentiable rule is either compared here or listed in
:data:`NOT_COMPARED` with the reason.
"""

from __future__ import annotations

import inspect
import operator
import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import make_vjp

from srcgrad.rules.registry import all_rules, lookup

from .harness import bind, check_rule, is_built_in, rule_vjp, seed_like

Z3 = np.zeros(3)
MIX = np.array([-1.5, 0.0, 2.0])          # a zero among negatives and positives
NEG = np.array([-2.0, -0.5, -3.0])
TIES = np.array([2.0, -1.0, 2.0])         # the maximum ties
LOW_TIES = np.array([-1.0, 3.0, -1.0])    # the minimum ties
ALL_TIE = np.full((2, 3), 0.5)
COL = np.array([[0.3], [-1.2]])           # a length-1 axis
ROW = np.array([[0.7, -0.4, 1.1]])
ONE = np.array([0.8])
EMPTY = np.zeros(0)
EMPTY_ROWS = np.zeros((0, 3))
SQUARE1 = np.array([[1.7]])
M23 = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5]])

UNARY = ["sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh", "exp", "expm1",
         "exp2", "negative", "positive", "square", "deg2rad", "radians", "rad2deg", "degrees",
         "cbrt", "absolute", "fabs", "sqrt", "log", "log1p", "log2", "log10", "reciprocal",
         "arcsin", "arccos", "arctanh", "arccosh"]
BINARY = ["add", "subtract", "multiply", "divide", "power", "float_power", "remainder", "fmod",
          "arctan2", "hypot", "logaddexp", "logaddexp2", "maximum", "minimum", "fmax", "fmin"]
REDUCTIONS = ["sum", "nansum", "mean", "prod", "max", "amax", "min", "amin", "var", "std"]


def _cross_of_2_vectors() -> bool:
    try:  # (deprecated in NumPy 2.0, gone in later releases)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            np.cross(np.ones(2), np.ones(2))
    except ValueError:
        return False
    return True


CROSS_OF_2_VECTORS = _cross_of_2_vectors()


def _compared(names):
    """The ufuncs and reductions of ``names`` whose rule is compared (not in NOT_COMPARED)."""
    return [name for name in names if f"np.{name}" not in NOT_COMPARED]


def _case(name, primitive, autograd_fn, *args, fn=None, **kwargs):
    return pytest.param(primitive, autograd_fn, args, kwargs, fn, id=name)


def _cases():
    cases = []
    for name in _compared(UNARY):
        for label, x in [("zeros", Z3), ("mixed", MIX), ("negative", NEG), ("length1", ONE),
                         ("empty", EMPTY), ("col", COL)]:
            cases.append(_case(f"{name}-{label}", getattr(np, name), getattr(anp, name), x))
    for name in _compared(BINARY):
        for label, x1, x2 in [("ties", TIES, TIES.copy()), ("zeros", Z3, MIX),
                              ("zero-base", Z3, np.array([0.0, 1.0, 2.0])),
                              ("negative-base", NEG, np.array([2.0, 3.0, -1.0])),
                              ("length1-axes", COL, ROW), ("length1", ONE, MIX),
                              ("empty", EMPTY, ONE), ("empty-rows", EMPTY_ROWS, ROW)]:
            cases.append(_case(f"{name}-{label}", getattr(np, name), getattr(anp, name), x1, x2))
    for name in _compared(REDUCTIONS):
        for label, x, kwargs in [("ties", TIES, {}), ("low-ties", LOW_TIES, {}),
                                 ("all-tie", ALL_TIE, {"axis": 0}), ("zeros", Z3, {}),
                                 ("one-zero", MIX, {}), ("length1-axis", COL, {"axis": 1}),
                                 ("length1-keepdims", ROW, {"axis": 0, "keepdims": True}),
                                 ("empty-axis", EMPTY_ROWS, {"axis": 0})]:
            if label == "empty-axis" and name in ("max", "amax", "min", "amin"):
                continue  # NumPy raises: no identity
            cases.append(_case(f"{name}-{label}", getattr(np, name), getattr(anp, name), x,
                               **kwargs))
    cases += [
        _case("cumsum-length1", np.cumsum, anp.cumsum, COL, axis=1),
        _case("cumsum-empty", np.cumsum, anp.cumsum, EMPTY),
        _case("sort-ties", np.sort, anp.sort, TIES),
        _case("sort-empty", np.sort, anp.sort, EMPTY),
        _case("norm-zeros", np.linalg.norm, anp.linalg.norm, Z3),
        _case("norm-length1", np.linalg.norm, anp.linalg.norm, COL, axis=1),
        _case("norm-inf-ties", np.linalg.norm, anp.linalg.norm, TIES, ord=np.inf),
        _case("clip-at-bounds", np.clip, anp.clip, np.array([-1.0, 0.2, 1.0]), -1.0, 1.0),
        _case("clip-equal-bounds", np.clip, anp.clip, MIX, 0.0, 0.0),
        _case("where-length1", np.where, anp.where, np.array([True]), ONE, MIX),
        _case("where-empty", np.where, anp.where, np.zeros(0, bool), EMPTY, EMPTY),
        _case("reshape-empty", np.reshape, anp.reshape, EMPTY_ROWS, (3, 0)),
        _case("reshape-length1", np.reshape, anp.reshape, ONE, (1, 1, 1)),
        _case("ravel-length1", np.ravel, anp.ravel, SQUARE1),
        _case("expand_dims-empty", np.expand_dims, anp.expand_dims, EMPTY, 0),
        _case("squeeze", np.squeeze, anp.squeeze, COL),
        _case("squeeze-axis", np.squeeze, anp.squeeze, ROW, axis=0),
        _case("broadcast_to-length1", np.broadcast_to, anp.broadcast_to, ROW, (2, 3)),
        _case("transpose-empty", np.transpose, anp.transpose, EMPTY_ROWS),
        _case("swapaxes-length1", np.swapaxes, anp.swapaxes, COL, 0, 1),
        _case("moveaxis-length1", np.moveaxis, anp.moveaxis, COL, 0, -1),
        _case("fliplr-length1", np.fliplr, anp.fliplr, COL),
        _case("flipud-empty", np.flipud, anp.flipud, EMPTY_ROWS),
        _case("rot90-length1", np.rot90, anp.rot90, ROW),
        _case("roll-length1", np.roll, anp.roll, ONE, 3),
        _case("roll-empty", np.roll, anp.roll, EMPTY, 1),
        _case("triu-length1", np.triu, anp.triu, SQUARE1),
        _case("tril-empty", np.tril, anp.tril, EMPTY_ROWS),
        _case("diag-length1", np.diag, anp.diag, ONE),
        _case("diag-matrix-length1", np.diag, anp.diag, SQUARE1),
        _case("concatenate-empty-piece", np.concatenate, anp.concatenate, [EMPTY_ROWS, M23]),
        _case("concatenate-one", np.concatenate, anp.concatenate, [ONE]),
        _case("stack-one", np.stack, anp.stack, [MIX]),
        _case("hstack-empty-piece", np.hstack, anp.hstack, [EMPTY, MIX]),
        _case("vstack-length1", np.vstack, anp.vstack, [ONE, ONE]),
        _case("split-length1", np.split, anp.split, MIX, 3),
        _case("array_split-empty-pieces", np.array_split, anp.array_split, ONE, 3),
        _case("hsplit-length1", np.hsplit, anp.hsplit, ROW, 3),
        _case("vsplit-length1", np.vsplit, anp.vsplit, COL, 2),
        _case("dsplit-length1", np.dsplit, anp.dsplit, np.ones((1, 2, 2)), 2),
        _case("tile-length1", np.tile, anp.tile, ONE, (2, 3)),
        _case("tile-empty", np.tile, anp.tile, EMPTY, 3),
        _case("repeat-length1", np.repeat, anp.repeat, ONE, 3),
        _case("repeat-axis", np.repeat, anp.repeat, COL, 2, axis=1),
        _case("trace-length1", np.trace, anp.trace, SQUARE1),
        _case("trace-empty", np.trace, anp.trace, np.zeros((0, 0))),
        _case("dot-empty", np.dot, anp.dot, EMPTY, EMPTY),
        _case("dot-length1", np.dot, anp.dot, COL, ONE),
        _case("dot-zeros", np.dot, anp.dot, M23, Z3),
        _case("inner-empty", np.inner, anp.inner, EMPTY, EMPTY),
        _case("outer-empty", np.outer, anp.outer, EMPTY, MIX),
        _case("matmul-empty-inner", np.matmul, anp.matmul, np.zeros((2, 0)), np.zeros((0, 3))),
        _case("matmul-length1", np.matmul, anp.matmul, COL, ROW),
        _case("tensordot-length1", np.tensordot, anp.tensordot, COL, ROW, axes=1),
        _case("einsum-length1", np.einsum, anp.einsum, "ij,jk->ik", COL, ROW),
        _case("einsum-trace-length1", np.einsum, anp.einsum, "ii->", SQUARE1),
        _case("inv-length1", np.linalg.inv, anp.linalg.inv, SQUARE1),
        _case("det-length1", np.linalg.det, anp.linalg.det, SQUARE1),
        _case("det-negative", np.linalg.det, anp.linalg.det, np.array([[0.0, 2.0], [1.5, 0.0]])),
        _case("slogdet-negative", np.linalg.slogdet, anp.linalg.slogdet,
              np.array([[0.0, 2.0], [1.5, 0.3]])),
        _case("cross-broadcast", np.cross, anp.cross, M23 + 0.5, MIX),
        *([_case("cross-2-vectors", np.cross, anp.cross, np.array([0.3, -1.2]),
                 np.array([2.0, 0.7]))] if CROSS_OF_2_VECTORS else []),
        _case("column_stack-vector-and-matrix", np.column_stack, anp.column_stack,
              [MIX, np.ones((3, 2))]),
        _case("solve-length1", np.linalg.solve, anp.linalg.solve, SQUARE1, ONE),
        _case("getitem-repeated", "getitem", operator.getitem, MIX, [0, 0, -1],
              fn=operator.getitem),
        _case("getitem-empty", "getitem", operator.getitem, MIX, slice(3, None),
              fn=operator.getitem),
        _case("getitem-length1", "getitem", operator.getitem, COL, (slice(None), 0),
              fn=operator.getitem),
        _case("T-length1", "attr T", lambda x: x.T, COL, fn=lambda x: x.T),
        _case("T-empty", "attr T", lambda x: x.T, EMPTY_ROWS, fn=lambda x: x.T),
    ]
    return cases


def _inside(x, lo, hi, g, **_):
    return {"a": g * ((lo <= x) & (x <= hi))}


def _tied_inf_norm(x, g, **_):
    top = np.abs(x) == np.max(np.abs(x))
    return {"x": g * np.sign(x) * top / np.sum(top)}


def _zeros(x, g, **_):
    return {"a": np.zeros_like(x)}


DIFFERENCES = "central differences"

#: Cases where srcgrad's convention differs from autograd's on purpose, or autograd is wrong:
#: the reason, and what srcgrad must give instead (a function of the arguments and cotangent
#: giving the adjoints, or DIFFERENCES: central differences, where the function is smooth).
CONVENTIONS = {
    "clip-at-bounds": ("clip at a bound: the gradient goes to `a` (a_min <= a <= a_max is "
                       "inclusive, as PyTorch; rules/elementwise.py); autograd gives 0 there",
                       _inside),
    "clip-equal-bounds": ("clip with a_min == a_max: as at a bound", _inside),
    "prod-zeros": ("prod is exact with zeros (rules/reductions.py); autograd divides by x",
                   DIFFERENCES),
    "prod-one-zero": ("as prod-zeros", DIFFERENCES),
    "norm-inf-ties": ("ord=inf norm on a tie: split evenly among the tied entries, as max; "
                      "autograd gives nan", _tied_inf_norm),
    "where-length1": ("autograd does not un-broadcast np.where's adjoints over length-1 axes",
                      DIFFERENCES),
    "cross-broadcast": ("autograd does not un-broadcast np.cross's adjoints", DIFFERENCES),
    "cross-2-vectors": ("autograd's np.cross VJP fails on 2-vectors", DIFFERENCES),
    "einsum-trace-length1": ("autograd's einsum VJP cannot repeat a subscript ('ii->')",
                             DIFFERENCES),
    "std-length1-axis": ("std over an axis of length 1 is identically 0, so is its gradient "
                         "(issue 10); autograd divides 0 by 0", _zeros),
    "std-length1-keepdims": ("as std-length1-axis", _zeros),
    "std-zeros": ("std at zero spread is a kink (as |x| at 0): srcgrad takes the subgradient 0 "
                  "(rules/reductions.py); autograd divides 0 by 0", _zeros),
    "std-all-tie": ("as std-zeros", _zeros),
}

#: Cases that fail on this branch (reported in /work/findings/fuzz.md): strict, so that they
#: XPASS once the engine is fixed and the mark is removed.
KNOWN: dict[str, str] = {}

#: Differentiable rules not compared with autograd, with the reason.
NOT_COMPARED = {
    "attr mT": "autograd's ArrayBox has no .mT",
    "attr real": "complex values: compared with autograd in tests/rules/test_complex.py",
    "list +": "list concatenation: no numeric function to compare",
    "list *": "list repetition ([x] * n): checked in all modes in tests/test_containers.py",
    "dict_values_grad": "dict_values' adjoint, differentiated again (hvp): checked in "
                        "tests/test_containers.py",
    "float": "autograd cannot trace float() of a box",
    "astype": "autograd has no VJP for astype; casts are covered by the fuzzer's casts family",
    "np.astype": "as astype",
    "square": "a fusion of x * x: its parts are compared (np.multiply, np.square)",
    "sigmoid": "a fusion of 1 / (1 + exp(-x)): its parts are compared",
    "unary +": "autograd's ArrayBox has no unary +",
    "sum": "builtin sum of arrays: autograd has no VJP for it (np.add is compared)",
    "scipy_special": "srcgrad's helper calling scipy.special by name: its rule is the named "
                     "function's (second derivatives checked in tests/rules/test_scipy_special.py)",
    **{name: "Python's builtins on numbers: autograd has no VJP for them; checked against "
             "central differences in tests/rules/test_builtins.py"
       for name in ["max", "min", "dict_values", "dict_of_pairs", "tuple"]},
    **{f"np.{name}": f"autograd has no VJP for np.{name}"
       for name in ["positive", "cbrt", "float_power", "fmod", "nansum", "flip", "take", "vdot",
                    "full", "full_like", "copy", "asarray", "linspace", "logspace", "geomspace",
                    "arange"]},
    "added_at": "np.add.at written as a function (an effect's value): autograd has no np.add.at",
    **{name: "complex values: compared with autograd in tests/rules/test_complex.py and "
             "tests/rules/test_fft.py"
       for name in ["attr imag", "np.angle", "np.conjugate", "np.imag", "np.real",
                    "np.linalg.eig", "np.linalg.eigvals",
                    *(f"np.fft.{fn}{kind}" for fn in ("fft", "ifft", "rfft", "irfft")
                      for kind in ("", "2", "n"))]},
    **{name: "casts and copies: tests/rules/test_casts.py checks them against their derivative"
       for name in ["np.array", "np.asanyarray", "np.ascontiguousarray", "np.asfortranarray",
                    "np.float16", "np.float32", "np.float64", "np.longdouble",
                    "np.ndarray.flatten"]},
    **{name: "checked against central differences in tests/rules/test_edge_cases.py"
       for name in ["np.heaviside", "np.nan_to_num", "np.r_", "np.c_"]},
    **{name: "new this round, checked against central differences in tests/rules (not yet "
             "compared with autograd here)"
       for name in ["np.append", "np.atleast_1d", "np.atleast_2d", "np.atleast_3d", "np.cumprod",
                    "np.diagonal", "np.diff", "np.mgrid", "np.ogrid", "np.ptp", "pow"]},
    **{name: "NumPy coverage (issue 15): checked against central differences, and autograd "
             "where it defines the function, in tests/rules (test_decompositions.py, "
             "test_numeric.py, test_reductions.py, test_shapes.py)"
       for name in ["np.average", "np.convolve", "np.correlate", "np.diagflat", "np.dstack",
                    "np.fft.fftshift", "np.fft.ifftshift", "np.gradient", "np.interp", "np.kron",
                    "np.linalg.cholesky", "np.linalg.eigh", "np.linalg.eigvalsh",
                    "np.linalg.lstsq", "np.linalg.matrix_power", "np.linalg.multi_dot",
                    "np.linalg.pinv", "np.linalg.qr", "np.linalg.svd", "np.linalg.svdvals",
                    "np.median", "np.meshgrid", "np.nancumprod", "np.nancumsum", "np.nanmax",
                    "np.nanmean", "np.nanmin", "np.nanprod", "np.nanstd", "np.nanvar", "np.pad",
                    "np.partition", "np.percentile", "np.polyval", "np.quantile", "np.rollaxis",
                    "np.row_stack", "np.select", "np.sinc", "np.take_along_axis",
                    "np.trapezoid", "np.trapz", "np.nanmedian", "np.nanpercentile",
                    "np.nanquantile", "np.cumulative_sum", "np.cumulative_prod"]},
}


def _compared_param(rule, arguments, param):
    value = arguments[param]
    if param in rule.sequences:
        return [i for i, v in enumerate(value) if isinstance(v, np.ndarray)]
    return [None] if isinstance(value, np.ndarray) and value.dtype.kind == "f" else []


def _marked(cases):
    return [pytest.param(*case.values, id=case.id,
                         marks=pytest.mark.xfail(strict=True, reason=KNOWN[case.id]))
            if case.id in KNOWN else case for case in cases]


@pytest.mark.parametrize("primitive, autograd_fn, args, kwargs, fn", _marked(_cases()))
def test_rule_matches_autograd_at_edge_inputs(primitive, autograd_fn, args, kwargs, fn, request):
    case = request.node.callspec.id
    rule, arguments, supplied = bind(primitive, args, kwargs)
    with np.errstate(all="ignore"):
        ans = (fn or primitive)(*args, **kwargs)
        g = seed_like(ans, np.random.default_rng(3))
        got = rule_vjp(primitive, *args, g=g, fn=fn, **kwargs)
    if case in CONVENTIONS:
        reason, expected = CONVENTIONS[case]
        if expected == DIFFERENCES:
            check_rule(primitive, *args, **kwargs)
        else:
            for param, value in expected(*args, g=g, **kwargs).items():
                np.testing.assert_allclose(got[param], value, err_msg=reason)
        return
    compared = 0
    for param in rule.adjoints:
        for position in _compared_param(rule, arguments, param):
            x0 = arguments[param] if position is None else arguments[param][position]

            def f(x, param=param, position=position):
                new = dict(arguments)
                if position is None:
                    new[param] = x
                else:
                    new[param] = [x if i == position else v for i, v in enumerate(new[param])]
                call = {k: v for k, v in new.items() if k in supplied}
                bound = inspect.BoundArguments(rule.signature, call)
                return autograd_fn(*bound.args, **bound.kwargs)

            try:
                with np.errstate(all="ignore"):
                    vjp, _ = make_vjp(f)(x0)
                    expected = vjp(g)
            except NotImplementedError:  # autograd does not define this adjoint
                continue
            adjoint = got[param] if position is None else got[param][position]
            assert np.shape(adjoint) == np.shape(x0), f"{case}: adjoint of {param} has shape " \
                                                      f"{np.shape(adjoint)}, not {np.shape(x0)}"
            np.testing.assert_allclose(adjoint, expected, rtol=1e-7, atol=1e-10,
                                       err_msg=f"{case}: adjoint of {param}[{position}]")
            compared += 1
    assert compared, f"{case}: autograd defines no adjoint here; list it in NOT_COMPARED"


def _compared_rules():
    seen = set()
    for case in _cases():
        primitive = case.values[0]
        rule = lookup(primitive)
        seen.add(id(rule.adjoints))
    return seen


def test_every_rule_is_compared_or_listed():
    compared = _compared_rules()
    missing = sorted({rule.name for rule in all_rules()
                      if rule.differentiable and is_built_in(rule)
                      and not rule.name.startswith("np.random.")
                      and id(rule.adjoints) not in compared and rule.name not in NOT_COMPARED})
    assert not missing, f"rules neither compared with autograd nor listed: {missing}"
