"""NumPy's array syntax for other libraries: indexing, methods and attributes.

Generated code and the runtime helpers are NumPy code: besides ``np.`` functions (which
:class:`~srcgrad.arrays.Facade` maps) they index arrays as NumPy does and call NumPy's array
methods (``x.reshape(...)``, ``x.astype(...)``, ``x.T``, ``x.dtype.kind``). Other libraries'
arrays differ there: PyTorch has no negative slice steps, no ``astype``, a ``size`` method;
array-api-strict wants an index for every axis (``xs[t, ...]``, not ``xs[t]``), index arrays of
its own, and has few methods. For such a library the code is compiled again from a rewritten
tree, with the same lines:

- ``a[index]`` read is ``item(a, index)``, written ``a[place(a, index)] = v``: the index made
  one the library takes (its own index arrays, a trailing ``...``; a reversed slice read by
  ``take``);
- ``a.name(...)`` for a NumPy array method is ``method(a, "name")(...)``, ``a.name`` for an
  attribute ``attribute(a, "name")``: the facade's function for the library's arrays, the
  attribute itself for anything else (a list's ``append``, a NumPy scalar's ``dtype``).

Reads: the source of generated code or of a runtime helper. Writes: a code object for it.
CuPy follows NumPy's array API and runs the code as it is.
"""

from __future__ import annotations

import ast
import copy as copy_module
import functools
import inspect
import math
import textwrap
import types
from collections.abc import Callable
from typing import Any

import numpy as np

#: NumPy array methods, as functions of the facade ``f``, the array and the call's arguments.
METHODS: dict[str, Callable[..., Any]] = {
    "reshape": lambda f, x, *shape, order="C": f.reshape(
        x, shape[0] if len(shape) == 1 else shape),
    "astype": lambda f, x, dtype, order="K", casting="unsafe", subok=True, copy=True:
        f.astype(x, dtype, copy=copy),
    "flatten": lambda f, x, order="C": f.ravel(x),
    "ravel": lambda f, x, order="C": f.ravel(x),
    "transpose": lambda f, x, *axes: f.transpose(
        x, None if not axes else axes[0] if len(axes) == 1 else axes),
    "swapaxes": lambda f, x, a, b: f.swapaxes(x, a, b),
    "squeeze": lambda f, x, axis=None: f.squeeze(x, axis),
    "copy": lambda f, x, order="C": f.copy(x),
    "dot": lambda f, x, other: f.dot(x, other),
    "clip": lambda f, x, a_min=None, a_max=None: f.clip(x, a_min, a_max),
    "conj": lambda f, x: f.conj(x),
    "conjugate": lambda f, x: f.conj(x),
    "round": lambda f, x, decimals=0: f.round(x, decimals),
}
for _reduction in ("sum", "mean", "prod", "max", "min", "std", "var", "any", "all", "cumsum",
                   "cumprod", "argmax", "argmin", "argsort", "nonzero", "trace", "diagonal"):
    METHODS[_reduction] = functools.partial(
        lambda f, x, *args, name, **kwargs: getattr(f, name)(x, *args, **kwargs),
        name=_reduction)

#: NumPy array attributes, as functions of the facade and the array.
ATTRIBUTES: dict[str, Callable[[Any, Any], Any]] = {
    "T": lambda f, x: f.transpose(x),
    "size": lambda f, x: math.prod(x.shape),
    "real": lambda f, x: f.real(x),
    "imag": lambda f, x: f.imag(x),
    "nbytes": lambda f, x: math.prod(x.shape) * f.itemsize(x.dtype),
}

#: Attributes of a library's dtype that NumPy's dtypes have.
DTYPE_ATTRIBUTES: dict[str, Callable[[Any, Any], Any]] = {
    "kind": lambda f, dtype: f.kind(dtype),
    "itemsize": lambda f, dtype: f.itemsize(dtype),
    "name": lambda f, dtype: str(dtype).rsplit(".", 1)[-1],
    "type": lambda f, dtype: dtype,
}


class _Rewriter(ast.NodeTransformer):
    """Subscripts, array methods and attributes into calls of the syntax helpers (see the
    module's docstring); ``np.<name>`` is left as it is."""

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        node.value = self.visit(node.value)
        index = _as_expression(self.visit(node.slice))
        if isinstance(node.ctx, ast.Load):
            call = ast.Call(func=ast.Name(id="_array_item", ctx=ast.Load()),
                            args=[node.value, index], keywords=[])
            return ast.copy_location(call, node)
        node.slice = index
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_array_rows", node.iter)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call("_array_rows", node.iter)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        """``a[index] = v``: ``_array_store(a, index, v)``."""
        self.generic_visit(node)
        if isinstance(node.targets[0], (ast.Tuple, ast.List)):  # a, b = rows of an array
            node.value = _call("_array_rows", node.value)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            call = ast.Call(func=ast.Name(id="_array_store", ctx=ast.Load()),
                            args=[_loaded(target.value), target.slice, node.value],
                            keywords=[])
            return ast.copy_location(ast.Expr(value=call), node)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        """``a[index] += v``: ``a[index] = a[index] + v``, stored as above."""
        if not isinstance(node.target, ast.Subscript):
            return self.generic_visit(node)
        node.target.slice = _as_expression(node.target.slice)
        read = ast.Subscript(value=_loaded(node.target.value), slice=_loaded(node.target.slice),
                             ctx=ast.Load())
        value = ast.BinOp(left=ast.copy_location(read, node), op=node.op, right=node.value)
        target = ast.Subscript(value=node.target.value, slice=node.target.slice,
                               ctx=ast.Store())
        assign = ast.Assign(targets=[ast.copy_location(target, node)],
                            value=ast.copy_location(value, node))
        return self.visit_Assign(ast.copy_location(assign, node))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ITERATING and node.args and \
                not isinstance(node.args[0], ast.Starred) and \
                (len(node.args) == 1 or func.id in ("zip", "enumerate")):
            self.generic_visit(node)
            count = len(node.args) if func.id == "zip" else 1
            node.args[:count] = [_call("_array_rows", a) for a in node.args[:count]]
            return node
        if isinstance(func, ast.Attribute) and func.attr in METHODS and node.args and \
                ast.unparse(func.value) == "np.ndarray":  # np.ndarray.flatten(x): x.flatten()
            self.generic_visit(node)
            node.func = ast.copy_location(ast.Call(
                func=ast.Name(id="_array_method", ctx=ast.Load()),
                args=[node.args[0], ast.Constant(func.attr)], keywords=[]), func)
            node.args = node.args[1:]
            return node
        if isinstance(func, ast.Attribute) and func.attr in METHODS and not _of_np(func):
            func.value = self.visit(func.value)
            node.func = ast.copy_location(ast.Call(
                func=ast.Name(id="_array_method", ctx=ast.Load()),
                args=[func.value, ast.Constant(func.attr)], keywords=[]), func)
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        node.value = self.visit(node.value)
        if isinstance(node.ctx, ast.Load) and not _of_np(node) and \
                (node.attr in ATTRIBUTES or node.attr in DTYPE_ATTRIBUTES):
            call = ast.Call(func=ast.Name(id="_array_attribute", ctx=ast.Load()),
                            args=[node.value, ast.Constant(node.attr)], keywords=[])
            return ast.copy_location(call, node)
        return node


#: Builtins that iterate over their (first, or zip's every) argument: an array's rows.
ITERATING = {"list", "tuple", "zip", "enumerate", "sorted", "reversed", "sum", "min", "max",
             "any", "all", "iter"}


def _call(helper: str, argument: ast.expr) -> ast.expr:
    call = ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=[argument], keywords=[])
    return ast.copy_location(call, argument)


def _of_np(node: ast.Attribute) -> bool:
    """Whether ``node`` is ``np.<name>`` (or ``np.linalg.<name>`` ...): the facade's own."""
    value = node.value
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name) and value.id == "np"


def _loaded(node: ast.expr) -> ast.expr:
    """A copy of ``node`` that reads what it names (the array a subscript writes into)."""
    copy: ast.expr = copy_module.deepcopy(node)
    for sub in ast.walk(copy):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return copy


def _as_expression(index: ast.AST) -> ast.expr:
    """An index (slices included) as an expression of the same value: ``a:b`` is
    ``slice(a, b, None)``."""
    if isinstance(index, ast.Slice):
        parts = [index.lower, index.upper, index.step]
        call = ast.Call(func=ast.Name(id="slice", ctx=ast.Load()),
                        args=[p if p is not None else ast.Constant(None) for p in parts],
                        keywords=[])
        return ast.copy_location(call, index)
    if isinstance(index, ast.Tuple):
        index.elts = [_as_expression(e) for e in index.elts]
    assert isinstance(index, ast.expr)
    return index


def rewrite(tree: ast.Module) -> ast.Module:
    """``tree`` (a module) with NumPy's array syntax made calls (see the module's docstring)."""
    _Rewriter().visit(tree)
    return ast.fix_missing_locations(tree)


def recompiled(function: Callable, namespace: dict, source: str | None = None) -> Callable:
    """``function`` compiled again from its rewritten source (``source``: the text of its
    file, for generated code; else read with :mod:`inspect`), at the same lines of the same
    file, with globals ``namespace``."""
    code = function.__code__
    if source is None:
        source = textwrap.dedent(inspect.getsource(function))
    else:
        first = code.co_firstlineno
        source = "".join(source.splitlines(True)[first - 1:])
    tree = ast.parse(source)
    ast.increment_lineno(tree, code.co_firstlineno - 1)  # (line 1: its first decorator)
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    definition.decorator_list = []
    made: dict[str, Any] = {}
    exec(compile(rewrite(tree), code.co_filename, "exec", dont_inherit=True),  # noqa: S102
         namespace, made)
    return rebound(function, namespace, made[definition.name].__code__)


def rebound(function: Callable, namespace: dict, code: Any = None) -> Callable:
    """A copy of ``function`` with globals ``namespace`` (and the code object ``code``, if
    given): its defaults, docstring and attributes kept."""
    copy = types.FunctionType(code or function.__code__, namespace, function.__name__,
                              function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__doc__ = function.__doc__
    copy.__dict__.update(function.__dict__)
    return copy


def helpers(f: Any) -> dict[str, Callable[..., Any]]:
    """The syntax helpers the rewritten code calls, for arrays of the facade ``f``'s library."""

    def array_item(value, index):
        if not isinstance(value, f.ndarray):
            return value[index]
        value, index = _reversed_slices_taken(f, value, library_index(f, value, index))
        if f.limited_indexing:
            value, index = _taken(f, value, index)
        numbers = [p for p in index if p is not Ellipsis]
        if all(isinstance(p, int) for p in numbers) and len(numbers) == value.ndim:
            # a number: a copy in NumPy (a view in the library)
            return f.xp.asarray(value[index], copy=True)
        return value[index]

    def array_store(value, index, new):
        if not isinstance(value, f.ndarray):
            value[index] = new
            return
        index = library_index(f, value, index)
        reversed_at = [i for i, p in enumerate(index) if _is_reversed(p)]
        if reversed_at:  # a[::-1] = v: the same positions in order, v reversed
            axes = _axes_of(value, index)
            parts = list(index)
            for i in reversed_at:
                step = index[i].step
                positions = range(*index[i].indices(value.shape[axes[i]]))
                parts[i] = slice(positions[-1], positions[0] + 1, -step) if positions \
                    else slice(0, 0)
            index = tuple(parts)
            new = f.flip(f.broadcast_to(f.lift(new, value.dtype), value[index].shape),
                         axis=tuple(_result_axes(value, index, reversed_at)))
        if any(p is None for p in index):  # (a write's index without new axes)
            shape = value[index].shape
            index = tuple(p for p in index if p is not None)
            new = f.reshape(f.broadcast_to(f.lift(new, value.dtype), shape),
                            value[index].shape)
        if f.limited_indexing and any(isinstance(p, f.ndarray) and (
                f.xp.isdtype(p.dtype, "integral") or len(index) > 1) for p in index):
            _store_at_positions(f, value, index, new)
            return
        value[index] = new

    def array_rows(value):
        if isinstance(value, f.ndarray):  # (iterating an array: its rows, as NumPy's does)
            return [value[i, ...] for i in range(value.shape[0])]
        return value

    def array_method(value, name):
        if isinstance(value, f.ndarray):
            return functools.partial(METHODS[name], f, value)
        return getattr(value, name)

    def array_attribute(value, name):
        if isinstance(value, f.ndarray) and name in ATTRIBUTES:
            return ATTRIBUTES[name](f, value)
        if name in DTYPE_ATTRIBUTES and f.is_dtype(value):
            return DTYPE_ATTRIBUTES[name](f, value)
        return getattr(value, name)

    return {"_array_item": array_item, "_array_store": array_store,
            "_array_method": array_method, "_array_rows": array_rows, "_array_attribute": array_attribute}


def library_index(f: Any, value: Any, index: Any) -> Any:
    """``index`` as one the library takes for ``value``: index arrays (NumPy's, lists of
    numbers) of the library, and a trailing ``...`` where an axis is not indexed."""
    parts = list(index) if isinstance(index, tuple) else [index]
    for i, part in enumerate(parts):
        if isinstance(part, (np.ndarray, list)):
            parts[i] = f.lift(np.asarray(part))
        elif isinstance(part, np.generic):  # a NumPy number: the Python number
            parts[i] = part.item()
        if isinstance(parts[i], bool) or isinstance(parts[i], f.ndarray) and \
                parts[i].ndim == 0 and f.xp.isdtype(parts[i].dtype, "bool") and bool(parts[i]):
            parts[i] = None if parts[i] else parts[i]  # x[..., True]: a new axis
    indexed = sum(p.ndim if isinstance(p, f.ndarray) and f.xp.isdtype(p.dtype, "bool") else
                  0 if p is None else 1 for p in parts)
    if indexed < value.ndim and not any(p is Ellipsis for p in parts):
        parts.append(Ellipsis)
    return tuple(parts)


def _integer_arrays(f: Any, index: tuple) -> list[int]:
    """The positions of integer index arrays in ``index``."""
    return [i for i, p in enumerate(index)
            if isinstance(p, f.ndarray) and f.xp.isdtype(p.dtype, "integral")]


def _taken(f: Any, value: Any, index: tuple) -> tuple[Any, tuple]:
    """For a library that indexes with integer arrays only beside integers, and with a mask
    only alone (array-api-strict): ``value`` with the one integer index array of ``index`` (or
    the positions a one-axis mask picks) applied by ``take`` (its shape in place of that axis),
    and ``index`` with whole slices there. Several are refused."""
    others = [p for p in index if p is not Ellipsis]
    if len(others) > 1:  # a mask beside other indices: the positions it picks
        index = tuple(f.xp.nonzero(p)[0] if isinstance(p, f.ndarray) and p.ndim == 1 and
                      f.xp.isdtype(p.dtype, "bool") else p for p in index)
    found = _integer_arrays(f, index)
    if not found:
        return value, index
    if len(found) > 1:
        raise f.missing("indexing with several integer arrays")
    i = found[0]
    axis = _axes_of(value, index)[i]
    assert axis is not None
    positions = index[i]
    flat = f.xp.reshape(positions, (-1,))
    flat = f.xp.where(flat < 0, flat + value.shape[axis], flat)
    taken = f.xp.take(value, flat, axis=axis)
    shape = tuple(value.shape[:axis]) + tuple(positions.shape) + tuple(value.shape[axis + 1:])
    wholes = (slice(None),) * positions.ndim
    return f.xp.reshape(taken, shape), index[:i] + wholes + index[i + 1:]


def _store_at_positions(f: Any, value: Any, index: tuple, new: Any) -> None:
    """``value[index] = new`` for one integer index array or one-axis mask in ``index`` (whole
    slices elsewhere), for a library without such writes: position by position along that axis
    (the last of a repeated one kept, as in NumPy)."""
    xp = f.xp
    if len(index) > 1:
        index = tuple(xp.nonzero(p)[0] if isinstance(p, f.ndarray) and p.ndim == 1 and
                      xp.isdtype(p.dtype, "bool") else p for p in index)
    found = _integer_arrays(f, index)
    rest = [p for j, p in enumerate(index) if j not in found]
    if len(found) != 1 or index[found[0]].ndim != 1 or \
            any(p is not Ellipsis and not (isinstance(p, slice) and p == slice(None))
                for p in rest):
        raise f.missing("writing through an index array beside other indices")
    axis = _axes_of(value, index)[found[0]]
    assert axis is not None
    positions = index[found[0]]
    shape = list(value.shape)
    shape[axis] = positions.shape[0]
    values = xp.broadcast_to(f.lift(new, value.dtype), tuple(shape))
    before = (slice(None),) * axis
    for j in range(positions.shape[0]):
        value[before + (int(positions[j]), Ellipsis)] = values[before + (j, Ellipsis)]


def _axes_of(value: Any, index: tuple) -> list[int | None]:
    """The axis of ``value`` each part of ``index`` (with one ``...``) applies to (None for
    ``None`` and ``...``)."""
    consumed = sum(1 for p in index if p is not None and p is not Ellipsis)
    axes: list[int | None] = []
    axis = 0
    for part in index:
        if part is None or part is Ellipsis:
            axes.append(None)
            axis += value.ndim - consumed if part is Ellipsis else 0
            continue
        axes.append(axis)
        axis += part.ndim if getattr(part, "dtype", None) is not None and \
            str(part.dtype).endswith("bool") else 1
    return axes


def _is_reversed(part: Any) -> bool:
    return isinstance(part, slice) and part.step is not None and part.step < 0


def _result_axes(value: Any, index: tuple, which: list[int]) -> list[int]:
    """The axes of ``value[index]`` (a basic index) that the parts ``which`` of ``index`` (slices)
    make."""
    consumed = sum(1 for p in index if p is not None and p is not Ellipsis)
    found, axis = [], 0
    for i, part in enumerate(index):
        if i in which:
            found.append(axis)
        if part is Ellipsis:
            axis += value.ndim - consumed
        elif part is None or isinstance(part, slice):
            axis += 1
    return found


def _reversed_slices_taken(f: Any, value: Any, index: tuple) -> tuple[Any, tuple]:
    """``value`` with the axes that ``index`` slices with a negative step taken in that order
    (``take``), and ``index`` with those slices made whole; ``(value, index)`` where none."""
    if not any(_is_reversed(p) for p in index):
        return value, index
    parts = list(index)
    for i, (part, axis) in enumerate(zip(index, _axes_of(value, index))):
        if _is_reversed(part):
            positions = np.arange(*part.indices(value.shape[axis]))
            value = f.xp.take(value, f.lift(positions), axis=axis)
            parts[i] = slice(None)
    return value, tuple(parts)
