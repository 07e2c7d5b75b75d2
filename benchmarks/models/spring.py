"""A scalar loop: a damped spring integrated with explicit Euler, on plain Python floats.

100 steps of 7 float operations (700 in all); loss = final position squared; differentiated
with respect to the stiffness k, the damping c and the initial state x0, v0.
"""

from __future__ import annotations

from . import Model


def spring_loss(k, c, x0, v0, dt, steps):
    x = x0
    v = v0
    for i in range(steps):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x * x


def spring_hand_grad(k, c, x0, v0, dt, steps):
    """The adjoint by hand: store the trajectory, run the two recurrences backwards."""
    xs = [x0]
    vs = [v0]
    x, v = x0, v0
    for i in range(steps):
        x, v = x + dt * v, v + dt * (-k * x - c * v)
        xs.append(x)
        vs.append(v)
    dx, dv = 2.0 * x, 0.0
    dk = dc = 0.0
    for i in reversed(range(steps)):
        da = dt * dv
        dk -= da * xs[i]
        dc -= da * vs[i]
        dx, dv = dx - k * da, dv + dt * dx - c * da
    return dk, dc, dx, dv


def make_args(quick: bool = False):
    return 2.0, 0.3, 1.0, 0.0, 0.01, 100


MODEL = Model(
    name="scalar",
    description="damped spring, explicit Euler, 100 steps on Python floats (700 float ops)",
    loss=spring_loss,
    wrt=("k", "c", "x0", "v0"),
    make_args=make_args,
    torch_loss=lambda torch: spring_loss,  # the same code runs on 0-d tensors
    hand_grad=spring_hand_grad,
    notes={"torch": "same code on 0-d float64 tensors",
           "jax": "same code on float64 scalars"},
)
