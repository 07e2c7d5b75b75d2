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

Primitives written as Python syntax have string keys: ``"+"``, ``"@"``, ``"unary -"``,
``"getitem"``, ``"attr T"`` ... Methods (``x.sum(axis=0)``) map to functions with
:func:`defmethod`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import gast

from ..errors import RuleError

Template = str | Callable[..., str]

#: Stands for a non-differentiable argument whose value is not a literal in the source.
DYNAMIC = type("Dynamic", (), {"__repr__": lambda self: "DYNAMIC"})()

#: An integer whose value is not known before the code runs (a loop counter), given to shape
#: functions (see :func:`defvjp`'s ``shape``) where a shape expression would hold one.
ANY_INT = type("AnyInt", (), {"__repr__": lambda self: "ANY_INT"})()

_RESERVED = {"g", "ans"}


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
    _parsed: dict[str, gast.expr] = field(default_factory=dict, repr=False)

    @property
    def reads_result(self) -> bool:
        """Whether some adjoint template reads the primitive's result ``ans``."""
        import re
        return any(callable(t) or re.search(r"\bans\b", t)
                   for t in list(self.adjoints.values()) + list(self.accumulate.values()))

    @property
    def pure(self) -> bool:
        """Whether calling the primitive has no effect besides its result (random draws do)."""
        return not self.name.startswith("np.random.")

    def template_for(self, param: str, static: dict[str, Any], *,
                     accumulate: bool = False) -> gast.expr:
        """The parsed template expression for ``param``, given the literal static arguments.

        With ``accumulate``, the template that adds into an existing adjoint ``acc`` in place.
        """
        template = self.accumulate[param] if accumulate else self.adjoints[param]
        if callable(template):
            wanted = inspect.signature(template).parameters
            text = template(**{k: static.get(k, DYNAMIC) for k in wanted})
        else:
            text = template
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
            self._parsed[text] = cached
        return cached


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
           shape_of: bool | Callable[..., Any] = False, **adjoints: Template) -> Rule:
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
    for param in sequences:
        if param not in names:
            raise RuleError(f"rule for {rule_name}: sequence parameter {param!r} is not one "
                            "of its parameters")
    rule = Rule(key=_key(primitive), name=rule_name, signature=signature,
                adjoints=dict(adjoints), sequences=frozenset(sequences),
                elementwise=elementwise, accumulate=dict(accumulate or {}),
                returns_sequence=returns_sequence, sparse=sparse, reduction=reduction,
                callable=None if isinstance(primitive, str) else primitive,
                shape_of=(primitive if shape_of is True else shape_of or None))
    _RULES[rule.key] = rule
    return rule


def nondiff(*primitives: Any, params: str = "*args, **kwargs") -> None:
    """Register primitives whose result carries no gradient (``argmax``, ``floor``, ``shape``).

    Their results are constants for differentiation: no adjoint code is generated for them.
    """
    for primitive in primitives:
        rule_name = _default_name(primitive)
        _RULES[_key(primitive)] = Rule(
            key=_key(primitive), name=rule_name, signature=_signature(rule_name, params),
            adjoints={}, differentiable=False,
            callable=None if isinstance(primitive, str) else primitive)


def alias(key: Any, primitive: Any, *, hoistable: bool = False) -> Rule:
    """Make ``key`` (the syntax ``"+"``, or a function such as ``abs``) use the rule of
    ``primitive`` (``np.add``, ``np.absolute``). ``hoistable`` marks operations that may be
    moved out of a loop when their operands do not change in it: they cannot fail where the
    loop would not have (``-k``, ``a * b``)."""
    rule = _RULES[_key(primitive)]
    aliased = Rule(key=_key(key), name=rule.name, signature=rule.signature,
                   adjoints=rule.adjoints, sequences=rule.sequences,
                   differentiable=rule.differentiable, elementwise=rule.elementwise,
                   callable=rule.callable, accumulate=rule.accumulate,
                   reduction=rule.reduction, hoistable=hoistable, shape_of=rule.shape_of)
    _RULES[aliased.key] = aliased
    return aliased


def defmethod(name: str, function: Any, *, pack_varargs: bool = False) -> None:
    """Let ``x.name(...)`` be differentiated as ``function(x, ...)``."""
    _METHODS[name] = Method(name, function, pack_varargs)


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


def lookup(primitive: Any) -> Rule | None:
    """The rule registered for ``primitive`` (a callable or a syntax key), or None."""
    try:
        return _RULES.get(_key(primitive))
    except TypeError:  # unhashable objects have no rule
        return None


def lookup_method(name: str) -> Method | None:
    """The function a method call ``x.name(...)`` stands for, or None."""
    return _METHODS.get(name)


def all_rules() -> list[Rule]:
    """Every registered rule, for documentation and listing."""
    return list(_RULES.values())
