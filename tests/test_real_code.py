"""Objectives written in other people's style (tests/corpus/real_code.py): each gradient
matches central differences per leaf of its argument, and autograd's where autograd runs
the same code."""

import numpy as np
import pytest
from corpus import real_code as rc
from corpus.support import assert_tree_grad_close, leaves, numeric_tree_grad

import srcgrad
from srcgrad.errors import NonDifferentiableError, SrcgradError


def _with_autograd_numpy(fn):
    """``fn`` from a copy of its module in which ``np`` is ``autograd.numpy`` (helpers too)."""
    import inspect
    import types

    source = inspect.getsource(rc).replace("import numpy as np", "import autograd.numpy as np")
    module = types.ModuleType("real_code_on_autograd")
    exec(compile(source, rc.__file__, "exec"), module.__dict__)  # noqa: S102
    name = next(name for name, value in vars(rc).items() if value is fn)
    return getattr(module, name)


def _u(rng, *shape):
    return rng.uniform(-0.9, 0.9, size=shape)


def _onehot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


def _gmm_args(rng, k=3, d=2, n=4):
    return (_u(rng, k), _u(rng, k, d), _u(rng, k, d + d * (d - 1) // 2), _u(rng, n, d))


def _ba_args(rng):
    cams = np.concatenate([_u(rng, 2, 3), _u(rng, 2, 3) + np.array([0.0, 0.0, -4.0]),
                           1.0 + 0.1 * _u(rng, 2, 1), _u(rng, 2, 2), 0.1 * _u(rng, 2, 2)], 1)
    return cams, _u(rng, 3, 3), _u(rng, 4), np.array([[0, 0], [0, 1], [1, 2], [1, 0]]), \
        _u(rng, 4, 2)


def _hand_args(rng):
    return _u(rng, 12), _u(rng, 3, 3), [-1, 0, 1], _u(rng, 3, 3)


# (function, argument maker, wrt, whether autograd runs the same code)
CASES = [
    (rc.logistic_training_loss,
     lambda r: (_u(r, 3), _u(r, 5, 3), (r.uniform(size=5) > 0.5) * 1.0), 0, True),
    (rc.nn_log_posterior,
     lambda r: ([(_u(r, 3, 4), _u(r, 4)), (_u(r, 4, 2), _u(r, 2))], _u(r, 5, 3),
                _onehot(r, 5, 2)), 0, True),
    (rc.rnn_log_likelihood,
     lambda r: ({'init hiddens': _u(r, 1, 3), 'change': _u(r, 2 + 3 + 1, 3),
                 'predict': _u(r, 3 + 1, 2)}, _u(r, 4, 2, 2),
                np.stack([_onehot(r, 2, 2) for _ in range(4)])), 0, True),
    (rc.gp_negative_log_marginal_likelihood,
     lambda r: (_u(r, 4), _u(r, 5, 2), _u(r, 5)), 0, True),
    (rc.mixture_log_likelihood, lambda r: (_u(r, 3 + 2 * 3 * 2), _u(r, 6, 2)), 0, True),
    (rc.bbvi_objective, lambda r: (_u(r, 4), 3), 0, True),
    (rc.mean_field_elbo,
     lambda r: ({'mean': _u(r, 2), 'log_std': _u(r, 2)}, _u(r, 3, 2), _u(r, 4, 2)), 0, True),
    (rc.advanced_copy_of_a_size, lambda r: (_u(r, 5),), 0, True),
    (rc.gmm_objective, _gmm_args, 0, True),
    (rc.gmm_objective, _gmm_args, 1, True),
    (rc.gmm_objective, _gmm_args, 2, True),
    (rc.ba_objective, _ba_args, 0, False),
    (rc.ba_objective, _ba_args, 1, False),
    (rc.ba_objective, _ba_args, 2, False),
    (rc.hand_objective, _hand_args, 0, True),
    (rc.hand_objective, _hand_args, 1, True),
    (rc.tangent_while, lambda r: (0.7,), 0, True),
    (rc.tangent_nested_if, lambda r: (1.3,), 0, True),
    (rc.tangent_nested_if, lambda r: (0.4,), 0, True),
    (rc.tangent_nested_if, lambda r: (-0.4,), 0, True),
    (rc.tangent_list_append, lambda r: (0.7,), 0, True),
    (rc.tangent_nested_function, lambda r: (-0.6,), 0, True),
    (rc.tangent_tuple_return, lambda r: (0.3,), 0, True),
    (rc.tangent_builtins_of_numbers, lambda r: (0.3, -0.8), 0, True),
    (rc.tangent_builtins_of_numbers, lambda r: (0.3, -0.8), 1, True),
    (rc.tangent_builtins_of_numbers, lambda r: (0.2, 0.4), 1, True),
    (rc.tangent_sum_with_start, lambda r: (_u(r, 3),), 0, True),
    (rc.tangent_math, lambda r: (0.6,), 0, False),
    (rc.tangent_float_of_array, lambda r: (_u(r, 3),), 0, False),
    (rc.tangent_dot_and_subscripts, lambda r: (_u(r, 3), _u(r, 3)), 0, True),
    (rc.tangent_dot_and_subscripts, lambda r: (_u(r, 3), _u(r, 3)), 1, True),
    (rc.dict_param_items, lambda r: ({'a': _u(r, 3), 'b': _u(r, 3)}, _u(r, 3)), 0, True),
    (rc.dict_param_items, lambda r: ({'a': _u(r, 3), 'b': _u(r, 3)}, _u(r, 3)), 1, True),
    (rc.dict_param_values_and_get,
     lambda r: ({'scale': 0.7, 'w': _u(r, 3)}, _u(r, 3)), 0, True),
    (rc.dict_param_values_and_get,
     lambda r: ({'scale': 0.7, 'w': _u(r, 3)}, _u(r, 3)), 1, True),
    (rc.dict_param_keys, lambda r: ({'a': _u(r, 3), 'b': _u(r, 2)}, 0.5), 0, True),
    (rc.dict_param_keys, lambda r: ({'a': _u(r, 3), 'b': _u(r, 2)}, 0.5), 1, True),
    (rc.zip_star_pairs, lambda r: (_u(r, 3),), 0, True),
    (rc.plotting_helper_not_run, lambda r: (_u(r, 3),), 0, True),
    (rc.layers_of_a_model_argument, lambda r: (_u(r, 5, 3),), 0, False),
    (rc.fractional_power_of_a_number, lambda r: (2.5,), 0, True),
    (rc.anp_mixed, lambda r: (_u(r, 3),), 0, True),
]
IDS = [f"{fn.__name__}-{wrt}" for fn, _, wrt, _ in CASES]


@pytest.mark.parametrize("fn, make, wrt, _", CASES, ids=IDS)
def test_gradient_matches_central_differences(fn, make, wrt, _):
    args = make(np.random.default_rng(0))
    got = srcgrad.grad(fn, wrt=wrt)(*args)
    assert_tree_grad_close(got, args[wrt], numeric_tree_grad(fn, args, wrt), rtol=1e-5,
                           atol=1e-6)


@pytest.mark.parametrize("fn, make, wrt, autograd_runs",
                         [case for case in CASES if case[3]],
                         ids=[i for i, case in zip(IDS, CASES) if case[3]])
def test_gradient_matches_autograd(fn, make, wrt, autograd_runs):
    import autograd

    args = make(np.random.default_rng(0))
    got = srcgrad.grad(fn, wrt=wrt)(*args)
    expected = autograd.grad(_with_autograd_numpy(fn), wrt)(*args)
    for (path, g), (_, e) in zip(leaves(got), leaves(expected)):
        np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-9, err_msg=str(path))


def test_a_negative_python_number_to_a_fractional_power_is_refused():
    # Python makes (-0.5) ** 0.5 complex: never a nan or a real number as its gradient
    with pytest.raises(NonDifferentiableError, match="complex"):
        srcgrad.grad(rc.fractional_power_of_a_number)(1.5)


def test_a_dict_comprehension_of_a_parameters_items():
    grads = srcgrad.grad(rc.scaled_copy_of_params)({'a': np.ones(2), 'b': np.ones(3)})
    np.testing.assert_allclose(grads['a'], [2.0, 2.0])
    assert 'b' not in grads or grads['b'] is None or not np.any(grads['b'])


def test_what_is_still_refused_names_the_line():
    with pytest.raises(SrcgradError) as info:
        srcgrad.grad(rc.dict_written_key_by_key)({'a': np.ones(2)})
    lines = open(rc.__file__).read().splitlines()
    assert info.value.filename == rc.__file__
    assert lines[info.value.lineno - 1].endswith("# <- here")


# -- objects passed as arguments, dict loops, names like the builtins -----------------------

from corpus import objects, shadowing  # noqa: E402


def _model(n=2, activation=np.tanh):
    return objects.Sequential([objects.Dense(activation) for _ in range(n)])


def _params(rng, sizes=(3, 4, 2)):
    return [_u(rng, a, b) for a, b in zip(sizes, sizes[1:])]


ARGUMENT_CASES = [
    (objects.layers_zipped_with_params, lambda r: (_params(r), _u(r, 5, 3), _model()), 0),
    (objects.layers_zipped_with_params, lambda r: (_params(r), _u(r, 5, 3), _model()), 1),
    (objects.layers_enumerated, lambda r: (_params(r), _u(r, 5, 3), _model(2, np.sin)), 0),
    (objects.activation_argument, lambda r: (_u(r, 4), np.cos), 0),
    (objects.over_dict_keys, lambda r: ({'a': _u(r, 3), 'b': _u(r, 3)}, _u(r, 3)), 0),
    (objects.over_dict_keys, lambda r: ({'a': _u(r, 3), 'b': _u(r, 3)}, _u(r, 3)), 1),
    (objects.comprehension_over_dict, lambda r: ({'a': _u(r, 3), 'b': _u(r, 2)}, 0.5), 0),
    (shadowing.items_loop, lambda r: ({'a': _u(r, 3), 'b': _u(r, 2)},), 0),
    (shadowing.loop_and_own_globals, lambda r: (_u(r, 3),), 0),
    (shadowing.transposed_pairs, lambda r: (_u(r, 3),), 0),
    (shadowing.parameters_named_like_builtins, lambda r: (_u(r, 3),), 0),
]


@pytest.mark.parametrize("fn, make, wrt", ARGUMENT_CASES,
                         ids=[f"{fn.__name__}-{wrt}" for fn, _, wrt in ARGUMENT_CASES])
def test_objects_dicts_and_shadowed_builtins_match_central_differences(fn, make, wrt):
    args = make(np.random.default_rng(1))
    got = srcgrad.grad(fn, wrt=wrt)(*args)
    assert_tree_grad_close(got, args[wrt], numeric_tree_grad(fn, args, wrt), rtol=1e-5,
                           atol=1e-6)


def test_each_model_passed_gets_its_own_code_and_appended_layers_make_it_anew():
    rng = np.random.default_rng(2)
    loss = srcgrad.grad(objects.layers_enumerated)
    x, params = _u(rng, 5, 3), _params(rng, (3, 4, 4, 2))
    for model in (_model(2), _model(2, np.sin), _model(3)):
        got = loss(params, x, model)
        args = (params, x, model)
        assert_tree_grad_close(got, params, numeric_tree_grad(
            objects.layers_enumerated, args, 0), rtol=1e-5, atol=1e-6)
    model = _model(2)
    short = loss(params, x, model)
    assert short[2] is None or not np.any(short[2])  # the third W is not used by two layers
    model.layers.append(objects.Dense(np.sin))  # the same object, one more layer
    model.layers[0].activation = np.cos  # and another activation
    got = loss(params, x, model)
    assert_tree_grad_close(got, params, numeric_tree_grad(
        objects.layers_enumerated, (params, x, model), 0), rtol=1e-5, atol=1e-6)
    assert "np.cos" in loss.source and "np.sin" in loss.source


def test_appended_layers_of_a_default_model_make_the_code_anew():
    rng = np.random.default_rng(3)
    model = rc.Sequential([rc.Dense(3, 4, 0)])

    def through_default(x, model=model):
        for layer in model.layers:
            x = layer.forward(x)
        return np.sum(x ** 2)

    gradient = srcgrad.grad(through_default)
    x = _u(rng, 2, 3)
    gradient(x)
    model.layers.append(rc.Dense(4, 2, 1))
    assert_tree_grad_close(gradient(x), x, numeric_tree_grad(through_default, (x,), 0),
                           rtol=1e-5, atol=1e-6)


def test_a_function_using_a_parameter_as_an_object_refuses_at_the_call_naming_the_line():
    gradient = srcgrad.grad(objects.activation_argument)  # nothing known yet: no error now
    with pytest.raises(SrcgradError) as info:
        gradient(np.ones(2), np.ones(2))  # an array, not a function
    assert info.value.filename == objects.__file__
    line = open(objects.__file__).read().splitlines()[info.value.lineno - 1]
    assert "act(x)" in line


def test_errors_not_about_objects_still_come_when_grad_is_applied():
    from corpus import unsupported

    with pytest.raises(SrcgradError):
        srcgrad.grad(unsupported.try_block)
