"""Run the scripts in ``examples/`` at build time (in a reduced mode) for their pictures.

Every script gets ``--out DIR``; the arguments for each come from ``extra.srcgrad_examples`` in
``mkdocs.yml`` (a script not listed there gets ``--offline`` and ``--epochs 1`` when it accepts
them). Scripts run in parallel; results are cached (``$SRCGRAD_DOCS_CACHE``, by default
``~/.cache/srcgrad-docs``) under a hash of the script, the example helpers, srcgrad's sources
and the arguments, so a rebuild with nothing changed runs nothing. ``SRCGRAD_DOCS_EXAMPLES=0``
skips running them (the pages then say so).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from context import EXAMPLES, REPO, log, tidy

TIMEOUT = 150  # seconds per script
WORKERS = max(1, min(4, (os.cpu_count() or 1) // 2))
THREADS = max(1, (os.cpu_count() or 1) // WORKERS)


@dataclass
class Example:
    """One script in ``examples/`` and, once run, what it made."""

    path: Path
    args: list[str]
    title: str = ""
    doc: str = ""
    pictures: list[Path] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    ran: bool = False
    error: str = ""

    @property
    def name(self) -> str:
        return self.path.stem


def scripts() -> list[Path]:
    """The example programs: scripts in ``examples/`` that run something when executed."""
    found = []
    for path in sorted(EXAMPLES.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "__main__" in text:
            found.append(path)
    return found


def describe(path: Path) -> tuple[str, str]:
    """The script docstring's first line and the rest."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        doc = ""
    first, _, rest = doc.partition("\n")
    return first.strip().rstrip("."), rest.strip()


def _accepts(path: Path, option: str) -> bool:
    """Whether the script has ``option`` (``ex.parser(..., epochs=10)`` adds ``--epochs``)."""
    text = path.read_text(encoding="utf-8")
    return option in text or f"{option[2:]}=" in text


def default_args(path: Path) -> list[str]:
    args = []
    if _accepts(path, "--offline"):
        args.append("--offline")
    if _accepts(path, "--epochs"):
        args += ["--epochs", "1"]
    return args


def _cache_root() -> Path:
    root = os.environ.get("SRCGRAD_DOCS_CACHE")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "srcgrad-docs"


def _key(example: Example) -> str:
    digest = hashlib.sha256()
    sources = [example.path, *sorted(EXAMPLES.glob("*_utils.py")),
               *sorted((REPO / "srcgrad").rglob("*.py"))]
    for source in sources:
        digest.update(str(source.relative_to(REPO)).encode())
        digest.update(source.read_bytes())
    digest.update(json.dumps(example.args).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:20]


def _run(example: Example) -> Example:
    cache = _cache_root() / f"{example.name}-{_key(example)}"
    if (cache / "result.json").exists():
        result = json.loads((cache / "result.json").read_text())
        example.output, example.seconds = result["output"], result["seconds"]
        example.pictures = sorted(cache.glob("*.png"))
        example.ran = True
        return example
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
            [str(REPO), os.environ.get("PYTHONPATH", "")]))
        # Scripts run side by side: share the cores instead of each BLAS taking all of them.
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, str(THREADS))
        command = [sys.executable, str(example.path), *example.args, "--out", str(out)]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=EXAMPLES, env=env, capture_output=True,
                                  text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            example.error = f"did not finish in {TIMEOUT} s"
            return example
        example.seconds = time.perf_counter() - start
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            example.error = f"exited with status {done.returncode}: {tidy(last)}"
            return example
        example.output = tidy(done.stdout.replace(str(out) + os.sep, "").replace(str(out), "."))
        cache.mkdir(parents=True, exist_ok=True)
        for png in sorted(out.glob("*.png")):
            shutil.copy(png, cache / png.name)
        (cache / "result.json").write_text(json.dumps({"output": example.output,
                                                       "seconds": example.seconds}))
        example.pictures = sorted(cache.glob("*.png"))
        example.ran = True
    return example


def run_all(settings: dict[str, list] | None) -> dict[str, Example]:
    """Run every example script (or none, with ``SRCGRAD_DOCS_EXAMPLES=0``), by name."""
    settings = settings or {}
    examples = {}
    for path in scripts():
        args = settings.get(path.name, settings.get(path.stem))
        args = default_args(path) if args is None else [str(a) for a in args]
        title, doc = describe(path)
        examples[path.stem] = Example(path, args, title, doc)
    if os.environ.get("SRCGRAD_DOCS_EXAMPLES", "1") == "0":
        return examples
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(_run, examples.values()))
    for example in examples.values():
        if "optional package" in example.error:  # pip install -e ".[examples]" is missing
            log.info("examples/%s.py %s", example.name, example.error)
        elif example.error:
            log.warning("examples/%s.py %s %s", example.name, " ".join(example.args),
                        example.error)
    return examples
