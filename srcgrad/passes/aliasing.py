"""Memory that names share, and writes into it: the alias/effect pass.

NumPy code shares memory through views (``v = y.T``, ``row = y[i]``, ``a = b``, items of
lists) and changes it in place (``v *= 2``, ``v[0] = 1``, ``np.copyto(v, x)``). The backward
pass follows names, not memory: a write through ``v`` must also give every other name that sees
that memory and is read later its new value, as an operation the backward pass can follow.

Reads: the normalized function; each assignment's :class:`~srcgrad.ir.Op` (a rule says
with ``view_of`` whose memory its result may share), ``facts(stmt).inplace`` on assignments that change
their target's memory (``y += e`` computed as ``y = y + e``, ``lst.append``), and writes
``x[index] = v`` (``out=`` and effect calls are already such writes).
Writes: after each write whose memory another live name sees, statements that carry the change
to it: back into the names it was viewed from (``y[i] = row``, ``y = np.transpose(v)``), then
views made again (``v = y[:2]``) and copies (``b = a``); parameters whose arrays are written are
copied first, so the caller's arrays stay as they were. Where it cannot tell statically which
names see the written memory, it raises :class:`~srcgrad.errors.UnsupportedSyntaxError` naming
the line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import gast
import numpy as np

from .. import ir, runtime
from ..errors import UnsupportedSyntaxError
from ..ir import Op, Source, atom_names, bind_op, facts, name, op_of, static_value, walk_statements
from ..names import Namer
from ..rules import registry
from ..rules.operators import attribute_key
from ..rules.registry import DYNAMIC
from .codegen import expression_source
from .optimize import forget_reads, live_after_each, loop_body_live


@dataclass(frozen=True)
class Buffer:
    """Memory of its own: a new array or object (``site``: the statement that made it), a
    parameter's (``("param", p)``), an item of a parameter's container, or a global's."""

    site: Any
    old: bool = False  # made by an earlier iteration of a loop around


@dataclass(frozen=True)
class View:
    """A view of ``parent`` made by the statement ``stmt`` (``exact``: always a view)."""

    parent: Any
    stmt: Any
    exact: bool
    reads: tuple = ()  # (name, version) of the other names the statement read


@dataclass(frozen=True)
class Items:
    """A list, tuple or dict (a new object) holding ``items`` (None: not known), a dict's
    under ``keys``."""

    site: Any
    items: tuple | None
    old: bool = False
    keys: tuple | None = None
    #: Where ``items`` is not known: values it may hold (a list grown in a loop).
    held: frozenset = frozenset()


@dataclass(frozen=True)
class Mixed:
    """One of ``options``, or something that may share memory with them."""

    options: frozenset


@functools.lru_cache(maxsize=1 << 16)
def _roots(value) -> frozenset:
    """The memory a write through ``value`` changes. (Values are immutable: remembered, as
    the loops' fixed points ask again for the same ones.)"""
    if value is None:
        return frozenset()
    if isinstance(value, View):
        return _roots(value.parent)
    if isinstance(value, Mixed):
        return frozenset().union(*(_roots(v) for v in value.options))
    return frozenset({value})


@functools.lru_cache(maxsize=1 << 16)
def _seen(value) -> frozenset:
    """The memory whose changes ``value`` sees (a container: that of its items too)."""
    found = set(_roots(value))
    if isinstance(value, Items):
        found |= set().union(*(_seen(v) for v in (value.items or ()) + tuple(value.held)))
    for root in list(found):
        if isinstance(root, Items) and root.items is None:
            found.add(("items of", root.site))  # a parameter's container: its items unknown
    if isinstance(value, Mixed):
        found |= set().union(*(_seen(v) for v in value.options))
    return frozenset(found)


def _marks(root) -> set:
    """What a container whose items are not known holds, if ``root`` is one of its items."""
    if isinstance(root, Buffer) and isinstance(root.site, tuple) and root.site[0] == "item":
        return {root, ("items of", root.site[1])}
    return {root}


def _chain(value) -> list | None:
    """``[value, parent, ..., root]``, views of one array (each certainly a view, or maybe a
    copy), else None."""
    found = []
    while isinstance(value, View):
        found.append(value)
        value = value.parent
    if not isinstance(value, Buffer):
        return None
    return found + [value]


def _join(a, b):
    if a == b:
        return a
    if isinstance(a, Items) and isinstance(b, Items) and a.site == b.site and \
            a.keys == b.keys and not isinstance(a.site, tuple):
        # One list made at one place, holding other items on two paths (it grows in a loop):
        # its items are not known, but it holds some of those it may hold.
        return Items(a.site, None, a.old or b.old, a.keys, frozenset(_held_by(a) | _held_by(b)))
    options = set()
    for value in (a, b):
        if isinstance(value, Mixed):
            options |= value.options
        elif value is not None:
            options.add(value)
    return Mixed(frozenset(options))


def _held_by(value) -> set:
    """The values a list (an Items, or one of several) may hold; a value that is no list:
    itself."""
    if isinstance(value, Items):
        return {v for v in (value.items or ()) + tuple(value.held) if v is not None}
    if isinstance(value, Mixed):
        return set().union(*(_held_by(v) if isinstance(v, Items) else {v}
                             for v in value.options))
    return set() if value is None else {value}


@functools.lru_cache(maxsize=1 << 16)
def _aged(value, sites: frozenset):
    """``value`` as seen one iteration later: memory made in the loop is then an old one."""
    if isinstance(value, Buffer) and value.site in sites:
        return Buffer(value.site, True)
    if isinstance(value, Items):
        items = None if value.items is None else tuple(_aged(v, sites) for v in value.items)
        return Items(value.site, items, value.old or value.site in sites, value.keys,
                     frozenset(_aged(v, sites) for v in value.held))
    if isinstance(value, View):
        return View(_aged(value.parent, sites), value.stmt, value.exact, value.reads)
    if isinstance(value, Mixed):
        return Mixed(frozenset(_aged(v, sites) for v in value.options))
    return value


def _widened(value):
    """``value`` with every view replaced by what it is a view of (a value that may share
    their memory): a loop whose views differ from one iteration to the next (made with a
    counter that changes) then reaches its fixed point."""
    if isinstance(value, View):
        parent = _widened(value.parent)
        return parent if isinstance(parent, Mixed) else Mixed(frozenset({parent}))
    if isinstance(value, Items):
        items = None if value.items is None else tuple(_widened(v) for v in value.items)
        return Items(value.site, items, value.old, value.keys,
                     frozenset(_widened(v) for v in value.held))
    if isinstance(value, Mixed):
        options: set = set()
        for option in value.options:
            found = _widened(option)
            options |= found.options if isinstance(found, Mixed) else {found}
        return Mixed(frozenset(options))
    return value


#: Iterations of a loop's fixed point after which the views it keeps changing are widened
#: (see _widened): without, nested loops cost the product of their iterations.
WIDEN_AFTER = 6


def _lists(value):
    """The lists and tuples ``value`` may be (an Items, a Mixed of them, or None for none)."""
    if isinstance(value, Items):
        return value
    if isinstance(value, Mixed):
        found = [v for v in value.options if isinstance(v, Items)]
        return found[0] if len(found) == 1 else Mixed(frozenset(found)) if found else None
    return None


def _forget(state: dict, stale: set) -> None:
    """Drop names whose memory a write changed without giving them the new value (nothing
    reads them before they are assigned again): no later write may carry a change through
    them."""
    for n in stale:
        del state[n]


def _unnested(base, stmt):
    """``base`` (one of several values) with its options that are views made by ``stmt``
    replaced by their parents: ``x = x[:n]`` in a loop is a view of what ``x`` was before the
    loop, through some number of such views (a Mixed parent: writes through it are refused),
    not a chain that grows with every pass of the loop analysis."""
    if not isinstance(base, Mixed):
        return base
    options: set = set()
    for option in base.options:
        if isinstance(option, View) and option.stmt is stmt:
            option = option.parent
        options |= option.options if isinstance(option, Mixed) else {option}
    return Mixed(frozenset(options))


class _Refused(Exception):
    """A view whose writes cannot be carried back; becomes an error at the write's line."""


class _Aliasing:
    def __init__(self, fdef: gast.FunctionDef, source: Source, namer: Namer,
                 containers: set[str], scalars: set[str], arrays: set[str],
                 tape: str | None = None):
        self.source = source
        self.namer = namer
        self.params = [a.id for a in fdef.args.posonlyargs + fdef.args.args +
                       fdef.args.kwonlyargs]
        self.locals = set(self.params) | ir.assigned_in(fdef.body)
        self.containers = containers
        self.scalars = scalars
        self.arrays = arrays
        self.copied: set[str] = set()  # parameters whose arrays the function writes into
        self.versions: dict[str, int] = {}
        self.emit = True
        self.breaks: list[list] = []
        #: The tape of a gradient srcgrad generated (read back for hvp): what it holds is
        #: popped as it was pushed, so a write into an array it holds needs no carrying.
        self.tape = tape

    # -- values ------------------------------------------------------------------------------
    def start(self) -> dict:
        state: dict[str, Items | Buffer] = {}
        for p in self.params:
            if p in self.containers:
                state[p] = Items(("param", p), None)
            elif p not in self.scalars:
                state[p] = Buffer(("param", p))
        return state

    def is_number(self, atom) -> bool:
        """Whether ``atom`` is certainly a number: a constant, shape arithmetic kept as
        written (``len(x)``, ``x.shape[0]``), or a variable known to be one (a list times a
        number is Python's repetition, a float raising as it does)."""
        if isinstance(atom, gast.Name):
            return atom.id in self.scalars
        return not isinstance(atom, (gast.Tuple, gast.List, gast.Dict))

    def atom_value(self, atom, state):
        if isinstance(atom, gast.Name):
            if atom.id in self.locals:
                return state.get(atom.id)
            return Buffer(("global", atom.id))
        if isinstance(atom, (gast.Tuple, gast.List)):
            return Items(id(atom), tuple(self.atom_value(e, state) for e in atom.elts))
        return None

    def value_of(self, stmt, state):
        """The value ``stmt`` (a one-target assignment) gives its target."""
        op = op_of(stmt)
        target = stmt.targets[0].id
        if op.kind == "copy":
            return self.atom_value(op.bound["x"], state)
        if op.kind in ("tuple", "dict"):
            return Items(id(stmt), tuple(self.atom_value(e, state) for e in op.elements),
                         keys=tuple(op.static["keys"]) if op.kind == "dict" else None)
        if target in self.scalars:
            return None
        if op.kind == "opaque":
            seen = {self.atom_value(name(n), state) for n in atom_names(stmt.value)} - {None}
            return Mixed(frozenset(seen | {Buffer(id(stmt))})) if seen else Buffer(id(stmt))
        if op.kind != "rule":
            return Buffer(id(stmt))
        rule = op.rule
        if op.method is not None and isinstance(self.atom_value(
                next(iter(op.bound.values()), None), state), Items):
            raise self.source.error(  # (a list's x.copy() is not np.copy(x), an array)
                UnsupportedSyntaxError, stmt, f".{op.method}() of a list, tuple or dict: "
                f"srcgrad knows it as NumPy's {rule.name}, for arrays",
                "copy a list with list(x) or x[:]; make an array with np.asarray(x) first")
        if rule.selects:
            return self.item(stmt, op, state)
        if rule.concatenates:
            parts = [self.atom_value(op.bound[p], state) for p in ("x1", "x2")]
            if all(isinstance(p, Items) and p.items is not None for p in parts):
                return Items(id(stmt), parts[0].items + parts[1].items)
            return Mixed(frozenset(p for p in parts if p is not None) | {Buffer(id(stmt))})
        values = [self.atom_value(a, state) for a in op.bound.values()]
        repetition = registry.on_sequences(rule)
        if not rule.repeats and repetition is not None and repetition.repeats and \
                any(isinstance(v, Items) for v in values):
            others = [a for a, v in zip(op.bound.values(), values) if not isinstance(v, Items)]
            if all(self.is_number(a) for a in others):  # [h] * n: the repetition from now on
                facts(stmt).op = Op("rule", repetition, bound=op.bound, static={})
                rule = repetition
            elif not all(isinstance(a, gast.Name) and a.id in self.arrays for a in others):
                raise self.source.error(
                    UnsupportedSyntaxError, stmt, "this multiplies a list or tuple by a value "
                    "srcgrad cannot tell to be a count (Python repeats the list) or an array "
                    "(NumPy multiplies elementwise)", "write int(n) for a count, or "
                    "np.asarray(...) around the list for a product")
        if rule.repeats:  # (else NumPy's product of an array and a list: an array)
            part = next((v for v in values if isinstance(v, Items)), None)
            if part is None:
                return Mixed(frozenset(v for v in values if v is not None) | {Buffer(id(stmt))})
            return Items(id(stmt), None, held=frozenset(part.items or ()) | part.held)
        if rule.view_of is not None:
            base = self.atom_value(op.bound.get(rule.view_of), state)
            if base is None or isinstance(base, Items):  # a number, or a new array from a list
                return None if base is None else Buffer(id(stmt))
            return self.view(stmt, base, rule.always_view, op.bound.get(rule.view_of))
        if rule.returns_sequence:
            seen = {self.atom_value(a, state) for a in op.bound.values()} - {None}
            return Mixed(frozenset({View(v, stmt, False) for v in seen} | {Buffer(id(stmt))}))
        return Buffer(id(stmt))

    def item(self, stmt, op: Op, state):
        """``x[index]``: an item of a container, or a view (or copy) of an array."""
        base = self.atom_value(op.bound["x"], state)
        if isinstance(base, Items):
            index = op.static.get("index")
            if base.items is None:
                # A container parameter's items are memory of their own; an item of a list
                # grown in a loop is one of those it may hold.
                key = index if isinstance(index, (int, str)) else "*"
                if isinstance(index, slice) and base.held:
                    return Items(id(stmt), None, held=base.held)
                options = set(base.held)
                if not options or isinstance(base.site, tuple):
                    options.add(Buffer(("item", base.site, key)))
                return next(iter(options)) if len(options) == 1 else Mixed(frozenset(options))
            if base.keys is not None and index in base.keys:
                return base.items[base.keys.index(index)]
            if base.keys is None and isinstance(index, int) and \
                    -len(base.items) <= index < len(base.items):
                return base.items[index]
            if isinstance(index, slice) and base.keys is None:
                return Items(id(stmt), base.items[index])
            return Mixed(frozenset(v for v in base.items if v is not None)) or None
        if base is None:
            return None
        if op.static.get("basic_index") is not True:  # maybe fancy indexing: maybe a copy
            return self.view(stmt, base, False, op.bound["x"])
        # integers alone may pick a single number (a copy); a slice keeps an axis: a view
        index = op.bound["index"]
        whole = index.elts if isinstance(index, gast.Tuple) else [index]
        exact = any(isinstance(i, gast.Slice) or isinstance(i, gast.Constant) and
                    (i.value is None or i.value is Ellipsis) for i in whole)
        return self.view(stmt, base, exact, op.bound["x"])

    def view(self, stmt, base, exact: bool, operand):
        others = atom_names(stmt.value) - atom_names(operand)
        base = _unnested(base, stmt)
        return View(base, stmt, exact, tuple(sorted((n, self.versions.get(n, 0))
                                                    for n in others)))

    # -- statements ----------------------------------------------------------------------------
    def block(self, stmts: list, state: dict, live_out: set,
              exits: tuple[set, set] | None = None) -> tuple[list, dict]:
        """``stmts`` with the statements that carry their writes, and the state after them.
        ``live_out``: the names read after ``stmts``; ``exits``: those read where a ``break``
        and a ``continue`` of the loop around go."""
        out = []
        for stmt, live in zip(stmts, live_after_each(stmts, live_out, exits)):
            new, state = self.statement(stmt, state, live, exits)
            out.extend(new)
        return out, state

    def statement(self, stmt, state: dict, live: set,
                  exits: tuple[set, set] | None) -> tuple[list, dict]:
        if isinstance(stmt, (gast.For, gast.While)):
            return [stmt], self.loop(stmt, state, live)
        if isinstance(stmt, gast.If):
            then_body, then_state = self.block(stmt.body, dict(state), live, exits)
            else_body, else_state = self.block(stmt.orelse, dict(state), live, exits)
            if self.emit:
                stmt.body, stmt.orelse = then_body, else_body
            return [stmt], {v: _join(then_state.get(v), else_state.get(v))
                            for v in set(then_state) | set(else_state)}
        if isinstance(stmt, gast.Break):
            if self.breaks:
                self.breaks[-1].append(dict(state))
            return [stmt], state
        if not isinstance(stmt, gast.Assign):
            return [stmt], state
        if ir.is_write(stmt):
            before, after = self.write(stmt, stmt.targets[0].value.id, state, live,
                                       memory=True)
            return before + [stmt] + after, state
        if facts(stmt).inplace:
            target = stmt.targets[0].id
            old = state.get(target)
            lists = _lists(old)
            # lst.append(x), lst.pop(): the list object changes (not its items' memory)
            before, after = self.write(stmt, target, state, live, memory=False,
                                       value=lists or None)
            if isinstance(lists, Items):  # the same list, holding other items
                grown = self.regrown(lists, self.value_of(stmt, state), stmt)
                for n in [n for n, v in state.items() if v == old]:
                    state[n] = grown
            self.versions[target] = self.versions.get(target, 0) + 1
            return before + [stmt] + after, state
        targets = ir.targets_of(stmt)
        if isinstance(stmt.targets[0], gast.Name):
            state[targets[0]] = self.value_of(stmt, state)
        else:  # a, b = f(...): each may share memory with what f read
            seen = {self.atom_value(name(n), state) for n in atom_names(stmt.value)} - {None}
            for t in targets:
                state[t] = Mixed(frozenset(seen | {Buffer(id(stmt))})) if seen \
                    else Buffer(id(stmt))
        for t in targets:
            self.versions[t] = self.versions.get(t, 0) + 1
        return [stmt], state

    @staticmethod
    def regrown(old: Items, new, stmt) -> Items:
        """The list ``old`` after ``stmt`` changed it in place, ``new`` being what ``stmt``
        would make as a new list: the same list (its site) holding ``new``'s items; where
        those are not known, a list whose items are not, that may hold any of them (not the
        new list ``stmt`` stands for)."""
        if isinstance(new, Items) and new.items is not None:
            return Items(old.site, new.items, old.old, old.keys)
        return Items(old.site, None, old.old, old.keys,
                     frozenset(_held_by(new) - {Buffer(id(stmt))}))

    def loop(self, loop, state: dict, live: set) -> dict:
        sites = frozenset(id(s) for s in walk_statements(loop.body))
        body_live = loop_body_live(loop, live, drop=False)
        leaving = (set(live), body_live)  # (what is live after a break, a continue)
        if isinstance(loop, gast.For):
            state = dict(state, **{loop.target.id: None})
        head, emit = dict(state), self.emit
        self.emit = False
        for step in range(20):  # the state at the loop's start, over any number of iterations
            self.breaks.append([])
            self.next_iteration(loop)
            _, end = self.block(loop.body, dict(head), body_live, leaving)
            self.breaks.pop()
            new = {v: _join(head.get(v), _aged(end.get(v), sites)) for v in set(head) | set(end)}
            if step >= WIDEN_AFTER:  # (those the iterations keep changing)
                new = {v: _widened(value) if value != head.get(v) else value
                       for v, value in new.items()}
            if new == head:
                break
            head = new
        self.emit = emit
        self.breaks.append([])
        self.next_iteration(loop)
        body, end = self.block(loop.body, dict(head), body_live, leaving)
        exits = self.breaks.pop()
        if self.emit:
            loop.body = body
        after = dict(head)
        for other in [end] + exits:
            after = {v: _join(after.get(v), other.get(v)) for v in set(after) | set(other)}
        return after

    def next_iteration(self, loop) -> None:
        """A loop's counter has a new value: views made with the old one are other views.
        (Versions only ever grow, so no later value is mistaken for an earlier one.)"""
        if isinstance(loop, gast.For):
            self.versions[loop.target.id] = self.versions.get(loop.target.id, 0) + 1

    # -- writes --------------------------------------------------------------------------------
    def write(self, stmt, var: str, state: dict, live: set,
              memory: bool, value=None) -> tuple[list, list]:
        """Statements before and after ``stmt``, which changed the memory of ``var``, that
        carry the change to the other names that see that memory and are read later.

        A step that may be a view or a copy (``np.reshape``, ``y[i]`` that may be a number) is
        checked before the write (``np.may_share_memory``); what goes through it runs only if
        it was a view. (``value``: what ``var`` holds as far as the write goes, if not all of
        its value: a list changed in place, not the items it holds.)"""
        value = state.get(var) if value is None else value
        if value is None:
            return [], []
        roots = _roots(value)
        if memory:
            for root in roots:
                self.note_memory_write(stmt, var, root)
        marks = set().union(*(_marks(r) for r in roots))
        # The gradient's tape gives an array back as it was pushed, where the gradient undoes
        # the write (see gradient_tape): it needs no carrying there.
        tape = self.tape if memory and self.undone(stmt) else None
        sharers = {n for n, v in state.items() if n != var and n != tape and _seen(v) & marks}
        affected = sorted(sharers & live)
        if not affected:
            _forget(state, sharers)
            return [], []
        chain = _chain(value)
        if chain is None:
            raise self.refuse(stmt, var, affected[0], f"{var} may be one of several arrays (which "
                              "one depends on the path the code took)")
        holders: dict[Any, str] = {chain[0]: var}  # value -> the name that holds it now
        reached: dict[Any, tuple] = {chain[0]: ()}  # value -> the checks under which it changed
        before: list = []
        pieces: list = []  # (checks, statement)

        def check(child: View, child_name: str, parent_name: str) -> tuple:
            if child.exact:
                return ()
            shared = self.namer.fresh("shared")
            test = ir.call(np.may_share_memory, name(child_name), name(parent_name))
            done = gast.Assign(targets=[name(shared, store=True)], value=test, type_comment=None)
            facts(done).op = Op("nondiff", what="np.may_share_memory")
            before.append(self.located(done, stmt))
            return (shared,)

        # Carry the change up to the oldest value a later name reads through.
        needed = 0
        for n in affected:
            other = state[n]
            if isinstance(other, Items):
                raise self.refuse(stmt, var, n, f"the list or tuple {n} holds it")
            found = _chain(other)
            if found is None or found[-1] != chain[-1]:
                raise self.refuse(stmt, var, n, f"{n} may see its memory (which array {n} "
                                  "views depends on the path the code took)")
            needed = max(needed, next(chain.index(v) for v in found if v in chain))
        for i in range(needed):
            child, parent = chain[i], chain[i + 1]
            holder = self.holder(parent, child, state)
            if holder is None:
                raise self.refuse(stmt, var, affected[0], f"{var} is a view of an array no "
                                  "variable holds any more")
            reached[parent] = reached[child] + check(child, holders[child], holder)
            pieces += [(reached[parent], s) for s in
                       self.write_back(stmt, child, holders[child], holder, state, live)]
            holders[parent] = holder
        if not memory and needed and var in live:  # y = y * 2 made var a new array: make it
            pieces.append((reached[chain[1]],  # the view again, as it is in NumPy
                           self.again(stmt, chain[0], holders[chain[1]], var)))
        # Then give every later name its value again: copies, and views made anew.
        for n in sorted(affected, key=lambda n: len(_chain(state[n]) or ())):
            found = _chain(state[n])
            assert found is not None  # checked in the loop above
            if found[0] in holders:
                if holders[found[0]] != n:
                    pieces.append((reached[found[0]],
                                   self.located(_copy(n, holders[found[0]]), stmt)))
                continue
            k = next(i for i, v in enumerate(found) if v in holders)
            for j in range(k - 1, -1, -1):
                target = n if j == 0 else self.holder_name(found[j], state)
                if target is None:
                    raise self.refuse(stmt, var, n, f"{n} sees it through a view no variable "
                                      "holds any more")
                reached[found[j]] = reached[found[j + 1]] + check(found[j], target,
                                                                  holders[found[j + 1]])
                pieces.append((reached[found[j]],
                               self.again(stmt, found[j], holders[found[j + 1]], target)))
                holders[found[j]] = target
        _forget(state, sharers - live - set(holders.values()))
        return before, self.guarded(pieces, stmt)

    def undone(self, stmt) -> bool:
        """Whether the gradient the function is (one with a tape) undoes the write ``stmt``
        in its backward code before popping what it pushed before the write: one it saved the
        slot of (``T.append(np.copy(y[i]))`` on the line before ``y[i] = v``), or one that puts
        a slot back (``y[i] = T.pop()``). (A write that carries another, placed at its line,
        changes no values.) Not so a list's item replaced: the reverse pass keeps no slot."""
        own = facts(stmt).source
        if self.tape is None or own is not None and own.filename != self.source.filename:
            return False
        line = facts(stmt).line or -1
        text = self.source.lines.get(line, "").strip()
        target, _, value = text.partition(" = ")
        if not value or not target.endswith("]"):
            return False
        return value == f"{self.tape}.pop()" or self.source.lines.get(line - 1, "").strip() \
            == f"{self.tape}.append(np.copy({target}))"

    def guarded(self, pieces: list, origin) -> list:
        """The statements of ``pieces`` ((checks, statement), in order), each run only where
        its checks hold: ``if shared: ...``, nested for several."""
        out: list = []
        for checks, stmt in pieces:
            body = out
            for i, test in enumerate(checks):
                last = body[-1] if body else None
                if not (isinstance(last, gast.If) and isinstance(last.test, gast.Name) and
                        last.test.id == test and not last.orelse):
                    last = self.located(gast.If(test=name(test), body=[], orelse=[]), origin)
                    facts(last).op = Op("opaque", what="if")
                    body.append(last)
                body = last.body
            body.append(stmt)
        return out

    def note_memory_write(self, stmt, var: str, root) -> None:
        site = root.site if isinstance(root, (Buffer, Items)) else None
        if isinstance(site, tuple) and site[0] == "param":
            self.copied.add(site[1])
        elif isinstance(site, tuple) and site[0] in ("global", "item"):
            what = f"the global array {site[1]}" if site[0] == "global" else \
                "an array of the container the caller passed"
            raise self.source.error(
                UnsupportedSyntaxError, stmt, f"this writes into {what} (through {var}), which "
                "srcgrad cannot differentiate", f"copy it first: {var} = {var}.copy()")

    def holder(self, parent, child: View, state: dict) -> str | None:
        """A name that holds ``parent`` now: preferably the one ``child`` was made from."""
        op = op_of(child.stmt)
        assert op.rule is not None
        operand = op.bound.get("x") if op.rule.selects else \
            op.bound.get(op.rule.view_of or "")
        if isinstance(operand, gast.Name) and state.get(operand.id) == parent:
            return operand.id
        return self.holder_name(parent, state)

    @staticmethod
    def holder_name(value, state: dict) -> str | None:
        return next((n for n, v in sorted(state.items()) if v == value), None)

    def check_reads(self, stmt, view: View, var: str) -> None:
        for n, version in view.reads:
            if self.versions.get(n, 0) != version:
                raise self.source.error(
                    UnsupportedSyntaxError, stmt, f"this changes {var}, a view made with {n}, "
                    f"which has changed since; srcgrad cannot tell which memory it writes",
                    f"copy the view first ({var} = {var}.copy()) or write into the array "
                    "directly")

    def write_back(self, stmt, child: View, child_name: str, parent_name: str, state: dict,
                   live: set) -> list:
        """Statements putting the new value of ``child_name`` (a view) into ``parent_name``."""
        self.check_reads(stmt, child, child_name)
        made = op_of(child.stmt)
        rule = made.rule
        assert rule is not None  # a view is made by a rule: getitem or one with view_of
        if rule.selects:  # row = y[i]: y[i] = row
            index = ir.clone(made.bound["index"])
            write = gast.Assign(targets=[gast.Subscript(value=name(parent_name), slice=index,
                                                        ctx=gast.Store())],
                                value=name(child_name), type_comment=None)
            facts(write).op = Op("setitem", bound={"x": write.targets[0].value, "index": index,
                                               "value": write.value})
            self.located(write, stmt)
            for root in _roots(state.get(parent_name)):
                self.note_memory_write(stmt, parent_name, root)
            return [write]
        # v = np.transpose(y): y = np.transpose(v), the view's adjoint, which is its inverse
        assert rule.view_of is not None  # not getitem: a rule with view_of made the view
        template = gast.parse(rule.inverse, mode="eval").body if rule.inverse else \
            rule.template_for(rule.view_of, dict(made.static))
        values = dict(made.bound, g=name(child_name))
        values[rule.view_of] = name(parent_name)
        try:
            stmts = _assign_expr(parent_name, ir.clone(template, values), self.namer)
        except _Refused as exc:
            raise self.source.error(UnsupportedSyntaxError, stmt, f"this changes {child_name}, "
                                    f"a view of {parent_name} made by {rule.name}, in place, "
                                    f"which srcgrad cannot carry back to it: {exc}",
                                    f"make a new array instead ({child_name} = "
                                    f"{child_name}.copy() first)") from None
        return [self.located(s, stmt) for s in stmts]

    def again(self, stmt, view: View, parent_name: str, target: str):
        """``target = <the statement that made view>``, from ``parent_name``'s value."""
        self.check_reads(stmt, view, target)
        made = op_of(view.stmt)
        assert made.rule is not None  # a view is made by a rule: getitem or one with view_of
        param = "x" if made.rule.selects else made.rule.view_of
        assert param is not None
        operand: gast.Name = made.bound.get(param)
        return self.located(_rebuilt(view.stmt, target, {operand.id: parent_name}), stmt)

    def located(self, new, origin):
        """``new``, placed (for comments and errors) where ``origin`` is."""
        facts(new).locate_like(facts(origin))
        if facts(new).line is None:
            facts(new).line = origin.lineno
        new.lineno = facts(new).line
        return new

    def refuse(self, stmt, var: str, other: str, why: str):
        return self.source.error(
            UnsupportedSyntaxError, stmt, f"this changes {var} in place, and {why}: srcgrad "
            f"cannot tell statically how the change reaches {other}, which is used later",
            f"make a new array instead ({var} = {var} * ..., or {var} = {var}.copy() first)")


#: The file names under which srcgrad compiles the code it generates (codegen).
GENERATED_FILE = "<srcgrad generated "


def gradient_tape(fdef: gast.FunctionDef, source: Source) -> str | None:
    """The name of the tape of ``fdef``, where ``fdef`` is a gradient srcgrad generated, read
    back (``hvp`` differentiates the gradient): else None.

    The reverse pass undoes every write into an array the forward code makes (the values a
    write destroys are taped and put back after its adjoint, see reverse.walk), in reverse
    order, before the backward code of the statements before it runs; so an array popped from
    the tape holds what it held when it was pushed, whatever such writes changed in between
    (:meth:`_Aliasing.undone` tells them). The tape is recognised from the
    generated text, which user code cannot produce there: the function's first statement
    ``T = []``, and every other statement that reads or assigns ``T`` a push
    (``T.append(...)``) or a pop (``... = T.pop()``); a list of the user's code is grown and
    popped as ``xs + [x]`` and ``xs[:-1]`` there (normalize lowers the methods), and a gradient
    is compiled from a file name of its own (``<srcgrad generated ...>``), which no edited or
    exported copy has."""
    if not source.filename.startswith(GENERATED_FILE) or not fdef.body:
        return None
    first = fdef.body[0]
    if not (isinstance(first, gast.Assign) and isinstance(first.targets[0], gast.Name) and
            isinstance(first.value, gast.List) and not first.value.elts):
        return None
    tape = first.targets[0].id

    def text(stmt) -> str:
        own = facts(stmt).source
        if own is not None and own.filename != source.filename:  # an inlined helper's
            return ""
        return source.lines.get(facts(stmt).line or -1, "").strip()

    if text(first) != f"{tape} = []":
        return None
    for stmt in walk_statements(fdef.body[1:]):
        if tape not in ir.operands_of(stmt) | set(ir.targets_of(stmt)):
            continue
        line = text(stmt)
        if not isinstance(stmt, gast.Assign):
            return None
        if line.startswith(f"{tape}.append(") and line.endswith(")"):
            continue
        if line.endswith(f" = {tape}.pop()") and \
                not re.search(rf"\b{tape}\b", line[:-len(f" = {tape}.pop()")]):
            continue
        return None
    return tape


def _copy(target: str, source: str) -> gast.Assign:
    stmt = gast.Assign(targets=[name(target, store=True)], value=name(source),
                       type_comment=None)
    facts(stmt).op = Op("copy", bound={"x": stmt.value})
    return stmt


def _rebuilt(stmt, target: str, mapping: dict[str, str]) -> gast.Assign:
    """A copy of the one-operation assignment ``stmt`` into ``target``, reading the names of
    ``mapping`` as their values there; its Op's atoms are nodes of the new statement."""
    value = ir.clone(stmt.value, {k: name(v) for k, v in mapping.items()})
    new = gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)
    copies = {}
    for old, fresh in zip(_nodes(stmt.value), _nodes(value)):
        copies[id(old)] = fresh
    op = op_of(stmt)
    facts(new).op = Op(op.kind, op.rule, {k: copies.get(id(v), v) for k, v in op.bound.items()},
                   dict(op.static), [copies.get(id(e), e) for e in op.elements], op.what, op.fix)
    return new


def _nodes(node) -> list:
    """The nodes of a tree in a fixed order (two clones list them alike)."""
    found = [node]
    for field in node._fields:
        child = getattr(node, field, None)
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, gast.AST) and not isinstance(item, gast.expr_context):
                found += _nodes(item)
    return found


def _assign_expr(target: str, expr, namer: Namer) -> list:
    """Normalized statements computing ``expr`` (a view's adjoint template: calls of NumPy
    functions and runtime helpers, attributes and atoms) into ``target``."""
    stmts: list = []

    def atom(node):
        if isinstance(node, gast.Name) or static_value(node) is not DYNAMIC:
            return node
        temporary = namer.temporary(target)
        stmts.extend(_assign_expr(temporary, node, namer))
        return name(temporary)

    if isinstance(expr, gast.Attribute):
        rule = registry.lookup(attribute_key(expr.attr))
        args, kwargs = [atom(expr.value)], {}
        expr = gast.Attribute(value=args[0], attr=expr.attr, ctx=gast.Load())
    elif isinstance(expr, gast.Call):
        rule = registry.lookup(_callable(expr.func))
        args = [atom(a) for a in expr.args]
        kwargs = {k.arg: atom(k.value) for k in expr.keywords}
        expr = gast.Call(func=expr.func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])
    elif isinstance(expr, gast.Name):
        return [_copy(target, expr.id)]
    else:
        rule = None
    if rule is None:
        raise _Refused(f"its inverse {expression_source(expr)} has no rule")
    stmt = gast.Assign(targets=[name(target, store=True)], value=expr, type_comment=None)
    facts(stmt).op = bind_op(rule, args, kwargs)
    return stmts + [stmt]


def _callable(func):
    """The object a template's callee (``np.transpose``, a runtime helper) names."""
    parts = []
    while isinstance(func, gast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name):
        return None
    obj = np if func.id == "np" else getattr(runtime, func.id, None)
    for part in reversed(parts):
        obj = getattr(obj, part, None)
    return obj




def _maybe_integers(fdef: gast.FunctionDef) -> set[str]:
    """The variables that may hold integers (a NumPy integer is a count to a list): those
    made by primitives without a gradient (``np.argmax``, ``len``) or by code kept as written,
    and arithmetic on them and integer constants. A value made otherwise from floats is not."""
    found: set[str] = set()
    assigns = [s for s in walk_statements(fdef.body) if isinstance(s, gast.Assign)
               and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)]
    changed = True
    while changed:
        changed = False
        for stmt in assigns:
            target, op = stmt.targets[0].id, op_of(stmt)
            if target in found:
                continue
            operands = list(op.bound.values())
            if op.kind in ("nondiff", "opaque") or op.kind in ("rule", "copy") and operands \
                    and all(isinstance(a, gast.Name) and a.id in found
                            or isinstance(a, gast.Constant) and isinstance(a.value, int)
                            for a in operands):
                found.add(target)
                changed = True
    return found


def resolve_aliasing(fdef: gast.FunctionDef, source: Source, namer: Namer,
                     containers: Collection[str] = frozenset(),
                     scalars: Collection[str] = frozenset(),
                     arrays: Collection[str] = frozenset()) -> gast.FunctionDef:
    """Carry every write to the other names of its memory (see the module docstring).

    ``containers`` names the parameters passed lists, tuples or dicts, ``scalars`` the
    variables known to hold numbers (never shared memory), ``arrays`` those known to hold
    arrays."""
    tape = gradient_tape(fdef, source)  # (before parameter copies come first)
    if tape is not None:
        for stmt in walk_statements(fdef.body):  # its pushes and pops (lowered by normalize)
            if isinstance(stmt, gast.Assign) and ir.targets_of(stmt) == [tape] and \
                    facts(stmt).inplace:
                facts(stmt).tape_update = True
    arrays = set(arrays) - _maybe_integers(fdef)
    probe = _Aliasing(fdef, source, namer, set(containers), set(scalars), arrays, tape)
    probe.emit = False
    probe.block(fdef.body, probe.start(), set())
    if probe.copied:  # the caller's arrays must stay as they are: write into copies
        copies = []
        for p in sorted(probe.copied):
            copy = gast.Assign(targets=[name(p, store=True)], value=ir.call(np.copy, name(p)),
                               type_comment=None)
            rule = registry.lookup(np.copy)
            assert rule is not None  # np.copy has a built-in rule
            facts(copy).op = bind_op(rule, copy.value.args, {})
            copies.append(probe.located(copy, fdef.body[0]))
        fdef.body = copies + fdef.body
    aliasing = _Aliasing(fdef, source, namer, set(containers), set(scalars), arrays, tape)
    fdef.body, _ = aliasing.block(fdef.body, aliasing.start(), set())
    forget_reads(fdef.body)  # (the liveness it used: later passes rename)
    for remembered in (_roots, _seen, _aged):  # (they hold this function's statements)
        remembered.cache_clear()
    return fdef
