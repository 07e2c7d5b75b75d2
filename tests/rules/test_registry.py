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
