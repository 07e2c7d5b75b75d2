"""Content taken from elsewhere at build time: other Markdown files, command output, graphs."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from context import DOCS, REPO, fence, load, tidy
from directives import Directive, DirectiveError

_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def _relink(match: re.Match) -> str:
    bang, text, target = match.groups()
    if re.match(r"[a-z]+:", target) or target.startswith("#"):
        return match.group(0)
    if bang:  # a picture next to the file: not part of the site
        return f"*({text or 'picture'}: `{target}`)*"
    return f"{text} (`{target}`)"


def markdown_file(directive: Directive) -> str:
    """``srcgrad:include PATH [shift=1] [until=TEXT] [missing=TEXT]``: a Markdown file from
    the repository, up to its first heading that starts with ``until`` (if given).

    Its first ``#`` title is dropped, headings move down ``shift`` levels, and relative links
    (which would point outside the site) become plain text naming the file.
    """
    path = REPO / directive.arg()
    if not path.exists():
        return directive.options.get("missing", f"*`{directive.arg()}` is not written yet.*") \
            + "\n"
    shift = int(directive.options.get("shift", "1"))
    until = directive.options.get("until")
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    out, in_code = [], False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        if not in_code:
            heading = re.match(r"(#{1,5}) ", line)
            if heading and until and line[heading.end():].startswith(until):
                break
            if heading:
                line = "#" * shift + line
            line = _LINK.sub(_relink, line)
        out.append(line)
    return "\n".join(out).strip() + "\n"


def cli_help(directive: Directive) -> str:
    """``srcgrad:cli-help [COMMAND]``: the ``--help`` text of the command line."""
    from srcgrad.cli import build_parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "92"
    try:
        parser = build_parser()
        if directive.args:
            sub = next(a for a in parser._actions if a.dest == "command")
            parser = sub.choices[directive.arg()]
        text = parser.format_help()
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return fence(text, "text")


def cli_run(directive: Directive) -> str:
    """``srcgrad:cli ARGS...``: run ``srcgrad ARGS`` (in the repository) and show its output."""
    from srcgrad.cli import main

    out, err = io.StringIO(), io.StringIO()
    scratch = directive.options.get("scratch")  # a file name to write in a temporary folder
    with tempfile.TemporaryDirectory() as tmp, _chdir(REPO):
        argv = [str(Path(tmp) / a) if a == scratch else a for a in directive.args]
        code = main(argv, stdout=out, stderr=err)
        for stream in (out, err):
            text = stream.getvalue().replace(str(Path(tmp) / scratch) if scratch else "\0",
                                             scratch or "")
            stream.seek(0)
            stream.truncate()
            stream.write(text)
    expect = int(directive.options.get("status", "0"))
    if code != expect:
        raise DirectiveError(f"srcgrad {' '.join(directive.args)} exited with {code}, not "
                             f"{expect}: {err.getvalue().strip()}")
    lines = out.getvalue().splitlines()
    limit = int(directive.options.get("lines", "0"))
    if limit and len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    text = "\n".join(["$ srcgrad " + " ".join(shlex.quote(a) for a in directive.args), *lines])
    if err.getvalue().strip():
        text += "\n" + tidy(err.getvalue().rstrip())
    return fence(text, "console")


@contextlib.contextmanager
def _chdir(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def script(directive: Directive) -> str:
    """``srcgrad:script PATH``: a script from ``docs/_examples``, then what it prints."""
    path = DOCS / directive.arg()
    code = path.read_text(encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH",
                                                                                 "")]))
    done = subprocess.run([sys.executable, path.name], cwd=path.parent, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(nothing)"])[-1]
        raise DirectiveError(f"{directive.arg()} failed: {tidy(last)}")
    shown = code.split("# --- docs: end ---")[0]
    body = fence(shown)
    if directive.options.get("output", "1") != "0":
        body += "\nprints\n\n" + fence(tidy(done.stdout), "text")
    return body


def graph(directive: Directive) -> str:
    """``srcgrad:graph FILE:FUNC [wrt=a,b] [adjoint=1]``: the computation graph, as SVG."""
    import srcgrad
    from srcgrad import graph as graphs

    fn = load(directive.arg())
    wrt_text = directive.options.get("wrt")
    wrt = tuple(wrt_text.split(",")) if wrt_text else None
    if directive.options.get("adjoint") == "1":
        made = srcgrad.grad(fn, wrt=wrt if wrt and len(wrt) > 1 else (wrt[0] if wrt else 0))
        dot_text = graphs.to_dot(graphs.adjoint_graph(made.source))
    else:
        dot_text = graphs.to_dot(graphs.forward_graph(fn, list(wrt) if wrt else None))
    program = graphs.dot_program()
    if program is None:
        return ("*Graphviz's `dot` was not installed when these docs were built; the graph's "
                "dot text:*\n\n" + fence(dot_text, "dot"))
    done = subprocess.run([program, "-Tsvg"], input=dot_text, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise DirectiveError(f"dot failed: {done.stderr.strip()}")
    data = base64.b64encode(done.stdout.encode()).decode()
    alt = directive.options.get("alt", f"computation graph of {directive.arg().split(':')[-1]}")
    return f'<img class="srcgrad-graph" alt="{alt}" src="data:image/svg+xml;base64,{data}">\n'
