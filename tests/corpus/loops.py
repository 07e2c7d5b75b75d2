"""For loops: over range with any bounds, over an array's rows, enumerate, zip, nesting."""

import numpy as np


def power_by_loop(x):
    y = x
    for _ in range(3):
        y = y * x
    return np.sum(y)


def accumulate_scaled(x, n):
    total = 0.0
    for i in range(n):
        total = total + x * i
    return np.sum(total)


def sum_over_steps(xs, w):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.sin(xs[t] * w))
    return s


def start_stop_step(x):
    acc = 0.0
    for i in range(1, 6, 2):
        acc = acc + x[i] * x[i - 1]
    return acc


def backwards_range(x):
    h = 0.0
    for i in range(x.shape[0] - 1, -1, -1):
        h = np.tanh(h * 0.5 + x[i])
    return h


def over_rows(m, w):
    acc = 0.0
    for row in m:
        acc = acc + np.dot(row, w) ** 2
    return acc


def over_rows_wrt_sequence(xs):
    acc = 0.0
    for x in xs:
        acc = acc + np.sum(np.sin(x) * x)
    return acc


def with_enumerate(xs, w):
    acc = 0.0
    for i, x in enumerate(xs):
        acc = acc + (i + 1) * np.sum(x * w) ** 2
    return acc


def with_zip(xs, ys, w):
    acc = 0.0
    for a, b in zip(xs, ys):
        acc = acc + np.sum((a * w - b) ** 2)
    return acc


def nested(w, x):
    h = x
    for i in range(2):
        for j in range(3):
            h = np.sin(h * w[i, j] + 0.1)
    return np.sum(h)


def nested_accumulators(m):
    total = 0.0
    for i in range(m.shape[0]):
        row = 0.0
        for j in range(m.shape[1]):
            row = row + m[i, j] * (j + 1.0)
        total = total + row ** 2
    return total


def assigned_twice_per_step(x, w):
    h = x
    for _ in range(3):
        h = h * w
        h = np.tanh(h + x)
    return np.sum(h)


def read_before_and_after_reassignment(x, w):
    h = x
    out = 0.0
    for _ in range(3):
        a = h * w
        h = np.sin(h) + a
        out = out + np.sum(a * h)
    return out


def zero_iterations(x, n):
    y = x * 2.0
    for _ in range(n):
        y = y * x
    return np.sum(y)


def last_value_after_loop(x):
    last = x
    for i in range(3):
        last = x * (i + 1.0)
    return np.sum(last * x)


def carried_and_data(w, xs):
    h = np.zeros(w.shape[0])
    count = 0
    for t in range(xs.shape[0]):
        h = np.tanh(w @ h + xs[t])
        count = count + 1
    return np.sum(h) / count


def loop_then_straight(x):
    y = x
    for _ in range(2):
        y = np.exp(-y * y)
    z = y * x
    return np.sum(z)


def two_loops(x, w):
    a = x
    for _ in range(2):
        a = a * w
    b = a
    for _ in range(2):
        b = np.sin(b + a)
    return np.sum(b)


def swap_in_loop(a, b):
    for _ in range(3):
        a, b = b, a * b
    return np.sum(a + b)


def augmented_in_loop(x, w):
    acc = np.zeros_like(x)
    for k in range(3):
        acc += x * w ** k
    return np.sum(acc ** 2)


def param_reassigned_in_loop(x):
    for _ in range(2):
        x = x * x + 1.0
    return np.sum(x)


def sigmoid_of_param_in_loop(x, w):
    for _ in range(3):  # a fused sigmoid of a variable the loop renames
        x = 1.0 / (1.0 + np.exp(-x)) * w
    return np.sum(x)


def square_of_param_in_loop(x):
    for _ in range(2):
        x = x * x
    return np.sum(x)


def matrix_power_loop(a, v):
    for _ in range(3):
        v = a @ v
    return np.sum(v)


def constant_factor(x):
    y = x
    for _ in range(3):
        y = y * 2.0
    return np.sum(y)


def for_else(x):
    y = x
    for _ in range(2):
        y = y * np.cos(x)
    else:  # noqa: PLW0120 - no break: the else block always runs
        y = y + 1.0
    return np.sum(y ** 2)


def broadcast_accumulator(a, b):
    acc = 0.0
    for _ in range(2):
        acc = acc + a * b
        acc = np.sin(acc)
    return np.sum(acc)


def growing_shape(row, col):
    h = 1.0
    for _ in range(2):
        h = h * row
        h = np.tanh(h + col)
    return np.sum(h)


def delayed_dependency(x, y):
    a = y
    b = y
    for _ in range(3):
        a = b
        b = x * 1.0
    return np.sum(a * a)


def repeated_index(x, idx):
    acc = 0.0
    for t in range(3):
        acc = acc + np.sum(x[idx] * (t + 1.0))
    return acc


def compound(rate, years):
    value = 1.0
    for _ in range(years):
        value = value * (1.0 + rate)
    return value


def loop_output(x):
    h = x
    for _ in range(3):
        h = np.sin(h) * x
    return h


def vector_output(x):
    h = x
    for _ in range(2):
        h = np.tanh(h * 2.0)
    return h * 1.0


def over_list_of_params(w1, w2, x):
    h = x
    for w in [w1, w2]:
        h = np.tanh(h * w)
    return np.sum(h)


def index_after_empty_loop(x):
    for i in range(3):
        pass
    return np.sum(x * i)


def index_used_after_loop(x):
    y = x
    for i in range(3):
        y = y * 2.0
    return np.sum(y * i)


def over_transpose(m, v):
    acc = 0.0
    for col in m.T:
        acc = acc + np.dot(col, v) ** 2
    return acc


def over_slice(m):
    acc = 0.0
    for row in m[1:]:
        acc = acc + np.sum(row ** 3)
    return acc


def zip_three(xs, ys, zs):
    acc = 0.0
    for a, b, c in zip(xs, ys[::-1], zs):
        acc = acc + np.sum(a * b * c)
    return acc


def range_len(xs, w):
    acc = 0.0
    for i in range(len(xs)):
        acc = acc + np.sum(np.sin(xs[i] * w))
    return acc


def loop_target_shadows_param(x, h):
    for h in range(3):  # noqa: PLR1704 - on purpose
        x = x * 2.0
    return np.sum(x) * h


def rebinds_loop_item(xs):
    acc = 0.0
    for x in xs:
        x = x * 2.0
        acc = acc + np.sum(x ** 2)
    return acc


def same_array_twice_in_zip(xs):
    acc = 0.0
    for a, b in zip(xs, xs):
        acc = acc + np.sum(a * b)
    return acc


def nested_same_index(x):
    acc = 0.0
    for i in range(2):
        for i in range(3):
            acc = acc + x[i]
    return acc * x[0]


def any_range(x, start, stop, step):
    h = x[0]
    acc = 0.0
    for i in range(start, stop, step):
        h = np.sin(h * x[i] + x[i - 1])
        acc = acc + h * x[i]
    return acc + h


def shape_changes_in_nested_loop(a, c):
    for _ in range(2):
        for _ in range(2):
            a = a + c
            c = np.sin(c)
        c = np.sin(a)
    return np.sum(a)


def shape_changes_in_loop(a, c):
    for _ in range(2):
        a = a + c
        c = np.sin(a)
    return np.sum(a)


def sequence_rebound_in_body(M):
    s = 0.0
    for row in M:  # runs over the M of the start
        M = M * 2.0
        s = s + np.sum(row * M)
    return s


def enumerate_sequence_rebound(xs):
    s = 0.0
    for i, v in enumerate(xs):
        xs = xs * 3.0
        s = s + v * np.sum(xs) * i
    return s


def sequence_changed_in_place(x):
    y = x * 1.0
    s = 0.0
    for v in y:  # sees the doubled values
        y *= 2.0
        s = s + v
    return s


def loop_variable_held_an_array(x):
    y = x * 2.0
    for y in range(2):  # noqa: B007 - y held an array before: a count now, with no gradient
        x = x * 1.5
    for y, k in enumerate(range(3)):  # noqa: B007
        x = x + k * 0.1
    return np.sum(x * y)
