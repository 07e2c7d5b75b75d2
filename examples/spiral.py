"""Separate three interleaved spirals with a small neural network (a classic toy problem).

    python examples/spiral.py               # train, save spiral.png with the decision regions
    python examples/spiral.py --show-grad   # print the generated gradient code

A linear classifier cannot do better than about 50% here; one hidden layer of ReLUs can
bend its decision boundaries around the arms. The data set is the one from Stanford's
CS231n course notes: points along three spiral arms, with some noise.
"""

from __future__ import annotations

import time

import example_utils as ex
import numpy as np

from srcgrad import value_and_grad
from srcgrad.optimizers import Adam


def make_spirals(points_per_class, classes, rng):
    """``classes`` spiral arms of ``points_per_class`` noisy points each: (x, labels)."""
    x = np.zeros((points_per_class * classes, 2))
    labels = np.zeros(points_per_class * classes, dtype=int)
    for k in range(classes):
        rows = slice(points_per_class * k, points_per_class * (k + 1))
        radius = np.linspace(0.0, 1.0, points_per_class)
        angle = (np.linspace(4.0 * k, 4.0 * (k + 1), points_per_class)
                 + rng.normal(0, 0.2, points_per_class))
        x[rows] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        labels[rows] = k
    return x, labels


def spiral_loss(W1, b1, W2, b2, x, y, reg):
    """Mean softmax cross-entropy of a ReLU network, plus an L2 penalty on the weights.

    x: (n, 2) points; y: (n, classes) one-hot labels; reg: the penalty's strength.
    """
    h = np.maximum(x @ W1 + b1, 0.0)                  # hidden layer, (n, hidden)
    scores = h @ W2 + b2                              # (n, classes)
    m = np.max(scores, axis=1, keepdims=True)         # stable log-sum-exp
    log_z = m + np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True))
    data_loss = -np.mean(np.sum(y * (scores - log_z), axis=1))
    return data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))


spiral_loss_grad = value_and_grad(spiral_loss, wrt=("W1", "b1", "W2", "b2"))


def predict(params, x):
    """The class with the highest score for each point."""
    W1, b1, W2, b2 = params
    return np.argmax(np.maximum(x @ W1 + b1, 0.0) @ W2 + b2, axis=1)


def main(argv=None):
    p = ex.parser(__doc__.splitlines()[0], steps=1000)
    p.add_argument("--points", type=int, default=100, help="points per class")
    p.add_argument("--classes", type=int, default=3, help="spiral arms, one class each")
    p.add_argument("--hidden", type=int, default=100, help="hidden units")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    p.add_argument("--reg", type=float, default=2e-3, help="L2 penalty on the weights")
    args = p.parse_args(argv)
    if args.show_grad:
        ex.show(spiral_loss_grad.source)
        return {}

    rng = np.random.default_rng(args.seed)
    x, labels = make_spirals(args.points, args.classes, rng)
    y = ex.one_hot(labels, args.classes)
    params = (rng.normal(0, 1 / np.sqrt(2), (2, args.hidden)), np.zeros(args.hidden),
              rng.normal(0, 1 / np.sqrt(args.hidden), (args.hidden, args.classes)),
              np.zeros(args.classes))
    if args.load:
        params = ex.load_params(args.load, params)
    opt = Adam(lr=args.lr)
    losses, start = [], time.perf_counter()
    for _ in ex.progress(range(args.steps), desc="training"):   # full batch: one step per pass
        loss, grads = spiral_loss_grad(*params, x, y, args.reg)
        params = opt.step(params, grads)
        losses.append(float(loss))
    seconds = time.perf_counter() - start
    if args.save:
        print(f"saved the parameters to {ex.save_params(args.save, params)}")
    accuracy = np.mean(predict(params, x) == labels)

    # Colour the plane by the predicted class, and draw the training points on top.
    plt = ex.pyplot()
    colors = plt.get_cmap("tab10")(np.arange(args.classes))
    grid = np.linspace(-1.1, 1.1, 300)
    gx, gy = np.meshgrid(grid, grid)
    regions = predict(params, np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
    ax1.contourf(gx, gy, regions, levels=np.arange(args.classes + 1) - 0.5, colors=colors,
                 alpha=0.25)
    ax1.scatter(x[:, 0], x[:, 1], c=colors[labels], s=12, edgecolors="k", linewidths=0.3)
    ax1.set(title=f"{args.classes} spirals, {len(x)} points: decision regions, "
                  f"{accuracy:.1%} training accuracy", aspect="equal")
    ax2.plot(losses)
    ax2.set(title=f"{args.classes} spirals: training loss", xlabel="step", ylabel="loss",
            yscale="log")
    ax2.grid(alpha=0.3)
    files = [ex.save_figure(fig, args.out, "spiral.png")]
    print(f"wrote {files[0]}")
    print(ex.loss_trend(losses))
    print(f"spiral: training accuracy {accuracy:.1%} on {len(x)} points, "
          f"{args.steps} steps in {seconds:.1f} s")
    return {"losses": losses, "accuracy": float(accuracy), "files": files, "seconds": seconds}


if __name__ == "__main__":
    main()
