"""Today's practice: the closest available unit, need by need in priority order (engine.matching.ClosestAvailable)."""

from collections.abc import Callable

from benchmarks.harness.baselines.base import Case, Outcome
from benchmarks.harness.quality import plan_units
from engine.matching import ClosestAvailable


class Greedy:
    name = "greedy_closest"
    times = (
        "whole plan like ours: numpy screening with the warm travel cache, nearest-first dispatch, read-back"
    )

    def solve(self, case: Case, clock: Callable[[], float]) -> Outcome:
        start = clock()
        plan = ClosestAvailable().solve(case.problem, case.params)
        seconds = clock() - start
        return Outcome(plan_units(case.prepared, plan), seconds, None)
