"""Random numbers whose distribution parameters may be differentiated.

:mod:`.nondiff` makes every function of ``np.random`` a constant. That is right for the draws
themselves, but not for a sample that moves with its parameters: ``np.random.normal(mu, sigma)``
is ``mu + sigma * z``. Here such samples get their *pathwise* gradient (the derivative of the
sample actually drawn, with the underlying noise held fixed, as in the reparameterization
trick). Parameters with no simple pathwise derivative (a gamma's shape, a permutation's array)
refuse to be differentiated: an error, never a silent zero. Discrete distributions (``poisson``,
``binomial``, ``randint`` ...) stay constants: their samples are locally constant in their
parameters.
"""

import inspect

import numpy as np

from ..errors import NonDifferentiableError
from . import nondiff  # noqa: F401  (registers every np.random function first; some are replaced)
from .registry import defvjp


def _params(function) -> str:
    """The parameters of an ``np.random`` function as written in its signature."""
    try:
        return str(inspect.signature(function))[1:-1]
    except ValueError:  # NumPy 1.x: no signature object; the docstring starts with it
        first_line = function.__doc__.lstrip().split("\n", 1)[0]
        return first_line[first_line.index("(") + 1:first_line.rindex(")")]


def _refuse(name, param, fix):
    """A template refusing the parameter (the adjoint's and the tangent's)."""
    def template():
        raise NonDifferentiableError(
            f"np.random.{name} has no gradient with respect to its parameter {param!r} here",
            fix=fix)
    return template


NOISE_FIRST = ("draw the noise without the parameter and transform it yourself, e.g. "
               "loc + scale * np.random.standard_normal(size)")
INDICES_FIRST = ("draw indices (np.random.permutation(len(x)), np.random.choice(len(x), ...)) "
                 "and index the array with them")


def _pathwise(name, **derivatives):
    """The rule of ``np.random.<name>``, given the derivative of the sample in each parameter
    (a template of ``ans`` and the parameters; a refusal): the adjoint is ``g`` times it summed
    down to the parameter's shape, the tangent ``t`` times it (of the sample's shape)."""
    function = getattr(np.random, name)
    adjoints = {param: d if callable(d) else f"unbroadcast(g * {d}, {param})"
                for param, d in derivatives.items()}
    tangents = {param: d if callable(d) else f"t * {d}" for param, d in derivatives.items()}
    defvjp(function, _params(function), name=f"np.random.{name}", pure=False,
           tangents=tangents, **adjoints)


def _refusing(name, *params, fix=NOISE_FIRST, **derivatives):
    refusals = {param: _refuse(name, param, fix) for param in params}
    _pathwise(name, **refusals, **derivatives)


#: The derivative of a sample in its location: one (for each sample drawn).
ONES = "np.ones_like(ans)"
# Location-scale families: sample = loc + scale * noise.
for _name in ("normal", "laplace", "logistic", "gumbel"):
    _pathwise(_name, loc=ONES, scale="(ans - loc) / scale")
_pathwise("uniform",  # low + (high - low) * u
          low="(high - ans) / (high - low)", high="(ans - low) / (high - low)")
_pathwise("lognormal",  # exp(mean + sigma * z)
          mean="ans", sigma="ans * (np.log(ans) - mean) / sigma")
# Scale families: sample = scale * noise.
for _name in ("exponential", "rayleigh"):
    _pathwise(_name, scale="ans / scale")
_refusing("gamma", "shape", scale="ans / scale")
_refusing("multivariate_normal", "cov", mean=ONES)

# Shape parameters without a simple pathwise derivative.
for _name, _params_refused in [
        ("beta", ("a", "b")), ("chisquare", ("df",)), ("dirichlet", ("alpha",)),
        ("f", ("dfnum", "dfden")), ("noncentral_chisquare", ("df", "nonc")),
        ("noncentral_f", ("dfnum", "dfden", "nonc")), ("pareto", ("a",)), ("power", ("a",)),
        ("standard_gamma", ("shape",)), ("standard_t", ("df",)), ("weibull", ("a",)),
        ("triangular", ("left", "mode", "right")), ("vonmises", ("mu", "kappa")),
        ("wald", ("mean", "scale"))]:
    _refusing(_name, *_params_refused)

# Functions that return (some of) an array's elements.
_refusing("choice", "a", fix=INDICES_FIRST)  # (its probabilities p: locally constant)
_refusing("permutation", "x", fix=INDICES_FIRST)
_refusing("shuffle", "x", fix=INDICES_FIRST)
