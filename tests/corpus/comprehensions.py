"""List comprehensions and generators: differentiated as the loops they stand for."""

import numpy as np


def squares_of_positives(x):
    return sum(v ** 2 for v in x if v > 0)


def inner_function_in_a_comprehension(x):
    def g(i):
        return x[i] * 2.0
    return np.sum(np.stack([g(i) for i in range(3)]))


def nested_generators(x):
    i = 10  # the comprehension's own i does not change this one
    ys = [x[i] * x[j] for i in range(3) for j in range(i, 3)]
    return np.sum(np.array(ys)) + i


def over_a_list_parameter(x, ws):
    return np.sum([np.tanh(w * x) for w in ws])


def over_zip_with_unpacking(x):
    pairs = [(a, b) for a, b in zip(x[:-1], x[1:])]
    return sum(a * b for a, b in pairs)


def nested_comprehension(x):
    rows = [[x[i] * x[j] for j in range(3)] for i in range(3)]
    return np.sum(np.array(rows) ** 2)


def gmm_style(x, means):
    # the shape of ADBench's GMM objective: a sum over components of a comprehension
    return np.log(sum(np.exp(-np.sum((x - m) ** 2)) for m in means))
