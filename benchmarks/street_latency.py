"""Issue 14: does a street of ten communities re-plan a new need within the latency of one community that size?

    .venv/bin/python -m benchmarks.street_latency [--seeds 1-2] [--repeats 40] [--needs 2000] [--out DIR]

One generated grid map (the L size of ``pingzhan bench``: 316 × 317 streets, about 100,000 nodes) is cut in
ten blocks, one per community; each community's 200 resource units and its share of the open needs lie in
its block. The same units and needs are then held two ways, every community in an incident:

* ``single``: one community's coordinator with all 2,000 units and every need (today's budget);
* a ``Street`` of the ten communities, 200 units each, plus the street's own pool (100 units anywhere on the
  map, on top of the 2,000), under each sharing setting of ``SHARING``.

After the first plan and a few warm-up needs, one new need at a time is reported in one community (each in
turn) and the re-plan that includes it is made at the debounce, as ``tick`` makes it: ``proposals`` +
``adopt`` for a street, ``proposal`` + ``adopt`` for the single coordinator. Every variant takes every new
need, in an order that rotates, so that what else runs on the machine weighs on them alike. Latency: the
re-plan (``proposals`` + ``adopt``), not the debounce wait; the report before it (``handle``, and ``due`` as
the service asks it to set its timer) is timed apart. Then, per variant, a few more needs with the parts
timed by wrapping the street's calls from the outside, and per street setting a cProfile run. Results:
benchmarks/results/street_latency.json and .md.
"""

import argparse
import cProfile
import gc
import json
import math
import pstats
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np

import engine.coordinator.joint as joint_module
import engine.coordinator.street as street_module
from benchmarks.harness.instances import need, resources
from benchmarks.harness.machine import machine
from benchmarks.harness.quality import BENCH_PROFILE
from benchmarks.harness.stats import percentiles
from engine.coordinator import (
    Command,
    Coordinator,
    CoordinatorSettings,
    RegisterCommunity,
    RegisterOrganisation,
    ReportNeed,
    SaveResource,
    TriggerIncident,
)
from engine.coordinator.commands import RegisterStreet
from engine.coordinator.events import PlanProposed
from engine.coordinator.refs import SEPARATOR, street_key
from engine.coordinator.street import Street
from engine.drill.seeds import parse_seeds
from engine.matching import MatchingProblem, OptimalMatcher, SolveParams
from engine.matching.document import Grid, Travel
from engine.model import Community, Need, Organisation, OrganisationKind, Plan, Resource
from engine.model.ids import NodeId, StreetId
from engine.rules.profile import Profile, SharingSettings
from engine.travel import RoadGraph

RESULTS = Path(__file__).parent / "results"
T0 = datetime(2026, 7, 21, 8, 0, tzinfo=UTC)
STREET = StreetId("s1")
SINGLE = "single"
# Simulated seconds between two new needs: far below every deadline of the profile, so that the only
# re-plans are those the new needs cause.
STEP_S = 5.0
# The street is within the single community's budget while its p99 is at most this many times the single's.
BUDGET_RATIO = 1.5
ORGANISATIONS_PER_COMMUNITY = 4
KINDS = tuple(OrganisationKind)

SHARING: dict[str, SharingSettings] = {
    "lend_own_first": SharingSettings(lend="incident", own_first=True),
    "lend_freely": SharingSettings(lend="incident", own_first=False),
    "pool_only": SharingSettings(lend="never"),
}
SHARING_TEXT = {
    "lend_own_first": "lend: incident, own_first: true",
    "lend_freely": "lend: incident, own_first: false",
    "pool_only": "lend: never (the street's pool only)",
}
# The parts of a street's re-plan, as the breakdown names them (milliseconds per re-plan).
STREET_PARTS = (
    "report",
    "island_bookkeeping",
    "island_solves",
    "joint_build",
    "joint_solve",
    "split",
    "street_other",
    "adopt",
)
DEFINITIONS = {
    "latency": "the re-plan that includes the new need, as tick makes it at the debounce: proposals(now) + "
    "adopt(now); neither the wait nor the report before it is counted",
    "ratio": f"street / single at the same percentile, same run, same new needs; over budget when p99 ratio > {BUDGET_RATIO}",
    "report": "handle(ReportNeed) + due(), timed apart",
    "island_bookkeeping": "Street._island_use outside its solves: each time joint_problem asks, the key of "
    "the lender's cached island (what the other boards hold of its units, over their dispatches)",
    "island_solves": "_island_plan_use: a lender's own plan made alone (problem build and solve)",
    "joint_build": "joint_problem outside the island calls: offers, ids, the ProblemBuilder",
    "joint_solve": "the matcher on the joint problem (prepare: travel, rules, screening; flow; read-back)",
    "split": "JointPlan.split: the plan back per community",
    "street_other": "the rest of proposals: shares(), groups() and their keys, held_by, the group's graph",
    "adopt": "Street.adopt / Coordinator.adopt: PlanProposed applied, auto-confirmations",
    "problem_build": "problem_of(board): the single community's problem",
    "solve": "the matcher on the single community's problem",
}


@dataclass(frozen=True)
class Config:
    rows: int = 316
    cols: int = 317
    communities: int = 10
    units: int = 200  # per community
    pool_units: int = 100
    needs: int = 2_000  # open needs, over all communities
    repeats: int = 40  # new needs measured per seed
    warmup: int = 2
    breakdown: int = 8  # new needs per variant with its parts timed
    profile_replans: int = 3  # new needs per street setting under cProfile


# -- the instance ----------------------------------------------------------------------------------


def profile(sharing: SharingSettings) -> Profile:
    """The bench's dispatch settings (its response targets, no set-off time), with escalation a day away so
    that no need escalates while the run lasts: every re-plan is one a new need caused."""
    return Profile(
        name="bench_street",
        title_zh="街道基准",
        title_en="Street benchmark",
        dispatch=BENCH_PROFILE.dispatch.model_copy(update={"escalate_after_s": 86_400}),
        sharing=sharing,
    )


@dataclass(frozen=True)
class World:
    """One seed's map, communities, units, open needs and the street's pool, and where each community lies."""

    spec: Travel
    keys: tuple[str, ...]
    blocks: dict[str, tuple[NodeId, ...]]
    organisations: dict[str, tuple[Organisation, ...]]
    resources: dict[str, tuple[Resource, ...]]
    needs: dict[str, tuple[Need, ...]]
    pool: tuple[Resource, ...]


def blocks(config: Config) -> list[tuple[NodeId, ...]]:
    """The grid cut in two rows of blocks (one when there is one community), one block per community."""
    block_rows = 2 if config.communities > 1 else 1
    block_cols = math.ceil(config.communities / block_rows)
    out = []
    for i in range(config.communities):
        br, bc = divmod(i, block_cols)
        rows = range(br * config.rows // block_rows, (br + 1) * config.rows // block_rows)
        cols = range(bc * config.cols // block_cols, (bc + 1) * config.cols // block_cols)
        out.append(tuple(NodeId(f"g{r}_{c}") for r in rows for c in cols))
    return out


def world(config: Config, seed: int) -> World:
    rng = np.random.default_rng(seed)
    spec = Travel(grid=Grid(rows=config.rows, cols=config.cols, edge_s=60, jitter=0.3, seed=seed))
    keys = tuple(f"c{i:02d}" for i in range(config.communities))
    places = dict(zip(keys, blocks(config), strict=True))
    organisations: dict[str, tuple[Organisation, ...]] = {}
    units: dict[str, tuple[Resource, ...]] = {}
    needs: dict[str, tuple[Need, ...]] = {}
    for i, key in enumerate(keys):
        organisations[key] = tuple(
            Organisation(id=f"{key}-o{o}", kind=KINDS[(i + o) % len(KINDS)], community=key)
            for o in range(ORGANISATIONS_PER_COMMUNITY)
        )
        units[key] = tuple(_own(r, key) for r in resources(rng, places[key], config.units, unit=False))
        count = config.needs // config.communities + (i < config.needs % config.communities)
        needs[key] = tuple(
            _need(need(rng, places[key], j, unit=False), key, f"n{j:05d}") for j in range(count)
        )
    every = tuple(n for b in places.values() for n in b)
    pool = tuple(
        r.model_copy(update={"id": f"pool-{r.id}", "organisation": "pool-o0"})
        for r in resources(rng, every, config.pool_units, unit=False)
    )
    return World(spec, keys, places, organisations, units, needs, pool)


def _own(resource: Resource, key: str) -> Resource:
    org = int(resource.organisation.removeprefix("o")) % ORGANISATIONS_PER_COMMUNITY
    return resource.model_copy(update={"id": f"{key}-{resource.id}", "organisation": f"{key}-o{org}"})


def _need(generated: Need, key: str, ident: str) -> Need:
    return generated.model_copy(update={"id": f"{key}-{ident}", "community": None})


class OneMap:
    """Builds each map once: every board of the run reads the same roads. The travel cache keys its rows by
    the roads' fingerprint, so this changes no answer, only the set-up time and the memory."""

    def __init__(self) -> None:
        self._graphs: dict[str, RoadGraph] = {}

    def __call__(self, spec: Travel) -> RoadGraph:
        key = spec.model_dump_json()
        if key not in self._graphs:
            self._graphs[key] = spec.road_graph()
        return self._graphs[key]


# -- timing the solver and the street's parts ------------------------------------------------------


@dataclass
class Laps:
    """Milliseconds per part of the re-plans made while it is recording, and the solves inside islands."""

    ms: dict[str, float] = field(default_factory=dict)
    island_solves: int = 0
    in_island: bool = False

    def add(self, part: str, ms: float) -> None:
        self.ms[part] = self.ms.get(part, 0.0) + ms


class TimedSolver:
    """The coordinator's matcher, with the time of each solve handed to the ``Laps`` recording, if any."""

    name = "optimal"

    def __init__(self) -> None:
        self.inner = OptimalMatcher()
        self.laps: Laps | None = None

    def solve(self, problem: MatchingProblem, params: SolveParams) -> Plan:
        start = time.perf_counter()
        plan = self.inner.solve(problem, params)
        ms = (time.perf_counter() - start) * 1000
        if self.laps is not None:
            # A solve inside an island is a lender's own plan; the other one is the joint (or single) plan.
            prefix = "island_matcher" if self.laps.in_island else "solve"
            self.laps.add(prefix, ms)
            for lap, value in plan.solver.timings_ms.items():
                self.laps.add(f"{prefix}.{lap}", value)
        return plan


def settings(solver: TimedSolver) -> CoordinatorSettings:
    # The stopwatch gives the matcher's own laps (prepare, flow, read-back); it costs a few clock reads.
    return CoordinatorSettings(solve=SolveParams(stopwatch=time.perf_counter), solver=solver)


def _timed(laps: Laps, part: str, call: Callable[..., Any], island: bool = False) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = laps.in_island
        laps.in_island = outer or island
        start = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            laps.add(part, (time.perf_counter() - start) * 1000)
            laps.in_island = outer
            if island:
                laps.island_solves += 1

    return wrapper


@contextmanager
def street_parts(street: Street, laps: Laps) -> Iterator[None]:
    """Wrap the street's steps (module functions, one method of this street) with timers, then unwrap.

    A step the street no longer has by that name is left out (its time falls in ``street_other``)."""
    patches: list[tuple[Any, str, Any]] = []
    for owner, name, part, island in (
        (street_module, "joint_problem", "joint_problem", False),
        (street_module, "_island_plan_use", "island_solves", True),
        (joint_module.JointPlan, "split", "split", False),
    ):
        original = getattr(owner, name, None)
        if original is not None:
            patches.append((owner, name, original))
            setattr(owner, name, _timed(laps, part, original, island))
    own = getattr(street, "_island_use", None)
    if own is not None:
        # An attribute of this street, found before the class's method: other streets are not timed.
        street._island_use = _timed(laps, "island_use", own)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for owner, name, original in patches:
            setattr(owner, name, original)
        if own is not None:
            del street._island_use


# -- the variants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    report_ms: float  # handle + due
    replan_ms: float  # proposals: every solve
    adopt_ms: float

    @property
    def latency_ms(self) -> float:
        """The re-plan, as a tick makes it: what the brief of issue 14 times (the report is apart)."""
        return self.replan_ms + self.adopt_ms


class Variant(Protocol):
    name: str
    solver: TimedSolver

    def report(self, key: str, fresh: Need, at: datetime) -> datetime: ...

    def proposals(self, now: datetime) -> dict[str, PlanProposed]: ...

    def adopt(self, proposals: dict[str, PlanProposed], now: datetime) -> None: ...

    def due(self) -> datetime | None: ...

    def tick(self, now: datetime) -> None: ...


class SingleCommunity:
    """Every unit and need in one community's coordinator, as today."""

    name = SINGLE

    def __init__(self, w: World, maps: OneMap) -> None:
        self.solver = TimedSolver()
        self.coordinator = Coordinator(maps, settings(self.solver))
        p = profile(SharingSettings())
        place = Community(id=SINGLE, street=STREET, profile=p.name)
        commands: list[Command] = [RegisterCommunity(community=place, profile=p, map=w.spec)]
        commands += [
            RegisterOrganisation(organisation=o.model_copy(update={"community": SINGLE}))
            for k in w.keys
            for o in w.organisations[k]
        ]
        commands += [SaveResource(resource=r) for k in w.keys for r in w.resources[k]]
        commands.append(TriggerIncident(incident="i1", kind="flood", level=2))
        commands += [ReportNeed(need=n) for k in w.keys for n in w.needs[k]]
        for command in commands:
            self.coordinator.handle(command, T0, "setup")

    def report(self, key: str, fresh: Need, at: datetime) -> datetime:
        self.coordinator.handle(ReportNeed(need=fresh), at, "grid")
        due = self.coordinator.due()
        assert due is not None
        return due

    def proposals(self, now: datetime) -> dict[str, PlanProposed]:
        proposal = self.coordinator.proposal(now)
        return {SINGLE: proposal} if proposal is not None else {}

    def adopt(self, proposals: dict[str, PlanProposed], now: datetime) -> None:
        for proposal in proposals.values():
            self.coordinator.adopt(proposal)

    def due(self) -> datetime | None:
        return self.coordinator.due()

    def tick(self, now: datetime) -> None:
        self.coordinator.tick(now)


class StreetOf:
    """The same units and needs in a street of communities, with the street's own pool."""

    def __init__(self, name: str, w: World, sharing: SharingSettings, maps: OneMap) -> None:
        self.name = name
        self.solver = TimedSolver()
        self.street = Street(STREET, settings(self.solver))
        p = profile(sharing)
        pool = street_key(STREET)
        self._handle(pool, RegisterStreet(street=STREET, name="基准街道", profile=p, map=w.spec), maps)
        organisation = Organisation(id="pool-o0", kind=OrganisationKind.SOCIAL_ORGANISATION)
        self._handle(pool, RegisterOrganisation(organisation=organisation), maps)
        for r in w.pool:
            self._handle(pool, SaveResource(resource=r), maps)
        for key in w.keys:
            place = Community(id=key, street=STREET, profile=p.name)
            commands: list[Command] = [RegisterCommunity(community=place, profile=p, map=w.spec)]
            commands += [RegisterOrganisation(organisation=o) for o in w.organisations[key]]
            commands += [SaveResource(resource=r) for r in w.resources[key]]
            commands.append(TriggerIncident(incident=f"{key}-i1", kind="flood", level=2))
            commands += [ReportNeed(need=n) for n in w.needs[key]]
            for command in commands:
                self._handle(key, command, maps)

    def _handle(self, key: str, command: Command, maps: OneMap) -> None:
        if key not in self.street.coordinators:
            self.street.add(key, Coordinator(maps, self.street.settings))
        self.street.handle(key, command, T0, "setup")

    def report(self, key: str, fresh: Need, at: datetime) -> datetime:
        self.street.handle(key, ReportNeed(need=fresh), at, "grid")
        due = self.street.due()
        assert due is not None
        return due

    def proposals(self, now: datetime) -> dict[str, PlanProposed]:
        return self.street.proposals(now)

    def adopt(self, proposals: dict[str, PlanProposed], now: datetime) -> None:
        self.street.adopt(proposals, now)

    def due(self) -> datetime | None:
        return self.street.due()

    def tick(self, now: datetime) -> None:
        self.street.tick(now)

    def lent_units(self) -> int:
        """Units now planned for another community's needs than their own (the street's pool included)."""
        return sum(
            d.quantity
            for c in self.street.coordinators.values()
            for d in c.board.dispatches.values()
            if SEPARATOR in d.resource
        )


def settle(variant: Variant, until: datetime) -> int:
    """Make every plan due by ``until``; how many ticks that took."""
    ticks = 0
    while (due := variant.due()) is not None and due <= until:
        variant.tick(due)
        ticks += 1
    return ticks


def new_need(variant: Variant, key: str, fresh: Need, at: datetime) -> tuple[Sample, int]:
    """Report ``fresh`` in community ``key`` and make the re-plan it causes; the timing, and the re-plans
    anything else made due before the next need (none expected)."""
    start = time.perf_counter()
    due = variant.report(key, fresh, at)
    reported = time.perf_counter()
    made = variant.proposals(due)
    solved = time.perf_counter()
    variant.adopt(made, due)
    adopted = time.perf_counter()
    home = SINGLE if variant.name == SINGLE else key
    plan = made[home].plan if home in made else None
    if plan is None or fresh.id not in {a.need for a in plan.assignments} | {u.need for u in plan.unmet}:
        raise RuntimeError(f"{variant.name}: the re-plan at {due} does not include the new need {fresh.id}")
    extra = settle(variant, at + timedelta(seconds=STEP_S / 2))
    ms = 1000.0
    return Sample((reported - start) * ms, (solved - reported) * ms, (adopted - solved) * ms), extra


# -- the run -------------------------------------------------------------------------------------


class NewNeeds:
    """The stream of new needs: one in each community in turn, within its block."""

    def __init__(self, w: World, seed: int) -> None:
        self.world = w
        self.rng = np.random.default_rng(seed + 1_000)
        self.count = 0

    def next(self) -> tuple[str, Need, datetime]:
        key = self.world.keys[self.count % len(self.world.keys)]
        fresh = _need(
            need(self.rng, self.world.blocks[key], self.count, unit=False), key, f"x{self.count:04d}"
        )
        self.count += 1
        return key, fresh, T0 + timedelta(seconds=STEP_S * self.count)


def run_seed(config: Config, seed: int, progress: Callable[[str], None]) -> dict[str, Any]:
    started = time.perf_counter()
    w = world(config, seed)
    maps = OneMap()
    variants: list[Variant] = [SingleCommunity(w, maps)]
    streets = {name: StreetOf(name, w, sharing, maps) for name, sharing in SHARING.items()}
    variants += list(streets.values())
    progress(f"seed {seed}: set up in {time.perf_counter() - started:.1f} s; first plans")
    first_ms = {}
    for v in variants:
        start = time.perf_counter()
        settle(v, T0 + timedelta(seconds=1))
        first_ms[v.name] = round((time.perf_counter() - start) * 1000, 1)
    # One process holds all four variants, each with its thousands of needs, units and dispatches: left in
    # the collector, every full collection would walk all of them, as a service holding one street would
    # not. Frozen, collections see what the re-plans themselves allocate.
    gc.collect()
    gc.freeze()
    stream = NewNeeds(w, seed)
    samples: dict[str, list[Sample]] = {v.name: [] for v in variants}
    extra = dict.fromkeys(samples, 0)
    for k in range(config.warmup + config.repeats):
        key, fresh, at = stream.next()
        # A rotating order: no variant always runs first, or right after the same other one.
        for v in variants[k % len(variants) :] + variants[: k % len(variants)]:
            sample, more = new_need(v, key, fresh, at)
            extra[v.name] += more
            if k >= config.warmup:
                samples[v.name].append(sample)
        if (k + 1) % 10 == 0:
            progress(f"seed {seed}: {k + 1}/{config.warmup + config.repeats} new needs")
    single = _figures(samples[SINGLE])
    result: dict[str, Any] = {
        "seed": seed,
        "open_needs_at_start": sum(len(n) for n in w.needs.values()),
        "first_plan_ms": first_ms,
        "extra_replans": extra,
        "single": single,
        "streets": {},
    }
    for name, street in streets.items():
        figures = _figures(samples[name])
        figures["ratio"] = _ratio(figures, single)
        figures["lent_units"] = street.lent_units()
        progress(f"seed {seed}: {name} breakdown and profile")
        figures["breakdown_p50_ms"] = _breakdown(street, stream, config.breakdown)
        figures["profile"] = _profile(street, stream, config.profile_replans)
        result["streets"][name] = figures
    result["single"]["breakdown_p50_ms"] = _breakdown(variants[0], stream, config.breakdown)
    result["seconds"] = round(time.perf_counter() - started, 1)
    # This seed's variants may go once it returns.
    gc.unfreeze()
    return result


def _figures(samples: Sequence[Sample]) -> dict[str, Any]:
    return {
        **percentiles([s.latency_ms for s in samples]),
        "proposals_p50_ms": round(float(np.median([s.replan_ms for s in samples])), 3),
        "adopt_p50_ms": round(float(np.median([s.adopt_ms for s in samples])), 3),
        "report": percentiles([s.report_ms for s in samples]),
        "samples_ms": [round(s.latency_ms, 3) for s in samples],
    }


def _ratio(street: dict[str, Any], single: dict[str, Any]) -> dict[str, float]:
    return {
        "p50": round(street["p50_ms"] / single["p50_ms"], 2),
        "p99": round(street["p99_ms"] / single["p99_ms"], 2),
    }


def _breakdown(variant: Variant, stream: NewNeeds, count: int) -> dict[str, float]:
    """The parts of ``count`` more re-plans (medians per re-plan): the street's steps wrapped with timers,
    the solves timed in either."""
    rows: list[dict[str, float]] = []
    for _ in range(count):
        key, fresh, at = stream.next()
        laps = Laps()
        variant.solver.laps = laps
        try:
            if isinstance(variant, StreetOf):
                with street_parts(variant.street, laps):
                    sample, _ = new_need(variant, key, fresh, at)
                rows.append(_street_parts(sample, laps))
            else:
                sample, _ = new_need(variant, key, fresh, at)
                solve = laps.ms.get("solve", 0.0)
                rows.append({**_common(sample, laps), "problem_build": sample.replan_ms - solve})
        finally:
            variant.solver.laps = None
    return _medians(rows)


def _common(sample: Sample, laps: Laps) -> dict[str, float]:
    return {
        "total": sample.latency_ms,
        "report": sample.report_ms,
        "adopt": sample.adopt_ms,
        # The joint (or single) plan's solve, with the matcher's own laps: solve.prepare, .flow, .read_back.
        **{k: v for k, v in laps.ms.items() if k == "solve" or k.startswith(("solve.", "island_matcher"))},
    }


def _street_parts(sample: Sample, laps: Laps) -> dict[str, float]:
    ms = laps.ms
    island_use, joint = ms.get("island_use", 0.0), ms.get("joint_problem", 0.0)
    solve, split = ms.get("solve", 0.0), ms.get("split", 0.0)
    return {
        **_common(sample, laps),
        "island_bookkeeping": island_use - ms.get("island_solves", 0.0),
        "island_solves": ms.get("island_solves", 0.0),
        "island_solve_count": float(laps.island_solves),
        "joint_build": joint - island_use,
        "joint_solve": solve,
        "split": split,
        "street_other": sample.replan_ms - joint - solve - split,
    }


def _medians(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = dict.fromkeys(k for row in rows for k in row)
    return {k: round(float(np.median([row.get(k, 0.0) for row in rows])), 3) for k in keys} if rows else {}


def _profile(street: StreetOf, stream: NewNeeds, count: int, top: int = 15) -> dict[str, Any]:
    """cProfile over ``count`` new needs: the functions that take the most time, per re-plan."""
    profiler = cProfile.Profile()
    for _ in range(count):
        key, fresh, at = stream.next()
        profiler.enable()
        new_need(street, key, fresh, at)
        profiler.disable()
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in entries.values())
    rows: list[dict[str, Any]] = [
        {
            "function": _where(where),
            "calls": round(nc / max(count, 1)),
            "self_ms": round(tt * 1000 / max(count, 1), 2),
            "cumulative_ms": round(ct * 1000 / max(count, 1), 2),
        }
        for where, (_, nc, tt, ct, _) in entries.items()
    ]
    return {
        "replans": count,
        "total_ms": round(total * 1000 / max(count, 1), 1),
        "by_self": sorted(rows, key=lambda r: -r["self_ms"])[:top],
        "by_cumulative": [
            r for r in sorted(rows, key=lambda r: -r["cumulative_ms"]) if "engine/" in r["function"]
        ][:top],
    }


def _where(where: tuple[str, int, str]) -> str:
    """``engine/…/file.py:line(name)``: the path from the package on, so that runs on any checkout compare."""
    path, line, name = where
    for root in ("engine", "benchmarks", "site-packages"):
        marker = f"/{root}/"
        if marker in path:
            tail = path.split(marker, 1)[1]
            path = tail if root == "site-packages" else f"{root}/{tail}"
            break
    return f"{path}:{line}({name})" if line else name


# -- the report ----------------------------------------------------------------------------------


def summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every seed's samples together: p50 / p99 per variant and the ratios street / single."""
    single = percentiles([x for r in runs for x in r["single"]["samples_ms"]])
    out: dict[str, Any] = {"single": single}
    for name in SHARING:
        street = percentiles([x for r in runs for x in r["streets"][name]["samples_ms"]])
        ratio = _ratio(street, single)
        out[name] = {
            **street,
            "ratio": ratio,
            "within_budget": ratio["p99"] <= BUDGET_RATIO,
            "report_p50_ms": _report_p50([r["streets"][name] for r in runs]),
        }
    out["single"]["report_p50_ms"] = _report_p50([r["single"] for r in runs])
    return out


def _report_p50(figures: Sequence[dict[str, Any]]) -> float:
    return round(float(np.median([f["report"]["p50_ms"] for f in figures])), 3)


# The breakdown's columns: (title, the street's key, the single community's key).
COLUMNS = (
    ("island bookkeeping", "island_bookkeeping", None),
    ("island solves", "island_solves", None),
    ("build", "joint_build", "problem_build"),
    ("solve", "joint_solve", "solve"),
    ("split", "split", None),
    ("other", "street_other", None),
    ("adopt", "adopt", "adopt"),
)


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    c = report["settings"]
    s = report["summary"]
    single = s["single"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, "
        f"ortools {m['packages']['ortools']}. Seeds {', '.join(map(str, c['seeds']))}; {c['rows']} × "
        f"{c['cols']} grid; {c['needs']:,} open needs and {c['communities'] * c['units']:,} units in "
        f"{c['communities']} communities ({c['units']} each), the street's pool {c['pool_units']} more; "
        f"{c['repeats']} new needs per seed, each re-planned by every variant in turn. Latency: the re-plan "
        "(proposals + adopt at the debounce); the report (handle + due) apart.",
        "",
        f"| sharing | street p50 / p99 ms | single p50 / p99 ms | ratio p50 / p99 | p99 ≤ {BUDGET_RATIO}× | "
        "report p50 ms street / single |",
        "|---|---:|---:|---:|:-:|---:|",
    ]
    for name in SHARING:
        row = s[name]
        lines.append(
            f"| {SHARING_TEXT[name]} | {row['p50_ms']:,.1f} / {row['p99_ms']:,.1f} | "
            f"{single['p50_ms']:,.1f} / {single['p99_ms']:,.1f} | "
            f"{row['ratio']['p50']:.2f} / {row['ratio']['p99']:.2f} | "
            f"{'yes' if row['within_budget'] else '**no**'} | "
            f"{row['report_p50_ms']:,.1f} / {single['report_p50_ms']:,.1f} |"
        )
    last = report["runs"][-1]
    lent = ", ".join(f"{name} {last['streets'][name]['lent_units']:,}" for name in SHARING)
    lines += [
        "",
        f"Units serving another community than their own (the pool's included) at the end of seed "
        f"{last['seed']}: {lent}.",
        "",
        f"Where a re-plan goes, median ms over {c['breakdown']} more new needs (seed {last['seed']}; build: "
        "the joint problem, or the single community's):",
        "",
        "| variant | re-plan | " + " | ".join(title for title, _, _ in COLUMNS) + " | islands solved |",
        "|---|" + "---:|" * (len(COLUMNS) + 2),
    ]
    for name in [*SHARING, SINGLE]:
        b = last["single" if name == SINGLE else "streets"]
        b = b["breakdown_p50_ms"] if name == SINGLE else b[name]["breakdown_p50_ms"]
        cells = [_cell(b, single_key if name == SINGLE else key) for _, key, single_key in COLUMNS]
        count = "–" if name == SINGLE else f"{b.get('island_solve_count', 0):g}"
        lines.append(f"| {name} | {b.get('total', 0.0):,.1f} | {' | '.join(cells)} | {count} |")
    lines += ["", "Definitions:", ""] + [f"- {k}: {v}" for k, v in DEFINITIONS.items()]
    for name in SHARING:
        p = last["streets"][name]["profile"]
        lines += [
            "",
            f"cProfile, {name}: ms per re-plan over {p['replans']} (profiled, so slower), engine functions by "
            "cumulative time:",
            "",
            "| function | calls | self ms | cumulative ms |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| `{r['function']}` | {r['calls']:,} | {r['self_ms']:,.1f} | {r['cumulative_ms']:,.1f} |"
            for r in p["by_cumulative"][:10]
        ]
    return "\n".join(lines) + "\n"


def _cell(breakdown: dict[str, float], key: str | None) -> str:
    return "–" if key is None else f"{breakdown.get(key, 0.0):,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = Config()
    parser.add_argument("--seeds", default="1-2", help="seeds to run, e.g. 1, 1-3 or 1,4 (default 1-2)")
    parser.add_argument("--repeats", type=int, default=defaults.repeats, help="new needs measured per seed")
    for name in ("rows", "cols", "communities", "units", "pool_units", "needs", "warmup", "breakdown"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    parser.add_argument("--profile-replans", type=int, default=defaults.profile_replans)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for street_latency.json and .md")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    config = Config(
        **{k: getattr(args, k) for k in asdict(defaults)},
    )
    seeds = parse_seeds(args.seeds)

    def progress(text: str) -> None:
        if not args.quiet:
            sys.stderr.write(text + "\n")

    started = time.perf_counter()
    runs = [run_seed(config, seed, progress) for seed in seeds]
    report = {
        "machine": machine(),
        "settings": {
            **asdict(config),
            "seeds": seeds,
            "sharing": SHARING_TEXT,
            "step_s": STEP_S,
            "budget_ratio": BUDGET_RATIO,
            "definitions": DEFINITIONS,
        },
        "summary": summary(runs),
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "street_latency.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    text = markdown(report)
    (args.out / "street_latency.md").write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
