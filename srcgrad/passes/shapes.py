"""What each value's shape is, as far as it is fixed before the code runs.

A gradient is specialised on its arguments' shapes at call time (see :mod:`srcgrad.api`).
With them known, most values in a NumPy program have a shape fixed before it runs: an
elementwise result has the broadcast shape of its operands, a product ``(n, k) @ (k, m)`` is
``(n, m)``, ``x[0:hs]`` has ``hs`` rows when ``hs = x.shape[1]`` is known, ``np.zeros((B, H))``
has ``(B, H)``. Without them (the version for any shapes), values still fall into classes of
equal shape: ``y = np.tanh(x) * 2.0`` is shaped like ``x``, so is ``np.zeros_like(x)``. The
backward pass then needs no run-time ``unbroadcast`` where shapes are equal and sums over named
axes where they differ, as a person writes it.

One lattice (:data:`Shape`) says what is known of a value; one fixed point over the statements
finds it for every variable, values carried around loops starting optimistically (a value is
assumed to keep its shape until a statement shows otherwise). What primitives do to shapes is
declared by their rules (:class:`srcgrad.rules.registry.Rule`): ``elementwise``, ``reduction``,
``shape_of`` (evaluated on zero-strided placeholder arrays of the operands' shapes, which cost no
memory), ``shape_arg``/``shape_like`` (a new array of a given shape), ``shape_query``
(``len(x)``, ``np.shape(x)``), ``selects`` and ``concatenates`` (lists).
"""

from __future__ import annotations

import builtins
import warnings
from dataclasses import dataclass
from typing import Any

import gast
import numpy as np

from ..ir import Op, atom_names, op_of, walk, walk_statements
from ..rules.operators import attribute_key
from ..rules.registry import ANY_INT, Rule, lookup

# -- the lattice ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    """Nothing is known of the value's shape (it may change, or depend on values)."""


@dataclass(frozen=True)
class Scalar:
    """A Python or NumPy number (shape ``()``; its adjoint is a number too)."""


@dataclass(frozen=True)
class ShapeClass:
    """The shape of every value of the class, not known here: the shape ``name`` was passed
    with (a parameter), or (``parameter`` false) that of the one value assigned to ``name``."""

    name: str
    parameter: bool = True


@dataclass(frozen=True)
class ListOf:
    """A Python list whose items all have one concrete shape (``element``), as ``s2 = []``
    followed by ``s2.append(h)`` in a loop builds: an item read from it (``s[i]``) has that
    shape."""

    element: Any


UNKNOWN = Unknown()
SCALAR = Scalar()

#: What is known of a value's shape: :data:`UNKNOWN`, :data:`SCALAR`, a :class:`ShapeClass`,
#: a concrete shape (a tuple of ints) or a :class:`ListOf`.
Shape = Unknown | Scalar | ShapeClass | tuple | ListOf

#: Not computed yet: the optimistic start for values carried around loops.
_PENDING = object()

#: The element shape of a list that has none (``[]``): any shape its later items have.
_NO_ITEMS = object()


@dataclass(frozen=True)
class _ShapeOf:
    """The value ``x.shape`` of an array whose shape is not known here: that of ``of`` (a
    :class:`ShapeClass`), or of no class (None)."""

    of: ShapeClass | None


class _Unknown(Exception):
    """A value or shape this analysis cannot know before the code runs."""


_ZERO = np.zeros(())


class _UnknownArray:
    """An operand whose shape is not known: NumPy refuses it, so a shape function only
    succeeds if it does not need it (``np.reshape(a, (2, 3))``)."""

    def __array__(self, *args, **kwargs):
        raise TypeError("an array of unknown shape")


_UNKNOWN_ARRAY = _UnknownArray()


def _placeholder(shape: tuple) -> np.ndarray:
    """An array of ``shape`` that holds no memory (every element is the same zero)."""
    return np.broadcast_to(_ZERO, shape)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or value is ANY_INT


def _join(shapes: list):
    """One shape standing for all of ``shapes`` (UNKNOWN: they differ)."""
    if all(isinstance(s, ListOf) for s in shapes):
        elements = [s.element for s in shapes if s.element is not _NO_ITEMS]
        if not elements:
            return ListOf(_NO_ITEMS)
        same = all(e == elements[0] for e in elements) and isinstance(elements[0], tuple)
        return ListOf(elements[0]) if same else UNKNOWN
    return shapes[0] if all(s == shapes[0] for s in shapes) else UNKNOWN


def _broadcast_class(shapes: list):
    """The shape of an elementwise result of operands whose shapes are not all concrete: a
    number or a 0-d array leaves the other operands' shape as it is."""
    others = {s for s in shapes if s is not SCALAR and s != ()}
    if not others:
        return SCALAR
    if len(others) == 1 and isinstance(next(iter(others)), ShapeClass):
        return others.pop()
    raise _Unknown


# -- the analysis ------------------------------------------------------------------------------


class _Analysis:
    def __init__(self, fdef: gast.FunctionDef, arg_shapes: dict[str, tuple],
                 scalars: set[str] | frozenset[str]):
        self.shapes: dict[str, Any] = {}   # var -> a Shape, or _PENDING
        self.values: dict[str, Any] = {}   # var -> its value, for ints and shapes
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
        self.own: dict[str, Shape] = {
            p: SCALAR if p in scalars else arg_shapes[p] if p in arg_shapes else ShapeClass(p)
            for p in params}
        for var in params + list(self.defs):  # in program order: few rounds to settle
            self.shapes[var] = _PENDING
        self.reads: dict[int, tuple] = {}  # per statement: the names its value reads
        self.memo: dict[tuple, tuple] = {}  # (statement, var) -> (what it read, its shape)
        self.statement = None  # the statement being worked out
        self.conflicts: dict[int, tuple] = {}  # id -> (statement, why its operands clash)

    def run(self) -> dict[str, Shape]:
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
        return {v: s for v, s in self.shapes.items() if s is not _PENDING and s is not UNKNOWN}

    # -- one definition ------------------------------------------------------------------

    def define(self, stmt, var: str):
        """The shape ``stmt`` gives ``var`` (recording its value, if it is an integer or a
        shape); worked out again only when what it reads has changed."""
        if stmt is None:
            return UNKNOWN
        if isinstance(stmt, gast.For):  # loops run over range(): the counter is an int
            self.values[var] = ANY_INT
            return SCALAR
        reads = self.reads.get(id(stmt))
        if reads is None:
            reads = self.reads[id(stmt)] = tuple(sorted(atom_names(stmt.value)))
        seen = tuple((self.shapes.get(n), self.values.get(n)) for n in reads)
        memo = self.memo.get((id(stmt), var))
        if memo is not None and memo[0] == seen:
            return memo[1]
        self.statement = stmt
        value = stmt.value
        if isinstance(value, gast.Constant) and value.value is None:
            shape = _PENDING  # the placeholder of a maybe-unbound variable: read only if set
        elif any(self.shapes.get(n) is _PENDING for n in reads):
            shape = _PENDING  # computed once what it reads is
        else:
            try:
                shape = self._define(stmt, var)
            except _Unknown:
                shape = None
            if shape is None:  # not known: a class of its own, if nothing else is assigned
                shape = ShapeClass(var, parameter=False) if len(self.defs[var]) == 1 and \
                    var not in self.own else UNKNOWN
        self.memo[(id(stmt), var)] = (seen, shape)
        return shape

    def _define(self, stmt, var: str):
        op = op_of(stmt)
        rule = op.rule
        if op.kind == "copy":
            self.note_value(var, op.bound["x"])
            return self.atom_shape(op.bound["x"])
        if op.kind == "nondiff" and op.what == "shape":  # x.shape[0], 2 * H, len(xs)
            return self.shape_value(var, self.value(stmt.value))
        if op.kind == "tuple" and isinstance(stmt.value, gast.List):
            return self.list_of(stmt.value)
        if op.kind == "opaque" and getattr(op.bound.get("callable"), "__module__",
                                           None) == "math":
            return SCALAR  # math.log(...): a Python number
        if rule is None:
            return None
        if rule.repeats:  # [h] * n: a list of h's shape (or one not known)
            return next((s for s in map(self.atom_shape, op.bound.values())
                         if isinstance(s, ListOf)), UNKNOWN)
        if rule.concatenates:  # (two lists, both of some class: a longer list of none)
            parts = [self.atom_shape(op.bound["x1"]), self.atom_shape(op.bound["x2"])]
            return _join(parts) if all(isinstance(p, ListOf) for p in parts) else None
        if rule.selects and isinstance(self.atom_shape(op.bound["x"]), ListOf):
            return self.list_item(op)
        if rule.reduction and op.static.get("axis") is None and \
                not op.static.get("keepdims"):
            return SCALAR  # np.sum(x): a number
        if rule.elementwise:
            return self.broadcast(op)
        if rule.shape_query and not rule.syntax:  # (x.shape: see value())
            return self.shape_value(var, self.query(rule, op.bound))
        if rule.shape_arg is not None or rule.shape_like is not None:
            return self.created(rule, op)
        if rule.shape_of is not None:
            return self.evaluate(op)
        return None

    def shape_value(self, var: str, value):
        """Record ``var``'s value (an integer or a shape): an integer is a number."""
        self.note(var, value)
        return SCALAR if _is_int(value) else None

    def note_value(self, var: str, atom) -> None:
        try:
            value = self.value(atom)
        except _Unknown:
            return
        if _is_int(value) or isinstance(value, _ShapeOf) or \
                isinstance(value, tuple) and all(_is_int(n) for n in value):
            self.note(var, value)

    def note(self, var: str, value) -> None:
        """Record ``var``'s value; of a variable assigned more than once (``k = k + 1`` in a
        loop), only that it is an integer."""
        if len(self.defs.get(var, ())) > 1:
            if not _is_int(value):
                self.values.pop(var, None)
                return
            value = ANY_INT
        self.values[var] = value

    def list_of(self, node: gast.List):
        items = [self.array_shape(self.atom_shape(e)) for e in node.elts]
        if not all(isinstance(s, tuple) for s in items):
            return UNKNOWN
        return _join([ListOf(s) for s in items]) if items else ListOf(_NO_ITEMS)

    def list_item(self, op: Op):
        """``s[i]`` of a list whose items have one shape: that shape (``s[a:b]``: the list)."""
        listed = self.atom_shape(op.bound["x"])
        index = self.value(op.bound["index"])
        if isinstance(index, slice):
            return listed
        if listed.element is _NO_ITEMS:
            return _PENDING  # known once an item is added
        if _is_int(index) and isinstance(listed.element, tuple):
            return listed.element
        return UNKNOWN

    def broadcast(self, op: Op):
        shapes = []
        for atom in op.bound.values():
            if isinstance(atom, gast.Constant) and not isinstance(atom.value, (int, float,
                                                                               complex)):
                continue  # None, a string: not an operand
            shapes.append(self.atom_shape(atom))
        if all(s is SCALAR for s in shapes):
            return SCALAR
        concrete = [self.array_shape(s) for s in shapes]
        if not all(isinstance(s, tuple) for s in concrete):
            return _broadcast_class(shapes)
        try:
            return np.broadcast_shapes(*concrete)
        except ValueError as exc:
            self.conflicts[id(self.statement)] = (self.statement, str(exc))
            raise _Unknown from None  # (the forward pass raises it)

    def query(self, rule: Rule, bound: dict):
        """The value of ``len(x)``, ``np.shape(x)`` (a rule with ``shape_query``): from x's
        shape where known; where not, an integer (:data:`ANY_INT`) or the shape of x's
        class, as the query gives one or the other."""
        atom, *rest = bound.values()
        options = [self.value(a) for a in rest]  # np.size(x, axis)
        shape = self.array_shape(self.atom_shape(atom))
        if isinstance(shape, tuple):
            return self.call(rule.callable, _placeholder(shape), *options)
        try:  # what kind of value the query gives does not depend on the shape
            probe = rule.callable(_placeholder((1,)))
        except Exception:  # noqa: BLE001 - (a query that needs more than a shape)
            raise _Unknown from None
        if _is_int(probe):
            return ANY_INT
        if isinstance(probe, tuple):
            return _ShapeOf(shape if isinstance(shape, ShapeClass) else None)
        raise _Unknown

    def created(self, rule: Rule, op: Op):
        """A new array whose shape a shape argument gives (``np.zeros((B, H))``), or else
        that of an array argument (``np.zeros_like(x)``)."""
        given = op.bound.get(rule.shape_arg) if rule.shape_arg is not None else None
        if given is not None and not (isinstance(given, gast.Constant) and given.value is None):
            value = self.value(given)
            if isinstance(value, _ShapeOf):
                if value.of is None:
                    raise _Unknown
                return value.of
            if _is_int(value):
                value = (value,)
            if not isinstance(value, tuple) or not all(isinstance(n, int) for n in value):
                raise _Unknown
            return tuple(value)
        like = op.bound.get(rule.shape_like) if rule.shape_like is not None else None
        if like is None:
            raise _Unknown
        shape = self.array_shape(self.atom_shape(like))
        if not isinstance(shape, (tuple, ShapeClass)):
            raise _Unknown  # (of a list: an array of its items)
        return shape

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
            leading = []  # positional-only parameters (np.cumulative_sum(x, /, ...)) by position
            for p in params:
                if p.kind != p.POSITIONAL_ONLY or p.name not in arguments:
                    break
                leading.append(arguments.pop(p.name))
            bound = op.rule.signature.bind_partial(*leading, **arguments)
            positional, keywords = list(bound.args), bound.kwargs
        result = self.call(op.rule.shape_of, *positional, **keywords)
        if not isinstance(result, (np.ndarray, np.generic, float, int, complex)):
            raise _Unknown
        return tuple(int(n) for n in np.shape(result))

    def call(self, function, *positional, **keywords):
        """``function`` called on placeholders; a failure means the shape is not known here
        (and, where every operand was known, that the forward pass fails too)."""
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                return function(*positional, **keywords)
            except Exception as exc:  # noqa: BLE001 - any failure means: not known here
                if _all_known((positional, keywords)):
                    self.conflicts[id(self.statement)] = (self.statement, str(exc))
                raise _Unknown from None

    # -- atoms -------------------------------------------------------------------------

    @staticmethod
    def array_shape(shape):
        """A number's shape as an array's: ``()``."""
        return () if shape is SCALAR else shape

    def atom_shape(self, atom):
        if isinstance(atom, gast.List):
            return self.list_of(atom)
        if isinstance(atom, gast.Constant):
            if isinstance(atom.value, (int, float, complex)):
                return SCALAR
            raise _Unknown
        if isinstance(atom, gast.Name):
            shape = self.shapes.get(atom.id, UNKNOWN)
            if shape is UNKNOWN:
                raise _Unknown
            return shape
        if _is_int(self.value(atom)):  # x.shape[0], 2 * H: an int
            return SCALAR
        raise _Unknown

    def operand(self, atom):
        """What a shape function is given for ``atom``: a placeholder for an array, the value
        of a literal or a known integer, a tuple of those for a tuple."""
        if isinstance(atom, gast.Tuple):
            return tuple(self.operand(e) for e in atom.elts)
        if isinstance(atom, gast.List):  # (as an index, a list picks elements)
            return [self.operand(e) for e in atom.elts]
        if isinstance(atom, gast.Name):
            value = self.values.get(atom.id)
            if value is not None:
                return _UNKNOWN_ARRAY if isinstance(value, _ShapeOf) else value
            shape = self.array_shape(self.shapes.get(atom.id))
            return _placeholder(shape) if isinstance(shape, tuple) else _UNKNOWN_ARRAY
        return self.value(atom)

    def value(self, node):
        """The Python value of a literal or shape expression (``x.shape[1]``, ``2 * H``,
        ``0:hs``); :data:`ANY_INT` for an integer whose value is not known here, a
        :class:`_ShapeOf` for a shape that is not."""
        if isinstance(node, gast.Constant):
            return node.value
        if isinstance(node, gast.Name):
            value = self.values.get(node.id)
            if value is None:
                raise _Unknown
            return value
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name):
            if node.value.id in self.values:
                raise _Unknown
            shape = self.array_shape(self.shapes.get(node.value.id))
            rule = lookup(attribute_key(node.attr))
            query = None if rule is None else rule.shape_query
            if query == "shape":
                if isinstance(shape, tuple):
                    return shape
                return _ShapeOf(shape if isinstance(shape, ShapeClass) else None)
            if query in ("ndim", "size"):
                if not isinstance(shape, tuple):
                    return ANY_INT
                return len(shape) if query == "ndim" else int(np.prod(shape))
            raise _Unknown
        if isinstance(node, gast.Subscript):
            base = self.value(node.value)
            position = self.value(node.slice)
            if isinstance(position, slice) or not _is_int(position):
                if isinstance(base, tuple) and isinstance(position, slice):
                    return base[position]
                raise _Unknown
            if isinstance(base, _ShapeOf) or position is ANY_INT:
                return ANY_INT  # a length
            if not isinstance(base, tuple):
                raise _Unknown
            try:
                return base[position]
            except IndexError:
                raise _Unknown from None
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                len(node.args) == 1 and not node.keywords:  # len(xs): normalize checked it
            rule = lookup(getattr(builtins, node.func.id, None))
            if rule is None or not rule.shape_query:
                raise _Unknown
            return self.query(rule, {"x": node.args[0]})
        if isinstance(node, gast.BinOp) and type(node.op) in _INT_OPS:
            left, right = self.value(node.left), self.value(node.right)
            if left is ANY_INT and _is_int(right) or right is ANY_INT and _is_int(left):
                return ANY_INT
            if not all(isinstance(v, int) for v in (left, right)):
                raise _Unknown
            try:
                return _INT_OPS[type(node.op)](left, right)
            except ZeroDivisionError:
                raise _Unknown from None
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            inner = self.value(node.operand)
            if not _is_int(inner):
                raise _Unknown
            return ANY_INT if inner is ANY_INT else -inner
        if isinstance(node, gast.Slice):  # a slice's length depends on its bounds' values
            parts = [None if p is None else self.value(p) for p in (node.lower, node.upper,
                                                                    node.step)]
            if any(p is ANY_INT or isinstance(p, _ShapeOf) for p in parts):
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


# -- entry points ------------------------------------------------------------------------------


def infer_shapes(fdef: gast.FunctionDef, arg_shapes: dict[str, tuple] | None = None,
                 scalars: set[str] | frozenset[str] = frozenset()) -> dict[str, Shape]:
    """What is known of the shape of each variable of the normalized ``fdef``, whatever the
    arguments' values: ``arg_shapes`` gives the shapes of the parameters passed arrays (where
    the code is made for those shapes), ``scalars`` the parameters passed numbers. Variables
    of which nothing is known (:data:`UNKNOWN`) are left out."""
    return _Analysis(fdef, arg_shapes or {}, scalars).run()


def shape_conflicts(fdef: gast.FunctionDef, arg_shapes: dict[str, tuple]) -> list[tuple]:
    """The statements of ``fdef`` that fail for arguments of these shapes, whatever their
    values (``x @ y`` with shapes (2, 3) and (4, 5)): (statement, why) pairs."""
    analysis = _Analysis(fdef, arg_shapes, frozenset())
    analysis.run()
    analysis.memo.clear()  # once more with the final shapes: what still clashes
    analysis.conflicts.clear()
    for var in analysis.shapes:
        for stmt in analysis.defs.get(var, []):
            analysis.define(stmt, var)
    return list(analysis.conflicts.values())
