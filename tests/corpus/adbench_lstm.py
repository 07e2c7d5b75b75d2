"""ADBench's LSTM objective (Srajer, Kukelova, Fitzgibbon 2018), written as plain NumPy.

A stack of LSTM layers with diagonal weights (the cell and its sigmoid helper are the
benchmarks' ADBench code), the state kept as a Python list [h0, c0, h1, c1, ...] rebuilt each
step with .append, a prediction x * extra[1] + extra[2], and the loss
-sum(target * (ypred - log(sum(exp(ypred)) + 2))) / count over a binary sequence, with
Python's builtin sum as in ADBench's Python code.
"""

import numpy as np

from benchmarks.models.adbench_lstm import lstm_predict


def lstm_objective(main_params, extra_params, state, sequence):
    total = 0.0
    count = 0
    inp = sequence[0]
    for t in range(sequence.shape[0] - 1):
        ypred, state = lstm_predict(main_params, extra_params, state, inp)
        ynorm = ypred - np.log(sum(np.exp(ypred), 2))
        ygold = sequence[t + 1]
        total += sum(ygold * ynorm)
        count += ygold.shape[0]
        inp = ygold
    return -total / count


def make_inputs(layers=2, chars=10, bits=4, seed=0):
    """Inputs as ADBench makes them: weights in [-1, 1], a one-hot character sequence."""
    rng = np.random.default_rng(seed)
    main_params = rng.uniform(-1, 1, size=(2 * layers, 4 * bits))
    extra_params = rng.uniform(-1, 1, size=(3, bits))
    state = [rng.uniform(-1, 1, size=bits) for _ in range(2 * layers)]
    sequence = np.eye(bits)[rng.integers(0, bits, size=chars)]
    return main_params, extra_params, state, sequence
