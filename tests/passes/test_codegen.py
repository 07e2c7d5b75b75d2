"""codegen (source and compilation) and what the generated code looks like."""

import ast
import inspect
import linecache
import re
import traceback

import gast
import numpy as np
import pytest
from corpus import clashes, control, indexing, loops, models, programs, straight
from corpus.support import assert_grads_close, numeric_grads, srcgrad_grads
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad import ir
from srcgrad.passes.codegen import compile_function, expression_source, to_source
from srcgrad.passes.reverse import comment

# -- to_source, expression_source, compile_function -----------------------------------------------


def _function(body):
    args = gast.arguments(args=[gast.Name(id="x", ctx=gast.Param(), annotation=None,
                                          type_comment=None)],
                          posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[])
    return gast.Module(body=[gast.FunctionDef(name="f", args=args, body=body, decorator_list=[],
                                              returns=None, type_comment=None,
                                              type_params=[])], type_ignores=[])


def test_comments_are_printed_as_comments():
    body = [comment("grad of: y = 'a' + \"b\"  # x"),
            gast.parse("y = x * 2").body[0], gast.parse("return y").body[0]]
    source = to_source(_function(body))
    assert source.splitlines()[1] == "    # grad of: y = 'a' + \"b\"  # x"
    namespace = {}
    exec(source, namespace)  # noqa: S102 - the comment must not be code
    assert namespace["f"](3) == 6


def test_comments_in_nested_blocks_and_of_several_lines():
    loop = gast.parse("for i in range(2):\n    x = x + i").body[0]
    loop.body.insert(0, ir.comment("in the loop"))
    body = [loop, ir.comment("first\nreturn 0"), gast.parse("return x").body[0]]
    source = to_source(_function(body))
    assert source.splitlines()[2:6] == ["        # in the loop", "        x = x + i",
                                        "    # first", "    # return 0"]
    namespace = {}
    exec(source, namespace)  # noqa: S102 - no line of a comment becomes code
    assert namespace["f"](3) == 4


def test_long_statements_stay_on_one_line():
    long_sum = " + ".join(f"x * {i}" for i in range(40))
    source = to_source(gast.parse(f"y = {long_sum}"))
    assert source.count("\n") == 1


@pytest.mark.parametrize("tree, text", [
    (ast.BinOp(ast.Name("x", ast.Load()), ast.Mult(),
               ast.BinOp(ast.Constant(-0.5), ast.Pow(), ast.Constant(2))),
     "x * (-0.5) ** 2"),
    (ast.BinOp(ast.Constant(2), ast.Pow(), ast.Constant(-1)), "2 ** (-1)"),
    (ast.Attribute(ast.Constant(-2), "real", ast.Load()), "(-2).real"),
    (ast.UnaryOp(ast.USub(), ast.Constant(-0.0)), "--0.0"),
    (ast.Constant(True), "True"),
])
def test_negative_constants_keep_their_parentheses(tree, text):
    source = to_source(ast.Expression(tree)).strip()
    assert source == text
    assert eval(source, {"x": 3.0}) == eval(compile(ast.fix_missing_locations(
        ast.Expression(tree)), "<tree>", "eval"), {"x": 3.0})


@pytest.mark.parametrize("statement, text", [
    ("return a, b", "return a, b"), ("return (a, b)[0] + (c, d)", "return (a, b)[0] + (c, d)"),
    ("return (a + b) * (c + d)", "return (a + b) * (c + d)"), ("return ()", "return ()"),
    ("return ((a, b), c)", "return (a, b), c"), ("return (a, b), (c, d)", "return (a, b), (c, d)"),
    ("(h, c) = tape.pop()", "h, c = tape.pop()"), ("(a, b)[0] = c", "(a, b)[0] = c"),
    ("for (i, x) in enumerate(xs):\n    pass", "for i, x in enumerate(xs):\n    pass")])
def test_tuples_lose_only_parentheses_that_change_nothing(statement, text):
    # (the same text on every Python: 3.10's ast.unparse writes ``(h, c) = ...``, 3.11's not)
    source = to_source(gast.parse(statement))
    assert source == text + "\n"
    assert ast.dump(ast.parse(source)) == ast.dump(ast.parse(statement))


def test_expression_source():
    assert expression_source(gast.parse("np.sum(x[1:, None] ** 2, axis=0)", mode="eval").body) \
        == "np.sum(x[1:, None] ** 2, axis=0)"


def test_compiled_code_shows_in_tracebacks():
    source = "def boom(x):\n    y = x + 1\n    return y / undefined_name\n"
    fn = compile_function(source, "boom", {})
    with pytest.raises(NameError) as info:
        fn(1)
    frame = traceback.extract_tb(info.tb)[-1]
    assert frame.filename.startswith("<srcgrad generated boom")
    assert frame.line == "return y / undefined_name"
    assert linecache.getline(frame.filename, 2) == "    y = x + 1\n"


def test_each_compilation_has_its_own_file_name():
    first = compile_function("def f():\n    return 1\n", "f", {})
    second = compile_function("def f():\n    return 2\n", "f", {})
    assert first.__code__.co_filename != second.__code__.co_filename
    assert inspect.getsource(first) != inspect.getsource(second)


def test_errors_in_generated_code_point_to_generated_lines():
    g = srcgrad.grad(straight.matmul_chain, wrt=(0, 1, 2))
    with pytest.raises(ValueError) as info:
        g(np.ones((2, 3)), np.ones((4, 4)), np.ones(4))  # shapes do not match
    frames = [f for f in traceback.extract_tb(info.tb) if f.filename.startswith("<srcgrad")]
    assert frames and frames[-1].line and frames[-1].line in g.source


# -- what the generated code looks like ------------------------------------------------------------

STRAIGHT = [
    (straight.arithmetic, (0, 1)), (straight.reused, 0), (straight.augmented, (0, 1)),
    (straight.broadcast_row, (0, 1)), (straight.reductions_keepdims, 0),
    (straight.methods, 0), (straight.data_not_differentiated, 0), (indexing.basic, 0),
    (indexing.integer_array, 0), (models.mlp_softmax_xent, (0, 1, 2, 3)),
    (models.two_layer_net, (1, 2, 3, 4)),
]
LOOPS = [
    (loops.power_by_loop, 0), (loops.sum_over_steps, (0, 1)), (loops.over_rows, (0, 1)),
    (loops.with_zip, (0, 1, 2)), (loops.nested, (0, 1)), (loops.nested_accumulators, 0),
    (loops.read_before_and_after_reassignment, (0, 1)), (loops.carried_and_data, 0),
    (loops.two_loops, (0, 1)), (loops.augmented_in_loop, (0, 1)), (models.rnn, (0, 1, 2, 4)),
    (models.lstm, (0, 1, 2, 3, 4, 5)),
]
ALL = STRAIGHT + LOOPS


def _ids(cases):
    return [fn.__name__ for fn, _ in cases]


def _tree(fn, wrt):
    return ast.parse(srcgrad.grad(fn, wrt=wrt).source).body[0]


def _names(node, ctx):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _reads(node):
    """Names ``node`` reads, counting ``x += ...`` as reading x."""
    augmented = [n.target for n in ast.walk(node) if isinstance(n, ast.AugAssign)]
    return _names(node, ast.Load).union(*(_names(t, ast.Store) for t in augmented))


def _param_names(fn, wrt):
    names = list(inspect.signature(fn).parameters)
    return [names[w] if isinstance(w, int) else w for w in (wrt if isinstance(wrt, tuple)
                                                            else (wrt,))]


@pytest.mark.parametrize("fn, wrt", ALL, ids=_ids(ALL))
def test_gradients_are_returned_as_d_name(fn, wrt):
    ret = _tree(fn, wrt).body[-1]
    calls = ret.value.elts if isinstance(ret.value, ast.Tuple) else [ret.value]
    for param, call in zip(_param_names(fn, wrt), calls):
        assert ast.unparse(call) == f"as_grad(d{param}, {param})"


@pytest.mark.parametrize("fn, wrt", ALL, ids=_ids(ALL))
def test_every_adjoint_is_named_after_its_variable(fn, wrt):
    tree = _tree(fn, wrt)
    primal = _names(tree, ast.Store) | {a.arg for a in tree.args.args}
    for target in _names(tree, ast.Store):
        if target.startswith("d") and target not in primal - {target}:
            if target[1:] in primal:
                continue
            assert target in primal, f"{target} is neither a primal value nor d<primal>"


@pytest.mark.parametrize("fn, wrt", ALL, ids=_ids(ALL))
def test_blocks_are_headed_by_the_users_line(fn, wrt):
    source = srcgrad.grad(fn, wrt=wrt).source
    user_lines = {line.strip() for line in inspect.getsource(fn).splitlines()}
    comments = re.findall(r"^\s*# grad of: (.*)$", source, re.MULTILINE)
    assert comments
    assert set(comments) <= user_lines
    # between the seed and the first comment: only zero-filled accumulators and loop headers
    lines = source.splitlines()
    seed = next(i for i, line in enumerate(lines)
                if "= unit_seed(" in line or re.fullmatch(r"\s*d\w+ = 1\.0", line))
    for line in lines[seed + 1:]:
        code = line.strip()
        if code.startswith(("# grad of:", "return ")):
            break
        assert "zeros_like(" in code or code.endswith(("= None", "= 0.0")) or \
            code.startswith("for "), f"uncommented code: {code}"


@pytest.mark.parametrize("fn, wrt, absent", [
    (straight.data_not_differentiated, 0, ["dx", "dscale"]),
    (straight.dead_code, 0, ["unused", "also", "np.exp", "dy"]),
    (straight.dead_code, (0, 1), ["unused", "also", "np.exp", "dy ="]),
    (straight.comparisons, 0, ["dmask", "dsmall"]),
    (loops.carried_and_data, 0, ["dxs", "dcount"]),
    (models.mlp_softmax_xent, (0, 1), ["dx =", "dy =", "dw2 =", "db2 ="]),
    (models.two_layer_net, "w2", ["dw =", "db =", "dx =", "dtarget"]),
    (control.dead_in_nested_if, (0, 1), ["np.exp", "np.cos", "dv"]),
])
def test_no_code_for_what_does_not_need_it(fn, wrt, absent):
    source = srcgrad.grad(fn, wrt=wrt).source
    for text in absent:
        assert not re.search(rf"\b{re.escape(text)}", source), text


@pytest.mark.parametrize("fn, wrt", STRAIGHT, ids=_ids(STRAIGHT))
def test_straight_line_code_needs_no_tape_and_no_zeros(fn, wrt):
    source = srcgrad.grad(fn, wrt=wrt).source
    assert "tape" not in source
    assert "zeros" not in source


def _pops(tree):
    """(statement index path, names) of every `names = tape.pop()` in the backward loops."""
    for node in ast.walk(tree):
        if isinstance(node, ast.For):
            for i, stmt in enumerate(node.body):
                if isinstance(stmt, ast.Assign) and ast.unparse(stmt.value) == "tape.pop()":
                    yield node.body, i, sorted(_names(stmt.targets[0], ast.Store))


@pytest.mark.parametrize("fn, wrt", LOOPS, ids=_ids(LOOPS))
def test_every_value_popped_from_the_tape_is_read(fn, wrt):
    tree = _tree(fn, wrt)
    for body, i, names in _pops(tree):
        later = ast.Module(body=body[i + 1:], type_ignores=[])
        unread = set(names) - _names(later, ast.Load)
        assert not unread, f"popped but never read: {unread}"


@pytest.mark.parametrize("fn, wrt", LOOPS, ids=_ids(LOOPS))
def test_pushes_and_pops_balance(fn, wrt):
    source = srcgrad.grad(fn, wrt=wrt).source
    assert source.count("tape.append(") == source.count("tape.pop()")


@pytest.mark.parametrize("fn, wrt", ALL, ids=_ids(ALL))
def test_zero_filled_adjoints_are_accumulated_into_before_being_overwritten(fn, wrt):
    tree = _tree(fn, wrt)
    statements = [s for s in ast.walk(tree) if isinstance(s, ast.stmt)]
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and "zeros_like(" in ast.unparse(stmt.value):
            (target,) = _names(stmt.targets[0], ast.Store)
            uses = [s for s in statements if s.lineno > stmt.lineno and not isinstance(
                s, (ast.For, ast.FunctionDef)) and target in _reads(s) | _names(s, ast.Store)]
            assert uses, f"{target} is zero-filled and never used"
            first = uses[0]
            assert target in _reads(first), \
                f"{target} is zero-filled, then overwritten: {ast.unparse(first)}"
            # and a loop follows that accumulates into it (otherwise a plain assignment does)
            assert any(isinstance(s, ast.For) and target in _reads(s)
                       for s in tree.body if s.lineno > stmt.lineno), target


def test_constant_factor_loop_stores_nothing():
    source = srcgrad.grad(loops.constant_factor).source
    assert "tape" not in source


SHAPE_ONLY = {"np.shape": 0, "np.size": 0, "np.ndim": 0, "unbroadcast": 1, "unreduce": 1,
              "unreduce_count": 0}


def _read_for_value(name, body):
    """Whether ``name`` is read in ``body`` other than for its shape."""
    module = ast.Module(body=body, type_ignores=[])
    shape_only = set()
    for call in ast.walk(module):
        if isinstance(call, ast.Call) and ast.unparse(call.func) in SHAPE_ONLY:
            position = SHAPE_ONLY[ast.unparse(call.func)]
            if len(call.args) > position and isinstance(call.args[position], ast.Name):
                shape_only.add(id(call.args[position]))
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
               and id(n) not in shape_only for n in ast.walk(module))


@pytest.mark.parametrize("fn, wrt", [(loops.with_zip, 0), (models.rnn, 0)],
                         ids=["with_zip", "rnn"])
def test_values_on_the_tape_are_read_for_more_than_their_shape(fn, wrt):
    tree = _tree(fn, wrt)
    for body, i, names in _pops(tree):
        for name in names:
            assert _read_for_value(name, body[i + 1:]), f"{name} is taped for its shape only"


# -- generated names never clash with the user's ----------------------------------------------------

@pytest.mark.parametrize("fn, args, wrt", [
    (clashes.adjoint_name_taken, [[0.5, -0.3], [0.2, 0.7]], (0, 1)),
    (clashes.local_named_tape, [[0.5, -0.3]], 0),
    (clashes.local_named_helper, [[0.5, -0.3]], 0),
    (clashes.underscore_read_later, [[0.5, -0.3], [0.2]], 0),
    (clashes.temporaries_taken, [[0.5, -0.3], [0.2, 0.7], [1.5, -1.0]], (0, 1, 2)),
    (clashes.local_named_used_helper, [[[0.5, -0.3], [0.1, 0.2]], [0.2, 0.7]], (0, 1)),
    (clashes.parameter_named_helper, [[[0.5, -0.3], [0.1, 0.2]], [0.2, 0.7]], (0, 1)),
], ids=lambda value: getattr(value, "__name__", ""))
def test_user_names_do_not_clash_with_generated_names(fn, args, wrt):
    args = [np.asarray(a) for a in args]
    got = srcgrad_grads(fn, args, wrt)  # the versions for these shapes and for any shapes
    assert_grads_close(got, numeric_grads(fn, args, wrt))


# -- round trip: the generated code computes what the user's code computes -------------------------

def _number(magnitude, negative):
    constant = ast.Constant(value=magnitude)
    return ast.UnaryOp(op=ast.USub(), operand=constant) if negative else constant


_SIGNED_INTS = st.builds(_number, st.integers(1, 3), st.booleans())
# Integer exponents only (a negative base to a fractional power is complex in Python), nested:
# ``k``, ``k ** m``, ``-(k ** m)``, with m >= 0 so that ``k ** m`` stays an integer.
_EXPONENTS = st.one_of(
    _SIGNED_INTS,
    st.builds(lambda k, m: ast.BinOp(left=k, op=ast.Pow(), right=ast.Constant(value=m)),
              _SIGNED_INTS, st.integers(0, 2)),
    st.builds(lambda k, m: ast.UnaryOp(op=ast.USub(), operand=ast.BinOp(
        left=ast.Constant(value=k), op=ast.Pow(), right=ast.Constant(value=m))),
        st.integers(1, 3), st.integers(0, 2)))
# (constants are floats: an integer to nested integer powers outgrows NumPy's integers)
_LEAVES = st.one_of(
    st.sampled_from(["x", "y"]).map(lambda id_: ast.Name(id=id_, ctx=ast.Load())),
    st.builds(_number, st.sampled_from([0.5, 1.5, 2.0, 0.25, 3.0]), st.booleans()))


def _extend(children):
    return st.one_of(
        st.builds(lambda left, op, right: ast.BinOp(left=left, op=op, right=right),
                  children, st.sampled_from([ast.Add(), ast.Sub(), ast.Mult(), ast.Div()]),
                  children),
        st.builds(lambda base, exponent: ast.BinOp(left=base, op=ast.Pow(), right=exponent),
                  children, _EXPONENTS),
        st.builds(lambda op, operand: ast.UnaryOp(op=op, operand=operand),
                  st.sampled_from([ast.USub(), ast.UAdd()]), children))


#: Expressions as a user writes them (printed by ast.unparse from a tree, so that the text
#: means the tree): ``-0.5 ** 2`` and ``(-0.5) ** 2``, ``x ** -2``, ``x * (-2) ** 2 ** 1`` ...
EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=8).map(ast.unparse)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("round_trip")


@settings(max_examples=150, deadline=None, derandomize=True)  # (the same programs every run)
@given(expression=EXPRESSIONS)
def test_generated_code_computes_the_functions_value(expression, module_dir):
    source = f"import numpy as np\n\n\ndef f(x, y):\n    return np.sum({expression})\n"
    f = programs.load(source, module_dir)
    x, y = np.array([0.5, 1.25, 2.0]), np.array([1.5, 0.75, 1.0])
    with np.errstate(all="ignore"):
        try:
            expected = f(x, y)
        except ArithmeticError:  # e.g. 0.0 ** -1 on Python floats: nothing to compare
            assume(False)
        value, _ = srcgrad.value_and_grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(value, expected, rtol=1e-12, equal_nan=True,
                               err_msg=f"return np.sum({expression})")
