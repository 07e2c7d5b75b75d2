"""Clean-up passes of srcgrad/optimize.py, seen in the generated code: folding single-use
temporaries back into the line that reads them."""

import numpy as np

import srcgrad


def dense(W, b, x):
    h = np.tanh(x @ W + b)
    return np.sum(h)


def sine_of_scaled(x):
    return np.sum(np.sin(x * 2.0))


def noisy(x):
    return np.sum(x * np.random.normal(size=x.shape))


def loop(x, w):
    s = 0.0
    for t in range(x.shape[0]):
        s = s + np.sum(np.tanh(x[t] * w + 1.0))
    return s


def test_a_chain_of_temporaries_becomes_the_line_as_written():
    g = srcgrad.grad(dense, wrt=(0, 1))
    g(np.ones((3, 2)), np.zeros(2), np.ones((4, 3)))
    assert "    h = np.tanh(x @ W + b)\n" in g.source
    assert "h_1" not in g.source and "h_2" not in g.source


def test_a_temporary_the_backward_pass_reads_stays():
    g = srcgrad.grad(sine_of_scaled)
    np.testing.assert_allclose(g(np.arange(3.0)), 2.0 * np.cos(2.0 * np.arange(3.0)))
    assert "sine_of_scaled_1 = x * 2.0" in g.source
    assert "np.cos(sine_of_scaled_1)" in g.source  # the adjoint of sin reads it


def test_a_random_draw_is_not_moved():
    g = srcgrad.grad(noisy)
    np.random.seed(0)
    got = g(np.ones(3))
    np.random.seed(0)
    np.testing.assert_allclose(got, np.random.normal(size=3))
    draw = [line for line in g.source.splitlines()
            if "np.random.normal" in line and "#" not in line]
    assert len(draw) == 1 and draw[0].strip().startswith("noisy_")  # a line of its own


def test_temporaries_fold_inside_loop_bodies():
    g = srcgrad.grad(loop, wrt=(0, 1))
    x, w = np.linspace(0.0, 1.0, 6).reshape(3, 2), np.array([0.5, -1.0])
    dx, dw = g(x, w)
    d = 1.0 - np.tanh(x * w + 1.0) ** 2
    np.testing.assert_allclose(dx, d * w)
    np.testing.assert_allclose(dw, np.sum(d * x, axis=0))
    assert "np.tanh(x[t] * w + 1.0)" in g.source


def two_layers(W1, W2, x):
    h = np.tanh(x @ W1)
    return np.sum(np.tanh(h @ W2) ** 2)


def test_large_arrays_are_freed_after_their_last_read():
    rng = np.random.default_rng(0)
    W1, W2, x = (rng.standard_normal((300, 300)) * 0.05 for _ in range(3))
    g = srcgrad.grad(two_layers, wrt=(0, 1))
    dW1, dW2 = g(W1, W2, x)
    lines = [line.strip() for line in g.source.splitlines()]
    freed = [line for line in lines if line.startswith("del ")]
    assert freed, g.source
    names = {n.strip() for line in freed for n in line[4:].split(",")}
    assert not names & {"W1", "W2", "x", "dW1", "dW2"}  # parameters and results stay
    for name in names:  # nothing reads a name after it is freed
        after = lines[lines.index(next(f for f in freed if name in f)) + 1:]
        assert not any(name in line.replace(",", " ").split() for line in after
                       if not line.startswith("#")), name
    h = np.tanh(x @ W1)
    t = np.tanh(h @ W2)
    dt = 2.0 * t * (1.0 - t * t)
    np.testing.assert_allclose(dW2, h.T @ dt)
    np.testing.assert_allclose(dW1, x.T @ ((dt @ W2.T) * (1.0 - h * h)))


def test_small_arrays_are_not_freed():
    g = srcgrad.grad(two_layers, wrt=(0, 1))
    g(np.ones((4, 3)), np.ones((3, 2)), np.ones((5, 4)))
    assert "del " not in g.source


def spring(k, x0, steps):
    x = x0
    v = 0.0
    for i in range(steps):
        v = v + 0.1 * (-k * x)
        x = x + 0.1 * v
    return x * x


def test_a_value_hoisted_out_of_a_loop_is_not_taped():
    g = srcgrad.grad(spring, wrt=(0, 1))
    dk, dx0 = g(2.0, 1.0, 5)
    assert "tape.append((x,))" in g.source or "tape.append(x)" in g.source, g.source
    h = 1e-6
    np.testing.assert_allclose(dk, (spring(2.0 + h, 1.0, 5) - spring(2.0 - h, 1.0, 5)) / (2 * h),
                               rtol=1e-6)
    np.testing.assert_allclose(dx0, (spring(2.0, 1.0 + h, 5) - spring(2.0, 1.0 - h, 5)) / (2 * h),
                               rtol=1e-6)
