"""ADBench's LSTM objective: helpers, a list state rebuilt with append, builtin sum."""

import numpy as np
import pytest
from corpus import adbench_lstm as lstm

import srcgrad
from srcgrad.check import numerical_grad


@pytest.mark.parametrize("layers, chars, bits", [(1, 4, 3), (2, 6, 4)])
def test_gradient_matches_central_differences(layers, chars, bits):
    main, extra, state, sequence = lstm.make_inputs(layers, chars, bits)
    d_main, d_extra = srcgrad.grad(lstm.lstm_objective, wrt=(0, 1))(main, extra, state,
                                                                   sequence)
    args = [main, extra, state, sequence]
    np.testing.assert_allclose(d_main, numerical_grad(lstm.lstm_objective, args, 0),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(d_extra, numerical_grad(lstm.lstm_objective, args, 1),
                               rtol=1e-6, atol=1e-9)


def test_gradient_of_the_list_state_has_its_structure():
    main, extra, state, sequence = lstm.make_inputs(2, 5, 3)
    d_state = srcgrad.grad(lstm.lstm_objective, wrt="state")(main, extra, state, sequence)
    assert isinstance(d_state, list) and len(d_state) == len(state)
    for i, item in enumerate(state):
        def f(v, i=i):
            changed = list(state)
            changed[i] = v
            return lstm.lstm_objective(main, extra, changed, sequence)
        np.testing.assert_allclose(d_state[i], numerical_grad(f, [item], 0), rtol=1e-6,
                                   atol=1e-9)


def test_value_and_grad_returns_the_objective():
    main, extra, state, sequence = lstm.make_inputs(2, 5, 3)
    value, _ = srcgrad.value_and_grad(lstm.lstm_objective, wrt=0)(main, extra, state, sequence)
    assert value == pytest.approx(lstm.lstm_objective(main, extra, state, sequence))
