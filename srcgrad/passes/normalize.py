"""A-normal form: one primitive per statement, with named temporaries.

After this pass a function body holds only:

- ``name = <op>`` or ``a, b = <op>`` where ``<op>`` is a copy of an atom, one operator, one
  call, one attribute, one subscript or one tuple, whose operands are *atoms* (names,
  constants, references to globals such as ``np.pi``, and tuples/slices of atoms);
- ``for name in range(atoms...):`` with a normalized body;
- expression statements (calls kept for their effect, such as ``print``), ``assert``, ``pass``;
- one ``return atom`` at the end.

Each statement carries ``facts(stmt).line`` (its line in the user's file) and, for assignments,
``facts(stmt).op``: an :class:`Op` saying which primitive computes it and how arguments bind to the
primitive's parameters. Per-primitive knowledge stays in the rules: this pass knows Python
(its statements, and the builtins that drive iteration and containers: ``range``, ``zip``,
``enumerate``, ``reversed``, ``list``/``tuple``/``dict``) and asks the rule registry for
everything else.

Reads: the parsed function, the :class:`~srcgrad.passes.resolve.Resolver`, the values known at
transformation time (``statics``). Writes: a new ``gast.FunctionDef`` in the form above, with
the user's helpers inlined (:mod:`.inline`), early exits structured (:mod:`.exits`), and
``facts(stmt).line/source/helper/op/inplace/count``.
"""

from __future__ import annotations

import builtins
import copy
import functools
import inspect
from collections.abc import Collection
from typing import Any

import gast
import numpy as np

from .. import ir, runtime
from ..errors import SourceUnavailableError, UnknownCallableError, UnsupportedSyntaxError
from ..ir import Op, atom_names, bind_op, constant, facts, name, static_value
from ..names import Namer
from ..rules import registry
from ..rules.operators import BINARY, LIST_CONCATENATION, SUBSCRIPT, UNARY, attribute_key
from ..rules.registry import DYNAMIC, Rule
from .exits import always_exits, own_loop_exits, structure_exits, walk_own
from .inline import bind, is_user_function, library_fix, parsed_helper, rename_apart
from .parse import ParsedFunction, lambda_as_def
from .resolve import Resolved, Resolver, is_data

_SHAPE_ATTRIBUTES = ("shape", "ndim", "size")
_COMPREHENSION_FIX = "write a for loop that appends to a list, then np.stack the list"
_FIXES = {gast.ListComp: _COMPREHENSION_FIX, gast.GeneratorExp: _COMPREHENSION_FIX,
          gast.SetComp: _COMPREHENSION_FIX,
          gast.BoolOp: "use np.where(cond, a, b) to choose between values",
          gast.Lambda: "bind the lambda to a name first (f = lambda x: ...), then call f"}
#: y.__imul__(e) is y *= e.
_IN_PLACE_OPERATORS = {"__iadd__": gast.Add, "__isub__": gast.Sub, "__imul__": gast.Mult,
                       "__itruediv__": gast.Div, "__ipow__": gast.Pow,
                       "__imatmul__": gast.MatMult}


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
        self.several_results = False  # may return a tuple or list (vjp)
        self.inline_result = None
        self.inline_stack: tuple = ()  # helpers being inlined, to refuse recursion
        self.local_functions: dict[str, gast.FunctionDef] = {}  # inner defs and lambdas
        self.literals: dict[str, Op] = {}  # names assigned one tuple or dict of atoms, once
        self.statics: dict[str, Any] = {}  # names holding a function or an object, known now
        self.dicts: set[str] = set()  # parameters passed dicts, and dicts made once here
        self.assigned_once, self.bound_once = _assigned_once(parsed.tree)

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
        if (args.vararg or args.kwarg) and not self.inlining:  # (a helper's are bound)
            raise self.unsupported(tree, "*args and **kwargs parameters cannot be differentiated",
                                   "give the function named parameters")
        stmts = tree.body
        for node in walk_own(stmts):
            if isinstance(node, (gast.Yield, gast.YieldFrom)):
                raise self.unsupported(node, "generators (yield) cannot be differentiated",
                                       "return a value, or collect values in a list")
            if isinstance(node, gast.stmt) and not isinstance(node, gast.Continue) and \
                    not hasattr(self, "stmt_" + type(node).__name__):  # before its returns
                raise self.unsupported_statement(node)           # are judged (match, try)
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
        facts(stmt).line = self.line
        stmt.lineno = self.line
        facts(stmt).source = self.source
        if self.inline_stack:  # code inlined from a helper: comments say which
            facts(stmt).helper = self.parsed.tree.name
        self.out.append(stmt)
        return stmt

    def assign(self, target: str, value: gast.expr, op: Op) -> gast.Name:
        self.resolver.locals.add(target)
        if op.kind == "copy" and isinstance(value, (gast.Tuple, gast.List)):
            op = Op("tuple", elements=value.elts)  # a copy of a tuple of atoms builds a tuple
        stmt = self.emit(gast.Assign(targets=[name(target, store=True)], value=value,
                                     type_comment=None))
        facts(stmt).op = op
        if op.kind in ("tuple", "dict") and target in self.assigned_once:
            self.literals[target] = op  # its items, for f(*target) and f(**target)
        return name(target)

    def literal_dict(self, items: dict, hint: str) -> gast.Name:
        """A name assigned a dict of atoms with these keys (a helper's ``**kwargs``)."""
        target = self.namer.fresh(hint + "_kwargs")
        self.assigned_once.add(target)
        value = gast.Dict(keys=[constant(k) for k in items], values=list(items.values()))
        return self.assign(target, value, Op("dict", elements=list(items.values()),
                                             static={"keys": list(items)}))

    def spread_arguments(self, call: gast.Call, hint: str) -> tuple[list, dict]:
        """A call's arguments as atoms, ``*xs`` and ``**d`` spread out where their items are
        known when the code is transformed (a tuple, a list or a dict written out)."""
        args = []
        for arg in call.args:
            if not isinstance(arg, gast.Starred):
                args.append(self.atom(arg, hint))
                continue
            items = self.literal_items(arg.value, hint, "tuple")
            if items is None:
                raise self.unsupported(call, f"*{self.text(arg.value)}: srcgrad cannot tell how "
                                       "many arguments this passes when it transforms the code",
                                       "pass the arguments one by one")
            args.extend(items.elements)
        keywords = {}
        for kw in call.keywords:
            if kw.arg is not None:
                keywords[kw.arg] = self.atom(kw.value, hint)
                continue
            items = self.literal_items(kw.value, hint, "dict")
            if items is None:
                raise self.unsupported(call, f"**{self.text(kw.value)}: srcgrad cannot tell which "
                                       "arguments this passes when it transforms the code",
                                       "pass the arguments by name one by one")
            keywords.update(zip(items.static["keys"], items.elements))
        return args, keywords

    def builtin_container(self, call: gast.Call, resolved, hint: str):
        """``list(xs)``, ``tuple(v * 2 for v in xs)``, ``dict(w=x, b=y)``: the list (a loop
        over the items) or dict they make; None for any other call."""
        if resolved.kind == "object" and resolved.value is zip and not call.keywords:
            return self.zipped(call, hint)
        if resolved.kind != "object" or resolved.value not in (list, tuple, dict) or \
                any(isinstance(a, gast.Starred) for a in call.args):
            return None
        if resolved.value is dict:
            if call.args or any(k.arg is None for k in call.keywords):
                return None  # dict(pairs): not known here
            return self.literal_dict({k.arg: self.atom(k.value, hint)
                                      for k in call.keywords}, hint)
        if call.keywords or len(call.args) > 1:
            return None
        if not call.args:
            return self.named(gast.List(elts=[], ctx=gast.Load()), hint)
        items = call.args[0]
        if not isinstance(items, (gast.ListComp, gast.GeneratorExp)):
            item = self.namer.fresh("item")
            items = gast.ListComp(elt=name(item), generators=[gast.comprehension(
                target=name(item, store=True), iter=items, ifs=[], is_async=0)])
            gast.copy_location(items, call)
        listed = self.comprehension(items, hint)
        if resolved.value is list:
            return listed
        return self.assign(self.namer.fresh(hint), ir.call(tuple, listed),
                           self.rule_op(tuple, [listed], {}, call))

    def zipped(self, call: gast.Call, hint: str) -> gast.Name | None:
        """``zip(a, b)`` as a value: the list of its tuples (a loop over the items);
        ``zip(*rows)`` transposes: tuple ``j`` holds item ``j`` of every row, for ``j`` up to
        the shortest row's length. None for other forms (zip(a, *rest))."""
        args = call.args
        if not any(isinstance(a, gast.Starred) for a in args):
            parts = [self.namer.fresh("part") for _ in args]
            pairs = gast.ListComp(
                elt=gast.Tuple(elts=[name(p) for p in parts], ctx=gast.Load()),
                generators=[gast.comprehension(
                    target=gast.Tuple(elts=[name(p, store=True) for p in parts],
                                      ctx=gast.Store()),
                    iter=call, ifs=[], is_async=0)])
            return self.comprehension(gast.copy_location(pairs, call), hint)
        if len(args) != 1:
            return None
        rows = self.named(self.atom(args[0].value, hint), hint)
        row, j = self.namer.fresh("row"), self.namer.fresh("j")
        shortest = gast.parse(f"min([len({row}) for {row} in {rows.id}], default=0)",
                              mode="eval").body
        column = gast.parse(f"tuple({row}[{j}] for {row} in {rows.id})", mode="eval").body
        transposed = gast.ListComp(elt=column, generators=[gast.comprehension(
            target=name(j, store=True),
            iter=ir.call(range, shortest),
            ifs=[], is_async=0)])
        for node in gast.walk(transposed):
            if isinstance(node, gast.expr):
                gast.copy_location(node, call)
        return self.comprehension(transposed, hint)

    def static_of(self, node) -> Any:
        """The function or object (not data: no array, number or string) that ``node`` holds
        whatever the arguments: a global, a name assigned one once, an item of a tuple or list
        of them, an attribute of an object; else None."""
        if isinstance(node, gast.Name):
            if node.id in self.statics:
                return self.statics[node.id]
            if self.resolver.is_local(node.id):
                return None
            value = self.resolver.peek(node.id)
        elif isinstance(node, (gast.Tuple, gast.List)):
            items = [self.static_of(e) for e in node.elts]
            return None if any(i is None for i in items) else tuple(items)
        elif isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant):
            base = self.static_of(node.value)
            try:
                value = base[node.slice.value] if base is not None else None
            except (TypeError, KeyError, IndexError):
                return None
            if isinstance(base, dict):  # (a list's items are assumed whole, below)
                self.resolver.assumptions.append((base, node.slice.value, value))
        elif isinstance(node, gast.Attribute):
            base = self.static_of(node.value)
            value = getattr(base, node.attr, None) if base is not None else None
            if node.attr in getattr(base, "__dict__", ()):  # model.layers, layer.act
                self.resolver.assumptions.append((vars(base), node.attr, value))
        else:
            return None
        if value is None or is_data(value) or isinstance(value, (np.ndarray, np.generic)):
            return None
        if isinstance(value, list):  # the code is made anew once layers are appended
            self.resolver.assumptions.append((value, "items", tuple(value)))
        return value

    def without_partial(self, partial: functools.partial, call: gast.Call) -> gast.Call:
        """``f(x)`` for ``f = functools.partial(g, a, k=b)``: ``g(a, x, k=b)``."""
        func = name(self.resolver.add_global(getattr(partial.func, "__name__", "partial"),
                                             partial.func))
        args = [self.constant_atom(a) for a in partial.args] + list(call.args)
        keywords = [gast.keyword(arg=k, value=self.constant_atom(v))
                    for k, v in partial.keywords.items()] + list(call.keywords)
        return gast.copy_location(gast.Call(func=func, args=args, keywords=keywords), call)

    def spreadable(self, node, kind: str) -> bool:
        """Whether ``*node`` (kind "tuple") or ``**node`` ("dict") has items known now."""
        if isinstance(node, (gast.Tuple, gast.List)):
            return kind == "tuple" and not any(isinstance(e, gast.Starred) for e in node.elts)
        if isinstance(node, gast.Dict):
            return kind == "dict" and all(isinstance(k, gast.Constant) for k in node.keys)
        found = self.literals.get(node.id) if isinstance(node, gast.Name) else None
        return found is not None and (found.kind == "tuple") == (kind == "tuple")

    def literal_items(self, node, hint: str, kind: str) -> Op | None:
        """The tuple or dict Op of a literal (``(a, b)``, ``{"k": v}``) or of a name assigned
        one once, or None."""
        if isinstance(node, (gast.Tuple, gast.List)) and kind == "tuple" or \
                isinstance(node, gast.Dict) and kind == "dict":
            node = self.atom(node, hint) if kind == "tuple" else \
                self.literal_dict(dict(zip([k.value for k in node.keys],
                                           [self.atom(v, hint) for v in node.values])), hint) \
                if all(isinstance(k, gast.Constant) for k in node.keys) else None
            if isinstance(node, (gast.Tuple, gast.List)):
                return Op("tuple", elements=node.elts)
        if isinstance(node, gast.Name) and node.id in self.literals:
            found = self.literals[node.id]
            if (found.kind == "tuple") == (kind == "tuple"):
                return found
        return None

    def statement(self, stmt: gast.stmt) -> None:
        method = getattr(self, "stmt_" + type(stmt).__name__, None)
        if method is None:
            raise self.unsupported_statement(stmt)
        method(stmt)

    def unsupported_statement(self, stmt):
        kinds = {
            "Try": ("try blocks cannot be differentiated", ("move error handling outside the "
                    "differentiated function")),
            "With": ("with blocks cannot be differentiated (except with np.errstate(...))",
                     "move the with block outside the differentiated function"),
            "AsyncWith": ("async with cannot be differentiated", "use ordinary code"),
            "AsyncFor": ("async for cannot be differentiated", "use an ordinary for loop"),
            "Global": ("global statements cannot be differentiated", ("pass the value as a "
                       "parameter and return the new value")),
            "Nonlocal": ("nonlocal statements cannot be differentiated", ("pass the value as a "
                         "parameter and return the new value")),
            "ClassDef": (("class definitions inside a differentiated function are not "
                         "supported"), "define the class outside the function"),
            "AsyncFunctionDef": ("async functions cannot be differentiated",
                                 "use ordinary functions"),
            "Import": ("imports inside a differentiated function are not supported",
                       "import at module level"),
            "ImportFrom": ("imports inside a differentiated function are not supported",
                           "import at module level"),
            "Match": ("match statements are not supported", ("use if/elif (np.where to "
                      "choose between arrays)")),
        }
        what, fix = kinds.get(type(stmt).__name__, ((f"{type(stmt).__name__} statements are not "
                                                     "supported"), "rewrite it"))
        return self.unsupported(stmt, what, fix)

    def stmt_Pass(self, stmt):
        pass

    def stmt_Delete(self, stmt):
        """``del a, b`` of local names frees their values early: nothing to differentiate
        (gradient code does it; reading them after would fail in the user's code too)."""
        if not all(isinstance(t, gast.Name) for t in stmt.targets):
            raise self.unsupported(stmt, "del of an item or attribute cannot be differentiated",
                                   "build a new value without the item")

    def stmt_FunctionDef(self, stmt):
        """An inner helper: inlined where it is called (it reads enclosing variables then)."""
        if stmt.decorator_list:
            raise self.unsupported(stmt, "decorated inner functions are not supported",
                                   "define the helper without decorators")
        self.local_functions[stmt.name] = self.with_defaults_evaluated(stmt)

    def with_defaults_evaluated(self, fdef: gast.FunctionDef) -> gast.FunctionDef:
        """``fdef`` with its defaults evaluated now, where it is defined (as Python does),
        into variables of their own that its calls read."""
        args = fdef.args
        for defaults in (args.defaults, args.kw_defaults):
            for i, default in enumerate(defaults):
                if default is not None and not isinstance(default, gast.Constant):
                    value = self.atom(default, "default")
                    defaults[i] = self.assign(self.namer.fresh("default"), value,
                                              Op("copy", bound={"x": value}))
        return fdef

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
            if base.kind == "local" and self.is_list_pop(value):
                self.list_pop(value.func.value.id, "unused")
                return
            if base.kind == "local" and method in _IN_PLACE_OPERATORS and \
                    len(value.args) == 1 and not value.keywords:  # y.__imul__(3.0)
                update = gast.AugAssign(target=value.func.value, op=_IN_PLACE_OPERATORS[method](),
                                        value=value.args[0])
                self.stmt_AugAssign(gast.copy_location(update, stmt))
                return
            effect = registry.lookup_effect_method(method) if base.kind == "local" else None
            if effect is not None:
                self.effect(effect, value, [value.func.value] + list(value.args))
                return
            if base.kind == "local" and method in ("insert", "update", "pop", "setdefault",
                                                   "remove", "clear", "reverse", "resize",
                                                   "put", "itemset", "partition", "setfield",
                                                   "byteswap", "shuffle", "permuted"):
                raise self.unsupported(stmt, f".{method}() changes a value in place, which "
                                       "srcgrad cannot differentiate",
                                       "build a new value instead (lst = lst + [x], "
                                       "np.concatenate, np.stack, np.where)")
        if isinstance(value, gast.Call):
            resolved = self.resolver.resolve(value.func)
            value = _ufunc_outputs_by_name(value, resolved)
            effect = registry.lookup_effect(resolved.value) if resolved.kind == "object" \
                else None
            if effect is not None:
                self.effect(effect, value, list(value.args))
                return
            if self.is_helper_call(value) or any(k.arg == "out" for k in value.keywords):
                self.call(value, hint="unused")  # for its effects; its value is unused
                return
        # Kept for its effect (print, np.random.seed ...): its operands become atoms. Only
        # print is known to leave its arguments as they were (see analysis.activity).
        read_only = isinstance(value, gast.Call) and self.is_builtin(value.func, "print")
        kept = self.emit(gast.Expr(value=self.opaque_expr(value)))
        facts(kept).op = Op("opaque", what=self.text(value), static={"read_only": read_only})

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
        """``lst.append(x)`` is ``lst = lst + [x]``; ``lst.extend(xs)`` is ``lst = lst + xs``
        (in place: other names of the list see it, see :mod:`srcgrad.passes.aliasing`)."""
        if method == "extend" and not isinstance(arg, gast.List):  # its items, as a list:
            each = self.namer.fresh("item")  # lst + xs would add an array xs to the list
            arg = gast.copy_location(gast.ListComp(elt=name(each), generators=[
                gast.comprehension(target=name(each, store=True), iter=arg, ifs=[],
                                   is_async=0)]), arg)
        item = self.atom(arg, var)
        added = gast.List(elts=[item], ctx=gast.Load()) if method == "append" else item
        rule = registry.lookup(LIST_CONCATENATION)
        listed = name(var)  # one node in the value and the op: renaming renames both
        self.assign(var, gast.BinOp(left=listed, op=gast.Add(), right=added),
                    Op("rule", rule, bound={"x1": listed, "x2": added}))
        facts(self.out[-1]).inplace = True

    def is_list_pop(self, call: gast.Call) -> bool:
        """Whether ``call`` is ``lst.pop()`` of a local list (its last item)."""
        return isinstance(call.func, gast.Attribute) and call.func.attr == "pop" and \
            isinstance(call.func.value, gast.Name) and \
            self.resolver.is_local(call.func.value.id) and not call.keywords and \
            (not call.args or len(call.args) == 1 and isinstance(call.args[0], gast.Constant)
             and call.args[0].value == -1)

    def list_pop(self, var: str, hint: str) -> gast.Name:
        """``lst.pop()`` is ``item = lst[-1]`` then ``lst = lst[:-1]`` (in place: other names
        of the list see it, see :mod:`srcgrad.passes.aliasing`); returns the item."""
        listed, last = name(var), constant(-1)  # (the op's operands: the statement's nodes)
        item = self.assign(self.namer.fresh(hint), gast.Subscript(
            value=listed, slice=last, ctx=gast.Load()), self.getitem_op(listed, last))
        listed = name(var)
        rest = gast.Slice(lower=None, upper=constant(-1), step=None)
        self.assign(var, gast.Subscript(value=listed, slice=rest, ctx=gast.Load()),
                    self.getitem_op(listed, rest))
        facts(self.out[-1]).inplace = True
        return item

    def effect(self, effect: registry.Effect, call: gast.Call, args: list) -> None:
        """A call that writes into an argument (``np.copyto(y, x)``), as the write it makes."""
        if any(isinstance(a, gast.Starred) for a in args) or \
                any(k.arg is None for k in call.keywords):
            raise self.unsupported(call, f"*args and **kwargs in a call to {effect.name} are "
                                   "not supported", "pass the arguments one by one")
        try:
            bound = effect.signature.bind(*args, **{k.arg: k.value for k in call.keywords})
        except TypeError as exc:
            raise self.unsupported(call, f"the call to {effect.name} does not match its "
                                   f"parameters ({exc})", "check the arguments") from None
        bound.apply_defaults()
        values = {p: v if isinstance(v, gast.AST) else constant(v)
                  for p, v in bound.arguments.items()}
        static = {p: static_value(v) for p, v in values.items()}
        written = values[effect.writes]
        value = effect.template("value", static)
        if value is None:
            raise self.unsupported(call, f"{effect.name} changes {self.text(written)} in place, "
                                   "which srcgrad cannot differentiate", effect.refusal)
        index = effect.template("index", static)
        target = gast.Subscript(value=written, ctx=gast.Store(),
                                slice=self.template_expr(index, values) if index
                                else constant(Ellipsis))
        self.write_into(target, self.template_expr(value, values), call)

    def template_expr(self, text: str, values: dict):
        """An effect's template as an expression of the call's arguments (``np`` and the
        runtime helpers it names resolve to themselves)."""
        expr = gast.parse(text, mode="eval").body
        for node in ir.walk(expr):
            if isinstance(node, gast.Name) and node.id not in values:
                known = np if node.id == "np" else getattr(runtime, node.id, None)
                if known is not None:
                    self.resolver.record(node.id, known)
        return ir.clone(expr, values)

    def write_out(self, out, expr, op: Op, node, hint: str):
        """``f(..., out=y)``: the result computed, then written into ``y``, the call's value."""
        if isinstance(out, gast.Tuple) and len(out.elts) == 1:  # ufuncs take out=(y,)
            out = out.elts[0]
        if not (isinstance(out, gast.Name) and self.resolver.is_local(out.id)):
            raise self.unsupported(node, "out= must name a local array here",
                                   "assign the result instead: y = f(...)")
        value = self.assign(self.namer.temporary(out.id), expr, op)
        self.emit_write(out.id, constant(Ellipsis), value)
        return name(out.id), None

    def stmt_Assert(self, stmt):
        kept = self.emit(gast.Assert(test=self.opaque_expr(stmt.test),
                                     msg=self.opaque_expr(stmt.msg) if stmt.msg else None))
        facts(kept).op = Op("opaque", what="assert")

    def stmt_Raise(self, stmt):
        """``raise E(...)`` runs where it is (a check of the inputs): the generated code raises
        the same error there, before any gradient is computed."""
        kept = self.emit(gast.Raise(exc=self.opaque_expr(stmt.exc) if stmt.exc else None,
                                    cause=self.opaque_expr(stmt.cause) if stmt.cause else None))
        facts(kept).op = Op("opaque", what="raise")

    def stmt_Return(self, stmt):
        if stmt.value is None or (isinstance(stmt.value, gast.Constant)
                                  and stmt.value.value is None):
            raise self.unsupported(stmt, "the function returns nothing",
                                   "return the value to differentiate")
        if isinstance(stmt.value, (gast.Tuple, gast.List)) and not self.inlining and \
                not self.several_results:
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
        test = self.assigned_first(test)
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

    def stmt_With(self, stmt):
        """``with np.errstate(...):`` changes which floating-point warnings show, not values:
        its body is differentiated as if written without it (a warning it silenced may show
        when the gradient runs). Other context managers are refused."""
        for item in stmt.items:
            expr = item.context_expr
            if not (isinstance(expr, gast.Call) and item.optional_vars is None and
                    self.resolver.resolve(expr.func).kind == "object" and
                    self.resolver.resolve(expr.func).value is np.errstate):
                raise self.unsupported_statement(stmt)
        for sub in stmt.body:
            self.statement(sub)

    def stmt_If(self, stmt):
        test = self.condition(stmt.test)
        line = self.line
        body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        self.line = line
        branch = self.emit(gast.If(test=test, body=body, orelse=orelse))
        facts(branch).op = Op("opaque", what="if")

    def assigned_first(self, node):
        """``node`` with each assignment expression in it (``(n := np.sum(x)) > 0``) made a
        statement of its own before it, in the order Python evaluates them."""
        if not any(isinstance(n, gast.NamedExpr) for n in gast.walk(node)):
            return node
        if isinstance(node, gast.NamedExpr):
            self.expression(self.assigned_first(node.value), node.target.id)
            return name(node.target.id)
        always = {gast.BoolOp: ("values", 1), gast.IfExp: ("test", None),
                  gast.Compare: ("comparators", 1)}.get(type(node))  # what always runs
        conditional = [] if always is None else (
            getattr(node, always[0])[always[1]:] if always[1] is not None else
            [node.body, node.orelse])
        if isinstance(node, (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp,
                             gast.GeneratorExp)) or \
                any(isinstance(n, gast.NamedExpr) for c in conditional for n in gast.walk(c)):
            raise self.unsupported(node, "an assignment expression (:=) that may not be "
                                   "evaluated (after and/or, in a conditional expression, a "
                                   "chained comparison or a comprehension) is not supported",
                                   "assign the value on a line of its own")
        for part, value in gast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, part, [self.assigned_first(v) if isinstance(v, gast.expr) else v
                                      for v in value])
            elif isinstance(value, gast.expr):
                setattr(node, part, self.assigned_first(value))
        return node

    def stmt_While(self, stmt):
        if stmt.orelse:
            raise self.unsupported(stmt, "while ... else is not supported",
                                   "move the else block after the loop")
        if any(isinstance(n, gast.NamedExpr) for n in gast.walk(stmt.test)):
            # while (n := f(x)) > 0: ... is while True: if not ((n := f(x)) > 0): break ...
            stop = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=stmt.test),
                           body=[gast.copy_location(gast.Break(), stmt)], orelse=stmt.body)
            loop = gast.While(test=constant(True), body=[gast.copy_location(stop, stmt)],
                              orelse=[])
            self.stmt_While(gast.copy_location(loop, stmt))
            return
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
        facts(loop).op = Op("opaque", what="while")
        facts(loop).count = steps

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
        # y += e changes y's array in place: computed as y = y + e, marked so that other names
        # of that memory are brought up to date (srcgrad.passes.aliasing).
        load = name(stmt.target.id)
        value = gast.BinOp(left=load, op=stmt.op, right=stmt.value)
        gast.copy_location(value, stmt)
        self.assign_to(stmt.target, value, stmt)
        facts(self.out[-1]).inplace = True

    def write_into(self, target: gast.Subscript, value, stmt) -> None:
        """``x[index] = value``: an in-place write, undone by the backward pass."""
        base = target.value
        if not (isinstance(base, gast.Name) and self.resolver.is_local(base.id)):
            raise self.unsupported(stmt, "assigning into part of something other than a local "
                                   "array is not supported", "assign into a local array")
        atom_ = self.atom(value, base.id)
        index = self.index(target.slice, base.id)
        self.emit_write(base.id, index, atom_)

    def emit_write(self, var: str, index, value) -> None:
        """``var[index] = value``, with atoms for index and value."""
        written = name(var)  # one node in the target and the op: renaming renames both
        write = self.emit(gast.Assign(targets=[gast.Subscript(value=written, slice=index,
                                                              ctx=gast.Store())],
                                      value=value, type_comment=None))
        facts(write).op = Op("setitem", bound={"x": written, "index": index, "value": value})

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
            self.local_functions[target.id] = self.with_defaults_evaluated(
                lambda_as_def(value, target.id))
            return
        if isinstance(target, gast.Name):
            known = self.static_of(value) if target.id in self.assigned_once else None
            if known is not None:
                self.statics[target.id] = known  # act = np.tanh: act(x) is np.tanh(x)
            if (isinstance(value, (gast.Dict, gast.DictComp)) or
                    isinstance(value, gast.Name) and value.id in self.dicts) and \
                    target.id in self.bound_once:
                self.dicts.add(target.id)  # a dict made here: for k in d runs over its keys
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
        if any(isinstance(t, gast.Starred) for t in target.elts):
            raise self.unsupported(stmt, "starred unpacking is not supported",
                                   "unpack into names, one per item")
        if not all(isinstance(t, gast.Name) for t in target.elts):
            self.unpack_into(target, value, stmt)
            return
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
                facts(out).op = op
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

    def unpack_into(self, target, value, stmt):
        """``(s[i], s[i + 1]) = (a, b)``, ``(x, (y, z)) = v``: every value is computed first,
        then the targets are assigned from left to right, as Python does."""
        n = len(target.elts)
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == n:
            values = [self.atom(v, "item") for v in value.elts]
            values = [v if not isinstance(v, gast.Name) else
                      self.assign(self.namer.fresh(v.id + "_old"), v, Op("copy", bound={"x": v}))
                      for v in values]  # kept apart from the names the targets assign
        else:
            source = self.named(self.atom(value, "items"), "items")
            values = []
            for i in range(n):
                item = self.namer.fresh("item")
                self.subscript_assign(item, source, constant(i))
                values.append(name(item))
        for element, atom_ in zip(target.elts, values):
            self.assign_to(element, atom_, stmt)

    def subscript_assign(self, target, value_atom, index_atom):
        # atoms of its own: callers pass one atom to several statements, which renaming
        # would otherwise rename together
        value_atom, index_atom = ir.clone(value_atom), ir.clone(index_atom)
        self.assign(target, gast.Subscript(value=value_atom, slice=index_atom, ctx=gast.Load()),
                    self.getitem_op(value_atom, index_atom))

    def getitem_op(self, base, index) -> Op:
        if isinstance(base, gast.Attribute) or \
                isinstance(base, gast.Name) and not self.resolver.is_local(base.id):
            resolved = self.resolver.resolve(base)
            rule = registry.lookup_subscript(resolved.value) if resolved.kind == "object" \
                else None
            if rule is not None:  # np.r_[a, b]: the object's subscript has a rule of its own
                return self.rule_op(rule.key, [index], {}, base, rule=rule)
        return Op("rule", registry.lookup(SUBSCRIPT), bound={"x": base, "index": index},
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
        if isinstance(stmt.iter, gast.Call) and self.is_builtin(stmt.iter.func, "reversed") \
                and len(stmt.iter.args) == 1 and not stmt.iter.keywords:
            # for i in reversed(seq): the same as over seq[::-1] (a range, a list or a view)
            backwards = gast.Subscript(value=stmt.iter.args[0], slice=gast.Slice(
                lower=None, upper=None, step=constant(-1)), ctx=gast.Load())
            stmt = gast.copy_location(gast.For(target=stmt.target, iter=backwards,
                                               body=stmt.body, orelse=stmt.orelse,
                                               type_comment=None), stmt)
        if isinstance(stmt.iter, gast.Name) and stmt.iter.id in self.dicts:
            keys = gast.Call(func=gast.Attribute(value=stmt.iter, attr="keys", ctx=gast.Load()),
                             args=[], keywords=[])  # for k in d: over its keys
            stmt = gast.copy_location(gast.For(target=stmt.target, iter=gast.copy_location(
                keys, stmt.iter), body=stmt.body, orelse=stmt.orelse, type_comment=None), stmt)
        if self.unrolled(stmt):
            return
        has_break = any(isinstance(n, gast.Break) for n in own_loop_exits(stmt.body))
        iterable = stmt.iter
        target = stmt.target
        items: list[tuple[Any, Any]] = []  # (target name node, sequence atom) pairs to index
        packed = None  # for pair in zip(a, b): the name the items are packed into
        if isinstance(iterable, gast.Call) and self.is_builtin(iterable.func, "range"):
            if iterable.keywords or not 1 <= len(iterable.args) <= 3:
                raise self.unsupported(stmt, "range() takes 1 to 3 positional arguments here",
                                       "write range(stop) or range(start, stop, step)")
            if not isinstance(target, gast.Name):
                raise self.unsupported(stmt, "a range loop needs a plain loop variable",
                                       "write for i in range(...)")
            args = [self.atom(a, hint="n") for a in iterable.args]
            index = self.loop_counter(target, items)
        elif isinstance(iterable, gast.Call) and self.is_builtin(iterable.func, "enumerate"):
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2
                    and isinstance(target.elts[0], gast.Name)
                    and len(iterable.args) == 1 and not iterable.keywords):
                raise self.unsupported(stmt, "this form of enumerate is not supported",
                                       "write for i, item in enumerate(xs)")
            sequence = self.sequence_atom(iterable.args[0], stmt.body)
            index = self.loop_counter(target.elts[0], items)
            items.append((target.elts[1], sequence))
            args = [self.length(sequence)]
        elif isinstance(iterable, gast.Call) and self.is_builtin(iterable.func, "zip") and \
                not any(isinstance(a, gast.Starred) for a in iterable.args):
            if not (isinstance(target, gast.Name) or isinstance(target, gast.Tuple)
                    and len(target.elts) == len(iterable.args)) or iterable.keywords:
                raise self.unsupported(stmt, "this form of zip is not supported",
                                       "write for a, b in zip(xs, ys)")
            if isinstance(target, gast.Name):  # for pair in zip(a, b): pair = (a[i], b[i])
                packed = target
                target = gast.Tuple(elts=[name(self.namer.fresh(packed.id), store=True)
                                          for _ in iterable.args], ctx=gast.Store())
                self.resolver.locals.update(t.id for t in target.elts)
            for t, seq in zip(target.elts, iterable.args):
                items.append((t, self.sequence_atom(seq, stmt.body)))
            index = self.namer.fresh("i")
            args = [self.length(items[0][1])]
        else:
            items.append((target, self.sequence_atom(iterable, stmt.body)))
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
            if seq is None:  # the loop variable, given its own counter
                counter = name(index)
                self.assign(t.id, counter, Op("copy", bound={"x": counter}))
            else:
                self.bind_item(t, seq, name(index))
        if packed is not None:
            self.assign_to(packed, gast.Tuple(elts=[name(t.id) for t in target.elts],
                                              ctx=gast.Load()), stmt)
        body_prefix, self.out = self.out, saved
        body = self.block(stmt.body)
        self.line = loop_line
        rng = ir.call(range, *args)
        loop = self.emit(gast.For(target=name(index, store=True), iter=rng,
                                  body=body_prefix + body, orelse=[], type_comment=None))
        facts(loop).op = Op("opaque", what="for")
        facts(loop).count = steps
        for orelse in stmt.orelse:  # without break, a loop's else block always runs after it
            self.line = orelse.lineno
            self.statement(orelse)

    def loop_counter(self, target: gast.Name, items: list) -> str:
        """The counter of a loop over a range (or ``enumerate``'s count): the loop variable
        itself, or, where the function assigns that name elsewhere too (``y = x * 2`` before
        ``for y in range(2)``), a counter of its own that the variable takes at the top of the
        body (an integer: no gradient), so that what it held before is not taken for it."""
        counters = set()  # (other loops' counters hold integers too: for i in range twice)
        for node in gast.walk(self.parsed.tree):
            if isinstance(node, gast.For) and isinstance(node.iter, gast.Call) and \
                    isinstance(node.iter.func, gast.Name) and \
                    node.iter.func.id in ("range", "enumerate"):
                first = node.target.elts[0] if isinstance(node.target, gast.Tuple) and \
                    node.target.elts else node.target
                counters.add(id(first))
        if all(id(n) in counters or n is target for n in gast.walk(self.parsed.tree)
               if isinstance(n, gast.Name) and n.id == target.id
               and isinstance(n.ctx, gast.Store)):
            return target.id
        counter = self.namer.fresh(target.id + "_index")
        items.append((target, None))  # (bound to the counter by bind_item)
        return counter

    def unrolled(self, stmt) -> bool:
        """``for layer in LAYERS:`` over a tuple or list of functions or objects known now
        (``(np.sin, np.cos)``, layer objects, ``model.layers`` of a model passed in), also
        through ``enumerate(LAYERS)`` and ``zip(LAYERS, params)``: the body once per item, with
        the item known. Returns whether the loop was unrolled."""
        if stmt.orelse or any(isinstance(n, (gast.Break, gast.Continue))
                              for n in walk_own(stmt.body)):
            return False
        columns = self.unrolled_columns(stmt.iter, stmt.target, stmt.body)
        if columns is None:
            return False
        count = min(len(items) for _, items in columns if isinstance(items, (tuple, list)))
        for i in range(count):
            self.line = stmt.lineno
            for target, items in columns:
                if isinstance(items, (tuple, list)):  # known now: an object, a function
                    self.statics[target.id] = items[i]
                    self.assign(target.id, name(self.resolver.add_global(target.id, items[i])),
                                Op("nondiff", what="item"))
                elif items is None:  # enumerate's count
                    self.assign(target.id, constant(i), Op("copy", bound={"x": constant(i)}))
                else:  # an item of a sequence zipped with them (params[i])
                    self.assign_to(target, gast.Subscript(value=name(items.id), slice=constant(i),
                                                          ctx=gast.Load()), stmt)
            for inner in stmt.body:
                self.line = inner.lineno
                self.statement(inner)
        for target, items in columns:
            if isinstance(items, (tuple, list)):
                self.statics.pop(target.id, None)
        return True

    def unrolled_columns(self, iterable, target, body) -> list | None:
        """For a loop to unroll: (target, items) pairs, where items is the tuple or list of
        objects known now, None for ``enumerate``'s count, or the atom of a sequence zipped
        with them; None when no sequence of objects is known now."""
        if isinstance(iterable, gast.Call) and not iterable.keywords and \
                isinstance(target, gast.Tuple) and \
                not any(isinstance(a, gast.Starred) for a in iterable.args):
            if self.is_builtin(iterable.func, "enumerate") and len(iterable.args) == 1 and \
                    len(target.elts) == 2 and isinstance(target.elts[0], gast.Name):
                inner = self.unrolled_columns(iterable.args[0], target.elts[1], body)
                return None if inner is None else [(target.elts[0], None)] + inner
            if self.is_builtin(iterable.func, "zip") and \
                    len(target.elts) == len(iterable.args) >= 1:
                known = [self.static_of(a) for a in iterable.args]
                if not any(isinstance(k, (tuple, list)) and isinstance(t, gast.Name)
                           for k, t in zip(known, target.elts)):
                    return None
                return [(t, k) if isinstance(k, (tuple, list)) and isinstance(t, gast.Name)
                        else (t, self.sequence_atom(a, body)) for a, k, t
                        in zip(iterable.args, known, target.elts)]
            return None
        items = self.static_of(iterable)
        if not isinstance(items, (tuple, list)) or not isinstance(target, gast.Name):
            return None
        return [(target, items)]

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
        return resolved.kind == "object" and resolved.value is getattr(builtins, wanted)

    def sequence_atom(self, node, body=()):
        """An atom for the sequence a for loop runs over: its value when the loop starts, even
        if the ``body`` assigns the variable that held it (``for row in M: M = M * 2``)."""
        if isinstance(node, gast.Name) and node.id in self.dicts:  # a dict: over its keys
            node = gast.copy_location(gast.Call(func=gast.Attribute(
                value=node, attr="keys", ctx=gast.Load()), args=[], keywords=[]), node)
        atom_ = self.atom(node, hint="seq")
        if isinstance(atom_, gast.Name) and any(
                isinstance(n, gast.Name) and n.id == atom_.id and
                isinstance(n.ctx, gast.Store) for n in walk_own(body)):
            atom_ = self.assign(self.namer.fresh(atom_.id + "_seq"), atom_,
                                Op("copy", bound={"x": atom_}))
        if not isinstance(atom_, gast.Name):
            atom_ = self.assign(self.namer.fresh("seq"), atom_, Op("copy", bound={"x": atom_}))
        return atom_

    def length(self, seq_atom):
        n = self.namer.fresh("n_" + seq_atom.id if len(seq_atom.id) < 12 else "n")
        seq_atom = name(seq_atom.id)  # its own node (the loop reads the sequence too)
        return self.assign(n, ir.call(len, seq_atom),
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
        """Locals only ever assigned shape expressions (``H = h.shape[1]``), on every path: a
        parameter never is one (``if p is None: p = 2`` leaves p a value on the other path)."""
        args = self.parsed.tree.args
        values: dict[str, list] = {a.id: [None] for a in args.posonlyargs + args.args +
                                   args.kwonlyargs}
        for node in gast.walk(self.parsed.tree):
            if isinstance(node, gast.NamedExpr):
                values.setdefault(node.target.id, []).append(None)
            elif isinstance(node, gast.Assign):
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
            key = BINARY[type(node.op)]
            if isinstance(node.op, (gast.Sub, gast.Div, gast.MatMult, gast.Pow,
                                    gast.FloorDiv)):  # x @ [1.0, 2.0]: NumPy's (not % of a
                left, right = (self.as_array(a, node) if isinstance(a, (gast.Tuple, gast.List))
                               else a for a in (left, right))  # string, nor + and * of lists)
            return (gast.BinOp(left=left, op=node.op, right=right),
                    self.rule_op(key, [left, right], {}, node))
        if isinstance(node, gast.UnaryOp):
            operand = self.atom(node.operand, hint)
            key = UNARY[type(node.op)]
            return gast.UnaryOp(op=node.op, operand=operand), self.rule_op(key, [operand], {},
                                                                           node)
        if isinstance(node, gast.Compare):
            left = self.atom(node.left, hint)
            comparators = [self.atom(c, hint) for c in node.comparators]
            return (gast.Compare(left=left, ops=node.ops, comparators=comparators),
                    Op("nondiff", what="comparison"))
        if isinstance(node, gast.Call):
            return self.call(node, hint)
        if isinstance(node, gast.NamedExpr):  # y = (z := e) + 1: z = e first
            return self.assigned_first(node), None
        if isinstance(node, gast.Attribute):
            base = self.atom(node.value, hint)
            rule = registry.lookup(attribute_key(node.attr))
            expr = gast.Attribute(value=base, attr=node.attr, ctx=gast.Load())
            if rule is None:
                return expr, Op("opaque", what=f".{node.attr}")
            kind = "rule" if rule.differentiable else "nondiff"  # x.T, or x.shape
            return expr, Op(kind, rule, bound={"x": base}, what=rule.name)
        if isinstance(node, gast.Subscript):
            base = self.atom(node.value, hint)
            if isinstance(base, (gast.Tuple, gast.List)):  # (a, b)[i], or f(...)[i] of a
                base = self.assign(self.namer.temporary(hint), base,  # helper returning one:
                                   Op("tuple", elements=base.elts))  # named, as containers are
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
            facts(branch).op = Op("opaque", what="if")
            return name(target), None
        if isinstance(node, (gast.ListComp, gast.GeneratorExp)):
            return self.comprehension(node, hint), None
        if isinstance(node, gast.DictComp):  # the (key, value) pairs, then the dict of them
            pairs = gast.ListComp(elt=gast.Tuple(elts=[node.key, node.value], ctx=gast.Load()),
                                  generators=node.generators)
            listed = self.comprehension(gast.copy_location(pairs, node), hint)
            call = ir.call(runtime.dict_of_pairs, listed)
            return call, self.rule_op(runtime.dict_of_pairs, [listed], {}, node)
        if isinstance(node, (gast.BoolOp, gast.Dict, gast.Set, gast.SetComp, gast.DictComp,
                             gast.JoinedStr, gast.Lambda, gast.Starred)):
            return self.opaque_expr(node), Op("opaque", what=self.describe(node),
                                              fix=_FIXES.get(type(node)))
        if isinstance(node, (gast.Yield, gast.YieldFrom)):
            raise self.unsupported(node, "generators (yield) cannot be differentiated",
                                   "return a value, or collect values in an array")
        if isinstance(node, gast.Await):
            raise self.unsupported(node, "await cannot be differentiated", "use ordinary code")
        raise self.unsupported(node, f"{type(node).__name__} expressions are not supported",
                               "rewrite the expression with NumPy calls")

    def comprehension(self, node, hint: str) -> gast.Name:
        """``[f(v) for v in xs if c]`` (or a generator of it) as the loop it stands for: a list
        appended to in nested for loops, whose variables get names of their own (they are
        local to the comprehension)."""
        items = self.namer.fresh(hint + "_items")
        self.assign(items, gast.List(elts=[], ctx=gast.Load()), Op("tuple", elements=[]))
        own: dict[str, str] = {}
        generators = []
        for i, generator in enumerate(node.generators):
            if generator.is_async:
                raise self.unsupported(node, "async comprehensions cannot be differentiated",
                                       "use an ordinary for loop")
            # the first iterable is evaluated outside the comprehension, the others inside
            iterable = generator.iter if i == 0 else ir.clone(generator.iter,
                                                              _names(own))
            for target in gast.walk(generator.target):
                if isinstance(target, gast.Name):
                    own[target.id] = self.namer.fresh(target.id)
                    self.resolver.locals.add(own[target.id])
            if isinstance(generator.target, gast.Name) and isinstance(iterable, gast.Call) and \
                    self.is_builtin(iterable.func, "range"):
                self.shape_names.add(own[generator.target.id])  # an int
            generators.append((_renamed(generator.target, own), iterable,
                               [ir.clone(test, _names(own)) for test in generator.ifs]))
        append = gast.Attribute(value=name(items), attr="append", ctx=gast.Load())
        body = [gast.Expr(value=gast.Call(func=append, args=[ir.clone(node.elt, _names(own))],
                                          keywords=[]))]
        for target, iterable, tests in reversed(generators):
            for test in reversed(tests):
                body = [gast.If(test=test, body=body, orelse=[])]
            body = [gast.For(target=target, iter=iterable, body=body, orelse=[],
                             type_comment=None)]
        for stmt in ir.walk(body[0]):
            if isinstance(stmt, gast.stmt):
                gast.copy_location(stmt, node)
        self.statement(body[0])
        return name(items)

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
            inner = sorted({n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                            and n.id in self.local_functions})
            if inner:  # it would run the inner function as written: not differentiated
                raise self.unsupported(node, f"{self.describe(node)} calling the inner "
                                       f"function {inner[0]} is not supported",
                                       _FIXES.get(type(node), "write a for loop"))
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
        if hasattr(fn, "__wrapped__") and hasattr(fn, "differentiable"):
            fn = fn.differentiable()  # a gradient made by srcgrad: its generated code
        if fn.__code__ in self.inline_stack:
            raise self.unsupported(call, f"{fn.__name__} calls itself (recursion), which "
                                   "srcgrad cannot differentiate: it inlines helper functions",
                                   "rewrite the recursion as a loop")
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
        free = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load)} - set(mapping.values())
        for original in sorted(free):  # a name meaning something else here: one of its own
            if resolver.clashes(original, self.resolver.locals):
                key = self.namer.numbered(original)
                resolver.aliases[key] = original
                for node in gast.walk(tree):
                    if isinstance(node, gast.Name) and node.id == original:
                        node.id = key
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
        statics: dict[str, Any] = {}
        for param, atom_ in pairs:
            self.assigned_once.add(mapping[param])  # (renamed apart: assigned only here)
            self.assign(mapping[param], atom_, Op("copy", bound={"x": atom_}))
            if isinstance(atom_, gast.Name) and atom_.id in self.literals:
                self.literals[mapping[param]] = self.literals[atom_.id]
            known = self.static_of(atom_)
            if known is not None:  # a function or an object passed (self of a method)
                statics[mapping[param]] = known
        sub = Normalizer(parsed, resolver, self.namer)
        sub.inline_stack = self.inline_stack + (key,)
        sub.local_functions = dict(local_functions)
        sub.literals = {mapping[param]: self.literals[mapping[param]] for param, _ in pairs
                        if mapping[param] in self.literals}  # *args, **kwargs
        sub.statics.update(statics)
        sub.dicts = {mapping[param] for param, atom_ in pairs  # (iterated over their keys)
                     if isinstance(atom_, gast.Name) and atom_.id in self.dicts}
        stmts, result = sub.inline_body()
        self.out.extend(stmts)
        self.line = line
        return result, None

    def call(self, node: gast.Call, hint: str):
        func = node.func
        unfrozen = self.unfrozen(node)
        if unfrozen is not None:
            return self.call(unfrozen, hint)
        if isinstance(func, gast.Name) and func.id in self.local_functions:
            return self.inline_local(self.local_functions[func.id], node, hint)
        known = self.static_of(func)
        resolved = Resolved("object", known) if known is not None and \
            self.resolver.is_local(_root(func)) else self.resolver.resolve(func)
        if resolved.kind == "object" and isinstance(resolved.value, functools.partial):
            return self.call(self.without_partial(resolved.value, node), hint)
        node = _ufunc_outputs_by_name(node, resolved)
        made = self.builtin_container(node, resolved, hint)
        if made is not None:
            return made, None
        if resolved.kind == "local" and isinstance(func, gast.Attribute):
            return self.method_call(node, hint)
        if resolved.kind == "unknown":
            if isinstance(func, gast.Attribute) and not (resolved.root and not
                                                         self.resolver.is_local(resolved.root)):
                return self.method_call(node, hint)
            raise self.source.error(UnsupportedSyntaxError, node,
                                    f"name {resolved.root!r} is not defined",
                                    "define it before the function, or pass it as a parameter")
        spread = [(a.value, "tuple") for a in node.args if isinstance(a, gast.Starred)] + \
            [(k.value, "dict") for k in node.keywords if k.arg is None]
        if not all(self.spreadable(value, kind) for value, kind in spread):
            expr = self.opaque_expr(node)
            return expr, Op("opaque", what=f"a call to {self.text(func)} with * or ** "
                            "arguments", fix="pass the arguments one by one: srcgrad binds "
                            "them to the function's parameters when it transforms the code")
        effect = registry.lookup_effect(resolved.value) if resolved.kind == "object" else None
        if effect is not None and effect.result is not None:  # its value, then its write
            value = self.call(gast.copy_location(gast.Call(
                func=name(self.resolver.add_global(effect.result.__name__, effect.result)),
                args=node.args, keywords=node.keywords), node), hint)
            held = self.named(value[0], hint) if value[1] is None else \
                self.assign(self.namer.fresh(hint), value[0], value[1])
            self.effect(effect, node, list(node.args))
            return held, None
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
        args, kwargs = self.spread_arguments(node, hint)
        if rule is not None:
            args, kwargs = self.displays_as_arrays(rule, resolved.value, args, kwargs, node)
        if resolved.kind == "object" and resolved.value in (builtins.max, builtins.min) and \
                len(args) > 1:  # max(a, b, c) is max([a, b, c])
            args = [gast.List(elts=args, ctx=gast.Load())]
        out = kwargs.pop("out", None)
        if out is not None and not (isinstance(out, gast.Constant) and out.value is None):
            without = gast.copy_location(gast.Call(func=node.func, args=node.args, keywords=[
                k for k in node.keywords if k.arg != "out"]), node)
            expr, op = self.call_value(func, resolved, rule, args, kwargs, without)
            return self.write_out(out, expr, op, node, hint)
        return self.call_value(func, resolved, rule, args, kwargs, node)

    def displays_as_arrays(self, rule: Rule, function, args: list, kwargs: dict, node):
        """The arguments of a NumPy (or SciPy) function, a list or tuple written out for one
        it differentiates made an array first (``np.mean([a, b])``, ``x @ [1.0, 2.0]``), as
        the function itself does; not for parameters taking a sequence of arrays
        (``np.stack``), nor where Python's ``+`` and ``*`` of lists apply."""
        if rule.on_lists is not None or not rule.name.startswith(("np.", "scipy.")) or \
                function in (np.array, np.asarray, np.asanyarray):
            return args, kwargs
        try:
            bound = rule.signature.bind_partial(*args, **kwargs)
        except TypeError:
            return args, kwargs  # (reported when the call is bound)
        made = {id(value): self.as_array(value, node)
                for param, value in bound.arguments.items()
                if isinstance(value, (gast.Tuple, gast.List)) and param in rule.adjoints and
                param not in rule.sequences}
        if not made:
            return args, kwargs
        return ([made.get(id(a), a) for a in args],
                {k: made.get(id(v), v) for k, v in kwargs.items()})

    def as_array(self, display, node) -> gast.Name:
        """A list or tuple written out, made an array (``np.array``, whose rule differentiates
        its items) in a temporary."""
        return self.assign(self.namer.temporary("items"), ir.call(np.array, display),
                           self.rule_op(np.array, [display], {}, node))

    def unfrozen(self, node: gast.Call) -> gast.Call | None:
        """``norm.logpdf(x, loc, scale)`` for ``norm(loc, scale).logpdf(x)``, where calls of
        ``norm`` make frozen objects (:func:`registry.deffrozen`) and ``norm.logpdf`` has a
        rule; else None."""
        func = node.func
        if not isinstance(func, gast.Attribute) or not isinstance(func.value, gast.Call):
            return None
        made = func.value
        resolved = self.resolver.resolve(made.func)
        if resolved.kind != "object" or not registry.freezes(resolved.value) or \
                registry.lookup(getattr(resolved.value, func.attr, None)) is None:
            return None
        method = gast.Attribute(value=made.func, attr=func.attr, ctx=gast.Load())
        return gast.copy_location(gast.Call(func=method, args=node.args + made.args,
                                            keywords=node.keywords + made.keywords), node)

    def call_value(self, func, resolved, rule, args, kwargs, node):
        """The operation of a call whose arguments are atoms: a rule's, or opaque."""
        out_func = self.callee_expr(func, rule)
        expr = gast.Call(func=out_func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in kwargs.items()])
        if rule is None:
            what = self.text(func)
            return expr, Op("opaque", bound={"callable": resolved.value}, what=what,
                            fix=library_fix(resolved.value, what))
        return expr, self.rule_op(rule.key, args, kwargs, node, rule=rule)

    def callee_expr(self, func, rule: Rule | None):
        """How generated code names a callee: ``np.<name>`` for NumPy rules, its own name for a
        runtime helper (``astype`` where NumPy has no ``np.astype``; a method's function, with
        ``func`` None, too), else as written."""
        if rule is not None and (rule.name.startswith("np.") or func is None
                                 or getattr(runtime, rule.name, None) is rule.key):
            return gast.parse(rule.name, mode="eval").body
        return func

    def method_call(self, node: gast.Call, hint: str):
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise self.unsupported(node, "*args and **kwargs in method calls are not supported",
                                   "pass the arguments one by one")
        known = self.literals.get(node.func.value.id) \
            if isinstance(node.func.value, gast.Name) else None
        if known is not None and known.kind == "dict" and node.func.attr == "get" and \
                1 <= len(node.args) <= 2 and isinstance(node.args[0], gast.Constant):
            keys = known.static["keys"]  # d.get("k", default) of a dict written out
            if node.args[0].value in keys:
                return known.elements[keys.index(node.args[0].value)], None
            return self.atom(node.args[1] if len(node.args) == 2 else constant(None), hint), None
        if known is not None and known.kind == "dict" and not node.args and \
                node.func.attr in ("keys", "values", "items"):  # of a dict written out
            keys = [constant(k) for k in known.static["keys"]]
            parts = {"keys": keys, "values": list(known.elements),
                     "items": [gast.Tuple(elts=[k, v], ctx=gast.Load())
                               for k, v in zip(keys, known.elements)]}[node.func.attr]
            return self.named(gast.Tuple(elts=parts, ctx=gast.Load()), hint), None
        if self.is_list_pop(node):
            return self.list_pop(node.func.value.id, hint), None
        if not node.keywords and node.func.attr in _DICT_METHODS and \
                _DICT_METHODS[node.func.attr][0] <= len(node.args) <= _DICT_METHODS[node.func.attr][1]:
            return self.dict_method(node, hint)
        receiver = self.atom(node.func.value, hint)
        args, kwargs = self.spread_arguments(node, hint)
        out = kwargs.pop("out", None)
        expr, op = self.method_value(node, receiver, args, kwargs)
        if out is not None and not (isinstance(out, gast.Constant) and out.value is None):
            return self.write_out(out, expr, op, node, hint)
        return expr, op

    def dict_method(self, node: gast.Call, hint: str):
        """``d.keys()``, ``d.values()``, ``d.items()``, ``d.get(k, default)`` of a dict whose
        keys are known only when the code runs (a parameter): lists of its keys and values
        (the items zipped from them), and ``d[k] if k in d else default``."""
        receiver = self.named(self.atom(node.func.value, hint), hint)
        method = node.func.attr
        if method == "items":
            key, value = self.namer.fresh("key"), self.namer.fresh("value")
            pairs = gast.ListComp(
                elt=gast.Tuple(elts=[name(key), name(value)], ctx=gast.Load()),
                generators=[gast.comprehension(
                    target=gast.Tuple(elts=[name(key, store=True), name(value, store=True)],
                                      ctx=gast.Store()),
                    iter=ir.call(zip, _method_call(receiver, "keys"),
                                 _method_call(receiver, "values")),
                    ifs=[], is_async=0)])
            return self.comprehension(gast.copy_location(pairs, node), hint), None
        if method == "get":
            key = self.named(self.atom(node.args[0], hint), hint)
            default = self.atom(node.args[1], hint) if len(node.args) == 2 else constant(None)
            found = gast.Compare(left=key, ops=[gast.In()], comparators=[ir.clone(receiver)])
            picked = gast.IfExp(test=found, body=gast.Subscript(
                value=ir.clone(receiver), slice=ir.clone(key), ctx=gast.Load()), orelse=default)
            return self.operation(gast.copy_location(picked, node), hint)
        helper = getattr(runtime, "dict_" + method)
        call = gast.Call(func=name(helper.__name__), args=[receiver], keywords=[])
        return call, self.rule_op(helper, [receiver], {}, node)

    def method_value(self, node, receiver, args, kwargs):
        """The operation of ``x.name(...)`` whose receiver and arguments are atoms."""
        func = node.func
        method = registry.lookup_method(func.attr)
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
        op = self.rule_op(rule.key, all_args, kwargs, node, rule=rule)
        op.method = func.attr
        return expr, op

    def rule_op(self, key, args, kwargs, node, rule: Rule | None = None) -> Op:
        rule = rule or registry.lookup(key)
        if rule is None:
            return Op("opaque", what=str(key))
        try:
            return bind_op(rule, args, kwargs, self.static_global)
        except TypeError as exc:
            raise self.unsupported(node, f"the call to {rule.name} does not match its "
                                   f"parameters ({exc})", "check the arguments") from None

    def static_global(self, atom) -> Any:
        """The global value an atom names where templates specialise on it (a dtype such as
        ``int`` or ``np.float32``, a complex constant: see ``registry.static_global``), else
        DYNAMIC. A closure's variable stays DYNAMIC: a closure made again may hold another."""
        if not isinstance(atom, (gast.Name, gast.Attribute)) or \
                isinstance(atom, gast.Name) and self.resolver.is_local(atom.id):
            return DYNAMIC
        resolved = self.resolver.resolve(atom)
        if resolved.kind != "object" or resolved.root in self.resolver.parsed.cells:
            return DYNAMIC
        return registry.static_global(resolved.value)



#: Methods of a dict (a parameter's: keys known when the code runs) that srcgrad writes out,
#: and how many positional arguments they take.
_DICT_METHODS = {"keys": (0, 0), "values": (0, 0), "items": (0, 0), "get": (1, 2)}


def _method_call(receiver: gast.Name, method: str) -> gast.Call:
    return gast.Call(func=gast.Attribute(value=ir.clone(receiver), attr=method,
                                         ctx=gast.Load()), args=[], keywords=[])


#: Builtins that read a container passed to them and never change it.
_READ_ONLY_BUILTINS = frozenset({"len", "zip", "enumerate", "list", "tuple", "sum", "sorted",
                                 "reversed", "range", "max", "min", "any", "all", "isinstance",
                                 "iter", "map", "print", "dict", "set", "str", "repr"})


def _assigned_once(tree) -> tuple[set[str], set[str]]:
    """The variables of a function assigned in exactly one place (parameters count as one):
    those never changed in place after, and all of them. (A list that grows, ``hs = [];
    hs.append(h)``, gets an item written, ``xs[0] = y``, or is passed to a call that may change
    it holds other items than the ones it was made with; it is still the one list.)"""
    args = tree.args
    counts: dict[str, int] = {a.id: 1 for a in args.posonlyargs + args.args + args.kwonlyargs}
    changed: set[str] = set()
    tuples: set[str] = set()  # assigned a tuple: never changed in place
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)):
            counts[node.id] = counts.get(node.id, 0) + 1
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            counts[node.target.id] = counts.get(node.target.id, 0) + 1
        elif isinstance(node, (gast.Subscript, gast.Attribute)) and \
                isinstance(node.ctx, (gast.Store, gast.Del)):
            root = _root(node)
            if root is not None:
                changed.add(root)
        elif isinstance(node, gast.Call):
            func = node.func
            if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
                changed.add(func.value.id)  # xs.append(y), d.update(e)
            if not (isinstance(func, gast.Name) and func.id in _READ_ONLY_BUILTINS):
                changed.update(a.id for a in node.args if isinstance(a, gast.Name))
                changed.update(k.value.id for k in node.keywords  # (not a **spread)
                               if k.arg is not None and isinstance(k.value, gast.Name))
        elif isinstance(node, gast.Assign) and isinstance(node.value, gast.Tuple):
            tuples.update(t.id for t in node.targets if isinstance(t, gast.Name))
    once = {v for v, n in counts.items() if n == 1}
    return once - (changed - tuples), once


def _ufunc_outputs_by_name(call: gast.Call, resolved) -> gast.Call:
    """``np.square(y, w)`` as ``np.square(y, out=(w,))``: a ufunc's arguments after its
    inputs are its outputs."""
    ufunc = resolved.value if resolved.kind == "object" else None
    if not isinstance(ufunc, np.ufunc) or len(call.args) <= ufunc.nin or \
            any(isinstance(a, gast.Starred) for a in call.args):
        return call
    out = gast.Tuple(elts=call.args[ufunc.nin:], ctx=gast.Load())
    return gast.copy_location(gast.Call(func=call.func, args=call.args[:ufunc.nin],
                                        keywords=call.keywords + [gast.keyword(arg="out",
                                                                               value=out)]),
                              call)


def _root(node) -> str | None:
    """The name an attribute chain or subscript starts from (``layer`` in ``layer.w[0]``)."""
    while isinstance(node, (gast.Attribute, gast.Subscript)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _names(mapping: dict[str, str]) -> dict[str, gast.Name]:
    return {old: name(new) for old, new in mapping.items()}


def _renamed(target, mapping: dict[str, str]):
    """A copy of an assignment target with its names renamed."""
    target = ir.clone(target)
    for node in gast.walk(target):
        if isinstance(node, gast.Name) and node.id in mapping:
            node.id = mapping[node.id]
    return target


def normalize(parsed: ParsedFunction, resolver: Resolver, namer: Namer,
              several_results: bool = False, statics: dict | None = None,
              dicts: Collection[str] = ()) -> gast.FunctionDef:
    """The function in A-normal form (see the module docstring); ``several_results`` lets it
    return a tuple or list (for vjp); ``statics`` gives parameters known when the code is
    transformed (a bound method's self), ``dicts`` the parameters passed dicts."""
    normalizer = Normalizer(parsed, resolver, namer)
    normalizer.several_results = several_results
    normalizer.statics.update(statics or {})
    normalizer.dicts = set(dicts) & normalizer.bound_once
    return normalizer.function()
