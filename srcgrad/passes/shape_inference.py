"""The concrete shape of every value, given the shapes of the arguments a call passed.

A gradient is specialised on its arguments' shapes at call time (see :mod:`srcgrad.api`).
With them known, most values in a NumPy program have a shape fixed before it runs: an
elementwise result has the broadcast shape of its operands, a product ``(n, k) @ (k, m)`` is
``(n, m)``, ``x[0:hs]`` has ``hs`` rows when ``hs = x.shape[1]`` is known. The backward pass
then needs no run-time ``unbroadcast`` where shapes are equal and sums over named axes where
they differ, as a person writes it.

A rule says how to find its result's shape (:attr:`srcgrad.rules.registry.Rule.shape`): it is
evaluated on zero-strided placeholder arrays of the operands' shapes, which cost no memory.
Only rules whose result's shape depends on the operands' shapes and literal arguments alone say
so; any other value, a value assigned differently shaped values (a loop that grows an array),
and anything depending on values not known here, has no concrete shape (``None``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import gast
import numpy as np

from ..ir import Op, atom_names, facts, op_of, walk, walk_statements
from ..rules.registry import ANY_INT

#: A shape not computed yet (the optimistic start for values carried around loops).
_PENDING = object()



class _Unknown(Exception):
    """A value or shape this analysis cannot know before the code runs."""


_ZERO = np.zeros(())


class _UnknownArray:
    """An operand whose shape is not known: NumPy refuses it, so a shape function only
    succeeds if it does not need it (``np.reshape(a, (2, 3))``)."""

    def __array__(self, *args, **kwargs):
        raise TypeError("an array of unknown shape")


_UNKNOWN_ARRAY = _UnknownArray()

#: The element shape of a list that has none (``[]``): any shape its later items have.
_NO_ITEMS = object()


@dataclass(frozen=True)
class ListOf:
    """A Python list whose items all have one shape (``element``), as ``s2 = []`` followed by
    ``s2.append(h)`` in a loop builds: an item read from it (``s[i]``) has that shape."""

    element: Any


def _join(shapes: list):
    """One shape standing for all of ``shapes`` (None: they differ, or are not known)."""
    if all(isinstance(s, ListOf) for s in shapes):
        elements = [s.element for s in shapes if s.element is not _NO_ITEMS]
        if not elements:
            return ListOf(_NO_ITEMS)
        same = all(e == elements[0] for e in elements) and isinstance(elements[0], tuple)
        return ListOf(elements[0]) if same else None
    return shapes[0] if all(s == shapes[0] for s in shapes) else None


def _placeholder(shape: tuple) -> np.ndarray:
    """An array of ``shape`` that holds no memory (every element is the same zero)."""
    return np.broadcast_to(_ZERO, shape)


class _Inference:
    def __init__(self, fdef: gast.FunctionDef, arg_shapes: dict[str, tuple]):
        self.shapes: dict[str, Any] = {}   # var -> tuple, None (unknown) or _PENDING
        self.ints: dict[str, Any] = {}     # var -> int or ANY_INT, for integer values
        params = [a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
        self.defs: dict[str, list] = {}
        for stmt in walk_statements(fdef.body):
            if isinstance(stmt, gast.Assign) and not isinstance(stmt.targets[0],
                                                                 gast.Subscript):
                single = isinstance(stmt.targets[0], gast.Name)
                for target in (t.id for t in walk(stmt.targets[0])
                               if isinstance(t, gast.Name)):
                    self.defs.setdefault(target, []).append(stmt if single else None)
            elif isinstance(stmt, gast.For):
                self.defs.setdefault(stmt.target.id, []).append(stmt)
        self.own = {p: arg_shapes.get(p) for p in params}
        for var in params + list(self.defs):  # in program order: few rounds to settle
            self.shapes[var] = _PENDING
        self.reads: dict[int, tuple] = {}  # per statement: the names its value reads
        self.memo: dict[tuple, tuple] = {}  # (statement, var) -> (what it read, its shape)
        self.statement = None  # the statement being worked out
        self.conflicts: dict[int, tuple] = {}  # id -> (statement, why its operands clash)

    def run(self) -> dict[str, tuple | ListOf]:
        for _ in range(50):
            changed = False
            for var in self.shapes:
                found = [self.define(stmt, var) for stmt in self.defs.get(var, [])]
                if var in self.own:
                    found.append(self.own[var])
                known = [s for s in found if s is not _PENDING]
                old = self.shapes[var]
                if old is not _PENDING:
                    known.append(old)  # values only go from pending to a shape to unknown
                new = _PENDING if not known else _join(known)
                if new is not old and new != old:
                    self.shapes[var] = new
                    changed = True
            if not changed:
                break
        return {v: s for v, s in self.shapes.items() if isinstance(s, (tuple, ListOf))}

    # -- one definition ------------------------------------------------------------------

    def define(self, stmt, var: str):
        """The shape ``stmt`` gives ``var`` (recording its integer value, if it has one);
        worked out again only when what it reads has changed."""
        if stmt is None:
            return None
        if isinstance(stmt, gast.For):  # loops run over range(): the counter is an int
            self.ints[var] = ANY_INT
            return ()
        reads = self.reads.get(id(stmt))
        if reads is None:
            reads = self.reads[id(stmt)] = tuple(sorted(atom_names(stmt.value)))
        seen = tuple((self.shapes.get(n), self.ints.get(n)) for n in reads)
        memo = self.memo.get((id(stmt), var))
        if memo is not None and memo[0] == seen:
            return memo[1]
        self.statement = stmt
        shape = self._define(stmt, var, reads)
        self.memo[(id(stmt), var)] = (seen, shape)
        return shape

    def _define(self, stmt, var: str, reads: tuple):
        value = stmt.value
        if isinstance(value, gast.Constant) and value.value is None:
            return _PENDING  # the placeholder of a maybe-unbound variable: read only if set
        if any(self.shapes.get(n) is _PENDING for n in reads):
            return _PENDING  # computed once what it reads is
        op = op_of(stmt)
        try:
            if op.kind == "copy":
                self.note_int(var, op.bound["x"])
                return self.atom_shape(op.bound["x"])
            if op.kind == "nondiff" and op.what == "shape":
                number = self.value(value)
                if not isinstance(number, int) and number is not ANY_INT:
                    return None
                self.ints[var] = number
                return ()
            if op.kind == "tuple" and isinstance(value, gast.List):
                return self.list_of(value)
            if op.kind == "rule" and op.rule is not None and op.rule.key == "list +":
                return _join([self.atom_shape(op.bound["x1"]), self.atom_shape(op.bound["x2"])])
            if op.kind == "rule" and op.rule is not None and op.rule.key == "getitem" and \
                    isinstance(self.atom_shape(op.bound["x"]), ListOf):
                return self.list_item(op)
            if op.kind == "rule" and op.rule is not None and op.rule.elementwise:
                return self.broadcast(op)
            if op.kind == "rule" and op.rule is not None and op.rule.shape_of is not None:
                return self.evaluate(op)
            if op.kind == "opaque" and getattr(op.bound.get("callable"), "__module__",
                                               None) == "math":
                return ()  # math.log(...): a Python number
        except _Unknown:
            return None
        return None

    def note_int(self, var: str, atom) -> None:
        try:
            number = self.value(atom)
        except _Unknown:
            return
        if isinstance(number, int) and not isinstance(number, bool) or number is ANY_INT:
            self.ints[var] = number

    def list_of(self, node: gast.List):
        items = [self.atom_shape(e) for e in node.elts]
        if not all(isinstance(s, tuple) for s in items):
            return None
        return _join([ListOf(s) for s in items]) if items else ListOf(_NO_ITEMS)

    def list_item(self, op: Op):
        """``s[i]`` of a list whose items have one shape: that shape (``s[a:b]``: the list)."""
        listed = self.atom_shape(op.bound["x"])
        index = self.value(op.bound["index"])
        if isinstance(index, slice):
            return listed
        if listed.element is _NO_ITEMS:
            return _PENDING  # known once an item is added
        if (isinstance(index, int) and not isinstance(index, bool) or index is ANY_INT) and \
                isinstance(listed.element, tuple):
            return listed.element
        return None

    def broadcast(self, op: Op):
        shapes = []
        for atom in op.bound.values():
            if isinstance(atom, gast.Constant) and not isinstance(atom.value, (int, float,
                                                                               complex)):
                continue  # None, a string: not an operand
            shapes.append(self.atom_shape(atom))
        if not all(isinstance(s, tuple) for s in shapes):
            raise _Unknown  # a list
        try:
            return np.broadcast_shapes(*shapes)
        except ValueError as exc:
            self.conflicts[id(self.statement)] = (self.statement, str(exc))
            raise _Unknown from None  # (the forward pass raises it)

    def evaluate(self, op: Op):
        """The rule's shape function on placeholders of the operands."""
        assert op.rule is not None and op.rule.shape_of is not None
        arguments = {}
        for param, atom in op.bound.items():
            arguments[param] = self.operand(atom)
        params = list(op.rule.signature.parameters.values())
        starred = [p for p in params if p.kind == p.VAR_POSITIONAL and p.name in arguments]
        if starred:  # np.einsum(subscripts, *operands): what comes before goes by position
            before = params[:params.index(starred[0])]
            if any(p.name not in arguments for p in before):
                raise _Unknown
            positional = [arguments.pop(p.name) for p in before]
            positional += list(arguments.pop(starred[0].name))
            keywords = arguments
        else:
            bound = op.rule.signature.bind_partial(**arguments)
            positional, keywords = list(bound.args), bound.kwargs
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                result = op.rule.shape_of(*positional, **keywords)
            except Exception as exc:  # noqa: BLE001 - any failure means: not known here
                if _all_known((positional, keywords)):  # the forward pass fails too
                    self.conflicts[id(self.statement)] = (self.statement, str(exc))
                raise _Unknown from None
        if not isinstance(result, (np.ndarray, np.generic, float, int, complex)):
            raise _Unknown
        return tuple(int(n) for n in np.shape(result))

    # -- atoms -------------------------------------------------------------------------

    def atom_shape(self, atom):
        if isinstance(atom, gast.List):
            return self.list_of(atom)
        if isinstance(atom, gast.Constant):
            if isinstance(atom.value, (int, float, complex)):
                return ()
            raise _Unknown
        if isinstance(atom, gast.Name):
            shape = self.shapes.get(atom.id)
            if shape is None:
                raise _Unknown
            return shape
        number = self.value(atom)  # x.shape[0], 2 * H: an int
        if isinstance(number, int) or number is ANY_INT:
            return ()
        raise _Unknown

    def operand(self, atom):
        """What a shape function is given for ``atom``: a placeholder for an array, the value
        of a literal or a known integer, a tuple of those for a tuple."""
        if isinstance(atom, gast.Tuple):
            return tuple(self.operand(e) for e in atom.elts)
        if isinstance(atom, gast.List):  # (as an index, a list picks elements)
            return [self.operand(e) for e in atom.elts]
        if isinstance(atom, gast.Name):
            number = self.ints.get(atom.id)
            if number is not None:
                return number
            shape = self.shapes.get(atom.id)
            return _placeholder(shape) if isinstance(shape, tuple) else _UNKNOWN_ARRAY
        return self.value(atom)

    def value(self, node):
        """The Python value of a literal or shape expression (``x.shape[1]``, ``2 * H``,
        ``0:hs``); :data:`ANY_INT` for an integer whose value is not known here."""
        if isinstance(node, gast.Constant):
            return node.value
        if isinstance(node, gast.Name):
            number = self.ints.get(node.id)
            if number is None:
                raise _Unknown
            return number
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name):
            shape = self.shapes.get(node.value.id)
            if not isinstance(shape, tuple) or node.value.id in self.ints:
                raise _Unknown
            if node.attr == "shape":
                return shape
            if node.attr == "ndim":
                return len(shape)
            if node.attr == "size":
                return int(np.prod(shape))
            raise _Unknown
        if isinstance(node, gast.Subscript):
            base = self.value(node.value)
            position = self.value(node.slice)
            if not isinstance(base, tuple) or position is ANY_INT:
                raise _Unknown
            try:
                return base[position]
            except (IndexError, TypeError):
                raise _Unknown from None
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.func.id == "len" and len(node.args) == 1 and \
                isinstance(node.args[0], gast.Name):
            shape = self.shapes.get(node.args[0].id)
            if not isinstance(shape, tuple) or not shape:
                raise _Unknown
            return shape[0]
        if isinstance(node, gast.BinOp) and type(node.op) in _INT_OPS:
            left, right = self.value(node.left), self.value(node.right)
            if left is ANY_INT or right is ANY_INT:
                return ANY_INT
            if not all(isinstance(v, int) for v in (left, right)):
                raise _Unknown
            try:
                return _INT_OPS[type(node.op)](left, right)
            except ZeroDivisionError:
                raise _Unknown from None
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            inner = self.value(node.operand)
            return ANY_INT if inner is ANY_INT else -inner
        if isinstance(node, gast.Slice):  # a slice's length depends on its bounds' values
            parts = [None if p is None else self.value(p) for p in (node.lower, node.upper,
                                                                    node.step)]
            if any(p is ANY_INT for p in parts):
                raise _Unknown
            return slice(*parts)
        if isinstance(node, gast.Tuple):
            return tuple(self.value(e) for e in node.elts)
        raise _Unknown


_INT_OPS = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
            gast.Mult: lambda a, b: a * b, gast.FloorDiv: lambda a, b: a // b}


def _all_known(value) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_all_known(v) for v in value)
    if isinstance(value, dict):
        return all(_all_known(v) for v in value.values())
    return value is not _UNKNOWN_ARRAY and value is not ANY_INT


def shape_conflicts(fdef: gast.FunctionDef, arg_shapes: dict[str, tuple]) -> list[tuple]:
    """The statements of ``fdef`` that fail for arguments of these shapes, whatever their
    values (``x @ y`` with shapes (2, 3) and (4, 5)): (statement, why) pairs."""
    inference = _Inference(fdef, arg_shapes)
    inference.run()
    inference.memo.clear()  # once more with the final shapes: what still clashes
    inference.conflicts.clear()
    for var in inference.shapes:
        for stmt in inference.defs.get(var, []):
            inference.define(stmt, var)
    return list(inference.conflicts.values())


def concrete_shapes(fdef: gast.FunctionDef, arg_shapes: dict[str, tuple]) -> dict[str, Any]:
    """The shape of each variable of the normalized ``fdef`` that the arguments' shapes
    (``arg_shapes``: parameter -> shape, for the parameters passed arrays) fix, whatever the
    arguments' values; a :class:`ListOf` for a list whose items share a shape. Variables
    missing from the result have no shape known here."""
    return _Inference(fdef, arg_shapes).run()
