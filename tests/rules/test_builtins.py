"""Python's builtins on numbers and dicts (max, min, a dict's keys and values): through the
engine, against central differences; and the runtime helpers their rules call."""

import numpy as np
import pytest
from corpus.support import assert_tree_grad_close, numeric_tree_grad

from srcgrad import grad
from srcgrad.check import numerical_grad
from srcgrad.errors import NonDifferentiableError
from srcgrad.runtime import choice_grad, dict_values_grad


def max_of_two(a, b):
    return max(a, b) * 2.0 + min(a, b, 0.25)


def max_of_a_list(xs):
    return max(xs) - min(xs) ** 2


def max_of_array_elements(x):
    return max(x) * min(x[1:]) + max(np.abs(x), key=lambda v: -v)


def max_default_differentiated(x):
    return max([], default=x)


def values_of_a_dict(params, x):
    return sum(np.sum(v * x) for v in params.values()) * len(params.keys())


@pytest.mark.parametrize("fn, args, wrt", [
    (max_of_two, (0.3, -0.8), 0), (max_of_two, (0.3, -0.8), 1), (max_of_two, (0.2, 0.6), 1),
    (max_of_a_list, ([0.3, -1.2, 0.8],), 0),
    (max_of_array_elements, (np.array([0.4, -1.3, 0.9, 0.2]),), 0),
    (values_of_a_dict, ({"a": np.array([0.5, -1.0]), "b": 0.7}, np.array([1.5, 0.2])), 0),
], ids=lambda v: getattr(v, "__name__", ""))
def test_matches_central_differences(fn, args, wrt):
    got = grad(fn, wrt=wrt)(*args)
    assert_tree_grad_close(got, args[wrt], numeric_tree_grad(fn, args, wrt))


def test_the_first_of_tied_items_gets_the_gradient_as_python_picks_it():
    assert grad(max_of_two, wrt=(0, 1))(0.5, 0.5) == (2.0, 0.0)
    assert choice_grad(1.0, [3.0, 1.0, 3.0], 3.0) == [1.0, None, None]
    np.testing.assert_array_equal(choice_grad(2.0, np.array([1.0, 3.0, 3.0]), 3.0),
                                  [0.0, 2.0, 0.0])


def test_with_a_key_the_item_it_ranks_first_gets_the_gradient():
    assert choice_grad(1.0, np.array([-2.0, 1.5]), -2.0, key=abs).tolist() == [1.0, 0.0]


def test_a_differentiated_default_is_refused_with_its_line():
    with pytest.raises(NonDifferentiableError, match="default"):
        grad(max_default_differentiated)(0.5)


def test_dict_values_gradient_skips_zero_items():
    assert dict_values_grad([None, 2.0], {"a": 1.0, "b": 3.0}) == {"b": 2.0}


def test_tangents_of_sum_float_max_and_min():
    from .harness import check_rule, rule_jvp
    check_rule(sum, np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([0.1, 0.2]))
    check_rule(sum, [0.5, -1.5], np.array([0.3, 0.1, 0.4]))  # start broadcasts the items
    check_rule(float, np.array(0.75))
    # (max/min's adjoints hold None for the items not chosen: no check_rule here)
    tangents = [0.1, 0.2, 0.3]
    assert rule_jvp(max, [0.3, -1.2, 0.8, 0.8], tangents={"iterable": tangents + [0.4]}) == 0.3
    assert rule_jvp(min, [0.3, -1.2, 0.8], tangents={"iterable": tangents}) == 0.2
    assert rule_jvp(max, np.array([0.3, 1.5]), tangents={"iterable": np.array([2.0, 3.0])}) \
        == 3.0


def test_tangents_of_dicts_and_added_at():
    from srcgrad.runtime import added_at, dict_of_pairs, dict_values

    from .harness import check_rule, rule_jvp
    t = {"a": np.array([1.0, 2.0]), "b": 0.5}
    assert rule_jvp(dict_values, {"a": np.zeros(2), "b": 3.0}, tangents={"d": t}) == \
        [t["a"], 0.5]
    pairs = [("a", 1.0), ("b", 2.0), ("a", 3.0)]
    assert rule_jvp(dict_of_pairs, pairs, tangents={"pairs": [(None, 0.1), (None, 0.2),
                                                              (None, 0.3)]}) == \
        {"a": 0.3, "b": 0.2}
    check_rule(added_at, np.array([0.5, 1.0, -2.0]), [0, 2, 0], np.array([0.3, 0.7, 0.1]))


def test_tuple_of_a_list_keeps_its_items_and_their_gradients():
    from .harness import check_rule, rule_jvp
    items = [np.array([0.5, -1.0]), np.array(2.0)]
    check_rule(tuple, items)
    t = [np.array([1.0, 0.0]), np.array(3.0)]
    made = rule_jvp(tuple, items, tangents={"iterable": t})
    assert isinstance(made, tuple) and all(a is b for a, b in zip(made, t))


def index_by_a_built_tuple(x):
    where = [1]
    where.append(0)
    return np.sum(x[tuple(where)] * x)  # x[1, 0]: a number (a list would pick rows)


def test_tuple_of_a_grown_list_indexes_as_a_tuple():
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(grad(index_by_a_built_tuple)(x),
                               numerical_grad(index_by_a_built_tuple, [x], 0), rtol=1e-6)
