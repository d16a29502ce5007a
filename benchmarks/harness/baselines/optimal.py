"""Our matcher, whole: prepare (warm travel cache), min-cost flow, read-back with explanations."""

from collections.abc import Callable

from benchmarks.harness.baselines.base import Case, Outcome
from benchmarks.harness.quality import plan_units
from engine.matching import OptimalMatcher


class Pingzhan:
    name = "pingzhan"
    times = "whole re-plan: prepare with the warm travel cache, min-cost flow, read-back and explanations"

    def solve(self, case: Case, clock: Callable[[], float]) -> Outcome:
        start = clock()
        plan = OptimalMatcher().solve(case.problem, case.params)
        seconds = clock() - start
        return Outcome(plan_units(case.prepared, plan), seconds, plan.solver.optimal)
