"""Rules for Python's built-in functions that model code applies to arrays and floats."""

import builtins

import numpy as np

from .. import runtime
from ..errors import NonDifferentiableError
from . import elementwise  # noqa: F401  (first: abs shares np.absolute's rule)
from .registry import alias, defbatch, defvjp, nondiff

# sum(xs, start): adds the items of xs (an array's rows, or a list's elements) to start.
# (its tangent is the result's shape: start may broadcast the items' sum)
defvjp(builtins.sum, "iterable, start=0", name="sum",
       iterable="unsum(g, iterable)", start="unbroadcast(g, start)",
       tangents={"iterable": "sum(t, np.zeros_like(ans))", "start": "t + np.zeros_like(ans)"})
alias(builtins.abs, np.absolute)
defvjp(builtins.float, "x=0.0", name="float", x="unbroadcast(g, x)",
       tangents={"x": "float(t)"})


def _differentiated_default():
    raise NonDifferentiableError("max/min(..., default=v) with a v being differentiated has no "
                                 "gradient rule", fix="write v if not items else max(items)")


# max(items), min(items) (max(a, b, c) is normalized to max([a, b, c])): the result is one of
# the items, the first that is largest (smallest): all of g goes to it.
for _extremum in (builtins.max, builtins.min):
    defvjp(_extremum, "iterable, *, key=None, default=None", name=_extremum.__name__,
           sequences=("iterable",), sparse=True, no_gradient=("key",),
           iterable="choice_grad(g, iterable, ans, key)", default=_differentiated_default,
           tangents={"iterable": "choice_tangent(t, iterable, ans, key)",
                     "default": _differentiated_default})
nondiff(builtins.int, builtins.bool, builtins.round, builtins.range, builtins.isinstance)

# The keys and values of a dict whose keys are known only when the code runs (a parameter):
# d.keys() and d.values() are normalized to these; d.items() zips them.
nondiff(runtime.dict_keys)
defvjp(runtime.dict_values, "d", name="dict_values", returns_sequence=True, sparse=True,
       d="dict_values_grad(g, d)", linear="d")
# Its adjoint, where generated code is differentiated again (hvp): the dict's keys are read
# when the code runs, never taken to be positions.
defvjp(runtime.dict_values_grad, "grad, d", name="dict_values_grad", sparse=True,
       no_gradient=("d",), linear="grad", grad="values_in_order(g, d)")
# tuple(xs) of a list built item by item (normalize lowers tuple(...) to such a list): the
# same items in a tuple, which indexes (x[tuple(idx)]) and compares as a tuple.
defvjp(builtins.tuple, "iterable", name="tuple", sequences=("iterable",), returns_sequence=True,
       sparse=True, linear="iterable", iterable="None if g is None else list(g)")
defvjp(runtime.dict_of_pairs, "pairs", name="dict_of_pairs", returns_sequence=True, sparse=True,
       pairs="dict_of_pairs_grad(g, pairs)", tangents={"pairs": "dict_of_pairs_tangent(t, pairs)"})

# Batched tangents: the same items, each a batch.
for _moving_items in (builtins.tuple, runtime.dict_values, runtime.dict_values_grad):
    defbatch(_moving_items, transparent=True)
