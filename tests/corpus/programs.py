"""Random NumPy programs for fuzzing the engine: straight-line code and loops over a few
mutually broadcastable shapes, written to a module file (srcgrad reads source)."""

from __future__ import annotations

import importlib.util
import itertools
import re

from hypothesis import strategies as st

SHAPES = {"a": (3,), "b": (2, 3), "c": (2, 1)}  # the parameters; () for Python floats
_UNARY = ["np.sin({})", "np.tanh({})", "np.exp(-({}) * ({}))", "({}) ** 2", "-({})",
          "np.cos({}) * 0.5", "np.sqrt(({}) ** 2 + 1.0)",
          "1.0 / (1.0 + np.exp(-({})))", "({0}) * ({0})"]  # (fused: a sigmoid, a square)
_BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / (1.5 + np.cos({}))",
           "np.maximum({}, {})", "np.where({0} > {1}, {0}, {1} * 0.5)"]
_REDUCE = ["np.sum({}, axis=-1, keepdims=True)", "np.mean({}, axis=0)", "{}.sum()",
           "np.max({}, axis=0)"]
_counter = itertools.count()


@st.composite
def statements(draw, names, depth=0, control_flow=False):
    """A list of source lines (without indentation) assigning new or existing variables;
    with ``control_flow``, ifs and whiles too (for loops always)."""
    lines = []
    names = list(names)
    for _ in range(draw(st.integers(2, 5))):
        nested = (["loop", "if", "while"] if control_flow else ["loop"]) if depth < 2 \
            else ["binary"]
        kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce", "augmented",
                                     "append", "recall"] + nested))
        pick = st.sampled_from(names)
        if kind == "if":
            lines.append(f"if np.sum({draw(pick)}) > {draw(st.sampled_from(['0', '0.5']))}:")
            lines.extend("    " + line for line in draw(statements(names, depth + 1, control_flow)))
            if draw(st.booleans()):
                lines.append("else:")
                lines.extend("    " + line for line in draw(statements(names, depth + 1, control_flow)))
            continue
        if kind == "while":
            counter = f"k{depth}"
            lines.append(f"{counter} = 0")
            lines.append(f"while {counter} < 3 and np.sum({draw(pick)} ** 2) < 8.0:")
            lines.extend("    " + line for line in draw(statements(names, depth + 1, control_flow)))
            lines.append(f"    {counter} = {counter} + 1")
            if draw(st.booleans()):
                lines.append(f"    if np.sum({draw(pick)}) > 1.0:")
                lines.append("        break")
            continue
        if kind == "loop":
            body = draw(statements(names, depth + 1, control_flow))
            header = draw(st.sampled_from(["for _ in range(2):", f"for i{depth} in range(3):",
                                           f"for i{depth} in range(2, 0, -1):"]))
            lines.append(header)
            lines.extend("    " + line for line in body)
            continue
        target = draw(st.sampled_from(names + [f"v{len(names)}"]))
        if kind == "append":  # a list of values, grown before and inside loops
            lines.append(f"hist.append(np.tanh({draw(pick)}))")
            continue
        if kind == "recall":
            item = draw(st.sampled_from(["hist[-1]", "hist[0]", "hist[len(hist) // 2]"]))
            value = f"{item} * {draw(pick)}"
            lines.append(f"{target} = {value}")
            if target not in names:
                names.append(target)
            continue
        if kind == "unary":
            template = draw(st.sampled_from(_UNARY))
            x = draw(pick)
            value = template.format(x, x)
        elif kind == "binary":
            value = draw(st.sampled_from(_BINARY)).format(draw(pick), draw(pick))
        elif kind == "reduce":
            value = draw(st.sampled_from(_REDUCE)).format(draw(pick)) + " + " + draw(pick)
        else:
            op = draw(st.sampled_from(["+=", "*=", "-="]))
            lines.append(f"{target} = {target if target in names else draw(pick)} * 1.0")
            lines.append(f"{target} {op} np.tanh({draw(pick)})")
            names.append(target) if target not in names else None
            continue
        lines.append(f"{target} = {value}")
        if target not in names:
            names.append(target)
    return lines


@st.composite
def programs(draw, control_flow=False):
    """Source of a function ``f(a, b, c)`` returning a scalar."""
    body = draw(statements(list(SHAPES), control_flow=control_flow))
    assigned = sorted({line.split("=")[0].split()[0] for line in body
                       if " = " in line and not line.startswith((" ", "k"))} or {"a"})
    last = draw(st.sampled_from(assigned))
    other = draw(st.sampled_from(list(SHAPES) + assigned))
    lines = ["import numpy as np", "", "", "def f(a, b, c):", "    hist = [a]"]
    lines += ["    " + line for line in body]
    lines.append(f"    return np.sum({last} * {other})")
    return "\n".join(lines) + "\n"


def without_augmented_assignment(source: str) -> str:
    """``x += e`` written as ``x = x + (e)``: the same here (every such x is a fresh array),
    and traceable by autograd, whose boxes cannot be updated in place."""
    return re.sub(r"^(\s*)(\w+) ([-+*])= (.*)$", r"\1\2 = \2 \3 (\4)", source,
                  flags=re.MULTILINE)


def load(source: str, directory):
    """Write ``source`` to a new module in ``directory`` and return its function ``f``."""
    path = directory / f"program_{next(_counter)}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f
