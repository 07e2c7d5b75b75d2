"""Containers: list, tuple and dict parameters (gradients of the same structure), lists built
with append/extend, container literals, tuple loop targets. Checked per leaf against central
differences."""

import numpy as np
import pytest
from corpus import containers
from corpus.support import assert_tree_grad_close, numeric_tree_grad

import srcgrad


def _u(rng, *shape):
    return rng.uniform(-0.9, 0.9, size=shape)


def _layers(rng):
    return [(_u(rng, 3, 4), _u(rng, 4)), (_u(rng, 4, 2), _u(rng, 2))]


CASES = [
    (containers.mlp_layers, lambda r: (_layers(r), _u(r, 5, 3)), 0),
    (containers.params_dict,
     lambda r: ({"w": _u(r, 3, 2), "b": _u(r, 2), "scale": _u(r, 2)}, _u(r, 4, 3)), 0),
    (containers.nested_params,
     lambda r: ({"encoder": [_u(r, 3, 4), _u(r, 4)], "head": _u(r, 4, 2)}, _u(r, 2, 3)), 0),
    (containers.tuple_param, lambda r: ((_u(r, 3), _u(r, 3)), _u(r, 3)), 0),
    (containers.list_of_floats, lambda r: ([0.5, -1.5, 2.0], _u(r, 3)), 0),
    (containers.append_then_stack, lambda r: (_u(r, 3), _u(r, 3)), 0),
    (containers.append_then_stack, lambda r: (_u(r, 3), _u(r, 3)), 1),
    (containers.append_then_last, lambda r: (_u(r, 3), _u(r, 3)), 0),
    (containers.append_then_last, lambda r: (_u(r, 3), _u(r, 3)), 1),
    (containers.extend_list, lambda r: (_u(r, 3),), 0),
    (containers.concatenated_with_plus, lambda r: ([_u(r, 3)], _u(r, 3)), 0),
    (containers.concatenated_with_plus, lambda r: ([_u(r, 3)], _u(r, 3)), 1),
    (containers.plus_of_number_lists, lambda r: ([0.7], 0.4), 0),
    (containers.plus_of_number_lists, lambda r: ([0.7], 0.4), 1),
    (containers.append_before_and_in_loop, lambda r: (_u(r, 3),), 0),
    (containers.dict_literal, lambda r: (_u(r, 3), _u(r, 3)), 0),
    (containers.dict_literal, lambda r: (_u(r, 3), _u(r, 3)), 1),
    (containers.list_literal_indexed, lambda r: (_u(r, 3), _u(r, 3)), 0),
    (containers.list_literal_indexed, lambda r: (_u(r, 3), _u(r, 3)), 1),
    (containers.zip_layers, lambda r: ([_u(r, 3, 4), _u(r, 4, 2)], [_u(r, 4), _u(r, 2)],
                                       _u(r, 5, 3)), 0),
    (containers.zip_layers, lambda r: ([_u(r, 3, 4), _u(r, 4, 2)], [_u(r, 4), _u(r, 2)],
                                       _u(r, 5, 3)), 1),
    (containers.enumerate_layers, lambda r: (_layers(r), _u(r, 5, 3)), 0),
    (containers.dict_items_written_out, lambda r: (_u(r, 3),), 0),
    (containers.nested_tuples_written_out, lambda r: (_u(r, 3),), 0),
    (containers.builtin_containers, lambda r: (_u(r, 3),), 0),
    (containers.loop_over_a_grown_list, lambda r: (_u(r, 3), _u(r, 3)), 0),
    (containers.loop_over_a_grown_list, lambda r: (_u(r, 3), _u(r, 3)), 1),
    (containers.stack_of_values_popped, lambda r: (_u(r, 3), _u(r, 3)), 0),
    (containers.stack_of_values_popped, lambda r: (_u(r, 3), _u(r, 3)), 1),
    (containers.index_by_tuple_of_a_list, lambda r: (_u(r, 2, 3), 2), 0),
    (containers.zip_over_a_dict_in_a_helper, lambda r: (_u(r, 3),), 0),
    (containers.repeated_list_stacked, lambda r: (_u(r, 3),), 0),
    (containers.repeated_items_times_a_count, lambda r: (_u(r, 3), 2), 0),
    (containers.list_of_zeros_rebuilt_by_slices, lambda r: (_u(r, 4),), 0),
    (containers.dict_chosen_in_a_branch, lambda r: (_u(r, 3) + 1.0,), 0),
    (containers.displays_subscripted, lambda r: (_u(r, 3), 1), 0),
    (containers.arrays_times_lists, lambda r: (_u(r, 3),), 0),
    (containers.list_extended_by_an_array, lambda r: (_u(r, 3),), 0),
    (containers.numpy_of_lists, lambda r: (_u(r, 3),), 0),
]
IDS = [f"{fn.__name__}-{wrt}" for fn, _, wrt in CASES]


@pytest.mark.parametrize("fn, make, wrt", CASES, ids=IDS)
def test_gradient_per_leaf_matches_central_differences(fn, make, wrt):
    args = make(np.random.default_rng(0))
    got = srcgrad.grad(fn, wrt=wrt)(*args)
    assert_tree_grad_close(got, args[wrt], numeric_tree_grad(fn, args, wrt))


def test_several_structured_arguments_at_once():
    rng = np.random.default_rng(1)
    args = ([_u(rng, 3, 4), _u(rng, 4, 2)], [_u(rng, 4), _u(rng, 2)], _u(rng, 5, 3))
    dws, dbs, dx = srcgrad.grad(containers.zip_layers, wrt=(0, 1, 2))(*args)
    assert_tree_grad_close(dws, args[0], numeric_tree_grad(containers.zip_layers, args, 0))
    assert_tree_grad_close(dbs, args[1], numeric_tree_grad(containers.zip_layers, args, 1))
    assert dx.shape == (5, 3)


def test_dict_gradient_keeps_key_order():
    rng = np.random.default_rng(2)
    params = {"scale": _u(rng, 2), "w": _u(rng, 3, 2), "b": _u(rng, 2)}
    grads = srcgrad.grad(containers.params_dict)(params, _u(rng, 4, 3))
    assert list(grads) == ["scale", "w", "b"]


def test_float32_leaves_stay_float32():
    rng = np.random.default_rng(3)
    layers = [(w.astype(np.float32), b.astype(np.float32)) for w, b in _layers(rng)]
    grads = srcgrad.grad(containers.mlp_layers)(layers, _u(rng, 5, 3).astype(np.float32))
    assert all(g.dtype == np.float32 for pair in grads for g in pair)


def test_list_of_ints_is_refused():
    with pytest.raises(srcgrad.SrcgradError, match="float"):
        srcgrad.grad(containers.list_of_floats)([1, 2, 3], np.ones(3))


@pytest.mark.parametrize("fn", [containers.dict_comprehension,
                                containers.dict_comprehension_repeated_keys])
def test_dict_comprehensions(fn):
    srcgrad.check_grads(fn, np.array([0.3, -0.2, 0.7]))


def test_dict_comprehension_over_a_dict_parameter():
    rng = np.random.default_rng(4)
    params, x = {"a": _u(rng, 3), "b": _u(rng, 3)}, _u(rng, 3)
    grads = srcgrad.grad(containers.dict_comprehension_over_a_dict)(params, x)
    expected = numeric_tree_grad(containers.dict_comprehension_over_a_dict, (params, x), 0)
    assert_tree_grad_close(grads, params, expected)


def test_a_list_of_functions_that_grows_is_not_unrolled_over_its_first_items():
    def f(x):
        acts = [np.tanh]
        acts.append(np.sin)
        for act in acts:
            x = act(x)
        return np.sum(x)

    with pytest.raises(srcgrad.SrcgradError, match="line"):
        srcgrad.grad(f)(np.ones(3))


ARRAY_CASES = [(fn, make, wrt) for fn, make, wrt in CASES
               if isinstance(make(np.random.default_rng(0))[wrt], np.ndarray)]


@pytest.mark.parametrize("fn, make, wrt", ARRAY_CASES,
                         ids=[f"{fn.__name__}-{wrt}" for fn, _, wrt in ARRAY_CASES])
def test_forward_mode_and_hessians_match_differences(fn, make, wrt):
    args = make(np.random.default_rng(0))
    x = args[wrt]
    v = np.random.default_rng(1).standard_normal(x.shape)

    def at(point, f=fn):
        return f(*args[:wrt], point, *args[wrt + 1:])

    eps = 1e-6
    _, tangent = srcgrad.jvp(fn, wrt=wrt)(*args, tangent=v)
    np.testing.assert_allclose(tangent, (at(x + eps * v) - at(x - eps * v)) / (2 * eps),
                               rtol=1e-5, atol=1e-6)
    try:
        product = srcgrad.hvp(fn, wrt=wrt)(*args, vector=v)
    except srcgrad.SrcgradError as exc:  # a refusal names the line, never a wrong answer
        assert exc.lineno is not None
        return
    gradient = srcgrad.grad(fn, wrt=wrt)
    expected = (at(x + eps * v, gradient) - at(x - eps * v, gradient)) / (2 * eps)
    np.testing.assert_allclose(product, expected, rtol=1e-4, atol=1e-5)
    hessian = srcgrad.hessian(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(np.tensordot(hessian, v, v.ndim), product, rtol=1e-9, atol=1e-10)


def _repeated_by_an_index(x):
    k = np.argmax(x)  # a NumPy integer: [x] * k repeats the list
    return np.sum(np.stack([x] * (k + 1)))


def test_a_list_times_what_may_be_a_numpy_integer_is_refused_at_its_line():
    with pytest.raises(srcgrad.SrcgradError, match="count") as caught:
        srcgrad.grad(_repeated_by_an_index)(np.array([0.3, -0.7, 1.1]))
    assert caught.value.lineno == _repeated_by_an_index.__code__.co_firstlineno + 2


def _stacked_copies(x, k):
    return np.sum(np.stack([x] * k) * np.arange(1.0, 3.0))


def test_a_list_times_a_numpy_integer_argument_is_repeated():
    # an np.int64 argument is a number (a count): [x] * k repeats the list, as Python does
    x = np.array([0.3, -0.7])
    for k in (3, np.int64(3), np.int32(2)):
        np.testing.assert_allclose(srcgrad.grad(_stacked_copies)(x, k),
                                   float(k) * np.arange(1.0, 3.0))
