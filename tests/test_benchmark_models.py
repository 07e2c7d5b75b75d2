"""The benchmark models' gradients (benchmarks/models): srcgrad's, in the versions for the
arguments' shapes and for any shapes, against the hand-written adjoints, and the 50-line
function used for transformation times against central differences."""

import numpy as np
import pytest
from corpus.support import assert_grads_close, numeric_grads, srcgrad_grads

from benchmarks.models import all_models, fifty


def _positions(model):
    import inspect

    names = list(inspect.signature(model.loss).parameters)
    return tuple(names.index(w) for w in model.wrt)


@pytest.mark.parametrize("model", [m for m in all_models() if m.hand_grad is not None],
                         ids=lambda m: m.name)
def test_gradient_matches_the_hand_written_adjoint(model):
    args = model.make_args(True)
    got = srcgrad_grads(model.loss, args, _positions(model))
    expected = model.hand_grad(*args)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(e, dtype=float),
                                   rtol=1e-7, atol=1e-10)


def test_fifty_line_function_matches_central_differences():
    args = fifty.make_args()
    names = fifty.fifty_line_loss.__code__.co_varnames[:fifty.fifty_line_loss.__code__.co_argcount]
    wrt = tuple(names.index(w) for w in fifty.WRT)
    assert_grads_close(srcgrad_grads(fifty.fifty_line_loss, args, wrt),
                       numeric_grads(fifty.fifty_line_loss, args, wrt), rtol=1e-5, atol=1e-7)
