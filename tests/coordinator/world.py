"""A small community to drive the coordinator with: a 4×4 street grid, a handful of organisations."""

from datetime import UTC, datetime, timedelta

from engine.coordinator import (
    Command,
    Coordinator,
    Event,
    RegisterCommunity,
    RegisterOrganisation,
    ReportNeed,
    SaveResource,
    Step,
)
from engine.matching.document import Grid, Travel
from engine.model import Community, Need, Organisation, OrganisationKind, Resource
from engine.rules import Profile, load_profile
from engine.travel import RoadGraph

T0 = datetime(2026, 7, 21, 8, 0, tzinfo=UTC)
MAP = Travel(grid=Grid(rows=4, cols=4, edge_s=60))
PROFILE = load_profile(
    """
name: drill_test
title_zh: 测试
title_en: Test
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 300
  escalate_after_s: 900
  normal_match_every_s: 600
rules: []
""",
    "drill_test.yaml",
)


def maps(spec: Travel) -> RoadGraph:
    return spec.road_graph()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Recorder(Coordinator):
    """A coordinator that keeps its event log, as the service's database does."""

    def __init__(self) -> None:
        super().__init__(maps)
        self.log: list[Event] = []

    def handle(self, command: Command, at: datetime, actor: str) -> list[Step]:
        steps = super().handle(command, at, actor)
        self.log.extend(s.event for s in steps)
        return steps

    def tick(self, now: datetime) -> list[Step]:
        steps = super().tick(now)
        self.log.extend(s.event for s in steps)
        return steps


def community(profile: Profile = PROFILE) -> Recorder:
    c = Recorder()
    c.handle(
        RegisterCommunity(
            community=Community(id="c1", street="s1", profile=profile.name, name="测试社区"),
            profile=profile,
            map=MAP,
        ),
        at(0),
        "setup",
    )
    for org in ("o1", "o2"):
        c.handle(
            RegisterOrganisation(
                organisation=Organisation(id=org, kind=OrganisationKind.VOLUNTEER_TEAM, community="c1")
            ),
            at(0),
            "setup",
        )
    for rid, org, loc in (("near", "o1", "g0_1"), ("far", "o2", "g3_3")):
        resource = Resource(id=rid, organisation=org, capability="supply.water", quantity=1, location=loc)
        c.handle(SaveResource(resource=resource), at(0), "setup")
    return c


def report(c: Coordinator, need_id: str, when: float, priority: int = 3, **kw: object) -> list[Step]:
    fields: dict[str, object] = {
        "id": need_id,
        "capability": "supply.water",
        "quantity": 1,
        "location": "g0_0",
        "priority": priority,
        "reported_at": at(when),
        **kw,
    }
    return c.handle(ReportNeed(need=Need.model_validate(fields)), at(when), "grid1")


def run_until(c: Coordinator, until: float) -> list[Step]:
    """Advance simulated time to ``until`` seconds, ticking at every deadline on the way."""
    steps: list[Step] = []
    while (due := c.due()) is not None and due <= at(until):
        steps.extend(c.tick(due))
    return steps
