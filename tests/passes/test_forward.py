"""Forward mode (srcgrad/passes/forward.py) on constructs the random-program fuzzer found wrong:
each tangent against central differences along the direction and against <grad, v>."""

import numpy as np

import srcgrad


def _check_jvp(f, args, direction):
    _, got = srcgrad.jvp(f, wrt=tuple(range(len(args))))(*args, tangent=tuple(direction))
    eps = 1e-6
    plus = f(*[x + eps * v for x, v in zip(args, direction)])
    minus = f(*[x - eps * v for x, v in zip(args, direction)])
    np.testing.assert_allclose(got, (plus - minus) / (2 * eps), rtol=1e-6)
    grads = srcgrad.grad(f, wrt=tuple(range(len(args))))(*args)
    np.testing.assert_allclose(got, sum(np.sum(g * v) for g, v in zip(grads, direction)),
                               rtol=1e-12)


def reversed_rows(b):
    rows = list(b)  # a list grown item by item: its tangent too, one tangent per item
    return sum(np.sum(r * b) for r in reversed(rows)) + np.sum(rows[0] * rows[1] ** 2)


def test_a_list_grown_by_concatenation_has_one_tangent_per_item():
    rng = np.random.default_rng(0)
    _check_jvp(reversed_rows, [rng.uniform(-1, 1, (2, 3))], [rng.standard_normal((2, 3))])
