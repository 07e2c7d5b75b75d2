"""Rules for scipy.linalg: triangular solves, Cholesky factor and solve, expm, sqrtm."""

import numpy as np
import pytest

linalg = pytest.importorskip("scipy.linalg")

from scipy.linalg import cho_factor, cho_solve

import srcgrad

from .harness import check_rule, check_tangents


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def spd(n, seed=0):
    m = rand(n, n, seed=seed)
    return m @ m.T + n * np.eye(n)


@pytest.mark.parametrize("b_shape", [(3,), (3, 2)])
@pytest.mark.parametrize("trans", [0, 1, "T"])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular(b_shape, trans, lower, unit_diagonal):
    a = rand(3, 3) + 3.0 * np.eye(3)
    check_rule(linalg.solve_triangular, a, rand(*b_shape, seed=1), trans=trans, lower=lower,
               unit_diagonal=unit_diagonal)


@pytest.mark.parametrize("lower", [False, True])
def test_cho_factor(lower):
    g = [rand(3, 3, seed=2), None]
    check_rule(linalg.cho_factor, spd(3), lower=lower, g=g,
               fn=lambda *args, **kw: list(linalg.cho_factor(*args, **kw)))


@pytest.mark.parametrize("b_shape", [(3,), (3, 2)])
@pytest.mark.parametrize("lower", [False, True])
def test_cho_solve(b_shape, lower):
    c = linalg.cho_factor(spd(3), lower=lower)[0]
    check_rule(linalg.cho_solve, (c, lower), rand(*b_shape, seed=1), wrt=["b"])
    check_tangents(linalg.cho_solve, (c, lower), rand(*b_shape, seed=1), wrt=["c_and_lower"])


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_expm(shape):
    check_rule(linalg.expm, 0.5 * rand(*shape))


def test_sqrtm():
    check_rule(linalg.sqrtm, spd(3), rtol=1e-4)


# -- as users write them ---------------------------------------------------------------------

def gaussian_process_fit(a, y):
    factor = cho_factor(a, lower=True)
    alpha = cho_solve(factor, y)
    z = linalg.solve_triangular(a, y, lower=True)
    return y @ alpha + np.sum(linalg.expm(0.1 * a)) + z @ z


def test_end_to_end():  # the factor's adjoint reaches a through cho_solve
    srcgrad.check_grads(gaussian_process_fit, spd(3), rand(3, seed=1), wrt=["a", "y"],
                        rtol=1e-4)
