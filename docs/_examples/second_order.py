import numpy as np

import srcgrad


def loss(w, x, y):
    z = x @ w
    return np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(w * w)


def layer(w, x):
    return np.tanh(x @ w)


rng = np.random.default_rng(0)
w, x = rng.normal(size=3), rng.normal(size=(6, 3))
y = (rng.random(6) > 0.5).astype(float)

hessian = srcgrad.hessian(loss)(w, x, y)                 # (3, 3)
step = np.linalg.solve(hessian, srcgrad.grad(loss)(w, x, y))
print("Newton step:", np.round(step, 4))
print("H v == hessian @ v:", np.allclose(srcgrad.hvp(loss)(w, x, y, vector=np.ones(3)),
                                         hessian @ np.ones(3)))

made = srcgrad.jvp(layer)
value, tangent = made(w, x, tangent=np.ones(3))          # the change of layer along w + t
print("J v:", np.round(tangent, 4))
print(made.source)
