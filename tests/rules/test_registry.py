"""Rule registration checks templates at once: a misspelled name is a RuleError at defvjp."""

import numpy as np
import pytest

from srcgrad.errors import RuleError
from srcgrad.rules import registry
from srcgrad.rules.registry import defvjp


def primitive(x, axis=None):
    return np.sum(x, axis=axis)


@pytest.mark.parametrize("template", [
    "g * xx",                        # not a parameter
    "unbroadcst(g, x)",              # not a runtime helper
    "np.cosine(x) * g",              # NumPy has no such function
    "g * np.linalg.inverse(x)",
    "g * (ans + answer)",
])
def test_unknown_names_in_templates_are_refused_at_registration(template):
    with pytest.raises(RuleError, match="template"):
        defvjp(primitive, "x, axis=None", x=template)


def test_template_that_is_not_an_expression_is_refused():
    with pytest.raises(RuleError, match="not a Python expression"):
        defvjp(primitive, "x, axis=None", x="g *")


def test_template_function_parameters_are_checked():
    def bad(axes):  # the parameter is called axis
        return "unreduce(g, x, axis)"

    with pytest.raises(RuleError, match="'axes'"):
        defvjp(primitive, "x, axis=None", x=bad)


def test_shape_functions_take_the_rules_parameters():
    with pytest.raises(RuleError, match="'axis'"):
        defvjp(primitive, "x, axis=None", shape_of=lambda x, axes=None: x, x="g")
    with pytest.raises(RuleError, match="'shape'"):
        defvjp(primitive, "x, axis=None", shape_of=lambda x, axis, shape: x, x="g")
    defvjp(primitive, "x, axis=None", shape_of=lambda x, axis=None: x, x="g")
    defvjp(primitive, "x, axis=None", shape_of=lambda *args, **kwargs: args[0], x="g")


def test_template_function_text_is_checked_when_used():
    rule = defvjp(primitive, "x, axis=None", x=lambda axis: "unreduce(g, x, axsi)")
    with pytest.raises(RuleError, match="'axsi'"):
        rule.template_for("x", {"axis": 0})


def test_good_templates_register():
    def good(axis, shape_x, list_x, basic_index):
        return "unreduce(g, x, axis)"

    defvjp(primitive, "x, axis=None",
           x="unreduce(g, x, axis) + 0.0 * np.linalg.norm(x) + abs(ans) * 0.0"
             " + sum(v for v in [0.0]) + (lambda t: t)(0.0)")
    defvjp(primitive, "x, axis=None", x=good)
    defvjp(primitive, "x, axis=None", x="g", accumulate={"x": "acc[...] += g"})


def test_every_registered_rule_is_valid():
    # The built-in rules pass the same checks (they ran at import); their accumulate
    # templates too.
    for rule in registry.all_rules():
        for param, template in rule.adjoints.items():
            registry._validate(rule.name, param, template, set(rule.signature.parameters),
                               accumulate=False)


def scaled(x, mode):
    return x * 2.0 if mode == "float" else np.floor(x)


defvjp(scaled, "x, mode", x=lambda mode: "2.0 * g" if mode == "float" else registry.NO_GRADIENT)


def uses_scaled(x):
    return np.sum(scaled(x, "float") * x) + np.sum(scaled(x, "floor") * x)


def test_a_template_may_say_no_gradient_for_its_static_arguments():
    from srcgrad.check import check_grads
    x = np.array([0.3, 1.7, -2.2])
    check_grads(uses_scaled, x)
    assert registry.lookup(scaled).cut({"mode": "floor"})
    assert not registry.lookup(scaled).cut({"mode": "float"})
