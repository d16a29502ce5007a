"""Real event logs to test snapshots and forks on: shipped scenarios run as drills in simulated time, every
board's events kept in the order they happened, and boards compared field by field.

A drill has no normal-time governance, so with ``governance`` each community also keeps a ledger while the
drill runs: its grids, buildings, members and households are registered as it is, and after each batch of
the drill's steps one more governance command is handled (tasks issued, split, submitted, scored and
returned; households saved, moved and removed; checks reported once the incident has issued them).
"""

from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from api.drill.loader import Loaded, load_scenario
from engine.coordinator import Board, Command, Coordinator, Event, Rejected, Step
from engine.coordinator.events import CommunityRegistered
from engine.coordinator.street import Street
from engine.drill import DrillRun
from engine.governance.checks import CheckResult
from engine.governance.commands import (
    IssueTask,
    RemoveHousehold,
    ReportCheck,
    ReviewPart,
    SaveBuilding,
    SaveGrid,
    SaveHousehold,
    SaveMember,
    SplitTask,
    SubmitPart,
)
from engine.governance.people import Building, Grid, Household, Member, MemberRole, Vulnerability
from engine.governance.tasks import Evidence, Part, Review, Task, Verdict
from engine.matching import OptimalMatcher

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
# Board fields that are caches or wiring, not the fold of the log.
CACHES = frozenset({"maps", "_graph", "_rules", "_counted", "pool"})


@dataclass(frozen=True)
class DrillLog:
    loaded: Loaded
    # Every board's event, in the order the street applied them: (board key, event).
    events: tuple[tuple[str, Event], ...]

    def of(self, key: str, upto: int | None = None) -> list[Event]:
        """``key``'s events among the first ``upto`` of the street."""
        return [e for k, e in self.events[:upto] if k == key]

    @property
    def keys(self) -> list[str]:
        return sorted({k for k, _ in self.events})

    def street(self, upto: int) -> Street:
        """The street rebuilt from the first ``upto`` events, as a restarted service would hold it."""
        street = Street(self.loaded.scenario.street_id)
        for key in self.keys:
            street.add(key, Coordinator.replay(self.of(key, upto), self.loaded.maps, street.settings))
        return street


@cache
def drill_log(name: str, seed: int, governance: bool = False) -> DrillLog:
    loaded = load_scenario(SCENARIOS / f"{name}.yaml")
    events: list[tuple[str, Event]] = []
    ledgers: dict[str, Iterator[Command]] = {}

    def watch(key: str, steps: list[Step], street: Street) -> None:
        events.extend((key, s.event) for s in steps)
        if not governance or street.coordinators[key].board.is_street:
            return
        at = steps[-1].event.at
        if isinstance(steps[0].event, CommunityRegistered):
            ledgers[key] = _ledger(street.coordinators[key].board, at)
        command = next(ledgers[key], None) if key in ledgers else None
        if command is not None:
            try:
                more = street.handle(key, command, at, "m0")
            except Rejected:
                return
            events.extend((key, s.event) for s in more)

    profiles = loaded.profiles.effective(loaded.scenario)
    DrillRun(loaded.scenario, profiles, loaded.maps, seed=seed, solver=OptimalMatcher(), watch=watch).run()
    return DrillLog(loaded, tuple(events))


def _ledger(board: Board, start: datetime) -> Iterator[Command]:
    """One community's governance commands, one per batch of drill steps (``board`` as it is by then)."""
    node = board.graph.nodes[0]
    yield SaveGrid(grid=Grid(id="g1", name="一网格"))
    yield SaveGrid(grid=Grid(id="g2", name="二网格"))
    for b in range(4):
        yield SaveBuilding(building=Building(id=f"b{b}", name=f"{b}栋", grid=f"g{b % 2 + 1}", location=node))
    yield SaveMember(member=Member(id="m0", name="书记", role=MemberRole.HEAD))
    for m in (1, 2):
        yield SaveMember(member=Member(id=f"m{m}", name=f"干部{m}", role=MemberRole.CADRE))
    yield SaveMember(member=Member(id="m3", name="楼道长", role=MemberRole.CAPTAIN, building="b0"))
    tags = list(Vulnerability)
    for h in range(12):
        tagged = (tags[h % len(tags)],) if h % 2 == 0 else ()
        yield SaveHousehold(
            household=Household(id=f"h{h}", building=f"b{h % 4}", address=f"{h}号", tags=tagged)
        )
    for t in range(1000):
        task = Task(id=f"t{t}", title=f"任务{t}", due_at=start + timedelta(hours=t), points=20)
        yield IssueTask(task=task)
        parts = (
            Part(id="p1", title="一", assignee="m1", points=10),
            Part(id="p2", title="二", assignee="m2", points=10),
        )
        yield SplitTask(task=task.id, parts=parts)
        for part, verdict in (("p1", Verdict.ACCEPT), ("p2", Verdict.RETURN)):
            yield SubmitPart(task=task.id, part=part, evidence=Evidence(text="完成"))
            yield ReviewPart(task=task.id, part=part, review=Review(verdict=verdict, comment="再看看"))
        for h in range(t % 12, 12, 5):
            result = CheckResult.SAFE if h % 3 else CheckResult.ABSENT
            yield ReportCheck(household=f"h{h}", result=result)
        if t % 3 == 0:
            yield SaveHousehold(household=Household(id=f"x{t}", building="b1", address="新", tags=(tags[0],)))
        if t % 3 == 1:
            yield SaveHousehold(
                household=Household(id=f"x{t - 1}", building="b2", address="搬", tags=(tags[1],))
            )
        if t % 3 == 2:
            yield RemoveHousehold(household=f"x{t - 2}")


def assert_same_board(got: Board, want: Board) -> None:
    """Every state field of the two boards is equal (the caches aside); the message names the first that
    differs, down to the field of the ledger, contributions or attention."""
    for f in fields(Board):
        if f.name in CACHES:
            continue
        a, b = getattr(got, f.name), getattr(want, f.name)
        if f.name == "base_graph":
            assert (a is None) == (b is None) and (a is None or a.fingerprint == b.fingerprint), f.name
        elif f.name == "_open":
            assert list(a) == list(b), f.name
        else:
            _assert_same(a, b, f.name)


def _assert_same(a: object, b: object, path: str) -> None:
    if is_dataclass(a) and type(a) is type(b) and not isinstance(a, type):
        for f in fields(a):
            _assert_same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
        return
    assert a == b, f"{path} differs"
    if isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), f"{path}: the same entries in another order"
