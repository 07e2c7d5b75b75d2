"""Rules for SciPy's special functions (``scipy.special``), registered when SciPy is imported.

Adjoints that need another special function call it through the runtime helper
``scipy_special`` (``scipy_special("digamma", x)``), which imports SciPy when the gradient runs.
``logsumexp(..., return_sign=True)``'s sign carries no gradient. ``polygamma``'s order and
``multigammaln``'s dimension are integers, and ``iv``'s and ``ive``'s order is read as a
constant: no gradient.
"""

import ast
import copy
import math

import gast
from scipy import special

from .. import runtime
from .registry import NO_GRADIENT, defvjp, lookup

SQRT_PI = math.sqrt(math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _special(function, params, name=None, **adjoints):
    """An elementwise rule, named as users write it (``scipy.special.gammaln``)."""
    defvjp(function, params, name=f"scipy.special.{name or function.__name__}",
           elementwise=True, **adjoints)


# Logistic functions.
_special(special.expit, "x", x="g * ans * (1.0 - ans)")
_special(special.logit, "x", x="g / (x * (1.0 - x))")
_special(special.log_expit, "x", x="-g * np.expm1(ans)")  # 1 - expit(x), without cancelling

# Gamma and related functions.
_special(special.gammaln, "x", x="g * scipy_special('digamma', x)")
_special(special.digamma, "x", name="digamma", x="g * scipy_special('polygamma', 1, x)")
_special(special.polygamma, "n, x", x="unbroadcast(g * scipy_special('polygamma', n + 1, x), x)")
_special(special.betaln, "a, b",
         a="unbroadcast(g * (scipy_special('digamma', a) - scipy_special('digamma', a + b)), a)",
         b="unbroadcast(g * (scipy_special('digamma', b) - scipy_special('digamma', a + b)), b)")
defvjp(special.multigammaln, "a, d", name="scipy.special.multigammaln", elementwise=True,
       no_gradient=("d",),
       a="multigammaln_grad(g, a, d)")

# Error functions and the normal distribution's.
_special(special.erf, "x", x=f"g * {2.0 / SQRT_PI!r} * np.exp(-x * x)")
_special(special.erfc, "x", x=f"g * {-2.0 / SQRT_PI!r} * np.exp(-x * x)")
_special(special.erfinv, "x", x=f"g * {SQRT_PI / 2.0!r} * np.exp(ans * ans)")
_special(special.ndtr, "x", x=f"g * {INV_SQRT_2PI!r} * np.exp(-0.5 * x * x)")
_special(special.log_ndtr, "x", x=f"g * {INV_SQRT_2PI!r} * np.exp(-0.5 * x * x - ans)")

# x log y and entropy; 0 log 0 is 0, and so is its derivative in y where x is 0.
_special(special.xlogy, "x, y", x="unbroadcast(g * np.log(y), x)",
         y="unbroadcast(g * np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y)), y)")
_special(special.xlog1py, "x, y", x="unbroadcast(g * np.log1p(y), x)",
         y="unbroadcast(g * np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, 1.0 + y)), y)")
_special(special.entr, "x", x="-g * (1.0 + np.log(x))")

# Modified Bessel functions of the first kind: I0' = I1, I1' = (I0 + I2) / 2; the
# exponentially scaled ones (times exp(-|x|)) less sign(x) times themselves.
_special(special.i0, "x", x="g * scipy_special('i1', x)")
_special(special.i1, "x", x="g * 0.5 * (scipy_special('i0', x) + scipy_special('iv', 2, x))")
_special(special.i0e, "x", x="g * (scipy_special('i1e', x) - np.sign(x) * ans)")
_special(special.i1e, "x", x="g * (0.5 * (scipy_special('i0e', x) + scipy_special('ive', 2, x))"
                             " - np.sign(x) * ans)")
# Of real order v (no gradient, as in autograd and JAX): I_v' = (I_(v-1) + I_(v+1)) / 2.
_special(special.iv, "v, x", no_gradient=("v",),
         x="unbroadcast(g * 0.5 * (scipy_special('iv', v - 1, x) + scipy_special('iv', v + 1, x)),"
           " x)")
_special(special.ive, "v, x", no_gradient=("v",),
         x="unbroadcast(g * (0.5 * (scipy_special('ive', v - 1, x) + scipy_special('ive', v + 1, x))"
           " - np.sign(x) * ans), x)")


# Reductions and normalisations along an axis.
defvjp(special.logsumexp, "a, axis=None, b=None, keepdims=False, return_sign=False",
       name="scipy.special.logsumexp", shape_of=True,
       a="logsumexp_grads(g, a, b, ans, axis, keepdims)[0]",
       b="logsumexp_grads(g, a, b, ans, axis, keepdims)[1]",
       tangents={"a": "logsumexp_tangent(a, b, ans, axis, keepdims, d_a=t)",
                 "b": "logsumexp_tangent(a, b, ans, axis, keepdims, d_b=t)"})
# (Their Jacobians are symmetric: diag(p) - p p^T, and I - 1 p^T's transpose for log_softmax.)
defvjp(special.softmax, "x, axis=None", name="scipy.special.softmax", shape_of=True,
       x="ans * (g - np.sum(g * ans, axis=axis, keepdims=True))",
       tangents={"x": "ans * (t - np.sum(t * ans, axis=axis, keepdims=True))"})
defvjp(special.log_softmax, "x, axis=None", name="scipy.special.log_softmax", shape_of=True,
       x="g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)",
       tangents={"x": "t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)"})


# scipy_special(name, x1[, x2]): the runtime helper adjoints above call, whose rule is that of
# scipy.special.<name> (a literal in the code) with its parameters called x1, x2: so code that
# holds such adjoints (a gradient) is differentiated again (second derivatives of gammaln ...).
def _dispatched(position: int):
    def template(function):
        if not isinstance(function, str):
            return "refuse_dynamic_special(function)"
        rule = lookup(getattr(special, function, None))
        params = list(rule.signature.parameters) if rule is not None else []
        if rule is None or position >= len(params) or params[position] not in rule.adjoints:
            return NO_GRADIENT if rule is not None and position < len(params) and \
                params[position] in rule.no_gradient else \
                f"refuse_dynamic_special({function!r})"
        expression = copy.deepcopy(rule.template_for(params[position], {}))
        renamed = {p: f"x{i + 1}" for i, p in enumerate(params)}
        for node in gast.walk(expression):
            if isinstance(node, gast.Name) and node.id in renamed:
                node.id = renamed[node.id]
        return ast.unparse(gast.gast_to_ast(gast.Expression(body=expression)))
    return template


defvjp(runtime.scipy_special, "function, x1, x2=None", name="scipy_special", elementwise=True,
       no_gradient=("function",), x1=_dispatched(0), x2=_dispatched(1))
