"""Clean-up passes over generated code, so it reads like what a person would write."""

from __future__ import annotations

import gast

from .. import ir
from ..ir import atom_names, facts


def _reads(stmt) -> set[str]:
    return {n.id for n in ir.walk(stmt) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _writes(stmt) -> set[str]:
    if ir.is_write(stmt):  # d[index] = e updates d
        return {ir.targets_of(stmt)[0]}
    if isinstance(stmt, gast.Assign):
        return {n.id for t in stmt.targets for n in ir.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    if isinstance(stmt, gast.AugAssign):  # d += e, or d[index] += e: both update d
        target = stmt.target
        while isinstance(target, gast.Subscript):
            target = target.value
        return {target.id}
    return set()


def _removable(stmt) -> bool:
    """Whether dropping ``stmt`` changes nothing but the variables it assigns."""
    if isinstance(stmt, gast.AugAssign):
        return True
    if not isinstance(stmt, gast.Assign):
        return False
    op = facts(stmt).op
    if op is None:  # generated backward code: pure, except reading the tape (and checks)
        return not facts(stmt).pop and not facts(stmt).keep
    if op.kind in ("copy", "tuple"):
        return True
    if op.kind in ("rule", "nondiff"):
        return op.rule is None or op.rule.pure
    return False


def _reads_cached(stmt) -> frozenset[str]:
    """``_reads(stmt)`` for a simple statement, computed once (loops ask many times)."""
    cached = facts(stmt).reads
    if cached is None:
        cached = facts(stmt).reads = frozenset(_reads(stmt))
    return cached


def eliminate_dead_code(stmts: list, live_out: set[str], mutate: bool = True,
                        exits: tuple[set[str], set[str]] | None = None,
                        drop: bool = True) -> tuple[list, set[str]]:
    """Drop assignments whose values nothing reads; returns the statements and live-in names.
    With ``mutate`` false, nested bodies are left as they are (to find what is live only).
    ``exits``: what is live where a ``break`` and a ``continue`` of the loop around go. With
    ``drop`` false nothing is taken for dead: every statement's reads count (liveness for code
    whose in-place writes are not explicit yet)."""
    live = set(live_out)
    out = []
    for stmt in reversed(stmts):
        if isinstance(stmt, (gast.Break, gast.Continue)) and exits is not None:
            live = set(exits[0] if isinstance(stmt, gast.Break) else exits[1])
            out.append(stmt)
            continue
        if isinstance(stmt, (gast.For, gast.While)):
            header = atom_names(stmt.iter if isinstance(stmt, gast.For) else stmt.test)
            body_live = loop_body_live(stmt, live, drop)
            body, inner_live = eliminate_dead_code(stmt.body, body_live, mutate,
                                                   exits=(set(live), body_live), drop=drop)
            if mutate:
                stmt.body = body
            target = stmt.target.id if isinstance(stmt, gast.For) else None
            if drop and not any(not ir.is_comment(s) for s in body) and target not in live:
                continue
            if not body and mutate:
                stmt.body = [gast.Pass()]
            live |= inner_live | header
            out.append(stmt)
            continue
        if isinstance(stmt, gast.If):
            body, then_live = eliminate_dead_code(stmt.body, live, mutate, exits, drop)
            orelse, else_live = eliminate_dead_code(stmt.orelse, live, mutate, exits, drop)
            if drop and not any(not ir.is_comment(s) for s in body + orelse):
                continue
            if mutate:
                stmt.body, stmt.orelse = body or [gast.Pass()], orelse
            live = then_live | else_live | atom_names(stmt.test)
            out.append(stmt)
            continue
        if ir.is_comment(stmt):
            out.append(stmt)
            continue
        if drop and _removable(stmt) and not (_writes(stmt) & live):
            continue
        if not isinstance(stmt, gast.AugAssign) and not ir.is_write(stmt):  # in place: the
            live -= _writes(stmt)  # rest of the array is still the value before
        live |= _reads_cached(stmt)
        out.append(stmt)
    out.reverse()
    return _drop_orphan_comments(out), live


def loop_body_live(loop, live_after: set[str], drop: bool = True) -> set[str]:
    """What is live at the end of ``loop``'s body (and at its start, where a ``continue``
    goes), given what is live after the loop: what the next iteration reads before writing.
    (``drop`` as for :func:`eliminate_dead_code`.)"""
    header = atom_names(loop.iter if isinstance(loop, gast.For) else loop.test)
    body_live = set(live_after) | header
    while True:
        _, inner_live = eliminate_dead_code(loop.body, body_live, mutate=False,
                                            exits=(set(live_after), body_live), drop=drop)
        if inner_live <= body_live:
            return body_live
        body_live |= inner_live


def live_after_each(stmts: list, live_out: set[str],
                    exits: tuple[set[str], set[str]] | None = None) -> list[set[str]]:
    """For each statement of ``stmts``, the names live just after it (read before being
    assigned again; no statement taken for dead), given ``live_out`` after the last and
    ``exits`` as for :func:`eliminate_dead_code`."""
    after: list[set[str]] = [set() for _ in stmts]
    live = set(live_out)
    for i in range(len(stmts) - 1, -1, -1):
        after[i] = set(live)
        live = eliminate_dead_code([stmts[i]], live, mutate=False, exits=exits, drop=False)[1]
    return after


def forget_reads(stmts: list) -> None:
    """Clear what :func:`eliminate_dead_code` noted each statement reads: a pass that ran it
    before later passes rename names calls this when done."""
    for stmt in ir.walk_statements(stmts):
        facts(stmt).reads = None


def _drop_orphan_comments(stmts: list) -> list:
    """Remove comments left heading nothing (their code was dead)."""
    out = []
    for i, stmt in enumerate(stmts):
        if ir.is_comment(stmt) and (i + 1 == len(stmts) or ir.is_comment(stmts[i + 1])
                                  or isinstance(stmts[i + 1], gast.Return)):
            continue
        out.append(stmt)
    return out


def propagate_copies(fdef: gast.FunctionDef) -> gast.FunctionDef:
    """Remove ``a = b`` where both names keep one value throughout: ``a`` is defined once and
    ``b`` (a parameter or a variable) is never assigned again; uses of ``a`` read ``b``. Such
    copies come from binding an inlined helper's parameters (``w = main_params``)."""
    params = [a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
    defs: dict[str, int] = {p: 1 for p in params}
    for stmt in ir.walk_statements(fdef.body):
        for target in ir.targets_of(stmt):
            defs[target] = defs.get(target, 0) + 1
    result = fdef.body[-1].value.id if isinstance(fdef.body[-1], gast.Return) else None
    replace: dict[str, str] = {}
    for stmt in ir.walk_statements(fdef.body):
        op = facts(stmt).op
        if op is None or op.kind != "copy" or not isinstance(stmt.targets[0], gast.Name):
            continue
        source, target = op.bound["x"], stmt.targets[0].id
        if isinstance(source, gast.Name) and defs.get(target) == 1 and \
                defs.get(source.id, 0) <= 1 and target not in params and target != result:
            replace[target] = source.id
    if not replace:
        return fdef

    def final(var):
        while var in replace:
            var = replace[var]
        return var

    def rewrite(stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
                    stmt.targets[0].id in replace:
                continue
            for node in ir.walk(stmt):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                    node.id = final(node.id)
            op = facts(stmt).op
            for body in ir.bodies(stmt):
                body[:] = rewrite(body)
            if op is not None:  # the Op holds its own copies of the atoms
                for atom in list(op.bound.values()) + list(op.elements):
                    for node in ir.walk(atom) if isinstance(atom, gast.AST) else ():
                        if isinstance(node, gast.Name):
                            node.id = final(node.id)
            out.append(stmt)
        return out

    fdef.body = rewrite(fdef.body)
    return fdef


def forward_adjoint_copies(stmts: list, adjoints: set[str]) -> list:
    """Read through copies between adjoints: after ``da = db``, uses of ``da`` read ``db``
    until either is assigned again (dead-code elimination then drops the copy). Adjoints pass
    unchanged through additions and copies, so such chains are common."""
    copies: dict[str, str] = {}
    readers: dict[str, set[str]] = {}  # the inverse of copies: no scan of it per write
    out = []
    for stmt in stmts:
        if isinstance(stmt, ir.SCOPES):
            for var in ir.assigned_in([stmt]) | _writes(stmt) | _assigned_anywhere(stmt):
                _forget(copies, readers, var)
            _rename_reads(_header(stmt), copies)
            for body in ir.bodies(stmt):
                body[:] = forward_adjoint_copies(body, adjoints)
            out.append(stmt)
            continue
        if not isinstance(stmt, gast.Return):  # returned gradients keep their names: dx
            _rename_reads(stmt, copies)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
                isinstance(stmt.value, gast.Name) and stmt.targets[0].id == stmt.value.id:
            continue  # da = da, left by reading through a copy
        written = _writes(stmt) | set(ir.targets_of(stmt) if isinstance(stmt, gast.Assign)
                                      else ())
        for var in written:
            _forget(copies, readers, var)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
                isinstance(stmt.value, gast.Name) and stmt.targets[0].id in adjoints:
            copies[stmt.targets[0].id] = stmt.value.id
            readers.setdefault(stmt.value.id, set()).add(stmt.targets[0].id)
        out.append(stmt)
    return out


def _header(stmt):
    if isinstance(stmt, gast.For):
        return stmt.iter
    return stmt.test


def _assigned_anywhere(stmt) -> set[str]:
    return _names_with(stmt, gast.Store)


def _names_with(stmt, context) -> set[str]:
    """The names ``stmt`` uses in ``context`` (Load, Store), and those it updates in place
    (``d += e``: a read and a write)."""
    found = set()
    for node in ir.walk(stmt):
        if isinstance(node, gast.Name) and isinstance(node.ctx, context):
            found.add(node.id)
        elif isinstance(node, gast.AugAssign):
            found |= _writes(node)
    return found


def _forget(copies: dict, readers: dict, var: str) -> None:
    source = copies.pop(var, None)
    if source is not None:
        readers[source].discard(var)
    for key in readers.pop(var, ()):
        del copies[key]


def _rename_reads(node, copies: dict) -> None:
    if not copies:
        return
    for sub in ir.walk(node):
        if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) and sub.id in copies:
            sub.id = copies[sub.id]


def hoist_invariants(fdef: gast.FunctionDef) -> gast.FunctionDef:
    """Move ``t = -k`` (arithmetic on values a loop never changes) out of the loop: it is then
    computed once, and the backward pass reads it without anything on the tape."""
    defs: dict[str, int] = {}
    for stmt in ir.walk_statements(fdef.body):
        for target in ir.targets_of(stmt):
            defs[target] = defs.get(target, 0) + 1

    def block(stmts: list) -> list:
        out = []
        for stmt in stmts:
            for body in ir.bodies(stmt):
                body[:] = block(body)
            if isinstance(stmt, (gast.For, gast.While)):
                out.extend(_hoist_from(stmt, defs))
            out.append(stmt)
        return out

    fdef.body = block(fdef.body)
    return fdef


def _hoist_from(loop, defs: dict[str, int]) -> list:
    changed = ir.assigned_in([loop])
    hoisted = []
    moved = True
    while moved:
        moved = False
        for stmt in list(loop.body):
            op = facts(stmt).op
            if not (isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name)
                    and op is not None and op.rule is not None and op.kind == "rule"
                    and op.rule.hoistable):
                continue
            target = stmt.targets[0].id
            if defs.get(target) == 1 and not (ir.atom_names(stmt.value) & changed):
                loop.body.remove(stmt)
                hoisted.append(stmt)
                changed.discard(target)
                moved = True
    if hoisted:  # the loop no longer changes them
        facts(loop).assigned = facts(loop).assigned - {s.targets[0].id for s in hoisted}
    return hoisted


def fold_temporaries(stmts: list, temporaries: set[str]) -> list:
    """Put a temporary of the forward pass back into the expression that reads it, where that
    is its only read and the very next statement: ``h = np.tanh(x @ W + b)`` as the user wrote
    it, instead of ``h_1 = x @ W``, ``h_2 = h_1 + b``, ``h = np.tanh(h_2)``. The line reads
    as written, and its intermediate arrays are freed as soon as it has run. A temporary the
    backward pass reads (or the tape keeps) is read twice, and stays."""
    reads: dict[str, int] = {}
    writes: dict[str, int] = {}
    for stmt in ir.walk_statements(stmts):
        for node in ir.walk(stmt) if not isinstance(stmt, ir.SCOPES) else \
                ir.walk(_header(stmt)):
            if isinstance(node, gast.Name):
                counts = reads if isinstance(node.ctx, gast.Load) else writes
                counts[node.id] = counts.get(node.id, 0) + 1
    foldable = {t for t in temporaries if reads.get(t) == 1 and writes.get(t) == 1}
    if foldable:
        _fold_block(stmts, foldable)
    return stmts


def _one_operation(stmt) -> bool:
    """A forward statement computing one pure operation on atoms."""
    op = facts(stmt).op
    return isinstance(stmt, gast.Assign) and op is not None and \
        op.kind in ("rule", "nondiff", "copy") and (op.rule is None or op.rule.pure) and \
        len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)


def _fold_block(stmts: list, foldable: set[str]) -> None:
    for stmt in stmts:
        for body in ir.bodies(stmt):
            _fold_block(body, foldable)
    i = len(stmts) - 2
    while i >= 0:
        first, then = stmts[i], stmts[i + 1]
        if _one_operation(first) and _one_operation(then) and \
                first.targets[0].id in foldable:
            temporary = first.targets[0].id
            value = first.value

            def put(node, temporary=temporary, value=value):
                if isinstance(node, gast.Name) and node.id == temporary:
                    return value
                return node

            replaced = _replace_name(then.value, put)
            if replaced is not None:
                then.value = replaced
                facts(then).reads = None
                del stmts[i]
        i -= 1


def _replace_name(node, put):
    """``node`` with its one read of a name replaced by ``put``; None if it is not found
    where an operation's operand is (a subscript's base or index, a call's argument ...)."""
    class Put(gast.NodeTransformer):
        found = False

        def visit_Name(self, name_node):
            new = put(name_node)
            if new is not name_node:
                Put.found = True
            return new

    new = Put().visit(node)
    return new if Put.found else None


#: Arrays of at least this many elements (half a megabyte of float64) are freed with ``del``
#: once the generated code has read them for the last time.
LARGE = 1 << 16


def free_large_arrays(stmts: list, sizes: dict[str, int], keep: set[str]) -> list:
    """``del`` each large array (``sizes``: variable -> known number of elements) after the
    top-level statement that reads it last, as a person frees what they no longer need: the
    backward pass then runs without the forward pass's dead intermediates. Variables in
    ``keep`` (the parameters) and those not assigned at the top level are left alone."""
    assigned = set()
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            assigned |= _writes(stmt)
    candidates = {v for v, n in sizes.items() if n >= LARGE and v in assigned and v not in keep}
    if not candidates:
        return stmts
    last: dict[str, int] = {}
    for i, stmt in enumerate(stmts):
        for var in _reads_or_updates(stmt) & candidates:
            last[var] = i
    returned = _reads_or_updates(stmts[-1]) if isinstance(stmts[-1], gast.Return) else set()
    after: dict[int, list[str]] = {}
    for var, i in last.items():
        if var not in returned and i < len(stmts) - 1:
            after.setdefault(i, []).append(var)
    out = []
    for i, stmt in enumerate(stmts):
        out.append(stmt)
        if i in after:
            targets = [gast.Name(id=v, ctx=gast.Del(), annotation=None, type_comment=None)
                       for v in sorted(after[i])]
            out.append(gast.Delete(targets=targets))
    return out


def _reads_or_updates(stmt) -> set[str]:
    return _names_with(stmt, gast.Load)
