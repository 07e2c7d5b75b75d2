"""The alias/effect pass: writes through one name reach every other name of that memory."""

import inspect
import re

import numpy as np
import pytest
from corpus import aliasing
from corpus.support import numeric_grads

import srcgrad


def _x():
    return np.random.default_rng(7).normal(size=(2, 3))


@pytest.mark.parametrize("fn", aliasing.SHARED, ids=lambda f: f.__name__)
def test_gradient_of_what_numpy_computes(fn):
    x = _x()
    expected_value = fn(x.copy())
    kept = x.copy()
    value, got = srcgrad.value_and_grad(fn)(x)
    np.testing.assert_array_equal(x, kept)  # the caller's array is left as it was
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    expected = numeric_grads(lambda x: fn(x.copy()), [x], 0)[0]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn", aliasing.REFUSED, ids=lambda f: f.__name__)
def test_refused_at_the_line(fn):
    lines, first = inspect.getsourcelines(fn)
    line = first + next(i for i, text in enumerate(lines) if "# refused" in text)
    with pytest.raises(srcgrad.SrcgradError) as info:
        srcgrad.grad(fn)(_x())
    assert f"line {line}" in str(info.value)


def test_no_copies_without_sharing():
    """A write into memory no other name sees is the plain update, as before."""
    source = srcgrad.grad(aliasing.list_append_alias_unread).source
    assert "np.copy" not in source


def test_write_back_reads_like_the_code():
    source = srcgrad.grad(aliasing.transpose_view, wrt=0).source
    assert re.search(r"\n    y_\d+ = v_\d+\.T\n", source)


def test_overwritten_rows_get_no_gradient_whatever_the_value():
    """A[1] = b: A's old row 1 reaches nothing, whether or not b is differentiated."""
    A = np.arange(6.0).reshape(2, 3)
    grads = srcgrad.grad(aliasing.overwritten_row_of_parameter)(A.copy())
    np.testing.assert_allclose(grads, np.vstack([2.0 * A[0], np.zeros(3)]))


def _hvp_and_differences(fn):
    x = _x()
    v = np.random.default_rng(3).normal(size=x.shape)
    gradient = srcgrad.grad(fn)
    eps = 1e-6
    expected = (gradient(x + eps * v) - gradient(x - eps * v)) / (2 * eps)
    return (lambda: srcgrad.hvp(fn)(x, vector=v)), expected


@pytest.mark.parametrize("fn", aliasing.TAPED, ids=lambda f: f.__name__)
def test_hvp_where_the_tape_holds_an_array_written_later(fn):
    """The gradient pushes an array, then writes into it: the backward code undoes the write
    before the pop, so the tape gives it back as it was pushed, and hvp (forward mode over the
    gradient) computes it instead of refusing."""
    hvp, expected = _hvp_and_differences(fn)
    np.testing.assert_allclose(hvp(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", aliasing.TAPED_POP_UNCLEAR, ids=lambda f: f.__name__)
def test_hvp_where_a_popped_array_is_written_is_refused_or_right(fn):
    hvp, expected = _hvp_and_differences(fn)
    try:
        got = hvp()
    except srcgrad.SrcgradError as exc:
        assert "line" in str(exc)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)

