"""A small community with its people and places, to drive governance through the real coordinator.

Built on the coordinator tests' world (a 4×4 street grid g0_0..g3_3, organisations o1/o2, one unit of
supply.water at g0_1 and one at g3_3). Time is simulated: ``at(seconds)`` from T0, ``hours(h)`` likewise.
"""

from datetime import datetime, timedelta

import pytest

from engine.coordinator import Command, Coordinator, Event, Rejected
from engine.governance.appeals import Appeal, AppealKind, Urgency
from engine.governance.commands import (
    IssueTask,
    SaveBuilding,
    SaveGrid,
    SaveHousehold,
    SaveMember,
    SplitTask,
    SubmitAppeal,
    SubmitPart,
)
from engine.governance.ids import AppealId
from engine.governance.people import Building, Grid, Household, Member, MemberRole, Vulnerability
from engine.governance.tasks import Evidence, EvidenceKind, Part, Task
from engine.rules import Profile
from tests.coordinator.world import PROFILE, T0, Recorder, at, community

__all__ = ["PROFILE", "T0", "Recorder", "at", "community"]

PHOTO = "ab" * 32
# The head acts on the community's behalf; the street issues and reviews tasks.
HEAD, CADRE, WORKER, CAPTAIN = "head", "cadre1", "gw1", "cap1"
STREET = "street-s1"


def hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def people(profile: Profile = PROFILE) -> Recorder:
    """Grids grid1/grid2; buildings b1 (grid1, at g0_0) and b2 (grid2, at g3_3); a head, a cadre, a grid
    worker of grid1 and a captain of b1; households h1 (b1, elderly alone, with a phone), h2 (b2, no tags)
    and h3 (b2, disabled with an infant)."""
    c = community(profile)
    for command in (
        SaveGrid(grid=Grid(id="grid1", name="一网格")),
        SaveGrid(grid=Grid(id="grid2", name="二网格")),
        SaveBuilding(building=Building(id="b1", name="1号楼", grid="grid1", location="g0_0")),
        SaveBuilding(building=Building(id="b2", name="2号楼", grid="grid2", location="g3_3")),
        SaveMember(member=Member(id=HEAD, name="李书记", role=MemberRole.HEAD)),
        SaveMember(member=Member(id=CADRE, name="张干部", role=MemberRole.CADRE)),
        SaveMember(member=Member(id=WORKER, name="王网格", role=MemberRole.GRID_WORKER, grid="grid1")),
        SaveMember(member=Member(id=CAPTAIN, name="赵楼长", role=MemberRole.CAPTAIN, building="b1")),
        SaveHousehold(household=household("h1", "b1", Vulnerability.ELDERLY_ALONE, phone="13812345678")),
        SaveHousehold(household=household("h2", "b2")),
        SaveHousehold(household=household("h3", "b2", Vulnerability.DISABLED, Vulnerability.INFANT)),
    ):
        c.handle(command, at(0), "setup")
    return c


def household(hid: str, building: str, *tags: Vulnerability, phone: str | None = None) -> Household:
    return Household(
        id=hid, building=building, address=f"1单元{hid}", tags=tags, contact="陈阿姨", phone=phone
    )


def task(
    tid: str = "t1",
    points: int = 10,
    due: datetime | None = None,
    evidence: tuple[EvidenceKind, ...] = (),
) -> Task:
    return Task(
        id=tid,
        title="走访独居老人",
        due_at=due or hours(24),
        points=points,
        evidence=evidence,
        issued_by=STREET,
    )


def issue(c: Coordinator, t: Task | None = None, when: datetime | None = None) -> Task:
    t = t or task()
    c.handle(IssueTask(task=t), when or at(0), STREET)
    return t


def parts(*spec: tuple[str, str, int]) -> tuple[Part, ...]:
    return tuple(Part(id=pid, title=f"第{pid}部分", assignee=who, points=p) for pid, who, p in spec)


def split(c: Coordinator, tid: str, *spec: tuple[str, str, int], when: datetime | None = None) -> None:
    c.handle(SplitTask(task=tid, parts=parts(*spec)), when or at(0), HEAD)


def submit(
    c: Coordinator,
    tid: str,
    pid: str,
    when: datetime,
    evidence: Evidence | None = None,
    occurred_at: datetime | None = None,
) -> list[Event]:
    command = SubmitPart(
        task=tid, part=pid, evidence=evidence or Evidence(text="走访完成"), occurred_at=occurred_at
    )
    return [s.event for s in c.handle(command, when, WORKER)]


def rejected(c: Coordinator, command: Command, when: datetime | None = None, actor: str = HEAD) -> Rejected:
    """The refusal ``command`` meets; the board must not change."""
    before = c.board.events
    with pytest.raises(Rejected) as info:
        c.handle(command, when or at(0), actor)
    assert c.board.events == before
    return info.value


def events(c: Coordinator, command: Command, when: datetime | None = None, actor: str = HEAD) -> list[Event]:
    return [s.event for s in c.handle(command, when or at(0), actor)]


def run_until(c: Coordinator, until: datetime) -> list[Event]:
    """Advance simulated time to ``until``, ticking at every deadline on the way."""
    done: list[Event] = []
    while (due := c.due()) is not None and due <= until:
        done.extend(s.event for s in c.tick(due))
    return done


def appeal(
    c: Recorder,
    building: str,
    kind: AppealKind,
    note: str,
    when: datetime,
    *,
    rescue: bool = False,
    urgency: Urgency = Urgency.NORMAL,
    phone: str | None = None,
) -> AppealId:
    """A resident's appeal from ``building``'s page; its id (the board numbers them)."""
    receipt = f"{len(c.board.ledger.appeals) + 1:0>10}".translate(str.maketrans("01", "AB"))
    c.handle(
        SubmitAppeal(
            appeal=Appeal(
                id=AppealId(""), building=building, kind=kind, note=note, rescue=rescue, urgency=urgency
            ),
            receipt=receipt,
            contact_phone=phone,
        ),
        when,
        f"resident:{building}",
    )
    return c.board.ledger.receipts[receipt]
