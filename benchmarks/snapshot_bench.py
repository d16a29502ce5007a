"""Issue 16: starting a partition from a board snapshot and the events after it, against replaying its whole
log; and forking a street to solve on while it takes commands.

    .venv/bin/python -m benchmarks.snapshot_bench [--events 100000] [--waiting 0 300] [--tail 1000]
        [--needs 2000] [--units 2000] [--rounds 10]

Snapshot: one community on a 30 × 30 street grid whose log, made through the real coordinator, reaches
``--events`` events: 20,000 households in 400 buildings (a third of them vulnerable, so the incident issues
their checks), 2,000 of the checks reported, street tasks issued, split, submitted and scored, and needs
reported ten at a time, planned (closest available, so that making the log is quick: a replay never solves)
and served, every dispatch going through its statuses, but for the last ``--waiting`` needs reported: they
wait, so that each re-plan is a plan of them all (one log per value). Timed, median of ``--repeats``: the replay
of the whole log; ``dumps`` and ``loads`` of the board it makes; and a start from a snapshot made ``--tail``
events before the end with those events applied after it (what a service taking over the partition does).
The target: a partition of 100,000 events started or taken over in 2 s or less.

Fork: a street of one community in an incident with ``--needs`` open needs and ``--units`` one-unit
resources on a 100 × 100 grid under a shipped profile with rules, planned once (the optimal matcher); then
``Street.fork`` timed, and ``--rounds`` new needs, each re-planned on a fork (as the service will) in one
such street and on the street itself in another made alike. Results: benchmarks/results/snapshot_bench.json and .md.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from api.profiles import named_profile
from benchmarks.governance import homes, places
from benchmarks.harness.instances import need, organisations, resources
from benchmarks.harness.machine import machine
from engine.coordinator import (
    Advance,
    Command,
    Coordinator,
    CoordinatorSettings,
    DispatchStatus,
    Event,
    RegisterCommunity,
    RegisterOrganisation,
    ReportNeed,
    SaveResource,
    Step,
    TriggerIncident,
)
from engine.coordinator.snapshot import dumps, loads
from engine.coordinator.street import Street
from engine.governance.checks import CheckResult
from engine.governance.commands import (
    IssueTask,
    ReportCheck,
    ReviewPart,
    SaveMember,
    SplitTask,
    SubmitPart,
)
from engine.governance.ids import HouseholdId
from engine.governance.people import Member, MemberRole
from engine.governance.tasks import Evidence, Part, Review, Task, Verdict
from engine.matching.closest_available import ClosestAvailable
from engine.matching.document import Grid as MapGrid
from engine.matching.document import Travel
from engine.model import Community
from engine.model.ids import StreetId
from engine.rules import load_profile
from engine.travel import RoadGraph

RESULTS = Path(__file__).parent / "results"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
SIDE = 30
HOUSEHOLDS = 20_000
CHECKS_REPORTED = 2_000
# One task (issued, split in three, each part submitted and scored) per this many needs.
NEEDS_PER_TASK = 2
PROFILE = load_profile(
    """
name: bench
title_zh: 基准
title_en: Bench
dispatch:
  auto_confirm_priority: 1
  ack_timeout_s: 600
  escalate_after_s: 86400
rules: []
""",
    "bench.yaml",
)
S = DispatchStatus


def maps(spec: Travel) -> RoadGraph:
    return spec.road_graph()


class Log:
    """A community's coordinator and the events it applied, as the service's database keeps them."""

    def __init__(self, settings: CoordinatorSettings) -> None:
        self.coordinator = Coordinator(maps, settings)
        self.events: list[Event] = []
        self.at = T0

    def do(self, command: Command, actor: str = "bench") -> list[Step]:
        self.at += timedelta(seconds=1)
        return self._kept(self.coordinator.handle(command, self.at, actor))

    def tick(self) -> None:
        due = self.coordinator.due()
        if due is not None:
            self.at = max(self.at, due)
            self._kept(self.coordinator.tick(self.at))

    def _kept(self, steps: list[Step]) -> list[Step]:
        self.events.extend(s.event for s in steps)
        return steps


def community_log(events: int, waiting: int = 0) -> list[Event]:
    """``events`` of a community's log; ``waiting``: the needs last reported are left waiting, this many of
    them, so that every re-plan is a plan of them all."""
    log = Log(CoordinatorSettings(solver=ClosestAvailable()))
    rng = np.random.default_rng(0)
    grid = Travel(grid=MapGrid(rows=SIDE, cols=SIDE, edge_s=60))
    nodes = maps(grid).nodes
    place = Community(id="c0", street="s", profile=PROFILE.name)
    log.do(RegisterCommunity(community=place, profile=PROFILE, map=grid))
    for o in organisations():
        log.do(RegisterOrganisation(organisation=o.model_copy(update={"community": "c0"})))
    for r in resources(rng, nodes, 600, unit=False):
        log.do(SaveResource(resource=r))
    for command in _governance():
        log.do(command)
    log.do(TriggerIncident(incident="i0", kind="flood", level=2))
    for household in list(log.coordinator.board.ledger.checks)[:CHECKS_REPORTED]:
        log.do(ReportCheck(household=HouseholdId(household), result=CheckResult.SAFE))
    tasks = _tasks(log)
    number = 0
    while len(log.events) < events:
        for _ in range(10):
            fresh = need(rng, nodes, number, unit=False)
            log.do(ReportNeed(need=fresh.model_copy(update={"community": None, "max_travel_s": None})))
            number += 1
            if number % NEEDS_PER_TASK == 0:
                next(tasks)
        log.tick()
        _serve(log, number - waiting)
    return log.events[:events]


def _serve(log: Log, before: int) -> None:
    """The dispatches to needs numbered below ``before`` on their way, there and done, as responders answer."""
    for step in (S.EN_ROUTE, S.ON_SITE, S.DONE):
        for d in list(log.coordinator.board.dispatches.values()):
            if int(d.need[1:]) < before and d.status in (S.NOTIFIED, S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SITE):
                log.do(Advance(dispatch=d.id, to=step), "responder")


def _governance() -> Iterator[Command]:
    yield from places(HOUSEHOLDS)
    yield SaveMember(member=Member(id="m0", name="书记", role=MemberRole.HEAD))
    yield from (
        SaveMember(member=Member(id=f"m{m}", name=f"干部{m}", role=MemberRole.CADRE)) for m in range(1, 20)
    )
    yield from homes(HOUSEHOLDS)


def _tasks(log: Log) -> Iterator[None]:
    """A street task at a time: issued, split in three, each part submitted and scored."""
    t = 0
    while True:
        task = Task(id=f"t{t}", title=f"任务{t}", due_at=T0 + timedelta(days=60), points=30)
        log.do(IssueTask(task=task), "street")
        parts = tuple(
            Part(id=f"p{k}", title=f"分项{k}", assignee=f"m{(t + k) % 20}", points=10) for k in range(3)
        )
        log.do(SplitTask(task=task.id, parts=parts), "m0")
        for part in parts:
            log.do(SubmitPart(task=task.id, part=part.id, evidence=Evidence(text="完成")), part.assignee)
            log.do(ReviewPart(task=task.id, part=part.id, review=Review(verdict=Verdict.ACCEPT)), "m0")
        t += 1
        yield


def timed(run: Callable[[], object], repeats: int) -> tuple[float, Any]:
    """The median milliseconds of ``repeats`` runs, and the last run's result."""
    samples, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1), result


def snapshot_figures(events: int, waiting: int, tail: int, repeats: int) -> dict[str, Any]:
    start = time.perf_counter()
    log = community_log(events, waiting)
    made_s = time.perf_counter() - start
    replay_ms, whole = timed(lambda: Coordinator.replay(log, maps), repeats)
    dumps_ms, data = timed(lambda: dumps(whole), repeats)
    loads_ms, _ = timed(lambda: loads(data, maps), repeats)
    early = dumps(Coordinator.replay(log[:-tail], maps))

    def take_over() -> Coordinator:
        coordinator = loads(early, maps)
        for event in log[-tail:]:
            coordinator.board.evolve(event)
        return coordinator

    take_over_ms, _ = timed(take_over, repeats)
    board = whole.board
    return {
        "events": len(log),
        "waiting": waiting,
        "log_made_s": round(made_s, 1),
        "state": {
            "needs": len(board.needs),
            "households": len(board.ledger.households),
            "checks": len(board.ledger.checks),
            "tasks": len(board.ledger.tasks),
            "jobs": len(board.contributions.jobs),
            "dispatches": len(board.dispatches),
            "plan_lines": len(board.plan.assignments) + len(board.plan.unmet) if board.plan else 0,
        },
        "snapshot_bytes": len(data),
        "replay_ms": replay_ms,
        "dumps_ms": dumps_ms,
        "loads_ms": loads_ms,
        "tail": tail,
        "take_over_ms": take_over_ms,
        "target_ms": 2000,
    }


def fork_figures(needs: int, units: int, rounds: int) -> dict[str, Any]:
    """Two streets made alike: one re-plans each new need on a fork, as the service will, the other on itself."""
    forked, direct = _loaded_street(needs, units), _loaded_street(needs, units)
    board = forked.street.coordinators["c0"].board
    fork_ms, _ = timed(forked.street.fork, 20)
    on_fork, on_street = [], []
    rng = np.random.default_rng(2)
    for n in range(rounds):
        fresh = need(rng, board.graph.nodes, needs + n, unit=True).model_copy(update={"community": None})
        for s in (forked, direct):
            s.do(ReportNeed(need=fresh))
            s.at += timedelta(minutes=1)
        start = time.perf_counter()
        fork = forked.street.fork()
        made = fork.proposals(forked.at)
        on_fork.append((time.perf_counter() - start) * 1000)
        forked.street.adopt(made, forked.at)
        start = time.perf_counter()
        made = direct.street.proposals(direct.at)
        on_street.append((time.perf_counter() - start) * 1000)
        direct.street.adopt(made, direct.at)
    return {
        "needs": len(board.needs),
        "resources": len(board.resources),
        "dispatches": len(board.dispatches),
        "fork_ms": fork_ms,
        "rounds": rounds,
        "replan_on_fork_ms": round(statistics.median(on_fork), 1),
        "replan_on_street_ms": round(statistics.median(on_street), 1),
    }


class _StreetOf:
    def __init__(self) -> None:
        self.street = Street(StreetId("s"))
        self.at = T0

    def do(self, command: Command) -> None:
        self.street.handle("c0", command, self.at, "bench")


def _loaded_street(needs: int, units: int) -> _StreetOf:
    """One community in an incident, ``needs`` open needs and ``units`` units, planned once (on a fork)."""
    rng = np.random.default_rng(1)
    grid = Travel(grid=MapGrid(rows=100, cols=100, edge_s=60))
    graph = maps(grid)
    s = _StreetOf()
    s.street.add("c0", Coordinator(lambda _: graph))
    # A shipped profile with rules, so that each solve's facts are worth keeping.
    profile = named_profile("urban_admin_rich")
    place = Community(id="c0", street="s", profile=profile.name)
    s.do(RegisterCommunity(community=place, profile=profile, map=grid))
    for o in organisations():
        s.do(RegisterOrganisation(organisation=o.model_copy(update={"community": "c0"})))
    pool = resources(rng, graph.nodes, units, unit=True)
    for r in pool:
        s.do(SaveResource(resource=r))
    s.do(TriggerIncident(incident="i0", kind="flood", level=2))
    for j in range(needs):
        s.do(ReportNeed(need=need(rng, graph.nodes, j, unit=True).model_copy(update={"community": None})))
    s.at += timedelta(minutes=1)
    s.street.adopt(s.street.fork().proposals(s.at), s.at)
    return s


def markdown(data: dict[str, Any]) -> str:
    f, m = data["fork"], data["machine"]
    rows = []
    for s in data["snapshot"]:
        state = ", ".join(f"{v:,} {k}" for k, v in s["state"].items())
        rows.append(
            f"| {s['events']:,} | {s['waiting']} | {state} | {s['snapshot_bytes'] / 1e6:.1f} | {s['replay_ms']} "
            f"| {s['dumps_ms']} | {s['loads_ms']} | {s['take_over_ms']} |"
        )
    return "\n".join(
        [
            f"Board snapshots and street forks (issue 16) on {m['cpu']} ({m['cores']} cores, shared: load "
            f"average {data['load'][0]:.1f} at the start, {data['load'][1]:.1f} at the end), Python {m['python']}; "
            "medians.",
            "",
            "A community's log, the board it makes, and a start from a snapshot taken "
            f"{data['snapshot'][0]['tail']:,} events before the end with those events applied (target 2,000 ms):",
            "",
            "| events | needs left waiting | state | snapshot MB | replay the log ms | dumps ms | loads ms "
            "| snapshot + tail ms |",
            "|---:|---:|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"A street of {f['needs']:,} needs, {f['resources']:,} resources, {f['dispatches']:,} dispatches:",
            "",
            f"| Street.fork ms | re-plan on the fork ms (median of {f['rounds']}) | re-plan on the street ms |",
            "|---:|---:|---:|",
            f"| {f['fork_ms']} | {f['replan_on_fork_ms']} | {f['replan_on_street_ms']} |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--tail", type=int, default=1_000)
    parser.add_argument(
        "--waiting", type=int, nargs="+", default=[0, 300], help="needs left waiting, one log for each"
    )
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--rounds", type=int, default=10, help="new needs re-planned on a fork and on the street"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    data: dict[str, Any] = {
        "machine": machine(),
        "snapshot": [snapshot_figures(args.events, w, args.tail, args.repeats) for w in args.waiting],
        "fork": fork_figures(args.needs, args.units, args.rounds),
    }
    data["load"] = [load, os.getloadavg()[0]]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "snapshot_bench.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    text = markdown(data)
    (args.out / "snapshot_bench.md").write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
