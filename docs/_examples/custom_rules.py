import numpy as np

import srcgrad

# 1. A NumPy function srcgrad has no rule for: the derivative of sinc(x) = sin(pi x) / (pi x)
#    is (cos(pi x) - sinc(x)) / x, and 0 at x = 0. `ans` is sinc(x), already computed.
srcgrad.defvjp(np.sinc, "x",
               x="g * np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))")


# 2. Your own function, with a rule instead of its source: srcgrad calls it in the forward
#    pass and uses the template in the backward pass.
def softplus(x):
    return np.logaddexp(0.0, x)


srcgrad.defvjp(softplus, "x", x="g / (1.0 + np.exp(-x))")


def loss(w, x):
    return np.sum(softplus(np.sinc(x * w)))


print(srcgrad.grad(loss).source)
srcgrad.check_grads(loss, np.array([0.0, 0.5, 1.5]), np.array([1.0, 2.0, 3.0]))
print("check_grads: the rules agree with finite differences")


# 3. A template that depends on a literal argument: a function of it returning the template.
#    srcgrad passes the value written in the call, or DYNAMIC if it is a variable.
def logsumexp(a, axis=None):
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def logsumexp_adjoint(axis):
    if axis is None:  # a scalar result: no axis to put back
        return "g * np.exp(a - ans)"
    return "np.expand_dims(g, axis) * np.exp(a - np.expand_dims(ans, axis))"


srcgrad.defvjp(logsumexp, "a, axis=None", a=logsumexp_adjoint)


def log_likelihood(scores, labels):
    return np.sum(scores * labels) - np.sum(logsumexp(scores, axis=1))


print(srcgrad.grad(log_likelihood).source)
scores, labels = np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 0.3]]), np.eye(3)[[1, 2]]
srcgrad.check_grads(log_likelihood, scores, labels)
print("check_grads: logsumexp's rule agrees too")
