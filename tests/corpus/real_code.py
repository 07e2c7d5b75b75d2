"""Objectives in the style of code people already have: other autodiff libraries' examples
(logistic regression, an MLP over a list of ``(W, b)`` pairs, an RNN with a dict of
parameters, a Gaussian process, mixture models, black-box variational inference), ADBench's
GMM, bundle-adjustment and hand-tracking objectives, and Tangent-style test functions. Written
afresh in those projects' manner, not copied; nothing here is shaped for srcgrad.
"""

import math

import autograd.numpy as anp
import numpy as np

# -- autograd's examples ---------------------------------------------------------------------


def sigmoid(x):
    return 0.5 * (np.tanh(x / 2.0) + 1)


def logistic_predictions(weights, inputs):
    return sigmoid(np.dot(inputs, weights))


def logistic_training_loss(weights, inputs, targets):
    preds = logistic_predictions(weights, inputs)
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def neural_net_predict(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs - logsumexp(outputs, axis=1, keepdims=True)


def l2_norm(params):
    return sum(np.sum(W ** 2) + np.sum(b ** 2) for W, b in params)


def nn_log_posterior(params, inputs, targets, L2_reg=0.1):
    log_prior = -L2_reg * l2_norm(params)
    log_lik = np.sum(neural_net_predict(params, inputs) * targets)
    return log_prior + log_lik


def concat_and_multiply(weights, *args):
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return np.dot(cat_state, weights)


def rnn_log_likelihood(params, inputs, targets):
    def update_rnn(input, hiddens):
        return np.tanh(concat_and_multiply(params['change'], input, hiddens))

    def hiddens_to_output_probs(hiddens):
        output = concat_and_multiply(params['predict'], hiddens)
        return output - logsumexp(output, axis=1, keepdims=True)

    num_sequences = inputs.shape[1]
    hiddens = np.repeat(params['init hiddens'], num_sequences, axis=0)
    outputs = [hiddens_to_output_probs(hiddens)]
    for input in inputs:
        hiddens = update_rnn(input, hiddens)
        outputs.append(hiddens_to_output_probs(hiddens))
    log_lik = 0.0
    for t, output in enumerate(outputs[:-1]):
        log_lik = log_lik + np.sum(output * targets[t])
    return log_lik / (targets.shape[0] * targets.shape[1])


def rbf_covariance(kernel_params, x, xp):
    output_scale = np.exp(kernel_params[0])
    lengthscales = np.exp(kernel_params[1:])
    diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
    return output_scale * np.exp(-0.5 * np.sum(diffs ** 2, axis=2))


def gp_negative_log_marginal_likelihood(params, x, y):
    mean, noise_scale, cov_params = params[0], np.exp(params[1]) + 0.0001, params[2:]
    cov_y_y = rbf_covariance(cov_params, x, x) + noise_scale * np.eye(len(y))
    residual = y - mean * np.ones(len(y))
    sign, logdet = np.linalg.slogdet(cov_y_y)
    quad = np.dot(residual, np.linalg.solve(cov_y_y, residual))
    return 0.5 * (quad + logdet + len(y) * np.log(2 * np.pi))


def unpack_mixture(params, num_components, D):
    log_proportions = params[:num_components]
    means = params[num_components:num_components * (D + 1)].reshape(num_components, D)
    log_sigmas = params[num_components * (D + 1):].reshape(num_components, D)
    return log_proportions, means, log_sigmas


def diag_gaussian_logpdf(x, mean, log_sigma):
    z = (x - mean) / np.exp(log_sigma)
    return np.sum(-0.5 * z ** 2 - log_sigma - 0.5 * np.log(2 * np.pi), axis=-1)


def mixture_log_likelihood(params, data, num_components=3):
    D = data.shape[1]
    log_proportions, means, log_sigmas = unpack_mixture(params, num_components, D)
    log_weights = log_proportions - logsumexp(log_proportions)
    cluster_lls = []
    for log_weight, mean, log_sigma in zip(log_weights, means, log_sigmas):
        cluster_lls.append(log_weight + diag_gaussian_logpdf(data, mean, log_sigma))
    return np.sum(logsumexp(np.vstack(cluster_lls), axis=0))


def black_box_variational_inference(logprob, D, num_samples):
    def unpack_params(params):
        mean, log_std = params[:D], params[D:]
        return mean, log_std

    def gaussian_entropy(log_std):
        return 0.5 * D * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)

    def variational_objective(params, t):
        mean, log_std = unpack_params(params)
        rs = np.random.RandomState(t)
        samples = rs.randn(num_samples, D) * np.exp(log_std) + mean
        lower_bound = gaussian_entropy(log_std) + np.mean(logprob(samples, t))
        return -lower_bound

    return variational_objective


def banana_log_density(x, t):
    mu, log_sigma = x[:, 0], x[:, 1]
    sigma_density = -0.5 * log_sigma ** 2 / 1.35 ** 2
    mu_density = -0.5 * mu ** 2 / np.exp(log_sigma) ** 2 - log_sigma
    return sigma_density + mu_density


bbvi_objective = black_box_variational_inference(banana_log_density, 2, 20)


def mean_field_elbo(params, noise, data):
    # autograd's style with the draws passed in and a parameter dict read by key
    mean, log_std = params['mean'], params['log_std']
    samples = mean + noise * np.exp(log_std)
    log_lik = np.array([-np.sum((data - s) ** 2) for s in samples])
    return np.mean(log_lik) + np.sum(log_std)


# -- ADBench ---------------------------------------------------------------------------------


def log_gamma_distrib(a, p):
    return 0.25 * p * (p - 1) * math.log(math.pi) + \
        sum(math.lgamma(a + 0.5 * (1 - j)) for j in range(1, p + 1))


def lower_triangular(d, icf_row):
    columns = []
    start = d
    for i in range(d):
        nelems = d - i - 1
        columns.append(np.concatenate((np.zeros(i + 1), icf_row[start:start + nelems])))
        start += nelems
    return np.column_stack(columns)


def advanced_copy_of_a_size(x):
    # an int copied, then advanced with +=: a new int, d keeps its value
    d = x.shape[0] - 3
    start = d
    start += 1
    return np.sum(x[:d]) * start


def logsumexp_rows(x):
    mx = np.max(x, 1)
    return np.log(np.sum(np.exp(x - mx[:, np.newaxis]), 1)) + mx


def log_wishart_prior(p, wishart_gamma, wishart_m, sum_qs, Qdiags, icf):
    n = p + wishart_m + 1
    k = icf.shape[0]
    out = np.sum(0.5 * wishart_gamma * wishart_gamma *
                 (np.sum(Qdiags ** 2, 1) + np.sum(icf[:, p:] ** 2, 1)) -
                 wishart_m * sum_qs)
    C = n * p * (math.log(wishart_gamma) - 0.5 * math.log(2))
    return out - k * (C - log_gamma_distrib(0.5 * n, p))


def gmm_objective(alphas, means, icf, x, wishart_gamma=1.0, wishart_m=0):
    n = x.shape[0]
    d = x.shape[1]
    Qdiags = np.exp(icf[:, :d])
    sum_qs = np.sum(icf[:, :d], 1)
    Ls = np.stack([lower_triangular(d, row) for row in icf])
    xcentered = np.stack([x[i, :] - means for i in range(n)])
    Lxcentered = Qdiags * xcentered + np.einsum('ijk,mik->mij', Ls, xcentered)
    sqsum = np.sum(Lxcentered ** 2, 2)
    inner_term = alphas + sum_qs - 0.5 * sqsum
    slse = np.sum(logsumexp_rows(inner_term))
    CONSTANT = -n * d * 0.5 * math.log(2 * math.pi)
    return CONSTANT + slse - n * logsumexp_rows(alphas[np.newaxis, :])[0] + \
        log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, Qdiags, icf)


N_CAM_PARAMS = 11
ROT_IDX = 0
C_IDX = 3
F_IDX = 6
X0_IDX = 7
RAD_IDX = 9


def rodrigues_rotate_point(rot, X):
    sqtheta = np.sum(rot ** 2)
    if sqtheta != 0:
        theta = np.sqrt(sqtheta)
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        theta_inverse = 1.0 / theta
        w = theta_inverse * rot
        w_cross_X = np.cross(w, X)
        tmp = (1 - costheta) * np.dot(w, X)
        return X * costheta + w_cross_X * sintheta + w * tmp
    return X + np.cross(rot, X)


def radial_distort(rad_params, proj):
    rsq = np.sum(proj ** 2)
    L = 1 + rad_params[0] * rsq + rad_params[1] * rsq * rsq
    return proj * L


def project(cam, X):
    Xcam = rodrigues_rotate_point(cam[ROT_IDX:ROT_IDX + 3], X - cam[C_IDX:C_IDX + 3])
    distorted = radial_distort(cam[RAD_IDX:RAD_IDX + 2], Xcam[0:2] / Xcam[2])
    return distorted * cam[F_IDX] + cam[X0_IDX:X0_IDX + 2]


def ba_objective(cams, X, w, obs, feats):
    p = obs.shape[0]
    reproj_err = np.empty((p, 2))
    for i in range(p):
        reproj_err[i] = (project(cams[obs[i, 0]], X[obs[i, 1]]) - feats[i]) * w[i]
    w_err = 1 - w ** 2
    return np.sum(reproj_err ** 2) + np.sum(w_err ** 2)


def angle_axis_to_rotation_matrix(angle_axis):
    n = np.sqrt(np.sum(angle_axis ** 2))
    if n < .0001:
        return np.eye(3)
    x, y, z = angle_axis / n
    s, c = np.sin(n), np.cos(n)
    return np.array([
        [x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
        [x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s],
        [x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c],
    ])


def euler_to_rotation_matrix(xzy):
    tx, ty, tz = xzy[0], xzy[2], xzy[1]
    Rx = np.array([[1, 0, 0], [0, np.cos(tx), -np.sin(tx)], [0, np.sin(tx), np.cos(tx)]])
    Ry = np.array([[np.cos(ty), 0, np.sin(ty)], [0, 1, 0], [-np.sin(ty), 0, np.cos(ty)]])
    Rz = np.array([[np.cos(tz), -np.sin(tz), 0], [np.sin(tz), np.cos(tz), 0], [0, 0, 1]])
    return Rz @ Ry @ Rx


def hand_objective(theta, bone_offsets, parents, points):
    # a chain of bones, each rotated by three angles and translated by its offset
    transforms = []
    for i, parent in enumerate(parents):
        R = euler_to_rotation_matrix(theta[3 * i + 3:3 * i + 6])
        if parent < 0:
            R = angle_axis_to_rotation_matrix(theta[:3]) @ R
            transforms.append((R, bone_offsets[i]))
        else:
            R_parent, t_parent = transforms[parent]
            transforms.append((R_parent @ R, R_parent @ bone_offsets[i] + t_parent))
    positions = np.stack([t for _, t in transforms])
    err = points - positions
    return np.sum(err ** 2)


# -- Tangent-style test functions -----------------------------------------------------------


def tangent_while(x):
    i = 0
    y = x
    while i < 3:
        y = y * x
        i += 1
    return y


def tangent_nested_if(x):
    if x > 0:
        if x > 1:
            y = x ** 3
        else:
            y = x ** 2
    else:
        y = -x
    return y


def tangent_list_append(x):
    a = []
    for i in range(4):
        a.append(x * i)
    b = a[1] * a[3]
    return b + a[-1]


def tangent_nested_function(x):
    def inner(y):
        return y * x
    z = inner(x) + inner(2.0)
    return z


def tangent_tuple_return(x):
    def both(y):
        return y * 2.0, y ** 2

    a, b = both(x)
    return a + b


def tangent_builtins_of_numbers(a, b):
    return max(a, b) * min(a, b) + abs(a - b) + pow(a, 2) + max([a, b, 0.5])


def tangent_sum_with_start(x):
    return np.sum(sum([x, x * x, 3.0 * x], 1.0))


def tangent_math(x):
    return math.sin(x) * math.exp(-x) + math.sqrt(x * x + 1.0)


def tangent_float_of_array(x):
    return float(np.sum(x ** 2)) * 2.0


def tangent_dot_and_subscripts(x, y):
    z = np.dot(x, y)
    return z * x[0] + y[1] ** 2


# -- known gaps ------------------------------------------------------------------------------


def dict_param_items(params, x):
    total = 0.0
    for name, w in params.items():
        total = total + np.sum(np.tanh(w * x))
    return total


def dict_param_values_and_get(params, x):
    scale = params.get('scale', 1.0)
    return scale * sum(np.sum(v * x) for v in params.values()) + params.get('missing', 0.5)


def dict_param_keys(params, x):
    return sum(np.sum(params[k] ** 2) * x for k in params.keys())


def zip_star_pairs(x):
    pairs = [(x[0], x[1]), (x[1] * 2.0, x[2]), (x[2], x[0] * x[1])]
    firsts, seconds = zip(*pairs)
    return sum(firsts) * sum(seconds)


def _plot(ax, x):
    ax.plot(x)


def plotting_helper_not_run(x, ax=None, verbose=False):
    y = np.sum(np.sin(x) ** 2)
    if ax:
        _plot(ax, x)
    if verbose:
        print("loss", y)
    return y


class Dense:
    def __init__(self, n_in, n_out, seed):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((n_in, n_out)) * 0.3

    def forward(self, x):
        return np.tanh(x @ self.W)


class Sequential:
    def __init__(self, layers):
        self.layers = layers


MODEL = Sequential([Dense(3, 4, 0), Dense(4, 2, 1)])


def layers_of_a_model_argument(x, model=MODEL):
    for layer in model.layers:
        x = layer.forward(x)
    return np.sum(x ** 2)


def fractional_power_of_a_number(a):
    return (a - 2.0) ** 0.5


def anp_mixed(x):
    return anp.sum(anp.exp(x) * np.cos(x))


def scaled_copy_of_params(params):
    doubled = {k: 2.0 * v for k, v in params.items()}  # a dict comprehension
    return np.sum(doubled['a'])


def dict_written_key_by_key(params):
    # still refused: a dict written into key by key
    doubled = {}
    for k in params:
        doubled[k] = 2.0 * params[k]  # <- here
    return np.sum(doubled['a'])
