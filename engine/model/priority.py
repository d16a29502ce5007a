"""A need's priority: one scale, 1 (lowest) to 5 (life-safety), the only place its bounds are written.

On the wire a priority is a plain integer; a value outside the scale is refused by pydantic with a message
that names the field ("priority: Input should be less than or equal to 5").
"""

from typing import Annotated, Final

from pydantic import Field, Strict

LOWEST: Final = 1
HIGHEST: Final = 5
# What the community's rules call life-safety (生命安全): served first, reported on its own in drills.
LIFE_SAFETY: Final = HIGHEST

# Every priority, highest first: the order in which the matcher serves classes and reports count them.
DESCENDING: Final[tuple[int, ...]] = tuple(range(HIGHEST, LOWEST - 1, -1))

# Length of an array indexed directly by priority (index 0 and anything below LOWEST unused), so numpy
# code can write ``table[priority]`` without a subtraction.
INDEXED_LENGTH: Final = HIGHEST + 1

Priority = Annotated[int, Field(ge=LOWEST, le=HIGHEST)]
# For hand-written profiles: "5" or 5.0 is refused rather than coerced, so a typo cannot pass as a number.
StrictPriority = Annotated[int, Strict(), Field(ge=LOWEST, le=HIGHEST)]


def rank(priority: int) -> int:
    """Position of ``priority`` in ``DESCENDING`` (0 for the highest), as in ``Objective.served_by_priority``."""
    return HIGHEST - priority
