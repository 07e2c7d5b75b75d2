"""normalize: A-normal form that computes what the user's function computes."""

import gast
import numpy as np
import pytest
from corpus import calls, containers, control, indexing, loops, models, straight, writes
from corpus.support import compile_tree, normalized

from srcgrad.ir import Op, facts

# (function, argument shapes; an int is passed as is)
FUNCTIONS = [
    (straight.arithmetic, [(3, 4), (3, 4)]),
    (straight.reused, [(5,)]),
    (straight.tuple_unpacking, [(3,), (3,)]),
    (straight.unpack_rows, [(2, 3)]),
    (straight.augmented, [(4,), (4,)]),
    (straight.comparisons, [(6,)]),
    (straight.constants, [(3,)]),
    (straight.matmul_chain, [(2, 3), (3, 4), (4,)]),
    (straight.reductions_keepdims, [(3, 4)]),
    (straight.max_min, [(3, 4)]),
    (straight.methods, [(3, 4)]),
    (straight.transpose_axes, [(2, 3, 4)]),
    (straight.astype_copy_clip, [(8,)]),
    (straight.attributes, [(3, 4)]),
    (straight.dtype_attribute, [(3, 2)]),
    (straight.broadcast_functions, [(3, 1), (4,), (1, 4)]),
    (indexing.basic, [(5,)]),
    (indexing.reversed_steps, [(6,)]),
    (indexing.two_d, [(3, 4)]),
    (indexing.new_axis, [(3,)]),
    (indexing.boolean_mask, [(7,)]),
    (indexing.index_with_variable, [(6,), 2]),
    (loops.accumulate_scaled, [(3,), 4]),
    (loops.start_stop_step, [(6,)]),
    (loops.backwards_range, [(5,)]),
    (loops.over_rows, [(4, 3), (3,)]),
    (loops.with_enumerate, [(3, 2), (2,)]),
    (loops.with_zip, [(3, 2), (3, 2), (2,)]),
    (loops.nested, [(2, 3), (4,)]),
    (loops.nested_accumulators, [(3, 4)]),
    (loops.swap_in_loop, [(3,), (3,)]),
    (loops.augmented_in_loop, [(3,), (3,)]),
    (loops.zero_iterations, [(3,), 0]),
    (loops.for_else, [(3,)]),
    (loops.delayed_dependency, [(3,), (3,)]),
    (models.lstm, [(2, 12), (3, 12), (12,), (4, 2), (3,), (3,)]),
    (models.mlp_softmax_xent, [(4, 5), (5,), (5, 3), (3,), (2, 4), (2, 3)]),
]
IDS = [fn.__name__ for fn, _ in FUNCTIONS]
# Functions whose normalized form has ifs, whiles, inlined calls, containers or writes: checked
# for what they compute (the A-normal-form shape test above covers the core language).
MORE = [
    (control.branch_on_value, [(3,)]),
    (control.nested_ifs, [(3,), 2.0]),
    (control.branch_in_loop, [(3,), (3,)]),
    (control.while_grows, [(3,)]),
    (control.while_with_break, [(3,)]),
    (control.for_with_continue, [(3, 2), (2,)]),
    (control.return_in_loop, [(3,)]),
    (control.while_in_for, [(3,), (3,)]),
    (control.update_then_break, [(3,), (3,)]),
    (control.defined_in_branch_used_in_loop, [(3,), (3,)]),
    (calls.lstm_with_cell, [(2, 12), (3, 12), (12,), (4, 2), (3,), (3,)]),
    (calls.tuple_returning_helper, [(3,)]),
    (containers.append_then_stack, [(3,), (3,)]),
    (containers.dict_literal, [(3,), (3,)]),
    (writes.rows_in_loop, [(4, 2), (2, 3)]),
    (writes.augmented_item, [(4,), (2,)]),
]
MORE_IDS = [fn.__name__ for fn, _ in MORE]


def _args(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [s if isinstance(s, (int, float)) else rng.uniform(-0.9, 0.9, size=s)
            for s in shapes]


def _statements(body):
    for stmt in body:
        yield stmt
        if isinstance(stmt, gast.For):
            yield from _statements(stmt.body)


@pytest.mark.parametrize("fn, shapes", FUNCTIONS + MORE, ids=IDS + MORE_IDS)
def test_normalized_function_computes_the_same(fn, shapes):
    _, fdef, _ = normalized(fn)
    compiled, source = compile_tree(fdef, fn)
    args = _args(shapes)
    np.testing.assert_allclose(compiled(*args), fn(*_args(shapes)), rtol=1e-13,
                               err_msg=source)


# -- the shape of A-normal form -------------------------------------------------------------------

SHAPE_ATTRIBUTES = {"shape", "ndim", "size"}


class Atoms:
    """Decides what counts as an atom in one normalized function."""

    def __init__(self, fdef, fn):
        self.globals = fn.__globals__
        self.integers = set()  # loop indices and names holding shape arithmetic
        for stmt in _statements(fdef.body):
            if isinstance(stmt, gast.For):
                self.integers.add(stmt.target.id)
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and self.is_shape(stmt.value):
                self.integers.add(stmt.targets[0].id)

    def is_shape(self, node) -> bool:
        """x.shape[0], len(xs), x.ndim - 1, 2 * n ...: integer arithmetic on shapes."""
        if isinstance(node, gast.Constant):
            return isinstance(node.value, int)
        if isinstance(node, gast.Name):
            return node.id in self.integers
        if isinstance(node, gast.Attribute):
            return node.attr in SHAPE_ATTRIBUTES and isinstance(node.value, gast.Name)
        if isinstance(node, gast.Subscript):
            return self.is_shape(node.value) and self.is_shape(node.slice)
        if isinstance(node, gast.Call):
            return isinstance(node.func, gast.Name) and node.func.id == "len"
        if isinstance(node, gast.BinOp):
            return self.is_shape(node.left) and self.is_shape(node.right)
        if isinstance(node, gast.UnaryOp):
            return self.is_shape(node.operand)
        return False

    def is_atom(self, node) -> bool:
        if isinstance(node, (gast.Name, gast.Constant)) or node is None:
            return True
        if isinstance(node, (gast.Tuple, gast.List)):
            return all(self.is_atom(e) for e in node.elts)
        if isinstance(node, gast.Slice):
            return all(self.is_atom(p) for p in (node.lower, node.upper, node.step))
        if isinstance(node, gast.Attribute):  # np.pi, np.newaxis: a global's attribute
            root = node
            while isinstance(root, gast.Attribute):
                root = root.value
            if isinstance(root, gast.Name) and root.id in self.globals:
                return True
        if isinstance(node, gast.UnaryOp) and isinstance(node.operand, gast.Constant):
            return True
        return self.is_shape(node)

    def operands(self, value) -> list:
        """The direct operands of one operation."""
        if isinstance(value, gast.BinOp):
            return [value.left, value.right]
        if isinstance(value, gast.UnaryOp):
            return [value.operand]
        if isinstance(value, gast.Compare):
            return [value.left, *value.comparators]
        if isinstance(value, gast.Call):
            return [*value.args, *(k.value for k in value.keywords)]
        if isinstance(value, gast.Attribute):
            return [value.value]
        if isinstance(value, gast.Subscript):
            return [value.value, value.slice]
        if isinstance(value, (gast.Tuple, gast.List)):
            return list(value.elts)
        return [value]


@pytest.mark.parametrize("fn, shapes", FUNCTIONS, ids=IDS)
def test_one_operation_per_statement_on_atoms(fn, shapes):
    _, fdef, _ = normalized(fn)
    atoms = Atoms(fdef, fn)
    for stmt in _statements(fdef.body):
        assert isinstance(stmt, (gast.Assign, gast.For, gast.Return, gast.Expr, gast.Assert)), \
            type(stmt).__name__
        if isinstance(stmt, gast.Assign):
            assert isinstance(facts(stmt).op, Op)
            for operand in atoms.operands(stmt.value):
                assert atoms.is_atom(operand), gast.dump(stmt)
        elif isinstance(stmt, gast.For):
            assert isinstance(stmt.target, gast.Name) and not stmt.orelse
            assert isinstance(stmt.iter, gast.Call) and stmt.iter.func.id == "range"
            assert all(atoms.is_atom(a) for a in stmt.iter.args)
    assert isinstance(fdef.body[-1], gast.Return)
    assert isinstance(fdef.body[-1].value, gast.Name)
    assert not any(isinstance(s, gast.Return) for s in _statements(fdef.body[:-1]))


@pytest.mark.parametrize("fn, shapes", FUNCTIONS, ids=IDS)
def test_no_augmented_assignment_or_method_call_is_left(fn, shapes):
    _, fdef, _ = normalized(fn)
    params = {a.id for a in fdef.args.args}
    locals_ = params | {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)
                        and isinstance(n.ctx, gast.Store)}
    for node in gast.walk(fdef):
        assert not isinstance(node, gast.AugAssign)
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
            receiver = node.func.value
            assert not (isinstance(receiver, gast.Name) and receiver.id in locals_), \
                f"method call .{node.func.attr}() on a local survived normalization"


@pytest.mark.parametrize("fn, shapes", FUNCTIONS, ids=IDS)
def test_every_statement_knows_its_line_in_the_users_file(fn, shapes):
    parsed, fdef, _ = normalized(fn)
    lines = parsed.source.lines
    first, last = min(lines), max(lines)
    for stmt in _statements(fdef.body):
        assert first < facts(stmt).line <= last
        assert parsed.source.line(facts(stmt).line)  # not blank


def test_temporaries_point_to_the_line_they_come_from():
    parsed, fdef, _ = normalized(models.lstm)
    for stmt in _statements(fdef.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            target = stmt.targets[0].id
            stem = target.rsplit("_", 1)[0] if target[-1].isdigit() else target
            if stem in {"z", "i", "f", "o", "g", "c"}:
                assert parsed.source.line(facts(stmt).line).startswith(f"{stem} = "), target


def test_iteration_over_an_array_reads_its_rows_by_index():
    _, fdef, _ = normalized(loops.over_rows)
    loop = next(s for s in fdef.body if isinstance(s, gast.For))
    first = loop.body[0]
    assert first.targets[0].id == "row"
    assert isinstance(first.value, gast.Subscript) and first.value.value.id == "m"
    assert first.value.slice.id == loop.target.id


def test_zip_reads_each_sequence_at_the_same_index():
    _, fdef, _ = normalized(loops.with_zip)
    loop = next(s for s in fdef.body if isinstance(s, gast.For))
    reads = {s.targets[0].id: (s.value.value.id, s.value.slice.id) for s in loop.body[:2]}
    assert reads == {"a": ("xs", loop.target.id), "b": ("ys", loop.target.id)}


def test_enumerate_uses_the_users_index_name():
    _, fdef, _ = normalized(loops.with_enumerate)
    loop = next(s for s in fdef.body if isinstance(s, gast.For))
    assert loop.target.id == "i"


def test_swap_reads_both_values_before_writing():
    _, fdef, _ = normalized(straight.tuple_unpacking)
    compiled, _ = compile_tree(fdef, straight.tuple_unpacking)
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    np.testing.assert_allclose(compiled(a, b), straight.tuple_unpacking(a, b))


def test_normalize_does_not_change_the_parsed_tree():
    parsed, _, _ = normalized(straight.augmented)
    assert any(isinstance(n, gast.AugAssign) for n in gast.walk(parsed.tree))


def _corpus_functions():
    import inspect as _inspect

    from corpus import calls, containers, control, indexing, loops, models, straight, writes
    for module in (calls, containers, control, indexing, loops, models, straight, writes):
        for name_, fn in vars(module).items():
            if _inspect.isfunction(fn) and fn.__module__ == module.__name__ and \
                    not name_.startswith("_"):
                yield fn


@pytest.mark.parametrize("fn", list(_corpus_functions()), ids=lambda fn: fn.__name__)
def test_an_operations_operands_are_nodes_of_its_statement(fn):
    """The passes rename a statement's names in place; an operand the op keeps apart from
    the statement would keep a stale name, and its rule would differentiate another
    variable (as fused operands and list appends once did)."""
    import gast

    from srcgrad.errors import SrcgradError
    from srcgrad.ir import walk, walk_statements
    from srcgrad.passes.analysis import rename
    from srcgrad.passes.fuse import fuse

    try:
        _, fdef, namer = normalized(fn)
        fdef = fuse(fdef)
        fdef, _ = rename(fdef, namer, set())
    except SrcgradError:
        return  # (an unsupported construct: refused, nothing to check)
    for stmt in walk_statements(fdef.body):
        op = facts(stmt).op
        if op is None:
            continue
        own = {id(node) for node in walk(stmt)}
        for atom in list(op.bound.values()) + list(op.elements):
            if not isinstance(atom, gast.AST):
                continue
            for node in walk(atom):
                if isinstance(node, gast.Name):
                    assert id(node) in own, (fn.__name__, node.id, gast.dump(stmt))
