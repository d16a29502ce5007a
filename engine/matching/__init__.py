"""Matching needs to the pool: the exact OR-Tools matcher and today's closest-available baseline."""

from typing import TYPE_CHECKING

from engine.lazy import lazy_attributes
from engine.matching.params import SolveParams
from engine.matching.problem import MatchingProblem, Pin, ProblemBuilder
from engine.matching.solver import Solver
from engine.model.plan import Plan

if TYPE_CHECKING:
    from engine.matching.closest_available import ClosestAvailable
    from engine.matching.optimal import OptimalMatcher

# The solvers load OR-Tools and SciPy: imported on first use, so reading a problem file or printing its
# schema does not pay for them.
__getattr__ = lazy_attributes(
    __name__,
    {"ClosestAvailable": "engine.matching.closest_available", "OptimalMatcher": "engine.matching.optimal"},
)


def solve(problem: MatchingProblem, params: SolveParams | None = None) -> Plan:
    """The best plan for ``problem``: pure and deterministic, the same input gives the same decisions.

    Best, in strict order: (1) the most units served, priority class by class from 5 down to 1; (2) the least
    tier-2 cost — over units sent, priority × (lateness weight × seconds past the need's response target,
    its arrival being the time already waited + the time until the unit is free + travel, plus a step for
    being late at all; + seconds to arrive + preference seconds), over units left waiting, priority × weight ×
    the lateness they would have if reached one target later (or at the end of their travel limit), less the switching cost of each
    proposal kept; (3) the most units kept from the previous plan. See :class:`engine.model.plan.Objective`.
    """
    from engine.matching.optimal import OptimalMatcher

    return OptimalMatcher().solve(problem, params or SolveParams())


__all__ = [
    "ClosestAvailable",
    "MatchingProblem",
    "OptimalMatcher",
    "Pin",
    "ProblemBuilder",
    "SolveParams",
    "Solver",
    "solve",
]
