"""Evaluate rules' templates directly, independently of the engine, and check them.

:func:`rule_vjp` binds a primitive's arguments to its rule's signature, picks each template for
the literal values of its static arguments (as the engine does for literals in the source) and
evaluates it with ``g``, ``ans``, ``np``, the runtime helpers and the arguments in scope.
:func:`check_rule` compares the result with central differences of ``sum(g * f(...))``,
:func:`check_autograd` with autograd; :func:`check_float32` checks that float32 arguments get
float32 adjoints.
"""

from __future__ import annotations

import ast
import inspect

import gast
import numpy as np
import pytest
from autograd import make_vjp

from srcgrad import runtime
from srcgrad.check import numerical_grad
from srcgrad.rules import helpers, lookup
from srcgrad.rules.registry import LINEAR

HELPERS = {name: value for name, value in vars(runtime).items()
           if inspect.isfunction(value) and value.__module__ == runtime.__name__}


def _is_literal(value):
    """Whether ``value`` could be a literal in source (what the engine passes as static)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_literal(v) for v in value)
    return False


def _evaluate(expr: gast.expr, namespace: dict):
    tree = ast.fix_missing_locations(ast.Expression(body=gast.gast_to_ast(expr)))
    return eval(compile(tree, "<template>", "eval"), namespace)


def bind(primitive, args, kwargs):
    """The rule of ``primitive``, its arguments by name (defaults applied), the names passed."""
    rule = lookup(primitive)
    assert rule is not None, f"no rule for {primitive!r}"
    bound = rule.signature.bind(*args, **kwargs)
    supplied = set(bound.arguments)
    bound.apply_defaults()
    return rule, dict(bound.arguments), supplied


def _shape(value):
    if isinstance(value, np.ndarray):
        return value.shape
    if isinstance(value, (tuple, list)) and value and \
            all(isinstance(v, np.ndarray) for v in value):
        return tuple(v.shape for v in value)
    return None


def _static(rule, arguments, mode):
    """The static arguments templates see: as the engine gives them, or all, or none; with
    ``"shapes"``, as the engine gives them to a version made for the arguments' shapes (each
    array argument's shape as ``shape_<param>``)."""
    if mode == "dynamic":
        return {}
    if mode == "shapes":
        known = _static(rule, arguments, "engine")
        listed = {k for k, v in arguments.items()  # a list value, not a sequence of operands
                  if isinstance(v, list) and k not in rule.sequences}
        known.update({"shape_" + k: _shape(v) for k, v in arguments.items()
                      if _shape(v) is not None and k not in listed})
        known.update({"list_" + k: True for k in listed})
        return known
    if mode == "literal":  # every argument that could be a literal, differentiable or not
        return {k: v for k, v in arguments.items() if _is_literal(v)}
    # The engine: non-differentiable parameters with a literal value (or their default).
    return {k: v for k, v in arguments.items() if k not in rule.adjoints and _is_literal(v)}


def rule_vjp(primitive, *args, g, static="engine", fn=None, wrt=None, **kwargs):
    """Every adjoint the rule of ``primitive`` gives at ``args``, by parameter name.

    ``static`` says which arguments' values the templates see: ``"engine"`` as the engine gives
    them (the literal values and defaults of non-differentiable parameters), ``"literal"`` every
    argument that could be a literal, ``"dynamic"`` none (all DYNAMIC: the general templates),
    ``"shapes"`` as the engine plus the arrays' shapes (a version specialised on shapes).
    ``fn`` calls a primitive that is a syntax key (``"%"``). ``wrt`` limits the adjoints
    computed to those parameters.
    """
    rule, arguments, _ = bind(primitive, args, kwargs)
    ans = (fn or primitive)(*args, **kwargs)
    known = _static(rule, arguments, static)
    namespace = {"np": np, **HELPERS, **arguments, "g": g, "ans": ans}
    # As the engine, instantiate templates only for arguments that can carry a gradient.
    return {param: _evaluate(rule.template_for(param, known), namespace)
            for param in (wrt or rule.adjoints) if arguments[param] is not None}


def _leaves(arguments, rule, wrt, arrays_only=False):
    """(parameter, position or None) of each float argument to differentiate."""
    leaves = []
    for param in wrt if wrt is not None else rule.adjoints:
        value = arguments[param]
        if param in rule.sequences:
            leaves += [(param, i) for i, v in enumerate(value) if _is_float(v, arrays_only)]
        elif _is_float(value, arrays_only) or wrt is not None:
            leaves.append((param, None))
    return leaves


def _is_float(value, arrays_only=False):
    if isinstance(value, (float, np.floating)):
        return not arrays_only
    return isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)


def _call_with(primitive, rule, arguments, supplied_names, param, position, x, fn=None):
    """Call ``primitive`` with the argument (param, position) replaced by ``x``."""
    arguments = dict(arguments)
    if position is None:
        arguments[param] = x
    else:
        items = list(arguments[param])
        items[position] = x
        arguments[param] = items
    return _call(primitive, rule, arguments, supplied_names, fn)


def _call(primitive, rule, arguments, supplied_names, fn=None):
    """Call ``primitive`` with ``arguments`` (by parameter name)."""
    # Pass only what the caller passed (np.clip rejects a_min=... together with min=None).
    supplied = {k: v for k, v in arguments.items() if k in supplied_names}
    bound = inspect.BoundArguments(rule.signature, supplied)
    return (fn or primitive)(*bound.args, **bound.kwargs)


def _pick(grads, param, position):
    grad = grads[param]
    return grad if position is None else grad[position]


def seed_like(ans, rng):
    """A random cotangent shaped like ``ans`` (a list for a list result)."""
    if isinstance(ans, (list, tuple)):
        return [seed_like(a, rng) for a in ans]
    return rng.standard_normal(np.shape(ans)) if np.ndim(ans) else float(rng.standard_normal())


def _pair(g, out):
    """sum(g * out), for arrays or lists of arrays; None entries of ``g`` count as zero."""
    if isinstance(out, (list, tuple)):
        return sum(_pair(gi, oi) for gi, oi in zip(g, out) if gi is not None)
    return float(np.sum(np.asarray(g) * np.asarray(out, dtype=np.float64)))


def check_rule(primitive, *args, wrt=None, g=None, static="engine", fn=None, rtol=1e-5,
               atol=1e-6, seed=0, **kwargs):
    """Check the rule's adjoints against central differences of ``sum(g * f(...))``.

    ``wrt`` names the parameters to check (default: every differentiable float array). Checks
    each adjoint's shape too, and returns the adjoints.
    """
    rng = np.random.default_rng(seed)
    rule, arguments, supplied = bind(primitive, args, kwargs)
    if g is None:
        g = seed_like((fn or primitive)(*args, **kwargs), rng)
    grads = rule_vjp(primitive, *args, g=g, static=static, fn=fn, wrt=wrt, **kwargs)
    leaves = _leaves(arguments, rule, wrt)
    assert leaves, "nothing to check"
    for param, position in leaves:
        x0 = arguments[param] if position is None else arguments[param][position]

        def scalar(x, param=param, position=position):
            out = _call_with(primitive, rule, arguments, supplied, param, position, x, fn)
            return _pair(g, out)

        expected = numerical_grad(scalar, [x0], 0)
        got = _pick(grads, param, position)
        assert np.shape(got) == np.shape(x0), (
            f"adjoint of {param}[{position}] has shape {np.shape(got)}, expected {np.shape(x0)}")
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=rtol,
                                   atol=atol, err_msg=f"adjoint of {param}[{position}]")
    checked = sorted({param for param, _ in leaves})
    if all(rule.has_tangent(param) for param in checked):
        check_tangents(primitive, *args, wrt=wrt, static=static, fn=fn, rtol=rtol, atol=atol,
                       **kwargs)
    return grads


def rule_jvp(primitive, *args, tangents, static="engine", fn=None, **kwargs):
    """The result's tangent the rule of ``primitive`` gives at ``args`` for the arguments'
    ``tangents`` (by parameter name; a list, zeros included, for a sequence parameter): the sum
    of each parameter's tangent template, the linear parameters' in one call of the primitive
    (zeros for the tangents of those not given), broadcast to the result's shape where the rule
    is elementwise (as the engine does)."""
    rule, arguments, supplied = bind(primitive, args, kwargs)
    ans = (fn or primitive)(*args, **kwargs)
    known = _static(rule, arguments, static)
    total = None
    linear = {}
    for param, t in tangents.items():
        template = rule.tangent_for(param, known)
        if template is LINEAR:
            linear[param] = t
            continue
        if template is None:
            continue
        namespace = {"np": np, **HELPERS, **arguments, "t": t, "ans": ans}
        part = _evaluate(template, namespace)
        total = part if total is None else _add(total, part)
    if linear:
        replaced = dict(arguments)
        for param in rule.linear:  # (the others' tangents are zeros, as the engine makes them)
            value = arguments[param]
            if param in linear:
                replaced[param] = linear[param]
            elif param in rule.sequences:
                replaced[param] = [runtime.zero_tangent(v) for v in value]
            else:
                replaced[param] = runtime.zero_tangent(value)
        part = _call(primitive, rule, replaced, supplied | set(linear), fn)
        total = part if total is None else _add(total, part)
    if rule.elementwise and total is not None and not isinstance(ans, (list, tuple)):
        total = np.broadcast_to(total, np.shape(ans))
    return total


def _add(a, b):
    if isinstance(a, (list, tuple)):
        return type(a)(_add(x, y) for x, y in zip(a, b))
    return a + b


def check_tangents(primitive, *args, wrt=None, static="engine", fn=None, rtol=1e-5, atol=1e-6,
                   seed=3, **kwargs):
    """Check the rule's tangents: for a random tangent of each argument to differentiate,
    against central differences along it, and against the adjoints (``<J v, u> == <v, J^T
    u>`` for a random ``u``). Returns the tangents."""
    rng = np.random.default_rng(seed)
    rule, arguments, supplied = bind(primitive, args, kwargs)
    ans = (fn or primitive)(*args, **kwargs)
    u = seed_like(ans, rng)
    grads = rule_vjp(primitive, *args, g=u, static=static, fn=fn, wrt=wrt, **kwargs)
    found = []
    for param, position in _leaves(arguments, rule, wrt):
        x0 = arguments[param] if position is None else arguments[param][position]
        v = rng.standard_normal(np.shape(x0)) if np.ndim(x0) else float(rng.standard_normal())
        jvp = rule_jvp(primitive, *args, tangents={param: _leaf_tangent(arguments, param,
                                                                        position, v)},
                       static=static, fn=fn, **kwargs)
        where = f"tangent through {param}[{position}]"
        assert _shapes(jvp) == _shapes(ans), (
            f"{where} has shape {_shapes(jvp)}, expected {_shapes(ans)}")
        eps = 1e-6

        def along(step, param=param, position=position, x0=x0, v=v):
            return _call_with(primitive, rule, arguments, supplied, param, position,
                              x0 + step * v, fn)

        expected = _scaled_difference(along(eps), along(-eps), 1.0 / (2 * eps))
        _assert_close(jvp, expected, rtol, atol, where + " vs central differences")
        adjoint = _pick(grads, param, position)
        np.testing.assert_allclose(_pair(u, jvp), _pair(adjoint, v), rtol=1e-7, atol=1e-9,
                                   err_msg=where + ": <J v, u> != <v, J^T u>")
        found.append(jvp)
    return found


def _leaf_tangent(arguments, param, position, v):
    """The tangent of ``param`` moving only the leaf (param, position) along ``v``: ``v``, or
    for a sequence parameter a list of zeros with ``v`` at ``position``."""
    if position is None:
        return v
    t = [np.zeros_like(item) for item in arguments[param]]
    t[position] = v
    return t


def _shapes(value):
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value]
    return np.shape(value)


def _scaled_difference(a, b, scale):
    if isinstance(a, (list, tuple)):
        return [_scaled_difference(x, y, scale) for x, y in zip(a, b)]
    return (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) * scale


def _assert_close(got, expected, rtol, atol, message):
    if isinstance(got, (list, tuple)):
        for i, (a, b) in enumerate(zip(got, expected)):
            _assert_close(a, b, rtol, atol, f"{message} [{i}]")
        return
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=rtol,
                               atol=atol, err_msg=message)


def check_autograd(primitive, autograd_fn, *args, wrt=None, g=None, seed=1, rtol=1e-7,
                   atol=1e-10, **kwargs):
    """Check the rule's adjoints against autograd's VJP of ``autograd_fn`` (same arguments)."""
    rng = np.random.default_rng(seed)
    rule, arguments, supplied = bind(primitive, args, kwargs)
    if g is None:
        g = seed_like(primitive(*args, **kwargs), rng)
    grads = rule_vjp(primitive, *args, g=g, **kwargs)
    for param, position in _leaves(arguments, rule, wrt, arrays_only=True):
        x0 = arguments[param] if position is None else arguments[param][position]

        def f(x, param=param, position=position):
            return _call_with(autograd_fn, rule, arguments, supplied, param, position, x)

        try:
            vjp, _ = make_vjp(f)(x0)
        except NotImplementedError as exc:  # autograd has no VJP for it
            pytest.skip(str(exc))
        np.testing.assert_allclose(_pick(grads, param, position), vjp(g), rtol=rtol, atol=atol,
                                   err_msg=f"adjoint of {param}[{position}] vs autograd")


def check_float32(primitive, *args, static="engine", fn=None, **kwargs):
    """Float32 arguments and cotangent give float32 adjoints (of the arguments' shapes)."""
    rule, arguments, _ = bind(primitive, args, kwargs)
    ans = (fn or primitive)(*args, **kwargs)
    if np.lib.NumpyVersion(np.__version__) < "2.0.0" and np.isscalar(ans):
        pytest.skip("NumPy 1.x makes a float32 scalar times a Python number float64 (NEP 50)")
    g = _astype32(seed_like(ans, np.random.default_rng(2)))
    grads = rule_vjp(primitive, *args, g=g, static=static, fn=fn, **kwargs)
    for param, position in _leaves(arguments, rule, None, arrays_only=True):
        got = _pick(grads, param, position)
        assert np.asarray(got).dtype == np.float32, (
            f"adjoint of {param}[{position}] is {np.asarray(got).dtype}, expected float32")
    return grads


def check_tangent_float32(primitive, *args, static="engine", fn=None, **kwargs):
    """Float32 arguments and tangents give float32 tangents (each float part of the result)."""
    rule, arguments, _ = bind(primitive, args, kwargs)
    ans = (fn or primitive)(*args, **kwargs)
    if np.lib.NumpyVersion(np.__version__) < "2.0.0" and np.isscalar(ans):
        pytest.skip("NumPy 1.x makes a float32 scalar times a Python number float64 (NEP 50)")
    rng = np.random.default_rng(4)
    for param, position in _leaves(arguments, rule, None, arrays_only=True):
        x0 = arguments[param] if position is None else arguments[param][position]
        v = rng.standard_normal(np.shape(x0)).astype(np.float32)
        jvp = rule_jvp(primitive, *args, tangents={param: _leaf_tangent(arguments, param,
                                                                        position, v)},
                       static=static, fn=fn, **kwargs)
        parts = zip(jvp, ans) if isinstance(ans, (list, tuple)) else [(jvp, ans)]
        for got, part in parts:  # (NumPy 1.x gives some results in float64: so may they)
            if np.asarray(part).dtype == np.float32:
                assert np.asarray(got).dtype == np.float32, (
                    f"tangent through {param}[{position}] is {np.asarray(got).dtype}, "
                    "expected float32")


def _astype32(g):
    if isinstance(g, list):
        return [_astype32(x) for x in g]
    return np.asarray(g, dtype=np.float32) if np.ndim(g) else np.float32(g)


def is_built_in(rule) -> bool:
    """Whether srcgrad itself registered ``rule`` (tests register rules of their own, for
    primitives defined in test modules). SciPy's are checked in test_scipy_*.py."""
    if rule.name.startswith("scipy.") or rule.callable in helpers.RULED:
        return False  # (runtime helpers' rules: checked in test_helpers.py)
    module = getattr(rule.callable, "__module__", None) or ""
    return rule.callable is None or module in ("numpy", "builtins") or \
        module.startswith(("numpy.", "srcgrad.")) or isinstance(rule.callable, np.ufunc)


def _random_like(value, rng, complex_=None):
    """A random array shaped like ``value``, complex where ``value`` is (or ``complex_``)."""
    shape = np.shape(value)
    out = rng.standard_normal(shape)
    if np.iscomplexobj(value) if complex_ is None else complex_:
        out = out + 1j * rng.standard_normal(shape)
    return out


def check_complex_rule(primitive, x, *args, g=None, rtol=1e-5, atol=1e-6, seed=0, **kwargs):
    """Check the adjoint of the first argument ``x`` (real or complex; the primitive's result
    real or complex) against central differences along its real and imaginary parts.

    A complex adjoint ``g`` stands for ``dz -> Re(g dz)`` (JAX's and autograd's convention),
    so the adjoint of ``x`` is ``dL/dRe(x) - 1j dL/dIm(x)`` for ``L(x) = sum(Re(g f(x)))``.
    Where the rule has a tangent for ``x``, checks it too: against central differences along a
    random direction and against the adjoint. Returns the adjoint.
    """
    rng = np.random.default_rng(seed)
    rule, arguments, _ = bind(primitive, (x,) + args, kwargs)
    param = next(iter(arguments))
    ans = primitive(x, *args, **kwargs)
    if g is None:
        g = _random_like(ans, rng)
    got = rule_vjp(primitive, x, *args, g=g, wrt=[param], **kwargs)[param]

    def loss(z):
        return float(np.sum(np.real(g * primitive(z, *args, **kwargs))))

    expected = numerical_grad(lambda re: loss(re + 1j * np.imag(x) if np.iscomplexobj(x)
                                              else re), [np.real(x).copy()], 0)
    if np.iscomplexobj(x):
        expected = expected - 1j * numerical_grad(lambda im: loss(np.real(x) + 1j * im),
                                                  [np.imag(x).copy()], 0)
    assert np.shape(got) == np.shape(x), f"adjoint has shape {np.shape(got)}, not {np.shape(x)}"
    if not np.iscomplexobj(x):  # (an imaginary part left is dropped where it reaches x)
        got = np.real(got)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg="adjoint")
    if rule.has_tangent(param):
        t = _random_like(x, rng)
        jvp = rule_jvp(primitive, x, *args, tangents={param: t}, **kwargs)
        eps = 1e-6
        numeric = (primitive(x + eps * t, *args, **kwargs) -
                   primitive(x - eps * t, *args, **kwargs)) / (2 * eps)
        np.testing.assert_allclose(jvp, numeric, rtol=rtol, atol=atol, err_msg="tangent")
        np.testing.assert_allclose(np.sum(np.real(g * jvp)), np.sum(np.real(got * t)),
                                   rtol=1e-7, atol=1e-9, err_msg="<J t, g> != <t, J^T g>")
    return got
