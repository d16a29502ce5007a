"""Governance lives in the community's event log like the rest: random streams of governance commands on
simulated time (many refused) rebuild, from their JSON, exactly the live ledger, board and deadlines."""

import typing
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from engine.coordinator import CloseIncident, Coordinator, Event, Rejected, TriggerIncident
from engine.coordinator.board import snapshot
from engine.governance.appeals import AppealKind
from engine.governance.checks import CheckResult
from engine.governance.commands import (
    AssignAppeal,
    CompleteAppeal,
    GovernanceCommand,
    IssueBuildingCodes,
    IssueTask,
    MergeAppeal,
    PlanAppeal,
    RateAppeal,
    RemoveHousehold,
    ReplyAppeal,
    ReportCheck,
    ReviewPart,
    SaveBuilding,
    SaveGrid,
    SaveHousehold,
    SaveMember,
    SplitTask,
    SubmitPart,
)
from engine.governance.events import GovernanceEvent
from engine.governance.people import Building, Grid, Household, Member, MemberRole, Vulnerability
from engine.governance.tasks import Evidence, EvidenceKind, Part, PartStatus, Review, Task, Verdict
from tests.coordinator.world import maps
from tests.governance.world import (
    CADRE,
    HEAD,
    PHOTO,
    STREET,
    WORKER,
    Recorder,
    appeal,
    hours,
    issue,
    people,
    run_until,
    split,
    submit,
    task,
)

EVENTS: TypeAdapter[Event] = TypeAdapter(Event)
GOVERNANCE_TYPES = {t.model_fields["type"].default for t in typing.get_args(GovernanceEvent)}

GRIDS = ["grid1", "grid2", "grid3"]
BUILDINGS = ["b1", "b2", "b3", "b9"]
MEMBERS = [HEAD, CADRE, WORKER, "cap1", "m5", "nobody"]
# Parts go mostly to staff, sometimes to a captain or to nobody known.
ASSIGNEES = [HEAD, CADRE, WORKER, HEAD, CADRE, WORKER, "cap1", "nobody"]
HOUSEHOLDS = ["h1", "h2", "h3", "h4"]
TASKS = ["t1", "t2", "t3"]
# An index into the records there are (9: one that is not there).
pick = st.integers(0, 9)
kinds = st.lists(st.sampled_from(list(EvidenceKind)), max_size=3, unique=True)

roster = st.one_of(
    st.tuples(st.just("grid"), st.sampled_from(GRIDS)),
    st.tuples(
        st.just("building"),
        st.sampled_from(BUILDINGS),
        st.sampled_from([*GRIDS, "grid9"]),
        st.sampled_from(["g0_0", "g2_1", "g3_3", "g9_9"]),
    ),
    st.tuples(
        st.just("member"),
        st.sampled_from(MEMBERS[:-1]),
        st.sampled_from(list(MemberRole)),
        st.sampled_from([None, *GRIDS]),
        st.sampled_from([None, *BUILDINGS]),
    ),
    st.tuples(
        st.just("household"),
        st.sampled_from(HOUSEHOLDS),
        st.sampled_from(BUILDINGS),
        st.lists(st.sampled_from(list(Vulnerability)), max_size=2),
        st.booleans(),
    ),
    st.tuples(st.just("remove"), st.sampled_from(HOUSEHOLDS)),
)
tasks = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(TASKS), st.integers(-2, 48), st.integers(0, 12), kinds),
    st.tuples(
        st.just("split"),
        pick,
        st.lists(st.sampled_from(ASSIGNEES), min_size=1, max_size=3),
        # Mostly adding up to the task's points.
        st.sampled_from([0, 0, 0, 1, -1]),
    ),
    # Mostly with the evidence the task asks for; some submitted offline minutes earlier.
    st.tuples(st.just("submit"), pick, st.sampled_from([True, True, True, False]), st.integers(0, 30)),
    st.tuples(
        st.just("review"),
        pick,
        st.sampled_from(list(Verdict)),
        st.floats(0, 1, allow_nan=False),
    ),
)
incidents = st.one_of(
    st.tuples(st.just("incident"), st.sampled_from([True, True, False])),
    st.tuples(
        st.just("check"),
        pick,
        st.sampled_from(list(CheckResult)),
        st.sampled_from([None, "supply.water", "supply.water", "medical.doctor"]),
    ),
)
action = st.one_of(roster, tasks, tasks, tasks, incidents)


def _evidence(wanted: list[EvidenceKind]) -> Evidence:
    return Evidence(
        text="已完成" if EvidenceKind.TEXT in wanted else None,
        number=3 if EvidenceKind.NUMBER in wanted else None,
        photo=PHOTO if EvidenceKind.PHOTO in wanted else None,
    )


def _pick(ids: list[str], k: int, unknown: str) -> str:
    """One of ``ids`` by ``k``; ``k`` = 9 (or no ids) names ``unknown``, which may not exist."""
    return ids[k % len(ids)] if ids and k < 9 else unknown


def _pick_part(parts: list[tuple[str, str]], k: int) -> tuple[str, str]:
    return parts[k % len(parts)] if parts and k < 9 else ("t1", "p9")


def _command(
    c: Recorder, act: tuple, now_h: float
) -> GovernanceCommand | TriggerIncident | CloseIncident | None:  # type: ignore[type-arg]
    ledger = c.board.ledger
    match act:
        case ("grid", gid):
            return SaveGrid(grid=Grid(id=gid, name=f"{gid}网格"))
        case ("building", bid, grid, node):
            return SaveBuilding(building=Building(id=bid, name=f"{bid}楼", grid=grid, location=node))
        case ("member", mid, role, grid, building):
            return SaveMember(member=Member(id=mid, name=mid, role=role, grid=grid, building=building))
        case ("household", hid, building, tags, phone):
            h = Household(
                id=hid,
                building=building,
                address="2单元301",
                tags=tags,
                phone="13800001111" if phone else None,
            )
            return SaveHousehold(household=h)
        case ("remove", hid):
            return RemoveHousehold(household=hid)
        case ("issue", tid, due_h, points, wanted):
            due = hours(now_h + due_h) + timedelta(minutes=1)
            return IssueTask(
                task=Task(id=tid, title=tid, due_at=due, points=points, evidence=wanted, issued_by=STREET)
            )
        case ("split", k, assignees, off):
            # Mostly a task not yet started (sometimes any task, or one never issued).
            fresh = [
                t for t, r in sorted(ledger.tasks.items()) if not r.parts or len(r.waiting()) == len(r.parts)
            ]
            tid = _pick(fresh if k < 8 else sorted(ledger.tasks), k, "t9")
            record = ledger.tasks.get(tid)
            total = record.task.points if record else 6
            shares = [total // len(assignees)] * len(assignees)
            shares[0] += total - sum(shares) + off if total + off >= 0 else 0
            return SplitTask(
                task=tid,
                parts=tuple(
                    Part(id=f"p{i + 1}", title=f"part {i + 1}", assignee=a, points=max(0, s))
                    for i, (a, s) in enumerate(zip(assignees, shares, strict=True))
                ),
            )
        case ("submit", k, complete, offline_min):
            # Mostly a part waiting for its submission (sometimes any part, or one that is not there).
            waiting = [(t, p) for t, r in sorted(ledger.tasks.items()) for p in r.waiting()]
            every = [(t, p) for t, r in sorted(ledger.tasks.items()) for p in sorted(r.parts)]
            tid, part = _pick_part(waiting if k < 8 else every, k)
            record = ledger.tasks.get(tid)
            wanted = list(record.task.evidence) if record else []
            occurred = hours(now_h) - timedelta(minutes=offline_min) if offline_min else None
            evidence = _evidence(wanted if complete else wanted[1:])
            return SubmitPart(task=tid, part=part, evidence=evidence, occurred_at=occurred)
        case ("review", k, verdict, completion):
            # Mostly a part waiting for its review.
            submitted = [
                (t, p)
                for t, r in sorted(ledger.tasks.items())
                for p, pr in sorted(r.parts.items())
                if pr.status is PartStatus.SUBMITTED
            ]
            every = [(t, p) for t, r in sorted(ledger.tasks.items()) for p in sorted(r.parts)]
            tid, part = _pick_part(submitted if k < 8 else every, k)
            review = Review(verdict=verdict, completion=completion if verdict is Verdict.PARTIAL else None)
            return ReviewPart(task=tid, part=part, review=review)
        case ("incident", True):
            return TriggerIncident(incident=f"i{len(c.board.incidents)}", kind="flood", level=2)
        case ("incident", False):
            return CloseIncident()
        case ("check", k, result, capability):
            hid = _pick(sorted(ledger.checks), k, "h2")
            return ReportCheck(household=hid, result=result, capability=capability)
    return None


def _run(actions: list[tuple], gaps: list[int]) -> tuple[Recorder, int]:  # type: ignore[type-arg]
    c = people()
    # Two tasks to start with, one split, so that submissions and reviews have something to act on.
    issue(c, task("t1", points=7, due=hours(20), evidence=(EvidenceKind.TEXT,)))
    issue(c, task("t2", points=5, due=hours(60), evidence=(EvidenceKind.PHOTO, EvidenceKind.NUMBER)))
    split(c, "t1", ("p1", WORKER, 4), ("p2", CADRE, 3))
    now_h = 0.0
    refused = 0
    for act, gap in zip(actions, gaps, strict=False):
        now_h += gap
        run_until(c, hours(now_h))
        try:
            command = _command(c, act, now_h)
            if command is not None:
                c.handle(command, hours(now_h), WORKER)
        except (Rejected, ValidationError):
            refused += 1
    run_until(c, hours(now_h + 100))
    return c, refused


def _round_trip(log: list[Event]) -> list[Event]:
    decoded = [EVENTS.validate_json(e.model_dump_json(by_alias=True)) for e in log]
    assert decoded == log
    return decoded


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=10, max_size=40), st.lists(st.integers(0, 12), min_size=40, max_size=40))
def test_replaying_governance_rebuilds_the_ledger(actions: list[tuple], gaps: list[int]) -> None:  # type: ignore[type-arg]
    live, _ = _run(actions, gaps)
    rebuilt = Coordinator.replay(_round_trip(live.log), maps)
    assert rebuilt.board.ledger == live.board.ledger
    assert snapshot(rebuilt.board) == snapshot(live.board)
    assert rebuilt.due() == live.due()


def test_a_fixed_run_refuses_some_and_takes_some() -> None:
    # The generator's actions reach both sides of the rules.
    actions = [
        ("issue", "t1", 10, 6, []),
        ("issue", "t3", 10, 6, []),
        ("split", 0, [WORKER, CADRE], 0),
        ("split", 0, [WORKER, "nobody"], 0),
        ("submit", 0, False, 0),
        ("submit", 0, True, 5),
        ("review", 0, Verdict.PARTIAL, 0.7),
        ("incident", True),
        ("check", 0, CheckResult.NEEDS_HELP, None),
        ("check", 0, CheckResult.NEEDS_HELP, "supply.water"),
        ("household", "h4", "b1", [Vulnerability.INFANT], True),
        ("incident", False),
    ]
    live, refused = _run(actions, [1] * len(actions))
    # Refused: t1 again, a part for nobody, a submission without its text, needs_help without capability.
    assert refused == 4
    record = live.board.ledger.tasks["t1"]
    assert record.overdue and record.parts["p1"].awarded == 2.8
    assert "t3" in live.board.ledger.tasks
    rebuilt = Coordinator.replay(_round_trip(live.log), maps)
    assert rebuilt.board.ledger == live.board.ledger
    assert snapshot(rebuilt.board) == snapshot(live.board)


def test_every_governance_event_round_trips_through_json() -> None:
    c = people()
    issue(c, task("t1", points=10, evidence=(EvidenceKind.PHOTO, EvidenceKind.NUMBER)))
    issue(c, task("t2", points=4))
    split(c, "t1", ("p1", WORKER, 6), ("p2", CADRE, 4))
    split(c, "t2", ("p1", HEAD, 4))
    submit(c, "t1", "p1", hours(2), Evidence(number=12.5, photo=PHOTO), occurred_at=hours(1))
    c.handle(
        ReviewPart(task="t1", part="p1", review=Review(verdict=Verdict.RETURN, comment="重拍")),
        hours(3),
        STREET,
    )
    submit(c, "t1", "p1", hours(30), Evidence(number=13, photo=PHOTO, text="补充"))
    c.handle(
        ReviewPart(task="t1", part="p1", review=Review(verdict=Verdict.PARTIAL, completion=0.75)),
        hours(31),
        STREET,
    )
    c.handle(TriggerIncident(incident="i1", kind="flood", level=3, exercise=True), hours(32), CADRE)
    c.handle(
        ReportCheck(household="h1", result=CheckResult.NEEDS_HELP, capability="supply.water"),
        hours(33),
        WORKER,
    )
    c.handle(
        ReportCheck(household="h3", result=CheckResult.ABSENT, occurred_at=hours(32.5)), hours(33), WORKER
    )
    c.handle(RemoveHousehold(household="h2"), hours(34), CADRE)
    c.handle(IssueBuildingCodes(codes=(("b1", "c" * 20), ("b2", "d" * 20))), hours(34), CADRE)
    # A new link for b1: the old one is retired.
    c.handle(IssueBuildingCodes(codes=(("b1", "e" * 20),)), hours(34.1), CADRE)
    leak = appeal(c, "b1", AppealKind.REPAIR, "楼上漏水", hours(34.2), phone="13900001111")
    again = appeal(c, "b1", AppealKind.REPAIR, "我家也漏水了", hours(34.3))
    appeal(c, "b2", AppealKind.EMERGENCY, "困在家里", hours(34.4), rescue=True)
    question = appeal(c, "b2", AppealKind.HELP, "什么时候停水？", hours(34.5))
    water = appeal(c, "b2", AppealKind.HELP, "老人家里没水了", hours(34.6))
    c.handle(AssignAppeal(appeal=leak, member=WORKER, note="去看看"), hours(34.7), CADRE)
    c.handle(MergeAppeal(appeal=again, into=leak), hours(34.8), CADRE)
    c.handle(ReplyAppeal(appeal=question, text="明早八点恢复", resolved=True), hours(34.9), CADRE)
    c.handle(PlanAppeal(appeal=water, capability="supply.water", priority=4), hours(35), CADRE)
    c.handle(CompleteAppeal(appeal=leak, note="已修好"), hours(36), WORKER)
    c.handle(RateAppeal(appeal=leak, stars=5, comment="很快"), hours(37), "resident:b1")
    run_until(c, hours(40))
    assert {e.type for e in c.log} >= GOVERNANCE_TYPES
    rebuilt = Coordinator.replay(_round_trip(c.log), maps)
    assert rebuilt.board.ledger == c.board.ledger
    assert snapshot(rebuilt.board) == snapshot(c.board)
