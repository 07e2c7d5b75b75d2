"""The rule registry: one reverse-mode rule per primitive.

A rule says, for each differentiable parameter of a primitive, the Python *expression* that
computes that parameter's adjoint. The expression is a template: it is parsed once and written
into the generated gradient code with its names replaced. Inside a template:

- ``g`` is the adjoint of the primitive's result (the incoming gradient),
- ``ans`` is the primitive's result,
- every parameter name of the primitive stands for the argument passed to it,
- ``np`` is NumPy, and the helpers of :mod:`srcgrad.runtime` (``unbroadcast``, ``unreduce`` ...)
  can be called by name.

For example, the rule for ``np.multiply`` is::

    defvjp(np.multiply, "x1, x2", x1="unbroadcast(g * x2, x1)", x2="unbroadcast(g * x1, x2)")

Parameters without a template are not differentiable (an axis, a shape, an index). A template
may also be a function of such parameters' literal values, returning the template string; a
parameter passed as a variable rather than a literal is given as :data:`DYNAMIC`.

A template function may return :data:`NO_GRADIENT`: for those static arguments the parameter
carries no gradient (``x.astype(int)``); where no parameter carries one, the call is treated as
non-differentiable. Templates are checked when registered: every name a template reads must be a
parameter, ``g``, ``ans``, ``np``, a runtime helper or a builtin, and a template function's
parameters must be the rule's parameters, ``shape_<param>``, ``list_<param>`` or a static name
the engine gives (:data:`STATIC_NAMES`).

Complex values follow JAX's and autograd's convention: a complex adjoint ``g`` stands for the
real-linear map ``dz -> Re(g dz)``, so a holomorphic primitive's template is the real one,
``g * f'(z)``, without a conjugate; a primitive that is not holomorphic (``np.abs``,
``np.real``, ``np.conj``) needs a template of its own, and a real argument takes the real part
of its adjoint (``unbroadcast``, ``real_for``).

Forward mode reads a *tangent* template per parameter (``tangents=``): the result's tangent
from that argument's tangent ``t`` (the other names as above). Most rules need none written:

- a rule ``linear`` in some parameters (``np.reshape`` in ``a``, ``np.concatenate`` in its
  arrays, ``np.matmul`` in each factor) has as tangent the primitive itself applied to the
  tangents (zeros standing for those of constant arguments);
- an elementwise rule's tangent follows from its adjoint (a diagonal Jacobian is its own
  transpose): ``t`` for ``g``, without the un-broadcasting.

Primitives written as Python syntax have string keys: ``"+"``, ``"@"``, ``"unary -"``,
``"getitem"``, ``"attr T"`` ... Methods (``x.sum(axis=0)``) map to functions with
:func:`defmethod`.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import gast
import numpy as np

from .. import batching, runtime
from ..errors import RuleError, SrcgradError

Template = str | Callable[..., str]

#: Stands for a non-differentiable argument whose value is not a literal in the source.
DYNAMIC = type("Dynamic", (), {"__repr__": lambda self: "DYNAMIC"})()

#: An integer whose value is not known before the code runs (a loop counter), given to shape
#: functions (see :func:`defvjp`'s ``shape``) where a shape expression would hold one.
_MISSING = object()

ANY_INT = type("AnyInt", (), {"__repr__": lambda self: "ANY_INT"})()

#: Returned by a template function: for these static arguments the parameter has no gradient.
NO_GRADIENT = type("NoGradient", (), {"__repr__": lambda self: "NO_GRADIENT"})()

#: Returned by :meth:`Rule.tangent_for` for a parameter the primitive is linear in: the tangent
#: is the primitive applied to the tangent (see :attr:`Rule.linear`).
LINEAR = type("Linear", (), {"__repr__": lambda self: "LINEAR"})()

_RESERVED = {"g", "ans", "t"}


@dataclass
class Rule:
    """How to differentiate one primitive."""

    key: Any
    name: str
    signature: inspect.Signature
    adjoints: dict[str, Template]
    sequences: frozenset[str] = frozenset()
    differentiable: bool = True
    elementwise: bool = False
    callable: Any = None
    accumulate: dict[str, Template] = field(default_factory=dict)
    returns_sequence: bool = False
    sparse: bool = False
    reduction: bool = False
    hoistable: bool = False
    shape_of: Callable[..., Any] | None = None
    #: The parameter whose memory the result may share (a view of it), or None (a new array).
    view_of: str | None = None
    #: For a view: whether it always is one (transpose) or may be a copy (reshape).
    always_view: bool = True
    #: For a view: how a write through it reaches the argument (a template of ``g``, the
    #: view's new value); None: the adjoint template, which for a view is its inverse.
    inverse: str | None = None
    #: Whether a call has no effect besides its result (a random draw moves the generator).
    pure: bool = True
    #: ``x[index]``-like: the result is the part of argument ``x`` that ``index`` picks (an
    #: item of a container; a view of an array under a basic index).
    selects: bool = False
    #: ``a + b`` of two lists: the result holds the items of both arguments, in order.
    concatenates: bool = False
    #: ``xs * n`` of a list and a count: the result holds the list's items, n times over.
    repeats: bool = False
    #: Parameters whose gradient is zero by nature (a condition, a count): a differentiated
    #: value passed to one is not an error. A differentiated value passed to any other
    #: parameter without an adjoint template is refused (never a silent zero).
    no_gradient: frozenset[str] = frozenset()
    #: For syntax that means another primitive on lists (``a + b``): that primitive's key.
    on_lists: Any = None
    #: A question about its argument's shape alone (``np.shape(x)``, ``x.ndim``): ``"shape"``,
    #: ``"size"``, ``"len"``, ``"ndim"`` (or ``"dtype"``, metadata too); None for any other.
    #: The shape analysis knows its result from the argument's shape; the backward pass may
    #: keep the shape, not the array, for it.
    shape_query: str | None = None
    #: A new array whose shape the parameter ``shape_arg`` gives (``np.zeros(shape)``), or,
    #: where that is not passed or None, the shape of the array ``shape_like``
    #: (``np.zeros_like(a)``).
    shape_arg: str | None = None
    shape_like: str | None = None
    #: Forward-mode templates, per parameter: the result's tangent from that argument's
    #: tangent ``t`` (see the module docstring for those derived instead).
    tangents: dict[str, Template] = field(default_factory=dict)
    #: Parameters the primitive is linear in, jointly (the others held fixed): its tangent is
    #: the primitive applied to their tangents, zeros for those of constant arguments.
    linear: frozenset[str] = frozenset()
    #: Batched forward-mode templates, per parameter: as ``tangents``, with ``t`` holding a
    #: batch of tangents on a leading axis (see :mod:`srcgrad.batching`).
    batched: dict[str, Template] = field(default_factory=dict)
    #: Whether its linear call, applied to batches of tangents as they are, gives the batch of
    #: results: it adds or moves whole values (``add_grads``, a list's items), never their axes.
    batch_transparent: bool = False
    #: For a rule made by :func:`alias` (``"@"`` for ``np.matmul``): the key of the rule it
    #: copies, which :func:`defjvp` updates with it.
    alias_of: Any = None
    _parsed: dict[str, gast.expr] = field(default_factory=dict, repr=False)

    @property
    def reads_result(self) -> bool:
        """Whether some adjoint template reads the primitive's result ``ans``."""
        import re
        return any(callable(t) or re.search(r"\bans\b", t)
                   for t in list(self.adjoints.values()) + list(self.accumulate.values()))

    @property
    def syntax(self) -> bool:
        """Whether the primitive is Python syntax (``"+"``, ``"getitem"``), not a function."""
        return isinstance(self.key, str)

    def template_for(self, param: str, static: dict[str, Any], *,
                     accumulate: bool = False) -> gast.expr:
        """The parsed template expression for ``param``, given the literal static arguments.

        With ``accumulate``, the template that adds into an existing adjoint ``acc`` in place.
        """
        template = self.accumulate[param] if accumulate else self.adjoints[param]
        text = _typed(self, template, static, _instantiate(template, static))
        if text is NO_GRADIENT:
            return None
        cached = self._parsed.get(text)
        if cached is None:
            try:
                cached = gast.parse(text, mode="eval").body
            except SyntaxError:
                cached = None
            if cached is None and accumulate:  # an in-place statement: acc[index] += g
                try:
                    cached = gast.parse(text).body[0]
                except SyntaxError:
                    cached = None
            if cached is None:
                raise RuleError(f"rule for {self.name}: template {text!r} is not an expression")
            _check_names(self.name, text, cached, set(self.signature.parameters) |
                         ({"acc"} if accumulate else set()))
            self._parsed[text] = cached
        return cached


    def has_tangent(self, param: str) -> bool:
        """Whether forward mode can push a tangent through ``param`` (written, linear, or
        derived from an elementwise adjoint)."""
        return param in self.tangents or param in self.linear or \
            (self.elementwise and param in self.adjoints)

    def tangent_for(self, param: str, static: dict[str, Any]) -> Any:
        """The parsed tangent template for ``param`` (reading ``t``), given the literal static
        arguments; :data:`LINEAR` where the primitive is linear in it; None where these static
        arguments give it no derivative (a cast to an integer dtype)."""
        if param in self.tangents:
            return self._parsed_tangent("tangent ", self.tangents[param], static)
        if param in self.linear:
            return LINEAR
        if self.elementwise and param in self.adjoints:
            adjoint = self.template_for(param, static)
            return None if adjoint is None else _tangent_of_elementwise(adjoint)
        raise RuleError(f"rule for {self.name}: no tangent (forward-mode) rule for its "
                        f"parameter {param!r}")

    def batched_for(self, param: str, static: dict[str, Any]) -> Any:
        """The parsed batched tangent template for ``param`` (reading ``t``, a batch of
        tangents on a leading axis), or None where the rule declares none."""
        if param not in self.batched:
            return None
        return self._parsed_tangent("batched ", self.batched[param], static)

    def _parsed_tangent(self, kind: str, template: Template, static: dict[str, Any]) -> Any:
        """A tangent template (of ``kind``) parsed for these static arguments, or None where
        they give no derivative."""
        text = _typed(self, template, static, _instantiate(template, static))
        if text is NO_GRADIENT:
            return None
        key = kind + text
        cached = self._parsed.get(key)
        if cached is None:
            cached = _parse_expression(self.name, text)
            _check_names(self.name, text, cached, set(self.signature.parameters) | {"t"})
            self._parsed[key] = cached
        return cached

    def cut(self, static: dict[str, Any]) -> bool:
        """Whether, for these static arguments, no parameter carries a gradient (a cast to an
        integer dtype): the call is then a constant for differentiation."""
        if not self.adjoints:
            return False
        for template in self.adjoints.values():
            try:
                if _typed(self, template, static, _instantiate(template, static)) \
                        is not NO_GRADIENT:
                    return False
            except SrcgradError:  # raised again, with the line, if the call is differentiated
                return False
        return True


@dataclass
class Method:
    """``x.name(*args, **kwargs)`` means ``function(x, *args, **kwargs)``.

    With ``pack_varargs``, positional arguments after the receiver are packed into one tuple
    (``x.reshape(2, 3)`` is ``np.reshape(x, (2, 3))``), unless a single one is given.
    """

    name: str
    function: Any
    pack_varargs: bool = False


_RULES: dict[Any, Rule] = {}
_METHODS: dict[str, Method] = {}
_changes = [0]  # how many registrations so far: code made before one may be stale


def generation() -> int:
    """A number that grows with every registration (a new or replaced rule or method)."""
    return _changes[0]


def _key(primitive: Any) -> Any:
    # ufuncs and builtins hash by identity, which is what we want; bound methods of the
    # global RandomState are recreated on each attribute access, so key them by function.
    func = getattr(primitive, "__func__", None)
    if func is not None:
        return (func, id(getattr(primitive, "__self__", None)))
    return primitive


def _default_name(primitive: Any) -> str:
    if isinstance(primitive, str):
        return primitive
    module = getattr(primitive, "__module__", None) or ""
    qualname = str(getattr(primitive, "__qualname__", None) or getattr(primitive, "__name__", ""))
    if module == "numpy" or module.startswith(("numpy._core", "numpy.core")):
        return "np." + getattr(primitive, "__name__", qualname)
    if module.startswith("numpy."):
        sub = module.split(".")[1]
        if sub in ("linalg", "fft", "random"):
            return f"np.{sub}.{getattr(primitive, '__name__', qualname)}"
        return "np." + getattr(primitive, "__name__", qualname)
    if isinstance(primitive, __import__("numpy").ufunc):
        return "np." + primitive.__name__
    return qualname


def _signature(name: str, params: str) -> inspect.Signature:
    namespace: dict[str, Any] = {}
    try:
        # The parameter list holds only names and literal defaults; exec'ing a stub is the
        # simplest faithful way to turn it into an inspect.Signature.
        exec(f"def f({params}): pass", {}, namespace)  # noqa: S102
    except SyntaxError as exc:
        raise RuleError(f"rule for {name}: bad parameter list {params!r}: {exc}") from None
    return inspect.signature(namespace["f"])


def defvjp(primitive: Any, params: str, *, name: str | None = None,
           sequences: tuple[str, ...] = (), elementwise: bool = False,
           accumulate: dict[str, Template] | None = None, returns_sequence: bool = False,
           sparse: bool = False, reduction: bool = False,
           shape_of: bool | Callable[..., Any] = False, view_of: str | None = None,
           always_view: bool = True, inverse: str | None = None, pure: bool = True,
           selects: bool = False, concatenates: bool = False, repeats: bool = False,
           no_gradient: tuple[str, ...] = (), linear: tuple[str, ...] | str = (),
           tangents: dict[str, Template] | None = None, **adjoints: Template) -> Rule:
    """Register the reverse-mode rule of ``primitive``.

    ``params`` is the primitive's parameter list as in a ``def`` (``"a, axis=None,
    keepdims=False"``), used to match call arguments to names. Each keyword in ``adjoints``
    names a differentiable parameter and gives the template of its adjoint (see the module
    docstring). ``sequences`` names parameters that take a sequence of arrays (as
    ``np.concatenate``'s first): their template returns a sequence of adjoints, one per element.
    ``elementwise`` marks primitives whose result has the broadcast shape of their inputs.
    ``name`` is how generated code calls the primitive (default: ``np.<name>`` for NumPy).
    ``accumulate`` optionally gives, per parameter, a template that adds the contribution into
    an adjoint ``acc`` the generated code owns, in place: an expression returning the updated
    adjoint (``add_at(acc, index, g)``) or an augmented assignment (``acc[index] += g``); it is
    used where the adjoint is summed over many uses, as in a loop. ``returns_sequence`` marks
    primitives returning a list of arrays (``np.split``): their ``g`` is a list of adjoints,
    one per piece, with None for a piece whose gradient is zero. ``sparse`` marks rules whose
    adjoints may hold None for zero (the rules of list operations). ``reduction`` marks
    reductions: with ``axis=None`` and ``keepdims=False`` their result is a scalar.
    ``shape_of`` says the result's shape is fixed by the arguments' shapes and literal values
    alone, whatever the arrays hold: True to find it by calling the primitive on zero-strided
    placeholder arrays, or a function of the same parameters returning an array of the result's
    shape (for a primitive too costly to call, or a syntax key). Elementwise rules need none.
    A template may then also read ``shape_<param>``: the shape of that argument where known
    before the code runs (the gradient is specialised on its arguments' shapes), else DYNAMIC.
    ``view_of`` names the parameter whose memory the result shares (``np.transpose(a)`` is a
    view of ``a``): writes through either are seen by the other (:mod:`srcgrad.passes.aliasing`);
    ``always_view=False`` says it may be a copy instead (``np.reshape``). A write through a
    view is carried back to the argument with ``inverse``, a template of ``g`` (the view's new
    value) and the parameters; by default the adjoint template, which for a view that only
    moves elements is its inverse (``inverse="g"``: a view that is its argument itself).
    ``pure=False`` marks a primitive with an effect besides its result (a random draw):
    it is never recomputed or moved. ``selects``, ``concatenates`` and ``repeats`` mark the
    container semantics of ``x[index]``, ``list + list`` and ``list * n`` (see :class:`Rule`). ``no_gradient``
    names parameters whose gradient is zero by nature (a condition, indices, a count): a
    differentiated value passed to any other parameter without a template is refused.
    ``linear`` names the parameters the primitive is linear in and ``tangents`` gives other
    parameters' forward-mode templates (see :func:`defjvp`).

    Returns the :class:`Rule`; registering a primitive again replaces its rule.
    """
    rule_name = name or _default_name(primitive)
    signature = _signature(rule_name, params)
    names = set(signature.parameters)
    for param in adjoints:
        if param not in names:
            raise RuleError(f"rule for {rule_name}: {param!r} is not one of its parameters "
                            f"({params})")
    clash = names & _RESERVED
    if clash:
        raise RuleError(f"rule for {rule_name}: parameter names {sorted(clash)} are reserved "
                        "for the incoming gradient (g) and the result (ans); rename them")
    for param in no_gradient:
        if param not in names or param in adjoints:
            raise RuleError(f"rule for {rule_name}: no_gradient names {param!r}, which is not "
                            "one of its parameters without a template")
    for param in sequences:
        if param not in names:
            raise RuleError(f"rule for {rule_name}: sequence parameter {param!r} is not one "
                            "of its parameters")
    for param, template in adjoints.items():
        _validate(rule_name, param, template, names, accumulate=False)
    for param, template in (accumulate or {}).items():
        _validate(rule_name, param, template, names, accumulate=True)
    if inverse is not None:
        _validate(rule_name, "inverse", inverse, names, accumulate=False)
    if callable(shape_of):
        _validate_shape_function(rule_name, shape_of, signature)
    rule = Rule(key=_key(primitive), name=rule_name, signature=signature,
                adjoints=dict(adjoints), sequences=frozenset(sequences),
                elementwise=elementwise, accumulate=dict(accumulate or {}),
                returns_sequence=returns_sequence, sparse=sparse, reduction=reduction,
                callable=None if isinstance(primitive, str) else primitive,
                shape_of=(primitive if shape_of is True else shape_of or None),
                view_of=view_of, always_view=always_view, inverse=inverse, pure=pure,
                selects=selects, concatenates=concatenates, repeats=repeats,
                no_gradient=frozenset(no_gradient))
    if view_of is not None and view_of not in names:
        raise RuleError(f"rule for {rule_name}: view_of={view_of!r} is not one of its parameters")
    _set_tangents(rule, linear, tangents or {})
    _RULES[rule.key] = rule
    _changes[0] += 1
    return rule


def defjvp(primitive: Any, *, linear: tuple[str, ...] | str = (),
           **tangents: Template) -> Rule:
    """Give the rule of ``primitive`` (registered with :func:`defvjp`) its forward mode.

    ``linear`` names the parameters the primitive is linear in, jointly: their tangent is the
    primitive applied to the tangents. Each keyword in ``tangents`` names a parameter and
    gives the template of the result's tangent from that argument's tangent ``t`` (the
    parameters, ``ans``, ``np`` and the runtime helpers read as in adjoint templates); a
    template function of static arguments may return :data:`NO_GRADIENT`. Where several
    arguments have tangents, the result's is the sum of their templates.
    """
    rule = lookup(primitive)
    if rule is None:
        raise RuleError(f"no rule registered for {primitive!r}: register it with defvjp first")
    for each in [rule] + [r for r in _RULES.values() if r.alias_of == rule.key]:
        _set_tangents(each, linear, tangents)
    _changes[0] += 1
    return rule


def defbatch(primitive: Any, *, transparent: bool = False, **templates: Template) -> Rule:
    """Give the rule of ``primitive`` batched tangent templates: per parameter, the result's
    tangents from a batch ``t`` of that argument's tangents on a leading axis, built from the
    helpers of :mod:`srcgrad.batching`. Parameters without one run their tangent template
    once per tangent of the batch (elementwise templates need none). ``transparent``: the
    primitive, linear, applies to batches as they are (see ``Rule.batch_transparent``)."""
    rule = lookup(primitive)
    if rule is None:
        raise RuleError(f"no rule registered for {primitive!r}: register it with defvjp first")
    for each in [rule] + [r for r in _RULES.values() if r.alias_of == rule.key]:
        for param, template in templates.items():
            if param not in each.signature.parameters:
                raise RuleError(f"rule for {each.name}: {param!r} (a batched tangent) is not "
                                "one of its parameters")
            _validate(each.name, param, template, set(each.signature.parameters) | {"t"},
                      accumulate=False)
        each.batched = {**each.batched, **templates}
        each.batch_transparent = each.batch_transparent or transparent
        each._parsed = {k: v for k, v in each._parsed.items() if not k.startswith("batched ")}
    _changes[0] += 1
    return rule


def _set_tangents(rule: Rule, linear: tuple[str, ...] | str,
                  tangents: dict[str, Template]) -> None:
    """Check and record a rule's forward-mode facts (see :func:`defjvp`)."""
    names = set(rule.signature.parameters)
    linear = tuple(p.strip() for p in linear.split(",")) if isinstance(linear, str) else linear
    for param in (*linear, *tangents):
        if param not in names:
            raise RuleError(f"rule for {rule.name}: {param!r} (a tangent) is not one of its "
                            f"parameters")
    for param, template in tangents.items():
        _validate(rule.name, param, template, names | {"t"}, accumulate=False)
    rule.linear = rule.linear | frozenset(linear)
    rule.tangents = {**rule.tangents, **tangents}
    rule._parsed = {k: v for k, v in rule._parsed.items() if not k.startswith("tangent ")}


# ---------------------------------------------------------------------------------------------
# Objects whose subscript is an operation (np.r_[a, b]): their rules, by the object.
# ---------------------------------------------------------------------------------------------

_SUBSCRIPTS: dict[int, tuple[Any, Rule]] = {}


def defsubscript(obj: Any, params: str, *, name: str, **adjoints: Template) -> Rule:
    """Register the rule of ``obj[index]`` for an object whose subscript computes a value from
    the index (``np.r_[a, 0.0, b]``); ``params`` names the index (``"index"``)."""
    # cast: mypy cannot tell that adjoints' keys never name defvjp's other keywords
    rule = defvjp(f"{name}[]", params, name=name, sequences=tuple(adjoints),
                  **cast(dict[str, Any], adjoints))
    _SUBSCRIPTS[id(obj)] = (obj, rule)
    return rule


def lookup_subscript(obj: Any) -> Rule | None:
    """The rule of ``obj[index]`` registered with :func:`defsubscript`, or None."""
    found = _SUBSCRIPTS.get(id(obj))
    return found[1] if found is not None and found[0] is obj else None


def nondiff(*primitives: Any, params: str = "*args, **kwargs", pure: bool = True,
            shape_query: str | None = None, shape_arg: str | None = None,
            shape_like: str | None = None) -> None:
    """Register primitives whose result carries no gradient (``argmax``, ``floor``, ``shape``).

    Their results are constants for differentiation: no adjoint code is generated for them.
    ``pure=False``: a call has an effect besides its result (a random draw). ``shape_query``,
    ``shape_arg`` and ``shape_like`` say what the shape analysis may know of the result (see
    :class:`Rule`); the parameters they name must be in ``params``.
    """
    for primitive in primitives:
        rule_name = _default_name(primitive)
        signature = _signature(rule_name, params)
        for param in (shape_arg, shape_like):
            if param is not None and param not in signature.parameters:
                raise RuleError(f"rule for {rule_name}: {param!r} is not one of its parameters")
        _RULES[_key(primitive)] = Rule(
            key=_key(primitive), name=rule_name, signature=signature,
            adjoints={}, differentiable=False, pure=pure, shape_query=shape_query,
            shape_arg=shape_arg, shape_like=shape_like,
            callable=None if isinstance(primitive, str) else primitive)
        _changes[0] += 1


def alias(key: Any, primitive: Any, *, hoistable: bool = False, on_lists: Any = None) -> Rule:
    """Make ``key`` (the syntax ``"+"``, or a function such as ``abs``) use the rule of
    ``primitive`` (``np.add``, ``np.absolute``). ``hoistable`` marks operations that may be
    moved out of a loop when their operands do not change in it: they cannot fail where the
    loop would not have (``-k``, ``a * b``). ``on_lists`` is the key of the rule the syntax
    follows when both operands are lists (``"+"``: ``"list +"``, a concatenation)."""
    rule = _RULES[_key(primitive)]
    aliased = dataclasses.replace(rule, key=_key(key), hoistable=hoistable, on_lists=on_lists,
                                  alias_of=rule.key, _parsed={})
    _RULES[aliased.key] = aliased
    _changes[0] += 1
    return aliased


def defmethod(name: str, function: Any, *, pack_varargs: bool = False) -> None:
    """Let ``x.name(...)`` be differentiated as ``function(x, ...)``."""
    _METHODS[name] = Method(name, function, pack_varargs)
    _changes[0] += 1


_FREEZERS: dict[int, Any] = {}


def deffrozen(owner: Any) -> None:
    """Let ``owner(*args, **kwargs).name(*more, **kw)`` (a frozen distribution,
    ``norm(loc, scale).logpdf(x)``) mean ``owner.name(*more, *args, **kw, **kwargs)`` wherever
    ``owner.name`` has a rule."""
    _FREEZERS[id(owner)] = owner
    _changes[0] += 1


def freezes(owner: Any) -> bool:
    """Whether calls of ``owner`` make frozen objects (see :func:`deffrozen`)."""
    if id(owner) not in _FREEZERS:
        load_optional()
    return _FREEZERS.get(id(owner)) is owner


@dataclass
class Fusion:
    """A chain of primitives differentiated as one (see :func:`deffusion`)."""

    rule: Rule
    patterns: list


_FUSIONS: list[Fusion] = []


def deffusion(name: str, *patterns: str, elementwise: bool = False,
              **adjoints: Template) -> Rule:
    """Differentiate the expression ``patterns[0]`` (or any of its equivalent spellings) as one
    primitive named ``name`` whose parameters are the pattern's free variables.

    ``deffusion("sigmoid", "1.0 / (1.0 + np.exp(-x))", "1.0 / (np.exp(-x) + 1.0)",
    x="g * ans * (1.0 - ans)")`` makes a sigmoid written out in NumPy cost three operations in
    the backward pass instead of seven.
    """
    parsed = [gast.parse(p, mode="eval").body for p in patterns]
    free = []
    for node in gast.walk(parsed[0]):
        if isinstance(node, gast.Name) and node.id != "np" and node.id not in free:
            free.append(node.id)
    rule = defvjp(name, ", ".join(free), name=name, elementwise=elementwise,
                  **cast(dict[str, Any], adjoints))
    _FUSIONS.append(Fusion(rule, parsed))
    return rule


def fusions() -> list[Fusion]:
    """The registered fusions."""
    return list(_FUSIONS)


#: Rule modules (of this package) for optional libraries, by the module of the library they
#: need: registered once the program has imported that module, when a rule is first looked up
#: (importing srcgrad imports no SciPy).
OPTIONAL_FAMILIES = {"scipy.special": "scipy_special", "scipy.stats": "scipy_stats",
                     "scipy.linalg": "scipy_linalg"}
_loaded_families: set[str] = set()


def load_optional(*, install: bool = False) -> bool:
    """Register the rules of the optional libraries imported so far (with ``install``: of
    every one installed, importing it); whether any were new."""
    new = False
    for library, family in OPTIONAL_FAMILIES.items():
        if family in _loaded_families:
            continue
        if library not in sys.modules and (
                not install or importlib.util.find_spec(library.split(".")[0]) is None):
            continue
        _loaded_families.add(family)
        importlib.import_module(f"{__package__}.{family}")
        new = True
    return new


def lookup(primitive: Any) -> Rule | None:
    """The rule registered for ``primitive`` (a callable or a syntax key), or None."""
    try:
        key = _key(primitive)
        rule = _RULES.get(key)
    except TypeError:  # unhashable objects have no rule
        return None
    if rule is None and load_optional():
        rule = _RULES.get(key)
    return rule


def lookup_where(**properties: Any) -> Rule | None:
    """The first registered rule whose properties have these values (``concatenates=True``,
    ``shape_query="len"``), or None."""
    for rule in _RULES.values():
        if all(getattr(rule, prop) == value for prop, value in properties.items()):
            return rule
    return None


def on_sequences(rule: Rule) -> Rule | None:
    """The rule that stands for ``rule``'s syntax where its operands are lists or tuples, or
    None: Python's ``+`` of two of them concatenates, ``*`` of one and a count repeats it (see
    ``on_lists`` in :func:`alias`)."""
    return None if rule.on_lists is None else lookup(rule.on_lists)


def concatenation(rule: Rule, bound: dict[str, Any],
                  is_sequence: Callable[[Any], bool]) -> Rule | None:
    """The concatenation ``rule``'s syntax stands for where both its operands (``bound``) may
    be lists or tuples (``is_sequence`` says), or None. (``*`` of a list and a count is made
    the repetition by the aliasing pass, which knows which values certainly are lists.)"""
    listed = on_sequences(rule)
    if listed is None or not listed.concatenates or \
            not all(is_sequence(atom) for atom in bound.values()):
        return None
    return listed


def lookup_method(name: str) -> Method | None:
    """The function a method call ``x.name(...)`` stands for, or None."""
    return _METHODS.get(name)


def all_rules() -> list[Rule]:
    """Every registered rule, for documentation and listing (those of the optional libraries
    installed too)."""
    load_optional(install=True)
    return list(_RULES.values())


@dataclass
class Effect:
    """A call that writes into one of its arguments (``np.copyto(dst, src)`` writes ``dst``).

    The engine differentiates it as ``dst[index] = value``, the write it makes, where
    ``index`` (default: the whole array) and ``value`` are templates over the call's
    parameters; with ``value`` None the call is refused (``refusal`` says what to do instead).
    """

    key: Any
    name: str
    signature: inspect.Signature
    writes: str
    value: Template | None
    index: Template | None = None
    refusal: str = ""
    #: For a call whose value is used too: a primitive (with a rule) taking the same
    #: arguments that computes that value, before the write.
    result: Any = None

    def template(self, which: str, static: dict[str, Any]) -> str | None:
        """The text of the ``index`` or ``value`` template for these literal arguments."""
        return _instantiate(getattr(self, which), static)


_EFFECTS: dict[Any, Effect] = {}
_EFFECT_METHODS: dict[str, Effect] = {}


def defeffect(primitive: Any, params: str, *, writes: str, value: Template | None,
              index: Template | None = None, name: str | None = None, method: str | None = None,
              refusal: str = "", result: Any = None) -> Effect:
    """Register a call that writes into its argument ``writes`` (see :class:`Effect`).

    ``method`` also makes ``x.<method>(...)`` such a call, with ``x`` as the first parameter
    (``y.sort()`` sorts ``y`` in place). Templates read the parameters, ``np`` and the runtime
    helpers, as adjoint templates do. ``result``: a pure primitive of the same arguments giving
    the call's value, where it is used (``g = pop_slot(dx, i)`` is ``g = slot_value(dx, i)``,
    then ``dx[i] = 0``).
    """
    effect_name = name or _default_name(primitive)
    signature = _signature(effect_name, params)
    if writes not in signature.parameters:
        raise RuleError(f"effect of {effect_name}: writes={writes!r} is not one of its parameters")
    effect = Effect(_key(primitive), effect_name, signature, writes, value, index, refusal,
                    result)
    _EFFECTS[effect.key] = effect
    if method is not None:
        _EFFECT_METHODS[method] = effect
    return effect


def lookup_effect(primitive: Any) -> Effect | None:
    """The effect registered for ``primitive``, or None."""
    try:
        return _EFFECTS.get(_key(primitive))
    except TypeError:
        return None


def lookup_effect_method(name: str) -> Effect | None:
    """The effect of the method call ``x.name(...)`` (``sort``, ``fill``), or None."""
    return _EFFECT_METHODS.get(name)


# ---------------------------------------------------------------------------------------------
# Templates: instantiation, checks at registration.
# ---------------------------------------------------------------------------------------------

#: Static names the engine gives template functions besides the rule's parameters and their
#: ``shape_<param>``/``list_<param>``: whether a subscript's index picks each element at most
#: once (the ``"getitem"`` rule).
STATIC_NAMES = frozenset({"basic_index"})

_HELPERS = frozenset(name for module in (runtime, batching)
                     for name, value in vars(module).items()
                     if inspect.isfunction(value) and value.__module__ == module.__name__)
_TEMPLATE_GLOBALS = _HELPERS | {"g", "ans", "np"} | set(vars(builtins))


@functools.cache
def _template_params(template: Callable[..., str]) -> tuple[str, ...]:
    """The parameter names of a template function (asked for each call the engine sees)."""
    return tuple(inspect.signature(template).parameters)


def _instantiate(template: Template, static: dict[str, Any]) -> Any:
    """A template's text for these static arguments (or NO_GRADIENT)."""
    if not callable(template):
        return template
    wanted = _template_params(template)
    return template(**{k: static.get(k, DYNAMIC) for k in wanted})


def _typed(rule: Rule, template: Template, static: dict[str, Any], text: Any) -> Any:
    """A template's text given the call's ``dtype=`` (for rules with one whose template does
    not read it itself): an integer or boolean dtype truncates the values, so no gradient; a
    dtype not known before the code runs is decided when it runs (``dtype_grad``)."""
    if text is NO_GRADIENT or "dtype" not in rule.signature.parameters or \
            callable(template) and "dtype" in _template_params(template):
        return text
    dtype = static.get("dtype", DYNAMIC)
    if dtype is DYNAMIC:
        return f"dtype_grad({text}, dtype)"
    try:
        kind = np.dtype(dtype).kind if dtype is not None else "f"
    except (TypeError, ValueError):
        return f"dtype_grad({text}, dtype)"
    return NO_GRADIENT if kind in "biu" else text


def _validate(rule_name: str, param: str, template: Template, names: set[str], *,
              accumulate: bool) -> None:
    """Check a template when its rule is registered (see the module docstring)."""
    if callable(template):
        for arg in inspect.signature(template).parameters:
            base = arg.removeprefix("shape_").removeprefix("list_")
            if base not in names and arg not in STATIC_NAMES:
                raise RuleError(f"rule for {rule_name}: the template function of {param!r} takes "
                                f"{arg!r}, which is neither a parameter of the rule, shape_ or "
                                f"list_ of one, nor one of {sorted(STATIC_NAMES)}")
        return
    try:
        tree = gast.parse(template, mode="eval").body
    except SyntaxError:
        tree = None
    if tree is None and accumulate:
        try:
            tree = gast.parse(template).body[0]
        except SyntaxError:
            tree = None
    if tree is None:
        raise RuleError(f"rule for {rule_name}: template {template!r} of {param!r} is not a "
                        "Python expression")
    _check_names(rule_name, template, tree, names | ({"acc"} if accumulate else set()))


def _validate_shape_function(rule_name: str, shape_of: Callable[..., Any],
                              signature: inspect.Signature) -> None:
    """A ``shape_of`` function is called with the call's arguments, bound as the rule's
    parameters: it must take each of them under the same name (or ``*args``/``**kwargs``)."""
    try:
        own = inspect.signature(shape_of).parameters
    except (TypeError, ValueError):  # a builtin without a signature: called as the primitive
        return
    kinds = {p.kind for p in own.values()}
    if inspect.Parameter.VAR_KEYWORD in kinds:
        return
    for param, spec in signature.parameters.items():
        if spec.kind in (spec.VAR_POSITIONAL, spec.VAR_KEYWORD):
            continue
        if param not in own and not (spec.kind == spec.POSITIONAL_ONLY
                                     and inspect.Parameter.VAR_POSITIONAL in kinds):
            raise RuleError(f"rule for {rule_name}: its shape_of function takes no parameter "
                            f"{param!r}; it is called with the rule's parameters "
                            f"({', '.join(signature.parameters)})")
    for param in own:
        if own[param].kind not in (own[param].VAR_POSITIONAL, own[param].VAR_KEYWORD) and \
                param not in signature.parameters and own[param].default is own[param].empty:
            raise RuleError(f"rule for {rule_name}: its shape_of function's parameter "
                            f"{param!r} is not one of the rule's parameters")


def _check_names(rule_name: str, text: str, tree: gast.AST, names: set[str]) -> None:
    """Every name ``tree`` reads is a parameter, g, ans, np, a runtime helper or a builtin;
    every ``np.a.b`` it names exists."""
    bound = {n.id for n in gast.walk(tree) if isinstance(n, gast.Name)
             and isinstance(n.ctx, (gast.Store, gast.Param))}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                node.id not in names | bound | _TEMPLATE_GLOBALS:
            raise RuleError(f"rule for {rule_name}: template {text!r} reads {node.id!r}, which is "
                            "neither a parameter of the rule, g, ans, np, a runtime helper nor a "
                            "builtin")
        path = _np_path(node) if isinstance(node, gast.Attribute) else None
        if path is not None:
            value: Any = np
            for part in path:
                value = getattr(value, part, _MISSING)
                if value is _MISSING:
                    raise RuleError(f"rule for {rule_name}: template {text!r} names "
                                    f"np.{'.'.join(path)}, which NumPy does not have")


def _parse_expression(rule_name: str, text: str) -> gast.expr:
    try:
        return gast.parse(text, mode="eval").body
    except SyntaxError:
        raise RuleError(f"rule for {rule_name}: template {text!r} is not an expression") \
            from None


def _tangent_of_elementwise(adjoint: gast.expr) -> gast.expr:
    """An elementwise rule's tangent from its adjoint: the Jacobian is diagonal, so the
    adjoint with ``t`` for ``g`` and without un-broadcasting (the tangent keeps the result's
    broadcast shape) is the tangent."""
    def tangent(node):
        if isinstance(node, gast.Name) and node.id == "g":
            return gast.Name(id="t", ctx=gast.Load(), annotation=None, type_comment=None)
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.func.id == "unbroadcast":
            return tangent(node.args[0])
        if isinstance(node, gast.AST):
            copy = type(node)()
            for field_name, value in gast.iter_fields(node):
                if isinstance(value, list):
                    value = [tangent(v) for v in value]
                elif isinstance(value, gast.AST):
                    value = tangent(value)
                setattr(copy, field_name, value)
            return copy
        return node
    return tangent(adjoint)


def _np_path(node: gast.Attribute) -> list[str] | None:
    """``["linalg", "inv"]`` for ``np.linalg.inv``; None for an attribute of anything else."""
    path = []
    while isinstance(node, gast.Attribute):
        path.append(node.attr)
        node = node.value
    if isinstance(node, gast.Name) and node.id == "np":
        return path[::-1]
    return None


def static_global(value: Any) -> Any:
    """``value`` (a global a call passes) where templates may specialise on it: a type or dtype
    (``int``, ``np.float32``); else DYNAMIC."""
    if isinstance(value, (type, np.dtype)):
        return value
    return DYNAMIC
