"""Drills (演练): scenario files replayed through the real coordinator on simulated time, compared with
today's closest-available practice and with the hindsight bound. No I/O and no clock here."""

from typing import TYPE_CHECKING

from engine.drill.scenario import Problem, Scenario, check, clock, effective_profile
from engine.lazy import lazy_attributes

if TYPE_CHECKING:
    from engine.drill.report import DrillResult, Progress, run_drill
    from engine.drill.runner import DrillRun, RunRecord

# Running a drill loads the coordinator and the solvers: imported on first use, so reading a scenario file
# or printing its schema does not pay for them.
__getattr__ = lazy_attributes(
    __name__,
    {
        "DrillResult": "engine.drill.report",
        "Progress": "engine.drill.report",
        "run_drill": "engine.drill.report",
        "DrillRun": "engine.drill.runner",
        "RunRecord": "engine.drill.runner",
    },
)

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
