"""The pipeline: parse, resolve, normalize, analyze, reverse, optimize, emit."""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import gast
import numpy as np

from . import batching, ir, runtime
from .errors import SrcgradError, WrtError
from .ir import facts, name
from .names import Namer, names_in
from .passes.aliasing import resolve_aliasing
from .passes.analysis import Activity, activity, assigned_in, container_vars, rename
from .passes.codegen import compile_function, to_source
from .passes.forward import SET, Forward
from .passes.fuse import fuse
from .passes.normalize import normalize
from .passes.optimize import (
    eliminate_dead_code,
    fold_temporaries,
    forward_adjoint_copies,
    free_large_arrays,
    hoist_invariants,
    propagate_copies,
)
from .passes.parse import ParsedFunction, parse_function
from .passes.resolve import GENERATED_BUILTINS, Resolver, is_data
from .passes.reverse import Reverser, uses_tape, with_pushes
from .passes.shapes import SCALAR, ShapeClass, infer_shapes
from .rules import registry

#: Names generated code uses for itself.
HELPERS = {n: f for module in (runtime, batching) for n, f in vars(module).items()
           if inspect.isfunction(f) and f.__module__ == module.__name__}
_CALLED = set(HELPERS) | {"np"} | GENERATED_BUILTINS
#: The keyword argument a mode's generated function takes besides the function's own.
KEYWORDS = {"vjp": "seed", "jvp": "tangent", "hvp": "vector",
            "jvp_batched": "tangents", "hvp_batched": "vectors"}
_RESERVED = _CALLED | {"tape", "_"} | set(KEYWORDS.values())

#: What an assumption holds for a data value (see Resolver): any data will do.
DATA = object()

MODES = ("grad", "value_and_grad", "vjp", "grad_aux", "value_and_grad_aux", "jvp", "hvp",
         "jvp_batched", "hvp_batched")
_GONE = object()
#: The scope of what code made from generated code reads from that code's namespace (see
#: Generated.base): the generated code as bound to the function being called.
BASE = "base"


@dataclass
class Generated:
    """A generated gradient function and what it was made from.

    It serves every function with the same code object: :meth:`bind` gives one of them a
    function of its own, reading that function's defaults and the data in its closure and
    globals at call time."""

    function: Any
    source: str
    namespace: dict[str, Any]
    name: str
    params: list[str]
    assumptions: tuple = ()  # (scope, name, value) the code was made with (see Resolver)
    arg_shapes: frozenset = frozenset()  # the argument shapes it was made for (none: any)
    live: tuple = ()  # (scope, name there, name in the code): data read at call time
    defaults: tuple = ()  # (parameter, name in the code) for defaults that are not literals
    rules: int = 0  # the rule registry's generation it was made with
    statics: tuple = ()  # (parameter, value) known when made; held, as their ids key the cache
    #: For code made from generated code (a Hessian-vector product from the gradient): that
    #: code. Each function this serves binds it anew, so its data is that function's own.
    base: Generated | None = None
    #: What the data read at call time becomes before the code sees it (for another array
    #: library: NumPy arrays as its arrays, see arrays.Facade.data); None: as it is.
    convert: Callable[[Any], Any] | None = None

    def still_valid(self, fn) -> bool:
        """Whether every rule, global and closure variable the code used for ``fn`` is still
        what it was (for data: still data)."""
        if self.rules != registry.generation():
            return False
        if self.base is not None and not self.base.still_valid(fn):
            return False
        for scope, key, value in self.assumptions:
            if scope == BASE:  # (the base's namespace: valid where the base is)
                continue
            if isinstance(scope, list):  # a list of objects (layers): the same ones
                if len(scope) != len(value) or any(a is not b for a, b in zip(scope, value)):
                    return False
                continue
            current = _read(scope, key, fn)
            if value is DATA:
                if current is _GONE or not is_data(current):
                    return False
            elif current is not value:
                return False
        return True

    def rebase(self, base: Generated) -> None:
        """Make this code, made from the generated code ``base``, read what it read from that
        code's globals (its namespace, not the user's function's globals) from ``base`` as
        bound to the function each call serves."""
        self.base = base
        self.live = tuple((BASE if s == "globals" else s, own, key) for s, own, key in self.live)
        self.assumptions = tuple((BASE if s == "globals" else s, key, value)
                                 for s, key, value in self.assumptions)

    def bind(self, fn) -> tuple[Callable, Callable | None]:
        """The generated function for ``fn``: with ``fn``'s defaults, and a function that
        reads ``fn``'s data into its namespace before a call (None when there is none)."""
        namespace = dict(self.namespace)
        own = defaults_of(fn)
        for param, key in self.defaults:  # as the code's text names them (for export)
            namespace[key] = own[param]
        count = len(self.function.__defaults__ or ())
        code = fn.__code__
        names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        defaults = tuple(own[n] for n in names[len(names) - count:]) or None
        function = types.FunctionType(self.function.__code__, namespace, self.name, defaults)
        function.__kwdefaults__ = self.function.__kwdefaults__
        function.__qualname__ = self.name
        live = self.live
        base_refresh, base_namespace = None, {}
        if self.base is not None:  # the code this was made from, with fn's data
            base_function, base_refresh = self.base.bind(fn)
            base_namespace = base_function.__globals__
        if not live:
            return function, None

        def refresh():
            if base_refresh is not None:
                base_refresh()
            for scope, own, key in live:
                value = base_namespace.get(own, _GONE) if scope == BASE else _read(scope, own, fn)
                namespace[key] = value if self.convert is None else self.convert(value)

        refresh()
        return function, refresh


def defaults_of(fn) -> dict[str, Any]:
    """``fn``'s parameters that have defaults, with their values."""
    code = fn.__code__
    positional = code.co_varnames[:code.co_argcount]
    values = fn.__defaults__ or ()
    found = dict(zip(positional[len(positional) - len(values):], values))
    found.update(fn.__kwdefaults__ or {})
    return found


def _read(scope, key: str, fn) -> Any:
    """The value of ``key`` in ``scope`` (see Resolver.assumptions) as ``fn`` sees it."""
    if scope == "globals":
        return fn.__globals__.get(key, _GONE)
    if isinstance(scope, Mapping):  # (a dict, or a class's attributes)
        return scope.get(key, _GONE)
    cell = fn.__closure__[scope] if isinstance(scope, int) else scope
    try:
        return cell.cell_contents
    except ValueError:
        return _GONE


def _literal(value) -> gast.expr | None:
    """``value`` written as a literal, if it has one that reads back as the same value."""
    if value is None or type(value) in (bool, int, str) or \
            (type(value) is float and np.isfinite(value)):
        return gast.Constant(value=value, kind=None)
    if type(value) is tuple:
        items = [_literal(v) for v in value]
        if all(item is not None for item in items):
            return gast.Tuple(elts=items, ctx=gast.Load())
    return None


def literal_defaults(fn) -> tuple:
    """What of ``fn``'s defaults the generated code's text shows: their literal values."""
    values = (getattr(fn, "__defaults__", None) or ()) + \
        tuple((getattr(fn, "__kwdefaults__", None) or {}).values())
    return tuple((type(v), repr(v)) if _literal(v) is not None else None for v in values)


@dataclass
class FrontEnd:
    """A function as the back end receives it, and what the front end learnt on the way."""

    parsed: ParsedFunction
    resolver: Resolver  # what each free name is (it also gathers the generated code's globals)
    namer: Namer  # the names in use, for the back end's fresh ones
    fdef: gast.FunctionDef  # normalized, aliasing resolved, fused, renamed, copies propagated
    params: list[str]  # the parameters (renamed where they clash with the generated code's)
    wrt: tuple[str, ...]  # the parameters to differentiate (renamed the same way)
    user_names: set[str]  # every name the user's code uses
    loop_names: set[str]  # variables assigned in loops (see analysis.rename)
    tape: str  # the generated code's tape and placeholder for ignored values
    unused: str
    scalars: set[str]  # parameters passed numbers
    aux: bool  # the function returns (output, aux)

    @functools.cached_property
    def activity(self) -> Activity:
        """Which values get an adjoint; raises NonDifferentiableError where the gradient would
        flow through an operation without a rule."""
        return activity(self.fdef, list(self.wrt), self.parsed.source)


def front_end(fn, wrt: Sequence[str], mode: str = "grad", containers: frozenset = frozenset(),
              statics: tuple = (), dicts: frozenset = frozenset()) -> FrontEnd:
    """``fn`` parsed, resolved and normalized as :func:`transform` differentiates it (the same
    arguments; the tools that show the normalized function call this too)."""
    parsed = parse_function(fn)
    tree = parsed.tree
    params = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    keyword = KEYWORDS.get(mode)
    if keyword in params:
        raise WrtError(f"{fn.__qualname__} has a parameter named {keyword!r}, which {mode} "
                       "takes as a keyword argument; rename the parameter")
    user_names = names_in(tree)
    namer = Namer(user_names | _RESERVED)
    wrt = tuple(wrt)
    # A local variable named like something the generated code calls (spread, np) is renamed.
    renamed = {v: namer.fresh(v) for v in sorted((set(params) | assigned_names(tree))
                                                  & _CALLED)}
    if renamed:
        for node in ir.walk(tree):
            if isinstance(node, gast.Name) and node.id in renamed:
                node.id = renamed[node.id]
        params = [renamed.get(p, p) for p in params]
        wrt = tuple(renamed.get(w, w) for w in wrt)
    local_names = set(params) | assigned_names(tree)
    # the tape and the placeholder for ignored values, unless the function uses those names
    tape = "tape" if "tape" not in user_names else namer.fresh("tape")
    unused = "_" if "_" not in user_names else namer.fresh("unused")
    resolver = Resolver(parsed, local_names)
    for free in sorted({n.id for n in ir.walk(tree) if isinstance(n, gast.Name)} - local_names):
        if resolver.clashes(free, set()):  # a global zip or len: generated code's are builtins
            key = namer.numbered(free)
            resolver.aliases[key] = free
            for node in ir.walk(tree):
                if isinstance(node, gast.Name) and node.id == free:
                    node.id = key
    for node in ir.walk(tree):  # the function's own free names first: a helper's give way
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                not resolver.is_local(node.id):
            resolver.resolve(node)
    scalars = {p for p, kind in containers if kind == "scalar"}
    aux = mode.endswith("_aux")  # f returns (output, aux): aux passes through
    fdef = normalize(parsed, resolver, namer, several_results=mode in KEYWORDS or aux,
                     statics=dict(statics), dicts={renamed.get(p, p) for p in dicts})
    known = infer_shapes(fdef, scalars=scalars)
    numbers = {v for v, shape in known.items() if shape is SCALAR} | {
        node.id for node in ir.walk(fdef) if isinstance(node, gast.Name)
        and not resolver.is_local(node.id)
        and isinstance(resolver.resolve(node).value, (int, float, np.integer, np.floating))}
    arrays = {v for v, shape in known.items()  # (shape (): an array, or a NumPy number)
              if isinstance(shape, tuple) and shape or isinstance(shape, ShapeClass)}
    fdef = resolve_aliasing(fdef, parsed.source, namer,
                            {p for p, kind in containers if kind != "scalar"}, numbers, arrays)
    fdef = fuse(fdef)
    fdef, loop_names = rename(fdef, namer, set(wrt))
    fdef = hoist_invariants(propagate_copies(fdef))
    return FrontEnd(parsed, resolver, namer, fdef, params, wrt, user_names, loop_names, tape,
                    unused, scalars, aux)


def transform(fn, wrt: tuple[str, ...], mode: str, as_tuple: bool = True,
              containers: frozenset = frozenset(), arg_shapes: frozenset = frozenset(),
              statics: tuple = (), dicts: frozenset = frozenset(),
              complex_params: frozenset = frozenset()) -> Generated:
    """Generate the ``mode`` function of ``fn`` for the parameters named in ``wrt``.

    The gradients are returned as a tuple, or bare when ``as_tuple`` is false (one ``wrt``).
    ``containers`` holds (parameter, kind) for the parameters passed lists, tuples or dicts
    (kind 1 for containers of arrays, 2 for containers that hold containers too), or numbers
    (kind "scalar"). ``arg_shapes`` holds (parameter, shape) for parameters passed arrays, when
    the code is made for those shapes only: shapes then known are used (no run-time
    un-broadcasting where they are equal). ``statics`` holds (parameter, object) for objects
    and functions passed, ``dicts`` the parameters passed dicts, ``complex_params`` those passed
    complex values (shapes are then not used: un-broadcasting also takes the real part of a
    complex adjoint for a real value, and a scalar output is checked to be real).
    """
    rules_generation = registry.generation()
    front = front_end(fn, wrt, mode, containers, statics, dicts)
    parsed, namer, fdef, act = front.parsed, front.namer, front.fdef, front.activity
    params, wrt, user_names, loop_names = (front.params, front.wrt, front.user_names,
                                           front.loop_names)
    tape, unused, scalars, aux = front.tape, front.unused, front.scalars, front.aux

    result = fdef.body[-1].value.id
    forward = fdef.body[:-1]
    primal = set(params) | assigned_in(forward)
    # Shapes known let adjoints skip un-broadcasting, which also takes the real part of a
    # complex adjoint for a real value: not where the code makes complex values.
    complex_values = bool(complex_params) or _makes_complex(fdef)
    shapes = {} if complex_values else infer_shapes(fdef, dict(arg_shapes), scalars)
    reverser = Reverser(act, namer, parsed.source, primal, shapes=shapes,
                        containers=container_vars(fdef, {p: k for p, k in containers
                                                         if k != "scalar"}),
                        tape=tape, unused=unused)
    d_result = namer.adjoint(result)
    prologue_seed = []
    if mode == "vjp":
        given = "seed"
        if "seed" in user_names:  # the function has a variable named seed: keep ours apart
            given = namer.fresh("cotangent")
            prologue_seed.append(gast.Assign(targets=[name(given, store=True)],
                                             value=name("seed"), type_comment=None))
        seed_value = ir.call(runtime.cotangent, name(given), name(result))
    elif aux:
        seed_value = ir.call(runtime.aux_seed, name(result))
    elif shapes.get(result) in (SCALAR, ()) and not complex_values:  # provably a real scalar
        seed_value = gast.Constant(value=1.0, kind=None)
    else:
        seed_value = ir.call(runtime.unit_seed, name(result))
    seed = reverser.seed(result, seed_value)
    facts(seed).keep = not act.active(result)  # nothing flows back, but the output is checked
    backward, _ = reverser.block(forward)

    value = result
    prologue = []
    if mode in ("value_and_grad", "value_and_grad_aux", "grad_aux") and result in loop_names:
        value = namer.fresh(result + "_value")  # the backward pass rewinds loop variables
        prologue.append(gast.Assign(targets=[name(value, store=True)], value=name(result),
                                    type_comment=None))
    grads = [ir.call(runtime.as_grad, name(namer.adjoint(w)) if reverser.state.get(w, "unset")
                     != "unset" else gast.Constant(value=None, kind=None), name(w)) for w in wrt]
    out = gast.Tuple(elts=grads, ctx=gast.Load()) if as_tuple else grads[0]
    if mode in ("value_and_grad", "value_and_grad_aux"):
        out = gast.Tuple(elts=[name(value), out], ctx=gast.Load())
    elif mode == "grad_aux":
        out = gast.Tuple(elts=[out, gast.Subscript(value=name(value), slice=gast.Constant(
            value=1, kind=None), ctx=gast.Load())], ctx=gast.Load())
    ret = gast.Return(value=out)

    taped = uses_tape(forward)  # (before later passes rewrite the statements)
    body = prologue_seed + with_pushes(forward, reverser.plan) + prologue + [seed] + backward + [ret]
    body = forward_adjoint_copies(body, set(namer.adjoints()))
    body, _ = eliminate_dead_code(body, set())
    body = fold_temporaries(body, namer.temporaries)
    adjoint_of = {d: v for v, d in namer.adjoint_names().items()}
    sizes = {v: int(np.prod(cast(tuple, shapes[adjoint_of.get(v, v)]))) for v in assigned_in(body)
             if isinstance(shapes.get(adjoint_of.get(v, v)), tuple)}
    body = free_large_arrays(body, sizes, set(params))
    if taped:
        body.insert(0, gast.Assign(targets=[name(tape, store=True)],
                                   value=gast.List(elts=[], ctx=gast.Load()), type_comment=None))
    del d_result

    return _compiled(fn, front, body, mode, rules_generation, arg_shapes, statics)


def _compiled(fn, front: FrontEnd, body: list, mode: str, rules_generation: int,
              arg_shapes: frozenset, statics: tuple) -> Generated:
    """The generated function of ``mode`` with ``body``, taking ``fn``'s parameters (and the
    keyword the mode adds: ``seed``, ``tangent``), compiled with its globals."""
    resolver, params, tree = front.resolver, front.params, front.parsed.tree
    keyword = KEYWORDS.get(mode)
    fn_name = generated_name(tree.name, mode)
    defaults: list[gast.expr] = []
    default_names: list[tuple[str, str]] = []
    for param, spec in reversed(list(zip(params, inspect.signature(fn).parameters.values()))):
        if spec.default is spec.empty:  # defaults by value, the trailing run of parameters
            break
        literal = _literal(spec.default)
        if literal is None:
            key = resolver.add_global(f"{param}_default", spec.default)
            default_names.append((spec.name, key))
            literal = name(key)
        defaults.insert(0, literal)
    args = gast.arguments(args=[name(p) for p in params], posonlyargs=[], vararg=None,
                          kwonlyargs=[name(keyword)] if keyword else [],
                          kw_defaults=[None] if keyword else [], kwarg=None,
                          defaults=defaults)
    for a in args.args + args.kwonlyargs:
        a.ctx = gast.Param()
    gen = gast.FunctionDef(name=fn_name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None, type_params=[])
    source = to_source(gast.Module(body=[gen], type_ignores=[]))
    namespace = build_namespace(resolver)
    function = compile_function(source, fn_name, namespace)
    assumptions = tuple({(id(s), k): (s, k, v) for s, k, v in resolver.assumptions}.values())
    live = tuple((s, k, k) for s, k, v in assumptions
                 if is_data(v) and k in namespace and namespace[k] is v)
    live += tuple((s, k, key) for key, (s, k) in resolver.renamed_data.items()
                  if key in namespace and is_data(namespace[key]))
    for _, _, key in live:  # read at each call: the cached code does not keep the data alive
        namespace[key] = None
    assumptions = tuple((s, k, DATA if is_data(v) else v) for s, k, v in assumptions)
    return Generated(function, source, namespace, fn_name, params, assumptions, arg_shapes,
                     live, tuple(default_names), rules_generation, statics)


def transform_forward(fn, wrt: tuple[str, ...], as_tuple: bool = True,
                      containers: frozenset = frozenset(), arg_shapes: frozenset = frozenset(),
                      statics: tuple = (), dicts: frozenset = frozenset(),
                      mode: str = "jvp") -> Generated:
    """Generate the forward-mode (``jvp``) function of ``fn`` for the parameters in ``wrt``:
    it takes ``fn``'s arguments and the keyword ``tangent`` (one per ``wrt`` parameter, a tuple
    when ``as_tuple``) and returns ``(value, output_tangent)``; with ``mode="hvp"`` (``fn``
    being a generated gradient) the keyword is ``vector`` and it returns the output's tangent
    alone. The ``_batched`` modes take a batch of tangents (``tangents``, ``vectors``: a leading
    axis on each array) and return one (see :mod:`srcgrad.batching`). The other arguments
    are as :func:`transform`'s."""
    rules_generation = registry.generation()
    front = front_end(fn, wrt, mode, containers, statics, dicts)
    fdef, namer = front.fdef, front.namer
    result = fdef.body[-1].value.id
    shapes = infer_shapes(fdef, dict(arg_shapes), front.scalars)
    batch = namer.fresh("batch") if mode.endswith("_batched") else None
    walk = Forward(front.activity.varied, namer, front.parsed.source, shapes,
                   containers=container_vars(fdef, {p: k for p, k in containers
                                                    if k != "scalar"}),
                   state={w: SET for w in front.wrt}, defined=set(front.params), batch=batch)
    tangents = [name(namer.tangent(w), store=True) for w in front.wrt]
    given = gast.Tuple(elts=tangents, ctx=gast.Store()) if as_tuple else tangents[0]
    prologue = [gast.Assign(targets=[given], value=name(KEYWORDS[mode]), type_comment=None)]
    if batch is not None:
        prologue.append(gast.Assign(targets=[name(batch, store=True)], type_comment=None,
                                    value=ir.call(batching.batch_size, name(KEYWORDS[mode]))))
    body = walk.block(fdef.body[:-1])
    # A gradient has the structure, types and shapes of its parameters (``as_grad``): its
    # tangent takes them from the parameters, so the gradient itself, which the hvp does not
    # return, is not computed.
    shaped_like = name(result) if mode.startswith("jvp") else \
        gast.Tuple(elts=[name(w) for w in front.wrt], ctx=gast.Load()) if as_tuple else \
        name(front.wrt[0])
    out = name(namer.tangent(result)) if walk.has(result) else walk.zero(shaped_like)
    value = ir.call(runtime.as_tangent, out, shaped_like) if batch is None else \
        ir.call(batching.batch_as_tangent, out, shaped_like, name(batch))
    if mode.startswith("jvp"):
        value = gast.Tuple(elts=[name(result), value], ctx=gast.Load())
    body, _ = eliminate_dead_code(prologue + body + [gast.Return(value=value)], set())
    body = fold_temporaries(body, namer.temporaries)
    return _compiled(fn, front, body, mode, rules_generation, arg_shapes, statics)


def _makes_complex(fdef: gast.FunctionDef) -> bool:
    """Whether the code has a complex constant (``1j``) or a complex static argument
    (``dtype=complex``): complex values may meet real ones."""
    for stmt in ir.walk_statements(fdef.body):
        for node in ir.walk(stmt):
            if isinstance(node, gast.Constant) and isinstance(node.value, complex):
                return True
        op = facts(stmt).op if isinstance(stmt, gast.Assign) else None
        if op is not None and any(_is_complex(v, k == "dtype") for k, v in op.static.items()):
            return True
    return False


def _is_complex(value: Any, dtype: bool) -> bool:
    """Whether a static argument is a complex number, type or dtype (or names one)."""
    if isinstance(value, (complex, np.complexfloating)):
        return True
    try:
        return (dtype or isinstance(value, (type, np.dtype))) and \
            np.dtype(value).kind == "c"
    except (TypeError, ValueError):
        return False


def generated_name(function_name: str, mode: str) -> str:
    """The name of the ``mode`` function generated for the function named so."""
    suffix = mode.removesuffix("_aux")
    made = f"{function_name}_{suffix}" if function_name.isidentifier() else f"f_{suffix}"
    while made in HELPERS:  # def norm(x): its norm_grad must not replace the helper's
        made = "user_" + made
    return made


def assigned_names(tree) -> set[str]:
    found = set()
    for node in ir.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
            found.add(node.id)
    return found


def build_namespace(resolver: Resolver) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    for key, value in resolver.used_globals.items():
        if key in HELPERS and value is not HELPERS[key]:
            raise SrcgradError(f"the global name {key!r} is also the name of a srcgrad runtime "
                               "helper used by generated code; rename the global")
        namespace[key] = value
    if namespace.get("np", np) is not np:
        raise SrcgradError("the function uses the name 'np' for something other than NumPy; "
                           "srcgrad's generated code needs 'np' to be NumPy")
    namespace.update(HELPERS)
    namespace["np"] = np
    return namespace
