"""Functions whose results carry no gradient.

Their results are constants for differentiation: indices and counts (``argmax``, ``shape``),
booleans (``isnan``), piecewise-constant functions (``sign``, ``floor``, ``round``: derivative
zero wherever it exists), new arrays from shapes (``zeros``, ``eye``) and random numbers (all of
``np.random``; :mod:`.random` gives some of them gradients for their parameters).
"""

import types

import numpy as np

from .registry import nondiff

# Indices, orderings, counts and shapes.
nondiff(np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
        np.searchsorted, np.digitize, np.count_nonzero, np.unravel_index, np.ravel_multi_index,
        np.nanargmax, np.nanargmin, np.lexsort, np.result_type, np.broadcast_shapes)
# Questions about the argument's shape alone: the shape analysis knows their results, and the
# backward pass may keep the shape, not the array, for them.
nondiff(np.shape, params="a", shape_query="shape")
nondiff(np.ndim, params="a", shape_query="ndim")
nondiff(len, params="obj", shape_query="len")
nondiff(np.size, params="a, axis=None", shape_query="size")

# Piecewise-constant functions.
nondiff(np.sign, np.floor, np.ceil, np.trunc, np.rint, np.fix, np.round, np.around,
        np.floor_divide, np.signbit)

# Tests and comparisons.
nondiff(np.isnan, np.isfinite, np.isinf, np.isposinf, np.isneginf, np.isreal, np.iscomplex,
        np.isclose, np.allclose, np.array_equal, np.array_equiv, np.any, np.all,
        np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
        np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.may_share_memory,
        np.shares_memory)

# New arrays from shapes (or from another array's shape and dtype only). np.full, full_like,
# linspace and arange take values too: their rules are in .shapes.
nondiff(np.zeros, np.ones, np.empty, params="shape, dtype=None, order='C', *, device=None, "
        "like=None", shape_arg="shape")
nondiff(np.zeros_like, np.ones_like, params="a, dtype=None, order='K', subok=True, shape=None, "
        "*, device=None", shape_arg="shape", shape_like="a")
nondiff(np.empty_like, params="prototype, /, dtype=None, order='K', subok=True, shape=None, *, "
        "device=None", shape_arg="shape", shape_like="prototype")
nondiff(np.eye, np.identity, np.tri, np.indices, np.diag_indices, np.tril_indices,
        np.triu_indices)

# Random numbers: every function of np.random (the global generator's methods included), its
# generator and bit-generator classes, and default_rng.
nondiff(*(value for name, value in vars(np.random).items()
          if callable(value) and not name.startswith("_") and name != "test"
          and not isinstance(value, types.ModuleType)), pure=False)
nondiff(np.random.default_rng, pure=False)
