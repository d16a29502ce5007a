"""Drills (演练): scenario files replayed through the real coordinator on simulated time, compared with
today's closest-available practice and with the hindsight bound. No I/O and no clock here."""

from engine.drill.report import DrillResult, Progress, run_drill
from engine.drill.runner import DrillRun, RunRecord
from engine.drill.scenario import Problem, Scenario, check, clock, effective_profile

__all__ = [
    "DrillResult",
    "DrillRun",
    "Problem",
    "Progress",
    "RunRecord",
    "Scenario",
    "check",
    "clock",
    "effective_profile",
    "run_drill",
]
