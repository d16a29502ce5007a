"""CP-SAT on one worker: the matcher's staged lexicographic model over every candidate arc."""

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from benchmarks.harness.baselines.base import Case, Outcome
from benchmarks.harness.baselines.ortools_flow import units_of
from engine.matching.cpsat import solve_cpsat


class CpSat:
    name = "cp_sat_1_worker"
    times = "model build and staged solves (one worker, deterministic time limit) on the same arcs"

    def __init__(self, deterministic_time: float = 20.0, time_limit_s: float = 60.0) -> None:
        self.deterministic_time = deterministic_time
        self.time_limit_s = time_limit_s

    def solve(self, case: Case, clock: Callable[[], float]) -> Outcome:
        prepared = case.prepared
        params = replace(
            case.params,
            cp_sat_workers=1,
            cp_sat_deterministic_time=self.deterministic_time,
            cp_sat_time_limit_s=self.time_limit_s,
        )
        needs = list(range(len(prepared.problem.needs)))
        start = clock()
        result = solve_cpsat(prepared, needs, np.arange(len(prepared.arc_slot), dtype=np.int64), params)
        seconds = clock() - start
        return Outcome(units_of(prepared, result.flow), seconds, result.optimal)
