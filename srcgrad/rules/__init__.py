"""Reverse-mode rules, one per primitive, grouped by family; importing this registers them all.

(Order: operators alias elementwise rules, and random replaces some of nondiff's rules; both
import what they need first, so alphabetical is fine.)
"""

from . import elementwise, linalg, methods, operators, random, reductions, shapes  # noqa: F401
from . import builtins  # noqa: F401,E402  (after elementwise: abs shares its rule)
from . import nondiff as _nondiff_rules  # noqa: F401  (the module; the name is the function)
from .registry import DYNAMIC, Rule, alias, defmethod, defvjp, lookup, lookup_method, nondiff

__all__ = ["DYNAMIC", "Rule", "alias", "defmethod", "defvjp", "lookup", "lookup_method",
           "nondiff"]
