"""The backward walk never drops a gradient silently: a differentiated value passed to a
parameter that no template differentiates is refused at its line, unless the rule declares the
parameter's gradient zero by nature (``no_gradient``)."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import NonDifferentiableError, RuleError
from srcgrad.rules.registry import defvjp

X = np.array([0.1, 0.5, 0.9])


def scaled_by(x, scale):
    return x * scale


defvjp(scaled_by, "x, scale", x="g * scale")  # no template for scale


def through_a_rule_without_template(x, s):
    return np.sum(scaled_by(x, s * 2.0))


def replacement_value(x, v):
    return np.sum(np.nan_to_num(np.log(x - 0.5), nan=v))


@pytest.mark.parametrize("fn, param", [(through_a_rule_without_template, "'scale'"),
                                       (replacement_value, "'nan'")])
def test_a_gradient_no_template_carries_is_refused_at_its_line(fn, param):
    with pytest.raises(NonDifferentiableError, match=param) as info:
        srcgrad.grad(fn, wrt=1)(X, 0.3)
    assert info.value.lineno is not None and "test_reverse_walk.py" in str(info.value)


def test_the_same_call_with_a_constant_there_is_differentiated():
    dx = srcgrad.grad(through_a_rule_without_template, wrt=0)(X, 0.3)
    np.testing.assert_allclose(dx, np.full(3, 0.6))


def condition_from_values(x):
    return np.sum(np.where(x - 0.5, x * x, 0.0))


def test_a_parameter_whose_gradient_is_zero_by_nature_is_not_refused():
    np.testing.assert_allclose(srcgrad.grad(condition_from_values)(X), [0.2, 0.0, 1.8])


def test_no_gradient_names_only_parameters_without_templates():
    with pytest.raises(RuleError, match="no_gradient"):
        defvjp(scaled_by, "x, scale", x="g * scale", no_gradient=("x",))
    with pytest.raises(RuleError, match="no_gradient"):
        defvjp(scaled_by, "x, scale", x="g * scale", no_gradient=("shape",))
