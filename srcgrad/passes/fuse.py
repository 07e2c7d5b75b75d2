"""Fuse chains of primitives that a rule knows as one: ``1.0 / (1.0 + np.exp(-x))`` is a
sigmoid, whose adjoint ``g * ans * (1.0 - ans)`` takes three operations instead of seven.

Rules declare the patterns (:func:`srcgrad.rules.registry.deffusion`); this pass finds them in
a normalized function: a statement whose operands are temporaries used nowhere else, defined
just before it, that together compute the pattern, becomes one statement with the pattern's
rule. The forward code then reads as written: ``s = 1.0 / (1.0 + np.exp(-x))``.

Reads: a normalized function and the registered fusions. Writes: the function with each fused
run replaced by one statement (``facts(stmt).op`` of the fusion's rule, located where the run's
last statement was).
"""

from __future__ import annotations

import copy
from collections import Counter

import gast

from ..ir import Op, bodies, facts, walk
from ..rules.registry import fusions


def fuse(fdef: gast.FunctionDef) -> gast.FunctionDef:
    """Replace every occurrence of a fusion pattern in ``fdef`` (in place)."""
    if not fusions():
        return fdef
    uses = Counter(node.id for node in walk(fdef) if isinstance(node, gast.Name)
                   and isinstance(node.ctx, gast.Load))
    fdef.body = _fuse_block(fdef.body, uses)
    return fdef


def _fuse_block(stmts: list, uses: Counter) -> list:
    out: list = []
    for stmt in stmts:
        for body in bodies(stmt):
            body[:] = _fuse_block(body, uses)
        out.append(stmt)
        fused = _try_fuse(out, uses)
        if fused is not None:
            out[-fused[0] - 1:] = [fused[1]]
    return out


def _definition(stmt):
    """(name, value) of a plain single-target assignment made by normalization, else None."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) and \
            facts(stmt).op is not None and facts(stmt).op.kind == "rule":
        return stmt.targets[0].id, stmt.value
    return None


def _try_fuse(out: list, uses: Counter):
    """If the statements ending ``out`` compute a fusion pattern: (how many statements before
    the last it absorbs, the fused statement)."""
    last = _definition(out[-1])
    if last is None:
        return None
    # Expand operands defined by the statements just before, used only once.
    defined = {}
    for stmt in reversed(out[:-1]):
        definition = _definition(stmt)
        if definition is None or uses[definition[0]] != 1:
            break
        defined[definition[0]] = (definition[1], stmt)
    for fusion in fusions():
        for pattern in fusion.patterns:
            bound: dict = {}
            absorbed: list = []
            if _match(pattern, last[1], bound, defined, absorbed):
                k = len(absorbed)
                before = out[len(out) - 1 - k:-1]
                if (k == 0 and not _repeats_a_variable(pattern)) or len(before) != k or \
                        {id(s) for s in before} != {id(s) for s in absorbed}:
                    continue  # only a run of the statements just before
                stmt = out[-1]
                value, atoms = _instantiate(pattern, bound)
                fused = gast.Assign(targets=stmt.targets, value=value, type_comment=None)
                fused.lineno = getattr(stmt, "lineno", None)
                facts(fused).locate_like(facts(stmt))
                facts(fused).op = Op("rule", fusion.rule, bound=atoms, static={})
                return k, fused
    return None


def _repeats_a_variable(pattern) -> bool:
    """Whether a pattern names one of its variables twice (``x * x``): then it may match a
    single statement; other patterns must take in at least one statement before."""
    names = [n.id for n in gast.walk(pattern) if isinstance(n, gast.Name) and n.id != "np"]
    return len(names) != len(set(names))


def _match(pattern, node, bound: dict, defined: dict, absorbed: list) -> bool:
    """Whether ``node`` (expanding single-use temporaries) has the shape of ``pattern``."""
    if isinstance(pattern, gast.Name) and pattern.id != "np":  # a pattern variable
        if not isinstance(node, (gast.Name, gast.Constant)):
            return False
        if pattern.id in bound:
            known = bound[pattern.id]
            return type(known) is type(node) and gast.dump(known) == gast.dump(node)
        bound[pattern.id] = copy.deepcopy(node)
        return True
    if isinstance(node, gast.Name) and node.id in defined:
        value, stmt = defined[node.id]
        if stmt not in absorbed:
            absorbed.append(stmt)
        return _match(pattern, value, bound, defined, absorbed)
    if isinstance(pattern, gast.Constant):
        return isinstance(node, gast.Constant) and type(node.value) in (int, float) and \
            node.value == pattern.value
    if type(pattern) is not type(node):
        return False
    for field, value in gast.iter_fields(pattern):
        other = getattr(node, field, None)
        if isinstance(value, list):
            if not isinstance(other, list) or len(value) != len(other):
                return False
            if not all(_match(p, n, bound, defined, absorbed) for p, n in zip(value, other)):
                return False
        elif isinstance(value, gast.AST):
            if not isinstance(other, gast.AST) or not _match(value, other, bound, defined,
                                                              absorbed):
                return False
        elif field not in ("ctx", "kind", "type_comment") and value != other:
            return False
    return True


def _instantiate(pattern, bound: dict):
    """The pattern with its variables replaced by copies of their atoms, and the atoms: for
    each variable, the node of its first occurrence *in that expression*, so that renaming the
    statement's names (as later passes do) renames the operands its rule differentiates too."""
    atoms: dict = {}

    class Put(gast.NodeTransformer):
        def visit_Name(self, node):
            if node.id not in bound:
                return node
            atom = copy.deepcopy(bound[node.id])
            atoms.setdefault(node.id, atom)
            return atom

    value = Put().visit(copy.deepcopy(pattern))
    return value, atoms
