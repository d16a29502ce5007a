"""A street of two communities (a, b) on one 4×4 grid, and the street's own pool, to drive joint plans with."""

from datetime import datetime

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
from engine.coordinator.commands import RegisterStreet, TriggerIncident
from engine.coordinator.refs import street_key
from engine.coordinator.street import Street
from engine.model import Community, Need, Organisation, OrganisationKind, Resource
from engine.model.ids import StreetId
from engine.rules import Profile, load_profile
from tests.coordinator.world import MAP, at, maps

SHARING = """
name: street_test
title_zh: 测试
title_en: Test
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 300
  escalate_after_s: 900
  normal_match_every_s: 600
sharing: {sharing}
rules: {rules}
"""


def profile(sharing: str = "{}", rules: str = "[]") -> Profile:
    return load_profile(SHARING.format(sharing=sharing, rules=rules), "street_test.yaml")


class StreetWorld:
    """Street s1 with its own board and communities, each keeping its event log."""

    def __init__(self) -> None:
        self.street = Street(StreetId("s1"))
        self.logs: dict[str, list[Event]] = {}

    def handle(self, key: str, command: Command, when: float, actor: str = "setup") -> list[Step]:
        if key not in self.street.coordinators:
            self.street.add(key, Coordinator(maps))
        steps = self.street.handle(key, command, at(when), actor)
        self.logs.setdefault(key, []).extend(s.event for s in steps)
        return steps

    def tick(self, until: float) -> None:
        while (due := self.street.due()) is not None and due <= at(until):
            for key, steps in self.street.tick(due).items():
                self.logs.setdefault(key, []).extend(s.event for s in steps)

    def community(self, key: str, sharing: str = "{}", rules: str = "[]") -> None:
        p = profile(sharing, rules)
        community = Community(id=key, street="s1", profile=p.name)
        self.handle(key, RegisterCommunity(community=community, profile=p, map=MAP), 0)
        self.handle(
            key,
            RegisterOrganisation(
                organisation=Organisation(
                    id=f"{key}-org", kind=OrganisationKind.VOLUNTEER_TEAM, community=key
                )
            ),
            0,
        )

    def street_pool(self, organisations: tuple[str, ...] = ("pool-org",)) -> str:
        key = street_key("s1")
        self.handle(
            key, RegisterStreet(street=StreetId("s1"), name="测试街道", profile=profile(), map=MAP), 0
        )
        for org in organisations:
            organisation = Organisation(id=org, kind=OrganisationKind.SOCIAL_ORGANISATION)
            self.handle(key, RegisterOrganisation(organisation=organisation), 0)
        return key

    def unit(
        self,
        key: str,
        rid: str,
        location: str,
        capability: str = "rescue.boat",
        quantity: int = 1,
        organisation: str | None = None,
    ) -> None:
        org = organisation or ("pool-org" if key.startswith("street:") else f"{key}-org")
        resource = Resource(
            id=rid, organisation=org, capability=capability, quantity=quantity, location=location
        )
        self.handle(key, SaveResource(resource=resource), 0)

    def need(
        self,
        key: str,
        nid: str,
        when: float,
        location: str = "g0_0",
        priority: int = 5,
        capability: str = "rescue.boat",
    ) -> None:
        need = Need(
            id=nid,
            capability=capability,
            quantity=1,
            location=location,
            priority=priority,
            reported_at=at(when),
        )
        self.handle(key, ReportNeed(need=need), when, "grid")

    def incident(self, key: str, when: float = 0) -> None:
        self.handle(key, TriggerIncident(incident=f"{key}-i1", kind="flood", level=2), when)

    def board(self, key: str):  # type: ignore[no-untyped-def]
        return self.street.coordinators[key].board

    def dispatches(self, key: str) -> list[tuple[str, str, str, str | None]]:
        """(need, resource, status, approval) of every dispatch on the board."""
        return sorted(
            (d.need, d.resource, d.status.value, "approval" if d.approval else None)
            for d in self.board(key).dispatches.values()
        )

    def assignment(self, key: str, need: str):  # type: ignore[no-untyped-def]
        plan = self.board(key).plan
        assert plan is not None
        return next(a for a in plan.assignments if a.need == need)

    def unmet(self, key: str, need: str):  # type: ignore[no-untyped-def]
        plan = self.board(key).plan
        assert plan is not None
        return next(u for u in plan.unmet if u.need == need)


def now(seconds: float) -> datetime:
    return at(seconds)
