"""The passes, in pipeline order (:func:`srcgrad.transform.transform` runs them).

1. :mod:`.parse` — source to a ``gast`` tree that keeps the user's file and lines.
2. :mod:`.resolve` — what each free name is (a primitive, a helper, data, a module).
3. :mod:`.normalize` — one primitive per statement (with :mod:`.inline` for helpers and
   :mod:`.exits` for ``break``/``continue``/``return`` inside loops).
4. :mod:`.aliasing` — writes into shared memory carried to every name that sees them.
5. :mod:`.fuse` — runs of statements that a fusion rule computes as one.
6. :mod:`.analysis` — renaming to single assignment, activity, containers.
7. :mod:`.shapes` — what each value's shape is, or which values share one (for specialised
   code).
8. :mod:`.reverse` — the backward pass from each primitive's rule; or :mod:`.forward`, forward
   mode (``jvp``; ``hvp`` over the generated gradient), each statement followed by its tangent.
9. :mod:`.optimize` — dead code, copies, temporaries, memory.
10. :mod:`.codegen` — the tree as Python source, compiled.

The small language the passes share, and the per-statement facts they record, are in
:mod:`srcgrad.ir`.
"""
