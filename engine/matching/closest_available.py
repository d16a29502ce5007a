"""Today's dispatch practice, as a solver of the same interface: one call at a time, the nearest free unit.

Needs are taken by priority (highest first), then by when they were reported, then by id; each gets the
nearest eligible resources with units left. It sees the same rules, travel limits and pins as the matcher,
so a comparison measures the method, not the data.
"""

from collections import defaultdict
from datetime import datetime

import numpy as np

from engine.matching.params import SolveParams
from engine.matching.prepare import Prepared, prepare
from engine.matching.problem import MatchingProblem
from engine.matching.readback import build_plan
from engine.matching.stopwatch import Stopwatch
from engine.model.plan import Plan, SolverStats


def _reported(at: datetime | None) -> float:
    # Needs without a report time go after those with one.
    return at.timestamp() if at is not None else float("inf")


class ClosestAvailable:
    name = "closest_available"

    def solve(self, problem: MatchingProblem, params: SolveParams) -> Plan:
        clock = Stopwatch(params.stopwatch)
        prepared = prepare(problem, params)
        clock.lap("prepare")
        units: dict[tuple[int, int], int] = defaultdict(int, prepared.pinned)
        free = prepared.free.copy()
        order = sorted(
            range(len(problem.needs)),
            key=lambda n: (
                -prepared.need_facts[n].priority,
                _reported(problem.needs[n].reported_at),
                problem.needs[n].id,
            ),
        )
        for n in order:
            _dispatch(prepared, n, units, free)
        clock.lap("dispatch")
        stats = SolverStats(
            name=self.name,
            methods=("greedy",),
            optimal=False,
            timings_ms=clock.laps,
            counts={"needs": len(problem.needs), "resources": len(problem.resources)},
        )
        plan = build_plan(prepared, units, params, stats)
        clock.lap("read_back")
        return plan.model_copy(update={"solver": stats.model_copy(update={"timings_ms": clock.laps})})


def _nearest(prepared: Prepared, slot: int) -> list[int]:
    lo, hi = np.searchsorted(prepared.arc_slot, [slot, slot + 1])
    arcs = range(int(lo), int(hi))
    resources = prepared.problem.resources
    # Today's practice sends free units only: units still on a job are not offered to it.
    ready = prepared.tables.ready_s
    free_now = [a for a in arcs if ready[prepared.arc_resource[a]] == 0]
    ranked = sorted(
        free_now, key=lambda a: (int(prepared.arc_travel[a]), resources[prepared.arc_resource[a]].id)
    )
    return [int(prepared.arc_resource[a]) for a in ranked]


def _take(
    prepared: Prepared, slot: int, wanted: int, units: dict[tuple[int, int], int], free: np.ndarray
) -> dict[tuple[int, int], int]:
    """Send up to ``wanted`` units to a slot from the nearest resources; returns what was sent."""
    sent: dict[tuple[int, int], int] = {}
    for r in _nearest(prepared, slot):
        if wanted <= 0:
            break
        amount = min(wanted, int(free[r]))
        if amount > 0:
            sent[(slot, r)] = amount
            units[(slot, r)] += amount
            free[r] -= amount
            wanted -= amount
    return sent


def _undo(sent: dict[tuple[int, int], int], units: dict[tuple[int, int], int], free: np.ndarray) -> None:
    for (slot, r), amount in sent.items():
        units[(slot, r)] -= amount
        free[r] += amount


def _dispatch(prepared: Prepared, n: int, units: dict[tuple[int, int], int], free: np.ndarray) -> None:
    need = prepared.problem.needs[n]
    slots = prepared.slots_of_need[n]
    # Each need is dispatched once, so until now only its pins have been sent to it.
    have = {s: int(prepared.pinned_per_slot[s]) for s in slots}
    if not need.combinatorial:
        (s,) = slots
        _take(prepared, s, need.quantity - have[s], units, free)
        return
    # Teams go one whole unit at a time; a unit that cannot be completed is given back.
    added: list[dict[tuple[int, int], int]] = []
    for unit in range(1, need.quantity + 1):
        sent: dict[tuple[int, int], int] = {}
        complete = True
        for s in slots:
            wanted = prepared.slots[s].per_unit * unit - have[s]
            got = _take(prepared, s, wanted, units, free)
            sent.update(got)
            have[s] += sum(got.values())
            complete = complete and sum(got.values()) >= max(wanted, 0)
        if not complete:
            _undo(sent, units, free)
            break
        added.append(sent)
    if need.all_or_nothing and len(added) < need.quantity:
        for sent in added:
            _undo(sent, units, free)
