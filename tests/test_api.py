"""The public API: grad, value_and_grad and vjp; wrt; shapes and dtypes of gradients."""

import inspect

import numpy as np
import pytest
from autograd import make_vjp
from corpus import api, calls, clashes, straight
from corpus.support import assert_grads_close, normal, numeric_grads, positions, with_autograd_numpy

import srcgrad
from srcgrad.errors import NonScalarOutputError


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def weighted_args(rng):
    return normal(rng, 4), normal(rng, 4), normal(rng, 4)


def _expected(fn, args, wrt):
    return numeric_grads(fn, args, wrt)


# -- the three ways to call grad --------------------------------------------------------------

def test_bare_decorator_differentiates_first_parameter(weighted_args):
    @srcgrad.grad
    def f(x, w, b):
        return np.sum(np.tanh(x * w + b)) * 2.0

    assert_grads_close([f(*weighted_args)], _expected(api.weighted, weighted_args, 0))


def test_decorator_with_wrt(weighted_args):
    @srcgrad.grad(wrt=("w", "b"))
    def f(x, w, b):
        return np.sum(np.tanh(x * w + b)) * 2.0

    assert_grads_close(list(f(*weighted_args)), _expected(api.weighted, weighted_args, (1, 2)))


def test_function_call_form(weighted_args):
    got = srcgrad.grad(api.weighted, wrt=1)(*weighted_args)
    assert_grads_close([got], _expected(api.weighted, weighted_args, 1))


# -- wrt ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrt, positions_", [
    (0, (0,)), ("x", (0,)), (2, (2,)), ("b", (2,)), (-2, (2,)),
    (("x",), (0,)),
    (("b", 0), (2, 0)), ((2, "w", "x"), (2, 1, 0)), (["w", "b"], (1, 2)),
])
def test_wrt_forms_select_parameters_in_order(weighted_args, wrt, positions_):
    got = srcgrad.grad(api.weighted, wrt=wrt)(*weighted_args)
    single = not isinstance(wrt, (tuple, list))
    if single:
        assert isinstance(got, np.ndarray)
        got = (got,)
    else:
        assert isinstance(got, tuple) and len(got) == len(positions_)
    assert_grads_close(list(got), _expected(api.weighted, weighted_args, positions_))


def test_single_element_tuple_gives_a_tuple(weighted_args):
    got = srcgrad.grad(api.weighted, wrt=("x",))(*weighted_args)
    assert isinstance(got, tuple) and len(got) == 1


def test_default_wrt_is_first_parameter(weighted_args):
    by_default = srcgrad.grad(api.weighted)(*weighted_args)
    by_name = srcgrad.grad(api.weighted, wrt="x")(*weighted_args)
    np.testing.assert_allclose(by_default, _expected(api.weighted, weighted_args, 0)[0],
                               rtol=1e-6)
    np.testing.assert_array_equal(by_default, by_name)


def test_parameter_with_default_and_keyword_call(weighted_args):
    x, w, b = weighted_args
    g = srcgrad.grad(api.weighted, wrt="w")
    with_default = g(x, w, b)
    with_keywords = g(b=b, w=w, x=x, scale=3.0)
    np.testing.assert_allclose(with_keywords, 1.5 * with_default, rtol=1e-12)


def test_keyword_only_parameter(rng):
    x = normal(rng, 3)
    got = srcgrad.grad(api.keyword_only)(x, power=4)
    np.testing.assert_allclose(got, 4 * x ** 3, rtol=1e-12)


# -- the gradients' types, shapes and dtypes ---------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((4,), (4,), (4,)), ((2, 3), (3,), (2, 1)), ((), (), ())])
def test_gradient_has_shape_and_dtype_of_argument(dtype, shapes, rng):
    args = tuple(np.asarray(rng.standard_normal(s), dtype=dtype) for s in shapes)
    grads = srcgrad.grad(api.weighted, wrt=(0, 1, 2))(*args)
    reference = numeric_grads(api.weighted, [a.astype(np.float64) for a in args], (0, 1, 2))
    for arg, got, expected in zip(args, grads, reference):
        assert type(got) is np.ndarray
        assert got.shape == arg.shape and got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=1e-3 if dtype == np.float32 else 1e-6,
                                   atol=1e-5)


def test_python_floats_get_floats():
    da, db = srcgrad.grad(api.scalar_of_floats, wrt=(0, 1))(1.5, -0.5)
    assert type(da) is float and type(db) is float
    assert da == pytest.approx(2 * 1.5 * -0.5)
    assert db == pytest.approx(1.5 ** 2 + np.exp(-0.5))


def test_numpy_scalar_keeps_its_type():
    da = srcgrad.grad(api.scalar_of_floats)(np.float32(1.5), np.float32(-0.5))
    assert type(da) is np.float32
    assert float(da) == pytest.approx(-1.5, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unused_parameter_gets_zeros_of_its_dtype(dtype):
    x, y = np.ones(3, dtype=dtype), np.ones((2, 2), dtype=dtype)
    dx, dy = srcgrad.grad(straight.dead_code, wrt=(0, 1))(x, y)
    assert dy.shape == (2, 2) and dy.dtype == dtype and not dy.any()
    np.testing.assert_array_equal(dx, np.full(3, 2.0, dtype=dtype))


def test_gradient_of_broadcast_read_is_writeable(rng):
    dx = srcgrad.grad(straight.dead_code)(normal(rng, 3), normal(rng, 3))
    dx[0] = 1.0  # a view from np.broadcast_to would be read-only


def test_gradient_does_not_alias_argument(rng):
    x = normal(rng, 3)
    dx = srcgrad.grad(straight.unary_minus)(x)  # d/dx sum(x*x) = 2x, a new array
    assert not np.shares_memory(dx, x)


# -- scalar outputs only -----------------------------------------------------------------------

def test_non_scalar_output_raises_naming_vjp(rng):
    g = srcgrad.grad(api.elementwise_output)
    with pytest.raises(NonScalarOutputError, match="vjp") as info:
        g(normal(rng, 2, 3), normal(rng, 3, 4))
    assert isinstance(info.value, srcgrad.SrcgradError)


def test_one_element_array_output_is_accepted(rng):
    x, w = normal(rng, 1, 3), normal(rng, 3, 1)
    dw = srcgrad.grad(api.elementwise_output, wrt=1)(x, w)
    assert_grads_close([dw], numeric_grads(lambda x, w: api.elementwise_output(x, w).item(),
                                           [x, w], 1))


# -- wrappers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("entry", [srcgrad.grad, srcgrad.value_and_grad, srcgrad.vjp])
def test_returned_functions_wrap_the_original_and_show_their_source(entry):
    fn = entry(api.three_params, wrt=(0, 2))
    assert fn.__wrapped__ is api.three_params
    assert isinstance(fn.source, str)
    tree = compile(fn.source, "<source>", "exec", flags=0x400)  # ast.PyCF_ONLY_AST
    assert [type(node).__name__ for node in tree.body] == ["FunctionDef"]
    assert tree.body[0].name == fn.__name__


@pytest.mark.parametrize("entry", [srcgrad.grad, srcgrad.value_and_grad, srcgrad.vjp])
def test_source_is_the_code_that_runs(entry, rng):
    fn = entry(api.three_params, wrt=(0, 2))
    assert inspect.getsource(fn.generated) == fn.source


def test_value_and_grad(rng):
    args = (normal(rng, 3), normal(rng, 3), normal(rng, 3))
    value, (da, dc) = srcgrad.value_and_grad(api.three_params, wrt=("a", "c"))(*args)
    assert value == pytest.approx(api.three_params(*args), rel=1e-12)
    assert_grads_close([da, dc], numeric_grads(api.three_params, args, (0, 2)))


def test_value_and_grad_single(rng):
    args = (normal(rng, 3), normal(rng, 3), normal(rng, 3))
    value, db = srcgrad.value_and_grad(api.three_params, wrt=1)(*args)
    assert value == pytest.approx(api.three_params(*args), rel=1e-12)
    assert_grads_close([db], numeric_grads(api.three_params, args, 1))


@pytest.mark.parametrize("fn, shapes, wrt", [
    (api.elementwise_output, [(2, 3), (3, 4)], (0, 1)),
    (api.matrix_output, [(3, 2)], 0),
    (straight.cubic, [(5,)], 0),
    (api.three_params, [(3,), (3,), (3,)], (2, 1)),
])
def test_vjp_matches_autograd(fn, shapes, wrt, rng):
    args = [normal(rng, *s) for s in shapes]
    seed = rng.standard_normal(np.shape(fn(*args)))
    got = srcgrad.vjp(fn, wrt=wrt)(*args, seed=seed)
    got = list(got) if isinstance(wrt, tuple) else [got]
    traced = with_autograd_numpy(fn)
    expected = []
    for p in positions(fn, wrt):
        def partial(x, p=p):
            return traced(*args[:p], x, *args[p + 1:])
        expected.append(make_vjp(partial)(args[p])[0](seed))
    assert_grads_close(got, expected, rtol=1e-10, atol=1e-12)


def test_vjp_is_linear_in_seed(rng):
    args = (normal(rng, 2, 3), normal(rng, 3, 4))
    f = srcgrad.vjp(api.elementwise_output, wrt=1)
    s1, s2 = rng.standard_normal((2, 2, 4))
    np.testing.assert_allclose(f(*args, seed=2 * s1 - s2),
                               2 * f(*args, seed=s1) - f(*args, seed=s2), rtol=1e-10)


def test_vjp_requires_seed(rng):
    with pytest.raises(TypeError, match="seed"):
        srcgrad.vjp(api.matrix_output)(normal(rng, 3, 2))


@pytest.mark.parametrize("shape", [(4,), (2, 3)])
def test_vjp_rejects_a_seed_of_the_wrong_shape(shape, rng):
    with pytest.raises(srcgrad.SrcgradError, match="seed"):
        srcgrad.vjp(straight.cubic)(normal(rng, 3), seed=np.ones(shape))


def test_value_and_grad_needs_a_scalar_output_too(rng):
    with pytest.raises(NonScalarOutputError, match="vjp"):
        srcgrad.value_and_grad(api.elementwise_output)(normal(rng, 2, 3), normal(rng, 3, 4))


def test_vjp_rejects_parameter_named_seed():
    def f(x, seed):
        return x * seed

    with pytest.raises(srcgrad.SrcgradError, match="seed"):
        srcgrad.vjp(f)


def test_vjp_with_a_local_named_seed(rng):
    x = normal(rng, 3)
    np.testing.assert_allclose(srcgrad.vjp(clashes.local_named_seed)(x, seed=np.ones(3)), 6 * x)


def test_decorated_function_is_refused_not_unwrapped():
    """srcgrad cannot see what a decorator does, so it does not differentiate around it."""
    with pytest.raises(srcgrad.SrcgradError, match="decorator"):
        srcgrad.grad(calls.doubled_total)


def test_lambda_in_a_file(rng):
    square_sum = lambda v: np.sum(v ** 2)
    x = normal(rng, 3)
    np.testing.assert_allclose(srcgrad.grad(square_sum)(x), 2 * x, rtol=1e-12)


def test_closure_variable_is_a_constant(rng):
    scale = 3.0

    def f(x):
        return np.sum(scale * x ** 2)

    x = normal(rng, 3)
    np.testing.assert_allclose(srcgrad.grad(f)(x), 6 * x, rtol=1e-12)


# -- defaults are bound by value, as Python binds them ------------------------------------------

SCALE = 3.0


def scaled_by_global_default(x, p=SCALE):
    return np.sum(x * p)


scaled_by_lambda_default = [lambda x, k=k: np.sum(x * k) for k in (1.0, 2.0)]


def _scaled_by_enclosing_default(num):
    def fun(x, num=num):
        return np.sum(x * num)
    return fun


def inner_default_read_where_defined(x):
    k = 2.0
    g = lambda y, k=k: y * k  # noqa: E731 - the default is k's value here, 2.0
    k = 3.0

    def h(y, m=k * 2.0):  # 6.0
        return y * m

    k = 5.0
    return np.sum(g(x) + h(x))


@pytest.mark.parametrize("fn, factor", [
    (scaled_by_global_default, 3.0), (scaled_by_lambda_default[0], 1.0),
    (scaled_by_lambda_default[1], 2.0), (_scaled_by_enclosing_default(5.0), 5.0),
    (_scaled_by_enclosing_default(7.0), 7.0), (inner_default_read_where_defined, 8.0)])
def test_defaults_are_the_values_the_function_holds(fn, factor):
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(srcgrad.grad(fn)(x), [factor, factor])


def test_generated_function_has_the_defaults_of_the_function():
    g = srcgrad.grad(_scaled_by_enclosing_default(np.float64(4.0)))
    np.testing.assert_allclose(g.generated(np.ones(2)), [4.0, 4.0])
    assert srcgrad.grad(scaled_by_global_default).generated.__defaults__ == (3.0,)
