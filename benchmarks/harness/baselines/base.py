"""What every compared solver gets and gives back."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from benchmarks.harness.quality import Units
from engine.matching import MatchingProblem, SolveParams
from engine.matching.prepare import Prepared


@dataclass(frozen=True)
class Case:
    """One instance: the problem, its candidate arcs (prepared once), and the params of a warm re-plan."""

    problem: MatchingProblem
    prepared: Prepared
    params: SolveParams


@dataclass(frozen=True)
class Outcome:
    units: Units
    # Seconds of what the solver's ``times`` says, read off the clock it was given.
    seconds: float
    # None: the solver does not prove optimality.
    optimal: bool | None


class Baseline(Protocol):
    name: str
    # What the latency covers, in words, for the report.
    times: str

    def solve(self, case: Case, clock: Callable[[], float]) -> Outcome: ...
