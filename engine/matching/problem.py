"""The matcher's input: a mutable builder that makes a frozen, validated :class:`MatchingProblem`."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from pydantic import Field

from engine.model.entities import Mode, Need, Organisation, Resource
from engine.model.frozen import Frozen
from engine.model.ids import Capability, CommunityId, NeedId, NodeId, OrganisationId, ResourceId
from engine.model.plan import UnmetReason
from engine.model.quantity import Quantity
from engine.rules.facts import CompiledProfile
from engine.rules.profile import DispatchSettings, Profile, dispatch_of
from engine.travel import RoadGraph

T = TypeVar("T", Need, Resource, Organisation)


class Pin(Frozen):
    """An assignment a person decided (a cadre's confirmation or override): the matcher always keeps it.

    The same shape describes the previous plan, which the matcher keeps as much of as it can.
    """

    need: NeedId
    resource: ResourceId
    quantity: Quantity
    part: Capability | None = None


class SoonFree(Frozen):
    """Units of a resource on a job now, expected free ``in_s`` seconds after the plan's moment, at the job's
    place. The matcher may plan them for a next need (the profile's ``plan_busy_units``)."""

    resource: ResourceId
    job: NeedId
    quantity: Quantity
    location: NodeId
    in_s: int = Field(ge=0)


# A delay longer than a day is a mistake, not a plan (and keeps every cost well inside 64 bits).
MAX_DELAY_S = 86_400


def soon_id(resource: ResourceId, job: NeedId) -> ResourceId:
    """The id under which the units of ``resource`` busy on ``job`` are offered for their next need."""
    return ResourceId(f"{resource}@{job}")


@dataclass(frozen=True)
class MatchingProblem:
    """Needs, the pool, the roads and the rules in force: everything one plan depends on."""

    mode: Mode
    community: CommunityId | None
    rules: CompiledProfile
    needs: tuple[Need, ...]
    resources: tuple[Resource, ...]
    organisations: Mapping[OrganisationId, Organisation]
    graph: RoadGraph
    pinned: tuple[Pin, ...]
    previous: tuple[Pin, ...]
    # Pairs people ruled out for now, with why: declined, not acknowledged, or no open road.
    excluded: Mapping[tuple[NeedId, ResourceId], UnmetReason]
    need_index: Mapping[NeedId, int] = field(repr=False)
    resource_index: Mapping[ResourceId, int] = field(repr=False)
    # The moment the plan is made: a need's waiting time counts to it (None: no need has waited).
    at: datetime | None = None
    # Units on a job, by the id they are offered under (see soon_id).
    soon: Mapping[ResourceId, SoonFree] = field(default_factory=dict)
    # Resources that serve needs of their own organisation's community only (a street's joint plan: units a
    # community does not lend now).
    home_only: frozenset[ResourceId] = frozenset()
    # Seconds more before units of a resource set off for a need of another community than their own (a loan
    # waits for the street's approval; a second breaks ties, so that a community's own units go first), by
    # resource; offers after a job have their resource's. Counted in arrivals, never in "free now".
    away: Mapping[ResourceId, int] = field(default_factory=dict)

    @property
    def profile(self) -> Profile | None:
        return self.rules.profile

    @property
    def dispatch(self) -> DispatchSettings:
        """Response targets, lateness weight and switching cost: the profile's, or the defaults."""
        return dispatch_of(self.profile)

    def real_id(self, resource: ResourceId) -> ResourceId:
        """The resource itself, for units offered after their current job."""
        units = self.soon.get(resource)
        return units.resource if units is not None else resource

    def soon_job(self, resource: ResourceId) -> NeedId | None:
        """The job whose units ``resource`` offers after it (None: free units)."""
        units = self.soon.get(resource)
        return units.job if units is not None else None

    def ready_s(self, resource: ResourceId) -> int:
        """Seconds until the units of ``resource`` are free (0 for free units)."""
        units = self.soon.get(resource)
        return units.in_s if units is not None else 0

    def away_s(self, resource: ResourceId) -> int:
        """Seconds of ``away`` for the units of ``resource`` (0 for most)."""
        return self.away.get(self.real_id(resource), 0)

    def waited_s(self, need: Need) -> int:
        """Seconds ``need`` has waited by the plan's moment (0 without a report time or a moment)."""
        if self.at is None or need.reported_at is None:
            return 0
        return max(0, int((self.at - need.reported_at).total_seconds()))


class ProblemBuilder:
    """Collects the parts of a problem; :meth:`build` checks how they refer to each other."""

    def __init__(self, graph: RoadGraph, *, mode: Mode = Mode.INCIDENT) -> None:
        self.graph = graph
        self.mode = mode
        self.community: CommunityId | None = None
        self.profile: Profile | None = None
        self.rules: CompiledProfile | None = None
        self.needs: list[Need] = []
        self.resources: list[Resource] = []
        self.organisations: list[Organisation] = []
        self.pinned: list[Pin] = []
        self.previous: list[Pin] = []
        self.excluded: dict[tuple[NeedId, ResourceId], UnmetReason] = {}
        self.moment: datetime | None = None
        self.soon: list[SoonFree] = []
        self.home: set[ResourceId] = set()
        self.delays: dict[ResourceId, int] = {}

    def add_needs(self, needs: Iterable[Need]) -> "ProblemBuilder":
        self.needs.extend(needs)
        return self

    def add_resources(self, resources: Iterable[Resource]) -> "ProblemBuilder":
        self.resources.extend(resources)
        return self

    def add_organisations(self, organisations: Iterable[Organisation]) -> "ProblemBuilder":
        self.organisations.extend(organisations)
        return self

    def pin(self, pins: Iterable[Pin]) -> "ProblemBuilder":
        self.pinned.extend(pins)
        return self

    def keep(self, previous: Iterable[Pin]) -> "ProblemBuilder":
        self.previous.extend(previous)
        return self

    def exclude(self, pairs: Mapping[tuple[NeedId, ResourceId], UnmetReason]) -> "ProblemBuilder":
        """Do not send these resources to these needs now, each pair with why (declined, not acknowledged,
        no open road)."""
        self.excluded.update(pairs)
        return self

    def at(self, moment: datetime | None) -> "ProblemBuilder":
        """The moment the plan is made, so that needs that have waited longer can go first."""
        self.moment = moment
        return self

    def add_soon(self, units: Iterable[SoonFree]) -> "ProblemBuilder":
        """Units on a job that may be planned for their next need, from where and when they finish."""
        self.soon.extend(units)
        return self

    def delay_away(self, seconds: Mapping[ResourceId, int]) -> "ProblemBuilder":
        """Units of these resources set off this many seconds later for another community's needs."""
        self.delays.update(seconds)
        return self

    def keep_home(self, resources: Iterable[ResourceId]) -> "ProblemBuilder":
        """These resources serve their own community's needs only (their organisation's community)."""
        self.home.update(resources)
        return self

    def use_profile(self, profile: Profile | None, community: CommunityId | None = None) -> "ProblemBuilder":
        self.profile = profile
        self.community = community
        return self

    def reuse_rules(self, rules: CompiledProfile) -> "ProblemBuilder":
        """Share memoised per-entity facts across plans (the coordinator re-plans with the same rules)."""
        self.rules = rules
        return self

    def build(self) -> MatchingProblem:
        organisations = {o.id: o for o in _unique("organisations", self.organisations)}
        needs = _unique("needs", self.needs)
        real = {r.id: r for r in self.resources}
        soon: dict[ResourceId, SoonFree] = {}
        offered: list[Resource] = []
        for i, units in enumerate(self.soon):
            resource = real.get(units.resource)
            if resource is None:
                raise ValueError(f"soon[{i}].resource: unknown resource {units.resource!r}")
            offer = soon_id(resource.id, units.job)
            soon[offer] = units
            offered.append(
                resource.model_copy(
                    update={"id": offer, "quantity": units.quantity, "location": units.location}
                )
            )
        resources = _unique("resources", [*self.resources, *offered])
        for where, located in (("needs", needs), ("resources", resources)):
            for item in located:
                if not self.graph.has_node(item.location):
                    raise ValueError(f"{where}[{item.id}].location: {item.location!r} is not on the map")
        for resource in resources:
            if resource.organisation not in organisations:
                raise ValueError(
                    f"resources[{resource.id}].organisation: unknown organisation {resource.organisation!r}"
                )
        need_index = {n.id: i for i, n in enumerate(needs)}
        resource_index = {r.id: i for i, r in enumerate(resources)}
        _check_pins(self.pinned, needs, resources, need_index, resource_index)
        previous = tuple(
            p
            for p in self.previous
            # The previous plan may name needs since cancelled or resources since withdrawn: they are history.
            if p.need in need_index
            and p.resource in resource_index
            and _part_capability(needs[need_index[p.need]], p.part)
            == resources[resource_index[p.resource]].capability
        )
        rules = self.rules
        if rules is None or rules.profile is not self.profile or rules.mode is not self.mode:
            rules = CompiledProfile(self.profile, self.mode)
        else:
            rules.retain(
                ((n, self.community) for n in needs), ((r, organisations[r.organisation]) for r in resources)
            )
        return MatchingProblem(
            mode=self.mode,
            community=self.community,
            rules=rules,
            needs=needs,
            resources=resources,
            organisations=organisations,
            graph=self.graph,
            pinned=tuple(self.pinned),
            previous=previous,
            # Pairs naming needs or resources no longer in the problem are history, like the previous plan.
            excluded={
                pair: why
                for pair, why in _with_offers(self.excluded, soon).items()
                if pair[0] in need_index and pair[1] in resource_index
            },
            need_index=need_index,
            resource_index=resource_index,
            at=self.moment,
            soon=soon,
            home_only=frozenset(self._home_only(resources, organisations)),
            away=self._delays({r.id for r in resources}),
        )

    def _delays(self, known: set[ResourceId]) -> dict[ResourceId, int]:
        for resource, seconds in sorted(self.delays.items()):
            if resource not in known:
                raise ValueError(f"away: unknown resource {resource!r}")
            if not 0 <= seconds <= MAX_DELAY_S:
                raise ValueError(f"away[{resource}]: {seconds} s is not between 0 and {MAX_DELAY_S}")
        return {r: s for r, s in self.delays.items() if s}

    def _home_only(
        self, resources: tuple[Resource, ...], organisations: Mapping[OrganisationId, Organisation]
    ) -> set[ResourceId]:
        # Units offered after their job are kept at home with their resource.
        home = set(self.home) | {offer for offer, u in _offers(self.soon).items() if u in self.home}
        known = {r.id for r in resources}
        for resource in sorted(home):
            if resource not in known:
                raise ValueError(f"home_only: unknown resource {resource!r}")
        for r in resources:
            if r.id in home and organisations[r.organisation].community is None:
                raise ValueError(
                    f"home_only[{r.id}]: its organisation {r.organisation!r} belongs to no community"
                )
        return home


def _offers(soon: list[SoonFree]) -> dict[ResourceId, ResourceId]:
    return {soon_id(u.resource, u.job): u.resource for u in soon}


def _with_offers(
    excluded: Mapping[tuple[NeedId, ResourceId], UnmetReason], soon: Mapping[ResourceId, SoonFree]
) -> dict[tuple[NeedId, ResourceId], UnmetReason]:
    """A pair ruled out holds for the resource's units after their current job too."""
    result = dict(excluded)
    for offer, units in soon.items():
        for (need, resource), why in excluded.items():
            if resource == units.resource:
                result[(need, offer)] = why
    return result


def _unique(where: str, items: list[T]) -> tuple[T, ...]:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"{where}[{item.id}].id: the id {item.id!r} is used twice")
        seen.add(item.id)
    # Sorted by id so that the order items were added in cannot change the plan.
    return tuple(sorted(items, key=lambda item: item.id))


def _part_capability(need: Need, part: Capability | None) -> Capability | None:
    if part is None:
        return need.capability
    return part if any(p.capability == part for p in need.team) else None


def _check_pins(
    pins: list[Pin],
    needs: tuple[Need, ...],
    resources: tuple[Resource, ...],
    need_index: Mapping[NeedId, int],
    resource_index: Mapping[ResourceId, int],
) -> None:
    used: dict[ResourceId, int] = defaultdict(int)
    given: dict[tuple[NeedId, Capability | None], int] = defaultdict(int)
    for i, pin in enumerate(pins):
        where = f"pinned[{i}]"
        if pin.need not in need_index:
            raise ValueError(f"{where}.need: unknown need {pin.need!r}")
        if pin.resource not in resource_index:
            raise ValueError(f"{where}.resource: unknown resource {pin.resource!r}")
        need, resource = needs[need_index[pin.need]], resources[resource_index[pin.resource]]
        capability = _part_capability(need, pin.part)
        if capability is None:
            raise ValueError(f"{where}.part: need {need.id!r} has no team part {pin.part!r}")
        if capability != resource.capability:
            raise ValueError(
                f"{where}.resource: {resource.id!r} offers {resource.capability!r}, "
                f"but the pin is for {capability!r}"
            )
        used[resource.id] += pin.quantity
        if used[resource.id] > resource.quantity:
            raise ValueError(
                f"{where}.quantity: pins take {used[resource.id]} units of {resource.id!r}, "
                f"which has {resource.quantity}"
            )
        per_unit = 1 if pin.part is None else next(p.per_unit for p in need.team if p.capability == pin.part)
        given[(need.id, pin.part)] += pin.quantity
        if given[(need.id, pin.part)] > need.quantity * per_unit:
            raise ValueError(
                f"{where}.quantity: pins give {given[(need.id, pin.part)]} units of {capability!r} "
                f"to {need.id!r}, which needs {need.quantity * per_unit}"
            )
