"""A drill scenario (演练场景): the community, its map and pool, a timeline of events, and what is expected.

A scenario is one community on its own (``community``), or a street (``street`` and ``communities``): several
communities with their own profiles and pools on one street map, and the street's own pool. The model is what
a scenario file holds once parsed; :func:`check` finds what the model alone cannot (an event naming a resource
that does not exist, a place off the map, an event before the incident starts, an id used twice in the
street). Both only describe problems: reading files and naming lines is the caller's business.
"""

import re
from collections.abc import Iterable, Mapping
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
from engine.model.priority import LIFE_SAFETY, LOWEST, Priority
from engine.model.quantity import Quantity, Stock
from engine.model.warning import OfficialWarning
from engine.rules.profile import DispatchSettings, Profile, SharingSettings
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


class _Member(Frozen):
    """What a community taking part in a drill says about itself."""

    id: CommunityId = Field(min_length=1)
    name: str = ""
    profile: str = Field(min_length=1)
    disable_rules: tuple[Name, ...] = ()
    dispatch: DispatchSettings | None = None
    # Replaces what it names of the profile's sharing settings (how it lends its units to the other
    # communities of its street).
    sharing: SharingSettings | None = None

    def community(self, street: StreetId) -> Community:
        return Community(id=self.id, street=street, profile=self.profile, name=self.name)


class ScenarioCommunity(_Member):
    """The community (社区) or village (村) that runs the incident, and the governance profile it runs under.

    ``profile`` is a shipped profile name or a YAML file beside the scenario. ``disable_rules`` switches named
    rules of it off for this drill (to test a plan without them); ``dispatch`` and ``sharing`` replace what
    they name of its dispatch and sharing settings.
    """

    street: StreetId = Field(min_length=1)


class StreetCommunity(_Member):
    """One community of the street (its ``profile``, ``disable_rules``, ``dispatch`` and ``sharing`` as for a
    community on its own)."""


class ScenarioStreet(Frozen):
    """The street office (街道) whose communities take part. Its own pool (organisations with ``pool: street``)
    serves every community; ``profile`` is the one its pool's board runs under (default: the first
    community's)."""

    id: StreetId = Field(min_length=1)
    name: str = ""
    profile: str | None = Field(default=None, min_length=1)


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
    """A member of the pool. ``pool: street`` puts it in the street's pool; in a street of several
    communities, ``community`` names the community whose pool it is in (a community on its own: that one)."""

    id: OrganisationId = Field(min_length=1)
    kind: OrganisationKind
    name: str = ""
    pool: Literal["community", "street"] = "community"
    community: CommunityId | None = Field(default=None, min_length=1)
    responds: Responder | None = None

    def organisation(self, community: CommunityId | None) -> Organisation:
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
    # The street desk (街道值班), in a street of several communities: it approves a dispatch of another
    # community's units this long after it is proposed (when the lender's profile asks for the street's
    # approval), and answers a need escalated to it this long after the escalation.
    street_approve_after_s: int = Field(default=120, ge=0)
    street_answer_after_s: int = Field(default=180, ge=0)


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


class _In(_At):
    """An event in a community. In a street of several communities, ``community`` names it: a need's
    community must be named; an event about a need or a resource happens where that need or resource is;
    an incident, a level, its close and a road closure left unnamed happen in every community."""

    community: CommunityId | None = Field(default=None, min_length=1)


class IncidentStarts(_In):
    """A cadre switches the community to incident mode (应急模式); the drill marks it as an exercise."""

    event: Literal["incident"]
    kind: str = Field(min_length=1, max_length=64)
    level: int = Field(ge=1, le=4)


class WarningArrives(_In):
    """An official warning (a CAP 1.2 alert, ``cap``: its file beside the scenario) covers the community: its
    proposal to start incident mode comes in front of the cadres, who accept it ``accept_after_s`` later (the
    incident then starts at the kind and level the profile suggests); without ``accept_after_s`` the proposal
    waits, and an ``incident`` event starts the incident as the cadre chooses. The drill reads the file
    (api/drill/loader.py) into ``warning``, marked as an exercise."""

    event: Literal["warning"]
    cap: str = Field(min_length=1, pattern=r"\.xml$")
    accept_after_s: int | None = Field(default=None, ge=0)
    warning: OfficialWarning | None = None

    @property
    def starts_at(self) -> int | None:
        """When accepting it starts the incident (None: it does not)."""
        return None if self.accept_after_s is None else self.at + self.accept_after_s


class LevelChanges(_In):
    event: Literal["level"]
    level: int = Field(ge=1, le=4)


class NeedReported(_In):
    event: Literal["need"]
    need: ScenarioNeed


class NeedCancelled(_In):
    event: Literal["cancel"]
    need: NeedId
    reason: str = ""


class ResourceOffline(_In):
    event: Literal["offline"]
    resource: ResourceId


class ResourceOnline(_In):
    event: Literal["online"]
    resource: ResourceId


class ResourceQuantity(_In):
    """A resource's stock or head count changes (restocked, people arrive or leave)."""

    event: Literal["quantity"]
    resource: ResourceId
    quantity: Stock


class RoadCloses(_In):
    """A road closes, both ways unless ``one_way`` (then from → to only)."""

    event: Literal["close_road"]
    source: NodeId = Field(alias="from", min_length=1)
    target: NodeId = Field(alias="to", min_length=1)
    one_way: bool = False


class RoadReopens(_In):
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


class CadreOverrides(_In):
    """A cadre sends ``resource`` instead of what was planned for ``need`` (its first changeable dispatch
    of that capability). If nothing is planned for the need then, the drill notes it and goes on."""

    event: Literal["override"]
    need: NeedId
    resource: ResourceId


class IncidentCloses(_In):
    event: Literal["close_incident"]


TimelineEvent = Annotated[
    IncidentStarts
    | WarningArrives
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


class StreetAhead(Frozen):
    """In a street of several communities: with the street (its own pool and the units communities lend) at
    least ``more`` more needs of ``priority`` or above are reached in time (within the profile's response
    target) than when each community runs alone with its own pool: same seed, same dispatcher."""

    expect: Literal["street_ahead"]
    name: str | None = None
    priority: Priority = LIFE_SAFETY
    more: int = Field(default=1, ge=1)

    def title(self) -> str:
        return self.name or (
            f"with the street, {self.more} or more priority-{self.priority}+ needs more reached in time "
            "than each community alone"
        )


Expectation = Annotated[ReachWithin | MaxUnmet | MinServed | StreetAhead, Field(discriminator="expect")]


class Scenario(Frozen):
    """A drill: who takes part, on what map, what happens when, and what the community expects.

    One community on its own gives ``community``; a street gives ``street`` and its ``communities``.
    """

    name: Name
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    description: str = ""
    community: ScenarioCommunity | None = None
    street: ScenarioStreet | None = None
    communities: tuple[StreetCommunity, ...] = ()
    map: Travel
    settings: DrillSettings
    organisations: tuple[ScenarioOrganisation, ...] = Field(min_length=1)
    resources: tuple[Resource, ...] = Field(min_length=1)
    timeline: tuple[TimelineEvent, ...] = Field(min_length=1)
    expectations: tuple[Expectation, ...] = ()

    def at(self, offset: float) -> datetime:
        return self.settings.start + timedelta(seconds=offset)

    @property
    def is_street(self) -> bool:
        """A street of communities (``street`` and ``communities``), not one community on its own."""
        return self.community is None

    def members(self) -> tuple[_Member, ...]:
        """The communities taking part, in file order."""
        return (self.community,) if self.community is not None else self.communities

    def member(self, community: CommunityId) -> _Member:
        return next(m for m in self.members() if m.id == community)

    @property
    def street_id(self) -> StreetId:
        if self.community is not None:
            return self.community.street
        assert self.street is not None
        return self.street.id

    def needs(self) -> dict[NeedId, ScenarioNeed]:
        return {e.need.id: e.need for e in self.timeline if isinstance(e, NeedReported)}

    def need_community(self) -> dict[NeedId, CommunityId]:
        """The community each need is reported in (the first report of an id)."""
        out: dict[NeedId, CommunityId] = {}
        for e in self.timeline:
            if isinstance(e, NeedReported) and (where := self._named(e)) is not None:
                out.setdefault(e.need.id, where)
        return out

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

    # -- whose is what -----------------------------------------------------------------------------------

    def home(self, organisation: ScenarioOrganisation) -> CommunityId | None:
        """The board an organisation is registered on: its community's, or None for the street's own pool.
        A community on its own holds the street's organisations too (it has no street board)."""
        if self.community is not None:
            return self.community.id
        return None if organisation.pool == "street" else organisation.community

    def resource_home(self) -> dict[ResourceId, CommunityId | None]:
        """The board each resource is on (None: the street's own pool), through its organisation."""
        homes = {o.id: self.home(o) for o in self.organisations}
        return {r.id: homes.get(r.organisation) for r in self.resources}

    def where(self, event: "TimelineEvent") -> tuple[CommunityId | None, ...]:
        """The boards an event happens on, in the order it is applied (None: the street's own pool); none for
        an organisation's answers (the responders read those). Assumes a checked scenario."""
        match event:
            case NeedReported():
                named = self._named(event)
                return () if named is None else (named,)
            case NeedCancelled() | CadreOverrides():
                found = self.need_community().get(event.need)
                return () if found is None else (found,)
            case ResourceOffline() | ResourceOnline() | ResourceQuantity():
                homes = self.resource_home()
                return (homes[event.resource],) if event.resource in homes else ()
            case OrganisationDeclines() | OrganisationSilent():
                return ()
            case _:
                named = self._named(event)
                return (named,) if named is not None else tuple(m.id for m in self.members())

    def _named(self, event: _In) -> CommunityId | None:
        if self.community is not None:
            return self.community.id
        return event.community


@dataclass(frozen=True)
class Profiles:
    """The profiles a drill runs under: each community's, and the one the street's own pool's board runs
    under (None: the first community's)."""

    communities: Mapping[CommunityId, Profile]
    street: Profile | None = None

    @classmethod
    def of(cls, scenario: Scenario, profile: "Profile | Profiles") -> "Profiles":
        """``profile`` as every community's (and the street's), or as it is when already per community."""
        if isinstance(profile, Profiles):
            return profile
        return cls({m.id: profile for m in scenario.members()}, profile)

    @property
    def first(self) -> Profile:
        return next(iter(self.communities.values()))

    @property
    def of_street(self) -> Profile:
        return self.street if self.street is not None else self.first

    def effective(self, scenario: Scenario) -> "Profiles":
        """Each community's profile as this drill runs it (see :func:`effective_profile`)."""
        return Profiles(
            {m.id: effective_profile(self.communities[m.id], scenario, m) for m in scenario.members()},
            self.street,
        )

    def alone(self) -> "Profiles":
        """Each community on its own: nobody lends (there is no street to plan with)."""
        return Profiles(
            {c: p.model_copy(update={"sharing": SharingSettings()}) for c, p in self.communities.items()},
            self.street,
        )


def effective_profile(profile: Profile, scenario: Scenario, member: _Member | None = None) -> Profile:
    """The profile as this drill runs it in ``member`` (default: the first community): named rules switched
    off, dispatch and sharing settings replaced where the scenario names them."""
    community = member or scenario.members()[0]
    rules = tuple(r for r in profile.rules if r.name not in community.disable_rules)
    # The scenario's dispatch settings replace only what they name.
    dispatch = profile.dispatch
    if community.dispatch is not None:
        dispatch = dispatch.model_copy(update=community.dispatch.model_dump(exclude_unset=True))
    update: dict[str, object] = {"rules": rules, "dispatch": dispatch}
    if community.sharing is not None:
        update["sharing"] = profile.sharing.model_copy(
            update=community.sharing.model_dump(exclude_unset=True)
        )
    return profile.model_copy(update=update)


# -- checks the model cannot make -----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: ``path`` walks the scenario document (keys and list positions)."""

    path: tuple[str | int, ...]
    message: str


def form(scenario: Scenario) -> list[Problem]:
    """What is wrong with the scenario's shape, before any profile or map is read: one community on its own,
    or a street and its communities."""
    both = "a scenario is one community (community) or a street (street and communities), not both"
    if scenario.community is not None:
        if scenario.street is not None:
            return [Problem(("street",), both)]
        if scenario.communities:
            return [Problem(("communities",), both)]
        return []
    if not scenario.communities:
        return [
            Problem(
                (),
                "no community: give community (one community on its own) or street and communities "
                "(a street of several)",
            )
        ]
    if scenario.street is None:
        return [Problem(("communities",), "communities belong to a street: add street: {id, name, profile}")]
    return []


def check(scenario: Scenario, graph: RoadGraph, profile: "Profile | Profiles") -> list[Problem]:
    """Everything wrong with ``scenario`` that needs the map, the profiles or cross-references, in file
    order. ``profile``: every community's, or each community's (:class:`Profiles`)."""
    problems = form(scenario)
    if problems:
        return problems
    profiles = Profiles.of(scenario, profile)
    for i, member in enumerate(scenario.members()):
        where: tuple[str | int, ...] = (
            ("community",) if scenario.community is not None else ("communities", i)
        )
        problems += _plain((*where, "id"), member.id, "community")
        rules_of = profiles.communities[member.id]
        rule_names = {r.name for r in rules_of.rules}
        for j, name in enumerate(member.disable_rules):
            if name not in rule_names:
                known = ", ".join(sorted(rule_names)) or "none"
                problems.append(
                    Problem(
                        (*where, "disable_rules", j),
                        f"profile {rules_of.name!r} has no rule {name!r} (its rules: {known})",
                    )
                )
    if scenario.street is not None:
        problems += _plain(("street", "id"), scenario.street.id, "street")
        problems += _unique(("communities",), (m.id for m in scenario.communities), "community")
    problems += _unique(("organisations",), (o.id for o in scenario.organisations), "organisation")
    for i, o in enumerate(scenario.organisations):
        problems += _plain(("organisations", i, "id"), o.id, "organisation")
        problems += _organisation_community(scenario, i, o)
    problems += _unique(("resources",), (r.id for r in scenario.resources), "resource")
    organisations = {o.id for o in scenario.organisations}
    for i, r in enumerate(scenario.resources):
        problems += _plain(("resources", i, "id"), r.id, "resource")
        if r.organisation not in organisations:
            problems.append(
                Problem(("resources", i, "organisation"), f"unknown organisation {r.organisation!r}")
            )
        if not graph.has_node(r.location):
            problems.append(Problem(("resources", i, "location"), _off_map(r.location, graph)))
    problems += _check_timeline(scenario, graph, organisations)
    for i, e in enumerate(scenario.expectations):
        if isinstance(e, StreetAhead) and not scenario.is_street:
            problems.append(
                Problem(
                    ("expectations", i, "expect"),
                    "street_ahead compares a street with each community alone: it needs street and "
                    "communities, not one community",
                )
            )
    return problems


# Ids people give never hold these: the street names another community's units ``home/id``, its own board
# ``street:id``, and the part of a unit a community lends ``id+``.
RESERVED = "/:+"


def _plain(path: tuple[str | int, ...], ident: str, what: str) -> list[Problem]:
    held = [c for c in RESERVED if c in ident]
    if not held:
        return []
    return [
        Problem(
            path,
            f"{what} id {ident!r} holds {held[0]!r}: ids may not hold '/', ':' or '+' (the street names "
            "another community's units home/id)",
        )
    ]


def _organisation_community(scenario: Scenario, index: int, o: ScenarioOrganisation) -> list[Problem]:
    where = ("organisations", index, "community")
    if o.community is not None and o.pool == "street":
        return [
            Problem(where, f"{o.community!r}: an organisation of the street's pool belongs to no community")
        ]
    if scenario.community is not None:
        if o.community not in (None, scenario.community.id):
            return [
                Problem(
                    where, f"unknown community {o.community!r} (this scenario's: {scenario.community.id!r})"
                )
            ]
        return []
    if o.pool == "street":
        return []
    known = [m.id for m in scenario.members()]
    if o.community is None:
        return [
            Problem(
                where,
                f"name the community whose pool {o.id!r} is in (one of {', '.join(known)}), or pool: street",
            )
        ]
    if o.community not in known:
        return [Problem(where, f"unknown community {o.community!r} (the street's: {', '.join(known)})")]
    return []


# Events that happen in a community's incident: each must come after that community's incident starts.
_IN_INCIDENT = (NeedReported, NeedCancelled, CadreOverrides, LevelChanges, IncidentCloses)


def _check_timeline(
    scenario: Scenario, graph: RoadGraph, organisations: set[OrganisationId]
) -> list[Problem]:
    problems: list[Problem] = []
    resources = {r.id: r for r in scenario.resources}
    timeline = scenario.timeline
    for i, event in enumerate(timeline):
        problems += _named_community(scenario, i, event)
    starts = [i for i, e in enumerate(timeline) if _starts_at(e) is not None]
    if not starts:
        problems.append(
            Problem(("timeline",), "no event starts the incident (event: incident, or a warning accepted)")
        )
    started: dict[CommunityId, int] = {}
    closed: dict[CommunityId, int] = {}
    for i, event in enumerate(timeline):
        if isinstance(event, IncidentStarts | WarningArrives) and _starts_at(event) is not None:
            problems += _once(scenario, i, event, started, "the incident is started twice; a drill runs one")
    for i, event in enumerate(timeline):
        if isinstance(event, IncidentCloses):
            problems += _once(scenario, i, event, closed, "the incident is closed twice")
    start = starts[0] if starts else None
    reported: dict[NeedId, int] = {}
    previous = 0
    for i, event in enumerate(timeline):
        where = ("timeline", i)
        incident_at = _starts_at(timeline[start]) if start is not None else None
        if (
            start is not None
            and incident_at is not None
            and i != start
            # A warning may come before the incident: its proposal is what the cadres start it on.
            and not isinstance(event, WarningArrives)
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
        elif scenario.is_street and isinstance(event, _IN_INCIDENT) and start is not None:
            problems += _before_its_incident(scenario, i, event, started)
        previous = max(previous, event.at)
        if isinstance(event, LevelChanges) and any(
            closed.get(c, i) < i for c in scenario.where(event) if c is not None
        ):
            problems.append(Problem((*where, "event"), "the level changes after the incident is closed"))
        match event:
            case NeedReported(need=need):
                problems += _plain((*where, "need", "id"), need.id, "need")
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
                    reported_need = timeline[reported[need_id]]
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


def _once(
    scenario: Scenario,
    index: int,
    event: "IncidentStarts | WarningArrives | IncidentCloses",
    seen: dict[CommunityId, int],
    message: str,
) -> list[Problem]:
    """Each community's incident starts (or closes) once: ``seen`` keeps where it first did."""
    twice = [c for c in scenario.where(event) if c is not None and c in seen]
    for c in scenario.where(event):
        if c is not None:
            seen.setdefault(c, index)
    if not twice:
        return []
    text = message if not scenario.is_street else f"community {twice[0]!r}: {message} per community"
    return [Problem(("timeline", index, "event"), text)]


def _before_its_incident(
    scenario: Scenario, index: int, event: "TimelineEvent", started: Mapping[CommunityId, int]
) -> list[Problem]:
    for c in scenario.where(event):
        if c is None:
            continue
        start = started.get(c)
        if start is None:
            return [
                Problem(
                    ("timeline", index, "at"),
                    f"community {c!r} never starts its incident (add event: incident, community: {c})",
                )
            ]
        at = _starts_at(scenario.timeline[start])
        assert at is not None
        if index < start or event.at < at:
            return [
                Problem(
                    ("timeline", index, "at"),
                    f"event before community {c!r}'s incident starts (it starts at {clock(at)})",
                )
            ]
    return []


def _starts_at(event: "TimelineEvent") -> int | None:
    """When the event starts the incident: an ``incident`` event at once, an accepted warning when accepted."""
    if isinstance(event, IncidentStarts):
        return event.at
    if isinstance(event, WarningArrives):
        return event.starts_at
    return None


def _named_community(scenario: Scenario, index: int, event: "TimelineEvent") -> list[Problem]:
    """The ``community`` an event names: known, and where its need or resource is."""
    where = ("timeline", index, "community")
    named = getattr(event, "community", None)
    known = [m.id for m in scenario.members()]
    if scenario.community is not None:
        if named is not None and named != scenario.community.id:
            return [
                Problem(where, f"unknown community {named!r} (this scenario's: {scenario.community.id!r})")
            ]
        return []
    if isinstance(event, NeedReported) and named is None:
        return [Problem(where, f"name the community the need is reported in (one of {', '.join(known)})")]
    if named is None:
        return []
    match event:
        case NeedCancelled() | CadreOverrides():
            home = scenario.need_community().get(event.need)
            if home is not None and home != named:
                return [Problem(where, f"need {event.need!r} is reported in {home!r}, not {named!r}")]
        case ResourceOffline() | ResourceOnline() | ResourceQuantity():
            homes = scenario.resource_home()
            if event.resource in homes:
                home = homes[event.resource]
                owner = home if home is not None else scenario.street_id
                if named != owner:
                    whose = f"community {home!r}'s" if home is not None else "the street's pool's"
                    return [Problem(where, f"resource {event.resource!r} is {whose}, not {named!r}'s")]
                return []
    if named not in known:
        return [Problem(where, f"unknown community {named!r} (the street's: {', '.join(known)})")]
    return []


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
