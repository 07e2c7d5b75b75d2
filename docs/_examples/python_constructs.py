"""Python constructs, one function each, that the docs' "Supported Python" table is made from.

When the documentation is built, srcgrad differentiates each function with respect to ``x``
(``np.array([0.3, -0.5, 0.8])``) and checks the gradient against finite differences; the table
shows the result, or srcgrad's own error message. Each docstring names the construct, and the
line ending in ``# <-`` is the example shown.
"""

import contextlib
import functools
import math

import numpy as np

SCALE = 0.5


def helper(v):
    return v * v


def assignment(x):
    """Assignment and arithmetic"""
    y = 2.0 * x + 1.0  # <-
    return np.sum(y * y)


def augmented(x):
    """Augmented assignment"""
    y = x * 1.0
    y *= x  # <-
    return np.sum(y)


def unpacking(x):
    """Tuple unpacking"""
    a, b = x[0], x[1]  # <-
    return a * b


def swap(x):
    """Swapping with a tuple"""
    a, b = x[0], x[1]
    a, b = b, a * b  # <-
    return a + b


def annotated(x):
    """Annotated assignment"""
    y: np.ndarray = x * x  # <-
    return np.sum(y)


def range_loop(x):
    """`for` over `range`"""
    y = x
    for _ in range(3):  # <-
        y = np.sin(y)
    return np.sum(y)


def array_loop(x):
    """`for` over an array's rows"""
    total = 0.0
    for v in x:  # <-
        total = total + v * v
    return total


def enumerate_loop(x):
    """`enumerate`"""
    total = 0.0
    for i, v in enumerate(x):  # <-
        total = total + i * v * v
    return total


def zip_loop(x):
    """`zip`"""
    total = 0.0
    for a, b in zip(x, x[::-1]):  # <-
        total = total + a * b
    return total


def nested_loops(x):
    """Nested loops"""
    y = x
    for _ in range(2):
        for _ in range(2):  # <-
            y = y * np.cos(y)
    return np.sum(y)


def for_else(x):
    """`for ... else`"""
    y = x
    for _ in range(2):
        y = y * x
    else:  # noqa: PLW0120 # <-
        y = y + 1.0
    return np.sum(y)


def if_statement(x):
    """`if` statement"""
    y = x * x
    if np.sum(x) > 0:  # <-
        y = -y
    return np.sum(y)


def where_choice(x):
    """Choosing values with `np.where`"""
    y = np.where(x > 0, x, 0.1 * x)  # <-
    return np.sum(y * y)


def conditional_expression(x):
    """Conditional expression on constants"""
    k = 2.0 if SCALE > 0 else 3.0  # <-
    return np.sum(k * x)


def while_loop(x):
    """`while` loop"""
    y = x
    while np.sum(y * y) < 10.0:  # <-
        y = y * 2.0
    return np.sum(y)


def break_loop(x):
    """`break`"""
    y = x
    for i in range(5):
        y = y * 0.5
        if i == 1:
            break  # <-
    return np.sum(y)


def continue_loop(x):
    """`continue`"""
    y = x
    for i in range(4):
        if i == 1:
            continue  # <-
        y = y * 0.5
    return np.sum(y)


def early_return(x):
    """`return` before the end"""
    if np.sum(x) > 10.0:
        return np.sum(x)  # <-
    return np.sum(x * x)


def several_results(x):
    """Returning a tuple"""
    return np.sum(x), np.sum(x * x)  # <-


def methods(x):
    """Array methods"""
    return (x * x).sum()  # <-


def attributes(x):
    """Attributes (`.T`, `.shape`)"""
    m = np.reshape(x, (1, 3))
    return np.sum(m.T @ m) / m.shape[1]  # <-


def slicing(x):
    """Slicing and integer indexing"""
    return x[0] * np.sum(x[1:])  # <-


def fancy_indexing(x):
    """Indexing with an array of indices"""
    return np.sum(x[np.array([0, 2, 2])] ** 2)  # <-


def item_assignment(x):
    """Assigning into an array (`y[i] = ...`)"""
    y = np.zeros(3)
    y[0] = x[0]  # <-
    return np.sum(y * x)


def user_function(x):
    """Calling another Python function"""
    return np.sum(helper(x))  # <-


def globals_and_math(x):
    """Module constants and `math`"""
    return np.sum(x * SCALE * math.pi)  # <-


def keyword_arguments(x):
    """Keyword arguments"""
    m = np.reshape(x, (3, 1))
    return np.sum(np.mean(m * m, axis=0, keepdims=True))  # <-


def default_parameter(x, power=2.0):
    """Default parameter values"""
    return np.sum(x ** power)  # <-


def print_and_assert(x):
    """`print` and `assert`"""
    assert x.ndim == 1  # <-
    return np.sum(x * x)


def list_comprehension(x):
    """List comprehension"""
    parts = [x * k for k in range(3)]  # <-
    return np.sum(np.stack(parts))


def generator_expression(x):
    """Generator expression fed to `sum`"""
    return sum(v * v for v in x if v > 0)  # <-


def walrus(x):
    """Assignment expression (`:=`)"""
    if (total := np.sum(x)) > 0:  # <-
        return total * 2.0
    return total


def write_through_view(x):
    """Writing through a view (`v = y.T; v *= 2`)"""
    y = np.outer(x, x)
    v = y.T
    v *= 2.0  # <-
    return np.sum(y * x)


def out_argument(x):
    """`out=` arguments and effect calls (`np.copyto`, `y.sort()`)"""
    y = np.zeros(3)
    np.multiply(x, x, out=y)  # <-
    return np.sum(y)


def star_call(x):
    """Helpers with `*args`, and `f(*args)` of a tuple"""
    def total(*parts):
        return sum(parts)
    parts = (x, x * x)
    return np.sum(total(*parts))  # <-


def stack_list(x):
    """A list of arrays"""
    return np.sum(np.stack([x, x * x]))  # <-


def lambda_call(x):
    """Lambda"""
    square = lambda v: v * v  # <-
    return np.sum(square(x))


def inner_function(x):
    """Function defined inside"""
    def square(v):  # <-
        return v * v
    return np.sum(square(x))


def try_block(x):
    """`try`"""
    try:  # <-
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def errstate_block(x):
    """`with np.errstate(...)` (its body differentiated as written; a warning it silences may
    show when the gradient runs)"""
    with np.errstate(all="ignore"):  # <-
        y = np.log(np.abs(x))
    return np.sum(y)


def with_block(x):
    """Other `with` blocks"""
    with contextlib.suppress(FloatingPointError):  # <-
        y = np.log(np.abs(x))
    return np.sum(y)


def raise_statement(x):
    """`raise` (a check of the inputs: the gradient raises the same error)"""
    if x.ndim != 1:
        raise ValueError("x must be a vector")  # <-
    return np.sum(x * x)


def in_place_method(x):
    """In-place list methods (`.append`, `.extend`, `.pop()`)"""
    parts = []
    parts.append(x)  # <-
    parts.extend([x * x, np.sin(x)])
    last = parts.pop()
    return np.sum(np.stack(parts)) + np.sum(last)


def list_repetition(x):
    """Lists repeated (`[x] * n`: the same array n times) and rebuilt from slices"""
    rows = [x] * 3  # <-
    rows = rows[:1] + [np.sin(x)] + rows[2:]
    return np.sum(np.stack(rows) * np.arange(3.0)[:, None])


def _moments(x):
    return np.sum(x ** 2), np.sum(x ** 3)


def tuple_indexed_at_once(x):
    """A tuple indexed where it is written or returned (`(a, b)[1]`, `f(x)[0]`)"""
    second = _moments(x)[1]  # <-
    return second + (np.sum(x), np.prod(x))[1]


def star_args(x, *rest):
    """`*args` parameters"""
    return np.sum(x * x)  # <-


def dict_items(x):
    """Dicts: `d.items()`, `d.get(k, default)`"""
    params = {"a": x, "b": 2.0 * x}
    total = 0.0
    for key, value in params.items():  # <-
        total = total + np.sum(value * params.get(key, 1.0))
    return total


def zip_star(x):
    """Transposing pairs with `zip(*pairs)`"""
    pairs = [(x, x * x), (2.0 * x, x + 1.0)]
    firsts, seconds = zip(*pairs)  # <-
    return np.sum(firsts[1] * seconds[0])


def builtins_of_numbers(x):
    """`max`, `min`, `abs`, `pow` of numbers"""
    a, b = np.sum(x), np.sum(x * x)
    return max(a, b) + min(abs(a), pow(b, 2))  # <-


DOUBLE = functools.partial(np.multiply, 2.0)


def function_values(x, nonlinearity=np.tanh):
    """Functions as values (`nonlinearity=np.tanh`, `functools.partial`)"""
    return np.sum(nonlinearity(DOUBLE(x)))  # <-


class Layer:
    def __init__(self, scale):
        self.scale = scale

    def forward(self, x):
        return np.tanh(self.scale * x)


LAYERS = [Layer(0.5), Layer(2.0)]


def object_methods(x):
    """Objects: methods of a list of layers"""
    for layer in LAYERS:
        x = layer.forward(x)  # <-
    return np.sum(x)
