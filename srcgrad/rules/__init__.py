"""Reverse-mode rules, one per primitive, grouped by family; importing this registers them all.

(Order: modules whose rules build on others' (operators and builtins alias elementwise rules,
random replaces some of nondiff's) import those first, so alphabetical is fine.)
"""

from . import (  # noqa: F401
    builtins,
    effects,
    elementwise,
    fft,
    helpers,
    linalg,
    methods,
    numeric,
    operators,
    pymath,
    random,
    reductions,
    shapes,
)
from . import nondiff as _nondiff_rules  # noqa: F401  (the module; the name is the function)
from .registry import (
    DYNAMIC,
    NO_GRADIENT,
    Rule,
    alias,
    defmethod,
    defsubscript,
    defvjp,
    lookup,
    lookup_method,
    nondiff,
)

__all__ = ["DYNAMIC", "NO_GRADIENT", "Rule", "alias", "defmethod", "defsubscript", "defvjp",
           "lookup", "lookup_method", "nondiff"]
