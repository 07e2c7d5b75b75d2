"""Functions srcgrad must refuse. The offending line of each ends with ``# <- here``."""

import contextlib
import math

import numpy as np

counter = 0


def try_block(x):
    try:  # <- here
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def with_block(x):
    with contextlib.suppress(FloatingPointError):  # <- here (np.errstate alone is allowed)
        y = np.log(x)
    return np.sum(y)


def attribute_assignment(x):
    x.shape = (-1,)  # <- here
    return np.sum(x)


def returns_tuple(x):
    return np.sum(x), np.sum(x * x)  # <- here


def no_return(x):  # <- here
    np.sum(x)


def star_args(*xs):  # <- here
    return np.sum(xs[0])


def generator(x):
    yield np.sum(x)  # <- here
    return np.sum(x)


def global_statement(x):
    global counter  # <- here
    counter = counter + 1
    return np.sum(x)


def delete(x):
    y = [x * 2.0, x]
    del y[0]  # <- here
    return np.sum(y[0])


def list_insert(x):
    items = [x]
    items.insert(0, x * 2.0)  # <- here
    return np.sum(items[0])


def while_else(x):
    y = x
    while np.sum(y) < 3.0:  # <- here
        y = y * 2.0
    else:  # noqa: PLW0120 - while ... else on purpose
        y = y + 1.0
    return np.sum(y)


def break_and_else(x):
    y = x
    for _ in range(3):  # <- here
        y = y * 2.0
        if np.sum(y) > 1.0:
            break
    else:
        y = y + 1.0
    return np.sum(y)


def nonlocal_statement(x):
    total = x

    def add(v):
        nonlocal total  # <- here
        total = total + v

    add(x)
    return np.sum(total)


def class_definition(x):
    class Box:  # <- here
        pass
    return np.sum(x)


def set_comprehension_on_wrt(x):
    parts = {v * 2.0 for v in x}  # <- here
    return sum(parts)


def math_on_wrt(x):
    return math.gamma(np.sum(x))  # <- here


def numpy_without_rule(x):
    return np.sum(np.i0(x))  # <- here


def undefined_name(x):
    return np.sum(x * not_defined_anywhere)  # noqa: F821 # <- here


def constant_math(x):
    return np.sum(x) * math.gamma(4.0)


def append_to_a_nested_list(x):
    groups = [[], []]
    for i in range(3):
        groups[i % 2].append(x[i] ** 2)  # <- here (the list that grows is not a name)
    return sum(groups[0]) + 2.0 * sum(groups[1])


class _Buffer:
    def __init__(self):
        self.data = []


def append_to_an_attribute(x):
    buffer = _Buffer()
    buffer.data.append(np.sum(x ** 2))  # <- here
    return sum(buffer.data)


def append_through_a_lambda(x):
    kept = []
    push = lambda v: kept.append(v)  # noqa: E731 # <- here
    push(np.sum(x ** 2))
    return sum(kept)


def copy_of_a_list(x):
    items = [x[0], x[1]]
    more = items.copy()  # <- here (a list's copy, not NumPy's np.copy)
    more.append(x[2])
    return sum(more)
