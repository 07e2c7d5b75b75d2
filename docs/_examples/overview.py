import numpy as np

from srcgrad import grad


@grad(wrt=("W", "b"))
def loss(W, b, x, y):
    z = np.tanh(x @ W + b)
    return np.mean((z - y) ** 2)


x, y = np.ones((8, 3)), np.zeros((8, 2))
dW, db = loss(np.full((3, 2), 0.1), np.zeros(2), x, y)
print(loss.source)
