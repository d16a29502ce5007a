"""Matching needs to the pool: the exact OR-Tools matcher and today's closest-available baseline."""

from engine.matching.closest_available import ClosestAvailable
from engine.matching.optimal import OptimalMatcher
from engine.matching.params import SolveParams
from engine.matching.problem import MatchingProblem, Pin, ProblemBuilder
from engine.matching.solver import Solver
from engine.model.plan import Plan


def solve(problem: MatchingProblem, params: SolveParams | None = None) -> Plan:
    """The best plan for ``problem``: pure and deterministic, the same input gives the same decisions."""
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
