import numpy as np

import srcgrad


def f(x, w):
    return np.sum(np.sin(x * w))


x = np.array([0.1, 0.2, 0.3])
w = np.array([1.0, 2.0, 3.0])

# The gradient with respect to the first parameter (the default).
df_dx = srcgrad.grad(f)
print("df/dx =", df_dx(x, w))

# Several parameters, by name or by position: a tuple of gradients, in that order.
dx, dw = srcgrad.grad(f, wrt=("x", "w"))(x, w)
print("df/dw =", dw)

# The value too, from the same call.
value, (dx, dw) = srcgrad.value_and_grad(f, wrt=(0, 1))(x, w)
print("f =", round(value, 6))


# As a decorator: the decorated name is the gradient function.
@srcgrad.grad(wrt="w")
def g(x, w):
    return np.sum(np.sin(x * w))


print("dg/dw =", g(x, w))


# A function with an array output: vjp takes the output's cotangent as seed=.
def h(x):
    return np.sin(x) * 2.0


print("seed . dh/dx =", srcgrad.vjp(h)(x, seed=np.ones(3)))
