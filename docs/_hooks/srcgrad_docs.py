"""MkDocs hooks that write the generated parts of srcgrad's documentation at build time.

Pages ask for content with markers (see :mod:`directives`): code listings made by srcgrad
(:mod:`listings`), tables from the rule registry (:mod:`tables`), the Python support matrix
(:mod:`constructs`), real error messages (:mod:`errors_page`), command output and included
files (:mod:`includes`), and the pictures of the example scripts (:mod:`examples_run`), which
also get a page each unless ``docs/examples/<name>.md`` exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import constructs
import directives
import errors_page
import examples_run
import includes
import listings
import tables
import timing
from context import log, tidy

HANDLERS = {
    "source": listings.source,
    "normalized": listings.normalized,
    "activity": listings.activity,
    "grad": listings.gradient,
    "numpy-rules": tables.numpy_tables,
    "python-rules": tables.python_tables,
    "methods": tables.method_table,
    "nondiff": tables.nondiff_list,
    "fusions": tables.fusion_table,
    "rule-counts": tables.counts,
    "constructs": constructs.table,
    "supports": constructs.supports,
    "error-tree": errors_page.hierarchy,
    "error-details": errors_page.details,
    "include": includes.markdown_file,
    "cli-help": includes.cli_help,
    "cli": includes.cli_run,
    "script": includes.script,
    "graph": includes.graph,
    "transform-times": timing.transform_times,
    "overhead": timing.overhead,
}

_state: dict = {"examples": {}}
EXAMPLE_DIR = "examples"


def _example_page(name: str) -> str:
    return f"{EXAMPLE_DIR}/{name}.md"


def on_config(config):
    """Give every example script a place in the navigation, after ``examples/index.md``."""
    names = [p.stem for p in examples_run.scripts()]
    for item in config.nav or []:
        if isinstance(item, dict) and "Examples" in item:
            section = item["Examples"]
            listed = {next(iter(e.values())) if isinstance(e, dict) else e for e in section}
            for name in names:
                page = _example_page(name)
                if page not in listed:
                    title = examples_run.describe(examples_run.EXAMPLES / f"{name}.py")[0]
                    section.append({_short_title(title, name): page})
    return config


def _short_title(title: str, name: str) -> str:
    return title.split(":")[0].split(" with ")[0] if title else name


def on_files(files, config):
    """Run the examples; add their pictures, and a page for each script without one."""
    from mkdocs.structure.files import File

    examples = examples_run.run_all(config.extra.get("srcgrad_examples"))
    _state["examples"] = examples
    for name, example in examples.items():
        for picture in example.pictures:
            files.append(File.generated(config, f"{EXAMPLE_DIR}/img/{name}/{picture.name}",
                                        abs_src_path=str(picture)))
        page = _example_page(name)
        if files.get_file_from_path(page) is None:
            files.append(File.generated(config, page, content=_generated_page(example)))
    return files


def _generated_page(example) -> str:
    return (f"# {example.title or example.name}\n\n{tables.rst_to_markdown(example.doc)}\n\n"
            f"<!-- srcgrad:example {example.name} -->\n")


def example_section(directive) -> str:
    """``srcgrad:example NAME``: how to run it, its pictures and what it printed."""
    name = directive.arg()
    example = _state["examples"].get(name)
    if example is None:
        raise directives.DirectiveError(f"there is no examples/{name}.py")
    out = ["```bash", f"python examples/{name}.py", "```", ""]
    if not example.ran:
        reason = example.error or "SRCGRAD_DOCS_EXAMPLES=0"
        out.append(f"*The pictures were not made for this build ({reason}).*\n")
        return "\n".join(out)
    command = " ".join(["python", f"examples/{name}.py", *example.args, "--out", "DIR"])
    out.append(f"These pictures were made when the documentation was built, by `{command}` "
               f"({example.seconds:.0f} s):\n")
    for picture in example.pictures:
        alt = picture.stem.replace("_", " ")
        out.append(f"![{alt}](img/{name}/{picture.name})\n")
    if example.output.strip():
        out.append("It printed:\n")
        out.append("```text\n" + _without_progress(example.output).strip() + "\n```\n")
    return "\n".join(out)


def _without_progress(text: str) -> str:
    return "\n".join(line.split("\r")[-1] for line in text.splitlines())


def example_index(directive) -> str:
    """``srcgrad:example-index``: every example with its first picture."""
    out = []
    for name, example in _state["examples"].items():
        out.append(f"## [{example.title or name}]({name}.md)\n")
        out.append(f"`examples/{name}.py`\n")
        if example.pictures:
            out.append(f"[![{name}](img/{name}/{example.pictures[0].name}){{ width=\"480\" }}]"
                       f"({name}.md)\n")
    return "\n".join(out)


HANDLERS["example"] = example_section
HANDLERS["example-index"] = example_index


def _handle(directive):
    handler = HANDLERS.get(directive.name)
    if handler is None:
        raise directives.DirectiveError(f"unknown marker srcgrad:{directive.name}")
    return handler(directive)


def on_page_markdown(markdown, page, config, files):
    """Expand the page's markers; a marker that fails is a build warning."""

    def failed(directive, exc):
        log.warning("%s: srcgrad:%s %s: %s: %s", page.file.src_uri, directive.name,
                    " ".join(directive.args), type(exc).__name__, tidy(str(exc)))
        return f"\n!!! failure \"This part could not be generated\"\n    {tidy(str(exc))}\n"

    return directives.expand(markdown, _handle, failed)


_ROLE = re.compile(r":(?:func|class|mod|meth|data|attr|exc|obj):(?=<code>)")


def on_page_content(html, page, config, files):
    """Drop reST roles (``:func:``) that docstrings carry into the API pages."""
    return _ROLE.sub("", html)
