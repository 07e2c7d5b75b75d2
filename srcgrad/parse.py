"""Read a Python function's source into a ``gast`` tree that remembers where it came from."""

from __future__ import annotations

import inspect
import io
import textwrap
import tokenize
from dataclasses import dataclass, field
from typing import Any

import gast

from .errors import SourceUnavailableError, UnsupportedSyntaxError


@dataclass
class Source:
    """Where a function's code lives, for error messages and ``# grad of:`` comments."""

    filename: str
    lines: dict[int, str] = field(default_factory=dict)  # file line number -> text

    def line(self, lineno: int | None) -> str:
        """The source line, without its comment."""
        text = self.lines.get(lineno or -1, "").strip()
        if "#" in text:
            try:
                tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
            except (tokenize.TokenError, SyntaxError):
                return text
            for token in tokens:
                if token.type == tokenize.COMMENT:
                    return text[:token.start[1]].rstrip()
        return text

    def error(self, cls, node, what: str, fix: str | None = None):
        """An exception of class ``cls`` located at ``node``."""
        lineno = getattr(node, "lineno", None)
        return cls(what, filename=self.filename, lineno=lineno,
                   line=self.lines.get(lineno or -1, ""), fix=fix)


@dataclass
class ParsedFunction:
    """A function's definition as a gast tree, with line numbers of the user's file."""

    fn: Any
    tree: gast.FunctionDef
    source: Source
    globals: dict[str, Any]
    closure: dict[str, Any]
    cells: dict[str, Any] = field(default_factory=dict)  # closure variables' cells


def parse_function(fn) -> ParsedFunction:
    """Parse ``fn``'s source; every node's ``lineno`` is a line number in the user's file."""
    if hasattr(fn, "__wrapped__"):
        name = getattr(fn, "__qualname__", repr(fn))
        if hasattr(fn, "source") and hasattr(fn, "generated"):
            raise SourceUnavailableError(
                f"{name} is a gradient made by srcgrad: higher-order derivatives are not "
                "supported. Differentiate the original function only")
        raise SourceUnavailableError(
            f"{name} is wrapped by a decorator, whose effect srcgrad cannot see from the "
            "function's source. Differentiate the undecorated function (or register a rule "
            "for the decorated one with srcgrad.defvjp)")
    code = getattr(fn, "__code__", None)
    if code is None:
        from .rules.registry import lookup

        name = getattr(fn, "__name__", repr(fn))
        if lookup(fn) is not None:
            raise SourceUnavailableError(
                f"{name} is a primitive srcgrad already differentiates inside functions; "
                f"write a Python function that calls it (def f(x): return np.{name}(x)) and "
                "differentiate that")
        raise SourceUnavailableError(
            f"{fn!r} has no Python source (it may be a builtin or a C extension). "
            "Register a rule for it with srcgrad.defvjp instead.")
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__} (defined in {code.co_filename}): "
            "srcgrad differentiates functions defined in files, not ones created by exec or "
            "typed at an interactive prompt. Put the function in a module, or register a "
            "rule for it with srcgrad.defvjp.") from None
    text = textwrap.dedent("".join(lines))
    source = Source(code.co_filename, {first + i: line.rstrip("\n") for i, line in
                                       enumerate(lines)})
    try:
        module = gast.parse(text)
    except SyntaxError as exc:  # e.g. a lambda inside a larger expression
        raise SourceUnavailableError(
            f"cannot parse the source of {fn.__qualname__} in {code.co_filename}: {exc.msg}. "
            "Define the function with def on its own lines.") from None
    for node in gast.walk(module):
        if getattr(node, "lineno", None) is not None:
            node.lineno += first - 1
    tree = module.body[0]
    if not isinstance(tree, (gast.FunctionDef, gast.AsyncFunctionDef)):
        tree = _find_lambda(module, code)
    if isinstance(tree, gast.AsyncFunctionDef):
        raise source.error(UnsupportedSyntaxError, tree, "async functions cannot be differentiated",
                           "differentiate an ordinary def function")
    if not isinstance(tree, gast.FunctionDef):
        raise SourceUnavailableError(f"cannot find the definition of {fn.__qualname__} in its "
                                     "source; define it with def")
    tree.decorator_list = []
    closure = {}
    cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
    for name, cell in cells.items():
        try:
            closure[name] = cell.cell_contents
        except ValueError:  # an empty cell: the variable is not bound yet
            pass
    return ParsedFunction(fn, tree, source, fn.__globals__, closure, cells)


def _find_lambda(module, code):
    """The lambda in ``module`` whose parameters are those of ``code``."""
    wanted = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    for node in gast.walk(module):
        if isinstance(node, gast.Lambda):
            names = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            if names == wanted:
                return lambda_as_def(node, code.co_name)
    return module.body[0]


def lambda_as_def(lam: gast.Lambda, name: str) -> gast.FunctionDef:
    body = gast.Return(value=lam.body)
    gast.copy_location(body, lam)
    fdef = gast.FunctionDef(name=name, args=lam.args, body=[body], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    return gast.copy_location(fdef, lam)
