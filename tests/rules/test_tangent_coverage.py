"""Every built-in differentiable rule has a forward-mode (tangent) rule for each parameter with
an adjoint: written, linear, or derived from an elementwise adjoint."""

import functools

import pytest

from srcgrad.rules import registry

from .harness import is_built_in

#: Rule families another change gives their tangents (linalg.py, reductions.py,
#: scipy_linalg.py): listed by name while they have none, not failed.
PENDING_FAMILIES = ("linalg", "reductions", "scipy_linalg")


@functools.cache
def _pending_names():
    """The names of the rules the pending families register: their modules run again with a
    ``defvjp`` that records them (registering the same rules again)."""
    import importlib

    names = set()
    original = registry.defvjp

    def recording(*args, **kwargs):
        rule = original(*args, **kwargs)
        names.add(rule.name)
        return rule

    registry.defvjp = recording
    try:
        for family in PENDING_FAMILIES:
            module = f"srcgrad.rules.{family}"
            try:
                importlib.reload(importlib.import_module(module))
            except ImportError:  # (SciPy not installed)
                continue
    finally:
        registry.defvjp = original
    return names


def _missing():
    """(rule name, parameter) of every built-in rule's parameter without a tangent."""
    return sorted({(rule.name, param) for rule in registry.all_rules()
                   if rule.differentiable and (is_built_in(rule)
                                               or rule.name.startswith("scipy."))
                   for param in rule.adjoints if not rule.has_tangent(param)})


def test_every_rule_outside_the_pending_families_has_tangents():
    pending = _pending_names()
    missing = [f"{name} ({param})" for name, param in _missing() if name not in pending]
    assert not missing, "no tangent rule for: " + ", ".join(missing)


def test_rules_of_the_pending_families_without_tangents_are_listed():
    pending = _pending_names()
    left = sorted({f"{name} ({param})" for name, param in _missing() if name in pending})
    if left:
        pytest.skip(f"{len(left)} parameters of linalg/reductions rules have no tangent yet: "
                    + ", ".join(left))


@pytest.mark.parametrize("key", ["getitem", "+", "-", "*", "/", "**", "%", "unary -",
                                 "unary +", "attr T", "attr mT", "attr real", "list +"])
def test_syntax_keys_have_tangents(key):
    rule = registry.lookup(key)
    assert all(rule.has_tangent(param) for param in rule.adjoints), key
