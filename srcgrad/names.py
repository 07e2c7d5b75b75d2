"""Fresh, readable names for generated code: temporaries, versions, adjoints, tangents."""

from __future__ import annotations

import keyword

import gast

from .ir import walk


class Namer:
    """Hands out names that clash with nothing the function, its globals or srcgrad uses."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self._adjoints: dict[str, str] = {}
        self._tangents: dict[str, str] = {}
        self.temporaries: set[str] = set()
        self._next: dict[str, int] = {}  # stem -> the first number that may be free

    def reserve(self, name: str) -> str:
        self.taken.add(name)
        return name

    def fresh(self, base: str) -> str:
        """``base`` itself if free, else ``base_1``, ``base_2`` ..."""
        base = base if base.isidentifier() and not keyword.iskeyword(base) else "tmp"
        if base not in self.taken:
            return self.reserve(base)
        return self.numbered(base)

    def numbered(self, base: str) -> str:
        """``base_1``, ``base_2`` ..., whichever is free first."""
        base = base if base.isidentifier() and not keyword.iskeyword(base) else "tmp"
        stem = base.rstrip("0123456789").rstrip("_") or base
        i = self._next.get(stem, 1)  # names are never given back: those below are taken
        while f"{stem}_{i}" in self.taken:
            i += 1
        self._next[stem] = i + 1
        return self.reserve(f"{stem}_{i}")

    def temporary(self, base: str) -> str:
        """A name for an intermediate value of an expression: ``base_1`` ..."""
        found = self.numbered(base)
        self.temporaries.add(found)
        return found

    def adjoints(self) -> list[str]:
        """The adjoint names handed out so far."""
        return list(self._adjoints.values())

    def adjoint_names(self) -> dict[str, str]:
        """Variable -> the name of its adjoint, for those handed out so far."""
        return dict(self._adjoints)

    def adjoint(self, name: str) -> str:
        """The adjoint's name of variable ``name``: ``dx`` for ``x`` unless that is taken."""
        known = self._adjoints.get(name)
        if known is None:
            for candidate in (f"d{name}", f"d_{name}", f"grad_{name}"):
                if candidate not in self.taken:
                    known = self.reserve(candidate)
                    break
            else:
                known = self.numbered(f"d{name}")
            self._adjoints[name] = known
        return known


    def tangent_names(self) -> dict[str, str]:
        """Variable -> the name of its tangent, for those handed out so far."""
        return dict(self._tangents)

    def tangent(self, name: str) -> str:
        """The tangent's name of variable ``name`` (forward mode): ``x_dot`` for ``x`` unless
        that is taken."""
        known = self._tangents.get(name)
        if known is None:
            known = self.fresh(f"{name}_dot")
            self._tangents[name] = known
        return known


def names_in(tree) -> set[str]:
    """Every identifier a tree mentions (variables, parameters)."""
    found = {n.id for n in walk(tree) if isinstance(n, gast.Name)}
    for node in walk(tree):
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):
            args = node.args
            found.update(a.id for a in args.posonlyargs + args.args + args.kwonlyargs)
            if args.vararg:
                found.add(args.vararg.id)
            if args.kwarg:
                found.add(args.kwarg.id)
    return found
