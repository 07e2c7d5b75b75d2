"""The small language after normalization, and the questions every pass asks of it.

Statements are gast nodes: ``Assign`` (one primitive, see :class:`srcgrad.normalize.Op`),
``For`` over ``range(...)``, ``While``, ``If`` on an atom, ``Break`` (forward only), ``Expr``
and ``Assert`` kept for their effect, and one final ``Return``. Loops and ifs are *scopes*:
their bodies run zero, one or many times, so values assigned inside may be overwritten before
the backward pass reads them.
"""

from __future__ import annotations

import gast

SCOPES = (gast.For, gast.While, gast.If)


def walk(node):
    """Every node of a tree, once each, in no particular order; a name's context is not
    visited. (Several times faster than ``gast.walk``, which passes run over and over.)"""
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    name, ast = gast.Name, gast.AST
    while stack:
        node = pop()
        yield node
        if type(node) is name:
            continue
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                extend([item for item in value if isinstance(item, ast)])
            elif isinstance(value, ast):
                push(value)


def atom_names(node) -> set[str]:
    """The variable names an atom (or any expression) reads."""
    if node is None:
        return set()
    return {n.id for n in walk(node) if type(n) is gast.Name and type(n.ctx) is gast.Load}


def bodies(stmt) -> list[list]:
    """The statement lists nested in ``stmt`` (a loop's body, an if's two branches)."""
    if isinstance(stmt, (gast.For, gast.While)):
        return [stmt.body]
    if isinstance(stmt, gast.If):
        return [stmt.body, stmt.orelse]
    return []


def targets_of(stmt) -> list[str]:
    """The names a statement itself writes (an assignment's targets, a loop's variable)."""
    if isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        if isinstance(target, gast.Name):
            return [target.id]
        if isinstance(target, gast.Subscript):  # x[i] = v changes x in place
            return [target.value.id]
        return [t.id for t in target.elts]
    if isinstance(stmt, gast.For):
        return [stmt.target.id]
    return []


def assigned_in(stmts) -> set[str]:
    """Every name assigned by ``stmts``, nested scopes included."""
    found: set[str] = set()
    for stmt in stmts:
        found.update(targets_of(stmt))
        for body in bodies(stmt):
            found |= assigned_in(body)
    return found


def is_write(stmt) -> bool:
    """Whether ``stmt`` writes into part of an array: ``x[index] = value``."""
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript)


def operands_of(stmt) -> set[str]:
    """The names a statement reads (for a scope: its header only)."""
    if is_write(stmt):
        return atom_names(stmt.value) | atom_names(stmt.targets[0])
    if isinstance(stmt, gast.Assign):
        return atom_names(stmt.value)
    if isinstance(stmt, gast.For):
        return atom_names(stmt.iter)
    if isinstance(stmt, (gast.While, gast.If)):
        return atom_names(stmt.test)
    if isinstance(stmt, (gast.Expr, gast.Return)):
        return atom_names(stmt.value)
    if isinstance(stmt, gast.Assert):
        return atom_names(stmt.test) | atom_names(stmt.msg)
    return set()


def walk_statements(stmts):
    """Every statement in ``stmts``, nested ones included, in program order."""
    for stmt in stmts:
        yield stmt
        for body in bodies(stmt):
            yield from walk_statements(body)


def reads_in(stmts) -> set[str]:
    """Every name read anywhere in ``stmts``."""
    found: set[str] = set()
    for stmt in stmts:
        found |= atom_names(stmt)
    return found


def clone(node, mapping: dict | None = None, raw: dict | None = None):
    """A copy of a tree (much faster than ``copy.deepcopy`` on gast nodes). Each name in
    ``mapping`` read in ``node`` becomes a copy of its value; a name that is a subscript's
    whole index (``acc[index]``) takes its value from ``raw`` instead, slices included."""
    if isinstance(node, list):
        return [clone(item, mapping, raw) for item in node]
    if not isinstance(node, gast.AST) or isinstance(node, gast.expr_context):
        return node
    kind = type(node)
    if mapping and kind is gast.Name and node.id in mapping and \
            isinstance(node.ctx, gast.Load):
        return clone(mapping[node.id])
    if raw and kind is gast.Subscript and type(node.slice) is gast.Name and \
            node.slice.id in raw:
        return gast.Subscript(value=clone(node.value, mapping, raw),
                              slice=clone(raw[node.slice.id]), ctx=node.ctx)
    new = gast.AST.__new__(kind)
    for field in node._fields:
        setattr(new, field, clone(getattr(node, field, None), mapping, raw))
    for attribute in node._attributes:
        if hasattr(node, attribute):
            setattr(new, attribute, getattr(node, attribute))
    return new


def rewrite_up(node, rewrite):
    """Apply ``rewrite`` to every sub-expression of an expression, innermost first (through
    operators, calls, conditional expressions and tuples: where templates put them)."""
    for field in ("left", "right", "operand", "body", "orelse", "test"):
        child = getattr(node, field, None)
        if isinstance(child, gast.expr):
            setattr(node, field, rewrite_up(child, rewrite))
    for field in ("args", "elts"):
        children = getattr(node, field, None)
        if isinstance(children, list):
            setattr(node, field, [rewrite_up(c, rewrite) for c in children])
    return rewrite(node)
