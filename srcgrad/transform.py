"""The pipeline: parse, resolve, normalize, analyze, reverse, optimize, emit."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, cast

import gast
import numpy as np

from . import ir, runtime
from .analysis import activity, assigned_in, container_vars, rename, shape_classes
from .codegen import compile_function, to_source
from .errors import SrcgradError, WrtError
from .fuse import fuse
from .names import Namer, names_in
from .normalize import name, normalize
from .optimize import (
    eliminate_dead_code,
    fold_temporaries,
    forward_adjoint_copies,
    free_large_arrays,
    hoist_invariants,
    propagate_copies,
)
from .parse import parse_function
from .resolve import Resolver
from .reverse import Reverser, with_pushes
from .shape_inference import concrete_shapes

#: Names generated code uses for itself.
HELPERS = {n: f for n, f in vars(runtime).items()
           if inspect.isfunction(f) and f.__module__ == runtime.__name__}
_CALLED = set(HELPERS) | {"np", "reversed", "range", "len"}
_RESERVED = _CALLED | {"tape", "seed", "_"}

MODES = ("grad", "value_and_grad", "vjp")
_GONE = object()


@dataclass
class Generated:
    """A generated gradient function and what it was made from."""

    function: Any
    source: str
    original: Any

    namespace: dict[str, Any]
    name: str
    params: list[str]
    assumptions: tuple = ()  # (globals dict or cell, name, value) the code was made with
    arg_shapes: frozenset = frozenset()  # the argument shapes it was made for (none: any)

    def still_valid(self) -> bool:
        """Whether every global and closure variable the code used still has its value."""
        for scope, key, value in self.assumptions:
            if isinstance(scope, dict):
                if scope.get(key, _GONE) is not value:
                    return False
            else:
                try:
                    if scope.cell_contents is not value:
                        return False
                except ValueError:
                    return False
        return True


def transform(fn, wrt: tuple[str, ...], mode: str, as_tuple: bool = True,
              containers: frozenset = frozenset(),
              arg_shapes: frozenset = frozenset()) -> Generated:
    """Generate the ``mode`` function of ``fn`` for the parameters named in ``wrt``.

    The gradients are returned as a tuple, or bare when ``as_tuple`` is false (one ``wrt``).
    ``containers`` holds (parameter, kind) for the parameters passed lists, tuples or dicts
    (kind 1 for containers of arrays, 2 for containers that hold containers too), or numbers
    (kind "scalar"). ``arg_shapes`` holds (parameter, shape) for parameters passed arrays, when
    the code is made for those shapes only: shapes then known are used (no run-time
    un-broadcasting where they are equal).
    """
    parsed = parse_function(fn)
    tree = parsed.tree
    params = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    if mode == "vjp" and "seed" in params:
        raise WrtError(f"{fn.__qualname__} has a parameter named 'seed', which vjp uses for the "
                       "output's cotangent; rename the parameter")
    user_names = names_in(tree)
    namer = Namer(user_names | _RESERVED)
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
    fdef = fuse(normalize(parsed, resolver, namer))
    fdef, loop_names = rename(fdef, namer, set(wrt))
    fdef = hoist_invariants(propagate_copies(fdef))
    act = activity(fdef, list(wrt), parsed.source)

    result = fdef.body[-1].value.id
    forward = fdef.body[:-1]
    primal = set(params) | assigned_in(forward)
    scalars = {p for p, kind in containers if kind == "scalar"}
    shapes = shape_classes(fdef, scalars)
    if arg_shapes:
        for var, shape in concrete_shapes(fdef, dict(arg_shapes)).items():
            if shapes.get(var) != "scalar":
                shapes[var] = shape
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
        seed_value = gast.Call(func=name("cotangent"), args=[name(given), name(result)],
                               keywords=[])
    elif shapes.get(result) in ("scalar", ()):  # provably a scalar: nothing to check
        seed_value = gast.Constant(value=1.0, kind=None)
    else:
        seed_value = gast.Call(func=name("unit_seed"), args=[name(result)], keywords=[])
    seed = reverser.seed(result, seed_value)
    backward, _ = reverser.block(forward)

    value = result
    prologue = []
    if mode == "value_and_grad" and result in loop_names:
        value = namer.fresh(result + "_value")  # the backward pass rewinds loop variables
        prologue.append(gast.Assign(targets=[name(value, store=True)], value=name(result),
                                    type_comment=None))
    grads = [gast.Call(func=name("as_grad"), args=[
        name(namer.adjoint(w)) if reverser.state.get(w, "unset") != "unset"
        else gast.Constant(value=None, kind=None), name(w)], keywords=[]) for w in wrt]
    out = gast.Tuple(elts=grads, ctx=gast.Load()) if as_tuple else grads[0]
    if mode == "value_and_grad":
        out = gast.Tuple(elts=[name(value), out], ctx=gast.Load())
    ret = gast.Return(value=out)

    body = prologue_seed + with_pushes(forward, reverser) + prologue + [seed] + backward + [ret]
    body = forward_adjoint_copies(body, set(namer.adjoints()))
    body, _ = eliminate_dead_code(body, set())
    body = fold_temporaries(body, namer.temporaries)
    adjoint_of = {d: v for v, d in namer.adjoint_names().items()}
    sizes = {v: int(np.prod(cast(tuple, shapes[adjoint_of.get(v, v)]))) for v in assigned_in(body)
             if isinstance(shapes.get(adjoint_of.get(v, v)), tuple)}
    body = free_large_arrays(body, sizes, set(params))
    if reverser.push_sets or reverser.slot_saves:
        body.insert(0, gast.Assign(targets=[name(tape, store=True)],
                                   value=gast.List(elts=[], ctx=gast.Load()), type_comment=None))
    del d_result

    suffix = {"grad": "grad", "value_and_grad": "value_and_grad", "vjp": "vjp"}[mode]
    fn_name = f"{tree.name}_{suffix}" if tree.name.isidentifier() else f"f_{suffix}"
    args = gast.arguments(args=[name(p) for p in params], posonlyargs=[], vararg=None,
                          kwonlyargs=[name("seed")] if mode == "vjp" else [],
                          kw_defaults=[None] if mode == "vjp" else [], kwarg=None,
                          defaults=ir.clone(tree.args.defaults))
    for a in args.args + args.kwonlyargs:
        a.ctx = gast.Param()
    gen = gast.FunctionDef(name=fn_name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None, type_params=[])
    source = to_source(gast.Module(body=[gen], type_ignores=[]))
    namespace = build_namespace(resolver)
    function = compile_function(source, fn_name, namespace)
    assumptions = tuple({(id(s), k): (s, k, v) for s, k, v in resolver.assumptions
                         if k in namespace}.values())
    return Generated(function, source, fn, namespace, fn_name, params, assumptions, arg_shapes)


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
