"""srcgrad: automatic differentiation of NumPy code by source transformation.

Put ``@grad`` on an ordinary NumPy function; srcgrad reads its source and writes the gradient
function as new Python code, which you can read (``.source``) and export.
"""

from . import rules  # noqa: F401  (registers the built-in rules)
from .api import grad, hvp, jvp, value_and_grad, vjp
from .check import check_grads
from .errors import SrcgradError
from .export import export
from .matrices import hessian, jacobian
from .rules.registry import defjvp, defmethod, defvjp, nondiff

__all__ = ["SrcgradError", "check_grads", "defjvp", "defmethod", "defvjp", "export", "grad",
           "hessian", "hvp", "jacobian", "jvp", "nondiff", "value_and_grad", "vjp"]
__version__ = "0.1.0"
