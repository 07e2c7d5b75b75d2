"""Turn generated trees into Python source and compiled functions."""

from __future__ import annotations

import ast
import copy
import itertools
import linecache
import math
import re

import gast

#: Generated code holds comments as calls ``__comment__("text")``; :func:`to_source` prints them.
COMMENT_MARKER = "__comment__"
_COMMENT = re.compile(r"^(\s*)" + COMMENT_MARKER + r"\((.*)\)$", re.MULTILINE)
_counter = itertools.count()


def to_source(tree: gast.AST | ast.AST) -> str:
    """Python source of a gast (or ast) tree, each statement on one line.

    The one place that chooses the unparser (:func:`ast.unparse`).
    """
    if type(tree) is getattr(ast, type(tree).__name__, None):  # (gast's classes subclass ast's)
        tree = copy.deepcopy(tree)  # (negative constants are rewritten in place)
    else:
        tree = to_ast(tree)  # (no locations needed: the source text is what gets compiled)
    tree = ast.fix_missing_locations(_signed_constants_as_unary_minus(tree))  # (unparse reads them)
    text = ast.unparse(tree) + "\n"
    text = _RETURN_TUPLE.sub(_return_without_parentheses, text)
    return _COMMENT.sub(lambda m: f"{m.group(1)}# {ast.literal_eval(m.group(2))}", text)


_RETURN_TUPLE = re.compile(r"^(\s*)return \((.*)\)$", re.MULTILINE)


def _return_without_parentheses(match: re.Match) -> str:
    """``return a, b`` for ``return (a, b)``: when the text inside the parentheses is a tuple
    on its own, the parentheses change nothing."""
    indent, inner = match.groups()
    try:
        tuple_alone = isinstance(ast.parse(inner, mode="eval").body, ast.Tuple)
    except SyntaxError:  # e.g. ``return (a, b)[0] + (c, d)``
        tuple_alone = False
    return f"{indent}return {inner}" if tuple_alone else match.group(0)


def _is_negative_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.copysign(1.0, value) < 0 and not math.isnan(value)


def _signed_constants_as_unary_minus(tree: ast.AST) -> ast.AST:
    """Rewrite each negative number constant ``-c`` as ``-(c)``, in place.

    :func:`ast.unparse` prints a negative constant bare, as if it were an atom, so
    ``(-0.5) ** 2`` would come out as ``-0.5 ** 2`` (which is ``-(0.5 ** 2)``) and
    ``(-2).real`` as ``-2 .real``. A unary minus gets the parentheses its precedence needs.
    """
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


def to_ast(node):
    """The standard-library ``ast`` form of a gast tree."""
    if isinstance(node, list):
        return [to_ast(item) for item in node]
    if not isinstance(node, gast.AST):
        return node
    kind = type(node).__name__
    if kind not in _SAME:
        if kind == "FunctionDef":  # its parameters differ (ast.arg): convert the shell only
            shell = gast.FunctionDef(name=node.name, args=node.args, body=[gast.Pass()],
                                     decorator_list=[], returns=None, type_comment=None,
                                     type_params=[])
            converted = gast.gast_to_ast(shell)
            converted.body = to_ast(node.body)
            return converted
        return gast.gast_to_ast(node)
    cls = getattr(ast, kind)
    return cls(**{field: to_ast(getattr(node, field, None)) for field in cls._fields})


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
    code = compile(source, filename, "exec")
    exec(code, namespace)  # noqa: S102 - this is what a source transformer does
    return namespace[function_name]
