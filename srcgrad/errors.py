"""The exceptions srcgrad raises on purpose: one hierarchy under :class:`SrcgradError`."""

from __future__ import annotations


class SrcgradError(Exception):
    """Base class of every error srcgrad raises on purpose."""


class SourceError(SrcgradError):
    """A problem located in the user's source code: names the file and line and shows it.

    ``what`` says what is wrong, ``fix`` what to do instead.
    """

    def __init__(self, what: str, *, filename: str | None = None, lineno: int | None = None,
                 line: str | None = None, fix: str | None = None):
        self.what = what
        self.filename = filename
        self.lineno = lineno
        self.line = line
        self.fix = fix
        super().__init__(self._message())

    def _message(self) -> str:
        parts = []
        if self.filename is not None:
            where = f'File "{self.filename}"'
            if self.lineno is not None:
                where += f", line {self.lineno}"
            parts.append(where + ":")
        if self.line:
            parts.append("    " + self.line.strip())
        parts.append(self.what)
        if self.fix:
            parts.append("Fix: " + self.fix)
        return "\n".join(parts)


class UnsupportedSyntaxError(SourceError):
    """The function uses Python syntax srcgrad cannot differentiate."""


class UnknownCallableError(SourceError):
    """A call to something that has neither a rule nor readable source."""


class NonDifferentiableError(SourceError):
    """A value that must be differentiated flows through an operation with no derivative."""


class ArrayLibraryError(SourceError):
    """Arrays of another library (PyTorch, CuPy, ...) met a NumPy function it has no
    equivalent of (see :mod:`srcgrad.arrays`)."""


class SourceUnavailableError(SrcgradError):
    """The function's source code cannot be read (a builtin, a lambda in a REPL, exec'd code)."""


class WrtError(SrcgradError):
    """A bad ``wrt``: unknown parameter, index out of range, or a non-float argument."""


class NonScalarOutputError(SrcgradError, ValueError):
    """``grad`` was asked for the gradient of a function whose output is not a scalar."""


class CotangentShapeError(SrcgradError, ValueError):
    """The ``seed`` given to a ``vjp`` function does not have the output's shape."""


class RuleError(SrcgradError):
    """A rule registration is malformed."""
