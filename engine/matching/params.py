"""How to solve: limits and plug points, never the problem itself."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine.matching.memo import PlanMemo
from engine.travel import TravelBackend, TravelCache


@dataclass(frozen=True)
class SolveParams:
    # Travel beyond this is never considered, even for needs without a limit (four hours).
    max_travel_s: int = 4 * 3600
    # CP-SAT for teams and all-or-nothing needs: deterministic work units (about seconds on this kind of
    # machine) keep plans reproducible; the wall-clock limit is the safety net.
    cp_sat_deterministic_time: float = 5.0
    cp_sat_time_limit_s: float = 10.0
    cp_sat_workers: int = 1
    # "auto": one min-cost-flow solve when its costs fit 64 bits, otherwise two (served first, then cost).
    flow_strategy: Literal["auto", "single", "two_phase"] = "auto"
    # Past this many candidate arcs (city scale), min-cost flow first runs on each slot's ``prune_k``
    # cheapest, with a certificate that tier 1 is the full problem's (engine/matching/pruning.py); None: never.
    prune_k: int | None = 16
    prune_above_arcs: int = 100_000
    travel_backend: TravelBackend | None = None
    # Travel searches kept across re-plans of one incident; plans are the same with or without it.
    travel_cache: TravelCache | None = None
    # Plan parts kept from one re-plan of an incident to the next; plans are the same with or without it.
    memo: PlanMemo | None = None
    # The engine never reads the clock; give it one (time.perf_counter) to get timings in the plan.
    stopwatch: Callable[[], float] | None = None

    def prunes(self, arcs: int) -> bool:
        """Whether a min-cost flow over this many candidate arcs runs pruned first."""
        return self.prune_k is not None and arcs > self.prune_above_arcs
