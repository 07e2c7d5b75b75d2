"""Rules for SciPy's linear algebra (``scipy.linalg``), registered when SciPy is imported.

Triangular solves and Cholesky factors read one triangle of their matrix: only that triangle
gets a gradient (each entry standing for itself, as central differences see it).
``cho_factor``'s result ``(c, lower)`` holds the factor in one triangle of ``c`` and, in the
SciPy releases that keep them, the matrix's own entries in the other (newer ones: zeros); ``cho_solve((c, lower), b)`` reads the factor's triangle.
``expm``'s adjoint and tangent are Fréchet derivatives (``scipy.linalg.expm_frechet``);
``sqrtm``'s solve Sylvester equations (real square roots only).
"""

from scipy import linalg

from .registry import defvjp

defvjp(linalg.solve_triangular,
       "a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True",
       name="scipy.linalg.solve_triangular", shape_of=True,
       a="solve_triangular_grads(g, a, ans, trans, lower, unit_diagonal)[0]",
       b="solve_triangular_grads(g, a, ans, trans, lower, unit_diagonal)[1]",
       tangents={"a": "solve_triangular_tangent(t, a, ans, trans, lower, unit_diagonal)",
                 "b": "scipy_linalg('solve_triangular', a, t, trans=trans, lower=lower, "
                      "unit_diagonal=unit_diagonal)"})
defvjp(linalg.cho_factor, "a, lower=False, overwrite_a=False, check_finite=True",
       name="scipy.linalg.cho_factor", returns_sequence=True, sparse=True,
       a="cho_factor_grad(g, a, ans)", tangents={"a": "cho_factor_tangent(t, a, ans)"})
defvjp(linalg.cho_solve, "c_and_lower, b, overwrite_b=False, check_finite=True",
       name="scipy.linalg.cho_solve", sequences=("c_and_lower",), shape_of=True,
       c_and_lower="cho_solve_grads(g, c_and_lower, ans)[0]",
       b="cho_solve_grads(g, c_and_lower, ans)[1]",
       tangents={"c_and_lower": "cho_solve_tangent(t[0], c_and_lower, ans)",
                 "b": "scipy_linalg('cho_solve', c_and_lower, t)"})
defvjp(linalg.expm, "A", name="scipy.linalg.expm", shape_of=True, A="expm_grad(g, A)",
       tangents={"A": "expm_tangent(t, A)"})
defvjp(linalg.sqrtm, "A, disp=True, blocksize=64", name="scipy.linalg.sqrtm", shape_of=True,
       A="sqrtm_grad(g, ans)", tangents={"A": "sqrtm_tangent(t, ans)"})
