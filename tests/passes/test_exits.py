"""Early exits (continue, break, return) are structured wherever the loop holding them is."""

import numpy as np
import pytest

import srcgrad


def continue_in_a_loop_inside_an_if(x):
    s = 0.0
    if x.shape[0] > 1:
        for i in range(4):
            if i == 1:
                continue
            s = s + np.sum(x * i)
    return s


def continue_in_a_loop_inside_an_else(x):
    s = np.sum(x)
    if x.shape[0] > 10:
        s = s * 2.0
    else:
        for v in x:
            if v > 0.6:
                continue
            s = s + v * v
    return s


def break_in_a_while_inside_an_if(x):
    s = 0.0
    if x.shape[0] > 1:
        i = 0
        while i < 5:
            if i == 3:
                break
            s = s + np.sum(np.sin(x) * i)
            i = i + 1
    return s


@pytest.mark.parametrize("fn", [continue_in_a_loop_inside_an_if,
                                continue_in_a_loop_inside_an_else,
                                break_in_a_while_inside_an_if])
def test_exits_of_loops_nested_in_branches(fn):
    srcgrad.check_grads(fn, np.array([0.5, 1.0, -2.0]))
