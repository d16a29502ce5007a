"""How the coordinator paces itself; what a profile decides (timeouts, escalation) lives in the profile."""

from dataclasses import dataclass, field

from engine.matching.optimal import OptimalMatcher
from engine.matching.params import SolveParams
from engine.matching.solver import Solver


@dataclass(frozen=True)
class CoordinatorSettings:
    # In incident mode a re-plan waits this long after the first change, so a burst of reports is one plan.
    debounce_s: float = 0.1
    solve: SolveParams = field(default_factory=SolveParams)
    # Drills run the same coordinator with today's closest-available practice to compare against.
    solver: Solver = field(default_factory=OptimalMatcher)
