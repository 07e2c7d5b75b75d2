"""Read a Python function's source into a ``gast`` tree that remembers where it came from.

Reads: a function object (its source through ``inspect``, or the text registered for code
made at run time). Writes: a :class:`ParsedFunction` (the tree, with the user's line numbers,
and its :class:`Source` for errors and comments). Refuses syntax no later pass handles.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import SourceUnavailableError, UnsupportedSyntaxError
from ..ir import Source


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
    code = getattr(fn, "__code__", None)
    if code is None or hasattr(fn, "__wrapped__"):
        from ..rules.registry import lookup

        name = getattr(fn, "__name__", repr(fn))
        rule = lookup(fn)
        if rule is not None:
            call = name if getattr(fn, "__module__", None) == "builtins" else rule.name
            raise SourceUnavailableError(
                f"{name} is a primitive srcgrad already differentiates inside functions; "
                f"write a Python function that calls it (def f(x): return {call}(x)) and "
                "differentiate that")
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
    if code is None:
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
    except (AttributeError, TypeError):  # syntax newer than the installed gast knows
        raise SourceUnavailableError(
            f"cannot parse the source of {fn.__qualname__} in {code.co_filename} with the "
            "installed gast: upgrade gast") from None
    match = next((n for n in ast.walk(ast.parse(text)) if type(n).__name__ == "Match"), None)
    if match is not None:  # (older gast cannot even walk it)
        line = first + getattr(match, "lineno", 1) - 1
        raise UnsupportedSyntaxError(
            "match statements are not supported", filename=code.co_filename, lineno=line,
            line=source.lines.get(line, ""), fix="use if/elif (or np.where)")
    removed = _indent(lines[0]) - _indent(text.splitlines()[0] if text else "")
    for node in gast.walk(module):
        if getattr(node, "lineno", None) is not None:
            node.end_lineno = (getattr(node, "end_lineno", None) or node.lineno) + first - 1
            node.lineno += first - 1
            node.col_offset += removed
            if getattr(node, "end_col_offset", None) is not None:
                node.end_col_offset += removed
    tree = module.body[0]
    if not _is_own_code(code) or (code.co_name != "<lambda>" and not (
            isinstance(tree, (gast.FunctionDef, gast.AsyncFunctionDef))
            and tree.name == code.co_name)):
        raise SourceUnavailableError(
            f"the source of {fn.__qualname__} in {code.co_filename} at line {first} is not "
            "the code that runs: the file was changed after it was imported. Reload the "
            "module (or restart) so that srcgrad differentiates the function that runs")
    if code.co_name == "<lambda>":
        tree = _find_lambda(module, code, fn)
    if isinstance(tree, gast.AsyncFunctionDef):
        raise source.error(UnsupportedSyntaxError, tree, "async functions cannot be differentiated",
                           "differentiate an ordinary def function")
    if not isinstance(tree, gast.FunctionDef):
        raise SourceUnavailableError(f"cannot find the definition of {fn.__qualname__} in its "
                                     "source; define it with def")
    tree.decorator_list = []
    _mangle_private_names(tree, fn.__qualname__)
    closure = {}
    cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
    for name, cell in cells.items():
        try:
            closure[name] = cell.cell_contents
        except ValueError:  # an empty cell: the variable is not bound yet
            pass
    return ParsedFunction(fn, tree, source, fn.__globals__, closure, cells)


def _mangle_private_names(tree, qualname: str) -> None:
    """Rename ``__name``s as Python does in a class body (``self.__w`` is ``self._Cls__w``)."""
    parts = qualname.split(".")
    owner = None
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] != "<locals>" and parts[i + 1] != "<locals>":
            owner = parts[i].lstrip("_")
            break
    if not owner:
        return

    def mangled(name: str) -> str:
        private = name.startswith("__") and not name.endswith("__") and "." not in name
        return f"_{owner}{name}" if private else name

    for node in gast.walk(tree):
        if isinstance(node, gast.Attribute):
            node.attr = mangled(node.attr)
        elif isinstance(node, gast.Name):
            node.id = mangled(node.id)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _find_lambda(module, code, fn):
    """The lambda in ``module`` whose code is ``code``: the one whose body holds the positions
    of ``code``'s instructions (several lambdas may take the same parameters on one line)."""
    wanted = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = [node for node in gast.walk(module) if isinstance(node, gast.Lambda) and
             [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
             == wanted]
    positions = code.co_positions() if hasattr(code, "co_positions") else ()  # Python 3.11+
    spans = [(line, col, end_line, end_col) for line, end_line, col, end_col in positions
             if None not in (line, end_line, col, end_col) and (line, col) != (end_line, end_col)]
    if spans:
        start, end = min(s[:2] for s in spans), max(s[2:] for s in spans)
        found = [node for node in found
                 if (node.body.lineno, node.body.col_offset) <= start
                 and end <= (node.body.end_lineno, node.body.end_col_offset)]
    if len(found) != 1:
        raise SourceUnavailableError(
            f"cannot tell which lambda in {code.co_filename} at line {code.co_firstlineno} is "
            f"{fn.__qualname__}" + (": the file may have changed since it was imported"
                                    if not found else "") +
            ". Define the function with def on its own lines")
    return lambda_as_def(found[0], code.co_name)


_compiled_files: dict[tuple[str, int], Any] = {}  # (file name, hash of its text) -> code


def _is_own_code(code) -> bool:
    """Whether the file on disk, compiled now, holds ``code`` where ``code`` says it came from:
    not so when the file was edited after the function was imported (srcgrad must
    differentiate the code that runs)."""
    text = "".join(linecache.getlines(code.co_filename))
    key = (code.co_filename, hash(text))
    compiled = _compiled_files.get(key)
    if compiled is None:
        try:
            compiled = compile(text, code.co_filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
        if len(_compiled_files) >= 32:
            _compiled_files.clear()
        _compiled_files[key] = compiled
    return any(candidate == code for candidate in _code_objects(compiled)
               if candidate.co_firstlineno == code.co_firstlineno)


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def lambda_as_def(lam: gast.Lambda, name: str) -> gast.FunctionDef:
    body = gast.Return(value=lam.body)
    gast.copy_location(body, lam)
    fdef = gast.FunctionDef(name=name, args=lam.args, body=[body], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    return gast.copy_location(fdef, lam)
