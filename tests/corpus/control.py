"""Control flow: if/else, conditional expressions, while, break, continue, early returns."""

import numpy as np


def branch_on_data(x, flag):
    if flag > 0:
        y = np.sin(x)
    else:
        y = np.cos(x) * 2.0
    return np.sum(y * x)


def branch_on_value(x):
    if np.sum(x) > 0:
        y = x * x
    else:
        y = -x
    return np.sum(y)


def if_without_else(x, w):
    y = x * w
    if np.sum(w) > 0:
        y = np.tanh(y) * 3.0
    return np.sum(y * x)


def nested_ifs(x, a):
    y = x
    if a > 0:
        if a > 1:
            y = y * a
        else:
            y = np.exp(y)
        y = y + x
    else:
        y = y - a
    return np.sum(y ** 2)


def branch_in_loop(x, w):
    h = x
    for i in range(5):
        if i % 2 == 0:
            h = h * w
        else:
            h = np.sin(h + w)
    return np.sum(h)


def branch_reads_before_assignment(x):
    y = x * 2.0
    if np.max(x) > 0:
        z = y * x
        y = z + y
    else:
        z = y
    return np.sum(y * z)


def conditional_expression(x):
    y = x * 2.0 if np.sum(x) > 0 else x * 3.0
    return np.sum(y * x)


def while_grows(x):
    y = x
    while np.sum(y * y) < 100.0:
        y = y * 1.5 + x
    return np.sum(y)


def while_never_runs(x):
    y = x
    while np.sum(y) > 1e6:
        y = y * 0.5
    return np.sum(y * y)


def while_with_break(x):
    y = x
    steps = 0
    while True:
        y = np.sin(y) + x
        steps = steps + 1
        if steps >= 3:
            break
    return np.sum(y)


def for_with_break(x, w):
    h = x
    for _ in range(10):
        h = h * w + x
        if np.sum(np.abs(h)) > 5.0:
            break
    return np.sum(h)


def break_at_first_step(x):
    h = x
    for _ in range(4):
        h = h * 2.0
        break
    return np.sum(h * x)


def for_with_continue(xs, w):
    acc = 0.0
    for i in range(xs.shape[0]):
        if i == 1:
            continue
        acc = acc + np.sum(xs[i] * w) ** 2
    return acc


def return_in_branch(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return np.sum(x ** 3)


def return_in_loop(x):
    h = x
    for _ in range(6):
        h = h * 1.5
        if np.sum(h) > 4.0:
            return np.sum(h * x)
    return np.sum(h)


def carried_through_branches(x, w):
    acc = 0.0
    h = x
    for t in range(4):
        if np.sum(h) > 0:
            acc = acc + np.sum(h * w)
        else:
            h = h + w
        h = np.tanh(h * w)
    return acc + np.sum(h)


def while_in_for(x, w):
    h = x
    total = 0.0
    for i in range(3):
        steps = 0
        while np.sum(h * h) < 4.0 and steps < 5:
            if i % 2 == 0:
                h = h * w + x
            else:
                h = np.tanh(h) + x
            steps = steps + 1
        total = total + np.sum(h)
    return total


def while_in_for_every_step(x):
    h = x
    for _ in range(3):
        steps = 0
        while steps < 2:
            h = np.sin(h) + x
            steps = steps + 1
    return np.sum(h)


def if_in_while_in_for(xs, w):
    acc = 0.0
    for x in xs:
        h = x
        while np.sum(np.abs(h)) < 3.0:
            if np.sum(h) > 0:
                h = h * 1.5 + w
            else:
                h = h * 1.5 - w
        acc = acc + np.sum(h * w)
    return acc


def assigned_in_one_branch_loop_in_other(a, b):
    if np.sum(a) > 0:
        v = np.sqrt(a ** 2 + 1.0)
        a = v + a
    else:
        for _ in range(2):
            v = -b
            b = v * 1.5
    return np.sum(a * b)


def update_then_break(a, b):
    for _ in range(3):
        v = b * 1.0
        if np.sum(v) > 0.5:
            b = v ** 2
        if np.sum(a) > 1.0:
            break
    return np.sum(b * b)


def defined_in_branch_used_in_loop(a, b):
    if np.sum(a) > 0.5:
        v = a * 2.0
    for _ in range(2):
        if np.sum(a) > 0.5:
            b = b + v
    return np.sum(b * b)


def maybe_assigned_nested_ifs(a, b):
    if np.sum(a) > 0:
        if np.sum(b) > 0.5:
            v = b * 2.0
            a = v + a
        if np.sum(b) > 0:
            v = v * 2.0
    return np.sum(a * a)


def dead_in_nested_if(x, w):
    y = x * w
    if np.sum(x) > 0:
        v = np.exp(x)
        if np.sum(w) > 0:
            v = v * np.cos(w)
    return np.sum(y)


def overwritten_in_sibling_if(a, b):
    if np.sum(a) > 0:
        if np.sum(b) > 0.5:
            v = b * 2.0
            a = v * a
        if np.sum(b) > 0:
            v = v * 2.0
    return np.sum(a * a)


def append_then_break(x):
    hs = []  # the last append happens on the path that breaks out of the loop
    k = 0
    while True:
        hs.append(x * k)
        if k >= 2:
            hs.append(x * 10.0)
            break
        k += 1
    return np.sum(np.stack(hs))


def update_in_branch_then_break(x):
    y = x * 1.0
    for i in range(3):
        if i == 1:
            y = y * 5.0  # seen after the loop only through the break
            break
        y = y + np.sin(y)
    return np.sum(y * y)


def checks_its_input(x, scale):
    if x.ndim != 1:  # a check that raises: kept where it is, before any gradient
        raise ValueError(f"x must be a vector, not {x.ndim}-d")
    if scale <= 0:
        raise ValueError("scale must be positive") from None
    return np.sum(np.tanh(x) * scale)


def raises_in_a_loop(x):
    total = 0.0
    for i in range(x.shape[0]):
        if not np.isfinite(x[i]):
            raise FloatingPointError(f"x[{i}] is not finite")
        total = total + x[i] ** 2 * i
    return total


def warnings_silenced(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sin(x) / (x * x + 1.0)
        s = np.exp(r) * x
    return np.sum(r ** 2 + s)
