"""Rules for linear algebra: products, contractions, traces, norms, inverses, solves.

Stacks of matrices (``(..., n, n)``) work wherever NumPy accepts them. ``det``'s gradient (the
cofactor matrix) exists for singular matrices too: where the inverse fails it goes through the
singular value decomposition (autograd fails there).

Where autograd's convention differs deliberately: a max-norm's ties (``ord=inf``) share the
gradient evenly, as central differences do (autograd gives each the whole of it); the 2-norm
of zeros gives NaN, as autograd and JAX.

Forward mode: products and ``einsum`` take the tangent of one factor at a time, ``trace`` is
linear, norms and ``det`` sum ``t`` times their gradient (the same subgradient at ties), and
the decompositions' tangents are runtime helpers beside their adjoints (``svd_tangent`` beside
``svd_grad``). ``svd(..., full_matrices=True)`` of a non-square matrix: the extra singular
vectors are not unique, their tangents NaN (their gradient is refused).
"""

import numpy as np

from ..errors import NonDifferentiableError
from ..runtime import _einsum_parse
from .registry import DYNAMIC, NO_GRADIENT, defbatch, defvjp


def _product_shape(x1, x2):
    """An array shaped like ``x1 @ x2`` (given placeholders), without multiplying."""
    a, b = np.shape(x1), np.shape(x2)
    if not a or not b or a[-1] != (b[0] if len(b) == 1 else b[-2]):
        raise ValueError("not a matrix product")
    if len(a) == 1 and len(b) == 1:
        shape = ()
    elif len(b) == 1:
        shape = a[:-1]
    elif len(a) == 1:
        shape = b[:-2] + b[-1:]
    else:
        shape = np.broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1])
    return np.broadcast_to(0.0, shape)


def _dot_shape(a, b, out=None):
    if np.ndim(a) > 2 or np.ndim(b) > 2 or np.ndim(a) == 0 or np.ndim(b) == 0:
        raise ValueError("np.dot beyond matrices: not worked out here")
    return _product_shape(a, b)


def _matmul_template(which):
    # Where both are known to be matrices, the product a person writes.
    def template(shape_x1, shape_x2):
        if shape_x1 is not DYNAMIC and shape_x2 is not DYNAMIC and \
                len(shape_x1) == 2 and len(shape_x2) == 2:
            return "g @ x2.T" if which == "x1" else "x1.T @ g"
        return f"matmul_{'lhs' if which == 'x1' else 'rhs'}_grad(g, x1, x2)"
    return template


#: np.dot's gradients where both operands are known vectors (1) or matrices (2), by rank.
_DOT_GRADS = {
    "a": {(1, 1): "g * b", (2, 1): "np.outer(g, b)", (1, 2): "g @ b.T", (2, 2): "g @ b.T"},
    "b": {(1, 1): "g * a", (2, 1): "a.T @ g", (1, 2): "np.outer(a, g)", (2, 2): "a.T @ g"},
}


def _dot_template(which):
    def template(shape_a, shape_b):
        if shape_a is not DYNAMIC and shape_b is not DYNAMIC:
            found = _DOT_GRADS[which].get((len(shape_a), len(shape_b)))
            if found is not None:
                return found
        return f"dot_{'lhs' if which == 'a' else 'rhs'}_grad(g, a, b)"
    return template


# Products.
# Products are bilinear: each factor's tangent is the product with the tangent in its place.
defvjp(np.matmul, "x1, x2", shape_of=_product_shape,
       x1=_matmul_template("x1"), x2=_matmul_template("x2"),
       tangents={"x1": "t @ x2", "x2": "x1 @ t"})
defvjp(np.dot, "a, b, out=None", shape_of=_dot_shape,
       a=_dot_template("a"), b=_dot_template("b"),
       tangents={"a": "np.dot(t, b)", "b": "np.dot(a, t)"})
defvjp(np.vdot, "a, b",  # the sum of conj(a) * b over all elements
       a="np.reshape(np.conj(g * np.ravel(b)), np.shape(a))",
       b="np.reshape(g * np.conj(np.ravel(a)), np.shape(b))",
       tangents={"a": "np.vdot(t, b)", "b": "np.vdot(a, t)"})
defvjp(np.inner, "a, b", a="inner_lhs_grad(g, a, b)", b="inner_rhs_grad(g, a, b)",
       tangents={"a": "np.inner(t, b)", "b": "np.inner(a, t)"})
defvjp(np.outer, "a, b, out=None",  # outer flattens its arguments
       a="np.reshape(g @ np.ravel(b), np.shape(a))", b="np.reshape(np.ravel(a) @ g, np.shape(b))",
       tangents={"a": "np.outer(t, b)", "b": "np.outer(a, t)"})
defvjp(np.tensordot, "a, b, axes=2",
       a="tensordot_lhs_grad(g, a, b, axes)", b="tensordot_rhs_grad(g, a, b, axes)",
       tangents={"a": "np.tensordot(t, b, axes)", "b": "np.tensordot(a, t, axes)"})
def _einsum(subscripts, shape_operands):
    """Where the operands' shapes are known and each operand's gradient is one contraction
    (no letter of its own summed away, no broadcasting, no diagonal), the einsums written out:
    the gradient of ``ij,jk->ik``'s first operand is ``np.einsum('ik,jk->ij', g, b)``."""
    general = "einsum_grads(g, subscripts, operands)"
    if not isinstance(subscripts, str):  # a variable, or the sublist form: decided when run
        return "einsum_operand_grads(g, subscripts, operands)"
    if subscripts is DYNAMIC or shape_operands is DYNAMIC or not isinstance(subscripts, str) \
            or "." in subscripts:
        return general
    inputs, output = _einsum_parse(subscripts, [len(s) for s in shape_operands])
    sizes: dict[str, int] = {}
    for spec, shape in zip(inputs, shape_operands):
        if len(spec) != len(shape) or len(set(spec)) != len(spec):
            return general
        for letter, size in zip(spec, shape):
            if sizes.setdefault(letter, size) != size:
                return general  # a length-1 axis broadcast against a longer one
    pieces = []
    for k, spec in enumerate(inputs):
        others = [j for j in range(len(inputs)) if j != k]
        known = set(output).union(*(inputs[j] for j in others))
        if not set(spec) <= known:
            return general
        terms = ",".join([output] + [inputs[j] for j in others]) + "->" + spec
        operands = "".join(f", operands[{j}]" for j in others)
        pieces.append(f"np.einsum({terms!r}, g{operands})")
    return "(" + ", ".join(pieces) + ",)"


def _einsum_first(subscripts):
    """In the sublist form (``np.einsum(a, [0, 1], b, [1, 2])``) the first argument is an
    array."""
    if isinstance(subscripts, str):
        return NO_GRADIENT
    return "einsum_operand_grads(g, subscripts, operands, first_only=True)"


def _einsum_first_tangent(subscripts):
    if isinstance(subscripts, str):
        return NO_GRADIENT
    return "einsum_tangent(t, subscripts, operands, first_only=True)"


# einsum is multilinear: the sum over its operands of the einsum with a tangent in its place.
defvjp(np.einsum, "subscripts, *operands, out=None, optimize=False", sequences=("operands",),
       shape_of=True, subscripts=_einsum_first, operands=_einsum,
       tangents={"subscripts": _einsum_first_tangent,
                 "operands": "einsum_tangent(t, subscripts, operands)"})
defvjp(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None", shape_of=True,
       a="trace_grad(g, a, offset, axis1, axis2)", linear="a")


def _norm(ord, axis, shape_x):
    # The 2-norm of the flattened array (ord None) or of vectors along one axis: x / |x|.
    # x may be a list of values (norm([a, b])): as an array; its gradient is cut into items.
    array = "x" if _array_shape(shape_x) else "np.asarray(x)"
    # (of a complex x: conj(x) / |x|, and g is real)
    if ord is None and axis is None:
        return f"np.real(g) * np.conj({array}) / ans"
    if ord in (None, 2) and isinstance(axis, int) and axis is not DYNAMIC:
        return f"np.conj({array}) * unreduce(np.real(g) / ans, x, axis, keepdims)"
    return "norm_grad(g, x, ans, ord, axis, keepdims)"


def _array_shape(shape):
    """Whether a ``shape_<param>`` is an array's shape (not DYNAMIC, not a list's shapes)."""
    return isinstance(shape, tuple) and all(isinstance(n, int) for n in shape)


def _norm_tangent(ord, shape_x):
    # A norm reduces over its axes: the tangent sums t times the gradient of each norm
    # (for the 2-norm and the Frobenius norm, x / |x|).
    x, t = ("x", "t") if _array_shape(shape_x) else ("np.asarray(x)", "np.asarray(t)")
    if ord is None or ord == "fro":  # (Re(conj(x) t) / |x| for complex x)
        return f"np.real(np.sum(np.conj({x}) * {t}, axis=axis, keepdims=keepdims)) / ans"
    return (f"np.real(np.sum({t} * norm_grad(np.ones_like(ans), {x}, ans, ord, axis, "
            "keepdims), axis=axis, keepdims=keepdims))")


defvjp(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", shape_of=True, x=_norm,
       tangents={"x": _norm_tangent})

# Inverses, determinants, solves.
defvjp(np.linalg.inv, "a", a="-matrix_transpose(ans) @ g @ matrix_transpose(ans)",
       tangents={"a": "-(ans @ t @ ans)"})
# det's tangent: t times the cofactor matrix (which exists where a is singular too).
defvjp(np.linalg.det, "a", a="det_grad(g, a, ans)",
       tangents={"a": "np.sum(det_grad(np.ones_like(ans), a, ans) * t, axis=(-2, -1))"})
# (sign, logabsdet): g holds their adjoints; only logabsdet's reaches a.
defvjp(np.linalg.slogdet, "a", returns_sequence=True, sparse=True, a="slogdet_grad(g, a)",
       tangents={"a": "(np.zeros_like(ans[0]), "
                      "np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1))"})
defvjp(np.linalg.solve, "a, b", a="solve_lhs_grad(g, a, b, ans)", b="solve_rhs_grad(g, a, b)",
       tangents={"a": "solve_lhs_tangent(t, a, b, ans)", "b": "np.linalg.solve(a, t)"})


def _cross(text):
    def template(axisa=-1, axisb=-1, axisc=-1, axis=None):
        if (axisa, axisb, axisc, axis) != (-1, -1, -1, None):
            raise NonDifferentiableError("np.cross with axis arguments has no gradient rule",
                                         fix="move the vectors' axis last (np.moveaxis)")
        return text
    return template


# Cross products over the last axis (of 3-vectors, or 2-vectors: their product's z).
defvjp(np.cross, "a, b, axisa=-1, axisb=-1, axisc=-1, axis=None", shape_of=True,
       a=_cross("cross_grads(g, a, b)[0]"), b=_cross("cross_grads(g, a, b)[1]"),
       tangents={"a": _cross("np.cross(t, b)"), "b": _cross("np.cross(a, t)")})


# Decompositions. Their results are tuples (g: one adjoint per part, None for a zero one).
# cholesky and eigh read one triangle of a: their gradients lie on it (as central differences
# and autograd's eigh; JAX and autograd's cholesky give its symmetric half instead, the same
# gradient wherever a is built symmetric).
def _shape_of_a(a, *args, **kwargs):
    """The result is shaped like ``a`` (the primitive may fail on placeholders of zeros)."""
    return a


defvjp(np.linalg.cholesky, "a, *, upper=False", shape_of=_shape_of_a,
       a="cholesky_grad(g, ans, upper)", tangents={"a": "cholesky_tangent(t, ans, upper)"})
defvjp(np.linalg.eigh, "a, UPLO='L'", returns_sequence=True, sparse=True,
       a="eigh_grad(g, a, ans, UPLO)", tangents={"a": "eigh_tangent(t, ans, UPLO)"})
defvjp(np.linalg.eigvalsh, "a, UPLO='L'", shape_of=True, a="eigvalsh_grad(g, a, UPLO)",
       tangents={"a": "eigvalsh_tangent(t, a, UPLO)"})


defvjp(np.linalg.svd, "a, full_matrices=True, compute_uv=True, hermitian=False",
       returns_sequence=True, sparse=True,  # (compute_uv=False: an array, read as one)
       a="svd_grad(g, a, ans, full_matrices, compute_uv)",
       tangents={"a": "svd_tangent(t, a, ans, full_matrices, compute_uv)"})
if hasattr(np.linalg, "svdvals"):  # NumPy 2.0 and later
    defvjp(np.linalg.svdvals, "x", shape_of=True, x="svd_grad(g, x, ans, False, False)",
           tangents={"x": "svd_tangent(t, x, ans, False, False)"})


def _qr(helper):
    def template(mode):
        if mode != "reduced":
            raise NonDifferentiableError(f"np.linalg.qr(..., mode={mode!r}) has no gradient "
                                         "rule", fix="use the default mode, 'reduced'")
        return helper
    return template


defvjp(np.linalg.qr, "a, mode='reduced'", returns_sequence=True, sparse=True,
       a=_qr("qr_grad(g, a, ans)"), tangents={"a": _qr("qr_tangent(t, a, ans)")})
defvjp(np.linalg.pinv, "a, rcond=None, hermitian=False, *, rtol=None", shape_of=True,
       a="pinv_grad(g, a, ans)", tangents={"a": "pinv_tangent(t, a, ans)"})
# (x, residuals, rank, singular values): the rank is an integer, without a gradient.
defvjp(np.linalg.lstsq, "a, b, rcond=None", returns_sequence=True, sparse=True,
       a="lstsq_grads(g, a, b, ans)[0]", b="lstsq_grads(g, a, b, ans)[1]",
       tangents={"a": "lstsq_tangents(t, None, a, b, ans)",
                 "b": "lstsq_tangents(None, t, a, b, ans)"})
defvjp(np.linalg.matrix_power, "a, n", shape_of=_shape_of_a, a="matrix_power_grad(g, a, n)",
       tangents={"a": "matrix_power_tangent(t, a, n)"})
defvjp(np.linalg.multi_dot, "arrays, *, out=None", shape_of=True, sequences=("arrays",),
       arrays="multi_dot_grads(g, arrays)", tangents={"arrays": "multi_dot_tangent(t, arrays)"})


def _shape_of_a_vector(a):
    """The result is shaped like ``a``'s diagonal (a vector per matrix)."""
    return a[..., 0]


# Eigenvalues and eigenvectors of a general matrix (complex, also of a real one; distinct
# eigenvalues): the adjoints in the convention of complex adjoints, real for a real matrix.
defvjp(np.linalg.eigvals, "a", shape_of=_shape_of_a_vector, a="eigvals_grad(g, a)",
       tangents={"a": "eig_tangent(t, a)[0]"})
defvjp(np.linalg.eig, "a", returns_sequence=True, sparse=True, a="eig_grad(g, a, ans)",
       tangents={"a": "eig_tangent(t, a, ans)"})

# Batched tangents (srcgrad.batching): the directions as a stack of matrices.
defbatch(np.matmul, x1="batch_matmul(t, x2, 'x1')", x2="batch_matmul(x1, t, 'x2')")
defbatch(np.dot, a="batch_dot(t, b, 'a')", b="batch_dot(a, t, 'b')")
defbatch(np.outer, a="batch_outer(t, b, 'a')", b="batch_outer(a, t, 'b')")
