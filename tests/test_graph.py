"""Computation graphs of normalized functions and of generated adjoints (srcgrad.graph)."""

from __future__ import annotations

import re
import textwrap

import gast
import numpy as np
import pytest

from srcgrad import grad, ir
from srcgrad import graph as graphs
from srcgrad.errors import NonDifferentiableError
from srcgrad.passes.codegen import to_source


def mlp(W, b, x):
    h = np.tanh(x @ W + b)
    return np.sum(h * h)


def recurrent(w, xs):
    h = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(w * h + xs[t])
    return h


def branchy(x, flip):
    y = x * x
    if flip > 0:
        y = -y
    return np.sum(y)


def halving(x):
    y = x
    while np.sum(y * y) > 1.0:
        y = y * 0.5
    return np.sum(y)


def contraction(a, b):
    c = np.einsum("ij,jk->ik", a, b)
    return np.sum(c)


def labels(graph, kind=None):
    return [n.label for n in graph.nodes.values() if kind is None or n.kind == kind]


def cluster_labels(cluster):
    found = []
    for child in cluster.children:
        found.append(child.label)
        found.extend(cluster_labels(child))
    return found


def test_forward_graph_has_variables_operations_and_edges():
    g = graphs.forward_graph(mlp)
    variables = labels(g, "var")
    for name in ("W", "b", "x", "h"):
        assert name in variables
    ops = labels(g, "op")
    assert "np.tanh(h_2)" in ops or any(op.startswith("np.tanh(") for op in ops)
    assert any("@" in op for op in ops)
    # every edge joins existing nodes, and every operation has an input and an output
    for edge in g.edges:
        assert edge.source in g.nodes and edge.target in g.nodes
    tanh = next(n.id for n in g.nodes.values() if n.label.startswith("np.tanh("))
    assert any(e.target == tanh for e in g.edges)
    assert any(e.source == tanh for e in g.edges)


def test_forward_graph_groups_operations_by_source_line():
    g = graphs.forward_graph(mlp)
    clusters = cluster_labels(g.root)
    assert any("h = np.tanh(x @ W + b)" in label for label in clusters)


def test_result_is_marked():
    g = graphs.forward_graph(mlp)
    marked = [n for n in g.nodes.values() if n.attrs.get("peripheries") == "2"]
    assert [n.label for n in marked] == ["mlp"]


def test_loops_are_clusters_with_carried_values():
    g = graphs.forward_graph(recurrent)
    assert any(label.startswith("line ") and "for t in range" in label
               for label in cluster_labels(g.root))
    back = [e for e in g.edges if e.attrs.get("label") == "next"]
    assert back, "the loop-carried h needs an edge to the next iteration"
    assert all(g.nodes[e.target].label == "h" for e in back)


def test_if_merges_the_versions_of_its_branches():
    g = graphs.forward_graph(branchy)
    assert any(label.startswith("line ") and "if flip > 0" in label
               for label in cluster_labels(g.root))
    merged = [n for n in g.nodes.values() if n.kind == "var" and
              n.attrs.get("style") == "dotted"]
    assert [n.label for n in merged] == ["y"]
    assert sum(1 for e in g.edges if e.target == merged[0].id) == 2


def test_while_is_a_loop():
    g = graphs.forward_graph(halving)
    assert any("while np.sum(y * y) > 1.0" in label for label in cluster_labels(g.root))
    assert [e for e in g.edges if e.attrs.get("label") == "next"]


def test_adjoint_graph_of_branches_and_while_loops():
    for fn in (branchy, halving):
        text = graphs.to_dot(graphs.adjoint_graph(grad(fn).source))
        assert text.count("{") == text.count("}")


def test_wrt_shades_active_values():
    g = graphs.forward_graph(mlp, wrt=["W"])
    fills = {n.label: n.attrs.get("fillcolor") for n in g.nodes.values() if n.kind == "var"}
    assert fills["W"] is not None
    assert fills["h"] is not None          # depends on W and reaches the output
    assert fills["x"] is None              # not differentiated


def test_adjoint_graph_has_grad_blocks_and_tape():
    source = grad(recurrent, wrt="w").source
    g = graphs.adjoint_graph(source)
    clusters = cluster_labels(g.root)
    assert any(label.startswith("grad of: ") for label in clusters)
    assert any("reversed(range(" in label for label in clusters)
    tape = [n for n in g.nodes.values() if n.kind == "tape"]
    assert len(tape) == 1
    edge_labels = {e.attrs.get("label") for e in g.edges}
    assert {"push", "pop"} <= edge_labels
    shaded = [n.label for n in g.nodes.values()
              if n.kind == "var" and n.attrs.get("fillcolor")]
    assert "dw" in shaded


def test_parse_generated_reads_comments_as_comment_statements():
    source = grad(recurrent, wrt="w").source
    fdef = graphs.parse_generated(source)
    comments = [s for s in ir.walk_statements(fdef.body) if ir.is_comment(s)]
    lines = [line.strip()[2:] for line in source.splitlines() if line.strip().startswith("#")]
    assert [ir.comment_text(c) for c in comments] == lines
    loop = next(s for s in fdef.body if isinstance(s, gast.For) and
                any(ir.is_comment(inner) for inner in s.body))
    assert ir.comment_text(loop.body[0]).startswith("grad of: ")


def test_parse_generated_places_comments_in_the_block_that_holds_them():
    fdef = graphs.parse_generated(textwrap.dedent("""\
        def f(x):
            # a
            if x:
                # b
                y = 1
            else:
                # c
                y = 2
            # d
            return y  # not a line of its own: not a statement
        """))
    texts = [ir.comment_text(s) for s in fdef.body]
    assert texts == ["a", None, "d", None]
    branch = fdef.body[1]
    assert [ir.comment_text(s) for s in branch.body + branch.orelse] == ["b", None, "c", None]


def test_the_normalized_function_is_what_gets_differentiated():
    def written_through_a_view(x):
        y = x * 1.0
        v = y[0]
        v *= 2.0  # changes y
        return np.sum(y)

    def named_like_a_helper(x):
        spread = 1.0 / (1.0 + np.exp(-x))
        return np.sum(spread)

    text = to_source(graphs.normalized_function(written_through_a_view)[0])
    assert "y_1[0] = v_1" in text  # the write, carried to y
    text = to_source(graphs.normalized_function(named_like_a_helper)[0])
    assert "spread_1 = 1.0 / (1.0 + np.exp(-x))" in text  # renamed, and fused (one rule)
    assert "spread_1" in grad(named_like_a_helper).source


def test_drawing_needs_no_rule_without_wrt():
    def opaque(x):
        return np.sum(np.unwrap(x))

    assert "np.unwrap" in graphs.to_dot(graphs.forward_graph(opaque))
    with pytest.raises(NonDifferentiableError, match="np.unwrap"):
        graphs.forward_graph(opaque, wrt=["x"])


def test_dot_text_is_well_formed_and_quotes_labels():
    text = graphs.to_dot(graphs.forward_graph(contraction))
    assert text.startswith('digraph "contraction" {')
    assert text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    # the subscripts string is inside a quoted label, its quotes escaped
    assert re.search(r'label="np\.einsum\(\\"ij,jk->ik\\"', text) or \
        re.search(r"label=\"np\.einsum\('ij,jk->ik'", text)
    for line in text.splitlines():
        if "->" in line and "label=" not in line:
            assert re.fullmatch(r"\s*n\d+ -> n\d+( \[.*\])?;", line)


@pytest.mark.skipif(graphs.dot_program() is None, reason="Graphviz's dot is not installed")
def test_render_svg(tmp_path):
    out = tmp_path / "g.svg"
    graphs.render(graphs.to_dot(graphs.forward_graph(recurrent, wrt=["w"])), out)
    assert out.read_text().lstrip().startswith(("<?xml", "<svg"))
    out = tmp_path / "a.svg"
    graphs.render(graphs.to_dot(graphs.adjoint_graph(grad(recurrent).source)), out)
    assert "<svg" in out.read_text()


def test_render_refuses_unknown_formats(tmp_path):
    with pytest.raises(graphs.GraphRenderError, match="use a .dot"):
        graphs.render("digraph {}", tmp_path / "g.txt")


def test_render_without_dot(tmp_path, monkeypatch):
    monkeypatch.setattr(graphs, "dot_program", lambda: None)
    with pytest.raises(graphs.GraphRenderError, match="not installed"):
        graphs.render("digraph {}", tmp_path / "g.svg")
