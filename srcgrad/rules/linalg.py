"""Rules for linear algebra: products, contractions, traces, norms, inverses, solves.

Stacks of matrices (``(..., n, n)``) work wherever NumPy accepts them. ``det`` goes through the
inverse, so it fails (LinAlgError) on a singular matrix although its gradient exists there.
"""

import numpy as np

from .registry import DYNAMIC, defvjp

# Products.
defvjp(np.matmul, "x1, x2", x1="matmul_lhs_grad(g, x1, x2)", x2="matmul_rhs_grad(g, x1, x2)")
defvjp(np.dot, "a, b, out=None", a="dot_lhs_grad(g, a, b)", b="dot_rhs_grad(g, a, b)")
defvjp(np.vdot, "a, b",  # real arrays: the sum of a * b over all elements
       a="np.reshape(g * np.ravel(b), np.shape(a))", b="np.reshape(g * np.ravel(a), np.shape(b))")
defvjp(np.inner, "a, b", a="inner_lhs_grad(g, a, b)", b="inner_rhs_grad(g, a, b)")
defvjp(np.outer, "a, b, out=None",  # outer flattens its arguments
       a="np.reshape(g @ np.ravel(b), np.shape(a))", b="np.reshape(np.ravel(a) @ g, np.shape(b))")
defvjp(np.tensordot, "a, b, axes=2",
       a="tensordot_lhs_grad(g, a, b, axes)", b="tensordot_rhs_grad(g, a, b, axes)")
defvjp(np.einsum, "subscripts, *operands, out=None, optimize=False", sequences=("operands",),
       operands="einsum_grads(g, subscripts, operands)")
defvjp(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None",
       a="trace_grad(g, a, offset, axis1, axis2)")


def _norm(ord, axis):
    # The 2-norm of the flattened array (ord None) or of vectors along one axis: x / |x|.
    if ord is None and axis is None:
        return "g * x / ans"
    if ord in (None, 2) and isinstance(axis, int) and axis is not DYNAMIC:
        return "x * unreduce(g / ans, x, axis, keepdims)"
    return "norm_grad(g, x, ans, ord, axis, keepdims)"


defvjp(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", x=_norm)

# Inverses, determinants, solves.
defvjp(np.linalg.inv, "a", a="-matrix_transpose(ans) @ g @ matrix_transpose(ans)")
defvjp(np.linalg.det, "a",
       a="np.expand_dims(g * ans, (-2, -1)) * matrix_transpose(np.linalg.inv(a))")
defvjp(np.linalg.solve, "a, b", a="solve_lhs_grad(g, a, b, ans)", b="solve_rhs_grad(g, a, b)")
