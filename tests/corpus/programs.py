"""Random NumPy programs for fuzzing the engine, written to module files (srcgrad reads source).

:func:`programs`: straight-line code, loops and branches over a few mutually broadcastable
shapes. :func:`family_programs`: such code with snippets of one family of issue 10 (aliasing and
in-place writes, ``out=``, effects, fancy writes, literals, casts, walrus, closures ...).
:func:`check_program` checks one program's value and gradients against the function itself and
central differences (tests/test_fuzz_families.py in CI, tests/fuzz_long.py for long runs).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib.util
import itertools
import re
import signal
import threading

import numpy as np
from hypothesis import strategies as st

from srcgrad.check import numerical_grad

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
def statements(draw, names, depth=0, control_flow=False, keep=()):
    """A list of source lines (without indentation) assigning new or existing variables (never
    those in ``keep``); with ``control_flow``, ifs and whiles too (for loops always)."""
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
            lines.extend("    " + line for line in draw(statements(names, depth + 1, control_flow, keep)))
            if draw(st.booleans()):
                lines.append("else:")
                lines.extend("    " + line for line in draw(statements(names, depth + 1, control_flow, keep)))
            continue
        if kind == "while":
            counter = f"k{depth}"
            lines.append(f"{counter} = 0")
            lines.append(f"while {counter} < 3 and np.sum({draw(pick)} ** 2) < 8.0:")
            lines.extend("    " + line for line in draw(statements(names, depth + 1, control_flow, keep)))
            lines.append(f"    {counter} = {counter} + 1")
            if draw(st.booleans()):
                lines.append(f"    if np.sum({draw(pick)}) > 1.0:")
                lines.append("        break")
            continue
        if kind == "loop":
            body = draw(statements(names, depth + 1, control_flow, keep))
            header = draw(st.sampled_from(["for _ in range(2):", f"for i{depth} in range(3):",
                                           f"for i{depth} in range(2, 0, -1):"]))
            lines.append(header)
            lines.extend("    " + line for line in body)
            continue
        target = draw(st.sampled_from([n for n in names if n not in keep] + [f"v{len(names)}"]))
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
            op, operand = draw(st.sampled_from(["+=", "*=", "-="])), draw(pick)
            source = target if target in names else draw(pick)  # (broadcast to the operand's
            lines.append(f"{target} = {source} * 1.0 + 0.0 * {operand}")  # shape: valid in place)
            lines.append(f"{target} {op} np.tanh({operand})")
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


# -- the families of issue 10: aliasing, effects, literals, casts, walrus, closures ---------------
#
# A family program is random code (as above) with one or two *snippets* of a family in it. Each
# snippet writes its own names (suffix ``_<n>``) and ends with a scalar ``s_<n>`` that reads
# every alias it made after the writes; the function returns a sum that includes the scalars.

#: The helpers a program may call (one returning its argument, one writing into it).
HELPERS = {"keep": "def keep(t):\n    return t\n",
           "scale_in_place": "def scale_in_place(t):\n    t *= 2.0\n    return t\n",
           "add_all": "def add_all(*parts, scale=1.0, **options):\n    total = 0.0\n"
                      "    for part in parts:\n        total = total + np.sum(part)\n"
                      "    return total * scale + options.get('shift', 0.0)\n",
           "divmod_like": "def divmod_like(t, u):\n    return t * u, np.sin(t) + u\n"}


def with_helpers(body_source: str) -> str:
    """``import numpy as np``, the helpers ``body_source`` calls, then ``body_source``."""
    used = [text for name, text in HELPERS.items() if f"{name}(" in body_source]
    return "\n\n\n".join(["import numpy as np", *used, body_source])


#: The container parameter of programs that have one: a list of two arrays.
CONTAINER_SHAPES = ((3,), (2, 3))

# Views (and look-alikes that copy) of an array of one or two dimensions.
_VIEWS_1D = ["np.reshape({y}, (-1,))", "{y}.reshape(-1)", "np.ravel({y})", "{y}.ravel()",
             "np.transpose({y})", "{y}.T", "np.asarray({y})", "np.asanyarray({y})",
             "np.expand_dims({y}, 0)", "{y}[1:]", "{y}[::-1]", "{y}[...]", "{y}[:]",
             "np.atleast_2d({y})", "{y}.reshape(3, 1)", "np.reshape({y}, (1, 3))", "{y}[None]",
             "np.squeeze({y})", "np.asarray({y}, dtype=float)", "{y}.astype(float, copy=False)",
             # copies that look like views
             "{y}.copy()", "np.array({y})", "{y}.flatten()", "{y}[[0, 1, 2]]",
             "{y}.astype(float)"]
_VIEWS_2D = ["np.reshape({y}, (-1,))", "{y}.reshape(-1)", "np.ravel({y})", "{y}.ravel()",
             "np.transpose({y})", "{y}.T", "np.asarray({y})", "np.swapaxes({y}, 0, 1)",
             "{y}[0]", "{y}[-1]", "{y}[:, 0]", "{y}[:, :1]", "{y}[1:]", "{y}[::-1]",
             "np.squeeze({y})", "np.expand_dims({y}, 1)", "{y}[0, :]", "{y}.T[0]",
             "np.ravel({y}.T)", "{y}.reshape(2, -1)", "np.moveaxis({y}, 0, -1)",
             # copies that look like views
             "{y}.flatten()", "{y}.T.copy()", "np.array({y})", "{y}[[1, 0]]"]
# Writes into an array ``{v}`` of one or more dimensions; ``{s}`` is a scalar expression.
_WRITES = ["{v} *= 2.0", "{v} += np.sin({v})", "{v} -= {s}", "{v} /= 1.5",
           "{v}[...] = np.cos({v})", "{v}[0] = {s}", "{v}[-1] *= 3.0", "{v}[:] = {v} * {v}",
           "{v} **= 2", "{v}[0] += {s}", "{v}[:1] = [{s}]"]
_LITERALS = ["{x} * (-0.5) ** 2", "(-{x}) ** 2", "-{x} ** 2", "{x} ** 2 * -1.5",
             "(-1.5) ** 3 * {x}", "{x} / (-2.0) ** 2", "({x} ** 2) ** 1.5", "{x} - -{x}",
             "-(-{x})", "{x} * 2.0 ** -1", "(-2) ** 2 * {x}", "{x} * -0.5 ** 2",
             "({x} * {x} + 1.0) ** -0.5", "2.0 ** (-{x})", "(-{x}) ** 3", "{x} ** 2 ** 1",
             "-{x} * -{x}", "{x} * (1 - 2) ** 3", "{x} * -(2.0 ** 2)", "-(({x} - 1.0) ** 2)",
             "{x} * 1e-3 - -2.5e-1", "(-0.5) ** 2 ** 1 * {x}"]
_CASTS = ["(3.0 * {x}).astype(int) * {x}", "np.asarray(3.0 * {x}, dtype=np.int64) + {x}",
          "{x}.astype(bool) * {x}", "int(np.sum({x}) * 3.0) * {x}", "{x}.astype(float) * {x}",
          "np.asarray({x}, dtype=float) * 2.0", "{x}.astype(np.float64) + 1.0",
          "float(np.sum({x})) * {x}", "np.float64(np.sum({x})) * {x}",
          "(4.0 * {x}).astype(np.int32) + {x}", "np.array(2.0 * {x}, dtype=int) * {x}",
          "bool(np.sum({x}) > 0) * {x}", "({x} > 0) * {x}", "np.floor(2.0 * {x}) + {x}",
          "{x}.astype(int).astype(float) + {x}", "round(float(np.sum({x})), 1) * {x}"]


def _scalar(draw, names) -> str:
    """A scalar expression that depends on one of ``names``."""
    return draw(st.sampled_from(["np.tanh(np.sum({}))", "np.mean({})", "np.sum({}) * 0.5",
                                 "np.max({})"])).format(draw(st.sampled_from(names)))


def _base(draw, names, n, param):
    """Lines making ``y_<n>``: the parameter itself, or a fresh array of its shape."""
    value = draw(st.sampled_from(["{p}", "{p}", "{p} * 1.0", "{p} * np.tanh(np.sum({x}))",
                                  "np.sin({p}) + np.mean({x})"]))
    return [f"y_{n} = " + value.format(p=param, x=draw(st.sampled_from(names)))]


def _writes(draw, names, targets, count=None, scalars=False):
    """One or two writes, each into one of ``targets`` (with ``scalars``, NumPy scalars: no
    item assignment)."""
    writes = [w for w in _WRITES if "[" not in w] if scalars else _WRITES
    return [draw(st.sampled_from(writes)).format(v=draw(st.sampled_from(targets)),
                                                 s=_scalar(draw, names))
            for _ in range(count or draw(st.integers(1, 2)))]


def _guarded(draw, names, lines):
    """``lines`` as they are, in a loop, or in a branch on data."""
    how = draw(st.sampled_from(["plain", "plain", "loop", "if"]))
    if how == "plain":
        return lines
    header = "for _ in range(2):" if how == "loop" else \
        f"if np.sum({draw(st.sampled_from(names))}) > 0.0:"
    return [header] + ["    " + line for line in lines]


def _reads(draw, names, n, aliases):
    """``s_<n>``: a scalar that reads every alias (and a random name)."""
    terms = [draw(st.sampled_from(["np.sum(np.sin({}))", "np.sum({} ** 2)",
                                   "np.sum({}) * np.mean({x})"])).format(
        a, x=draw(st.sampled_from(names)))
             for a in aliases]
    return [f"s_{n} = " + " + ".join(terms)]


def _views(draw, names, n):
    param = draw(st.sampled_from(list(SHAPES)))
    views = _VIEWS_1D if len(SHAPES[param]) == 1 else _VIEWS_2D
    lines = _base(draw, names, n, param)
    lines.append(f"w_{n} = " + draw(st.sampled_from(views)).format(y=f"y_{n}"))
    lines += _guarded(draw, names, _writes(draw, names, [f"w_{n}", f"w_{n}", f"y_{n}"]))
    return lines + _reads(draw, names, n, [f"y_{n}", f"w_{n}", param])


def _aliases(draw, names, n):
    param = draw(st.sampled_from(list(SHAPES)))
    y, x = f"y_{n}", draw(st.sampled_from(names))
    lines = _base(draw, names, n, param)
    kind = draw(st.sampled_from(["name", "helper", "list", "chained", "unpack", "twice",
                                 "dict", "tuple", "pair", "ifexp", "in_place_helper"]))
    if kind == "chained":
        lines[0] = lines[0].replace(f"{y} = ", f"{y} = w_{n} = ", 1)
    elif kind == "unpack" and SHAPES[param][0] == 2:
        lines.append(f"w_{n}, z_{n} = {y}")
    else:
        lines += {"name": [f"w_{n} = {y}"], "helper": [f"w_{n} = keep({y})"],
                  "list": [f"l_{n} = [{x}, {y}]", f"w_{n} = l_{n}[-1]"],
                  "unpack": [f"w_{n} = {y}"],
                  "twice": [f"w_{n} = {y}", f"z_{n} = {y}"],
                  "dict": [f"d_{n} = {{'w': {y}}}", f"w_{n} = d_{n}['w']"],
                  "tuple": [f"t_{n} = ({y}, {x})", f"w_{n} = t_{n}[0]"],
                  "pair": [f"w_{n}, z_{n} = {y}, {y}"],
                  "ifexp": [f"w_{n} = {y} if np.sum({x}) > 0.0 else {y} * 2.0"],
                  "in_place_helper": [f"w_{n} = scale_in_place({y})"]}[kind]
    lines += _guarded(draw, names, _writes(draw, names, [f"w_{n}", f"w_{n}", y]))
    return lines + _reads(draw, names, n, [y, f"w_{n}", param])


def _rows(draw, names, n):
    param = draw(st.sampled_from(["b", "b", "c", "a"]))
    lines = _base(draw, names, n, param)
    y = f"y_{n}"
    header = draw(st.sampled_from([f"for r_{n} in {y}:", f"for j_{n}, r_{n} in enumerate({y}):",
                                   f"for r_{n} in {y}.T:", f"for r_{n}, q_{n} in zip({y}, {y}):",
                                   f"for r_{n} in {y}[::-1]:"]))
    body = _writes(draw, names, [f"r_{n}"], scalars=param == "a")
    lines += [header] + ["    " + line for line in body]
    return lines + _reads(draw, names, n, [y, param])


def _container(draw, names, n):
    s = _scalar(draw, names)
    kind = draw(st.sampled_from(["unpack", "item", "loop", "index_write"]))
    lines = {"unpack": [f"w_{n}, z_{n} = ps"],
             "item": [f"w_{n} = ps[{draw(st.sampled_from(['0', '1', '-1']))}]"],
             "loop": [f"for w_{n} in ps:", f"    w_{n} *= {s}"],
             "index_write": [f"ps[0][0] = {s}", f"w_{n} = ps[1]"]}[kind]
    lines += _guarded(draw, names, _writes(draw, names, [f"w_{n}"]))
    return lines + _reads(draw, names, n, [f"w_{n}", "ps[0]", "ps[1]"])


def _out(draw, names, n):
    param = draw(st.sampled_from(list(SHAPES)))
    y = f"y_{n}"
    lines = _base(draw, names, n, param)
    if draw(st.integers(0, 5)) == 0:  # a matrix-vector product into a buffer
        lines = [f"y_{n} = b * 1.0", f"w_{n} = np.zeros(2)", f"np.dot({y}, a, out=w_{n})"]
        return lines + _reads(draw, names, n, [y, f"w_{n}", "a"])
    target = draw(st.sampled_from(["y", "zeros", "param", "view", "other"]))
    lines.append({"y": f"w_{n} = {y}", "zeros": f"w_{n} = np.zeros_like({y})",
                  "param": f"w_{n} = {param}", "view": f"w_{n} = {y}[:]",
                  "other": f"w_{n} = np.cos({param})"}[target])
    call = draw(st.sampled_from(["np.sin({y}, out={w})", "np.tanh({y}, out={w})",
                                 "np.negative({y}, out={w})", "np.add({y}, {y}, out={w})",
                                 "np.multiply({y}, {s}, out={w})",
                                 "np.clip({y}, -0.5, 0.5, out={w})",
                                 "np.multiply({y}, {w}, out={w})", "np.exp({w}, out={y})",
                                 "np.subtract({w}, {y}, out={y})", "np.square({y}, {w})"]))
    call = call.format(y=y, w=f"w_{n}", s=_scalar(draw, names))
    if draw(st.booleans()):
        call = f"r_{n} = {call}"
        lines += [call, f"r_{n} *= 1.5"] if draw(st.booleans()) else [call]
        return lines + _reads(draw, names, n, [y, f"w_{n}", f"r_{n}", param])
    lines += _guarded(draw, names, [call])
    return lines + _reads(draw, names, n, [y, f"w_{n}", param])


def _effects(draw, names, n):
    param = draw(st.sampled_from(list(SHAPES)))
    y, s = f"y_{n}", _scalar(draw, names)
    lines = _base(draw, names, n, param)
    lines.append(f"w_{n} = {y}" + draw(st.sampled_from(["", "[:]", ".T", ".reshape(-1)"])))
    effects = ["np.copyto({y}, np.cos({y}) * {s})", "np.copyto({y}, {s})", "{y}.fill(0.5)",
               "{y}.fill({s})", "np.put({y}, [0, 1], {s})", "np.add.at({y}, [0, 0], {s})",
               "{y}.sort()", "np.ndarray.sort({y})", "{y}.__imul__(3.0)",
               "np.putmask({y}, {y} > 0, {s})", "np.place({y}, {y} > 0, [{s}])",
               "np.copyto({y}, {y} * 2.0, where={y} > 0)"]
    if len(SHAPES[param]) == 2:
        effects.append("np.fill_diagonal({y}, {s})")
    effect = draw(st.sampled_from(effects)).format(y=draw(st.sampled_from([y, f"w_{n}"])), s=s)
    lines += _guarded(draw, names, [effect])
    return lines + _reads(draw, names, n, [y, f"w_{n}", param])


def _fancy(draw, names, n):
    param = draw(st.sampled_from(list(SHAPES)))
    y, s = f"y_{n}", _scalar(draw, names)
    lines = _base(draw, names, n, param)
    if param == "a":
        writes = ["{y}[[0, 0]] = np.sin({y}[1:])", "{y}[[0, 0]] = a[:2] * 2.0",
                  "{y}[[0, 1, 0]] = {y} * 2.0", "{y}[[0, 0]] += 1.0", "{y}[[2, 2]] *= {s}",
                  "{y}[np.array([1, 1])] = {s}", "{y}[[0, 0]] += {y}[1:]",
                  "{y}[[-1, 2]] = {y}[:2]"]
    else:
        writes = ["{y}[[0, 0]] = np.cos({y})", "{y}[[1, 1]] += {y}", "{y}[[0, 0], [0, 0]] = {s}",
                  "{y}[[0, 1, 0]] = {y}[[1, 0, 1]] * {s}", "{y}[[1, 1]] *= 2.0"]
    lines += _guarded(draw, names, [draw(st.sampled_from(writes)).format(y=y, s=s)])
    read = draw(st.sampled_from(["{y}", "{y}[[0, 0, 1]]", "{y}[[-1, -1]]"])).format(y=y)
    lines.append(f"w_{n} = {read}")
    return lines + _reads(draw, names, n, [y, f"w_{n}", param])


_CONSTANTS = ["0.5", "-0.5", "(-0.5)", "2", "-2", "(-2)", "1e-3", "-1.5e1", "3.0", "(-1.25)",
              "(-0.5) ** 2", "(-2) ** 3", "-(1.5) ** 2"]
_EXPONENTS = ["2", "3", "-1", "(-2)", "2 ** 1", "-(1)", "(-1) ** 2", "-2 ** 1", "2.0"]


def _parenthesized(draw, text):
    return f"({text})" if draw(st.booleans()) else text


@st.composite
def expressions(draw, names, depth=0):
    """A random arithmetic expression over ``names`` and literals, negative ones and nested
    powers included, parenthesized at random (whatever Python makes of it is the reference)."""
    if depth >= 3 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(names + _CONSTANTS))
    kind = draw(st.sampled_from(["binary", "binary", "unary", "power", "divide"]))
    left = _parenthesized(draw, draw(expressions(names, depth + 1)))
    if kind == "unary":
        return draw(st.sampled_from(["-", "+", "- -"])) + left
    if kind == "power":
        return f"{left} ** {draw(st.sampled_from(_EXPONENTS))}"
    right = _parenthesized(draw, draw(expressions(names, depth + 1)))
    if kind == "divide":
        return f"{left} / (1.5 + {right} ** 2)"
    return f"{left} {draw(st.sampled_from(['+', '-', '*']))} {right}"


def _arithmetic(draw, names, n):
    lines = [f"w_{n} = " + draw(expressions(names)) + f" + 0.0 * {names[0]}"]
    return lines + _reads(draw, names, n, [f"w_{n}"])


# Functions issue 10 found differentiated wrongly, on the parameters' known shapes.
_FUNCTIONS = ["np.heaviside({x} - {x}, {y})", "np.heaviside({x}, 0.5) * {x}",
              "np.r_[a, np.ravel(b)] * np.sum({x})", "np.c_[a, a * {y}]",
              "np.r_[0.5, a]", "np.einsum(b, [0, 1], [1, 0])",
              "np.einsum(a, [0], np.ravel(b)[:3], [0], [])", "np.einsum('ij->j', b) * {x}",
              "np.std(c, axis=1)", "np.var(c, axis=1, keepdims=True) + {x}",
              "np.std(b, axis=0, ddof=0) + {x}", "np.var({x}) * {y}"]


# Complex intermediates of real parameters: differentiated right, or refused (issue 10).
_COMPLEX = ["np.real({x} * (1 + 2j))", "({x} + 1j * {y}).imag", "np.abs({x} + 1j * {y})",
            "np.exp(1j * {x}).real", "np.angle({x} + 1j)", "(({x} + 1j) ** 2).real",
            "np.imag(np.exp(1j * {x}) * {y})", "({x} * 1j).imag * {y}"]


def _templates(templates):
    def snippet(draw, names, n):
        x, y = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        line = f"w_{n} = " + draw(st.sampled_from(templates)).format(x=x, y=y)
        return [line] + _reads(draw, names, n, [f"w_{n}"])
    return snippet


def _functions(draw, names, n):
    x, y = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    line = f"w_{n} = " + draw(st.sampled_from(_FUNCTIONS)).format(x=x, y=y)
    return [line] + _reads(draw, names, n, [f"w_{n}"])


def _walrus(draw, names, n):
    x, y = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    if draw(st.booleans()):
        return [f"if (m_{n} := np.sum({x})) > 0.0:", f"    w_{n} = m_{n} * 2.0 * {y}",
                "else:", f"    w_{n} = {y} * m_{n}",
                f"s_{n} = np.sum(w_{n}) + m_{n}"]
    return [f"w_{n} = {y} * 1.0", f"k_{n} = 0",
            f"while (m_{n} := np.sum(w_{n} ** 2)) < 4.0 and k_{n} < 3:",
            f"    w_{n} = w_{n} * 1.5 + np.tanh({x})", f"    k_{n} = k_{n} + 1",
            f"s_{n} = np.sum(w_{n}) * m_{n}"]


def _integer_reassignment(draw, names, n):
    target = draw(st.sampled_from(list(SHAPES) + names))
    condition = draw(st.sampled_from([f"np.sum({target}) > 0.0", f"np.max({target}) > 100.0",
                                      f"{target} is None", f"np.sum({target}) < 0.5"]))
    value = draw(st.sampled_from(["2", "0", "3.0", "True"]))
    lines = [f"if {condition}:", f"    {target} = {value}"]
    if draw(st.booleans()):
        lines += ["else:", f"    {target} = {target} * 2.0"]
    return lines + [f"s_{n} = np.sum({target} * {draw(st.sampled_from(names))})"]


def _closures(draw, names, n):
    x, y = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    inner = draw(st.sampled_from([f"def g_{n}(t):\n    return t * {x}",
                                  f"def g_{n}(t):\n    return np.tanh(t + {x}) * {y}",
                                  f"g_{n} = lambda t: t * {x}"])).split("\n")
    use = draw(st.sampled_from([f"sum([np.sum(g_{n}(t)) for t in b])",
                                f"np.sum(np.stack([g_{n}(t) for t in b]))",
                                f"np.sum(g_{n}(a))",
                                f"sum(np.sum(g_{n}(t)) for t in [a, {y}])",
                                f"np.sum(g_{n}({y}) * g_{n}(b))", "loop"]))
    lines = inner
    if use == "loop":  # the closure called in a loop over rows
        lines += [f"u_{n} = 0.0", f"for t_{n} in b:", f"    u_{n} = u_{n} + np.sum(g_{n}(t_{n}))"]
        use = f"u_{n}"
    if draw(st.booleans()):  # the captured value rebound before the call (late binding)
        lines.append(f"{x} = {x} * 2.0" if x not in ("a", "b", "c") else f"{x} = {x} + 1.0")
    return lines + [f"s_{n} = {use}"]


def _python(draw, names, n):
    """Python that real objectives use: *args helpers, functions as values, dict items (of
    dicts whose keys are known only when the code runs, too), reversed loops, tuple targets
    with subscripts, nested generators, list(), zip(*pairs), max/min/abs/pow of numbers, raise,
    with np.errstate, an index tuple() of a grown list, zip over a dict's keys, lists repeated
    (``[h] * n``) and rebuilt from slices."""
    x, y = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    options = [
        [f"s_{n} = add_all({x}, {y} * 2.0, scale=0.5, shift=np.sum({x}))"],
        [f"ps_{n} = ({x}, np.sin({y}))", f"s_{n} = add_all(*ps_{n})"],
        [f"fs_{n} = [np.sin, np.tanh]", f"s_{n} = np.sum(fs_{n}[0]({x}) * fs_{n}[1]({y}))"],
        [f"s_{n} = 0.0", f"for f_{n} in (np.sin, np.cos):",
         f"    s_{n} = s_{n} + np.sum(f_{n}({x}) * {y})"],
        [f"d_{n} = {{'p': {x}, 'q': {y} * 2.0}}", f"s_{n} = 0.0",
         f"for k_{n}, v_{n} in d_{n}.items():", f"    s_{n} = s_{n} + np.sum(v_{n} ** 2)"],
        [f"s_{n} = 0.0", f"for r_{n} in reversed(b):",
         f"    s_{n} = s_{n} * 0.5 + np.sum(r_{n} * {x})"],
        [f"w_{n} = {x} * 1.0", f"(w_{n}[0], w_{n}[-1]) = (w_{n}[-1] * 2.0, w_{n}[0])",
         f"s_{n} = np.sum(w_{n} ** 2) + np.sum({y})"],
        [f"s_{n} = sum(np.sum(u * v) for u in ({x}, {y}) for v in ({y}, {x}) if u is not v)"],
        [f"l_{n} = list(b)", f"s_{n} = sum(np.sum(r * {x}) for r in reversed(l_{n}))"],
        # a dict assigned twice: its keys known only when the code runs, as a parameter's
        [f"d_{n} = {{'p': {x}}}", f"if np.sum({y}) > 0.0:",
         f"    d_{n} = {{'p': {x} * 0.5, 'q': np.tanh({y})}}", f"s_{n} = 0.0",
         f"for k_{n}, v_{n} in d_{n}.items():", f"    s_{n} = s_{n} + np.sum(v_{n} ** 2)",
         f"s_{n} = s_{n} * np.sum(d_{n}.get('q', 0.5)) + sum(np.sum(v) for v in d_{n}.values())",
         f"s_{n} = s_{n} + sum(np.sum(d_{n}[k] * {y}) for k in d_{n}.keys())"],
        [f"pairs_{n} = [({x}, {y} * 2.0), (np.sin({x}), {y})]",
         f"fs_{n}, gs_{n} = zip(*pairs_{n})",
         f"s_{n} = np.sum(fs_{n}[1] * gs_{n}[0]) + sum(np.sum(f) for f in fs_{n})"],
        [f"s_{n} = max(np.sum({x}), np.sum({y}) * 0.5) - min([np.sum({x} ** 2), 0.25, "
         f"np.sum({y})]) + abs(np.sum({x} * {y})) + pow(np.sum({y}), 2)"],
        [f"s_{n} = max(np.ravel({x})) * min(np.sum(r) for r in np.atleast_2d({y}))"],
        # checks that raise, warnings silenced, an index built as a list, a dict's keys
        [f"if np.ndim({x}) > 3:", f"    raise ValueError('{x} has too many axes')",
         f"s_{n} = np.sum({x} * {y})"],
        ["with np.errstate(divide='ignore', invalid='ignore'):",
         f"    s_{n} = np.sum(np.log(np.abs({x}) + 1.0) * {y})"],
        [f"at_{n} = [1]", f"at_{n}.append(2)", f"s_{n} = np.sum(b[tuple(at_{n})] * {x})"],
        [f"d_{n} = {{2: {x}, 3: {y}}}", f"s_{n} = 0.0",
         f"for k_{n}, w_{n} in zip(d_{n}, (np.sin({x}), {y})):",
         f"    s_{n} = s_{n} + k_{n} * np.sum(w_{n} * d_{n}[k_{n}])"],
        # a list repeated (the same arrays n times), and one rebuilt from slices
        [f"r_{n} = [{x}] * 2 + 2 * [np.tanh({y}), {x} * 0.5]",
         f"s_{n} = sum(np.sum(v * (i + 1.0)) for i, v in enumerate(r_{n}))"],
        [f"l_{n} = [0.0] * 3", f"for i_{n} in range(3):",
         f"    l_{n} = l_{n}[:i_{n}] + [np.sum({x}) * (i_{n} + 1.0)] + l_{n}[i_{n} + 1:]",
         f"s_{n} = l_{n}[0] * l_{n}[2] + np.sum(np.stack([{y}] * 2)[1])"],
        # a tuple or list written out and indexed at once (the others' gradient is zero)
        [f"p_{n}, q_{n} = (np.cos({x}), {x} * {y})[::-1]",
         f"s_{n} = (np.sum(p_{n}), np.sum(np.sin({y})))[1] + [np.sum(q_{n}), 2.0][0]"],
        [f"s_{n} = np.sum(divmod_like({x}, {y})[1]) + np.sum(keep(({y}, {x}))[0])"],
        # lists where NumPy takes arrays, a list extended by an array's items, and a loop
        # variable that held an array
        [f"e_{n} = [np.sum({x})]", f"e_{n}.extend(np.ravel({y})[:2])",
         f"s_{n} = sum(e_{n}) * np.mean([e_{n}[-1], np.sum({x} * [1.0, 2.0, 3.0])])"],
        [f"q_{n} = {x} * 2.0", f"for q_{n} in range(2):", "    pass",
         f"s_{n} = np.sum({x} * q_{n}) + np.sum(({y} - [0.5, 1.0, 1.5]) ** 2)"],
    ]
    return draw(st.sampled_from(options))


#: name -> snippet(draw, names, n): lines that end with a scalar ``s_<n>``.
FAMILIES = {"views": _views, "aliases": _aliases, "rows": _rows, "container": _container,
            "out": _out, "effects": _effects, "fancy": _fancy,
            "literals": _templates(_LITERALS), "arithmetic": _arithmetic,
            "casts": _templates(_CASTS), "functions": _templates(_FUNCTIONS),
            "complex": _templates(_COMPLEX),
            "walrus": _walrus, "integer_reassignment": _integer_reassignment,
            "closures": _closures, "python": _python}


@st.composite
def family_programs(draw, family: str, control_flow: bool = False):
    """Source of ``f(a, b, c)`` (``f(a, b, c, ps)`` for the container family): random code with
    one or two snippets of ``family`` among it, returning a scalar that reads each snippet."""
    names = list(SHAPES)
    # The snippets rely on the parameters' shapes: the random code does not rebind them.
    body = draw(statements(names, control_flow=control_flow, keep=SHAPES)) \
        if draw(st.booleans()) else []
    names += sorted({line.split("=")[0].split()[0] for line in body
                     if " = " in line and not line.startswith((" ", "k"))})
    scalars = []
    for n in range(draw(st.integers(1, 2))):
        body += FAMILIES[family](draw, names, n)
        scalars.append(f"s_{n}")
        names.append(f"s_{n}")
    if draw(st.booleans()):
        body += draw(statements(names, depth=1, control_flow=control_flow,
                                keep=[*SHAPES, *scalars]))
    first, second = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    params = "a, b, c, ps" if family == "container" else "a, b, c"
    lines = [f"def f({params}):", "    hist = [a]"]
    lines += ["    " + line for line in body]
    lines.append(f"    return np.sum({first} * {second}) + " + " + ".join(scalars))
    return with_helpers("\n".join(lines) + "\n")


# -- checking one program ---------------------------------------------------------------------------

@dataclasses.dataclass
class Outcome:
    """What checking a program gave: ``ok``; ``invalid`` (the program itself fails on these
    arguments, or central differences cannot be trusted at them); ``refused`` (srcgrad raised
    SrcgradError); ``failure`` (any other error of srcgrad's, or a wrong value, gradient, jvp or
    hvp). ``forward`` says, per mode (``jvp``, ``hvp``), how the forward-mode check went when
    it ran and found nothing wrong: ``checked``, ``refused: <error>: <what>`` or ``kink``
    (central differences unstable along the direction)."""

    kind: str
    detail: str = ""
    forward: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def category(self) -> str:
        """The kind of failure or refusal, without the particulars (for grouping)."""
        head = self.detail.split(":")[0]
        return head.split()[0] if head.startswith(("gradient", "value")) else head


#: What a random program may raise on arguments it does not fit (it is then skipped).
_INVALID = (ValueError, IndexError, FloatingPointError, TypeError, NameError, AttributeError,
            ZeroDivisionError, np.exceptions.AxisError)


def arguments(fn, rng) -> list:
    """Arguments for a generated ``f``: uniform(-1, 1) arrays of SHAPES, and the container."""
    args = [rng.uniform(-1.0, 1.0, size=shape) for shape in SHAPES.values()]
    if fn.__code__.co_argcount == 4:
        args.append([rng.uniform(-1.0, 1.0, size=shape) for shape in CONTAINER_SHAPES])
    return args


def _leaves(args):
    """(position, item or None, array) of every array to differentiate."""
    for position, arg in enumerate(args):
        if isinstance(arg, list):
            yield from ((position, i, item) for i, item in enumerate(arg))
        else:
            yield position, None, arg


def _flat(grads):
    return [item for grad in grads
            for item in (grad if isinstance(grad, (list, tuple)) else [grad])]


def central_differences(fn, args, eps=1e-6) -> list:
    """Central differences of ``fn`` for every leaf of ``args``, each evaluation on fresh
    copies of the arguments (the programs write into them)."""
    grads = []
    for position, item, x0 in _leaves(args):
        def partial(x, position=position, item=item):
            fresh = copy.deepcopy(args)
            if item is None:
                fresh[position] = x
            else:
                fresh[position][item] = x
            return fn(*fresh)
        grads.append(numerical_grad(partial, [x0], 0, eps=eps))
    return grads


def _close(got, expected, rtol=1e-5, atol=1e-6, equal_nan=False) -> bool:
    return len(got) == len(expected) and all(
        np.shape(g) == np.shape(e) and np.allclose(g, e, rtol=rtol, atol=atol,
                                                   equal_nan=equal_nan)
        for g, e in zip(got, expected))


def _same_arrays(left, right) -> bool:
    return all(np.array_equal(x, y) for (_, _, x), (_, _, y) in zip(_leaves(left),
                                                                    _leaves(right)))


def _refusal(exc, fn) -> Outcome:
    """A refusal names the user's file and line (else it is a failure); its detail is the
    error's class and what it says is not supported."""
    message = str(exc)
    if f'File "{fn.__code__.co_filename}", line' not in message:
        return Outcome("failure", f"refused without naming the file and line: {message}")
    what = getattr(exc, "what", message.splitlines()[-1])
    return Outcome("refused", f"{type(exc).__name__}: {what}")


def check_program(source: str, seed: int, directory, forward: bool = True) -> Outcome:
    """Check srcgrad's value and gradients of the program's ``f`` (with respect to every
    parameter) against ``f`` itself and central differences, at random arguments; with
    ``forward``, also its ``jvp`` and ``hvp`` along a random direction (:func:`check_forward`)."""
    fn = load(source, directory)
    args = arguments(fn, np.random.default_rng(seed))
    try:
        with np.errstate(all="raise"):
            value = fn(*copy.deepcopy(args))
            if np.iscomplexobj(value):  # (a negative literal to a fractional power)
                return Outcome("invalid", "the program's value is complex")
            value = float(value)
    except _INVALID as exc:
        return Outcome("invalid", f"the program raises {type(exc).__name__}")
    if not abs(value) < 1e6:  # central differences lose their digits there
        return Outcome("invalid", "value too large for central differences")
    outcome, grads = _check_gradients(fn, args, value)
    if not forward or outcome.kind not in ("ok", "refused"):
        return outcome
    direction = directions(args, np.random.default_rng([seed, 1]))
    found = check_forward(fn, args, value, grads, direction)
    if isinstance(found, Outcome):
        return found
    outcome.forward = found
    return outcome


def _check_gradients(fn, args, value: float) -> tuple[Outcome, list | None]:
    """The outcome of checking the gradients, and the (flat) gradients where they are right."""
    import srcgrad
    import srcgrad.api

    wrt = tuple(range(len(args)))
    results = []
    saved = srcgrad.api.MAX_SHAPE_VERSIONS
    for versions in (saved, 0):  # the version made for these shapes, and the one for any
        srcgrad.api.MAX_SHAPE_VERSIONS = versions
        given = copy.deepcopy(args)
        try:
            results.append(srcgrad.value_and_grad(fn, wrt=wrt)(*given))
        except srcgrad.SrcgradError as exc:
            return _refusal(exc, fn), None
        except Exception as exc:  # noqa: BLE001 - any other error of srcgrad's is a failure
            return Outcome("failure", f"srcgrad raised {type(exc).__name__}: {exc}"), None
        finally:
            srcgrad.api.MAX_SHAPE_VERSIONS = saved
        if not _same_arrays(given, args):
            return Outcome("failure", "srcgrad's gradient wrote into the caller's arguments"), None
    (got_value, got), (generic_value, generic) = results
    got, generic = _flat(got), _flat(generic)
    if not np.isclose(got_value, value, rtol=1e-9, atol=1e-12):
        return Outcome("failure", f"value {got_value!r}, the function gives {value!r}"), None
    if not np.isclose(generic_value, value, rtol=1e-9, atol=1e-12) or \
            not _close(got, generic, rtol=1e-9, atol=1e-12, equal_nan=True):
        return Outcome("failure", "the version for any shapes differs from the "
                                  "shape-specialised"), None
    expected = central_differences(fn, args)
    if _close(got, expected):
        return Outcome("ok"), got
    if not _close(expected, central_differences(fn, args, eps=1e-7)):
        return Outcome("invalid", "central differences unstable (a kink)"), None
    worst = max(range(len(got)), key=lambda i: float(np.max(np.abs(
        np.asarray(got[i], dtype=float) - expected[i]), initial=0.0)) if
        np.shape(got[i]) == np.shape(expected[i]) else np.inf)
    return Outcome("failure", f"gradient {worst}: srcgrad {np.round(got[worst], 6).tolist()}, "
                              f"central differences {np.round(expected[worst], 6).tolist()}"), None


# -- forward mode: jvp and hvp along a random direction ---------------------------------------------

def directions(args, rng) -> list:
    """A random direction for every parameter: normal arrays of the leaves' shapes, in lists
    where the arguments are lists."""
    return [[rng.standard_normal(np.shape(item)) for item in arg] if isinstance(arg, list)
            else rng.standard_normal(np.shape(arg)) for arg in args]


def _moved(args, direction, step: float) -> list:
    """``args + step * direction``, leaf by leaf (new arrays)."""
    return [[x + step * v for x, v in zip(arg, d)] if isinstance(arg, list) else arg + step * d
            for arg, d in zip(args, direction)]


def along_direction(fn, args, direction, eps=1e-6) -> list:
    """Central differences of ``fn`` along ``direction``, as a list of leaves (one for a scalar
    output, one per gradient leaf for a gradient)."""
    plus, minus = fn(*_moved(args, direction, eps)), fn(*_moved(args, direction, -eps))
    return [(np.asarray(p, dtype=float) - np.asarray(m, dtype=float)) / (2 * eps)
            for p, m in zip(_flat(_as_tuple(plus)), _flat(_as_tuple(minus)))]


def _as_tuple(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def _forward_refusal(exc, mode: str, fn) -> Outcome:
    """A refusal of ``jvp`` names the user's line; one of ``hvp`` may name a line of the
    generated gradient instead."""
    if mode == "hvp" and getattr(exc, "lineno", None) is not None and \
            getattr(exc, "filename", None) is not None:
        return Outcome("refused", f"{type(exc).__name__}: {exc.what}")
    refusal = _refusal(exc, fn)
    if refusal.kind == "failure":
        return Outcome("failure", f"{mode} {refusal.detail}")
    return refusal


#: How long making and running a program's jvp or hvp may take (a hang is a failure).
FORWARD_SECONDS = 20


class _TimeLimit(BaseException):
    """Raised in the code that ran past :func:`_time_limit`'s seconds (not an Exception:
    no `except Exception` on the way may take it for an error of its own)."""


@contextlib.contextmanager
def _time_limit(seconds: int):
    """Raise _TimeLimit in the code of the block when it runs longer than ``seconds`` (on the
    main thread of a system with SIGALRM; elsewhere no limit)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        signal.alarm(1)  # again in a second, should this one be swallowed (in a gc callback)
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_forward(fn, args, value: float, grads: list | None, direction: list):
    """Check ``jvp`` (against central differences and, where the gradients ``grads`` are
    known right, ``<grads, direction>``) and, where ``grads`` are, ``hvp`` (against central
    differences of the gradient). A failure's Outcome, else what each mode gave (see
    :class:`Outcome`)."""
    import srcgrad

    wrt = tuple(range(len(args)))
    found: dict[str, str] = {}
    for mode in ("jvp", "hvp") if grads is not None else ("jvp",):
        given, vector = copy.deepcopy(args), copy.deepcopy(direction)
        try:
            with _time_limit(FORWARD_SECONDS):
                if mode == "jvp":
                    got_value, got = srcgrad.jvp(fn, wrt=wrt)(*given, tangent=tuple(vector))
                else:
                    got = srcgrad.hvp(fn, wrt=wrt)(*given, vector=tuple(vector))
        except _TimeLimit:
            return Outcome("failure", f"{mode} did not finish within {FORWARD_SECONDS} s")
        except srcgrad.SrcgradError as exc:
            refusal = _forward_refusal(exc, mode, fn)
            if refusal.kind == "failure":
                return refusal
            found[mode] = f"refused: {refusal.detail}"
            continue
        except Exception as exc:  # noqa: BLE001 - any other error of srcgrad's is a failure
            return Outcome("failure", f"{mode} raised {type(exc).__name__}: {exc}")
        if not _same_arrays(given, args) or not _same_arrays(vector, direction):
            return Outcome("failure", f"{mode} wrote into the caller's arguments or direction")
        if mode == "jvp":
            failure = _wrong_jvp(fn, args, value, grads, direction, got_value, got)
        else:
            failure = _wrong_hvp(fn, args, direction, _flat(got))
            if not isinstance(failure, Outcome):
                failure = _wrong_batch(fn, args, direction, _flat(got)) or failure
        if isinstance(failure, Outcome):
            return failure
        found[mode] = failure
    return found


def _wrong_batch(fn, args, direction, got) -> Outcome | None:
    """The batched hvp (what ``srcgrad.hessian`` runs) of the direction and of -0.5 times it,
    in one pass, against ``got``, the hvp of the direction: a failure, or None."""
    import srcgrad
    from srcgrad.api import Gradient

    def scaled(tree):
        if isinstance(tree, (list, tuple)):
            return type(tree)(scaled(item) for item in tree)
        return -0.5 * np.asarray(tree) if isinstance(tree, np.ndarray) else -0.5 * tree

    vectors = srcgrad.batching._stacked([tuple(direction), scaled(tuple(direction))])
    try:
        with _time_limit(FORWARD_SECONDS):
            batch = Gradient(fn, tuple(range(len(args))), "hvp_batched")(
                *copy.deepcopy(args), vectors=vectors)
    except Exception as exc:  # noqa: BLE001 - the unbatched hvp ran: the batch must too
        return Outcome("failure", f"batched hvp raised {type(exc).__name__}: {exc}")
    for k, factor in enumerate((1.0, -0.5)):
        each = _flat(srcgrad.batching._at(batch, k))
        if not _close(each, [factor * np.asarray(g) for g in got], rtol=1e-9, atol=1e-11):
            return Outcome("failure", f"batched hvp, direction {k}, differs from the hvp")
    return None


def _wrong_jvp(fn, args, value, grads, direction, got_value, got) -> Outcome | str:
    if not np.isclose(got_value, value, rtol=1e-9, atol=1e-12):
        return Outcome("failure", f"jvp value wrong: {got_value!r}, the function gives {value!r}")
    if np.shape(got) != ():
        return Outcome("failure", f"jvp tangent of shape {np.shape(got)} for a scalar output")
    if grads is not None:
        terms = [np.asarray(g, dtype=float) * v for g, (_, _, v) in zip(grads, _leaves(direction))]
        along = sum(float(np.sum(t)) for t in terms)
        scale = sum(float(np.sum(np.abs(t))) for t in terms)
        if not abs(float(got) - along) <= 1e-9 * scale + 1e-12:
            return Outcome("failure", f"jvp differs from <grad, v>: srcgrad {float(got)!r}, "
                                      f"<grad, v> {along!r}")
    expected = along_direction(fn, args, direction)
    if _close([got], expected, atol=1e-5):
        return "checked"
    if not _close(expected, along_direction(fn, args, direction, eps=1e-7), atol=1e-5):
        return "kink"
    return Outcome("failure", f"jvp differs from central differences: srcgrad {float(got)!r}, "
                              f"central differences {float(expected[0])!r}")


def _wrong_hvp(fn, args, direction, got) -> Outcome | str:
    import srcgrad

    gradient = srcgrad.grad(fn, wrt=tuple(range(len(args))))
    expected = along_direction(gradient, args, direction)
    if _close(got, expected, rtol=1e-4, atol=1e-5):
        return "checked"
    if not _close(expected, along_direction(gradient, args, direction, eps=1e-7),
                  rtol=1e-4, atol=1e-5):
        return "kink"
    if len(got) != len(expected):
        return Outcome("failure", f"hvp has {len(got)} parts, the gradient {len(expected)}")
    worst = max(range(len(got)), key=lambda i: float(np.max(np.abs(
        np.asarray(got[i], dtype=float) - expected[i]), initial=0.0)) if
        np.shape(got[i]) == np.shape(expected[i]) else np.inf)
    return Outcome("failure", f"hvp differs from central differences of the gradient: part "
                              f"{worst}: srcgrad {np.round(got[worst], 6).tolist()}, central "
                              f"differences {np.round(expected[worst], 6).tolist()}")
