"""Rules for Python's operators, subscripts and array attributes.

Arithmetic operators share the rules of the NumPy functions they stand for (``a + b`` is
``np.add(a, b)``); those rules live with the other elementwise functions.
"""

import gast
import numpy as np

from . import elementwise  # noqa: F401  (registers the rules aliased here)
from .registry import ANY_INT, DYNAMIC, alias, defbatch, defvjp, nondiff

#: The rule keys of Python's syntax: how normalization names ``a + b``, ``-a``, ``x[i]``,
#: ``xs + ys`` of two lists, ``x.T``.
BINARY = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
          gast.MatMult: "@", gast.FloorDiv: "//", gast.Mod: "%", gast.BitAnd: "&",
          gast.BitOr: "|", gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>"}
UNARY = {gast.USub: "unary -", gast.UAdd: "unary +", gast.Not: "not", gast.Invert: "~"}
SUBSCRIPT = "getitem"
LIST_CONCATENATION = "list +"
LIST_REPETITION = "list *"


def attribute_key(attr: str) -> str:
    """The rule key of reading the array attribute ``attr`` (``x.T``)."""
    return "attr " + attr


def syntax_form(name: str) -> str:
    """A syntax key as code: ``"+"`` -> ``a + b``, ``"attr T"`` -> ``x.T``."""
    if name.startswith(attribute_key("")):
        return f"x.{name.removeprefix(attribute_key(''))}"
    if name == SUBSCRIPT:
        return "x[index]"
    if name.startswith("unary "):
        return f"{name[6:]}x"
    if name == "not":
        return "not x"
    if name == "~":
        return "~x"
    if name in ("is", "in", "is not", "not in"):
        return f"a {name} b"
    if name == LIST_CONCATENATION:
        return "list_a + list_b"
    if name == LIST_REPETITION:
        return "list_a * n"
    if name.replace("_", "").replace(".", "").isalnum():
        return name
    return f"a {name} b"


alias("+", np.add, hoistable=True, on_lists=LIST_CONCATENATION)
alias("-", np.subtract, hoistable=True)
alias("*", np.multiply, hoistable=True, on_lists=LIST_REPETITION)
alias("/", np.true_divide)
alias("**", np.power)
alias("%", np.remainder)
alias("@", np.matmul)
alias("unary -", np.negative, hoistable=True)
defvjp("unary +", "x", x="g", elementwise=True)

# Comparisons, boolean logic and floor division carry no gradient.
nondiff("==", "!=", "<", "<=", ">", ">=", "is", "is not", "in", "not in", "not", "//",
        "&", "|", "^", "~", "<<", ">>")

# x[index]: the gradient scatters back into zeros shaped like x (summing repeated indices).
# With an index of only integers and slices (``x[t]``, ``x[:, :H]``), no element repeats and
# the sum is a plain in-place add.
def _index_shape(x, index):
    """``x[index]`` on a placeholder; an integer not known before the code runs picks one
    element, shaped the same whichever it is."""
    if index is ANY_INT:
        index = 0
    elif isinstance(index, tuple):
        index = tuple(0 if i is ANY_INT else i for i in index)
    return x[index]


def _unindex(basic_index, shape_x, list_x):
    # Where x is an array of known shape and the index picks each element at most once, the
    # zeros are made from the shape alone: x itself need not be kept for the backward pass;
    # for a list, its length is enough.
    if basic_index is True and shape_x is not DYNAMIC:
        return f"unindex_to(g, {shape_x!r}, index)"
    if list_x is True:
        return "unindex_list(g, len(x), index)"
    return "unindex(g, x, index)"


defvjp(SUBSCRIPT, "x, index", shape_of=_index_shape, selects=True, no_gradient=("index",), x=_unindex,
       tangents={"x": "t[index]"},
       accumulate={"x": lambda basic_index: "acc[index] += g" if basic_index is True
                   else "add_at(acc, index, g)"})

# Attributes.
defvjp("attr T", "x", shape_of=lambda x: x.T, view_of="x", x="g.T", tangents={"x": "t.T"})
# x.real is a view of x (x itself for a real x); the adjoints are np.real's and np.imag's
defvjp("attr real", "x", view_of="x", inverse="with_real_part(x, g)", x="real_grad(g, x)",
       tangents={"x": "np.real(t)"})
defvjp("attr imag", "x", x="imag_grad(g, x)", tangents={"x": "np.imag(t)"})
defvjp("attr mT", "x", view_of="x", x="matrix_transpose(g)",
       tangents={"x": "matrix_transpose(t)"})
for _attr in ("shape", "ndim", "size", "dtype"):  # questions about metadata, not values
    nondiff(attribute_key(_attr), shape_query=_attr)
nondiff(attribute_key("itemsize"), attribute_key("nbytes"))

# Lists: lst.append(x) is lst = lst + [x]. A list's adjoint is a list (None where zero).
# Its tangent is the list of the items' tangents (zeros for those of a constant list): the
# concatenation of the parts' tangents (linear; per-part templates would be added with +,
# which concatenates lists instead of adding them).
defvjp(LIST_CONCATENATION, "x1, x2", sparse=True, concatenates=True, x1="g[:len(x1)]",
       x2="g[len(x1):]", linear="x1, x2")
# [x] * n (or n * [x]): the list's items n times over, the same objects. The list's adjoint is
# the sum of the result's over the repeats; its tangent, the list of tangents repeated.
defvjp(LIST_REPETITION, "x1, x2", sparse=True, repeats=True, x1="unrepeat_list(g, x1)",
       x2="unrepeat_list(g, x2)", tangents={"x1": "t * x2", "x2": "x1 * t"})

# Batched tangents (srcgrad.batching): the same index (or transpose) of each direction; lists
# of tangents concatenate as they are.
defbatch(SUBSCRIPT, x="batch_index(t, index)")
defbatch("attr T", x="batch_transpose(t)")
defbatch(LIST_CONCATENATION, transparent=True)
defbatch(LIST_REPETITION, x1="t * x2", x2="x1 * t")
