"""Rules for Python's built-in functions that model code applies to arrays and floats."""

import builtins

import numpy as np

from . import elementwise  # noqa: F401  (first: abs shares np.absolute's rule)
from .registry import alias, defvjp, nondiff

# sum(xs, start): adds the items of xs (an array's rows, or a list's elements) to start.
defvjp(builtins.sum, "iterable, start=0", name="sum",
       iterable="unsum(g, iterable)", start="unbroadcast(g, start)")
alias(builtins.abs, np.absolute)
defvjp(builtins.float, "x=0.0", name="float", x="unbroadcast(g, x)")
nondiff(builtins.int, builtins.bool, builtins.round, builtins.range, builtins.isinstance)
