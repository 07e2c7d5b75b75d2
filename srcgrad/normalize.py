"""A-normal form: one primitive per statement, with named temporaries.

After this pass a function body holds only:

- ``name = <op>`` or ``a, b = <op>`` where ``<op>`` is a copy of an atom, one operator, one
  call, one attribute, one subscript or one tuple, whose operands are *atoms* (names,
  constants, references to globals such as ``np.pi``, and tuples/slices of atoms);
- ``for name in range(atoms...):`` with a normalized body;
- expression statements (calls kept for their effect, such as ``print``), ``assert``, ``pass``;
- one ``return atom`` at the end.

Each statement carries ``sg_line`` (its line in the user's file) and, for assignments,
``sg_op``: an :class:`Op` saying which primitive computes it and how arguments bind to the
primitive's parameters. Per-primitive knowledge stays in the rules.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Any

import gast

from . import ir, runtime
from .errors import SourceUnavailableError, UnknownCallableError, UnsupportedSyntaxError
from .exits import always_exits, own_loop_exits, structure_exits, walk_own
from .inline import bind, is_user_function, parsed_helper, rename_apart
from .names import Namer
from .parse import ParsedFunction, lambda_as_def
from .resolve import Resolver
from .rules import registry
from .rules.registry import DYNAMIC, Rule

_BINOPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
           gast.MatMult: "@", gast.FloorDiv: "//", gast.Mod: "%", gast.BitAnd: "&",
           gast.BitOr: "|", gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>"}
_SHAPE_ATTRIBUTES = ("shape", "ndim", "size")
_COMPREHENSION_FIX = "write a for loop that appends to a list, then np.stack the list"
_FIXES = {gast.ListComp: _COMPREHENSION_FIX, gast.GeneratorExp: _COMPREHENSION_FIX,
          gast.SetComp: _COMPREHENSION_FIX, gast.DictComp: "build the dict in a for loop",
          gast.BoolOp: "use np.where(cond, a, b) to choose between values",
          gast.Lambda: "bind the lambda to a name first (f = lambda x: ...), then call f",
          gast.NamedExpr: "assign the value on a line of its own"}
_VIEW_METHODS = ("reshape", "ravel", "transpose", "view", "swapaxes", "squeeze")
_UNARY = {gast.USub: "unary -", gast.UAdd: "unary +", gast.Not: "not", gast.Invert: "~"}


@dataclass
class Op:
    """How a normalized assignment computes its value.

    ``kind``: ``"copy"`` (of ``bound["x"]``), ``"rule"`` (a primitive with a rule),
    ``"tuple"`` (a tuple or list of atoms in ``elements``), ``"dict"`` (a dict literal with
    constant keys in ``static["keys"]``), ``"nondiff"`` (a primitive whose
    result carries no gradient, such as a comparison) or ``"opaque"`` (an expression with no
    rule, kept as written: it must not depend on differentiated values; ``what`` names it).
    """

    kind: str
    rule: Rule | None = None
    bound: dict[str, Any] = field(default_factory=dict)
    static: dict[str, Any] = field(default_factory=dict)
    elements: list[Any] = field(default_factory=list)
    what: str = ""
    fix: str | None = None  # for an opaque operation: what to do if it must be differentiated


def atom_names(node) -> set[str]:
    """The local variable names an atom (or any expression) reads."""
    if node is None:
        return set()
    return {n.id for n in ir.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def name(id_: str, store: bool = False) -> gast.Name:
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)


def constant(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def static_value(node) -> Any:
    """The Python value of a literal atom (``1``, ``(0, 1)``, ``None``), or DYNAMIC."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, (gast.Tuple, gast.List)):
        values = [static_value(e) for e in node.elts]
        return DYNAMIC if any(v is DYNAMIC for v in values) else tuple(values)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = static_value(node.operand)
        return DYNAMIC if inner is DYNAMIC else -inner
    return DYNAMIC


class Normalizer:
    """Rewrites one parsed function into A-normal form."""

    def __init__(self, parsed: ParsedFunction, resolver: Resolver, namer: Namer):
        self.parsed = parsed
        self.source = parsed.source
        self.resolver = resolver
        self.namer = namer
        self.out: list[gast.stmt] = []
        self.line = parsed.tree.lineno
        self.shape_names: set[str] = set()
        self.find_shape_names()
        self.result: str | None = None  # the variable that several returns assign
        self.inlining = False  # normalizing a helper's body, to inline at a call
        self.inline_result = None
        self.inline_stack: tuple = ()  # helpers being inlined, to refuse recursion
        self.local_functions: dict[str, gast.FunctionDef] = {}  # inner defs and lambdas
        self.aliases: dict[str, str] = {}  # variable -> variable whose memory it may share
        self.alias_reads: set[int] = set()  # the Name nodes that made such sharing

    # -- errors ----------------------------------------------------------------------------
    def unsupported(self, node, what: str, fix: str):
        return self.source.error(UnsupportedSyntaxError, node, what, fix)

    # -- statements ------------------------------------------------------------------------
    def inline_body(self) -> tuple[list[gast.stmt], gast.expr]:
        """The statements of a helper's body and the atom holding its return value."""
        self.inlining = True
        return self.function()

    def function(self) -> gast.FunctionDef:
        tree = self.parsed.tree
        args = tree.args
        if args.vararg or args.kwarg:
            raise self.unsupported(tree, "*args and **kwargs parameters cannot be differentiated",
                                   "give the function named parameters")
        stmts = tree.body
        for node in walk_own(stmts):
            if isinstance(node, (gast.Yield, gast.YieldFrom)):
                raise self.unsupported(node, "generators (yield) cannot be differentiated",
                                       "return a value, or collect values in a list")
        returns = [n for n in walk_own(stmts) if isinstance(n, gast.Return)]
        if self.inlining and not returns:  # a helper called for its effects
            self.result = None
            self.inline_result = constant(None)
            return self.block(stmts), self.inline_result
        if len(returns) == 1 and stmts and stmts[-1] is returns[0]:
            self.result = None  # one return, at the end: its value is named where it stands
            stmts, _ = structure_exits(stmts, self.namer, self.source, "result")
        else:
            base = tree.name if tree.name.isidentifier() else "result"
            self.result = self.namer.fresh(base)
            stmts, _ = structure_exits(stmts, self.namer, self.source, self.result)
            self.resolver.locals |= {n.id for n in walk_own(stmts) if isinstance(n, gast.Name)
                                     and isinstance(n.ctx, gast.Store)} | {self.result}
            if not always_exits(stmts):
                where = stmts[-1] if stmts and returns else tree
                raise self.unsupported(where, "not every path through the function returns "
                                       "a value", "end every path with a return")
        body = self.block(stmts)
        if self.inlining:
            return body, (name(self.result) if self.result is not None else self.inline_result)
        if self.result is not None:
            ret = gast.Return(value=name(self.result))
            self.line = ret.lineno = tree.lineno
            self.emit(ret)
            body.append(self.out.pop())
        if not body or not isinstance(body[-1], gast.Return):
            raise self.unsupported(tree, "the function has no return statement at its end",
                                   "return the value to differentiate")
        fdef = gast.FunctionDef(name=tree.name, args=args, body=body, decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        return gast.copy_location(fdef, tree)

    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        saved, self.out = self.out, []
        for stmt in stmts:
            self.line = stmt.lineno
            self.statement(stmt)
        result, self.out = self.out, saved
        return result

    def emit(self, stmt: gast.stmt) -> gast.stmt:
        stmt.sg_line = self.line
        stmt.lineno = self.line
        stmt.sg_source = self.source
        if self.inline_stack:  # code inlined from a helper: comments say which
            stmt.sg_helper = self.parsed.tree.name
        self.out.append(stmt)
        return stmt

    def assign(self, target: str, value: gast.expr, op: Op) -> gast.Name:
        self.resolver.locals.add(target)
        if op.kind == "copy" and isinstance(value, (gast.Tuple, gast.List)):
            op = Op("tuple", elements=value.elts)  # a copy of a tuple of atoms builds a tuple
        stmt = self.emit(gast.Assign(targets=[name(target, store=True)], value=value,
                                     type_comment=None))
        stmt.sg_op = op
        return name(target)

    def statement(self, stmt: gast.stmt) -> None:
        method = getattr(self, "stmt_" + type(stmt).__name__, None)
        if method is None:
            raise self.unsupported_statement(stmt)
        method(stmt)

    def unsupported_statement(self, stmt):
        kinds = {
            "Try": ("try blocks cannot be differentiated", ("move error handling outside the "
                    "differentiated function")),
            "With": ("with blocks cannot be differentiated", ("move the with block outside the "
                     "differentiated function")),
            "AsyncWith": ("async with cannot be differentiated", "use ordinary code"),
            "AsyncFor": ("async for cannot be differentiated", "use an ordinary for loop"),
            "Global": ("global statements cannot be differentiated", ("pass the value as a "
                       "parameter and return the new value")),
            "Nonlocal": ("nonlocal statements cannot be differentiated", ("pass the value as a "
                         "parameter and return the new value")),
            "Delete": ("del cannot be differentiated", "remove the del statement"),
            "ClassDef": (("class definitions inside a differentiated function are not "
                         "supported"), "define the class outside the function"),
            "AsyncFunctionDef": ("async functions cannot be differentiated",
                                 "use ordinary functions"),
            "Raise": ("raise cannot be differentiated", ("check inputs before calling the "
                      "gradient")),
            "Import": ("imports inside a differentiated function are not supported",
                       "import at module level"),
            "ImportFrom": ("imports inside a differentiated function are not supported",
                           "import at module level"),
            "Match": ("match statements are not supported", "use np.where"),
        }
        what, fix = kinds.get(type(stmt).__name__, ((f"{type(stmt).__name__} statements are not "
                                                     "supported"), "rewrite it"))
        return self.unsupported(stmt, what, fix)

    def stmt_Pass(self, stmt):
        pass

    def stmt_FunctionDef(self, stmt):
        """An inner helper: inlined where it is called (it reads enclosing variables then)."""
        if stmt.decorator_list:
            raise self.unsupported(stmt, "decorated inner functions are not supported",
                                   "define the helper without decorators")
        self.local_functions[stmt.name] = stmt

    def stmt_Expr(self, stmt):
        value = stmt.value
        if isinstance(value, gast.Constant):  # a docstring or a bare literal
            return
        if isinstance(value, (gast.Yield, gast.YieldFrom)):
            raise self.unsupported(stmt, "generators (yield) cannot be differentiated",
                                   "return a value, or collect values in an array")
        if isinstance(value, gast.Await):
            raise self.unsupported(stmt, "await cannot be differentiated", "use ordinary code")
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
            base = self.resolver.resolve(value.func.value)
            method = value.func.attr
            if base.kind == "local" and isinstance(value.func.value, gast.Name) and \
                    method in ("append", "extend") and len(value.args) == 1 and \
                    not value.keywords:
                self.list_grows(value.func.value.id, value.args[0], method)
                return
            if base.kind == "local" and method in ("append", "extend", "insert", "update", "pop",
                                                   "fill", "sort", "setdefault", "remove",
                                                   "clear", "reverse", "resize", "put"):
                raise self.unsupported(stmt, f".{method}() changes a value in place, which "
                                       "srcgrad cannot differentiate",
                                       "build a new value instead (lst = lst + [x], "
                                       "np.concatenate, np.stack)")
        if isinstance(value, gast.Call) and self.is_helper_call(value):
            self.call(value, hint="unused")  # inlined for its effects; its value is unused
            return
        # Kept for its effect (print, np.random.seed ...): its operands become atoms.
        kept = self.emit(gast.Expr(value=self.opaque_expr(value)))
        kept.sg_op = Op("opaque", what=self.text(value))

    def is_helper_call(self, call: gast.Call) -> bool:
        """Whether ``call`` calls one of the user's functions (to be inlined)."""
        func = call.func
        if isinstance(func, gast.Name) and func.id in self.local_functions:
            return True
        resolved = self.resolver.resolve(func)
        if resolved.kind != "object" or registry.lookup(resolved.value) is not None:
            return False
        value = resolved.value
        return is_user_function(value) or (inspect.ismethod(value)
                                           and is_user_function(value.__func__))

    def list_grows(self, var: str, arg, method: str) -> None:
        """``lst.append(x)`` is ``lst = lst + [x]``; ``lst.extend(xs)`` is ``lst = lst + xs``."""
        if var in self.aliases or any(src == var for src in self.aliases.values()):
            raise self.unsupported(arg, f".{method}() changes {var} in place, and another "
                                   f"variable shares it", f"copy the list first: "
                                   f"{var} = list(...)")
        item = self.atom(arg, var)
        added = gast.List(elts=[item], ctx=gast.Load()) if method == "append" else item
        rule = registry.lookup("list +")
        listed = name(var)  # one node in the value and the op: renaming renames both
        self.assign(var, gast.BinOp(left=listed, op=gast.Add(), right=added),
                    Op("rule", rule, bound={"x1": listed, "x2": added}))

    def stmt_Assert(self, stmt):
        kept = self.emit(gast.Assert(test=self.opaque_expr(stmt.test),
                                     msg=self.opaque_expr(stmt.msg) if stmt.msg else None))
        kept.sg_op = Op("opaque", what="assert")

    def stmt_Return(self, stmt):
        if stmt.value is None or (isinstance(stmt.value, gast.Constant)
                                  and stmt.value.value is None):
            raise self.unsupported(stmt, "the function returns nothing",
                                   "return the value to differentiate")
        if isinstance(stmt.value, (gast.Tuple, gast.List)) and not self.inlining:
            raise self.unsupported(stmt, "returning several values is not supported",
                                   "return one array or scalar to differentiate (use vjp "
                                   "for an array output)")
        if self.result is not None:  # one of several returns: set the result, the path ends
            if not (isinstance(stmt.value, gast.Name) and stmt.value.id == self.result):
                self.expression(stmt.value, self.result)
            return
        if self.inlining:  # a helper's single return: its value is the call's value
            hint = self.parsed.tree.name if self.parsed.tree.name.isidentifier() else "result"
            self.inline_result = self.atom(stmt.value, hint)
            return
        if isinstance(stmt.value, gast.Name) and self.resolver.is_local(stmt.value.id):
            value = name(stmt.value.id)
        else:  # name the result after the function: `loss = np.mean(...)`
            result = self.parsed.tree.name if self.parsed.tree.name.isidentifier() else "result"
            value, op = self.operation(stmt.value, hint=result)
            if op is None:
                op = Op("copy", bound={"x": value})
            value = self.assign(self.namer.fresh(result), value, op)
        self.emit(gast.Return(value=value))

    def condition(self, test) -> gast.expr:
        """An atom holding an if's condition; the condition itself is never differentiated."""
        if isinstance(test, gast.Constant) or (isinstance(test, gast.Name)
                                               and self.resolver.is_local(test.id)):
            return self.atom(test, "cond")
        kept = self.opaque_expr(self.checked(test))
        return self.assign(self.namer.fresh("cond"), kept, Op("nondiff", what="condition"))

    def checked(self, node):
        """``node``, after checking that every name it reads is defined."""
        for sub in gast.walk(node):
            if isinstance(sub, gast.Name) and isinstance(sub.ctx, gast.Load) and \
                    not self.resolver.is_local(sub.id) and \
                    self.resolver.resolve(sub).kind == "unknown":
                raise self.source.error(UnsupportedSyntaxError, sub,
                                        f"name {sub.id!r} is not defined",
                                        "define it before the function")
        return node

    def stmt_If(self, stmt):
        test = self.condition(stmt.test)
        line = self.line
        body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        self.line = line
        branch = self.emit(gast.If(test=test, body=body, orelse=orelse))
        branch.sg_op = Op("opaque", what="if")

    def stmt_While(self, stmt):
        if stmt.orelse:
            raise self.unsupported(stmt, "while ... else is not supported",
                                   "move the else block after the loop")
        line = self.line
        steps = self.namer.fresh("steps")
        self.assign(steps, constant(0), Op("copy", bound={"x": constant(0)}))
        test = self.opaque_expr(self.checked(stmt.test))
        saved, self.out = self.out, []
        self.count(steps)
        body = self.out + self.block(stmt.body)
        self.out = saved
        self.line = line
        loop = self.emit(gast.While(test=test, body=body, orelse=[]))
        loop.sg_op = Op("opaque", what="while")
        loop.sg_count = steps

    def count(self, steps: str) -> None:
        """``steps = steps + 1``: how many times a loop body started, for the backward pass."""
        self.assign(steps, gast.BinOp(left=name(steps), op=gast.Add(), right=constant(1)),
                    Op("nondiff", what="count"))

    def stmt_Break(self, stmt):
        self.emit(gast.Break())

    def stmt_AugAssign(self, stmt):
        if isinstance(stmt.target, gast.Subscript):  # x[i] += e is x[i] = x[i] + e
            load = copy.deepcopy(stmt.target)
            load.ctx = gast.Load()
            value = gast.copy_location(gast.BinOp(left=load, op=stmt.op, right=stmt.value), stmt)
            self.assign_to(stmt.target, value, stmt)
            return
        if not isinstance(stmt.target, gast.Name):
            raise self.unsupported(stmt, "augmented assignment to an attribute cannot be "
                                   "differentiated", "use a local variable")
        self.check_no_shared_memory(stmt)
        load = name(stmt.target.id)
        value = gast.BinOp(left=load, op=stmt.op, right=stmt.value)
        gast.copy_location(value, stmt)
        self.assign_to(stmt.target, value, stmt)

    def write_into(self, target: gast.Subscript, value, stmt) -> None:
        """``x[index] = value``: an in-place write, undone by the backward pass."""
        base = target.value
        if not (isinstance(base, gast.Name) and self.resolver.is_local(base.id)):
            raise self.unsupported(stmt, "assigning into part of something other than a local "
                                   "array is not supported", "assign into a local array")
        self.refuse_shared_write(base.id, stmt, f"{base.id}[...] = ...")
        atom_ = self.atom(value, base.id)
        index = self.index(target.slice, base.id)
        written = name(base.id)  # one node in the target and the op: renaming renames both
        write = self.emit(gast.Assign(targets=[gast.Subscript(value=written, slice=index,
                                                              ctx=gast.Store())],
                                      value=atom_, type_comment=None))
        write.sg_op = Op("setitem", bound={"x": written, "index": index, "value": atom_})

    def refuse_shared_write(self, target: str, stmt, what: str, fix: str | None = None) -> None:
        """Refuse an in-place change of ``target`` seen through another variable that is read
        (``y = x`` or ``y = x[:2]`` make them share memory)."""
        sharing = {other for other, source in self.aliases.items() if source == target}
        if target in self.aliases:
            sharing.add(self.aliases[target])
        for other in sorted(sharing - {target}):
            if self.read_outside_aliasing(other):
                raise self.unsupported(
                    stmt, f"'{what}' would change {target}'s array in place, and {target} "
                    f"shares memory with {other}, which is used elsewhere",
                    (fix + " (or " if fix else "") + f"copy it first: {target} = "
                    f"{other}.copy()" + (")" if fix else ""))

    def check_no_shared_memory(self, stmt) -> None:
        """``y += 1`` changes y's array in place, where srcgrad computes ``y = y + 1`` (a new
        array): the same only when no other variable that is read sees y's memory."""
        target, op = stmt.target.id, self.text_op(stmt.op)
        self.refuse_shared_write(target, stmt, f"{target} {op}= ...",
                                 f"write {target} = {target} {op} ... to make a new array")

    def text_op(self, op) -> str:
        return _BINOPS.get(type(op), "?")

    def read_outside_aliasing(self, var: str) -> bool:
        for node in ir.walk(self.parsed.tree):
            if isinstance(node, gast.Name) and node.id == var and \
                    isinstance(node.ctx, gast.Load) and id(node) not in self.alias_reads:
                return True
        return False

    def note_alias(self, target: str, value) -> None:
        """Remember that ``target = value`` may make target share memory with a variable."""
        base = value
        while isinstance(base, (gast.Subscript, gast.Attribute)) or (
                isinstance(base, gast.Call) and isinstance(base.func, gast.Attribute)
                and base.func.attr in _VIEW_METHODS):
            base = base.value if not isinstance(base, gast.Call) else base.func.value
        if isinstance(base, gast.Name) and self.resolver.is_local(base.id) and \
                not (isinstance(value, gast.Attribute) and value.attr in _SHAPE_ATTRIBUTES):
            self.aliases[target] = self.aliases.get(base.id, base.id)
            self.alias_reads.add(id(base))
        else:
            self.aliases.pop(target, None)

    def stmt_AnnAssign(self, stmt):
        if stmt.value is not None:
            self.assign_to(stmt.target, stmt.value, stmt)

    def stmt_Assign(self, stmt):
        if len(stmt.targets) != 1:  # a = b = value
            value = self.atom(stmt.value, hint=self.target_hint(stmt.targets[0]))
            for target in stmt.targets:
                self.assign_to(target, value, stmt)
            return
        self.assign_to(stmt.targets[0], stmt.value, stmt)

    def target_hint(self, target) -> str:
        return target.id if isinstance(target, gast.Name) else "tmp"

    def assign_to(self, target, value, stmt):
        if isinstance(target, gast.Name) and isinstance(value, gast.Lambda):
            self.local_functions[target.id] = lambda_as_def(value, target.id)
            return
        if isinstance(target, gast.Name):
            if stmt is not None and not isinstance(stmt, gast.AugAssign):
                self.note_alias(target.id, value)
            self.expression(value, target.id)
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, value, stmt)
        elif isinstance(target, gast.Subscript):
            self.write_into(target, value, stmt)
        elif isinstance(target, gast.Attribute):
            raise self.unsupported(stmt, "assigning to an attribute cannot be differentiated",
                                   "use a local variable")
        else:
            raise self.unsupported(stmt, "this assignment target is not supported",
                                   "assign to a plain name")

    def unpack(self, target, value, stmt):
        if not all(isinstance(t, gast.Name) for t in target.elts):
            raise self.unsupported(stmt, "nested or starred unpacking is not supported",
                                   "unpack one level at a time into names")
        names = [t.id for t in target.elts]
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(names):
            read = set().union(*(atom_names(v) for v in value.elts))
            if not read & set(names):  # a, b = x[0], x[1]: no target is read, assign directly
                for v, n in zip(value.elts, names):
                    self.expression(v, n)
                return
            atoms = [self.atom(v, hint=n) for v, n in zip(value.elts, names)]
            # Atoms are read before any target is written, so `a, b = b, a` swaps.
            temps = []
            for atom_, n in zip(atoms, names):
                if atom_names(atom_) & set(names):
                    atom_ = self.assign(self.namer.fresh(n + "_old"), atom_,
                                        Op("copy", bound={"x": atom_}))
                temps.append(atom_)
            for atom_, n in zip(temps, names):
                self.assign(n, atom_, Op("copy", bound={"x": atom_}))
            return
        if isinstance(value, gast.Call):
            call, op = self.call(value, hint="_".join(names))
            if op is None:  # an inlined helper: its value is an atom, a tuple of atoms too
                if isinstance(call, (gast.Tuple, gast.List)) and len(call.elts) == len(names):
                    for atom_, n in zip(call.elts, names):
                        self.assign(n, atom_, Op("copy", bound={"x": atom_}))
                    return
                call = self.named(call, "_".join(names))
                op = Op("copy", bound={"x": call})
            if op.kind in ("opaque", "nondiff") or \
                    (op.kind == "rule" and op.rule is not None and op.rule.returns_sequence):
                out = self.emit(gast.Assign(targets=[gast.Tuple(
                    elts=[name(n, store=True) for n in names], ctx=gast.Store())], value=call,
                    type_comment=None))
                out.sg_op = op
                return
            source = self.assign(self.namer.fresh("_".join(names)), call, op)
        else:
            source = self.atom(value, hint="_".join(names))
            if not isinstance(source, gast.Name):
                source = self.assign(self.namer.fresh("_".join(names)), source,
                                     Op("copy", bound={"x": source}))
        # a, b = x means a = x[0]; b = x[1] (arrays unpack along their first axis).
        for i, n in enumerate(names):
            self.subscript_assign(n, source, constant(i))

    def subscript_assign(self, target, value_atom, index_atom):
        self.assign(target, gast.Subscript(value=value_atom, slice=index_atom, ctx=gast.Load()),
                    self.getitem_op(value_atom, index_atom))

    def getitem_op(self, base, index) -> Op:
        return Op("rule", registry.lookup("getitem"), bound={"x": base, "index": index},
                  static={"index": static_value(index),
                          "basic_index": self.is_basic_index(index)})

    def is_basic_index(self, index) -> bool:
        """Whether an index certainly holds only integers, slices, None and Ellipsis."""
        if isinstance(index, gast.Tuple):
            return all(self.is_basic_index(e) for e in index.elts)
        if isinstance(index, gast.Slice):
            return True  # slice bounds are integers or None
        if isinstance(index, gast.Constant):
            return index.value is None or index.value is Ellipsis or (
                isinstance(index.value, int) and not isinstance(index.value, bool))
        return self.is_shape_expression(index)

    def stmt_For(self, stmt):
        has_break = any(isinstance(n, gast.Break) for n in own_loop_exits(stmt.body))
        iterable = stmt.iter
        target = stmt.target
        items: list[tuple[Any, Any]] = []  # (target name node, sequence atom) pairs to index
        if isinstance(iterable, gast.Call) and self.is_builtin(iterable.func, "range"):
            if iterable.keywords or not 1 <= len(iterable.args) <= 3:
                raise self.unsupported(stmt, "range() takes 1 to 3 positional arguments here",
                                       "write range(stop) or range(start, stop, step)")
            if not isinstance(target, gast.Name):
                raise self.unsupported(stmt, "a range loop needs a plain loop variable",
                                       "write for i in range(...)")
            args = [self.atom(a, hint="n") for a in iterable.args]
            index = target.id
        elif isinstance(iterable, gast.Call) and self.is_builtin(iterable.func, "enumerate"):
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2
                    and isinstance(target.elts[0], gast.Name)
                    and len(iterable.args) == 1 and not iterable.keywords):
                raise self.unsupported(stmt, "this form of enumerate is not supported",
                                       "write for i, item in enumerate(xs)")
            index = target.elts[0].id
            items.append((target.elts[1], self.sequence_atom(iterable.args[0])))
            args = [self.length(items[0][1])]
        elif isinstance(iterable, gast.Call) and self.is_builtin(iterable.func, "zip"):
            if not (isinstance(target, gast.Tuple)
                    and len(target.elts) == len(iterable.args) and not iterable.keywords):
                raise self.unsupported(stmt, "this form of zip is not supported",
                                       "write for a, b in zip(xs, ys)")
            for t, seq in zip(target.elts, iterable.args):
                items.append((t, self.sequence_atom(seq)))
            index = self.namer.fresh("i")
            args = [self.length(items[0][1])]
        else:
            items.append((target, self.sequence_atom(iterable)))
            base = target.id if isinstance(target, gast.Name) else "item"
            index = self.namer.fresh(base + "_index")
            args = [self.length(items[0][1])]
        loop_line = self.line
        steps = None
        if has_break:  # the backward pass runs only the iterations that started
            steps = self.namer.fresh("steps")
            self.assign(steps, constant(0), Op("copy", bound={"x": constant(0)}))
        body_prefix = []
        saved, self.out = self.out, []
        if steps is not None:
            self.count(steps)
        for t, seq in items:
            self.line = loop_line
            self.bind_item(t, seq, name(index))
        body_prefix, self.out = self.out, saved
        body = self.block(stmt.body)
        self.line = loop_line
        rng = gast.Call(func=name("range"), args=args, keywords=[])
        loop = self.emit(gast.For(target=name(index, store=True), iter=rng,
                                  body=body_prefix + body, orelse=[], type_comment=None))
        loop.sg_op = Op("opaque", what="for")
        loop.sg_count = steps
        for orelse in stmt.orelse:  # without break, a loop's else block always runs after it
            self.line = orelse.lineno
            self.statement(orelse)

    def bind_item(self, target, seq, index) -> None:
        """``target = seq[index]``, unpacking a tuple target (``for W, b in layers``)."""
        if isinstance(target, gast.Name):
            self.subscript_assign(target.id, seq, index)
            return
        if not isinstance(target, (gast.Tuple, gast.List)):
            raise self.unsupported(target, "this loop target is not supported",
                                   "loop over plain names")
        item = self.namer.fresh("item")
        self.subscript_assign(item, seq, index)
        for i, element in enumerate(target.elts):
            self.bind_item(element, name(item), constant(i))

    def is_builtin(self, func, wanted: str) -> bool:
        resolved = self.resolver.resolve(func)
        import builtins
        return resolved.kind == "object" and resolved.value is getattr(builtins, wanted)

    def sequence_atom(self, node):
        atom_ = self.atom(node, hint="seq")
        if not isinstance(atom_, gast.Name):
            atom_ = self.assign(self.namer.fresh("seq"), atom_, Op("copy", bound={"x": atom_}))
        return atom_

    def length(self, seq_atom):
        n = self.namer.fresh("n_" + seq_atom.id if len(seq_atom.id) < 12 else "n")
        return self.assign(n, gast.Call(func=name("len"), args=[seq_atom], keywords=[]),
                           Op("rule", registry.lookup(len), bound={"obj": seq_atom}))

    # -- expressions -----------------------------------------------------------------------
    def text(self, node) -> str:
        from .codegen import expression_source
        return expression_source(node)

    def expression(self, node, target: str) -> None:
        """Emit statements computing ``node`` into the variable ``target``."""
        value, op = self.operation(node, hint=target)
        if op is None:  # already an atom
            op = Op("copy", bound={"x": value})
        self.assign(target, value, op)

    def find_shape_names(self) -> set[str]:
        """Locals only ever assigned shape expressions (``H = h.shape[1]``)."""
        values: dict[str, list] = {}
        for node in gast.walk(self.parsed.tree):
            if isinstance(node, gast.Assign):
                for target in node.targets:
                    if isinstance(target, gast.Name):
                        values.setdefault(target.id, []).append(node.value)
                    elif isinstance(target, (gast.Tuple, gast.List)):
                        for sub in gast.walk(target):
                            if isinstance(sub, gast.Name):
                                values.setdefault(sub.id, []).append(None)
            elif isinstance(node, gast.For) and isinstance(node.iter, gast.Call) and \
                    self.is_builtin(node.iter.func, "range") and \
                    isinstance(node.target, gast.Name):
                values.setdefault(node.target.id, []).append(constant(0))  # an int
            elif isinstance(node, (gast.AugAssign, gast.AnnAssign, gast.For)):
                for sub in gast.walk(node.target):
                    if isinstance(sub, gast.Name):
                        values.setdefault(sub.id, []).append(None)
        self.shape_names = set()
        changed = True
        while changed:
            changed = False
            for var, assigned in values.items():
                if var not in self.shape_names and all(
                        v is not None and self.is_shape_expression(v) for v in assigned):
                    self.shape_names.add(var)
                    changed = True
        return self.shape_names

    def is_shape_expression(self, node) -> bool:
        """``x.shape[0]``, ``len(xs)``, ``2 * H``: integers about shapes, kept as written."""
        if isinstance(node, gast.Constant):
            return isinstance(node.value, int) and not isinstance(node.value, bool)
        if isinstance(node, gast.Name):
            return node.id in self.shape_names
        if isinstance(node, gast.Attribute):
            return node.attr in _SHAPE_ATTRIBUTES and self.is_plain(node.value)
        if isinstance(node, gast.Subscript):
            return isinstance(node.value, gast.Attribute) and \
                node.value.attr == "shape" and self.is_plain(node.value.value) and \
                self.is_shape_expression(node.slice)
        if isinstance(node, gast.Call):
            return self.is_builtin(node.func, "len") and len(node.args) == 1 and \
                not node.keywords and self.is_plain(node.args[0])
        if isinstance(node, gast.BinOp) and type(node.op) in (gast.Add, gast.Sub, gast.Mult,
                                                               gast.FloorDiv):
            return self.is_shape_expression(node.left) and self.is_shape_expression(node.right)
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            return self.is_shape_expression(node.operand)
        return False

    def is_plain(self, node) -> bool:
        return isinstance(node, gast.Name) and self.resolver.is_local(node.id)

    def atom(self, node, hint: str):
        """An atom holding the value of ``node``, emitting statements for what it needs."""
        if isinstance(node, gast.Constant):
            return node
        if not isinstance(node, gast.Name) and self.is_shape_expression(node):
            return node
        if isinstance(node, gast.Name):
            if self.resolver.is_local(node.id):
                return name(node.id)
            resolved = self.resolver.resolve(node)
            if resolved.kind == "unknown":
                raise self.source.error(
                    UnsupportedSyntaxError, node, f"name {node.id!r} is not defined",
                    "define it before the function, or pass it as a parameter")
            return name(node.id)
        if isinstance(node, gast.Attribute):
            resolved = self.resolver.resolve(node)
            if resolved.kind == "object":  # np.pi, np.newaxis, a module constant
                return node
        if isinstance(node, (gast.Tuple, gast.List)) and isinstance(node.ctx, gast.Load):
            elts = [self.atom(e, hint) for e in node.elts]
            return type(node)(elts=elts, ctx=gast.Load())
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and \
                isinstance(node.operand, gast.Constant) and \
                isinstance(node.operand.value, (int, float)):
            return constant(-node.operand.value)
        value, op = self.operation(node, hint)
        if op is None:
            return value
        return self.assign(self.namer.temporary(hint), value, op)

    def operation(self, node, hint: str):
        """One operation on atoms computing ``node``, and its :class:`Op` (None for atoms)."""
        if not isinstance(node, (gast.Name, gast.Constant)) and self.is_shape_expression(node):
            return node, Op("nondiff", what="shape")
        if isinstance(node, gast.BinOp):
            left = self.atom(node.left, hint)
            right = self.atom(node.right, hint)
            key = _BINOPS[type(node.op)]
            return (gast.BinOp(left=left, op=node.op, right=right),
                    self.rule_op(key, [left, right], {}, node))
        if isinstance(node, gast.UnaryOp):
            operand = self.atom(node.operand, hint)
            key = _UNARY[type(node.op)]
            return gast.UnaryOp(op=node.op, operand=operand), self.rule_op(key, [operand], {},
                                                                           node)
        if isinstance(node, gast.Compare):
            left = self.atom(node.left, hint)
            comparators = [self.atom(c, hint) for c in node.comparators]
            return (gast.Compare(left=left, ops=node.ops, comparators=comparators),
                    Op("nondiff", what="comparison"))
        if isinstance(node, gast.Call):
            return self.call(node, hint)
        if isinstance(node, gast.Attribute):
            base = self.atom(node.value, hint)
            rule = registry.lookup("attr " + node.attr)
            expr = gast.Attribute(value=base, attr=node.attr, ctx=gast.Load())
            if rule is None:
                return expr, Op("opaque", what=f".{node.attr}")
            return expr, Op("rule", rule, bound={"x": base})
        if isinstance(node, gast.Subscript):
            base = self.atom(node.value, hint)
            index = self.index(node.slice, hint)
            return (gast.Subscript(value=base, slice=index, ctx=gast.Load()),
                    self.getitem_op(base, index))
        if isinstance(node, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in node.elts):
                return self.opaque_expr(node), Op("opaque", what="a *starred item")
            elts = [self.atom(e, hint) for e in node.elts]
            return type(node)(elts=elts, ctx=gast.Load()), Op("tuple", elements=elts)
        if isinstance(node, gast.Dict) and all(isinstance(k, gast.Constant) for k in node.keys):
            values = [self.atom(v, hint) for v in node.values]
            return (gast.Dict(keys=node.keys, values=values),
                    Op("dict", elements=values, static={"keys": [k.value for k in node.keys]}))
        if isinstance(node, (gast.Name, gast.Constant)):
            return self.atom(node, hint), None
        if isinstance(node, gast.IfExp):  # a if c else b: an if statement into a temporary
            target = self.namer.numbered(hint)
            test = self.condition(node.test)
            line = self.line
            saved, self.out = self.out, []
            self.expression(node.body, target)
            body, self.out = self.out, []
            self.expression(node.orelse, target)
            orelse, self.out = self.out, saved
            self.line = line
            branch = self.emit(gast.If(test=test, body=body, orelse=orelse))
            branch.sg_op = Op("opaque", what="if")
            return name(target), None
        if isinstance(node, (gast.BoolOp, gast.Dict, gast.Set, gast.ListComp,
                             gast.SetComp, gast.DictComp, gast.GeneratorExp, gast.JoinedStr,
                             gast.Lambda, gast.NamedExpr, gast.Starred)):
            return self.opaque_expr(node), Op("opaque", what=self.describe(node),
                                              fix=_FIXES.get(type(node)))
        if isinstance(node, (gast.Yield, gast.YieldFrom)):
            raise self.unsupported(node, "generators (yield) cannot be differentiated",
                                   "return a value, or collect values in an array")
        if isinstance(node, gast.Await):
            raise self.unsupported(node, "await cannot be differentiated", "use ordinary code")
        raise self.unsupported(node, f"{type(node).__name__} expressions are not supported",
                               "rewrite the expression with NumPy calls")

    def describe(self, node) -> str:
        names = {gast.BoolOp: "and/or", gast.IfExp: "a conditional expression (a if c else b)",
                 gast.Dict: "a dict literal", gast.Set: "a set literal",
                 gast.ListComp: "a list comprehension", gast.SetComp: "a set comprehension",
                 gast.DictComp: "a dict comprehension", gast.GeneratorExp: "a generator",
                 gast.JoinedStr: "an f-string", gast.Lambda: "a lambda",
                 gast.NamedExpr: "an assignment expression (:=)", gast.Starred: "a *starred"}
        return names.get(type(node), type(node).__name__)

    def opaque_expr(self, node):
        """``node`` with every local name it reads left in place: kept exactly as written."""
        if isinstance(node, (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp,
                             gast.GeneratorExp)):
            return node
        if isinstance(node, gast.Call):
            func = node.func
            resolved = self.resolver.resolve(func)
            if resolved.kind == "unknown" and resolved.root and \
                    not self.resolver.is_local(resolved.root):
                raise self.source.error(UnsupportedSyntaxError, node,
                                        f"name {resolved.root!r} is not defined",
                                        "define it before the function")
            args = [self.opaque_arg(a) for a in node.args]
            kws = [gast.keyword(arg=k.arg, value=self.opaque_arg(k.value)) for k in
                   node.keywords]
            return gast.Call(func=func, args=args, keywords=kws)
        return node

    def opaque_arg(self, node):
        if isinstance(node, gast.Starred):
            return gast.Starred(value=self.atom(node.value, "args"), ctx=gast.Load())
        return self.atom(node, "arg")

    def index(self, node, hint):
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.atom(p, hint) for p in
                     (node.lower, node.upper, node.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e, hint) for e in node.elts], ctx=gast.Load())
        return self.atom(node, hint)

    def named(self, atom_, hint: str) -> gast.Name:
        """``atom_`` as a name: constants and tuples get a variable of their own."""
        if isinstance(atom_, gast.Name):
            return atom_
        op = Op("tuple", elements=atom_.elts) if isinstance(atom_, (gast.Tuple, gast.List)) \
            else Op("copy", bound={"x": atom_})
        return self.assign(self.namer.fresh(hint), atom_, op)

    def constant_atom(self, value) -> gast.expr:
        """An atom for a Python object: a literal where it has one, else a global name."""
        if value is None or isinstance(value, (bool, int, float, complex, str)):
            return constant(value)
        if isinstance(value, tuple):
            return gast.Tuple(elts=[self.constant_atom(v) for v in value], ctx=gast.Load())
        return name(self.resolver.add_global("default", value))

    def inline_function(self, fn, call: gast.Call, hint: str):
        """Differentiate through a call to the user's function ``fn`` by inlining it."""
        if fn.__code__ in self.inline_stack:
            raise self.unsupported(call, f"{fn.__name__} calls itself (recursion), which "
                                   "srcgrad cannot differentiate: it inlines helper functions",
                                   "rewrite the recursion as a loop")
        if hasattr(fn, "__wrapped__") and hasattr(fn, "generated"):
            raise self.unsupported(call, f"{fn.__qualname__} is a gradient made by srcgrad: "
                                   "higher-order derivatives are not supported",
                                   "differentiate the original function only")
        try:
            parsed = parsed_helper(fn)
        except SourceUnavailableError as exc:
            raise self.source.error(
                UnknownCallableError, call, f"{fn.__qualname__} has neither a rule nor "
                f"readable source ({exc})", "define it in a file, or register a rule for it "
                "with srcgrad.defvjp") from None
        pairs = bind(self, parsed.tree, fn, call, hint, parsed.source)
        tree, mapping = rename_apart(parsed.tree, self.namer)
        sub_parsed = ParsedFunction(fn, tree, parsed.source, parsed.globals, parsed.closure,
                                    parsed.cells)
        resolver = Resolver(sub_parsed, set(mapping.values()), shared=self.resolver)
        return self.inline(sub_parsed, resolver, pairs, mapping, fn.__code__, {})

    def inline_local(self, fdef: gast.FunctionDef, call: gast.Call, hint: str):
        """Differentiate through a call to a function defined inside the function (a def or a
        lambda bound to a name), reading the enclosing variables as they are at the call."""
        if fdef in self.inline_stack:
            raise self.unsupported(call, f"{fdef.name} calls itself (recursion), which "
                                   "srcgrad cannot differentiate", "rewrite it as a loop")
        pairs = bind(self, fdef, None, call, hint, self.source)
        tree, mapping = rename_apart(fdef, self.namer)
        sub_parsed = ParsedFunction(self.parsed.fn, tree, self.source, self.parsed.globals,
                                    self.parsed.closure, self.parsed.cells)
        resolver = Resolver(sub_parsed, self.resolver.locals | set(mapping.values()),
                            shared=self.resolver)
        return self.inline(sub_parsed, resolver, pairs, mapping, fdef, self.local_functions)

    def inline(self, parsed, resolver, pairs, mapping, key, local_functions):
        line = self.line
        for param, atom_ in pairs:
            self.assign(mapping[param], atom_, Op("copy", bound={"x": atom_}))
        sub = Normalizer(parsed, resolver, self.namer)
        sub.inline_stack = self.inline_stack + (key,)
        sub.local_functions = dict(local_functions)
        stmts, result = sub.inline_body()
        self.out.extend(stmts)
        self.line = line
        return result, None

    def call(self, node: gast.Call, hint: str):
        func = node.func
        if isinstance(func, gast.Name) and func.id in self.local_functions:
            return self.inline_local(self.local_functions[func.id], node, hint)
        resolved = self.resolver.resolve(func)
        if resolved.kind == "local" and isinstance(func, gast.Attribute):
            return self.method_call(node, hint)
        if resolved.kind == "unknown":
            if isinstance(func, gast.Attribute) and not (resolved.root and not
                                                         self.resolver.is_local(resolved.root)):
                return self.method_call(node, hint)
            raise self.source.error(UnsupportedSyntaxError, node,
                                    f"name {resolved.root!r} is not defined",
                                    "define it before the function, or pass it as a parameter")
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            expr = self.opaque_expr(node)
            return expr, Op("opaque", what=f"a call to {self.text(func)} with * or ** "
                            "arguments", fix="pass the arguments one by one: srcgrad binds "
                            "them to the function's parameters when it transforms the code")
        args = [self.atom(a, hint) for a in node.args]
        kwargs = {k.arg: self.atom(k.value, hint) for k in node.keywords}
        rule = registry.lookup(resolved.value) if resolved.kind == "object" else None
        if rule is None and resolved.kind == "object" and is_user_function(resolved.value):
            return self.inline_function(resolved.value, node, hint)
        if rule is None and resolved.kind == "object" and inspect.ismethod(resolved.value) \
                and is_user_function(resolved.value.__func__):  # model.loss(x): self bound
            receiver = name(self.resolver.add_global("self", resolved.value.__self__))
            bound_call = gast.Call(func=node.func, args=[receiver] + list(node.args),
                                   keywords=node.keywords)
            gast.copy_location(bound_call, node)
            return self.inline_function(resolved.value.__func__, bound_call, hint)
        out_func = self.callee_expr(func, rule)
        expr = gast.Call(func=out_func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])
        if rule is None:
            what = self.text(func)
            return expr, Op("opaque", bound={"callable": resolved.value}, what=what)
        return expr, self.rule_op(rule.key, args, kwargs, node, rule=rule)

    def callee_expr(self, func, rule: Rule | None):
        """How generated code names a callee: ``np.<name>`` for NumPy rules, its own name for a
        runtime helper (``astype`` where NumPy has no ``np.astype``), else as written."""
        if rule is not None and (rule.name.startswith("np.")
                                 or getattr(runtime, rule.name, None) is rule.key):
            return gast.parse(rule.name, mode="eval").body
        return func

    def method_call(self, node: gast.Call, hint: str):
        func = node.func
        receiver = self.atom(func.value, hint)
        method = registry.lookup_method(func.attr)
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise self.unsupported(node, "*args and **kwargs in method calls are not supported",
                                   "pass the arguments one by one")
        args = [self.atom(a, hint) for a in node.args]
        kwargs = {k.arg: self.atom(k.value, hint) for k in node.keywords}
        if method is None:
            expr = gast.Call(func=gast.Attribute(value=receiver, attr=func.attr,
                                                 ctx=gast.Load()), args=args,
                             keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])
            return expr, Op("opaque", what=f".{func.attr}()")
        if method.pack_varargs and len(args) > 1:
            args = [gast.Tuple(elts=args, ctx=gast.Load())]
        rule = registry.lookup(method.function)
        out_func = self.callee_expr(None, rule) if rule is not None else None
        all_args = [receiver] + args
        if out_func is None:
            expr = gast.Call(func=gast.Attribute(value=receiver, attr=func.attr,
                                                 ctx=gast.Load()), args=args,
                             keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])
            return expr, Op("opaque", what=f".{func.attr}()")
        assert rule is not None  # (out_func is made from it)
        expr = gast.Call(func=out_func, args=all_args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])
        return expr, self.rule_op(rule.key, all_args, kwargs, node, rule=rule)

    def rule_op(self, key, args, kwargs, node, rule: Rule | None = None) -> Op:
        rule = rule or registry.lookup(key)
        if rule is None:
            return Op("opaque", what=str(key))

        try:
            bound = rule.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.unsupported(node, f"the call to {rule.name} does not match its "
                                   f"parameters ({exc})", "check the arguments") from None
        arguments = {}
        for param, value in bound.arguments.items():
            kind = rule.signature.parameters[param].kind
            if kind == kind.VAR_POSITIONAL:
                value = gast.Tuple(elts=list(value), ctx=gast.Load())
            elif kind == kind.VAR_KEYWORD:
                continue
            arguments[param] = value
        static = {}  # literal arguments, for templates that specialise on them (x ** 2)
        for param, spec in rule.signature.parameters.items():
            if param in arguments:
                static[param] = static_value(arguments[param])
            elif spec.default is not spec.empty:
                static[param] = spec.default
        if not rule.differentiable:
            return Op("nondiff", rule=rule, bound=arguments, static=static, what=rule.name)
        return Op("rule", rule, bound=arguments, static=static, what=rule.name)


def normalize(parsed: ParsedFunction, resolver: Resolver, namer: Namer) -> gast.FunctionDef:
    """The function in A-normal form (see the module docstring)."""
    return Normalizer(parsed, resolver, namer).function()
