"""The backward pass, by job: :mod:`.walk` walks the statements in reverse and sums adjoints,
:mod:`.instantiate` makes a rule's templates code for one call, :mod:`.tape` plans what the
forward code keeps for the backward code and writes it into the forward code."""

from .instantiate import sum_to
from .tape import TapePlan, uses_tape, with_pushes
from .walk import Reverser, comment

__all__ = ["Reverser", "TapePlan", "comment", "sum_to", "uses_tape", "with_pushes"]
