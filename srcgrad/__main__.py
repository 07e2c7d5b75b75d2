"""``python -m srcgrad``: the command line (see :mod:`srcgrad.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
