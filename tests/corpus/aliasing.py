"""Names that share memory, and writes into it: views, copies, items, out= and effect calls.

Functions in SHARED must give the gradient of what NumPy computes; those in REFUSED must be
refused at the line marked ``# refused``. Each takes one float array ``x`` of shape (2, 3).
"""

import numpy as np


def identity_aliases(x):
    y = x * 1.0
    a = y
    b = y
    a *= 2.0
    return np.sum(b * x)


def chained_assignment(x):
    a = b = x * 1.0
    a *= 2.0
    return np.sum(b * b)


def _same(z):
    return z


def helper_returns_its_argument(x):
    y = x * 1.0
    z = _same(y)
    z *= 2.0
    return np.sum(y * x)


def write_through_alias(x):
    y = x * 1.0
    z = y
    z[0] = 5.0
    return np.sum(y * x)


def transpose_view(x):
    y = x * 1.0
    v = y.T
    v *= 2.0
    return np.sum(y * y)


def np_transpose_then_write(x):
    y = np.sin(x)
    v = np.transpose(y)
    v[0] = v[1] * 3.0
    return np.sum(y * x)


def swapaxes_view(x):
    y = x + 1.0
    v = np.swapaxes(y, 0, 1)
    v -= x.T
    return np.sum(y ** 2)


def slice_view(x):
    y = x * 1.0
    v = y[:1]
    v *= 2.0
    return np.sum(y * y)


def view_of_a_view(x):
    y = x * 1.0
    v = y[:, 1:]
    w = v[:1]
    w += 3.0 * x[:1, :2]
    return np.sum(np.tanh(y) * v[0, 0])


def write_into_base_seen_by_view(x):
    y = x * 2.0
    v = y[:, :2]
    y[0] = np.cos(x[1])
    return np.sum(v * v)


def write_into_base_seen_by_transpose(x):
    y = x * 2.0
    v = y.T
    y *= x
    return np.sum(v[0] * v[1])


def list_item_alias(x):
    y = x * 1.0
    lst = [y, x]
    z = lst[0]
    z *= 2.0
    return np.sum(y * y)


def view_written_in_loop(x):
    y = x * 1.0
    for t in range(3):
        v = y[:, t:t + 1]
        v *= x[:, t:t + 1] + 1.0
    return np.sum(y ** 2)


def sin_out(x):
    y = x * 1.0
    np.sin(y, out=y)
    return np.sum(y * x)


def add_out_into_new(x):
    c = np.zeros((2, 3))
    np.add(x, x * x, out=c)
    return np.sum(c * c)


def out_result_is_the_array(x):
    c = np.zeros((2, 3))
    d = np.multiply(x, 3.0, out=c)
    return np.sum(d * c)


def clip_out_in_place(x):
    y = x * 2.0
    np.clip(y, -0.5, 0.5, out=y)
    return np.sum(y * x)


def dot_out(x):
    buf = np.zeros((2, 2))
    np.dot(x, x.T, out=buf)
    return np.sum(buf ** 2)


def copyto_view(x):
    y = np.zeros((2, 3))
    v = y[:, :2]
    np.copyto(v, x[:, 1:] * 2.0)
    return np.sum(y * x)


def fill_diagonal(x):
    m = x @ x.T
    np.fill_diagonal(m, x[0, 0])
    return np.sum(m * m)


def add_at(x):
    y = np.zeros(4)
    np.add.at(y, [0, 0, 2], x[0])
    return np.sum(y * y)


def put(x):
    y = x * 1.0
    np.put(y, [0, 4], x[1, :2])
    return np.sum(y * x)


def method_sort(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(6.0).reshape(2, 3))


def method_fill(x):
    y = x * 1.0
    y.fill(3.0)
    return np.sum(y * x)


def dunder_imul(x):
    y = x * 1.0
    z = y
    y.__imul__(3.0)
    return np.sum(z * z)


def repeated_fancy_index(x):
    y = np.zeros(3)
    y[[0, 0]] = x[0, :2]
    return np.sum(y * y)


def write_into_parameter_copy(x):
    v = x[0:1]
    v *= 2.0
    return np.sum(x * x)


def overwritten_row_of_parameter(x):
    b = np.ones(3)
    x[1] = b
    return np.sum(x * x)


def float_is_not_shared(x):
    s = np.sum(x)
    t = s
    t += 1.0
    return s * t


def list_append_alias_unread(x):
    hs = [x]
    hs.append(x * 2.0)
    return np.sum(hs[-1] * hs[0])


def moveaxis_view_written_whole(x):
    y = x * 1.0
    w = np.moveaxis(y, 0, -1)
    w[...] = np.cos(w)
    return np.sum(y * x) + np.sum(np.sin(w))


def dict_item_alias(x):
    y = x * np.tanh(np.sum(x))
    d = {"w": y}
    w = d["w"]
    w /= 1.5
    return np.sum(np.sin(y)) + np.sum(w * x)


def copyto_parameter(x):
    np.copyto(x, np.cos(x) * np.tanh(np.sum(x)))
    return np.sum(x * x)


def ufunc_out_chain(x):
    w = np.tanh(x)
    np.tanh(x * 2.0, out=w)
    np.negative(w, out=w)
    return np.sum(w * x)


SHARED = [identity_aliases, chained_assignment, helper_returns_its_argument,
          write_through_alias, transpose_view, np_transpose_then_write, swapaxes_view,
          slice_view, view_of_a_view, write_into_base_seen_by_view,
          write_into_base_seen_by_transpose, list_item_alias, view_written_in_loop, sin_out,
          add_out_into_new, out_result_is_the_array, clip_out_in_place, dot_out, copyto_view,
          fill_diagonal, add_at, put, method_sort, method_fill, dunder_imul,
          repeated_fancy_index, write_into_parameter_copy, overwritten_row_of_parameter,
          float_is_not_shared, list_append_alias_unread, moveaxis_view_written_whole,
          dict_item_alias, copyto_parameter, ufunc_out_chain]


def reshape_maybe_copy(x):
    y = x * 1.0
    v = np.reshape(y, (-1,))
    v *= 2.0
    return np.sum(y * y)


def ravel_maybe_copy(x):
    y = x.T * 1.0
    v = y.ravel()
    v[0] = 4.0  # (a copy: y is not changed)
    return np.sum(y * y)


def row_maybe_number(x):
    y = x * 1.0
    for row in y:
        row *= 2.0
    return np.sum(y * y)


def container_parameter_item(x):
    params = [x * 1.0, x + 1.0]
    W, c = params
    W *= 2.0  # refused
    return np.sum(params[0] * c)


def shuffle(x):
    y = x * 1.0
    np.random.shuffle(y)  # refused
    return np.sum(y * x)


def generator_shuffle(x):
    rng = np.random.default_rng(0)
    y = x * 1.0
    rng.shuffle(y)  # refused
    return np.sum(y * x)


def branch_dependent_view(x):
    y = x * 1.0
    if x[0, 0] > 0:
        v = y[:1]
    else:
        v = y[1:]
    v *= 2.0  # refused
    return np.sum(y * y)


def multiply_at(x):
    y = x * 1.0
    np.multiply.at(y, [0], 2.0)  # refused
    return np.sum(y)


def global_array_written(x):
    v = GLOBAL_BUFFER
    v[0] = x[0, 0]  # refused
    return np.sum(v * x[0])


GLOBAL_BUFFER = np.zeros(3)

def rows_of_a_vector_are_numbers(x):
    y = x[0] * 1.0
    for v in y:
        v *= 2.0  # a number: y is not changed
    a, b, c = y
    a += 1.0
    return np.sum(y * y) + a * b


def reshape_of_parameter(x):
    v = np.reshape(x, (3, 2))
    v[0] = 1.0
    return np.sum(x * x)


def asarray_is_the_array(x):
    y = x * 1.0
    v = np.asarray(y)
    v += 1.0
    return np.sum(y * y)


def rows_of_a_transpose_changed_twice(x):
    y = x * 1.0
    for r in y.T:
        r *= 2.0
        r **= 2
    return np.sum(y) * np.mean(x)


def write_into_integer_array(x):
    y = np.zeros(3, dtype=int)
    y[0] = x[0, 0] * 10.0  # cast to an integer: no gradient
    y[1:] = x[1, 1:]
    return np.sum(y * x[0])


def astype_without_copy(x):
    y = np.sin(x) + np.mean(x)
    w = y.astype(float, copy=False)  # y itself
    w += np.sin(w)
    v = y.astype(float)  # a copy
    v *= 3.0
    return np.sum(y ** 2) + np.sum(w * v) * np.mean(x)


SHARED += [astype_without_copy, write_into_integer_array, rows_of_a_transpose_changed_twice, reshape_maybe_copy, ravel_maybe_copy, row_maybe_number,
           rows_of_a_vector_are_numbers, reshape_of_parameter, asarray_is_the_array]

def item_of_a_list_grown_in_place(x):
    y = x * 1.0
    hs = []
    hs.append(y)
    h = hs[0]  # y itself
    h[0] = 5.0
    return np.sum(y * x)


def item_popped_from_a_list_grown_in_a_loop(x):
    y = x * 1.0
    hs = []
    for i in range(2):
        hs.append(y)
    h = hs.pop()
    h *= 3.0  # y itself (all the list holds)
    return np.sum(y * x)


SHARED += [item_of_a_list_grown_in_place, item_popped_from_a_list_grown_in_a_loop]

REFUSED = [container_parameter_item,
           shuffle, generator_shuffle, branch_dependent_view, multiply_at, global_array_written]


# Writes into arrays that do not vary with x: the backward code of what came before reads them
# as they were (the write is undone, as any write is).
def constant_written_after_read(x):
    c = np.ones(3)
    y = x * c
    c[0] = 5.0
    return np.sum(y * c * y)


def constant_written_in_loop(x):
    c = np.zeros(3)
    y = x * 1.0
    for i in range(3):
        c[i] = i + 1.0
        y = y * c + 1.0
    return np.sum(y * y)


SHARED += [constant_written_after_read, constant_written_in_loop]

# Second derivatives: the gradient's tape holds arrays it later writes into (hvp).
def tape_holds_array_written_in_loop(x):
    y = x * 2.0
    for i in range(2):
        y[i] = np.sin(x[i]) * x[0]
    return np.sum(y * y)


def tape_holds_rows_written_in_loop(x):
    y = np.outer(x[0], x[1])
    for i in range(2):
        y[i] = np.tanh(y[i + 1]) * x[1]
    return np.sum(y ** 2)


def tape_holds_array_filled_in_loop(x):
    y = x * 1.0
    for i in range(3):
        y.fill(np.sum(x) * i)
        y = y * x
    return np.sum(y * y)


def tape_holds_array_then_rebound(x):
    y = np.zeros_like(x)
    for i in range(2):
        y[i] = x[i] ** 2
        y = y * x
    return np.sum(y)


def tape_holds_constant_written_in_loop(x):
    return constant_written_in_loop(x)


TAPED = [tape_holds_array_filled_in_loop, tape_holds_array_then_rebound,
         tape_holds_constant_written_in_loop]
# Still refused in hvp (not wrong): the write is undone after a pop, and what the tape gives
# back is taken to be any array it holds (so it may be another popped value's memory).
TAPED_POP_UNCLEAR = [tape_holds_array_written_in_loop, tape_holds_rows_written_in_loop]
SHARED += TAPED + TAPED_POP_UNCLEAR


def user_stack_of_an_array_written(x):
    # A user's list used like the tape: what it holds changes (not the gradient's tape).
    y = x * 1.0
    hs = []
    hs.append(y)
    y[0] = 5.0  # refused
    h = hs.pop()
    return np.sum(h * x)


REFUSED += [user_stack_of_an_array_written]
