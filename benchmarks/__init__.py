"""The srcgrad benchmark suite: python benchmarks/run.py (see README.md here)."""
