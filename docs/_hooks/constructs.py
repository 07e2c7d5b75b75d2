"""The "Supported Python" table: each construct differentiated for real when the docs build.

The cases are the functions of ``docs/_examples/python_constructs.py``. A case is *supported*
when srcgrad differentiates it and its gradient matches central finite differences; otherwise
the table shows srcgrad's own error message. A case whose gradient is wrong fails the build.
"""

from __future__ import annotations

import inspect

import numpy as np
from context import DOCS, log, tidy
from directives import Directive

CASES = DOCS / "_examples" / "python_constructs.py"
POINT = np.array([0.3, -0.5, 0.8])


def _example_line(fn) -> str:
    for line in inspect.getsource(fn).splitlines():
        if line.rstrip().endswith("# <-"):
            code = line.split("# <-")[0].rstrip()
            return code.split("  # noqa")[0].strip()
    return ""


def _cases():
    from context import load

    module = inspect.getmodule(load(f"{CASES}:assignment"))
    return [fn for name, fn in vars(module).items()
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and fn.__doc__]


def outcome(fn) -> tuple[str, str]:
    """``("yes", "")`` or ``("no", message)`` for one case."""
    import srcgrad
    from srcgrad.errors import SourceError, SrcgradError

    try:
        srcgrad.check_grads(fn, POINT.copy(), wrt=0)
    except SourceError as exc:
        text = exc.what.rstrip(".") + "."
        if exc.fix:
            text += f" *Fix:* {exc.fix.rstrip('.')}."
        return "no", text
    except srcgrad.check.GradientMismatchError as exc:
        log.warning("srcgrad differentiates the construct %r (in %s) but its gradient is "
                    "wrong: %s", fn.__doc__, tidy(str(CASES)), exc)
        return "**wrong gradient**", tidy(str(exc))
    except SrcgradError as exc:
        return "no", tidy(" ".join(str(exc).split()))
    except Exception as exc:  # noqa: BLE001 - a crash inside srcgrad or its generated code
        text = f"{type(exc).__name__}: {tidy(str(exc))}"
        log.warning("differentiating the construct %r (in %s) crashes: %s", fn.__doc__,
                    tidy(str(CASES)), text)
        return "**crashes**", text
    return "yes", ""


def table(directive: Directive) -> str:
    """``srcgrad:constructs``: the table."""
    rows = ["| Construct | Example | Supported | srcgrad says |", "|---|---|:-:|---|"]
    for fn in _cases():
        if fn.__name__ not in _outcomes:
            _outcomes[fn.__name__] = outcome(fn)
        status, message = _outcomes[fn.__name__]
        example = _example_line(fn).replace("|", "\\|")
        message = message.replace("|", "\\|")
        mark = {"yes": "✅", "no": "❌"}.get(status, status)
        rows.append(f"| {fn.__doc__.strip()} | `{example}` | {mark} | {message} |")
    return "\n".join(rows) + "\n"


_outcomes: dict[str, tuple[str, str]] = {}


def supports(directive: Directive) -> str:
    """``srcgrad:supports CASE``: "yes" or "no" for one case, inline (for other tables)."""
    from directives import DirectiveError

    name = directive.arg()
    cases = {fn.__name__: fn for fn in _cases()}
    if name not in cases:
        raise DirectiveError(f"{name} is not a function of {tidy(str(CASES))}")
    if name not in _outcomes:
        _outcomes[name] = outcome(cases[name])
    return {"yes": "yes", "no": "no"}.get(_outcomes[name][0], _outcomes[name][0])
