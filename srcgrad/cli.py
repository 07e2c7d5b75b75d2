"""The ``srcgrad`` command line: show, export and draw gradients of functions in Python files.

::

    srcgrad show FILE.py:FUNC [--wrt a,b] [--mode grad|value_and_grad|vjp] [--color WHEN]
    srcgrad export FILE.py:FUNC -o OUT.py [--wrt a,b] [--mode ...]
    srcgrad rules [PATTERN]
    srcgrad graph FILE.py:FUNC [--adjoint] [--wrt a,b] [-o OUT.dot|.svg|.png|.pdf]

``python -m srcgrad`` is the same program. FILE.py is imported as a module (its directory is put
on ``sys.path`` first, so it can import its neighbours), which runs its top-level code but not
its ``if __name__ == "__main__":`` block. Errors are one line on stderr; the exit status is 0 on
success, 1 for an error, 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import graph as graphs
from .errors import SourceError, SrcgradError
from .ir import facts

if TYPE_CHECKING:
    from .api import Gradient

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
MODES = ("grad", "value_and_grad", "vjp")


class CommandError(Exception):
    """A problem to report on one line (a missing file, an unknown function ...)."""


# -- loading FILE.py:FUNC ---------------------------------------------------------------------

def split_target(target: str) -> tuple[Path, str]:
    """``"path/to/file.py:func"`` as ``(Path("path/to/file.py"), "func")``."""
    path, sep, func = target.rpartition(":")
    if not sep or not path or not func:
        raise CommandError(f"expected FILE.py:FUNCTION, got {target!r}")
    return Path(path), func


def load_module(path: Path) -> Any:
    """Import the Python file at ``path`` as a module, so that srcgrad can read its source."""
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.is_dir():
        raise CommandError(f"{path} is a directory, not a Python file")
    path = path.resolve()
    name = "_srcgrad_cli_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"{path}: cannot import this file (is it a .py file?)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        where = _relative(exc.filename or str(path))
        where += f":{exc.lineno}" if exc.lineno else ""
        raise CommandError(f"{where}: syntax error: {exc.msg}") from None
    except SystemExit as exc:
        sys.modules.pop(name, None)
        raise CommandError(f"{path}: importing it called sys.exit({exc.code!r})") from None
    except Exception as exc:  # noqa: BLE001 - the user's top-level code failed: report it
        sys.modules.pop(name, None)
        raise CommandError(f"{path}: importing it raised {type(exc).__name__}: "
                           f"{_one_line(str(exc))}") from None
    return module


def load_function(target: str) -> Callable:
    """The function named by ``FILE.py:FUNC`` (``FUNC`` may be dotted: ``Model.loss``)."""
    path, func_name = split_target(target)
    module = load_module(path)
    obj: Any = module
    for part in func_name.split("."):
        if not hasattr(obj, part):
            defined = sorted(n for n, v in vars(module).items()
                             if inspect.isfunction(v) and v.__module__ == module.__name__)
            hint = f"; it defines {', '.join(defined)}" if defined else ""
            raise CommandError(f"{path} has no function {func_name!r}{hint}")
        obj = getattr(obj, part)
    obj = getattr(obj, "__wrapped__", obj)  # a function decorated with @grad: its original
    if not callable(obj):
        raise CommandError(f"{path}: {func_name} is a {type(obj).__name__}, not a function")
    return obj


def parse_wrt(text: str | None) -> Any:
    """``"W,b"`` as ``("W", "b")``, ``"0"`` as ``0``, ``None`` as the default (``0``)."""
    if text is None:
        return 0
    items: list[int | str] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise CommandError(f"--wrt {text!r}: empty parameter name")
        items.append(int(part) if part.lstrip("-").isdigit() else part)
    return items[0] if len(items) == 1 else tuple(items)


def wrt_names(fn: Callable, wrt: Any) -> list[str]:
    """The parameter names ``wrt`` (as :func:`parse_wrt` gives it) selects in ``fn``."""
    params = list(inspect.signature(inspect.unwrap(fn)).parameters)
    names = []
    for item in wrt if isinstance(wrt, tuple) else (wrt,):
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise CommandError(f"--wrt {item} is out of range: {fn.__name__} has "
                                   f"{len(params)} parameters ({', '.join(params)})")
            names.append(params[item])
        elif item in params:
            names.append(item)
        else:
            raise CommandError(f"{fn.__name__} has no parameter named {item!r}; its "
                               f"parameters are {', '.join(params)}")
    return names


def make_gradient(fn: Callable, wrt: Any, mode: str) -> Gradient:
    """``grad``, ``value_and_grad`` or ``vjp`` of ``fn``."""
    from . import api

    return getattr(api, mode)(fn, wrt=wrt)


# -- commands ---------------------------------------------------------------------------------

def _use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def highlight(source: str, color: bool) -> str:
    """``source`` with terminal colours when ``color`` and pygments is installed."""
    if not color:
        return source
    try:
        from pygments import highlight as pyg_highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return source
    return pyg_highlight(source, PythonLexer(), TerminalFormatter())


def parse_shapes(text: str, fn: Callable) -> dict[str, Any]:
    """``"x=128x784,W=784x256,k=float"`` as ``{"x": (128, 784), "W": (784, 256), "k": float}``
    (``x=`` alone: a 0-d array)."""
    params = list(inspect.signature(inspect.unwrap(fn)).parameters)
    shapes: dict[str, Any] = {}
    for item in text.split(","):
        name, equals, spec = (part.strip() for part in item.partition("="))
        if not equals or name not in params:
            raise CommandError(f"--shapes {text!r}: {item.strip()!r} should be NAME=3x4 (or "
                               f"NAME=float) with NAME one of {', '.join(params)}")
        if spec in ("float", "int"):
            shapes[name] = float
            continue
        dims = spec.split("x") if spec else []
        if not all(d.strip().isdigit() for d in dims):
            raise CommandError(f"--shapes: {name}={spec} is not a shape like 3x4 (sizes are "
                               "whole numbers, 0 or more)")
        shapes[name] = tuple(int(d) for d in dims)
    return shapes


def check_shapes_fit(fn: Callable, wrt: Any, shapes: dict[str, Any], mode: str = "grad") -> None:
    """Refuse shapes that make a line of ``fn`` fail whatever the values (``x @ y`` with
    x=2x3 and y=4x5), naming the line (of ``fn`` as the ``mode`` function for these shapes
    differentiates it)."""
    from .passes.shapes import shape_conflicts
    from .transform import front_end

    numbers = frozenset((n, "scalar") for n, s in shapes.items() if s is float)
    try:
        front = front_end(fn, wrt_names(fn, wrt), mode, numbers)
    except SrcgradError:  # making the gradient says what is wrong
        return
    fdef, parsed = front.fdef, front.parsed
    arrays = {n: (() if s is float else s) for n, s in shapes.items()}
    for stmt, why in shape_conflicts(fdef, arrays)[:1]:
        source = (facts(stmt).source or parsed.source)
        line = facts(stmt).line
        where = f"{_relative(source.filename)}:{line}" if line else _relative(source.filename)
        given = ", ".join(f"{n}={'x'.join(map(str, s)) if s != () else '()'}"
                          for n, s in arrays.items())
        raise CommandError(f"{where}: arguments of shapes {given} cannot go together here: "
                           f"{_one_line(source.line(line))} ({_one_line(why)})")


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    fn = load_function(args.target)
    wrt = parse_wrt(args.wrt)
    gradient = make_gradient(fn, wrt, args.mode)
    source = gradient.source
    if args.shapes:  # the version a call with arrays of these shapes would run
        from . import api

        shapes = parse_shapes(args.shapes, fn)
        check_shapes_fit(fn, wrt, shapes, args.mode)
        numbers = frozenset((n, "scalar") for n, s in shapes.items() if s is float)
        arrays = frozenset((n, () if s is float else s) for n, s in shapes.items())
        source = api.generated(fn, tuple(wrt_names(fn, wrt)), args.mode,
                               isinstance(wrt, tuple), numbers, arrays).source
    out.write(highlight(source, _use_color(args.color, out)))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .export import export

    fn = load_function(args.target)
    gradient = make_gradient(fn, parse_wrt(args.wrt), args.mode)
    path = Path(args.output)
    sources = {Path(p).resolve() for p in (split_target(args.target)[0],
                                           inspect.getsourcefile(fn)) if p}
    if path.resolve() in sources:
        raise CommandError(f"refusing to write the gradient over {path}, the source of "
                           f"{fn.__name__}: choose another output file")
    if path.parent and not path.parent.exists():
        raise CommandError(f"cannot write {path}: the folder {path.parent} does not exist")
    try:
        export(gradient, path)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    err.write(f"wrote {path} ({gradient.__name__})\n")
    return EXIT_OK


def display_name(rule: Any) -> str:
    """How a rule's primitive is written in code: ``np.exp``, ``+``, ``getitem``, ``abs``.

    Aliases share the rule (and the name) of the function they stand for; this is the name
    of the aliasing key itself.
    """
    key = rule.key
    if isinstance(key, str):
        return key
    if getattr(key, "__module__", None) == "builtins" and hasattr(key, "__name__"):
        return key.__name__
    return rule.name


def rule_lines(pattern: str | None = None) -> list[str]:
    """One line per primitive with a rule (and per array method), filtered by ``pattern``.

    A pattern with ``*``, ``?`` or ``[`` is matched with :mod:`fnmatch`, anything else as a
    case-insensitive substring.
    """
    from .rules.operators import syntax_form
    from .rules.registry import _METHODS, all_rules

    entries: list[tuple[str, str, str]] = []  # (shown, note, also matched by the pattern)
    for rule in all_rules():
        name = display_name(rule)
        params = ", ".join(_param_text(p) for p in rule.signature.parameters.values())
        if not rule.differentiable:
            note = "no gradient"
        else:
            diff = [p for p in rule.signature.parameters if p in rule.adjoints]
            note = "differentiable in " + ", ".join(diff)
        if name != rule.name:
            note += f" (as {rule.name})"
        shown = f"{name}({params})" if _is_function(name) else syntax_form(name)
        entries.append((shown, note, name))
    for method in sorted(_METHODS.values(), key=lambda m: m.name):
        target = getattr(method.function, "__name__", str(method.function))
        entries.append((f"x.{method.name}(...)", f"method: np.{target}(x, ...)",
                        method.name))

    def matches(shown: str, key: str) -> bool:
        if pattern is None:
            return True
        if any(c in pattern for c in "*?["):
            return any(fnmatch.fnmatchcase(t, pattern) for t in (shown.split("(")[0], key))
        return any(pattern.lower() in t.lower() for t in (shown, key))

    chosen = [(shown, note) for shown, note, key in entries if matches(shown, key)]
    width = min(max((len(n) for n, _ in chosen), default=0), 60)
    return [f"{name:<{width}}  {note}" if len(name) <= width else f"{name}\n{'':<{width}}  {note}"
            for name, note in chosen]


def _param_text(param: inspect.Parameter) -> str:
    prefix = {"VAR_POSITIONAL": "*", "VAR_KEYWORD": "**"}.get(param.kind.name, "")
    return prefix + param.name


def _is_function(name: str) -> bool:
    return name.replace(".", "").replace("_", "").isalnum() and not name.startswith("attr")


def cmd_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lines = rule_lines(args.pattern)
    if not lines:
        raise CommandError(f"no primitive matches {args.pattern!r}")
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


def cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    fn = load_function(args.target)
    wrt = parse_wrt(args.wrt)
    if args.adjoint:
        graph = graphs.adjoint_graph(make_gradient(fn, wrt, "grad").source)
    else:
        graph = graphs.forward_graph(fn, wrt_names(fn, wrt) if args.wrt is not None else None)
    text = graphs.to_dot(graph)
    if args.output is None:
        out.write(text)
        return EXIT_OK
    path = Path(args.output)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("dot", "gv"):
        _write(path, text)
        err.write(f"wrote {path}\n")
        return EXIT_OK
    if suffix not in graphs.RENDER_FORMATS:
        raise CommandError(f"cannot write a graph to {path.name}: use a .dot, .svg, .png or "
                           ".pdf file")
    if graphs.dot_program() is None:
        dot_path = path.with_suffix(".dot")
        _write(dot_path, text)
        raise CommandError(f"cannot write {path}: Graphviz's dot program is not installed "
                           f"(wrote the dot text to {dot_path}; install Graphviz and render "
                           f"it with: dot -T{suffix} {dot_path} -o {path})")
    graphs.render(text, path, suffix)
    err.write(f"wrote {path}\n")
    return EXIT_OK


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None


# -- the parser and main ----------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``srcgrad`` command."""
    parser = argparse.ArgumentParser(
        prog="srcgrad",
        description="Reverse-mode automatic differentiation of NumPy code by source "
                    "transformation: show, export and draw the gradient code srcgrad writes.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"srcgrad {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def target(p: argparse.ArgumentParser) -> None:
        p.add_argument("target", metavar="FILE.py:FUNC",
                       help="a Python file and the name of a function it defines")
        p.add_argument("--wrt", metavar="A,B",
                       help="parameters to differentiate, by name or index, comma-separated "
                            "(default: the first)")

    def mode(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mode", choices=MODES, default="grad",
                       help="which function to generate (default: grad)")

    show = commands.add_parser("show", help="print the generated gradient source",
                               description="Print the gradient code srcgrad generates.")
    target(show)
    mode(show)
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="colour the code (auto: on a terminal, when pygments is installed)")
    show.add_argument("--shapes", metavar="X=128x784,K=float",
                      help="the version made for arguments of these shapes (or numbers), "
                           "as a call with them runs it")
    show.set_defaults(run=cmd_show)

    export = commands.add_parser("export", help="write the gradient as a standalone module",
                                 description="Write the gradient as a module that needs only "
                                             "NumPy.")
    target(export)
    mode(export)
    export.add_argument("-o", "--output", required=True, metavar="OUT.py",
                        help="the module to write")
    export.set_defaults(run=cmd_export)

    rules = commands.add_parser("rules", help="list the primitives srcgrad has rules for",
                                description="List the primitives srcgrad can differentiate "
                                            "(and those it knows carry no gradient).")
    rules.add_argument("pattern", nargs="?", metavar="PATTERN",
                       help="a glob (np.linalg.*) or a substring (exp) to filter by")
    rules.set_defaults(run=cmd_rules)

    graph = commands.add_parser("graph", help="draw the computation graph (Graphviz dot)",
                                description="Draw the computation graph of the normalized "
                                            "function, or of its gradient code with --adjoint. "
                                            "Without -o the dot text goes to stdout.")
    target(graph)
    graph.add_argument("--adjoint", action="store_true",
                       help="draw the generated gradient code instead")
    graph.add_argument("-o", "--output", metavar="OUT",
                       help="a .dot file, or .svg/.png/.pdf (rendered with Graphviz's dot "
                            "when it is installed)")
    graph.set_defaults(run=cmd_graph)
    return parser


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def describe_error(exc: BaseException) -> str:
    """An error as one line: ``file:line: what is wrong. Fix: what to do``."""
    if isinstance(exc, SourceError):
        where = ""
        if exc.filename is not None:
            where = f"{_relative(exc.filename)}:{exc.lineno}: " if exc.lineno else \
                f"{_relative(exc.filename)}: "
        text = where + exc.what.rstrip(".")
        if exc.fix:
            text += f". Fix: {exc.fix}"
        return _one_line(text)
    return _one_line(str(exc)) or type(exc).__name__


def _relative(filename: str) -> str:
    try:
        return os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.run(args, out, err)
    except (CommandError, SrcgradError) as exc:
        err.write(f"srcgrad: error: {describe_error(exc)}\n")
    except RecursionError:
        err.write("srcgrad: error: the function is nested too deeply to transform\n")
    except BrokenPipeError:  # srcgrad show ... | head
        return EXIT_OK
    return EXIT_ERROR
