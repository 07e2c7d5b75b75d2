"""Lists, tuples and dicts of arrays: as parameters, built in loops, indexed, unpacked."""

import numpy as np


def mlp_layers(layers, x):
    h = x
    for w, b in layers:
        h = np.tanh(h @ w + b)
    return np.sum(h ** 2)


def params_dict(params, x):
    h = np.tanh(x @ params["w"] + params["b"])
    return np.sum(h * params["scale"])


def nested_params(params, x):
    enc = params["encoder"]
    h = np.tanh(x @ enc[0] + enc[1])
    return np.sum((h @ params["head"]) ** 2)


def tuple_param(pair, x):
    a, b = pair
    return np.sum(a * x + b * x * x)


def list_of_floats(coeffs, x):
    total = 0.0
    for i, c in enumerate(coeffs):
        total = total + c * np.sum(x ** (i + 1))
    return total


def append_then_stack(x, w):
    hs = []
    h = x
    for _ in range(3):
        h = np.tanh(h * w)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def append_then_last(x, w):
    hs = []
    h = x
    for _ in range(3):
        h = np.sin(h * w + 0.1)
        hs.append(h)
    return np.sum(hs[-1] * hs[0])


def extend_list(x):
    parts = [x * 2.0]
    parts.extend([np.sin(x), x * x])
    return np.sum(np.concatenate(parts))


def dict_literal(x, w):
    d = {"a": x * w, "b": np.exp(x)}
    return np.sum(d["a"] * d["b"])


def list_literal_indexed(x, w):
    items = [x, x * w, np.cos(w)]
    return np.sum(items[1] * items[2] + items[0])


def zip_layers(ws, bs, x):
    h = x
    for w, b in zip(ws, bs):
        h = np.tanh(h @ w + b)
    return np.sum(h)


def enumerate_layers(layers, x):
    h = x
    for i, (w, b) in enumerate(layers):
        h = np.tanh(h @ w + b) * (i + 1.0)
    return np.sum(h)


def concatenated_with_plus(xs, w):
    for _ in range(2):  # xs + [item]: list concatenation, not an elementwise sum
        xs = xs + [np.tanh(xs[-1] * w)]
    return np.sum(xs[-1]) + np.sum(xs[0])


def plus_of_number_lists(xs, w):
    ys = xs + [w * 2.0]
    return ys[0] * 3.0 + ys[1]


def append_before_and_in_loop(x):
    hs = [x]
    hs.append(x * 2.0)  # the list's names before and in the loop differ after renaming
    for t in range(2):
        hs.append(np.tanh(hs[-1] * x))
    return np.sum(hs[-1]) + np.sum(hs[1])


def dict_items_written_out(x):
    d = {"a": x * 2.0, "b": x ** 2}
    total = 0.0
    for k, v in d.items():
        total = total + np.sum(v) * len(k)
    return total + sum(np.sum(v) for v in d.values())


def nested_tuples_written_out(x):
    pairs = ((x[0], x[1]), (x[1] * 2.0, {"w": x[2]}))
    total = 0.0
    for (a, b) in pairs[:1]:
        total = total + a * b
    return total + pairs[1][0] * pairs[1][1]["w"]


def builtin_containers(x):
    xs = list(x)
    ys = tuple(v * 2.0 for v in xs)
    d = dict(w=x, b=x * 2.0)
    total = 0.0
    for i in reversed(range(3)):
        total = total + ys[i] * i
    return total + np.sum(d["w"] * d["b"])


def dict_comprehension(x):
    d = {k: x * (k + 1.0) for k in range(3)}
    return np.sum(d[1] * d[2]) + np.sum(np.sin(d[0]))


def dict_comprehension_repeated_keys(x):
    d = {k % 2: x * (k + 1.0) for k in range(4)}  # later values replace earlier ones
    total = 0.0
    for k in d:
        total = total + np.sum(d[k] ** 2)
    return total


def dict_comprehension_over_a_dict(params, x):
    doubled = {name: 2.0 * w for name, w in params.items()}
    return np.sum(doubled["a"] * x) + np.sum(np.tanh(doubled["b"]) * x)


def loop_over_a_grown_list(x, w):
    hs = []  # made empty, grown in a loop: the loop below runs over every item
    h = x
    for _ in range(3):
        h = np.tanh(h * w)
        hs.append(h)
    total = 0.0
    for v in hs:
        total += np.sum(v ** 2)
    return total



def stack_of_values_popped(x, w):
    stack = []
    for _ in range(3):
        x = np.tanh(x * w)
        stack.append((x, w * x))
    total = 0.0
    while stack:
        h, hw = stack.pop()  # the last pushed first
        total = total * 0.5 + np.sum(h * hw)
    return total


def index_by_tuple_of_a_list(x, n):
    where = []
    for i in range(n):
        where.append(i)
    return np.sum(x[tuple(where)] * x)  # x[(0, 1)]: one element, not rows 0 and 1


def _weighted_by_key(d, ws):
    total = 0.0
    for k, w in zip(d, ws):  # a dict's keys, in order
        total = total + k * np.sum(w * d[k])
    return total


def zip_over_a_dict_in_a_helper(x):
    d = {2: x, 3: x * x}
    return _weighted_by_key(d, [np.sin(x), x]) + sum(k for k in d) * np.sum(x)


def repeated_list_stacked(x):
    rows = np.stack([x] * 3)  # the same x three times: rows 0, 1 and 2
    return np.sum(rows * np.arange(3.0)[:, None] ** 2)


def repeated_items_times_a_count(x, n):
    pair = [np.sin(x), x * x]
    parts = n * pair + [x[:1]]  # n copies of both, then one more
    return np.sum(np.concatenate(parts) ** 2) + np.sum(parts[-2] * parts[0])


def list_of_zeros_rebuilt_by_slices(x):
    out = [0.0] * len(x)
    for i in range(len(x)):
        out = out[:i] + [x[i] * (i + 1.0)] + out[i + 1:]  # a new list, not out[i] = ...
    return out[0] + out[1] * out[-1]


def dict_chosen_in_a_branch(x):
    d = {"p": x}
    if np.sum(x) > 0.0:  # its keys known only when the code runs
        d = {"p": x * 0.5, "q": np.tanh(x)}
    return sum(np.sum(v ** 2) for v in d.values())


def _moments(x):
    return np.sum(x ** 2), np.sum(x ** 3)


def displays_subscripted(x, i):
    # a tuple or list written out and indexed at once, never named: the items not picked have
    # no gradient from it (zero, not nan)
    a = (np.sum(x ** 2), np.sum(np.sin(x)))[1] + [x * 2.0, x ** 3][-1]
    b, c = (np.cos(x), x * x)[::-1]
    return np.sum(a * b) + np.sum(c) + [np.sum(x), np.prod(x)][i] + sum((x[0], x[1])[:1]) \
        + _moments(x)[1] * 2.0  # a helper's tuple, indexed where it is returned


def arrays_times_lists(x):
    # an array times a list or tuple is NumPy's product (the list made an array), not Python's
    # repetition of the list, which needs a count
    w = [1.0, 2.0, 3.0]
    y = np.tanh(x) * [1.0, -2.0, 0.5] + w * x ** 2 + x * (0.5, 1.0, 2.0)
    pair = np.array([2.0, 3.0]) * [x[0], x[1]]
    return np.sum(y * [x[2], 2.0, 1.0]) + np.sum(pair ** 2) + np.sum(np.stack([x] * 2) * w)


def list_extended_by_an_array(x):
    # ls.extend(array) adds the array's rows (here numbers) as items, as Python does
    items = [x[0]]
    items.extend(x ** 2)
    items.extend([x[1] * 3.0])
    return sum(items) * items[1]


def numpy_of_lists(x):
    # a list or tuple written out where NumPy takes an array is made one, as NumPy does
    a = np.mean([x[0] ** 2, x[1]]) + np.dot([x[0], x[1]], [x[2], 1.0]) + np.var((x[0], x[2]))
    b = x @ [1.0, 2.0, 3.0] + np.sum((np.abs(x) + 1.0) ** [1.0, 2.0, 3.0]) - np.sum([1.0, x[1]] - x[:2])
    note = "%.3f %.3f" % (a, b)  # (a tuple formatted: as written)
    return a * b + 0.0 * len(note)
