"""ADBench's LSTM objective (Srajer, Kukelova & Fitzgibbon 2018), as GradBench's ``lstm`` eval.

A 2-layer LSTM with *diagonal* weights reads a text of 1024 characters, each a vector of 14 bits,
and predicts the next one; the objective is the average negative log-likelihood
``-sum(target * (ypred - log(sum(exp(ypred)) + 2))) / count``. The "+ 2" is ADBench's (Python's
``sum(v, 2)``; see ADBench issue 143). Parameters: ``main_params`` (2 * layers, 4 * bits) holds
each layer's weight and bias rows, ``extra_params`` (3, bits) the input scale, output scale and
output bias; ``state`` (2 * layers, bits) the initial h and c of each layer.

Reference: ADBench ``src/python/modules/PyTorch/lstm_objective.py`` (the GradBench ``lstm`` eval
uses the same definition). :func:`adbench_lstm_canonical` is that code in NumPy, with the state a
Python list rebuilt each step and the cell a helper function. srcgrad does not support helper
calls and lists yet, so :func:`adbench_lstm_objective` (the one benchmarked) has the two layers
inlined and the state in four variables h0, c0, h1, c1; ``check_versions`` confirms both give
the same value.

Data: ADBench's file holds random uniform [0, 1) parameters and state and a text whose
characters become 14-bit vectors; here the parameters are drawn the same way (seeded) and the
text is 1024 random 14-bit characters.
"""

from __future__ import annotations

import numpy as np

from . import Model


def adbench_lstm_objective(main_params, extra_params, state, sequence):
    hs = sequence.shape[1]
    w0 = main_params[0]
    b0 = main_params[1]
    w1 = main_params[2]
    b1 = main_params[3]
    w_in = extra_params[0]
    w_out = extra_params[1]
    b_out = extra_params[2]
    h0 = state[0]
    c0 = state[1]
    h1 = state[2]
    c1 = state[3]
    total = 0.0
    for t in range(sequence.shape[0] - 1):
        x = sequence[t] * w_in
        # layer 0: gates = concatenate((x, h, x, h)) * weight + bias
        gates = np.concatenate((x, h0, x, h0)) * w0 + b0
        forget = 1.0 / (1.0 + np.exp(-gates[0:hs]))
        ingate = 1.0 / (1.0 + np.exp(-gates[hs:2 * hs]))
        outgate = 1.0 / (1.0 + np.exp(-gates[2 * hs:3 * hs]))
        change = np.tanh(gates[3 * hs:])
        c0 = c0 * forget + ingate * change
        h0 = outgate * np.tanh(c0)
        # layer 1 reads layer 0's new hidden state
        gates = np.concatenate((h0, h1, h0, h1)) * w1 + b1
        forget = 1.0 / (1.0 + np.exp(-gates[0:hs]))
        ingate = 1.0 / (1.0 + np.exp(-gates[hs:2 * hs]))
        outgate = 1.0 / (1.0 + np.exp(-gates[2 * hs:3 * hs]))
        change = np.tanh(gates[3 * hs:])
        c1 = c1 * forget + ingate * change
        h1 = outgate * np.tanh(c1)
        ypred = h1 * w_out + b_out
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2.0)
        total = total + np.sum(sequence[t + 1] * ynorm)
    count = (sequence.shape[0] - 1) * sequence.shape[1]
    return -total / count


# -- the canonical, list-based version (ADBench's code in NumPy), for when srcgrad supports it --

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_cell(weight, bias, hidden, cell, _input):
    gates = np.concatenate((_input, hidden, _input, hidden)) * weight + bias
    hsize = hidden.shape[0]
    forget = sigmoid(gates[0:hsize])
    ingate = sigmoid(gates[hsize:2 * hsize])
    outgate = sigmoid(gates[2 * hsize:3 * hsize])
    change = np.tanh(gates[3 * hsize:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def lstm_predict(w, w2, s, x):
    s2 = []
    x = x * w2[0]
    for i in range(0, len(s), 2):
        hidden, cell = lstm_cell(w[i], w[i + 1], s[i], s[i + 1], x)
        s2.append(hidden)
        s2.append(cell)
        x = hidden
    return x * w2[1] + w2[2], s2


def adbench_lstm_canonical(main_params, extra_params, state, sequence):
    total = 0.0
    count = 0
    _input = sequence[0]
    s = [state[i] for i in range(state.shape[0])]
    for t in range(sequence.shape[0] - 1):
        ypred, s = lstm_predict(main_params, extra_params, s, _input)
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2.0)
        ygold = sequence[t + 1]
        total = total + np.sum(ygold * ynorm)
        count = count + ygold.shape[0]
        _input = ygold
    return -total / count


# -- by hand --------------------------------------------------------------------------------

def adbench_lstm_hand_grad(main_params, extra_params, state, sequence):
    """The adjoint by hand: a forward loop that keeps each step's gates, a backward loop."""
    hs = sequence.shape[1]
    T = sequence.shape[0] - 1
    w0, b0, w1, b1 = main_params
    w_in, w_out, b_out = extra_params
    h0, c0, h1, c1 = state
    tape = []
    for t in range(T):
        x = sequence[t] * w_in
        v0 = np.concatenate((x, h0, x, h0))
        g0 = v0 * w0 + b0
        s0 = 1.0 / (1.0 + np.exp(-g0[:3 * hs]))
        ch0 = np.tanh(g0[3 * hs:])
        c0_prev = c0
        c0 = c0 * s0[:hs] + s0[hs:2 * hs] * ch0
        tc0 = np.tanh(c0)
        h0 = s0[2 * hs:] * tc0
        v1 = np.concatenate((h0, h1, h0, h1))
        g1 = v1 * w1 + b1
        s1 = 1.0 / (1.0 + np.exp(-g1[:3 * hs]))
        ch1 = np.tanh(g1[3 * hs:])
        c1_prev = c1
        c1 = c1 * s1[:hs] + s1[hs:2 * hs] * ch1
        tc1 = np.tanh(c1)
        h1 = s1[2 * hs:] * tc1
        tape.append((v0, s0, ch0, c0_prev, tc0, v1, s1, ch1, c1_prev, tc1, h1))
    # The output layer and the loss, for all steps at once.
    H1 = np.array([entry[-1] for entry in tape])          # (T, hs)
    ypred = H1 * w_out + b_out
    e = np.exp(ypred)
    target = sequence[1:]
    scale = -1.0 / (T * hs)
    dynorm = scale * target
    dypred = dynorm - np.sum(dynorm, axis=1, keepdims=True) * e / (np.sum(e, axis=1,
                                                                          keepdims=True) + 2.0)
    dw_out = np.sum(dypred * H1, axis=0)
    db_out = np.sum(dypred, axis=0)
    dH1 = dypred * w_out
    dw0 = np.zeros_like(w0)
    db0 = np.zeros_like(b0)
    dw1 = np.zeros_like(w1)
    db1 = np.zeros_like(b1)
    dw_in = np.zeros_like(w_in)
    dh0 = np.zeros(hs)
    dc0 = np.zeros(hs)
    dh1 = np.zeros(hs)
    dc1 = np.zeros(hs)
    dg = np.empty(4 * hs)
    for t in reversed(range(T)):
        v0, s0, ch0, c0_prev, tc0, v1, s1, ch1, c1_prev, tc1, _ = tape[t]
        # layer 1
        dh = dh1 + dH1[t]
        o = s1[2 * hs:]
        dc = dc1 + dh * o * (1.0 - tc1 * tc1)
        dg[:hs] = dc * c1_prev
        dg[hs:2 * hs] = dc * ch1
        dg[2 * hs:3 * hs] = dh * tc1
        dg[:3 * hs] *= s1 * (1.0 - s1)
        dg[3 * hs:] = dc * s1[hs:2 * hs] * (1.0 - ch1 * ch1)
        dc1 = dc * s1[:hs]
        dw1 += dg * v1
        db1 += dg
        dv = dg * w1
        dh1 = dv[hs:2 * hs] + dv[3 * hs:]
        # layer 0
        dh = dh0 + dv[:hs] + dv[2 * hs:3 * hs]
        o = s0[2 * hs:]
        dc = dc0 + dh * o * (1.0 - tc0 * tc0)
        dg[:hs] = dc * c0_prev
        dg[hs:2 * hs] = dc * ch0
        dg[2 * hs:3 * hs] = dh * tc0
        dg[:3 * hs] *= s0 * (1.0 - s0)
        dg[3 * hs:] = dc * s0[hs:2 * hs] * (1.0 - ch0 * ch0)
        dc0 = dc * s0[:hs]
        dw0 += dg * v0
        db0 += dg
        dv = dg * w0
        dh0 = dv[hs:2 * hs] + dv[3 * hs:]
        dw_in += (dv[:hs] + dv[2 * hs:3 * hs]) * sequence[t]
    return (np.stack([dw0, db0, dw1, db1]), np.stack([dw_in, dw_out, db_out]))


def torch_loss(torch):
    def adbench_lstm_torch(main_params, extra_params, state, sequence):
        hs = sequence.shape[1]
        w0 = main_params[0]
        b0 = main_params[1]
        w1 = main_params[2]
        b1 = main_params[3]
        w_in = extra_params[0]
        w_out = extra_params[1]
        b_out = extra_params[2]
        h0 = state[0]
        c0 = state[1]
        h1 = state[2]
        c1 = state[3]
        total = 0.0
        for t in range(sequence.shape[0] - 1):
            x = sequence[t] * w_in
            gates = torch.cat((x, h0, x, h0)) * w0 + b0
            forget = 1.0 / (1.0 + torch.exp(-gates[0:hs]))
            ingate = 1.0 / (1.0 + torch.exp(-gates[hs:2 * hs]))
            outgate = 1.0 / (1.0 + torch.exp(-gates[2 * hs:3 * hs]))
            change = torch.tanh(gates[3 * hs:])
            c0 = c0 * forget + ingate * change
            h0 = outgate * torch.tanh(c0)
            gates = torch.cat((h0, h1, h0, h1)) * w1 + b1
            forget = 1.0 / (1.0 + torch.exp(-gates[0:hs]))
            ingate = 1.0 / (1.0 + torch.exp(-gates[hs:2 * hs]))
            outgate = 1.0 / (1.0 + torch.exp(-gates[2 * hs:3 * hs]))
            change = torch.tanh(gates[3 * hs:])
            c1 = c1 * forget + ingate * change
            h1 = outgate * torch.tanh(c1)
            ypred = h1 * w_out + b_out
            ynorm = ypred - torch.log(torch.sum(torch.exp(ypred)) + 2.0)
            total = total + torch.sum(sequence[t + 1] * ynorm)
        count = (sequence.shape[0] - 1) * sequence.shape[1]
        return -total / count
    return adbench_lstm_torch


def torch_loss_canonical(torch):
    def lstm_cell_torch(weight, bias, hidden, cell, _input):
        gates = torch.cat((_input, hidden, _input, hidden)) * weight + bias
        hsize = hidden.shape[0]
        forget = torch.sigmoid(gates[0:hsize])
        ingate = torch.sigmoid(gates[hsize:2 * hsize])
        outgate = torch.sigmoid(gates[2 * hsize:3 * hsize])
        change = torch.tanh(gates[3 * hsize:])
        cell = cell * forget + ingate * change
        hidden = outgate * torch.tanh(cell)
        return hidden, cell

    def lstm_predict_torch(w, w2, s, x):
        s2 = []
        x = x * w2[0]
        for i in range(0, len(s), 2):
            hidden, cell = lstm_cell_torch(w[i], w[i + 1], s[i], s[i + 1], x)
            s2.append(hidden)
            s2.append(cell)
            x = hidden
        return x * w2[1] + w2[2], s2

    def adbench_lstm_canonical_torch(main_params, extra_params, state, sequence):
        total = 0.0
        count = 0
        _input = sequence[0]
        s = [state[i] for i in range(state.shape[0])]
        for t in range(sequence.shape[0] - 1):
            ypred, s = lstm_predict_torch(main_params, extra_params, s, _input)
            ynorm = ypred - torch.log(torch.sum(torch.exp(ypred)) + 2.0)
            ygold = sequence[t + 1]
            total = total + torch.sum(ygold * ynorm)
            count = count + ygold.shape[0]
            _input = ygold
        return -total / count
    return adbench_lstm_canonical_torch


def make_args(quick: bool = False, layers: int = 2, chars: int = 1024, bits: int = 14):
    rng = np.random.default_rng(3)
    main_params = rng.random((2 * layers, 4 * bits))
    extra_params = rng.random((3, bits))
    state = rng.random((2 * layers, bits))
    sequence = rng.integers(0, 2, (chars, bits)).astype(float)
    return main_params, extra_params, state, sequence


def check_versions() -> float:
    """The inlined and the canonical list-based versions agree; returns the objective."""
    args = make_args()
    a = adbench_lstm_objective(*args)
    b = adbench_lstm_canonical(*args)
    assert np.isclose(a, b, rtol=1e-12, atol=0), (a, b)
    return float(a)


MODEL = Model(
    name="adbench-lstm",
    description="ADBench LSTM: 2 layers, 1024 chars, 14 bits, diagonal weights",
    loss=adbench_lstm_objective,
    wrt=("main_params", "extra_params"),
    make_args=make_args,
    torch_loss=torch_loss,
    hand_grad=adbench_lstm_hand_grad,
    skip={"jax": "about 45 s per call, op by op (measured: 44-48 s); --include-slow runs it",
          "jax-jit": "tracing the 1023-step Python loop unrolled: XLA's compile had not "
                     "finished after 5 min and held 9 GB; --include-slow runs it"},
)

# The canonical list-based code: helper calls, a list state rebuilt with append. Benchmarked
# as well, for the srcgrad versions that support it (an engine error is reported as such).
MODEL_CANONICAL = Model(
    name="adbench-lstm-canonical",
    description="the same objective, ADBench's list-based code (helpers, list state, append)",
    loss=adbench_lstm_canonical,
    wrt=("main_params", "extra_params"),
    make_args=make_args,
    torch_loss=torch_loss_canonical,
    hand_grad=adbench_lstm_hand_grad,
    notes={"torch": "torch.sigmoid, as ADBench's PyTorch code"},
    skip=dict(MODEL.skip),
)
