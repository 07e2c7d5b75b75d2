"""Generated code on other array libraries: PyTorch, CuPy, array-api-strict, any library that
`array-api-compat <https://data-apis.org/array-api-compat/>`_ knows.

Generated code says ``np.`` and calls the helpers of :mod:`srcgrad.runtime`. For arguments of
another library the same code runs with ``np`` bound to a :class:`Facade`: a NumPy-compatible
module over that library's array-API namespace. It holds the standard's functions under their
NumPy names (``np.concatenate`` is ``concat``, ``np.arccos`` is ``acos``), NumPy's signatures
where they differ (``np.transpose(x)``, ``np.expand_dims`` with several axes, ``np.sum`` of a
number), creation functions that make arrays of the library on the arguments' device with
NumPy's default dtypes (``np.zeros(n)`` is float64; float32 for float32 arguments), the NumPy
names the standard lacks,
mapped where the library has them (``einsum``; all of NumPy for CuPy) or written from the
standard (``outer``, ``dot``, ``np.multiply.outer``). A name it cannot map raises
:class:`ArrayLibraryError` naming the function and the library.

The runtime helpers are copied with ``np`` bound to the same facade (:func:`helpers_for`), so
that nothing mixes libraries and nothing is copied between host and device; the few that read
NumPy-only attributes (``dtype.kind``, ``flags``) have versions here, written for any library.
NumPy arrays never reach this module: their code is the NumPy code, unchanged.
"""

from __future__ import annotations

import ast
import functools
import inspect
import math
import re
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from . import array_syntax, runtime
from .errors import ArrayLibraryError
from .passes.resolve import is_data

#: NumPy's names for functions the array API standard names otherwise.
NUMPY_NAMES = {
    "absolute": "abs", "fabs": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin",
    "arcsinh": "asinh", "arctan": "atan", "arctanh": "atanh", "arctan2": "atan2",
    "concatenate": "concat", "power": "pow", "true_divide": "divide", "amax": "max",
    "amin": "min", "conjugate": "conj", "invert": "bitwise_invert",
    "left_shift": "bitwise_left_shift", "right_shift": "bitwise_right_shift",
    "cumulative_sum": "cumulative_sum", "cumulative_prod": "cumulative_prod",
}

#: Names that are the same plain Python or NumPy objects whatever the library: constants,
#: index helpers, NumPy's abstract scalar types (``isinstance(x, np.floating)`` of a number)
#: and errors.
SHARED = ("pi", "e", "inf", "nan", "newaxis", "s_", "index_exp", "euler_gamma",
          "generic", "number", "inexact", "floating", "complexfloating", "integer",
          "signedinteger", "unsignedinteger", "errstate", "ndindex", "broadcast_shapes",
          "__version__", "lib")

#: NumPy's concrete scalar types: as a ``dtype=`` argument, the library's dtype; called,
#: ``np.float64(2.0)`` is a Python number and ``np.float32(x)`` of an array the array cast.
SCALAR_TYPES = ("bool_", "float16", "float32", "float64", "complex64", "complex128", "int8",
                "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp",
                "uintp")


class _ScalarType(type):
    """The type of the facade's ``np.float64`` ...: a NumPy scalar type (``isinstance`` and
    ``np.dtype`` see it as one) whose call makes no NumPy scalar (see SCALAR_TYPES)."""

    numpy_type: type
    facade: Facade

    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, cls.numpy_type)

    def __call__(cls, value: Any = 0) -> Any:
        if isinstance(value, cls.facade.ndarray):
            return cls.facade.astype(value, cls.numpy_type)
        return cls.numpy_type(value).item()


def namespace_of(value: Any) -> Any | None:
    """The array-API namespace of ``value``'s library, or None for NumPy and non-arrays."""
    kind = type(value)
    if kind is np.ndarray or not hasattr(value, "shape") or not hasattr(value, "dtype") or \
            isinstance(value, (np.ndarray, np.generic)):
        return None
    try:
        import array_api_compat
    except ImportError:  # (a library's array passed without array-api-compat installed)
        raise ArrayLibraryError(
            f"srcgrad needs array-api-compat to differentiate {kind.__module__}.{kind.__name__} "
            "arrays: pip install 'srcgrad[arrays]'") from None
    try:
        return array_api_compat.array_namespace(value)
    except TypeError:
        return None


def library_key(value: Any) -> tuple | None:
    """What a version of generated code for ``value``'s library depends on: its array type,
    namespace, device and float dtype (float64 unless ``value`` is of another float dtype);
    None for NumPy and non-arrays."""
    xp = namespace_of(value)
    if xp is None:
        return None
    import array_api_compat
    floating = value.dtype if xp.isdtype(value.dtype, "real floating") else xp.float64
    return (type(value), xp, array_api_compat.device(value), floating)


@functools.cache
def facade(array_type: type, xp: Any, device: Any, floating: Any) -> Facade:
    """The facade for arrays of ``array_type`` (namespace ``xp``) on ``device`` whose floats
    are ``floating`` (one each)."""
    return Facade(array_type, xp, device, floating)


class Facade(types.ModuleType):
    """``np`` for generated code on another library (see the module's docstring). Attributes
    are found when first read and kept."""

    ndarray: Any  # the library's array type

    def __init__(self, array_type: type, xp: Any, device: Any, floating: Any):
        super().__init__(f"srcgrad.arrays[{_library_name(xp)}]")
        self.xp, self.device, self.library = xp, device, _library_name(xp)
        #: The dtype of floats made without one (``np.zeros(n)``, a Python float): the
        #: differentiated arguments' (float32 ones make float32 arrays, as the library's
        #: operators do not mix float32 and float64 as NumPy's do in ``@``).
        self.float_dtype = floating
        self._data: dict[int, tuple[Any, Any]] = {}  # id -> (NumPy array, its copy here)
        self.native = _native_module(xp)
        self.ndarray = array_type
        for shared in SHARED:
            if hasattr(np, shared):
                setattr(self, shared, getattr(np, shared))
        for scalar in SCALAR_TYPES:
            if hasattr(np, scalar):
                numpy_type = getattr(np, scalar)
                setattr(self, scalar, _ScalarType(scalar, (), {
                    "numpy_type": numpy_type, "dtype": np.dtype(numpy_type), "facade": self}))
        self.linalg = _SubFacade(self, "linalg")
        self.fft = _SubFacade(self, "fft")
        self.random = _Random(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = self.find(name)
        setattr(self, name, value)
        return value

    def find(self, name: str) -> Any:
        """The facade's ``name``: an adaptation of NumPy's, the standard's, or the library's
        own; raises :class:`ArrayLibraryError` where there is none."""
        adapter = _ADAPTERS.get(name)
        if adapter is not None:
            return adapter(self)
        standard = getattr(self.xp, NUMPY_NAMES.get(name, name), None)
        if standard is not None and not isinstance(standard, types.ModuleType):
            return standard
        if self.native is not None:
            found = getattr(self.native, name, None)
            if found is not None:
                return found
        raise self.missing(f"np.{name}")

    def missing(self, function: str) -> ArrayLibraryError:
        return ArrayLibraryError(
            f"{function} has no equivalent for {self.library} arrays (neither the array API "
            f"standard nor {self.library} has it)",
            fix="write it with the standard's functions, or call the gradient with NumPy "
            "arrays")

    def supports(self, dotted: str) -> bool:
        """Whether ``np.<dotted>`` (``"linalg.solve"``) can be mapped."""
        value: Any = self
        for part in dotted.split("."):
            try:
                value = getattr(value, part)
            except ArrayLibraryError:
                return False
            except AttributeError:
                return True  # an attribute of a function or a ufunc: NumPy's own business
        return True

    # -- conversions between NumPy's and the library's ways of saying things ---------------

    def as_dtype(self, spec: Any, default: Any = None) -> Any:
        """The library's dtype for ``spec``: a NumPy dtype or type, ``float``, a name, or the
        library's own dtype (``default`` for None)."""
        if spec is None:
            return default
        if type(spec) is type(self.xp.float64):
            return spec
        if spec is float:
            return self.float_dtype
        name = np.dtype(spec).name
        found = getattr(self.xp, name, None)
        if found is None:
            raise self.missing(f"dtype {name}")
        return found

    @property
    def numpy_syntax(self) -> bool:
        """Whether the library's arrays take NumPy's indexing, methods and attributes (CuPy's
        do); code for the others is rewritten (see :mod:`srcgrad.array_syntax`)."""
        return self.native is not None and not isinstance(self.native, _TorchExtras)

    @functools.cached_property
    def limited_indexing(self) -> bool:
        """Whether the library takes integer index arrays only beside integers, and writes
        through none (array-api-strict, as the standard says)."""
        import array_api_compat
        return array_api_compat.is_array_api_strict_namespace(self.xp)

    def is_dtype(self, value: Any) -> bool:
        """Whether ``value`` is one of the library's dtypes."""
        return type(value) is type(self.xp.float64)

    def kind(self, dtype: Any) -> str:
        """NumPy's ``dtype.kind`` of one of the library's dtypes."""
        for kind, name in (("b", "bool"), ("i", "signed integer"), ("u", "unsigned integer"),
                           ("f", "real floating"), ("c", "complex floating")):
            if self.xp.isdtype(dtype, name):
                return kind
        return "V"

    def itemsize(self, dtype: Any) -> int:
        """Bytes per element of the library's ``dtype``."""
        if self.xp.isdtype(dtype, "bool"):
            return 1
        info = self.xp.finfo(dtype) if self.xp.isdtype(dtype, ("real floating",
                                                              "complex floating")) \
            else self.xp.iinfo(dtype)
        return info.bits // 8 * (2 if self.xp.isdtype(dtype, "complex floating") else 1)

    def data(self, value: Any) -> Any:
        """The user's data (a global or closure variable the code reads) for this library:
        NumPy arrays (also in lists, tuples and dicts) as its arrays, each made once."""
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            cached = self._data.get(id(value))
            if cached is None or cached[0] is not value:
                cached = self._data[id(value)] = (value, self.lift(value))
            return cached[1]
        if isinstance(value, (list, tuple)):
            return type(value)(self.data(v) for v in value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        return value

    def lift(self, value: Any, dtype: Any = None) -> Any:
        """``value`` as an array of the library on the device (an array of it: itself)."""
        if isinstance(value, self.ndarray) and dtype is None:
            return value
        if isinstance(value, (list, tuple)) and any(isinstance(v, self.ndarray) for v in value):
            return self.xp.stack([self.lift(v) for v in value])
        if dtype is None and isinstance(value, float):
            dtype = self.float_dtype  # (NumPy's: a float64 array)
        return self.xp.asarray(value, dtype=self.as_dtype(dtype), device=self.device)


def _library_name(xp: Any) -> str:
    name = xp.__name__
    return name.removeprefix("array_api_compat.")


def _native_module(xp: Any) -> Any | None:
    """The library's own module where it follows NumPy's API (CuPy), for the names the
    standard lacks; None for the others (their few such names are mapped one by one)."""
    import array_api_compat
    if array_api_compat.is_cupy_namespace(xp):
        import cupy
        return cupy
    if array_api_compat.is_torch_namespace(xp):
        import torch
        return _TorchExtras(torch)
    return None


class _TorchExtras:
    """The NumPy names PyTorch has with NumPy's meaning and signature."""

    def __init__(self, torch: Any):
        self.torch = torch

    def einsum(self, subscripts, *operands, optimize=False):
        return self.torch.einsum(subscripts, *operands)

    def __getattr__(self, name: str) -> Any:
        return None


class _SubFacade(types.ModuleType):
    """``np.linalg`` and ``np.fft`` over the library's extension of the same name."""

    def __init__(self, owner: Facade, name: str):
        super().__init__(f"{owner.__name__}.{name}")
        self.owner, self.part = owner, name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for source in (getattr(self.owner.xp, self.part, None),
                       getattr(self.owner.native, self.part, None)):
            found = getattr(source, name, None)
            if found is not None:
                setattr(self, name, found)
                return found
        raise self.owner.missing(f"np.{self.part}.{name}")


class _Random(types.ModuleType):
    """``np.random`` making arrays of the library on its device: the library's own generator
    (CuPy's, PyTorch's); for a library with none on the host (array-api-strict), NumPy's."""

    def __init__(self, owner: Facade):
        super().__init__(f"{owner.__name__}.random")
        self.owner = owner

    def _make(self, draw: Callable[..., Any], size, *, torch_draw=None):
        owner = self.owner
        shape = () if size is None else (size,) if isinstance(size, int) else tuple(size)
        native = owner.native
        if isinstance(native, _TorchExtras):
            return torch_draw(native.torch, shape, owner.float_dtype, owner.device)
        if native is not None:
            return draw(native.random, shape)
        import array_api_compat
        if not array_api_compat.is_array_api_strict_namespace(owner.xp):
            raise owner.missing("np.random")
        return owner.lift(draw(np.random, shape))

    def standard_normal(self, size=None):
        return self._make(lambda r, s: r.standard_normal(s), size,
                          torch_draw=lambda t, s, d, dev: t.randn(s, dtype=d, device=dev))

    def normal(self, loc=0.0, scale=1.0, size=None):
        return loc + scale * self.standard_normal(size)

    def randn(self, *shape):
        return self.standard_normal(shape)

    def random(self, size=None):
        return self._make(lambda r, s: r.random(s), size,
                          torch_draw=lambda t, s, d, dev: t.rand(s, dtype=d, device=dev))

    def rand(self, *shape):
        return self.random(shape)

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * self.random(size)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise self.owner.missing(f"np.random.{name}")


# -- NumPy's functions written for any library (each takes the facade, returns the function) ---

_ADAPTERS: dict[str, Callable[[Facade], Any]] = {}


def _adapter(function: Callable[[Facade], Any]) -> Callable[[Facade], Any]:
    _ADAPTERS[function.__name__.removeprefix("_")] = function
    return function


def _creation(name: str, like: bool = False):
    """NumPy's ``zeros``/``ones``/``empty`` (floats by default) and their ``_like``."""
    def make(f: Facade):
        function = getattr(f.xp, name)
        if like:
            return lambda a, dtype=None: function(f.lift(a), dtype=f.as_dtype(dtype))
        return lambda shape, dtype=float: function(
            shape, dtype=f.as_dtype(dtype), device=f.device)
    _ADAPTERS[name] = make


for _name in ("zeros", "ones", "empty"):
    _creation(_name)
    _creation(_name + "_like", like=True)


@_adapter
def _full(f: Facade):
    def full(shape, fill_value, dtype=None):
        if dtype is None and not isinstance(fill_value, f.ndarray):
            dtype = float if isinstance(fill_value, float) else np.result_type(fill_value)
        return f.xp.full(shape, fill_value, dtype=f.as_dtype(dtype), device=f.device)
    return full


@_adapter
def _full_like(f: Facade):
    return lambda a, fill_value, dtype=None: f.xp.full_like(f.lift(a), fill_value,
                                                            dtype=f.as_dtype(dtype))


@_adapter
def _eye(f: Facade):
    return lambda N, M=None, k=0, dtype=float: f.xp.eye(
        N, M, k=k, dtype=f.as_dtype(dtype), device=f.device)


@_adapter
def _identity(f: Facade):
    return lambda n, dtype=float: f.xp.eye(n, dtype=f.as_dtype(dtype), device=f.device)


@_adapter
def _arange(f: Facade):
    def arange(start, stop=None, step=1, dtype=None):
        if dtype is None:
            given = [v for v in (start, stop, step) if v is not None]
            dtype = float if any(isinstance(v, float) for v in given) else \
                np.result_type(*given)
        return f.xp.arange(start, stop, step, dtype=f.as_dtype(dtype), device=f.device)
    return arange


@_adapter
def _linspace(f: Facade):
    return lambda start, stop, num=50, endpoint=True, dtype=None: f.xp.linspace(
        start, stop, num, endpoint=endpoint, dtype=f.as_dtype(dtype, f.float_dtype),
        device=f.device)


@_adapter
def _asarray(f: Facade):
    return lambda a, dtype=None: f.lift(a, dtype)


@_adapter
def _array(f: Facade):
    def array(a, dtype=None, copy=True):
        lifted = f.lift(a)
        return f.xp.astype(lifted, f.as_dtype(dtype, lifted.dtype), copy=copy)
    return array


@_adapter
def _copy(f: Facade):
    return lambda a: f.xp.asarray(f.lift(a), copy=True)


@_adapter
def _astype(f: Facade):
    return lambda x, dtype, copy=True: f.xp.astype(f.lift(x), f.as_dtype(dtype), copy=copy)


@_adapter
def _shape(f: Facade):
    return lambda a: tuple(a.shape) if isinstance(a, f.ndarray) else np.shape(a)


@_adapter
def _ndim(f: Facade):
    return lambda a: a.ndim if isinstance(a, f.ndarray) else np.ndim(a)


@_adapter
def _size(f: Facade):
    def size(a, axis=None):
        shape = tuple(a.shape) if isinstance(a, f.ndarray) else np.shape(a)
        return math.prod(shape) if axis is None else shape[axis]
    return size


@_adapter
def _dtype(f: Facade):
    return lambda spec: f.as_dtype(spec)


@_adapter
def _result_type(f: Facade):
    def result_type(*values):
        numbers = [v for v in values if isinstance(v, (bool, int, float, complex))]
        if len(numbers) == len(values):
            return f.float_dtype if any(isinstance(v, float) for v in numbers) else \
                f.as_dtype(np.result_type(*numbers))
        dtypes = [v.dtype if isinstance(v, f.ndarray) else f.as_dtype(getattr(v, "dtype", v))
                  for v in values if v not in numbers]
        return f.xp.result_type(*dtypes, *numbers)
    return result_type


#: NumPy's abstract scalar types as the standard's kinds of dtype.
_KINDS = {np.inexact: ("real floating", "complex floating"), np.floating: "real floating",
          np.complexfloating: "complex floating", np.integer: "integral",
          np.signedinteger: "signed integer", np.unsignedinteger: "unsigned integer",
          np.bool_: "bool", np.number: "numeric"}


@_adapter
def _issubdtype(f: Facade):
    def issubdtype(dtype, kind):
        if kind in _KINDS:
            return f.xp.isdtype(f.as_dtype(dtype), _KINDS[kind])
        return f.as_dtype(dtype) == f.as_dtype(kind)
    return issubdtype


@_adapter
def _iscomplexobj(f: Facade):
    return lambda x: f.xp.isdtype(x.dtype, "complex floating") if isinstance(x, f.ndarray) \
        else np.iscomplexobj(x)


#: NumPy's positional parameters after the array, per reduction (the standard's are keywords).
_REDUCTION_PARAMETERS = {
    "sum": ("axis", "dtype", "out", "keepdims"), "prod": ("axis", "dtype", "out", "keepdims"),
    "mean": ("axis", "dtype", "out", "keepdims"), "max": ("axis", "out", "keepdims"),
    "min": ("axis", "out", "keepdims"), "any": ("axis", "out", "keepdims"),
    "all": ("axis", "out", "keepdims"), "std": ("axis", "dtype", "out", "ddof", "keepdims"),
    "var": ("axis", "dtype", "out", "ddof", "keepdims")}


def _lifting(name: str, standard: str | None = None):
    """A reduction or elementwise function that takes numbers (and NumPy arrays, lists) as
    NumPy's does, and a reduction's arguments as NumPy's: positional ``axis``, ``a=``,
    ``ddof=`` (the standard's ``correction``), ``axis`` a list."""
    def make(f: Facade):
        function = getattr(f.xp, standard or name)
        counts = name in ("sum", "prod")  # of booleans: NumPy's count them
        parameters = _REDUCTION_PARAMETERS.get(standard or name, ())

        def lifted(*args, **kwargs):
            x, args = (args[0], args[1:]) if args else (kwargs.pop("a", kwargs.pop("x", None)),
                                                          ())
            x = x if isinstance(x, f.ndarray) else f.lift(x)
            if counts and x.dtype == f.xp.bool:
                x = f.xp.astype(x, f.xp.int64)
            if parameters:
                kwargs.update(zip(parameters, args))
                args = ()
                if kwargs.get("out") is not None:
                    raise f.missing(f"np.{name}(..., out=)")
                kwargs.pop("out", None)
                if "ddof" in kwargs:
                    kwargs["correction"] = kwargs.pop("ddof")
                if isinstance(kwargs.get("axis"), list):
                    kwargs["axis"] = tuple(kwargs["axis"])
                if kwargs.get("dtype") is not None:
                    kwargs["dtype"] = f.as_dtype(kwargs["dtype"])
            return function(x, *args, **kwargs)
        return lifted
    _ADAPTERS[name] = make


for _name in ("sum", "prod", "mean", "max", "min", "std", "var", "exp", "log", "sqrt", "tanh",
              "sin", "cos", "abs", "negative", "sign", "log1p", "expm1", "any", "all", "argsort",
              "sort", "flip"):
    _lifting(_name)
_lifting("amax", "max")
_lifting("amin", "min")
_lifting("absolute", "abs")


@_adapter
def _may_share_memory(f: Facade):
    """Whether two arrays may share memory: one storage (PyTorch), one NumPy buffer under
    array-api-strict's arrays, CuPy's own test."""
    native = f.native
    if isinstance(native, _TorchExtras):
        return lambda a, b, max_work=None: isinstance(a, f.ndarray) and \
            isinstance(b, f.ndarray) and \
            a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    if native is not None:
        return native.may_share_memory
    import array_api_compat
    if array_api_compat.is_array_api_strict_namespace(f.xp):
        return lambda a, b, max_work=None: np.may_share_memory(
            getattr(a, "_array", a), getattr(b, "_array", b))
    raise f.missing("np.may_share_memory")


_ADAPTERS["shares_memory"] = _may_share_memory


@_adapter
def _ravel(f: Facade):
    return lambda a: f.xp.reshape(f.lift(a), (-1,))


@_adapter
def _reshape(f: Facade):
    return lambda a, shape: f.xp.reshape(f.lift(a), (shape,) if isinstance(shape, int)
                                         else tuple(shape))


@_adapter
def _transpose(f: Facade):
    def transpose(a, axes=None):
        return f.xp.permute_dims(a, tuple(reversed(range(a.ndim))) if axes is None
                                 else tuple(axes))
    return transpose


@_adapter
def _swapaxes(f: Facade):
    def swapaxes(a, axis1, axis2):
        order = list(range(a.ndim))
        order[axis1], order[axis2] = order[axis2], order[axis1]
        return f.xp.permute_dims(a, tuple(order))
    return swapaxes


@_adapter
def _expand_dims(f: Facade):
    def expand_dims(a, axis):
        a = f.lift(a)
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        ndim = a.ndim + len(axes)
        for position in sorted(x % ndim for x in axes):
            a = f.xp.expand_dims(a, axis=position)
        return a
    return expand_dims


@_adapter
def _squeeze(f: Facade):
    def squeeze(a, axis=None):
        if axis is None:
            axis = tuple(i for i, n in enumerate(a.shape) if n == 1)
        return f.xp.squeeze(a, axis=axis)
    return squeeze


@_adapter
def _broadcast_to(f: Facade):
    return lambda a, shape: f.xp.broadcast_to(f.lift(a), tuple(shape))


@_adapter
def _outer(f: Facade):
    return lambda a, b: f.xp.reshape(f.lift(a), (-1, 1)) * f.xp.reshape(f.lift(b), (1, -1))


@_adapter
def _dot(f: Facade):
    def dot(a, b):
        if f.ndim(a) == 0 or f.ndim(b) == 0:
            return a * b
        if f.ndim(b) > 2:
            return f.xp.tensordot(a, b, axes=((-1,), (-2,)))
        return f.xp.matmul(a, b)
    return dot


@_adapter
def _inner(f: Facade):
    return lambda a, b: a * b if f.ndim(a) == 0 or f.ndim(b) == 0 else \
        f.xp.tensordot(a, b, axes=((-1,), (-1,)))


@_adapter
def _cumsum(f: Facade):
    def cumsum(a, axis=None):
        a = f.lift(a)
        return f.xp.cumulative_sum(f.xp.reshape(a, (-1,)) if axis is None else a,
                                   axis=0 if axis is None else axis)
    return cumsum


def _joining(name: str, standard: str):
    """NumPy's ``stack``/``concatenate``: items that may be numbers or NumPy arrays, ``axis``
    positional (None: of the raveled items), ``dtype=``."""
    def make(f: Facade):
        function = getattr(f.xp, standard)

        def joined(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
            if out is not None:
                raise f.missing(f"np.{name}(..., out=)")
            items = [f.lift(a) for a in arrays]
            if dtype is not None:
                items = [f.xp.astype(a, f.as_dtype(dtype)) for a in items]
            if axis is None:
                items, axis = [f.xp.reshape(a, (-1,)) for a in items], 0
            return function(items, axis=axis)
        return joined
    _ADAPTERS[name] = make


_joining("stack", "stack")
_joining("concatenate", "concat")
_joining("concat", "concat")


def _of_arrays(name: str):
    """A function of one array, given a number, a list or a NumPy array as NumPy's is."""
    def make(f: Facade):
        function = getattr(f.xp, NUMPY_NAMES.get(name, name))
        return lambda x, *args, **kwargs: function(f.lift(x), *args, **kwargs)
    _ADAPTERS[name] = make


for _name in ("real", "imag", "conj", "square", "tan", "arcsin", "arccos", "arctan", "sinh",
              "cosh", "arcsinh", "arccosh", "arctanh", "log2", "log10", "floor", "ceil", "trunc"):
    _of_arrays(_name)


@_adapter
def _cumprod(f: Facade):
    def cumprod(a, axis=None):
        function = getattr(f.xp, "cumulative_prod", None)
        if function is None:
            raise f.missing("np.cumprod")
        a = f.lift(a)
        return function(f.xp.reshape(a, (-1,)) if axis is None else a,
                        axis=0 if axis is None else axis)
    return cumprod


@_adapter
def _diag(f: Facade):
    def diag(v, k=0):
        if v.ndim == 2:
            return f.xp.linalg.diagonal(v, offset=k)
        n = v.shape[0] + abs(k)
        out = f.xp.zeros((n, n), dtype=v.dtype, device=f.device)
        rows = f.xp.arange(v.shape[0], device=f.device)
        out[rows + max(-k, 0), rows + max(k, 0)] = v
        return out
    return diag


class _Ufunc:
    """``np.add`` and ``np.multiply`` with their methods ``at`` and ``outer``."""

    def __init__(self, f: Facade, name: str):
        self.f, self.function = f, getattr(f.xp, name)
        self.name = name

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def outer(self, a, b):
        f = self.f
        a, b = f.lift(a), f.lift(b)
        return self.function(f.xp.reshape(a, tuple(a.shape) + (1,) * b.ndim), b)

    def at(self, a, index, b):
        """``np.add.at(a, index, b)``: ``a[index] += b`` with repeated indices summed. On
        PyTorch ``index_put_``; from the standard for an index of integer arrays alone (a
        one-hot product) and for one that repeats nothing (booleans, slices, numbers)."""
        f, native = self.f, self.f.native
        if native is not None and not isinstance(native, _TorchExtras):
            getattr(native, self.name).at(a, index, b)
            return
        if self.name != "add":
            raise f.missing(f"np.{self.name}.at")
        parts = tuple(f.lift(np.asarray(p)) if isinstance(p, (np.ndarray, list)) else p
                      for p in (index if isinstance(index, tuple) else (index,)))
        while parts and (parts[-1] is Ellipsis or isinstance(parts[-1], slice) and
                         parts[-1] == slice(None)):
            parts = parts[:-1]  # (a[rows, :] is a[rows])
        arrays = [p for p in parts if isinstance(p, f.ndarray)]
        integer = [p for p in arrays if f.xp.isdtype(p.dtype, "integral")]
        if isinstance(native, _TorchExtras) and len(integer) == len(parts):
            a.index_put_(parts, native.torch.broadcast_to(f.lift(b, a.dtype),
                                                          a[parts].shape), accumulate=True)
        elif not integer:  # no index repeats
            place = array_syntax.library_index(f, a, parts)
            a[place] = a[place] + b
        elif len(integer) == len(parts):
            _add_at_integers(f, a, parts, b)
        elif all(p is q for p, q in zip(parts, integer)) and \
                all(isinstance(p, slice) for p in parts[len(integer):]):
            # a[rows, 1:]: the rows of the view a[:, 1:] (a view in these libraries)
            view = a[(slice(None),) * len(integer) + parts[len(integer):]]
            _add_at_integers(f, view, tuple(integer), b)
        else:
            raise f.missing("np.add.at with integer arrays mixed with other indices")


def _add_at_integers(f: Facade, a, parts: tuple, b) -> None:
    """``a[parts] += b`` for integer index arrays ``parts`` (repeats summed), from the
    standard: position by position."""
    xp = f.xp
    arrays = xp.broadcast_arrays(*parts)
    shape = tuple(arrays[0].shape) + tuple(a.shape[len(parts):])
    values = xp.reshape(xp.broadcast_to(f.lift(b, a.dtype), shape),
                        (math.prod(arrays[0].shape),) + tuple(a.shape[len(parts):]))
    flat = [xp.reshape(p, (-1,)) for p in arrays]
    for j in range(values.shape[0]):
        place = tuple(int(p[j]) for p in flat) + (Ellipsis,)
        a[place] = a[place] + values[j, ...]


for _name in ("add", "multiply", "subtract"):
    _ADAPTERS[_name] = functools.partial(lambda f, name: _Ufunc(f, name), name=_name)


# -- the runtime helpers, for a facade ---------------------------------------------------------

def helpers_for(f: Facade) -> dict[str, Any]:
    """The runtime helpers with ``np`` bound to ``f``: copies of :mod:`srcgrad.runtime`'s
    functions (and this module's versions of those that read NumPy-only attributes) whose
    globals are runtime's with ``np`` the facade."""
    return _helpers(f)


@functools.cache
def _helpers(f: Facade) -> dict[str, Any]:
    scope = dict(vars(runtime))
    scope["np"] = f
    scope["_writeable"] = _writeable  # (ours call it)
    bind = array_syntax.rebound if f.numpy_syntax else _rewritten
    if not f.numpy_syntax:
        scope.update(array_syntax.helpers(f))
    if not hasattr(f.ndarray, "__len__"):
        scope["len"] = functools.partial(_length, f.ndarray)
    made = {}
    for key, value in list(scope.items()):
        if inspect.isfunction(value) and value.__module__ == runtime.__name__:
            made[key] = bind(_OWN.get(key, value), scope)
            if key in _OWN:  # runtime's own, which ours call for what NumPy's handles alike
                scope["_runtime_" + key] = bind(value, scope)
    scope.update(made)
    return made


def _rewritten(function: Callable, scope: dict) -> Callable:
    """``function`` with globals ``scope``, its NumPy array syntax rewritten (see
    :mod:`srcgrad.array_syntax`)."""
    return array_syntax.recompiled(function, scope)


# The helpers below are written for the facade: ``np`` in them is the facade of the library
# (they are only ever called as copies bound by helpers_for); ``np.ndarray`` its array type.

def _writeable(dx):
    """Whether ``dx`` owns its elements (not a broadcast view, whose elements repeat)."""
    strides = getattr(dx, "stride", None)  # PyTorch: a method; CuPy: strides in bytes
    strides = strides() if callable(strides) else getattr(dx, "strides", None)
    return strides is None or 0 not in tuple(strides) or math.prod(dx.shape) <= 1


def as_grad(dx, x):
    """:func:`srcgrad.runtime.as_grad` for arrays of any library."""
    if isinstance(x, np.ndarray):
        if dx is None:
            return np.zeros_like(x)
        if np.iscomplexobj(dx):
            raise _complex_gradient()  # noqa: F821 (runtime's, in the bound copy's globals)
        if type(dx) is np.ndarray and tuple(dx.shape) == tuple(x.shape) and \
                dx.dtype == x.dtype and _writeable(dx):
            return dx
        return np.astype(np.broadcast_to(np.asarray(dx), x.shape), x.dtype, copy=True)
    if isinstance(x, (list, tuple)):
        parts = [None] * len(x) if dx is None else dx
        return type(x)(as_grad(d, item) for d, item in zip(parts, x))
    if isinstance(x, dict):
        parts = {} if dx is None else dx
        return {key: as_grad(parts.get(key), value) for key, value in x.items()}
    if dx is None:
        dx = 0.0
    if isinstance(x, (float, int)):
        return float(np.sum(dx)) if np.ndim(dx) else float(dx)
    return dx


def zero_tangent(x):
    """:func:`srcgrad.runtime.zero_tangent` for arrays of any library."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x) if np.issubdtype(x.dtype, np.inexact) else \
            np.zeros(tuple(x.shape))
    if isinstance(x, (list, tuple)):
        return type(x)(zero_tangent(item) for item in x)
    if isinstance(x, dict):
        return {key: zero_tangent(value) for key, value in x.items()}
    if isinstance(x, (int, float, complex, np.generic)):
        return 0.0
    return None


def unit_seed(value):
    """:func:`srcgrad.runtime.unit_seed` for arrays of any library."""
    if isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.bool_) and \
            np.issubdtype(value.dtype, np.number):
        if np.iscomplexobj(value):
            return _runtime_unit_seed(1j)  # noqa: F821 (runtime's, for its error)
        if np.size(value) != 1:
            raise NonScalarOutputError(  # noqa: F821 (in the bound copy's globals)
                f"grad needs a function with a scalar output, but this one returned shape "
                f"{np.shape(value)}. Use srcgrad.vjp for non-scalar outputs, or reduce the "
                "output (e.g. np.sum) before returning it.")
        return np.ones_like(value)
    return _runtime_unit_seed(value)  # noqa: F821 (runtime's own)


def cotangent(seed, value):
    """:func:`srcgrad.runtime.cotangent` for arrays of any library."""
    if isinstance(value, (list, tuple)):
        if not isinstance(seed, (list, tuple)) or len(seed) != len(value):
            return _runtime_cotangent(seed, value)  # noqa: F821 (runtime's, for its error)
        return [cotangent(s, v) for s, v in zip(seed, value)]
    if isinstance(seed, (list, tuple)):
        seed = np.asarray(seed, dtype=value.dtype if isinstance(value, np.ndarray) and
                          np.issubdtype(value.dtype, np.inexact) else float)
    if np.shape(seed) != np.shape(value):
        raise CotangentShapeError(  # noqa: F821 (in the bound copy's globals)
            f"seed has shape {np.shape(seed)}, but the function's output has shape "
            f"{np.shape(value)}: pass a cotangent shaped like the output")
    return seed


def unbroadcast_to(g, shape):
    """:func:`srcgrad.runtime.unbroadcast_to` for arrays of any library (no array methods)."""
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return np.reshape(g, shape)


def unbroadcast(g, x):
    """:func:`srcgrad.runtime.unbroadcast` for arrays of any library (real values only: no
    complex adjoint to take the real part of)."""
    if type(g) is np.ndarray and type(x) is np.ndarray and tuple(g.shape) == tuple(x.shape):
        return g
    g = unbroadcast_to(g, np.shape(x))
    if not isinstance(x, np.ndarray) and np.ndim(g) == 0 and isinstance(g, np.ndarray):
        return g[()]
    return g


def real_for(g, x):
    """:func:`srcgrad.runtime.real_for` for other libraries, whose arrays are real here."""
    return g


def _even_share(hit, axis, like):
    """:func:`srcgrad.runtime._even_share` for arrays of any library (no array methods)."""
    hit = np.astype(hit, _float_dtype(like))  # noqa: F821 (runtime's)
    return hit / np.sum(hit, axis=axis, keepdims=True)


#: This module's versions of runtime helpers, by name.
_OWN = {f.__name__: f for f in (as_grad, zero_tangent, unit_seed, cotangent, unbroadcast_to,
                                unbroadcast, real_for, _even_share)}


def namespace_for(namespace: dict[str, Any], f: Facade) -> dict[str, Any]:
    """A generated function's globals for arrays of ``f``'s library: ``np`` the facade, the
    runtime helpers bound to it, the user's data as its arrays (functions as they were)."""
    made = dict(namespace)
    helpers = helpers_for(f)
    for key, value in list(made.items()):
        if key in helpers and value is getattr(runtime, key, None):
            made[key] = helpers[key]
        elif is_data(value):  # the user's NumPy arrays: this library's
            made[key] = f.data(value)
    made["np"] = f
    if not f.numpy_syntax:
        made.update(array_syntax.helpers(f))
    if not hasattr(f.ndarray, "__len__"):  # array-api-strict's: the standard has no len()
        made["len"] = functools.partial(_length, f.ndarray)
    return made


def _length(array_type: Any, value: Any) -> int:
    """``len(value)``, for arrays whose type has no ``__len__``: their first axis."""
    return value.shape[0] if isinstance(value, array_type) else len(value)


# -- functions the library lacks, named before anything runs -----------------------------------

_GRAD_OF = re.compile(r"^\s*# grad of: (.*)$")


def unsupported(source: str, f: Facade) -> tuple[str, str | None] | None:
    """The first ``np.<name>`` in ``source`` (generated code) that ``f`` cannot map, with the
    user's line it comes from where the code says (its ``# grad of:`` comment); None if all
    can."""
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in ast.walk(tree):
        dotted = _dotted_np(node)
        if dotted is None or f.supports(dotted):
            continue
        origin = None
        for line in reversed(lines[:getattr(node, "lineno", 1)]):
            match = _GRAD_OF.match(line)
            if match:
                origin = match.group(1)
                break
        return dotted, origin
    return None


def _dotted_np(node: ast.AST) -> str | None:
    """``"linalg.solve"`` for the expression ``np.linalg.solve`` (the outermost attribute)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "np" and parts:
        return ".".join(reversed(parts))
    return None
