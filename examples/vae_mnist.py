"""Train a variational autoencoder on MNIST (or Fashion-MNIST) with srcgrad's gradients.

    python examples/vae_mnist.py                     # download MNIST (or use the bundled copy)
    python examples/vae_mnist.py --offline           # bundled copy: 8,000 train / 2,000 test
    python examples/vae_mnist.py --dataset fashion   # Fashion-MNIST
    python examples/vae_mnist.py --show-grad         # print the generated gradient code
    python examples/vae_mnist.py --device gpu        # the same code on CuPy arrays, on the GPU

The encoder maps an image to the mean and log-variance of a Gaussian over a small latent
space; the decoder maps a latent point to the probability of each pixel being on. The loss
is the negative evidence lower bound (ELBO): reconstruction error plus the KL divergence
from the prior N(0, I). The random noise ``eps`` of the reparameterization trick is drawn
outside the loss and passed in, so the loss is an ordinary deterministic function.
"""

from __future__ import annotations

import time

import example_utils as ex
import numpy as np

from srcgrad import value_and_grad
from mnist_data import load_fashion_mnist, load_mnist
from srcgrad.optimizers import Adam


def vae_loss(W1, b1, Wmu, bmu, Wlv, blv, W2, b2, W3, b3, x, eps):
    """Negative ELBO per image, in nats.

    x: (batch, 784) pixel intensities in [0, 1], read as Bernoulli probabilities;
    eps: (batch, latent) standard normal noise.
    """
    # Encoder: image -> mean and log-variance of q(z | x).
    h = np.maximum(x @ W1 + b1, 0.0)
    mu = h @ Wmu + bmu
    logvar = h @ Wlv + blv
    # Reparameterization: a sample of q(z | x) as a differentiable function of mu and logvar.
    z = mu + np.exp(0.5 * logvar) * eps
    # Decoder: latent point -> logits of p(x | z), one per pixel.
    hd = np.maximum(z @ W2 + b2, 0.0)
    logits = hd @ W3 + b3
    # Bernoulli cross-entropy from logits, written to be stable for large |logits|:
    # -[x log s(l) + (1 - x) log(1 - s(l))] = max(l, 0) - x l + log(1 + exp(-|l|)).
    reconstruction = np.sum(np.maximum(logits, 0.0) - x * logits
                            + np.log(1.0 + np.exp(-np.abs(logits))))
    # KL(q(z | x) || N(0, I)), in closed form.
    kl = -0.5 * np.sum(1.0 + logvar - mu * mu - np.exp(logvar))
    return (reconstruction + kl) / x.shape[0]


vae_loss_grad = value_and_grad(
    vae_loss, wrt=("W1", "b1", "Wmu", "bmu", "Wlv", "blv", "W2", "b2", "W3", "b3"))


def encode(params, x):
    """The mean of q(z | x) for each image."""
    W1, b1, Wmu, bmu = params[:4]
    return np.maximum(x @ W1 + b1, 0.0) @ Wmu + bmu


def decode(params, z):
    """Pixel probabilities for each latent point."""
    W2, b2, W3, b3 = params[6:]
    return 1.0 / (1.0 + np.exp(-(np.maximum(z @ W2 + b2, 0.0) @ W3 + b3)))


def init_params(hidden, latent, mean_image, rng):
    """Random weights scaled by 1/sqrt(fan-in), zero biases, except the decoder's output bias:
    the logits of the mean image, so that training starts from the average digit."""
    def dense(n_in, n_out):
        return rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)), np.zeros(n_out)

    W1, b1 = dense(784, hidden)
    Wmu, bmu = dense(hidden, latent)
    Wlv, blv = dense(hidden, latent)
    W2, b2 = dense(latent, hidden)
    W3, b3 = dense(hidden, 784)
    p = np.clip(mean_image, 1e-3, 1 - 1e-3)
    b3 = np.log(p / (1 - p))
    return W1, b1, Wmu, bmu, 0.1 * Wlv, blv, W2, b2, W3, b3


def main(argv=None):
    p = ex.parser(__doc__.splitlines()[0], epochs=10)
    p.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist",
                   help="MNIST digits or Fashion-MNIST clothes")
    p.add_argument("--hidden", type=int, default=256, help="hidden units of encoder and decoder")
    p.add_argument("--latent", type=int, default=8, help="dimensions of the latent space")
    p.add_argument("--batch-size", type=int, default=64, help="images per step")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--offline", action="store_true",
                   help="use the MNIST test set bundled with the examples "
                        "(8,000 train / 2,000 test)")
    args = p.parse_args(argv)
    if args.show_grad:
        ex.show(vae_loss_grad.source)
        return {}

    load = load_fashion_mnist if args.dataset == "fashion" else load_mnist
    data = load(offline=args.offline)
    print(data.description)
    x_train = data.x_train.reshape(len(data.x_train), -1) / 255.0
    x_test = data.x_test.reshape(len(data.x_test), -1) / 255.0

    rng = np.random.default_rng(args.seed)
    params = init_params(args.hidden, args.latent, x_train.mean(axis=0), rng)
    if args.load:
        params = ex.load_params(args.load, params)
    xp = ex.device_arrays(args.device)  # NumPy, or CuPy for --device gpu: the same model code
    train_images, test_images = ex.to_device(xp, (x_train, x_test))
    params = ex.to_device(xp, params)

    def test_loss():  # the ELBO on the test set, one sample of eps per image: an estimate
        eps = ex.to_device(xp, rng.standard_normal((len(x_test), args.latent)))
        return float(vae_loss(*params, test_images, eps))

    opt = Adam(lr=args.lr)
    losses, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        batches = ex.batches(len(x_train), args.batch_size, rng)
        for idx in ex.progress(batches, desc=f"epoch {epoch}/{args.epochs}"):
            eps = ex.to_device(xp, rng.standard_normal((len(idx), args.latent)))
            loss, grads = vae_loss_grad(*params, train_images[ex.to_device(xp, idx)], eps)
            params = opt.step(params, grads)
            losses.append(float(loss))
        ex.say(f"epoch {epoch:2d}  train ELBO {-np.mean(losses[-len(batches):]):8.2f}  "
               f"test ELBO {-test_loss():8.2f} nats per image")
    seconds = time.perf_counter() - start
    final_test_loss = test_loss()
    params = ex.to_host(params)
    if args.save:
        print(f"saved the parameters to {ex.save_params(args.save, params)}")

    # Pictures: test images above their reconstructions, then samples from the prior.
    originals = x_test[:16]
    reconstructions = decode(params, encode(params, originals))
    pairs = np.concatenate([originals, reconstructions]).reshape(-1, 28, 28)
    samples = decode(params, rng.standard_normal((64, args.latent))).reshape(-1, 28, 28)
    files = [
        ex.save_grid(pairs, args.out, "vae_reconstructions.png", cols=16,
                     title=f"{data.label}: test images (top) and their reconstructions (bottom)"),
        ex.save_grid(samples, args.out, "vae_samples.png", cols=8,
                     title=f"VAE on {data.label}: samples, decoded z ~ N(0, I), "
                           f"{args.latent}-d latent"),
        ex.plot_curve(losses, args.out, "vae_loss.png", smooth=50, xlabel="batch",
                      ylabel="negative ELBO (nats per image)",
                      title=f"VAE on {data.label}: training loss"),
    ]
    print(f"wrote {', '.join(str(f) for f in files)}")
    print(ex.loss_trend(losses))
    print(f"vae_mnist: test ELBO {-final_test_loss:.2f} nats per image on {len(x_test):,} "
          f"{data.name} images ({'offline, bundled data' if data.offline else 'full data'}), "
          f"{args.epochs} epochs in {seconds:.1f} s")
    return {"losses": losses, "test_elbo": -final_test_loss, "files": files,
            "seconds": seconds}


if __name__ == "__main__":
    main()
