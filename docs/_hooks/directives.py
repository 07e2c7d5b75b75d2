"""The ``<!-- srcgrad:NAME ARGS ... -->`` markers that pages use to ask for generated content.

A marker's first line holds its name and arguments (shell-like words; ``key=value`` words are
options, the others positional); the lines after it, up to ``-->``, are its body::

    <!-- srcgrad:grad _examples/pipeline.py:predict wrt=w,b
    dy_2 = dy * :: tanh's rule: the derivative of tanh is 1 - tanh squared.
    -->
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

MARKER = re.compile(r"<!--\s*srcgrad:([\w-]+)([^\n]*?)(?:\n(.*?))?\s*-->", re.DOTALL)


@dataclass
class Directive:
    """One marker: its name, positional arguments, options and body lines."""

    name: str
    args: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    body: list[str] = field(default_factory=list)

    def arg(self, index: int = 0, default: str | None = None) -> str:
        if index < len(self.args):
            return self.args[index]
        if default is None:
            raise DirectiveError(f"srcgrad:{self.name} needs argument {index + 1}")
        return default


class DirectiveError(Exception):
    """A marker that cannot be expanded (reported as a build warning)."""


def parse(match: re.Match) -> Directive:
    name, head, body = match.group(1), match.group(2), match.group(3) or ""
    directive = Directive(name)
    for word in shlex.split(head):
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            directive.options[key] = value
        else:
            directive.args.append(word)
    directive.body = [line for line in body.splitlines() if line.strip()]
    return directive


def find(markdown: str) -> list[Directive]:
    """Every marker in a page, in order."""
    return [parse(m) for m in MARKER.finditer(markdown)]


def expand(markdown: str, handler: Callable[[Directive], str],
           on_error: Callable[[Directive, Exception], str]) -> str:
    """Replace each marker with ``handler(directive)`` (or ``on_error``'s text if it fails)."""

    def replace(match: re.Match) -> str:
        directive = parse(match)
        try:
            return handler(directive)
        except Exception as exc:  # noqa: BLE001 - any failure becomes a build warning
            return on_error(directive, exc)

    return MARKER.sub(replace, markdown)
