"""Where things are, and the few helpers every generator needs: loading functions, tidy paths."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
EXAMPLES = REPO / "examples"

log = logging.getLogger("mkdocs.hooks.srcgrad")

if str(REPO) not in sys.path:  # the srcgrad of this checkout, installed or not
    sys.path.insert(0, str(REPO))


def tidy(text: str) -> str:
    """``text`` with this checkout's absolute paths made relative to the repository."""
    root = str(REPO) + os.sep
    return text.replace(root, "").replace(str(REPO), ".")


def load(target: str) -> Callable:
    """The function ``FILE.py:FUNC``, with FILE relative to ``docs/`` (or the repository)."""
    from srcgrad.cli import load_function, split_target

    path, func = split_target(target)
    for base in (DOCS, REPO):
        if (base / path).exists():
            return load_function(f"{base / path}:{func}")
    raise FileNotFoundError(f"{path} is neither in docs/ nor in the repository")


def fence(code: str, lang: str = "python", options: str = "") -> str:
    """A fenced code block."""
    head = f"``` {lang}" + (f" {options}" if options else "")
    return f"{head}\n{code.rstrip()}\n```\n"
