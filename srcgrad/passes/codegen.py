"""Turn generated trees into Python source and compiled functions."""

from __future__ import annotations

import ast
import copy
import functools
import itertools
import linecache
import math
import re
from typing import TypeGuard

import gast

from .. import ir

_counter = itertools.count()


def to_source(tree: gast.AST | ast.AST) -> str:
    """Python source of a gast (or ast) tree, each statement on one line.

    The one place that prints code: :func:`ast.unparse`, with comment statements
    (:class:`srcgrad.ir.Comment`) as ``# text`` lines.
    """
    if type(tree) is getattr(ast, type(tree).__name__, None):  # (gast's classes subclass ast's)
        tree = _ready_to_unparse(copy.deepcopy(tree))
    else:
        tree = to_ast(tree)
    text = _COMMENT_LINE.sub(_comment_lines, ast.unparse(tree))
    return _without_tuple_parentheses(text + "\n")


#: How a comment statement reaches the printer: a statement that is a bare name, the tag and
#: the text's UTF-8 in hex (no code the passes make holds one), printed as ``# text`` lines.
_COMMENT_TAG = "_srcgrad_comment_"
_COMMENT_LINE = re.compile(r"^(\s*)" + _COMMENT_TAG + r"([0-9a-f]*)$", re.MULTILINE)


def _comment_lines(match: re.Match) -> str:
    indent, text = match.group(1), bytes.fromhex(match.group(2)).decode()
    # each line of the text its own comment line: a comment's text never becomes code
    return "\n".join(f"{indent}# {line}" for line in text.splitlines() or [""])


# ast.unparse puts parentheses around some tuples that need none (Python 3.10 around more than
# 3.11+): ``return (a, b)``, ``(h, c) = tape.pop()``, ``for (i, x) in ...``. Generated code reads,
# and is the same on every Python, without them: (pattern, replacement, body the line needs to
# parse on its own).
_TUPLE_IN_PARENTHESES = [
    (re.compile(r"^(\s*)return \((.*)\)$", re.MULTILINE), r"\1return \2", ""),
    (re.compile(r"^(\s*)\((.*)\) = (.*)$", re.MULTILINE), r"\1\2 = \3", ""),
    (re.compile(r"^(\s*)for \((.*)\) in (.*):$", re.MULTILINE), r"\1for \2 in \3:", "\n pass"),
]


def _without_tuple_parentheses(text: str) -> str:
    for pattern, replacement, body in _TUPLE_IN_PARENTHESES:
        text = pattern.sub(functools.partial(_if_unchanged, replacement=replacement, body=body),
                           text)
    return text


def _if_unchanged(match: re.Match, replacement: str, body: str) -> str:
    """The line rewritten, if that leaves its meaning (its tree) as it was; else the line."""
    line, rewritten = match.group(0), match.expand(replacement)
    try:
        same = ast.dump(ast.parse(rewritten.strip() + body)) == \
            ast.dump(ast.parse(line.strip() + body))
    except SyntaxError:  # e.g. ``return (a, b)[0] + (c, d)`` without its first parenthesis
        same = False
    return rewritten if same else line


def _is_negative_number(value: object) -> TypeGuard[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value < 0 or (isinstance(value, float) and math.copysign(1.0, value) < 0
                         and not math.isnan(value))  # -0.0


def _ready_to_unparse(tree: ast.AST) -> ast.AST:
    """``tree`` with each negative number constant ``-c`` written ``-(c)``, and line numbers
    (which :func:`ast.unparse` reads), changed in place.

    :func:`ast.unparse` prints a negative constant bare, as if it were an atom, so
    ``(-0.5) ** 2`` would come out as ``-0.5 ** 2`` (which is ``-(0.5 ** 2)``) and
    ``(-2).real`` as ``-2 .real``. A unary minus gets the parentheses its precedence needs.
    """
    ast.fix_missing_locations(tree)
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.Constant) and _is_negative_number(value.value):
                setattr(node, field, _negated(value.value))
            elif isinstance(value, list):
                value[:] = [_negated(item.value) if isinstance(item, ast.Constant)
                            and _is_negative_number(item.value) else item for item in value]
    return tree


def _negated(value: float) -> ast.UnaryOp:
    return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))


# Nodes whose gast and ast forms have the same name and fields: converted directly, which is
# several times faster than gast's general converter (used for everything else).
_SAME = {"Assign", "AugAssign", "For", "If", "While", "Break", "Pass", "Return", "Expr",
         "Call", "Name", "Constant", "Attribute", "Subscript", "Slice", "Tuple", "List",
         "BinOp", "UnaryOp", "Compare", "IfExp", "keyword", "Load", "Store", "Del", "Add",
         "Sub", "Mult", "Div", "Pow", "MatMult", "USub", "UAdd", "Not", "Is", "IsNot", "Lt",
         "LtE", "Gt", "GtE", "Eq", "NotEq", "Module"}


_STATEMENTS = {kind for kind in _SAME if issubclass(getattr(ast, kind), ast.stmt)}


def to_ast(node):
    """The standard-library ``ast`` form of a gast tree, ready for :func:`ast.unparse` (see
    :func:`_ready_to_unparse`)."""
    if isinstance(node, list):
        return [to_ast(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    kind = type(node).__name__
    if isinstance(node, ir.Comment):
        tagged = ast.Name(id=_COMMENT_TAG + node.text.encode().hex(), ctx=ast.Load())
        return ast.Expr(value=tagged, lineno=0)
    if kind not in _SAME:
        if kind == "FunctionDef":  # its parameters differ (ast.arg): convert the shell only
            shell = gast.FunctionDef(name=node.name, args=node.args, body=[gast.Pass()],
                                     decorator_list=[], returns=None, type_comment=None,
                                     type_params=[])
            converted = _ready_to_unparse(gast.gast_to_ast(shell))
            converted.body = to_ast(node.body)
            return converted
        return _ready_to_unparse(gast.gast_to_ast(node))
    if kind == "Constant" and _is_negative_number(node.value):
        return _negated(node.value)
    cls = getattr(ast, kind)
    converted = cls(**{field: to_ast(getattr(node, field, None)) for field in cls._fields})
    if kind in _STATEMENTS:
        converted.lineno = 0
    return converted


def expression_source(node) -> str:
    """Source text of one expression node."""
    return to_source(gast.Expr(value=node)).strip()


def compile_function(source: str, function_name: str, namespace: dict):
    """Compile generated source and return the function it defines.

    The source is registered with :mod:`linecache` under a unique file name, so tracebacks and
    ``pdb`` show the generated lines.
    """
    filename = f"<srcgrad generated {function_name} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec", dont_inherit=True)
    exec(code, namespace)  # noqa: S102 - this is what a source transformer does
    return namespace[function_name]
