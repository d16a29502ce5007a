"""A drill scenario (演练场景): the community, its map and pool, a timeline of events, and what is expected.

The model is what a scenario file holds once parsed; :func:`check` finds what the model alone cannot (an
event naming a resource that does not exist, a place off the map, an event before the incident starts).
Both only describe problems: reading files and naming lines is the caller's business.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, WithJsonSchema, model_validator

from engine.matching.document import Travel
from engine.model.entities import (
    CapabilityName,
    Community,
    Labels,
    Need,
    Organisation,
    OrganisationKind,
    Resource,
    TeamPart,
)
from engine.model.frozen import Frozen
from engine.model.ids import Capability, CommunityId, NeedId, NodeId, OrganisationId, ResourceId, StreetId
from engine.model.priority import LOWEST, Priority
from engine.model.quantity import Quantity, Stock
from engine.rules.profile import DispatchSettings, Profile
from engine.travel import RoadGraph

_CLOCK = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d)$")


def _offset(value: Any) -> Any:
    """Seconds from the start: a whole number, or ``"H:MM:SS"`` / ``"MM:SS"`` as text."""
    if isinstance(value, str):
        match = _CLOCK.match(value.strip())
        if match is None:
            raise ValueError(f"a time is seconds or 'H:MM:SS' / 'MM:SS'; got {value!r}")
        hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    return value


Offset = Annotated[
    int,
    BeforeValidator(_offset),
    Field(ge=0, strict=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^(\d+:)?[0-5]?\d:[0-5]\d$"},
            ],
            "description": "seconds, or 'H:MM:SS' / 'MM:SS'",
        }
    ),
]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


def clock(seconds: float) -> str:
    """``H:MM:SS`` for an offset, as scenario files and reports write times."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


# -- the community, its pool, how people answer ---------------------------------------------------------


class ScenarioCommunity(Frozen):
    """The community (社区) or village (村) that runs the incident, and the governance profile it runs under.

    ``profile`` is a shipped profile name or a YAML file beside the scenario. ``disable_rules`` switches named
    rules of it off for this drill (to test a plan without them); ``dispatch`` replaces its dispatch settings.
    """

    id: CommunityId = Field(min_length=1)
    street: StreetId = Field(min_length=1)
    name: str = ""
    profile: str = Field(min_length=1)
    disable_rules: tuple[Name, ...] = ()
    dispatch: DispatchSettings | None = None

    def community(self) -> Community:
        return Community(id=self.id, street=self.street, profile=self.profile, name=self.name)


class Responder(Frozen):
    """How an organisation answers a dispatch in the drill, drawn from the seed.

    It acknowledges ``ack_s`` seconds after it is notified (uniform between the two bounds) and sets off
    ``setoff_s`` after that; with probability ``decline`` it declines instead, with ``silent`` it never
    answers (the profile's acknowledgement timeout then passes the need to someone else).
    """

    ack_s: tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]] = (30, 180)
    setoff_s: tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]] = (0, 120)
    decline: Share = 0.0
    silent: Share = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> "Responder":
        for name in ("ack_s", "setoff_s"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"{name}: the first bound is above the second ({low} > {high})")
        if self.decline + self.silent > 1.0:
            raise ValueError("decline + silent: together more than 1")
        return self


class ScenarioOrganisation(Frozen):
    """A member of the pool. ``pool: street`` puts it in the street's pool (not in the community)."""

    id: OrganisationId = Field(min_length=1)
    kind: OrganisationKind
    name: str = ""
    pool: Literal["community", "street"] = "community"
    responds: Responder | None = None

    def organisation(self, community: CommunityId) -> Organisation:
        return Organisation(
            id=self.id,
            kind=self.kind,
            name=self.name,
            community=community if self.pool == "community" else None,
        )


class DrillSettings(Frozen):
    """How the drill runs: when it starts and ends, how fast cadres confirm, how long work on site takes."""

    start: AwareDatetime = datetime.fromisoformat("2026-07-21T08:00:00+08:00")
    duration: Offset
    # A cadre confirms a proposal this long after it appears (unless the profile confirms it at once).
    confirm_after_s: int = Field(default=60, ge=0)
    # Seconds on site until the work is done, per capability; others take ``default_service_s``.
    service_s: dict[CapabilityName, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)
    default_service_s: int = Field(default=900, gt=0)
    responders: Responder = Responder()


# -- needs and the timeline ---------------------------------------------------------------------------


class ScenarioNeed(Frozen):
    """A need as a grid worker reports it (when, and for which community, the drill fills in)."""

    id: NeedId = Field(min_length=1)
    capability: CapabilityName
    quantity: Quantity = 1
    location: NodeId = Field(min_length=1)
    priority: Priority
    requires: Labels = ()
    tags: Labels = ()
    max_travel_s: int | None = Field(default=None, gt=0)
    team: tuple[TeamPart, ...] = ()
    all_or_nothing: bool = False
    reported_by: str | None = None
    note: str = ""

    def need(self, community: CommunityId, at: datetime) -> Need:
        return Need(community=community, reported_at=at, **self.model_dump(exclude_none=True))


class _At(Frozen):
    at: Offset
    note: str = ""


class IncidentStarts(_At):
    """A cadre switches the community to incident mode (应急模式); the drill marks it as an exercise."""

    event: Literal["incident"]
    kind: str = Field(min_length=1, max_length=64)
    level: int = Field(ge=1, le=4)


class LevelChanges(_At):
    event: Literal["level"]
    level: int = Field(ge=1, le=4)


class NeedReported(_At):
    event: Literal["need"]
    need: ScenarioNeed


class NeedCancelled(_At):
    event: Literal["cancel"]
    need: NeedId
    reason: str = ""


class ResourceOffline(_At):
    event: Literal["offline"]
    resource: ResourceId


class ResourceOnline(_At):
    event: Literal["online"]
    resource: ResourceId


class ResourceQuantity(_At):
    """A resource's stock or head count changes (restocked, people arrive or leave)."""

    event: Literal["quantity"]
    resource: ResourceId
    quantity: Stock


class RoadCloses(_At):
    """A road closes, both ways unless ``one_way`` (then from → to only)."""

    event: Literal["close_road"]
    source: NodeId = Field(alias="from", min_length=1)
    target: NodeId = Field(alias="to", min_length=1)
    one_way: bool = False


class RoadReopens(_At):
    event: Literal["reopen_road"]
    source: NodeId = Field(alias="from", min_length=1)
    target: NodeId = Field(alias="to", min_length=1)


class OrganisationDeclines(_At):
    """From ``at`` for ``for_s`` seconds (default: to the end), the organisation declines what it is sent."""

    event: Literal["declines"]
    organisation: OrganisationId
    for_s: int | None = Field(default=None, gt=0)


class OrganisationSilent(_At):
    """From ``at`` for ``for_s`` seconds (default: to the end), the organisation does not acknowledge."""

    event: Literal["silent"]
    organisation: OrganisationId
    for_s: int | None = Field(default=None, gt=0)


class CadreOverrides(_At):
    """A cadre sends ``resource`` instead of what was planned for ``need`` (its first changeable dispatch
    of that capability). If nothing is planned for the need then, the drill notes it and goes on."""

    event: Literal["override"]
    need: NeedId
    resource: ResourceId


class IncidentCloses(_At):
    event: Literal["close_incident"]


TimelineEvent = Annotated[
    IncidentStarts
    | LevelChanges
    | NeedReported
    | NeedCancelled
    | ResourceOffline
    | ResourceOnline
    | ResourceQuantity
    | RoadCloses
    | RoadReopens
    | OrganisationDeclines
    | OrganisationSilent
    | CadreOverrides
    | IncidentCloses,
    Field(discriminator="event"),
]


# -- expectations ---------------------------------------------------------------------------------------


class ReachWithin(Frozen):
    """At least ``share`` (default: every one) of the needs of ``priority`` or above (after the profile's
    adjustments) have a first unit on site within ``within`` of being reported. Cancelled needs do not count."""

    expect: Literal["reach_within"]
    name: str | None = None
    priority: Priority
    within: Offset
    share: Share = 1.0

    def title(self) -> str:
        every = "every" if self.share == 1.0 else f"{self.share:.0%} of"
        return self.name or f"{every} priority-{self.priority}+ need reached within {clock(self.within)}"


class MaxUnmet(Frozen):
    """At the end of the drill, at most ``count`` needs of ``priority`` or above are still unmet."""

    expect: Literal["max_unmet"]
    name: str | None = None
    count: int = Field(ge=0)
    priority: Priority = LOWEST

    def title(self) -> str:
        return self.name or f"at most {self.count} priority-{self.priority}+ needs unmet at the end"


class MinServed(Frozen):
    """At the end, at least ``share`` of the needs of ``priority`` or above are served (work done)."""

    expect: Literal["min_served"]
    name: str | None = None
    priority: Priority = LOWEST
    share: Share

    def title(self) -> str:
        return self.name or f"at least {self.share:.0%} of priority-{self.priority}+ needs served"


Expectation = Annotated[ReachWithin | MaxUnmet | MinServed, Field(discriminator="expect")]


class Scenario(Frozen):
    """A drill: who takes part, on what map, what happens when, and what the community expects."""

    name: Name
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    description: str = ""
    community: ScenarioCommunity
    map: Travel
    settings: DrillSettings
    organisations: tuple[ScenarioOrganisation, ...] = Field(min_length=1)
    resources: tuple[Resource, ...] = Field(min_length=1)
    timeline: tuple[TimelineEvent, ...] = Field(min_length=1)
    expectations: tuple[Expectation, ...] = ()

    def at(self, offset: float) -> datetime:
        return self.settings.start + timedelta(seconds=offset)

    def needs(self) -> dict[NeedId, ScenarioNeed]:
        return {e.need.id: e.need for e in self.timeline if isinstance(e, NeedReported)}

    def cancelled(self) -> set[NeedId]:
        return {e.need for e in self.timeline if isinstance(e, NeedCancelled)}

    def organisation(self, organisation: OrganisationId) -> ScenarioOrganisation:
        return next(o for o in self.organisations if o.id == organisation)

    def responder(self, organisation: OrganisationId) -> Responder:
        return self.organisation(organisation).responds or self.settings.responders

    def service_s(self, capability: Capability) -> int:
        return self.settings.service_s.get(capability, self.settings.default_service_s)

    @property
    def end(self) -> int:
        return max(self.settings.duration, max(e.at for e in self.timeline))


def effective_profile(profile: Profile, scenario: Scenario) -> Profile:
    """The profile as this drill runs it: named rules switched off, dispatch settings replaced."""
    community = scenario.community
    rules = tuple(r for r in profile.rules if r.name not in community.disable_rules)
    # The scenario's dispatch settings replace only what they name.
    dispatch = profile.dispatch
    if community.dispatch is not None:
        dispatch = dispatch.model_copy(update=community.dispatch.model_dump(exclude_unset=True))
    return profile.model_copy(update={"rules": rules, "dispatch": dispatch})


# -- checks the model cannot make -----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: ``path`` walks the scenario document (keys and list positions)."""

    path: tuple[str | int, ...]
    message: str


def check(scenario: Scenario, graph: RoadGraph, profile: Profile) -> list[Problem]:
    """Everything wrong with ``scenario`` that needs the map, the profile or cross-references, in file order."""
    problems: list[Problem] = []
    rule_names = {r.name for r in profile.rules}
    for i, name in enumerate(scenario.community.disable_rules):
        if name not in rule_names:
            known = ", ".join(sorted(rule_names)) or "none"
            problems.append(
                Problem(
                    ("community", "disable_rules", i),
                    f"profile {profile.name!r} has no rule {name!r} (its rules: {known})",
                )
            )
    problems += _unique(("organisations",), (o.id for o in scenario.organisations), "organisation")
    problems += _unique(("resources",), (r.id for r in scenario.resources), "resource")
    organisations = {o.id for o in scenario.organisations}
    for i, r in enumerate(scenario.resources):
        if r.organisation not in organisations:
            problems.append(
                Problem(("resources", i, "organisation"), f"unknown organisation {r.organisation!r}")
            )
        if not graph.has_node(r.location):
            problems.append(Problem(("resources", i, "location"), _off_map(r.location, graph)))
    problems += _check_timeline(scenario, graph, organisations)
    return problems


def _check_timeline(
    scenario: Scenario, graph: RoadGraph, organisations: set[OrganisationId]
) -> list[Problem]:
    problems: list[Problem] = []
    resources = {r.id: r for r in scenario.resources}
    starts = [i for i, e in enumerate(scenario.timeline) if isinstance(e, IncidentStarts)]
    closes = [i for i, e in enumerate(scenario.timeline) if isinstance(e, IncidentCloses)]
    if not starts:
        problems.append(Problem(("timeline",), "no event starts the incident (event: incident)"))
    for i in starts[1:]:
        problems.append(Problem(("timeline", i, "event"), "the incident is started twice; a drill runs one"))
    for i in closes[1:]:
        problems.append(Problem(("timeline", i, "event"), "the incident is closed twice"))
    start = starts[0] if starts else None
    reported: dict[NeedId, int] = {}
    previous = 0
    for i, event in enumerate(scenario.timeline):
        where = ("timeline", i)
        incident_at = scenario.timeline[start].at if start is not None else None
        if (
            start is not None
            and incident_at is not None
            and i != start
            and (i < start or event.at < incident_at)
        ):
            problems.append(
                Problem(
                    (*where, "at"), f"event before the incident starts (it starts at {clock(incident_at)})"
                )
            )
        elif event.at < previous:
            problems.append(
                Problem(
                    (*where, "at"), f"{clock(event.at)} comes before the event above it ({clock(previous)})"
                )
            )
        previous = max(previous, event.at)
        if closes and i > closes[0] and isinstance(event, LevelChanges):
            problems.append(Problem((*where, "event"), "the level changes after the incident is closed"))
        match event:
            case NeedReported(need=need):
                if need.id in reported:
                    problems.append(
                        Problem(
                            (*where, "need", "id"),
                            f"need {need.id!r} is already reported by event #{reported[need.id] + 1}",
                        )
                    )
                reported.setdefault(need.id, i)
                if not graph.has_node(need.location):
                    problems.append(Problem((*where, "need", "location"), _off_map(need.location, graph)))
            case NeedCancelled(need=need_id):
                if need_id not in reported:
                    problems.append(
                        Problem((*where, "need"), f"unknown need {need_id!r} (not reported before this)")
                    )
            case CadreOverrides(need=need_id, resource=resource_id):
                if need_id not in reported:
                    problems.append(
                        Problem((*where, "need"), f"unknown need {need_id!r} (not reported before this)")
                    )
                elif resource_id in resources:
                    reported_need = scenario.timeline[reported[need_id]]
                    assert isinstance(reported_need, NeedReported)
                    wanted = {reported_need.need.capability, *(p.capability for p in reported_need.need.team)}
                    offered = resources[resource_id].capability
                    if offered not in wanted:
                        problems.append(
                            Problem(
                                (*where, "resource"),
                                f"{resource_id!r} offers {offered!r}; need {need_id!r} wants {' or '.join(sorted(wanted))}",
                            )
                        )
                if resource_id not in resources:
                    problems.append(Problem((*where, "resource"), f"unknown resource {resource_id!r}"))
            case (
                ResourceOffline(resource=resource_id)
                | ResourceOnline(resource=resource_id)
                | ResourceQuantity(resource=resource_id)
            ):
                if resource_id not in resources:
                    problems.append(Problem((*where, "resource"), f"unknown resource {resource_id!r}"))
            case OrganisationDeclines(organisation=org) | OrganisationSilent(organisation=org):
                if org not in organisations:
                    problems.append(Problem((*where, "organisation"), f"unknown organisation {org!r}"))
            case RoadCloses() | RoadReopens():
                for name, node in (("from", event.source), ("to", event.target)):
                    if not graph.has_node(node):
                        problems.append(Problem((*where, name), _off_map(node, graph)))
                if graph.has_node(event.source) and graph.has_node(event.target):
                    try:
                        graph.open_graph().edge_seconds(event.source, event.target)
                    except ValueError:
                        problems.append(
                            Problem(
                                (*where, "to"), f"there is no road {event.source}–{event.target} on the map"
                            )
                        )
            case _:
                pass
    return problems


def _unique(path: tuple[str, ...], ids: Iterable[str], what: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for i, ident in enumerate(ids):
        if ident in seen:
            problems.append(Problem((*path, i, "id"), f"{what} id {ident!r} is used twice"))
        seen.add(ident)
    return problems


def _off_map(node: str, graph: RoadGraph) -> str:
    example = ", ".join(graph.nodes[:3])
    return f"{node!r} is off the map (no such node; the map's nodes look like {example}, ...)"
