"""Structure early exits, so the backward pass can replay exactly the path the forward took.

After :func:`structure_exits`:

- ``continue`` is gone: the code after an ``if`` that may skip the rest of a loop body is moved
  into the branches that do not skip it;
- ``break`` ends its branch (what followed it moves into the other branches) and stays as a
  forward-only statement;
- a ``return`` inside a loop becomes ``result = value; returned = True; break``, followed after
  the loop by ``if returned: return result``;
- every ``return`` ends its branch, so the function's value is set on each path exactly once.

Reads and writes: a function body (before normalization); marks the exit check it places after
a loop with ``facts(stmt).after_loop``.
"""

from __future__ import annotations

import copy

import gast

from ..errors import UnsupportedSyntaxError
from ..ir import Source, facts
from ..names import Namer


def _exits_here(node, loop_exits: bool) -> bool:
    """Whether ``node`` contains a return, or (``loop_exits``) a break/continue of this loop."""
    if isinstance(node, gast.Return):
        return True
    if isinstance(node, (gast.Break, gast.Continue)):
        return loop_exits
    if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
        return False
    inner_loop = isinstance(node, (gast.For, gast.While))
    for child in gast.iter_child_nodes(node):
        if _exits_here(child, loop_exits and not inner_loop):
            return True
    return False


def always_exits(stmts) -> bool:
    """Whether every path through ``stmts`` ends in a return, break or continue."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Return, gast.Break, gast.Continue)):
        return True
    if isinstance(last, gast.If):
        return always_exits(last.body) and always_exits(last.orelse)
    return False


class ExitStructurer:
    def __init__(self, namer: Namer, source: Source, result: str):
        self.namer = namer
        self.source = source
        self.result_name = result

    def block(self, stmts: list, in_loop: bool) -> list:
        out: list = []
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, (gast.Return, gast.Break)):
                out.append(stmt)
                return out  # what follows is unreachable
            if isinstance(stmt, gast.Continue):
                return out
            if isinstance(stmt, (gast.For, gast.While)):
                out.extend(self.loop(stmt))
                rest = stmts[i + 1:]
                if out and isinstance(out[-1], gast.If) and facts(out[-1]).after_loop:
                    # `if returned: return result` after the loop: the rest runs otherwise
                    check = out[-1]
                    check.orelse = self.block(check.orelse + rest, in_loop)
                    return out
                continue
            if isinstance(stmt, gast.If) and _exits_here(stmt, in_loop):
                rest = stmts[i + 1:]
                stmt.body = self.block(stmt.body + copy.deepcopy(rest), in_loop)
                stmt.orelse = self.block(stmt.orelse + rest, in_loop)
                out.append(stmt)
                return out
            if isinstance(stmt, gast.If):  # no exit of its own: the loops inside it may have
                stmt.body = self.block(stmt.body, in_loop)
                stmt.orelse = self.block(stmt.orelse, in_loop)
            out.append(stmt)
        return out

    def loop(self, stmt) -> list:
        returns = [n for n in self._own_returns(stmt.body)]
        stmt.body = self.block(stmt.body, in_loop=True)
        if stmt.orelse and any(isinstance(n, gast.Break) for n in self._own_breaks(stmt.body)):
            raise self.source.error(
                UnsupportedSyntaxError, stmt, "a loop with both break and an else block is "
                "not supported", "use a flag variable instead of the else block")
        if not returns:
            return [stmt]
        # return inside a loop: remember the value, leave the loop, return after it
        flag = self.namer.fresh("returned")
        result = self.result()
        self._replace_returns(stmt.body, flag, result)
        before = gast.Assign(targets=[_store(flag)], value=_const(False), type_comment=None)
        gast.copy_location(before, stmt)
        check = gast.If(test=_load(flag), body=[gast.Return(value=_load(result))], orelse=[])
        gast.copy_location(check, stmt)
        gast.copy_location(check.body[0], stmt)
        facts(check).after_loop = True
        return [before, stmt, check]

    def result(self) -> str:
        return self.result_name

    def _own_returns(self, stmts):
        for node in _walk_skipping_functions(stmts):
            if isinstance(node, gast.Return):
                yield node

    def _own_breaks(self, stmts):
        for stmt in stmts:
            yield from _own_loop_nodes(stmt)

    def _replace_returns(self, stmts: list, flag: str, result: str) -> None:
        i = 0
        while i < len(stmts):
            stmt = stmts[i]
            if isinstance(stmt, gast.Return):
                value = stmt.value if stmt.value is not None else _const(None)
                new = [gast.Assign(targets=[_store(result)], value=value, type_comment=None),
                       gast.Assign(targets=[_store(flag)], value=_const(True),
                                   type_comment=None),
                       gast.Break()]
                for n in new:
                    gast.copy_location(n, stmt)
                stmts[i:i + 1] = new
                i += len(new)
                continue
            for body in _bodies(stmt):
                self._replace_returns(body, flag, result)
            i += 1


def _bodies(stmt) -> list:
    found = []
    for field in ("body", "orelse"):
        value = getattr(stmt, field, None)
        if isinstance(value, list) and not isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            found.append(value)
    return found


def own_loop_exits(stmts):
    """The break and continue statements of the loop whose body is ``stmts``."""
    for stmt in stmts:
        yield from _own_loop_nodes(stmt)


def _own_loop_nodes(stmt):
    if isinstance(stmt, (gast.Break, gast.Continue)):
        yield stmt
        return
    if isinstance(stmt, (gast.For, gast.While, gast.FunctionDef, gast.ClassDef)):
        return
    for body in _bodies(stmt):
        for child in body:
            yield from _own_loop_nodes(child)


def _walk_skipping_functions(stmts):
    for stmt in stmts:
        if isinstance(stmt, (gast.FunctionDef, gast.ClassDef)):
            continue
        yield stmt
        for body in _bodies(stmt):
            yield from _walk_skipping_functions(body)


def _store(name: str) -> gast.Name:
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def _load(name: str) -> gast.Name:
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def _const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def structure_exits(body: list, namer: Namer, source: Source,
                    result: str) -> tuple[list, str]:
    """The function body with exits structured (see the module docstring); ``result`` names
    the variable that carries a return value out of loops."""
    structurer = ExitStructurer(namer, source, result)
    new = structurer.block(body, in_loop=False)
    return new, result


def walk_own(stmts):
    """Every node of ``stmts``, not entering nested function or class definitions."""
    for stmt in stmts:
        yield from _walk_node(stmt)


def _walk_node(node):
    yield node
    if isinstance(node, (gast.FunctionDef, gast.ClassDef, gast.Lambda)):
        return
    for child in gast.iter_child_nodes(node):
        yield from _walk_node(child)
