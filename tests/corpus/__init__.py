"""Ordinary NumPy functions that the engine tests differentiate.

srcgrad reads a function's source, so the functions live in these files. Each module groups
functions by what they exercise; the test files pick their arguments.
"""
