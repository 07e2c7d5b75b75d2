"""Turn generated trees into Python source and compiled functions."""

from __future__ import annotations

import ast
import itertools
import linecache
import re

import astor
import gast

#: Generated code holds comments as calls ``__comment__("text")``; :func:`to_source` prints them.
COMMENT_MARKER = "__comment__"
_COMMENT = re.compile(r"^(\s*)" + COMMENT_MARKER + r"\((.*)\)$", re.MULTILINE)
_counter = itertools.count()


def to_source(tree) -> str:
    """Python source of a gast (or ast) tree. The one place that chooses the unparser."""
    if isinstance(tree, gast.AST):
        tree = to_ast(tree)  # (no locations needed: the source text is what gets compiled)
    text = astor.to_source(tree, pretty_source=_pretty)
    return _COMMENT.sub(lambda m: f"{m.group(1)}# {ast.literal_eval(m.group(2))}", text)


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


def _pretty(source):
    # astor wraps long lines in a way that reads badly; keep each statement on one line.
    return "".join(source)


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
