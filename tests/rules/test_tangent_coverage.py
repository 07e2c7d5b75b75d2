"""Every built-in differentiable rule has a forward-mode (tangent) rule for each parameter with
an adjoint: written, linear, or derived from an elementwise adjoint."""

import pytest

from srcgrad.rules import registry

from .harness import is_built_in

def _missing():
    """(rule name, parameter) of every built-in rule's parameter without a tangent."""
    return sorted({(rule.name, param) for rule in registry.all_rules()
                   if rule.differentiable and (is_built_in(rule)
                                               or rule.name.startswith("scipy."))
                   for param in rule.adjoints if not rule.has_tangent(param)})


def test_every_rule_has_tangents():
    missing = [f"{name} ({param})" for name, param in _missing()]
    assert not missing, "no tangent rule for: " + ", ".join(missing)


@pytest.mark.parametrize("key", ["getitem", "+", "-", "*", "/", "**", "%", "unary -",
                                 "unary +", "attr T", "attr mT", "attr real", "list +"])
def test_syntax_keys_have_tangents(key):
    rule = registry.lookup(key)
    assert all(rule.has_tangent(param) for param in rule.adjoints), key
