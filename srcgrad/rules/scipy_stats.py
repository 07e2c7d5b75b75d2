"""Rules for SciPy's distributions (``scipy.stats``), registered when SciPy is imported.

``scipy.stats.norm.logpdf(x, loc, scale)`` and the like are differentiated with respect to the
data and the parameters, where SciPy's values are finite (inside the support, a positive
scale). A distribution's method is keyed by the method of that object (``norm.logpdf``, not
``rv_continuous.logpdf``); a frozen distribution's (``norm(loc, scale).logpdf(x)``, written as
one expression) is that of the distribution (``norm.logpdf(x, loc, scale)``).
Counts (``poisson.logpmf``'s ``k``) carry no gradient. ``multivariate_normal``'s matrix
``cov`` gets the symmetric adjoint; a vector ``cov`` (a diagonal) or a number, its own form.
"""

import math

from scipy import stats

from .registry import deffrozen, defvjp

LOG_2PI = math.log(2.0 * math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
Z = "((x - loc) / scale)"


def _dist(method, params, **adjoints):
    """The rule of an elementwise method of a distribution, named as users write it."""
    owner = type(method.__self__).__name__.removesuffix("_gen")
    defvjp(method, params, name=f"scipy.stats.{owner}.{method.__name__}", elementwise=True,
           **adjoints)


def _location_scale(d_z, d_scale):
    """Adjoints of x, loc and scale, given the derivatives of the result in ``z`` (of
    ``x - loc`` before dividing by ``scale``) and, beyond that, in ``scale``."""
    return {"x": f"unbroadcast(g * {d_z} / scale, x)",
            "loc": f"unbroadcast(-g * {d_z} / scale, loc)",
            "scale": f"unbroadcast(g * (-{d_z} * {Z} + {d_scale}) / scale, scale)"}


# The normal distribution: z = (x - loc) / scale.
_dist(stats.norm.logpdf, "x, loc=0.0, scale=1.0", **_location_scale(f"-{Z}", "-1.0"))
_dist(stats.norm.pdf, "x, loc=0.0, scale=1.0", **_location_scale(f"(-ans * {Z})", "-ans"))
_dist(stats.norm.cdf, "x, loc=0.0, scale=1.0",
      **_location_scale(f"({INV_SQRT_2PI!r} * np.exp(-0.5 * {Z} ** 2))", "0.0"))
_dist(stats.norm.logcdf, "x, loc=0.0, scale=1.0",
      **_location_scale(f"({INV_SQRT_2PI!r} * np.exp(-0.5 * {Z} ** 2 - ans))", "0.0"))

# Student's t: log(1 + z^2 / df) weighted by (df + 1) / 2.
_T_DZ = f"(-(df + 1.0) * {Z} / (df + {Z} ** 2))"
_dist(stats.t.logpdf, "x, df, loc=0.0, scale=1.0", **_location_scale(_T_DZ, "-1.0"),
      df=f"unbroadcast(g * 0.5 * (scipy_special('digamma', 0.5 * (df + 1.0))"
         f" - scipy_special('digamma', 0.5 * df) - 1.0 / df - np.log1p({Z} ** 2 / df)"
         f" + (df + 1.0) * {Z} ** 2 / (df * (df + {Z} ** 2))), df)")

# Gamma and beta: their shape parameters through the digamma function.
_dist(stats.gamma.logpdf, "x, a, loc=0.0, scale=1.0",
      **_location_scale(f"((a - 1.0) / {Z} - 1.0)", "-1.0"),
      a=f"unbroadcast(g * (np.log({Z}) - scipy_special('digamma', a)), a)")
_dist(stats.beta.logpdf, "x, a, b, loc=0.0, scale=1.0",
      **_location_scale(f"((a - 1.0) / {Z} - (b - 1.0) / (1.0 - {Z}))", "-1.0"),
      a=f"unbroadcast(g * (np.log({Z}) - scipy_special('digamma', a)"
        " + scipy_special('digamma', a + b)), a)",
      b=f"unbroadcast(g * (np.log1p(-{Z}) - scipy_special('digamma', b)"
        " + scipy_special('digamma', a + b)), b)")

# Poisson: k log(mu) - mu - log(k!), in the rate.
_dist(stats.poisson.logpmf, "k, mu, loc=0", mu="unbroadcast(g * ((k - loc) / mu - 1.0), mu)")

# Distributions of vectors.
defvjp(stats.multivariate_normal.logpdf, "x, mean=None, cov=1, allow_singular=False",
       name="scipy.stats.multivariate_normal.logpdf", shape_of=True,
       x="mvn_logpdf_grads(g, x, mean, cov)[0]", mean="mvn_logpdf_grads(g, x, mean, cov)[1]",
       cov="mvn_logpdf_grads(g, x, mean, cov)[2]",
       tangents={param: f"mvn_logpdf_tangent(x, mean, cov, ans, d_{param}=t)"
                 for param in ("x", "mean", "cov")})
defvjp(stats.multivariate_normal.pdf, "x, mean=None, cov=1, allow_singular=False",
       name="scipy.stats.multivariate_normal.pdf", shape_of=True,
       x="mvn_logpdf_grads(g * ans, x, mean, cov)[0]",
       mean="mvn_logpdf_grads(g * ans, x, mean, cov)[1]",
       cov="mvn_logpdf_grads(g * ans, x, mean, cov)[2]",
       tangents={param: f"ans * mvn_logpdf_tangent(x, mean, cov, ans, d_{param}=t)"
                 for param in ("x", "mean", "cov")})
defvjp(stats.dirichlet.logpdf, "x, alpha", name="scipy.stats.dirichlet.logpdf", shape_of=True,
       x="dirichlet_logpdf_grads(g, x, alpha)[0]",
       alpha="dirichlet_logpdf_grads(g, x, alpha)[1]",
       tangents={"x": "dirichlet_logpdf_tangent(x, alpha, d_x=t)",
                 "alpha": "dirichlet_logpdf_tangent(x, alpha, d_alpha=t)"})

# Frozen distributions: norm(loc, scale).logpdf(x) is norm.logpdf(x, loc, scale).
for _distribution in (stats.norm, stats.t, stats.gamma, stats.beta, stats.poisson,
                      stats.multivariate_normal, stats.dirichlet):
    deffrozen(_distribution)
