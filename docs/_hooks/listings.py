"""Code listings made by srcgrad at build time: a function, its normalized form, its gradient.

A gradient listing may carry explanations keyed by the code they explain, one per body line::

    dy_2 = dy * :: tanh's rule ...
    dy_1 = .. dw = :: the lines from the first match to the second ...
    np.zeros_like( .. * :: the run of consecutive lines that contain the key ...

Each key is found in the generated code (in order, by substring); a key that no longer matches
fails the build, so the prose cannot drift away from the code it describes.
"""

from __future__ import annotations

import inspect
import textwrap

import gast
from context import fence, load
from directives import Directive, DirectiveError


def _wrt(directive: Directive):
    text = directive.options.get("wrt")
    if text is None:
        return 0
    items = [int(p) if p.isdigit() else p for p in text.split(",")]
    return items[0] if len(items) == 1 else tuple(items)


def source(directive: Directive) -> str:
    """``srcgrad:source FILE:FUNC [docstring=1]``: the function as written."""
    fn = load(directive.arg())
    text = textwrap.dedent(inspect.getsource(fn))
    if directive.options.get("docstring") == "1":
        return fence(text)
    return fence(_without_docstring(text))


def _without_docstring(text: str) -> str:
    tree = gast.parse(text)
    fdef = tree.body[0]
    first = fdef.body[0]
    if isinstance(first, gast.Expr) and isinstance(first.value, gast.Constant) and \
            isinstance(first.value.value, str) and len(fdef.body) > 1:
        lines = text.splitlines()
        start = first.lineno - 1
        end = first.end_lineno
        return "\n".join(lines[:start] + lines[end:])
    return text


def normalized(directive: Directive) -> str:
    """``srcgrad:normalized FILE:FUNC [wrt=...]``: the function as the reverse pass receives
    it (srcgrad's front end: normalized, writes to shared memory resolved, fused, renamed)."""
    from srcgrad.cli import wrt_names
    from srcgrad.passes.codegen import to_source
    from srcgrad.transform import front_end

    fn = load(directive.arg())
    fdef = front_end(fn, wrt_names(fn, _wrt(directive))).fdef
    return fence(to_source(gast.Module(body=[fdef], type_ignores=[])))


def activity(directive: Directive) -> str:
    """``srcgrad:activity FILE:FUNC wrt=...``: which variables get adjoint code."""
    from srcgrad.cli import wrt_names
    from srcgrad.transform import front_end

    fn = load(directive.arg())
    front = front_end(fn, wrt_names(fn, _wrt(directive)))
    fdef, names, act = front.fdef, front.wrt, front.activity
    params = [a.id for a in fdef.args.args]
    order = params + [n for n in _assigned_order(fdef) if n not in params]
    rows = ["| variable | varied (depends on " + ", ".join(f"`{n}`" for n in names)
            + ") | useful (reaches the result) | gets an adjoint |",
            "|---|:-:|:-:|:-:|"]
    for var in order:
        varied, useful = var in act.varied, var in act.useful
        rows.append(f"| `{var}` | {'yes' if varied else ''} | {'yes' if useful else ''} | "
                    f"{'**yes**' if varied and useful else ''} |")
    return "\n".join(rows) + "\n"


def _assigned_order(fdef) -> list[str]:
    found: list[str] = []
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store) and \
                node.id not in found:
            found.append(node.id)
    return found


def gradient(directive: Directive) -> str:
    """``srcgrad:grad FILE:FUNC [wrt=...] [mode=grad] [args=FUNC]``, with optional
    explanations. With ``args``, the version made for the arguments that function of the same
    file returns (a tuple), after a call with them."""
    import srcgrad

    fn = load(directive.arg())
    mode = directive.options.get("mode", "grad")
    made = getattr(srcgrad, mode)(fn, wrt=_wrt(directive))
    if "args" in directive.options:
        path = directive.arg().rsplit(":", 1)[0]
        made(*load(f"{path}:{directive.options['args']}")())
    code = made.source
    if not directive.body:
        return fence(code)
    return fence(code, options='linenums="1"') + "\n" + _explain(code, directive)


def _explain(code: str, directive: Directive) -> str:
    lines = code.splitlines()
    cursor = 0
    items = []
    for entry in directive.body:
        key, sep, text = entry.partition(" :: ")
        if not sep:
            raise DirectiveError(f"explanation {entry!r} has no ' :: ' between code and text")
        first_key, dots, last_key = key.partition(" .. ")
        start = _find(lines, first_key.strip(), cursor, directive)
        end = start
        if dots and last_key.strip() == "*":  # the run of lines that all contain the key
            while end + 1 < len(lines) and first_key.strip() in lines[end + 1]:
                end += 1
        elif dots:
            end = _find(lines, last_key.strip(), start, directive)
        cursor = start
        code_text = lines[start].strip()
        if end > start:
            term = f"Lines {start + 1}–{end + 1}: `{code_text}` …"
        else:
            term = f"Line {start + 1}: `{code_text}`"
        items.append(f"{term}\n:   {text.strip()}\n")
    return "\n".join(items)


def _find(lines: list[str], key: str, start: int, directive: Directive) -> int:
    for i in range(start, len(lines)):
        if key in lines[i]:
            return i
    raise DirectiveError(
        f"the code generated for {directive.arg()} has no line containing {key!r} (after line "
        f"{start + 1}); the engine's output changed, so update the explanation")
