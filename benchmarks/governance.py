"""Normal-time governance at community scale: what an incident start, a check report, the score board and a
restart cost as households and tasks grow.

    .venv/bin/python -m benchmarks.governance [--households 1000 10000 50000] [--tasks 100 1000 10000]

Everything runs through the real coordinator on a 30 × 30 street grid with the ``grid_captains`` profile; a
third of the households carry a vulnerability tag; 50 households to a building, 20 buildings to a grid. The
baseline for the incident start is the same community with no households (the start is then the incident
event alone). The incident start is measured in the coordinator alone and as the live service commits it
(SQLite, in-process, no HTTP). Results: benchmarks/results/governance.json.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.auth import Principal, Role
from api.db.database import connect
from api.pii import load_vault
from api.profiles import named_profile
from api.pubsub import pubsub_for
from api.service import FileMaps, Service
from api.store import Store
from engine.coordinator import CloseIncident, Command, Coordinator, RegisterCommunity, TriggerIncident
from engine.governance.checks import CheckResult
from engine.governance.commands import (
    IssueTask,
    ReportCheck,
    ReviewPart,
    SaveBuilding,
    SaveGrid,
    SaveHousehold,
    SaveMember,
    SplitTask,
    SubmitPart,
)
from engine.governance.ids import HouseholdId
from engine.governance.people import Building, Grid, Household, Member, MemberRole, Vulnerability
from engine.governance.scoreboard import due_in, score
from engine.governance.tasks import Evidence, Part, Review, Task, Verdict
from engine.matching.document import Grid as MapGrid
from engine.matching.document import Travel
from engine.model import Community

RESULTS = Path(__file__).parent / "results"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
SIDE = 30
TAGS = list(Vulnerability)


def maps(spec: Travel) -> Any:
    return spec.road_graph()


class Recording(Coordinator):
    """A coordinator that keeps the events it applied, as the service's store would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorded: list[Any] = []

    def handle(self, command: Command, at: datetime, actor: str) -> list[Any]:
        steps = super().handle(command, at, actor)
        self.recorded.extend(s.event for s in steps)
        return steps


def community(households: int) -> Recording:
    c = Recording(maps)
    for command in setup(households):
        c.handle(command, T0, "setup")
    return c


def setup(households: int) -> list[Command]:
    """The community's registration, then its grids, buildings, cadres and households."""
    profile = named_profile("grid_captains", None)
    place = Community(id="bench", street="s", profile=profile.name)
    grid_map = Travel(grid=MapGrid(rows=SIDE, cols=SIDE, edge_s=60))
    register = RegisterCommunity(community=place, profile=profile, map=grid_map)
    cadres = [
        SaveMember(member=Member(id=f"m{m}", name=f"干部{m}", role=MemberRole.CADRE)) for m in range(20)
    ]
    return [register, *places(households), *cadres, *homes(households)]


def places(households: int) -> list[Command]:
    """The grids and buildings of ``households`` homes, fifty a building and twenty buildings a grid, on a
    SIDE × SIDE grid map."""
    buildings = max(1, -(-households // 50))
    commands: list[Command] = [
        SaveGrid(grid=Grid(id=f"g{i}", name=f"{i}网格")) for i in range(-(-buildings // 20))
    ]
    for b in range(buildings):
        node = f"g{(b * 7) % SIDE}_{(b * 13) % SIDE}"
        commands.append(
            SaveBuilding(building=Building(id=f"b{b}", name=f"{b}栋", grid=f"g{b // 20}", location=node))
        )
    return commands


def homes(households: int) -> list[Command]:
    """The households of :func:`places`' buildings, every third one with a vulnerability."""
    return [
        SaveHousehold(
            household=Household(
                id=f"h{h}",
                building=f"b{h // 50}",
                address=f"{h % 50}号",
                tags=(TAGS[h % len(TAGS)],) if h % 3 == 0 else (),
            )
        )
        for h in range(households)
    ]


def timed(run: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(p99, 3), "n": len(ordered)}


def incident_start(households: int, repeats: int) -> dict[str, Any]:
    c = community(households)
    clock = [T0 + timedelta(hours=1)]
    n = [0]

    def start() -> None:
        clock[0] += timedelta(seconds=1)
        n[0] += 1
        c.handle(TriggerIncident(incident=f"i{households}-{n[0]}", kind="flood", level=2), clock[0], "bench")

    samples = []
    for _ in range(repeats):
        samples.extend(timed(start, 1))
        c.handle(CloseIncident(), clock[0], "bench")
    # One more start, kept open, for the reports below.
    start()
    reports: list[float] = []
    for i, household in enumerate(list(c.board.ledger.checks)[:200]):
        clock[0] += timedelta(seconds=1)
        result = CheckResult.SAFE if i % 2 else CheckResult.ABSENT
        command = ReportCheck(household=HouseholdId(household), result=result)
        started = time.perf_counter()
        c.handle(command, clock[0], "bench")
        reports.append((time.perf_counter() - started) * 1000)
    return {
        "households": households,
        "checks_issued": len(c.board.ledger.checks),
        "incident_start": summary(samples),
        "check_report": summary(reports) if reports else None,
        # What a restart costs: the community rebuilt from its log.
        "replay": summary(timed(lambda: Coordinator.replay(c.recorded, maps), 3)),
        "events": len(c.recorded),
    }


async def committed_start(households: int, repeats: int, folder: Path) -> dict[str, Any]:
    """The incident start as the live service commits it: checks issued, the event and every grid's and
    building's channel messages written to SQLite in one transaction, then published."""
    setter = Principal(0, Role.STREET, "s", None, None, None, "bench")
    db = folder / f"bench-{households}.db"
    service = Service(
        Store(connect(f"sqlite:///{db}"), load_vault(folder / "pii.key")), pubsub_for(None), FileMaps(folder)
    )
    await service.start()
    try:
        register, *rest = setup(households)
        await service.execute("bench", register, setter, _none)
        await service.execute_many([("bench", c) for c in rest], setter, _none)
        samples = []
        for n in range(repeats):
            started = time.perf_counter()
            start = TriggerIncident(incident=f"i{n}", kind="flood", level=2)
            await service.execute("bench", start, setter, _none)
            samples.append((time.perf_counter() - started) * 1000)
            await service.execute("bench", CloseIncident(), setter, _none)
        return {"households": households, "incident_start_committed": summary(samples)}
    finally:
        await service.stop()


def _none(*_: object) -> tuple[int, None]:
    return 200, None


def scoreboard(tasks: int, repeats: int) -> dict[str, Any]:
    c = community(0)  # its 20 cadres carry the parts
    due = T0 + timedelta(days=20)
    for t in range(tasks):
        task = Task(id=f"t{t}", title=f"任务{t}", due_at=due, points=30)
        c.handle(IssueTask(task=task), T0, "street")
        parts = tuple(
            Part(id=f"p{k}", title=f"分项{k}", assignee=f"m{(t + k) % 20}", points=10) for k in range(3)
        )
        c.handle(SplitTask(task=task.id, parts=parts), T0, "head")
        for k in range(3):
            c.handle(
                SubmitPart(task=task.id, part=f"p{k}", evidence=Evidence(text="完成")),
                T0 + timedelta(days=1),
                f"m{k}",
            )
            c.handle(
                ReviewPart(task=task.id, part=f"p{k}", review=Review(verdict=Verdict.ACCEPT)),
                T0 + timedelta(days=2),
                "street",
            )
    ledger = c.board.ledger
    samples = timed(lambda: score("bench", ledger, due_in(ledger, T0, T0 + timedelta(days=31))), repeats)
    return {"tasks": tasks, "parts": tasks * 3, "score_board": summary(samples)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--tasks", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS / "governance.json")
    args = parser.parse_args(argv)
    baseline = incident_start(0, args.repeats)
    rows = [incident_start(h, args.repeats) for h in args.households]
    for row in rows:
        row["incident_start"]["vs_baseline_p50"] = round(
            row["incident_start"]["p50_ms"] / max(baseline["incident_start"]["p50_ms"], 1e-9), 1
        )
    with tempfile.TemporaryDirectory(prefix="pingzhan-bench-") as folder:
        committed = [
            asyncio.run(committed_start(h, args.repeats, Path(folder))) for h in [0, *args.households]
        ]
    boards = [scoreboard(t, args.repeats) for t in args.tasks]
    result = {"baseline": baseline, "households": rows, "service": committed, "score_board": boards}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
