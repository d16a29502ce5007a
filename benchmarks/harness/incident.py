"""An incident as the live service holds it, changed by a stream of Poisson-arriving events.

The stream keeps the incident's size steady: needs are closed, resources come back and roads reopen at the
rates they arrive, go offline and close. Each event is one change, so a re-plan after it is incremental.
"""

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np

from benchmarks.harness.instances import Instance, need
from benchmarks.harness.quality import BENCH_PROFILE
from engine.matching import MatchingProblem, Pin, ProblemBuilder, SolveParams
from engine.matching.memo import PlanMemo
from engine.model import Mode, Need, Plan, Resource, ResourceStatus
from engine.model.ids import NodeId
from engine.rules.facts import CompiledProfile
from engine.travel import RoadGraph, TravelCache


class Kind(StrEnum):
    NEW_NEED = "new_need"
    RESOURCE_OFFLINE = "resource_offline"
    ROAD_CLOSED = "road_closed"
    NEED_CLOSED = "need_closed"
    RESOURCE_BACK = "resource_back"
    ROAD_REOPENED = "road_reopened"


# The incremental events; the others only keep the incident's size steady.
MEASURED = (Kind.NEW_NEED, Kind.RESOURCE_OFFLINE, Kind.ROAD_CLOSED)
# Events per minute, all kinds together; each kind is a sixth of the stream.
RATE_PER_MIN = 6.0


@dataclass(frozen=True)
class Event:
    at_s: float
    kind: Kind


def poisson_stream(rng: np.random.Generator, count: int) -> list[Event]:
    """``count`` events arriving as a Poisson process, each kind once in every shuffled block of six.

    The blocks keep short streams (XL) from missing a kind altogether; arrival times stay exponential.
    """
    kinds = list(Kind)
    gaps = rng.exponential(60.0 / RATE_PER_MIN, size=count)
    picks = np.concatenate([rng.permutation(len(kinds)) for _ in range(-(-count // len(kinds)))])
    return [Event(float(at), kinds[int(k)]) for at, k in zip(np.cumsum(gaps), picks[:count], strict=True)]


class Incident:
    """Needs, pool and closures now; ``problem()`` is what the coordinator hands the matcher."""

    def __init__(
        self, base: Instance, grid: tuple[int, int], seed: int, prune: SolveParams | None = None
    ) -> None:
        self.graph = base.graph
        self.grid = grid
        self.organisations = base.organisations
        self.needs: dict[str, Need] = {n.id: n for n in base.needs}
        self.resources: dict[str, Resource] = {r.id: r for r in base.resources}
        self.closed: list[tuple[NodeId, NodeId]] = []
        self.offline: list[str] = []
        self.previous: Plan | None = None
        # What the live service keeps per incident besides the travel cache (engine/coordinator).
        self.memo = PlanMemo()
        # The pruning settings the matcher runs with (SolveParams' defaults unless the size says otherwise).
        self.prune = prune or SolveParams()
        self.rules = CompiledProfile(BENCH_PROFILE, Mode.INCIDENT)
        self._rng = np.random.default_rng(seed)
        self._next_need = len(base.needs)
        self._steady_needs = len(base.needs)

    def params(self, cache: TravelCache, memo: PlanMemo, **more: Any) -> SolveParams:
        """How the matcher solves this incident's re-plans, with this cache and memo."""
        return replace(self.prune, travel_cache=cache, memo=memo, **more)

    def road_graph(self) -> RoadGraph:
        return self.graph.with_closures(self.closed)

    def problem(self) -> MatchingProblem:
        builder = (
            ProblemBuilder(self.road_graph())
            .use_profile(BENCH_PROFILE)
            .reuse_rules(self.rules)
            .add_needs(self.needs.values())
            .add_resources(self.resources.values())
            .add_organisations(self.organisations)
        )
        if self.previous is not None:
            builder.keep(
                Pin(need=a.need, resource=a.resource, quantity=a.quantity, part=a.part)
                for a in self.previous.assignments
            )
        return builder.build()

    def apply(self, kind: Kind) -> bool:
        """Apply one event; False when there was nothing for it to change (nothing to close, reopen...)."""
        rng = self._rng
        if kind is Kind.NEW_NEED:
            fresh = need(rng, self.graph.nodes, self._next_need, unit=False)
            self._next_need += 1
            self.needs[fresh.id] = fresh
        elif kind is Kind.NEED_CLOSED:
            if len(self.needs) <= self._steady_needs:
                return False
            del self.needs[min(self.needs)]  # the oldest: ids grow with arrival
        elif kind is Kind.RESOURCE_OFFLINE:
            available = [r for r, res in self.resources.items() if res.status is ResourceStatus.AVAILABLE]
            chosen = available[int(rng.integers(len(available)))]
            self.resources[chosen] = self.resources[chosen].model_copy(
                update={"status": ResourceStatus.OFFLINE}
            )
            self.offline.append(chosen)
        elif kind is Kind.RESOURCE_BACK:
            if not self.offline:
                return False
            back = self.offline.pop(0)
            self.resources[back] = self.resources[back].model_copy(
                update={"status": ResourceStatus.AVAILABLE}
            )
        elif kind is Kind.ROAD_CLOSED:
            self.closed.append(self._open_road(rng))
        elif kind is Kind.ROAD_REOPENED:
            if not self.closed:
                return False
            self.closed.pop(0)
        return True

    def _open_road(self, rng: np.random.Generator) -> tuple[NodeId, NodeId]:
        """A street of the grid not closed yet: from a random corner to its right or lower neighbour."""
        rows, cols = self.grid
        shut = set(self.closed) | {(v, u) for u, v in self.closed}
        while True:
            r, c = int(rng.integers(rows)), int(rng.integers(cols))
            down = bool(rng.integers(2))
            r2, c2 = (r + 1, c) if down else (r, c + 1)
            road = (NodeId(f"g{r}_{c}"), NodeId(f"g{r2}_{c2}"))
            if r2 < rows and c2 < cols and road not in shut:
                return road
