"""Classify MNIST digits with a two-layer neural network whose gradient srcgrad writes.

    python examples/mnist_mlp.py               # download MNIST (or fall back to the bundled copy)
    python examples/mnist_mlp.py --offline     # bundled copy: train on 8,000, test on 2,000
    python examples/mnist_mlp.py --hidden 0    # logistic regression instead
    python examples/mnist_mlp.py --show-grad   # print the generated gradient code
    python examples/mnist_mlp.py --device gpu  # the same code on CuPy arrays, on the GPU

The model is a plain NumPy function of its weights; ``value_and_grad`` turns it into a
function that also returns the gradient with respect to the weights.
"""

from __future__ import annotations

import time

import example_utils as ex
import numpy as np

from srcgrad import value_and_grad
from mnist_data import load_mnist
from srcgrad.optimizers import Adam


def mlp_loss(W1, b1, W2, b2, x, y):
    """Mean cross-entropy of a ReLU network: 784 pixels -> hidden units -> 10 class scores.

    x: (batch, 784) images scaled to [0, 1]; y: (batch, 10) one-hot labels.
    """
    h = np.maximum(x @ W1 + b1, 0.0)              # hidden layer (ReLU), (batch, hidden)
    logits = h @ W2 + b2                          # class scores, (batch, 10)
    # log-softmax, computed stably: subtract the largest score before exp.
    m = np.max(logits, axis=1, keepdims=True)
    log_z = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.mean(np.sum(y * (logits - log_z), axis=1))


def logreg_loss(W, b, x, y):
    """Mean cross-entropy of logistic (softmax) regression: 784 pixels -> 10 class scores."""
    logits = x @ W + b
    m = np.max(logits, axis=1, keepdims=True)
    log_z = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    return -np.mean(np.sum(y * (logits - log_z), axis=1))


# The gradient functions: each returns (loss, (gradient for each weight, in `wrt` order)).
mlp_loss_grad = value_and_grad(mlp_loss, wrt=("W1", "b1", "W2", "b2"))
logreg_loss_grad = value_and_grad(logreg_loss, wrt=("W", "b"))


def predict(params, x):
    """The predicted class of each image (plain NumPy: no gradient needed here)."""
    if len(params) == 2:
        W, b = params
        return np.argmax(x @ W + b, axis=1)
    W1, b1, W2, b2 = params
    return np.argmax(np.maximum(x @ W1 + b1, 0.0) @ W2 + b2, axis=1)


def init_params(hidden, rng):
    """Random weights scaled by 1/sqrt(fan-in), zero biases (all zeros for logistic regression)."""
    if hidden == 0:
        return np.zeros((784, 10)), np.zeros(10)
    return (rng.normal(0, 1 / np.sqrt(784), (784, hidden)), np.zeros(hidden),
            rng.normal(0, 1 / np.sqrt(hidden), (hidden, 10)), np.zeros(10))


def main(argv=None):
    p = ex.parser(__doc__.splitlines()[0], epochs=10)
    p.add_argument("--hidden", type=int, default=256, help="hidden units (0: logistic regression)")
    p.add_argument("--batch-size", type=int, default=64, help="images per step")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    p.add_argument("--offline", action="store_true",
                   help="use the MNIST test set bundled with the examples "
                        "(8,000 train / 2,000 test)")
    args = p.parse_args(argv)
    loss_grad = logreg_loss_grad if args.hidden == 0 else mlp_loss_grad
    if args.show_grad:
        ex.show(loss_grad.source)
        return {}

    data = load_mnist(offline=args.offline)
    print(data.description)
    x_train = data.x_train.reshape(len(data.x_train), -1) / 255.0
    x_test = data.x_test.reshape(len(data.x_test), -1) / 255.0
    y_train = ex.one_hot(data.y_train)
    xp = ex.device_arrays(args.device)
    x_train, y_train, x_test = ex.to_device(xp, (x_train, y_train, x_test))

    rng = np.random.default_rng(args.seed)
    params = init_params(args.hidden, rng)
    if args.load:
        params = ex.load_params(args.load, params)
    params = ex.to_device(xp, params)
    opt = Adam(lr=args.lr)
    losses, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        batches = ex.batches(len(x_train), args.batch_size, rng)
        for idx in ex.progress(batches, desc=f"epoch {epoch}/{args.epochs}"):
            batch = ex.to_device(xp, idx)
            loss, grads = loss_grad(*params, x_train[batch], y_train[batch])
            params = opt.step(params, grads)
            losses.append(float(loss))
        accuracy = np.mean(ex.to_host(predict(params, x_test)) == data.y_test)
        ex.say(f"epoch {epoch:2d}  train loss {np.mean(losses[-len(batches):]):.4f}  "
               f"test accuracy {accuracy:.2%}")
    seconds = time.perf_counter() - start
    accuracy = np.mean(ex.to_host(predict(params, x_test)) == data.y_test)
    params = ex.to_host(params)
    if args.save:
        print(f"saved the parameters to {ex.save_params(args.save, params)}")

    model = "logistic regression" if args.hidden == 0 else f"MLP 784-{args.hidden}-10"
    files = [ex.plot_curve(losses, args.out, "mnist_mlp_loss.png", smooth=50, log=True,
                           title=f"{model} on {data.label}: training loss", xlabel="batch")]
    W1 = params[0]  # first-layer weights, one 28x28 picture per hidden unit (or per class)
    shown = W1.T[:100].reshape(-1, 28, 28)
    files.append(ex.save_grid(shown, args.out, "mnist_mlp_weights.png", cols=10, symmetric=True,
                              cmap="RdBu_r", title=f"{model} on {data.label}: first-layer weights"))
    print(f"wrote {', '.join(str(f) for f in files)}")
    print(ex.loss_trend(losses))
    print(f"mnist_mlp: {model}, test accuracy {accuracy:.2%} on {len(x_test):,} images "
          f"({'offline, bundled data' if data.offline else data.name}), "
          f"{args.epochs} epochs in {seconds:.1f} s")
    return {"losses": losses, "accuracy": float(accuracy), "files": files, "seconds": seconds}


if __name__ == "__main__":
    main()
