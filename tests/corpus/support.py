"""Reference gradients for the engine tests: central differences and autograd.

:func:`numeric_grads` uses :func:`srcgrad.check.numerical_grad` (central differences in
float64); :func:`autograd_grads` runs the *same* function object's code with ``np`` bound to
``autograd.numpy``, so autograd traces it independently of srcgrad.
"""

from __future__ import annotations

import types

import autograd
import autograd.numpy as anp
import numpy as np

from srcgrad.check import numerical_grad


def as_tuple(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def positions(fn, wrt) -> list[int]:
    """Parameter positions named by ``wrt`` (indices or names)."""
    names = list(fn.__code__.co_varnames[:fn.__code__.co_argcount])
    return [names.index(w) if isinstance(w, str) else w for w in as_tuple(wrt)]


def srcgrad_grads(fn, args, wrt) -> list:
    """srcgrad's gradients of ``fn`` at ``args``, as a list in ``wrt`` order: those of the
    version made for these arguments' shapes, checked against the version for any shapes."""
    import srcgrad
    import srcgrad.api

    got = srcgrad.grad(fn, wrt=wrt)(*args)
    got = list(got) if isinstance(wrt, tuple) else [got]
    saved, srcgrad.api.MAX_SHAPE_VERSIONS = srcgrad.api.MAX_SHAPE_VERSIONS, 0
    try:
        generic = srcgrad.grad(fn, wrt=wrt)(*args)
    finally:
        srcgrad.api.MAX_SHAPE_VERSIONS = saved
    generic = list(generic) if isinstance(wrt, tuple) else [generic]
    assert_grads_close(got, generic, rtol=1e-9, atol=1e-12, what="shape-specialised vs generic")
    for special, any_shape in zip(got, generic):
        assert type(special) is type(any_shape)
        assert np.asarray(special).dtype == np.asarray(any_shape).dtype
    return got


def numeric_grads(fn, args, wrt, seed=None) -> list:
    """Central-difference gradients of ``fn`` at ``args``, one per ``wrt`` entry."""
    return [numerical_grad(fn, args, p, seed=seed) for p in positions(fn, wrt)]


def with_autograd_numpy(fn):
    """``fn``'s code with its global ``np`` bound to ``autograd.numpy``."""
    namespace = dict(fn.__globals__, np=anp)
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__,
                              fn.__closure__)


def autograd_grads(fn, args, wrt) -> list:
    """autograd's gradients of ``fn`` at ``args``, one per ``wrt`` entry."""
    traced = with_autograd_numpy(fn)
    return [autograd.grad(traced, p)(*args) for p in positions(fn, wrt)]


def assert_grads_close(got, expected, *, rtol=1e-5, atol=1e-7, what=""):
    """Each gradient in ``got`` matches ``expected`` in shape and value."""
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert np.shape(g) == np.shape(e), f"{what} gradient {i}: shape {np.shape(g)} != " \
                                           f"{np.shape(e)}"
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64),
                                   np.asarray(e, dtype=np.float64), rtol=rtol, atol=atol,
                                   err_msg=f"{what} gradient {i}")


def normal(rng, *shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# -- the engine's passes, run one at a time --------------------------------------------------

def normalized(fn):
    """``(parsed, normalized FunctionDef, namer)`` for ``fn``, as srcgrad.transform makes them."""
    from srcgrad.names import Namer, names_in
    from srcgrad.passes.normalize import normalize
    from srcgrad.passes.parse import parse_function
    from srcgrad.passes.resolve import Resolver
    from srcgrad.transform import _RESERVED, assigned_names

    parsed = parse_function(fn)
    tree = parsed.tree
    params = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    namer = Namer(names_in(tree) | _RESERVED)
    resolver = Resolver(parsed, set(params) | assigned_names(tree))
    return parsed, normalize(parsed, resolver, namer), namer


def renamed(fn, wrt=()):
    """``(parsed, renamed FunctionDef, loop names)``: normalize, then rename."""
    from srcgrad.passes.analysis import rename

    parsed, fdef, namer = normalized(fn)
    fdef, loop_names = rename(fdef, namer, set(wrt))
    return parsed, fdef, loop_names


def compile_tree(fdef, fn):
    """Compile a (normalized or renamed) FunctionDef against ``fn``'s globals."""
    import copy

    import gast

    from srcgrad.passes.codegen import to_source
    from srcgrad.transform import HELPERS

    tree = copy.deepcopy(fdef)
    for node in gast.walk(tree):  # passes may leave a branch empty; Python needs a statement
        if isinstance(node, (gast.If, gast.For, gast.While)) and not node.body:
            node.body = [gast.Pass()]
    source = to_source(gast.Module(body=[tree], type_ignores=[]))
    namespace = dict(fn.__globals__, **HELPERS)
    exec(compile(source, f"<{fdef.name} pass output>", "exec"), namespace)  # noqa: S102
    return namespace[fdef.name], source


# -- structured arguments (lists, tuples, dicts of arrays) ---------------------------------------

def leaves(tree, path=()):
    """``(path, leaf)`` for every array or float in a nest of lists, tuples and dicts."""
    if isinstance(tree, dict):
        for key in tree:
            yield from leaves(tree[key], path + (key,))
    elif isinstance(tree, (list, tuple)):
        for i, item in enumerate(tree):
            yield from leaves(item, path + (i,))
    else:
        yield path, tree


def replace_leaf(tree, path, value):
    """A copy of ``tree`` with the leaf at ``path`` replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {k: replace_leaf(v, rest, value) if k == head else v for k, v in tree.items()}
    items = [replace_leaf(v, rest, value) if i == head else v for i, v in enumerate(tree)]
    return type(tree)(items)


def get_leaf(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def numeric_tree_grad(fn, args, position):
    """Central differences of ``fn`` for every leaf of ``args[position]``: ``{path: grad}``."""
    grads = {}
    for path, leaf in leaves(args[position]):
        def partial(x, path=path):
            new = list(args)
            new[position] = replace_leaf(args[position], path, x)
            return fn(*new)
        grads[path] = numerical_grad(partial, [leaf], 0)
    return grads


def assert_tree_grad_close(got, argument, expected, rtol=1e-5, atol=1e-7):
    """``got`` has ``argument``'s structure and, per leaf, the expected value and type."""
    got_leaves = dict(leaves(got))
    assert set(got_leaves) == {p for p, _ in leaves(argument)}
    assert type(got) is type(argument)
    for path, leaf in leaves(argument):
        value = got_leaves[path]
        assert type(value) is type(leaf), (path, type(value), type(leaf))
        if isinstance(leaf, np.ndarray):
            assert value.shape == leaf.shape and value.dtype == leaf.dtype, path
        np.testing.assert_allclose(value, expected[path], rtol=rtol, atol=atol,
                                   err_msg=str(path))
