"""Teach an LSTM a sine wave: read 5 points, predict the next; then generate 100 alone.

    python examples/lstm_sine.py               # train, generate, save lstm_sine.png
    python examples/lstm_sine.py --show-grad   # print the generated gradient code
    python examples/lstm_sine.py --device gpu  # the same code on CuPy arrays, on the GPU

The LSTM is unrolled with an ordinary Python ``for`` loop; srcgrad's gradient runs that loop
backwards (backpropagation through time), keeping only the values it needs on a tape.
"""

from __future__ import annotations

import time

import example_utils as ex
import numpy as np

from srcgrad import value_and_grad
from srcgrad.optimizers import Adam

WINDOW = 5      # points the model reads before each prediction
DT = 0.2        # time between two points


def wave(t):
    """The series to learn."""
    return 0.8 * np.sin(t)


def sigmoid(z):
    """The logistic function, squashing any number into (0, 1)."""
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step(Wx, Wh, b, x, h, c):
    """One step of an LSTM cell: input x (batch, 1), state h, c (batch, hidden) -> new h, c."""
    n = h.shape[1]                                 # hidden units
    z = x @ Wx + h @ Wh + b                        # all four gates at once, (batch, 4n)
    i = sigmoid(z[:, :n])                          # input gate: how much to write
    f = sigmoid(z[:, n:2 * n])                     # forget gate: how much to keep
    o = sigmoid(z[:, 2 * n:3 * n])                 # output gate: how much to show
    g = np.tanh(z[:, 3 * n:])                      # candidate values to write
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, c


def lstm_loss(Wx, Wh, b, Wy, by, xs, y, h, c):
    """Mean squared error of the LSTM's prediction of the point after each window.

    xs: (WINDOW, batch, 1) windows, time first; y: (batch, 1) the points that follow them;
    h, c: (batch, hidden) initial hidden and cell states (zeros).
    """
    for t in range(xs.shape[0]):                   # unrolled in time: srcgrad tapes each step
        h, c = lstm_step(Wx, Wh, b, xs[t], h, c)   # helper functions are differentiated too
    pred = h @ Wy + by                             # read the next point off the last state
    return np.mean((pred - y) ** 2)


lstm_loss_grad = value_and_grad(lstm_loss, wrt=("Wx", "Wh", "b", "Wy", "by"))


def generate(params, seed_points, count):
    """Continue ``seed_points`` by ``count`` points, each predicted from the last WINDOW."""
    Wx, Wh, b, Wy, by = params
    points = list(seed_points)
    for _ in range(count):
        h = c = np.zeros((1, Wh.shape[0]))
        for x in points[-WINDOW:]:
            h, c = lstm_step(Wx, Wh, b, np.array([[x]]), h, c)
        points.append((h @ Wy + by).item())
    return np.array(points[len(seed_points):])


def init_params(hidden, rng):
    """Random weights scaled by 1/sqrt(fan-in); forget-gate bias 1 (remember by default)."""
    b = np.zeros(4 * hidden)
    b[hidden:2 * hidden] = 1.0
    return (rng.normal(0, 1.0, (1, 4 * hidden)),
            rng.normal(0, 1 / np.sqrt(hidden), (hidden, 4 * hidden)), b,
            rng.normal(0, 1 / np.sqrt(hidden), (hidden, 1)), np.zeros(1))


def main(argv=None):
    p = ex.parser(__doc__.splitlines()[0], steps=2000)
    p.add_argument("--hidden", type=int, default=32, help="LSTM hidden units")
    p.add_argument("--batch-size", type=int, default=32, help="windows per step")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    p.add_argument("--generate", type=int, default=100, help="points to generate")
    args = p.parse_args(argv)
    if args.show_grad:
        ex.show(lstm_loss_grad.source)
        return {}

    rng = np.random.default_rng(args.seed)
    series = wave(DT * np.arange(1000))            # training data: 1,000 points of the wave
    params = init_params(args.hidden, rng)
    if args.load:
        params = ex.load_params(args.load, params)
    xp = ex.device_arrays(args.device)  # NumPy, or CuPy for --device gpu: the same model code
    params = ex.to_device(xp, params)
    h0 = xp.zeros((args.batch_size, args.hidden))
    opt = Adam(lr=args.lr)
    losses, start = [], time.perf_counter()
    for step in ex.progress(range(args.steps), desc="training"):
        opt.lr = args.lr * 0.02 ** (step / args.steps)  # decay the step size 50x over training
        # A batch of random windows of WINDOW points, and the point after each.
        first = rng.integers(0, len(series) - WINDOW, args.batch_size)
        windows = series[first[:, None] + np.arange(WINDOW)]          # (batch, WINDOW)
        xs = windows.T[:, :, None]                                     # (WINDOW, batch, 1)
        y = series[first + WINDOW][:, None]                            # (batch, 1)
        loss, grads = lstm_loss_grad(*params, *ex.to_device(xp, (xs, y)), h0, h0)
        params = opt.step(params, grads)
        losses.append(float(loss))
    seconds = time.perf_counter() - start
    params = ex.to_host(params)
    if args.save:
        print(f"saved the parameters to {ex.save_params(args.save, params)}")

    # Generate past the end of the training data, from WINDOW true points.
    t = DT * np.arange(1000, 1000 + WINDOW + args.generate)
    truth = wave(t)
    generated = generate(params, truth[:WINDOW], args.generate)
    rmse = np.sqrt(np.mean((generated - truth[WINDOW:]) ** 2))
    baseline = np.sqrt(np.mean((truth[WINDOW - 1] - truth[WINDOW:]) ** 2))  # repeat last value
    print(f"generating {args.generate} points from {WINDOW}: RMSE {rmse:.4f}, versus "
          f"{baseline:.4f} for repeating the last seed point ({baseline / rmse:.0f}x better)")

    plt = ex.pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(t, truth, color="0.6", lw=3, label="true wave")
    ax.plot(t[:WINDOW], truth[:WINDOW], "ko", label=f"{WINDOW} seed points")
    ax.plot(t[WINDOW:], generated, color="C3", lw=1.5, label="generated by the LSTM")
    ax.set(xlabel="t", title=f"LSTM on a sine wave, generating: RMSE {rmse:.3f} "
                             f"(repeat-last baseline {baseline:.3f})")
    ax.set_ylim(-1.1, 1.3)
    ax.legend(loc="upper center", ncol=3, fontsize=8)
    files = [ex.save_figure(fig, args.out, "lstm_sine.png"),
             ex.plot_curve(losses, args.out, "lstm_sine_loss.png", smooth=50, log=True,
                           title="LSTM on a sine wave: training loss (mean squared error)")]
    print(f"wrote {', '.join(str(f) for f in files)}")
    print(ex.loss_trend(losses))
    print(f"lstm_sine: generation RMSE {rmse:.4f} vs baseline {baseline:.4f}, "
          f"{args.steps} steps in {seconds:.1f} s")
    return {"losses": losses, "rmse": float(rmse), "baseline": float(baseline),
            "files": files, "seconds": seconds}


if __name__ == "__main__":
    main()
