"""Naming and activity analysis of a normalized function.

:func:`rename` gives every assignment outside loops its own name (``h``, ``h_1`` ...), so the
backward pass can read any primal value without storing it. A loop keeps one name per
variable it assigns; values the backward pass reads from inside a loop go on the tape
(see :mod:`srcgrad.passes.reverse`).

:func:`activity` finds the *varied* variables (those that depend on the differentiated
parameters) and the *useful* ones (those the output depends on); only variables that are both
get adjoint code.

:func:`container_vars` says how deep each variable's containers nest (lists of arrays, lists
of tuples ...), for the backward pass's adjoints of containers.

Reads: a normalized, fused function. Writes: :func:`rename` a renamed copy with copies at loop
boundaries and ``facts(loop).assigned/sure/count``; :func:`activity` an :class:`Activity`
(nothing in the tree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import gast

from .. import ir
from ..errors import NonDifferentiableError
from ..ir import (
    SCOPES,
    Op,
    Source,
    assigned_in,
    atom_names,
    bodies,
    facts,
    name,
    op_of,
    operands_of,
    targets_of,
)
from ..ir import walk_statements as _walk_statements
from ..names import Namer
from ..rules import registry
from ..rules.operators import attribute_key


def _rename_loads(node, env: dict[str, str]) -> None:
    for sub in ir.walk(node):
        if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) and sub.id in env:
            sub.id = env[sub.id]


def _copy(target: str, source: str, origin) -> gast.Assign:
    """``target = source``, located (for comments and errors) where ``origin`` is."""
    stmt = gast.Assign(targets=[name(target, store=True)], value=name(source), type_comment=None)
    facts(stmt).locate_like(facts(origin))
    stmt.lineno = facts(origin).line
    facts(stmt).op = Op("copy", bound={"x": stmt.value})
    return stmt


@dataclass
class Renamer:
    """Single-assignment naming outside loops; one name per variable inside each loop."""

    namer: Namer
    wrt: set[str]
    env: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # names read by statements renamed so far
    defined_by: dict[str, gast.stmt] = field(default_factory=dict)
    loop_names: set[str] = field(default_factory=set)
    defined: set[str] = field(default_factory=set)  # variables set on some path to here
    sure: set[str] = field(default_factory=set)  # variables set on every path to here
    maybe_unbound: set[str] = field(default_factory=set)  # copied where they may be unset
    scope_names: list = field(default_factory=list)  # enclosing scopes' names per variable
    scope_loops: list = field(default_factory=list)  # whether each of those is a loop

    def block(self, stmts, in_loop: bool) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, (gast.Break, gast.Continue)) and True in self.scope_loops:
                # leaving the iteration: the loop's names get the values this path set (the
                # copies after the ifs around this statement are skipped)
                loop = len(self.scope_loops) - 1 - self.scope_loops[::-1].index(True)
                for original, loop_name in sorted(self.scope_names[loop].items()):
                    if self.env.get(original) != loop_name and original in self.defined:
                        out.append(self.copy(loop_name, original, stmt))
                out.append(stmt)
                continue
            if isinstance(stmt, SCOPES):
                out.extend(self.scope(stmt))
                if self.scope_names:  # an inner scope gave a variable a name of its own:
                    for original, scope_name in self.scope_names[-1].items():  # back to ours
                        if self.env[original] != scope_name and original in self.defined:
                            out.append(self.copy(scope_name, original, stmt))
                            self.env[original] = scope_name
                continue
            _rename_loads(stmt, self.env)
            reads = operands_of(stmt)
            op = facts(stmt).op
            if op is not None and op.kind == "rule":  # only rules' adjoints read values
                self.used |= reads
            if ir.is_write(stmt):  # x[i] = v: x keeps its name, its array changes
                self.used |= reads
                out.append(stmt)
                continue
            if isinstance(stmt, gast.Assign):
                targets = stmt.targets[0]
                target_nodes = [targets] if isinstance(targets, gast.Name) else targets.elts
                self.defined.update(t.id for t in target_nodes)
                self.sure.update(t.id for t in target_nodes)
                clash = in_loop and op is not None and op.kind == "rule" and \
                    any(self.env.get(t.id, t.id) in reads for t in target_nodes)
                if clash:  # x = x * w in a loop: compute into a temporary, then copy
                    final = [self.env[t.id] for t in target_nodes]
                    for t in target_nodes:
                        t.id = self.namer.numbered(self.env[t.id])
                        self.defined_by[t.id] = stmt
                    out.append(stmt)
                    for t, f in zip(target_nodes, final):
                        out.append(_copy(f, t.id, stmt))
                    continue
                for t in target_nodes:
                    t.id = self.version(t.id, in_loop)
                    self.defined_by[t.id] = stmt
            out.append(stmt)
        return out

    def copy(self, target: str, original: str, origin, current: str | None = None):
        """``target = <the current name of original>``; a name that may be unset on this
        path is noted, to be set to None at the start (reading it is then harmless)."""
        source = current if current is not None else self.env[original]
        if original not in self.sure:
            self.maybe_unbound.add(source)
        return _copy(target, source, origin)

    def version(self, original: str, in_loop: bool) -> str:
        if in_loop:
            return self.env[original]  # chosen when the loop was entered
        if original not in self.env:
            self.env[original] = original
        else:
            self.env[original] = self.namer.numbered(original)
        return self.env[original]

    def needs_own_name(self, current: str) -> bool:
        """Whether a loop must not overwrite the variable ``current`` (the backward pass may
        read it after the loop has run backwards)."""
        if current in self.wrt or current in self.used:
            return True
        stmt = self.defined_by.get(current)
        if stmt is None:
            return False
        op = facts(stmt).op
        if op is None or op.kind != "rule" or op.rule is None:
            return False  # copies, tuples and constants: their adjoints read no values
        return op.rule.reads_result

    def scope(self, stmt) -> list:
        """Rename a loop or an if: one name per variable it assigns, chosen on entry."""
        if not isinstance(stmt, gast.While):  # a while's test is evaluated inside the loop
            header = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            _rename_loads(header, self.env)
            self.used |= atom_names(header)
        assigned = assigned_in([stmt])
        count = facts(stmt).count
        if count:
            assigned.add(count)
        target = stmt.target.id if isinstance(stmt, gast.For) else None
        before = []
        scope_env = {}
        entry_copies: dict[str, str] = {}  # variables whose value on entry the scope keeps
        for original in sorted(assigned):
            current = self.env.get(original)
            if current is None:
                fresh = original not in self.loop_names and original not in self.env.values()
                scope_env[original] = original if fresh else self.namer.numbered(original)
            elif self.needs_own_name(current):
                scope_env[original] = self.namer.numbered(original)
                if original != target and original in self.defined:
                    entry_copies[original] = current  # (only if it may have a value here)
            else:
                scope_env[original] = current
        self.env.update(scope_env)
        self.loop_names |= set(scope_env.values())
        if isinstance(stmt, gast.For):
            stmt.target.id = self.env[stmt.target.id]
        if isinstance(stmt, gast.While):
            _rename_loads(stmt.test, self.env)
        count = facts(stmt).count
        if count:
            facts(stmt).count = self.env[count]
        entry = dict(self.env)
        entry_defined, entry_sure = set(self.defined), set(self.sure)
        facts(stmt).sure = {entry[v] for v in entry_sure if v in entry}  # set before it runs
        if isinstance(stmt, gast.If):
            # Copy on entry to each branch that reads the old value or may not assign it:
            # the old value need not exist on the other path (`if returned: ...`).
            branch_copies = [
                [self.copy(scope_env[v], v, stmt, current) for v, current in
                 entry_copies.items()
                 if v in ir.reads_in(body) or v not in definitely_assigned(body)]
                for body in bodies(stmt)]
        else:  # a loop may run zero times: the value must be there after it all the same
            before = [self.copy(scope_env[v], v, stmt, current)
                      for v, current in entry_copies.items()]
            branch_copies = [[]]
        new_bodies, defined_after, sure_after = [], [], []
        self.scope_names.append(scope_env)
        self.scope_loops.append(not isinstance(stmt, gast.If))
        for body, copies in zip(bodies(stmt), branch_copies):
            self.env = dict(entry)
            self.defined, self.sure = set(entry_defined), set(entry_sure)
            new_bodies.append(copies + self.block(body, in_loop=True))
            defined_after.append(self.defined)
            sure_after.append(self.sure)
        self.scope_names.pop()
        self.scope_loops.pop()
        self.env = entry
        # what either branch, or the loop (which may or may not run), may have set
        self.defined = entry_defined.union(*defined_after)
        self.sure = set.intersection(*sure_after) if isinstance(stmt, gast.If) else entry_sure
        if isinstance(stmt, gast.If):
            stmt.body, stmt.orelse = new_bodies
        else:
            stmt.body = new_bodies[0]
        count = facts(stmt).count
        facts(stmt).assigned = assigned_in([stmt]) | ({count} if count else set())
        return before + [stmt]


def definitely_assigned(stmts) -> set[str]:
    """Names every path through ``stmts`` assigns (loops may not run, so they count not)."""
    found: set[str] = set()
    for stmt in stmts:
        found.update(targets_of(stmt) if isinstance(stmt, gast.Assign) else ())
        if isinstance(stmt, gast.If):
            found |= definitely_assigned(stmt.body) & definitely_assigned(stmt.orelse)
    return found


def rename(fdef: gast.FunctionDef, namer: Namer,
           wrt: set[str]) -> tuple[gast.FunctionDef, set[str]]:
    """Rename assignments in place (see the module docstring).

    Returns the function and the set of names loops assign (their values change while the
    backward pass runs, so the backward pass restores them from the tape).
    """
    params = {a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs}
    renamer = Renamer(namer, set(wrt), env={p: p for p in params}, defined=set(params),
                      sure=set(params))
    renamer.used = set()
    fdef.body = renamer.block(fdef.body, in_loop=False)
    unset = [_none(v, fdef.body[0]) for v in sorted(renamer.maybe_unbound - params)]
    fdef.body = unset + fdef.body
    return fdef, renamer.loop_names


def _none(var: str, origin) -> gast.Assign:
    """``var = None``: a value for a variable that some paths never set."""
    stmt = _copy(var, var, origin)
    stmt.value = gast.Constant(value=None, kind=None)
    facts(stmt).op = Op("copy", bound={"x": stmt.value})
    return stmt


@dataclass
class Activity:
    varied: set[str]
    useful: set[str]

    def active(self, var: str) -> bool:
        return var in self.varied and var in self.useful


def _diff_operands(stmt) -> set[str]:
    """Names through which a gradient may flow into a statement's result."""
    op: Op | None = facts(stmt).op
    if op is None or op.kind == "nondiff":
        return set()
    if op.kind == "rule":
        assert op.rule is not None
        names = set()
        for param, atom in op.bound.items():  # (one without a template: the walk refuses it)
            if param not in op.rule.no_gradient:
                names |= value_names(atom)
        return names
    if op.kind in ("copy", "tuple", "dict", "setitem"):
        return value_names(op.bound.get("x")) | value_names(op.bound.get("value")) | \
            set().union(*(value_names(e) for e in op.elements))
    return value_reads(stmt.value)  # opaque (checked separately)


def value_reads(node) -> set[str]:
    """The names whose values an expression reads: not those it reads only for their shape
    (``x.shape``, ``x.ndim``, ``x.size``, ``len(x)``)."""
    shape_only = set()
    for sub in ir.walk(node):
        if isinstance(sub, gast.Attribute) and isinstance(sub.value, gast.Name):
            rule = registry.lookup(attribute_key(sub.attr))
            if rule is not None and rule.shape_query is not None:
                shape_only.add(id(sub.value))
        elif isinstance(sub, gast.Call) and ir.shape_query(sub) is not None:
            shape_only.add(id(sub.args[0]))
    return {n.id for n in ir.walk(node) if type(n) is gast.Name and type(n.ctx) is gast.Load
            and id(n) not in shape_only}


def value_names(atom) -> set[str]:
    """The variables whose values an atom passes on: a name, or the names in a tuple of
    atoms. Shape expressions (``x.shape[0]``, ``len(xs)``) pass on integers, no values."""
    if isinstance(atom, gast.Name):
        return {atom.id}
    if isinstance(atom, (gast.Tuple, gast.List)):
        return set().union(*(value_names(e) for e in atom.elts))
    if isinstance(atom, gast.Slice):  # an item of np.r_[a:b]: its bounds make values
        return set().union(*(value_names(e) for e in (atom.lower, atom.upper, atom.step)))
    return set()


def _read_after(stmts, target, loops: tuple = ()) -> set[str] | None:
    """The names read after ``target`` runs (in a loop around it: anywhere in the loop);
    None where ``stmts`` do not hold it."""
    for i, stmt in enumerate(stmts):
        if stmt is target:
            return ir.reads_in(stmts[i + 1:]) | set().union(*(ir.reads_in([lp]) for lp in loops))
        for body in bodies(stmt):
            inner = loops + (stmt,) if isinstance(stmt, (gast.For, gast.While)) else loops
            found = _read_after(body, target, inner)
            if found is not None:
                return found | ir.reads_in(stmts[i + 1:])
    return None


def activity(fdef: gast.FunctionDef, wrt: list[str], source: Source) -> Activity:
    """Varied and useful variables, iterated to a fixed point over loops.

    Raises :class:`NonDifferentiableError` where a varied value that the output depends on
    flows through an operation without a rule.
    """
    statements = list(_walk_statements(fdef.body))
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for stmt in statements:
            if isinstance(stmt, gast.Assign) and _diff_operands(stmt) & varied and \
                    op_of(stmt).kind != "opaque":
                for target in targets_of(stmt):
                    if target not in varied:
                        varied.add(target)
                        changed = True
    result = fdef.body[-1].value.id
    useful = {result}
    changed = True
    while changed:
        changed = False
        for stmt in reversed(statements):
            if isinstance(stmt, gast.Assign) and set(targets_of(stmt)) & useful:
                new = _diff_operands(stmt) - useful
                if new:
                    useful |= new
                    changed = True
    for stmt in statements:
        op = facts(stmt).op
        # A call kept for its effect, given a varied value, may change or keep what it gets
        # (ls[0].append(y)): refused where anything it gets is read later for the output.
        touched = value_reads(stmt.value) if isinstance(stmt, gast.Expr) or \
            isinstance(stmt, gast.Assign) and any(  # (a method's value taken: lambda: ls.pop())
                isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute)
                for n in gast.walk(stmt.value)) else set()
        if op is not None and op.kind == "opaque" and not op.static.get("read_only") and \
                touched & varied and touched & useful & (_read_after(fdef.body, stmt) or set()):
            raise (facts(stmt).source or source).error(
                NonDifferentiableError, stmt,
                f"{op.what} is called with a value being differentiated, for an effect srcgrad "
                "cannot follow: it may change that value in place, or keep it in something "
                "read later",
                "keep the values in a list that is a variable of the function (items.append"
                "(v)), call it on values that are not differentiated, or register what it "
                "writes (srcgrad.rules.registry.defeffect)")
        if isinstance(stmt, gast.Assign) and op is not None and op.kind == "opaque" and \
                set(targets_of(stmt)) & useful and value_reads(stmt.value) & varied:
            raise (facts(stmt).source or source).error(  # a helper's: its own file
                NonDifferentiableError, stmt,
                f"srcgrad has no differentiation rule for {op.what}, and its input depends on "
                f"{', '.join(wrt)} (the argument{'s' if len(wrt) > 1 else ''} being "
                "differentiated)",
                op.fix or "rewrite it with NumPy functions srcgrad knows (see `python -m "
                "srcgrad rules`), or register a rule for it with srcgrad.defvjp")
    return Activity(varied, useful)


#: How deeply a variable may nest containers: an array or number (0), a list, tuple or dict
#: of those (1), of such containers (2) ...; a parameter passed containers of containers, as
#: deep as may be (DEEP: its items are such too).
NOT, FLAT, DEEP = 0, 1, math.inf


def container_vars(fdef: gast.FunctionDef, container_params: dict[str, int]) -> set[str]:
    """Variables that may hold a list, tuple or dict (of arrays): their adjoints are lists or
    dicts too, summed with ``add_grads`` and never updated in place. ``container_params``
    says which parameters were passed containers, flat (1) or deep (2)."""
    depth: dict[str, float] = {p: FLAT if k == 1 else DEEP for p, k in container_params.items()}

    def of(atom) -> float:
        if isinstance(atom, gast.Name):
            return depth.get(atom.id, NOT)
        if isinstance(atom, (gast.Tuple, gast.List)):
            return 1 + max((of(e) for e in atom.elts), default=NOT)
        return NOT

    changed = True
    while changed:
        changed = False
        for stmt in _walk_statements(fdef.body):
            if not isinstance(stmt, gast.Assign) or not isinstance(stmt.targets[0], gast.Name):
                continue
            op = op_of(stmt)
            if op.kind in ("tuple", "dict"):
                new = 1 + max((of(e) for e in op.elements), default=NOT)
            elif op.kind == "copy":
                new = of(op.bound["x"])
            elif op.kind == "rule" and op.rule is not None and (
                    op.rule.concatenates or op.rule.repeats or
                    registry.concatenation(op.rule, op.bound, lambda a: of(a) != NOT)
                    is not None):  # xs + [h], [h] * n
                new = max(FLAT, of(op.bound["x1"]), of(op.bound["x2"]))
            elif op.kind == "rule" and op.rule is not None and op.rule.returns_sequence:
                new = FLAT
            elif op.kind == "rule" and op.rule is not None and op.rule.selects:
                sliced = isinstance(op.bound.get("index"), gast.Slice) or \
                    isinstance(op.static.get("index"), slice)
                # an item: one level less; a slice (xs[:i]): a list as deep
                new = of(op.bound["x"]) if sliced else max(NOT, of(op.bound["x"]) - 1)
            else:
                new = NOT
            target = stmt.targets[0].id
            new = DEEP if new > 8 else new  # (a = [a] in a loop nests without end)
            if new > depth.get(target, NOT):
                depth[target] = new
                changed = True
    return {v for v, k in depth.items() if k != NOT}
