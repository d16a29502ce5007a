"""A community's live state, and how each event changes it: the board is the fold of its event log."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from engine.coordinator.attention import WITHDRAWN, Attention, Taken
from engine.coordinator.contributions import Contributions, contributions_json
from engine.coordinator.events import (
    COMMITTED,
    AttentionOpened,
    CommunityRegistered,
    DispatchCreated,
    DispatchId,
    DispatchStatus,
    DispatchStatusChanged,
    EscalationAnswer,
    EscalationAnswered,
    Event,
    IncidentClosed,
    IncidentLevelChanged,
    IncidentTriggered,
    NeedCancelled,
    NeedEscalated,
    NeedReported,
    NeedUpdated,
    OrganisationRegistered,
    OrganisationUpdated,
    PlanProposed,
    ProfileChanged,
    ResourceSaved,
    RoadClosed,
    RoadReopened,
    StreetRegistered,
    WarningAccepted,
    WarningDismissed,
    WarningReceived,
    WarningWithdrawn,
)
from engine.coordinator.ports import MapLoader, Pool
from engine.coordinator.refs import SEPARATOR, is_street_key, split, street_key
from engine.governance.ledger import Ledger
from engine.matching.document import Travel
from engine.model.entities import Community, Mode, Need, Organisation, Resource
from engine.model.ids import (
    Capability,
    IncidentId,
    NeedId,
    NodeId,
    OrganisationId,
    ResourceId,
    RuleName,
    WarningId,
)
from engine.model.plan import Plan, UnmetReason
from engine.model.priority import LIFE_SAFETY
from engine.model.warning import Warnings, WarningStatus, Withdrawn
from engine.rules.facts import CompiledProfile
from engine.rules.profile import Profile, dispatch_of
from engine.travel import RoadGraph

# Dispatch history counted by the rotation preference: the last this many confirmed dispatches per
# organisation are what "recently asked" means on a board that lives for weeks.
ROTATION_WINDOW = 50


class NeedStatus(StrEnum):
    OPEN = "open"
    SERVED = "served"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class NeedRecord:
    """A need as the board knows it. ``need.priority`` is what the reporter said; ``priority`` is what the
    profile's priority rules (``priority_rules``) make of it in the board's mode: what the matcher ranks by and
    every view shows. Worked out here once, when the need is reported or updated and, for open needs, when the
    profile or the mode changes; a closed need keeps the priority it had when it closed."""

    need: Need
    status: NeedStatus
    reported_at: datetime
    priority: int
    priority_rules: tuple[RuleName, ...]
    contact_phone: str | None = None
    escalated: bool = False
    # What the street answered, oldest first.
    answers: tuple["Answer", ...] = ()


@dataclass(frozen=True)
class Answer:
    answer: EscalationAnswer
    at: datetime
    by: str
    note: str = ""
    community: str | None = None
    community_name: str = ""


@dataclass(frozen=True)
class Dispatch:
    id: DispatchId
    need: NeedId
    part: Capability | None
    resource: ResourceId
    quantity: int
    status: DispatchStatus
    since: datetime
    confirmed_by: str | None = None
    notified_at: datetime | None = None
    # A proposal for units still on another job: that need, and when they should be free.
    after: NeedId | None = None
    ready_at: datetime | None = None
    # Another community's units, which the street must approve before they are sent.
    approval: bool = False

    @property
    def committed(self) -> bool:
        return self.status in COMMITTED


# Why a pair is ruled out for now, by the status that ended its dispatch.
EXCLUDED_BY = {
    DispatchStatus.DECLINED: UnmetReason.DECLINED,
    DispatchStatus.TIMED_OUT: UnmetReason.NOT_ACKNOWLEDGED,
    DispatchStatus.NO_ROAD: UnmetReason.NO_OPEN_ROAD,
}


@dataclass(frozen=True)
class Exclusion:
    """A pair people ruled out: ``reason`` is one of EXCLUDED_BY's, ``until`` when it lapses by itself.

    It also ends when the resource or the need changes, and one for no open road when the roads change."""

    reason: UnmetReason
    since: datetime
    until: datetime


@dataclass(frozen=True)
class Incident:
    id: IncidentId
    kind: str
    level: int
    exercise: bool
    started_at: datetime
    closed_at: datetime | None = None
    # The warning whose proposal started it, if one did.
    warning: WarningId | None = None


@dataclass
class Board:
    """Everything the coordinator knows about one community. Change it only through :meth:`evolve`."""

    maps: MapLoader
    community: Community | None = None
    profile: Profile | None = None
    map: Travel | None = None
    base_graph: RoadGraph | None = None
    # Roads closed and reopened since the map was drawn (the map itself may list closed roads).
    closed_roads: set[tuple[NodeId, NodeId]] = field(default_factory=set)
    reopened_roads: set[tuple[NodeId, NodeId]] = field(default_factory=set)
    # Roads closed in the direction named only (the event said one way).
    closed_one_way: set[tuple[NodeId, NodeId]] = field(default_factory=set)
    organisations: dict[OrganisationId, Organisation] = field(default_factory=dict)
    resources: dict[ResourceId, Resource] = field(default_factory=dict)
    needs: dict[NeedId, NeedRecord] = field(default_factory=dict)
    # Dispatches still in play: proposed, or committed to a need that is still open.
    dispatches: dict[DispatchId, Dispatch] = field(default_factory=dict)
    excluded: dict[tuple[NeedId, ResourceId], Exclusion] = field(default_factory=dict)
    incident: Incident | None = None
    incidents: list[Incident] = field(default_factory=list)
    plan: Plan | None = None
    plan_version: int = 0
    plan_at: datetime | None = None
    # Since when something that changes the plan has happened without a re-plan (None: plan is current).
    dirty_since: datetime | None = None
    # The resources of the last confirmed dispatches (refs for units not of this community).
    recent: list[ResourceId] = field(default_factory=list)
    dispatch_count: int = 0
    # Normal-time governance: people, places, households, street tasks and the incident's checks.
    ledger: Ledger = field(default_factory=Ledger)
    # Each organisation's jobs, hours and missed calls: kept as dispatches end, since done ones leave the board.
    contributions: Contributions = field(default_factory=Contributions)
    # What the attention bar tells people, and who opened each item: kept as it happens, for the same reason.
    attention: Attention = field(default_factory=Attention)
    # The warnings that covered the community and what became of their proposals.
    warnings: Warnings = field(default_factory=Warnings)
    events: int = 0
    _graph: RoadGraph | None = None
    _rules: CompiledProfile | None = None
    # Per organisation: the organisation and the count its counted copy was made from (planned_organisations).
    _counted: dict[OrganisationId, tuple[Organisation, int, Organisation]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # The open needs' ids in the order of ``needs``, kept as needs open and close: the deadlines and every
    # re-plan ask for the open needs, and a long incident has many more closed ones.
    _open: dict[NeedId, None] = field(default_factory=dict, repr=False, compare=False)
    # The street this board plans with (wired by the street's coordinator; not state: the log never names it).
    pool: Pool | None = field(default=None, repr=False, compare=False)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return Mode.INCIDENT if self.incident is not None else Mode.NORMAL

    @property
    def exercise(self) -> bool:
        return self.incident is not None and self.incident.exercise

    @property
    def graph(self) -> RoadGraph:
        if self._graph is None:
            if self.base_graph is None:
                raise ValueError("the community has no map yet")
            self._graph = (
                self.base_graph.reopened(sorted(self.reopened_roads))
                .with_closures(sorted(self.closed_roads))
                .with_closures(sorted(self.closed_one_way), one_way=True)
            )
        return self._graph

    @property
    def rules(self) -> CompiledProfile:
        """Compiled once per profile and mode, so facts are memoised across re-plans."""
        if (
            self._rules is None
            or self._rules.profile is not self.profile
            or self._rules.mode is not self.mode
        ):
            self._rules = CompiledProfile(self.profile, self.mode)
        return self._rules

    def open_needs(self) -> list[NeedRecord]:
        return [self.needs[need_id] for need_id in self._open]

    @property
    def is_street(self) -> bool:
        """The street office's own board (its pool), not a community's."""
        return self.community is not None and is_street_key(self.community.id)

    @property
    def key(self) -> str:
        assert self.community is not None
        return self.community.id

    def resource(self, ref: ResourceId) -> Resource | None:
        """A resource by the name this board gives it: its own by id, another's by ref (``home/id``)."""
        if SEPARATOR not in ref:
            return self.resources.get(ref)
        return self.pool.resource(ref) if self.pool is not None else None

    def name_of(self, key: str) -> str:
        """The name people use for a community of the street or the street's own pool (its key if unknown)."""
        for other in self.pool.boards() if self.pool is not None else [self]:
            if other.community is not None and other.community.id == key:
                return other.community.name or other.community.id
        return key

    def units_committed(self, ref: ResourceId) -> int:
        """Units of ``ref`` committed anywhere in the street (on this board alone without a street)."""
        if self.pool is None:
            return self.resource_units_committed(ref)
        home, ident = split(ref)
        return self.pool.committed(home or self.key)[ident]

    def own_units_committed(self) -> Counter[str]:
        """Units of each of this board's resources committed anywhere in the street, in one pass."""
        if self.pool is not None:
            return self.pool.committed(self.key)
        counts: Counter[str] = Counter()
        for d in self.dispatches.values():
            if d.committed:
                counts[d.resource] += d.quantity
        return counts

    def planned_organisations(self) -> list[Organisation]:
        """The organisations as the matcher sees them, each with its recent confirmed dispatches counted (the
        rotation preference). A counted copy is kept while its organisation and count stay the same, so that
        re-plans hand the matcher the same objects and find their facts by identity."""
        recent = self.recent_dispatches()
        planned = []
        for o in self.organisations.values():
            count = recent[o.id]
            if count:
                kept = self._counted.get(o.id)
                if kept is None or kept[0] is not o or kept[1] != count:
                    kept = self._counted[o.id] = (o, count, o.model_copy(update={"recent_dispatches": count}))
                o = kept[2]
            planned.append(o)
        return planned

    def recent_dispatches(self) -> Counter[OrganisationId]:
        """Recent confirmed dispatches per organisation of this community (the rotation preference)."""
        return Counter(self.resources[r].organisation for r in self.recent if r in self.resources)

    def committed_units(self, need: NeedId, part: Capability | None) -> int:
        return sum(
            d.quantity for d in self.dispatches.values() if d.need == need and d.part == part and d.committed
        )

    def resource_units_committed(self, resource: ResourceId) -> int:
        return sum(d.quantity for d in self.dispatches.values() if d.resource == resource and d.committed)

    def dispatches_of(self, need: NeedId) -> list[Dispatch]:
        return [d for d in self.dispatches.values() if d.need == need]

    def next_dispatch_id(self) -> DispatchId:
        assert self.community is not None
        return DispatchId(f"{self.community.id}-d{self.dispatch_count + 1}")

    # -- changing ---------------------------------------------------------------------------------

    def evolve(self, event: Event) -> None:
        """Apply one event. Events are facts already checked by the coordinator: this never refuses."""
        self.events += 1
        match event:
            case CommunityRegistered():
                self.community, self.profile, self.map = event.community, event.profile, event.map
                self.base_graph, self._graph = self.maps(event.map), None
            case StreetRegistered():
                self.community = Community(
                    id=street_key(event.street),
                    street=event.street,
                    profile=event.profile.name,
                    name=event.name,
                )
                self.profile, self.map = event.profile, event.map
                self.base_graph, self._graph = self.maps(event.map), None
            case ProfileChanged():
                self.profile = event.profile
                self._reprioritise()
                self._touch(event.at)
            case OrganisationRegistered() | OrganisationUpdated():
                self.organisations[event.organisation.id] = event.organisation
            case ResourceSaved():
                if self.resources.get(event.resource.id) != event.resource:
                    self._lift(lambda pair, _: pair[1] == event.resource.id)
                self.resources[event.resource.id] = event.resource
                self._touch(event.at)
            case NeedReported():
                again = event.need.id in self.needs
                self.needs[event.need.id] = NeedRecord(
                    event.need,
                    NeedStatus.OPEN,
                    event.at,
                    *self._adjusted(event.need),
                    contact_phone=event.contact_phone,
                )
                if again:
                    self._open = {i: None for i, r in self.needs.items() if r.status is NeedStatus.OPEN}
                else:
                    self._open[event.need.id] = None
                self._touch(event.at)
            case NeedUpdated():
                if self.needs[event.need.id].need != event.need:
                    self._lift(lambda pair, _: pair[0] == event.need.id)
                priority, rules = self._adjusted(event.need)
                self.needs[event.need.id] = replace(
                    self.needs[event.need.id], need=event.need, priority=priority, priority_rules=rules
                )
                self._touch(event.at)
            case NeedCancelled():
                for d in self.dispatches_of(event.need):
                    self._withdrawn(d, Taken.NEED_CANCELLED, event.at)
                self._close_need(event.need, NeedStatus.CANCELLED, event.at)
            case NeedEscalated():
                self.needs[event.need] = replace(self.needs[event.need], escalated=True)
            case EscalationAnswered():
                record = self.needs[event.need]
                answer = Answer(
                    event.answer, event.at, event.actor, event.note, event.community, event.community_name
                )
                self.needs[event.need] = replace(record, escalated=True, answers=(*record.answers, answer))
                self.attention.answered(event.need, event.answer, event.at, event.note, self.exercise)
            case RoadClosed():
                road = (event.source, event.target)
                (self.closed_one_way if event.one_way else self.closed_roads).add(road)
                self.reopened_roads.discard(road)
                self._roads_changed(event.at)
            case RoadReopened():
                self.closed_roads.discard((event.source, event.target))
                self.closed_one_way.discard((event.source, event.target))
                self.reopened_roads.add((event.source, event.target))
                self._roads_changed(event.at)
            case IncidentTriggered():
                self.incident = Incident(
                    event.incident, event.kind, event.level, event.exercise, event.at, warning=event.warning
                )
                self._reprioritise()
                self._touch(event.at)
            case IncidentLevelChanged():
                assert self.incident is not None
                self.incident = replace(self.incident, level=event.level)
            case IncidentClosed():
                assert self.incident is not None
                self.incidents.append(replace(self.incident, closed_at=event.at))
                self.incident = None
                self.ledger.close_checks()
                self._reprioritise()
                # Other communities' units proposed in the incident may be lent for incidents only: nobody has
                # acted on them yet, and the next plan proposes again what the lenders' rules still allow.
                for d in [d for d in self.dispatches.values() if not d.committed and SEPARATOR in d.resource]:
                    del self.dispatches[d.id]
                self._touch(event.at)
            case PlanProposed():
                self._take_plan(event)
                self._unmet_life_safety(event)
            case DispatchCreated():
                self.dispatch_count += 1
                self.dispatches[event.dispatch] = Dispatch(
                    event.dispatch,
                    event.need,
                    event.part,
                    event.resource,
                    event.quantity,
                    DispatchStatus.PROPOSED,
                    event.at,
                )
                if event.replaces is not None:
                    self._withdrawn(self.dispatches[event.replaces], Taken.OVERRIDE, event.at)
                    self._set_status(event.replaces, DispatchStatus.CANCELLED, event.at, event.actor)
                # The cadre's choice stands in for any proposal of the same pair.
                self._withdraw_proposals(event.need, event.resource, keep=event.dispatch)
                self._touch(event.at)
            case DispatchStatusChanged():
                d = self.dispatches[event.dispatch]
                if event.status in WITHDRAWN:
                    self._withdrawn(d, WITHDRAWN[event.status], event.at, event.note)
                elif event.status is DispatchStatus.CONFIRMED:
                    self.attention.met(d.need)
                self._set_status(event.dispatch, event.status, event.at, event.actor, event.occurred_at)
            case AttentionOpened():
                self.attention.open(event.item, event.audience, event.at, event.actor)
            case WarningReceived():
                self.warnings.received(event.warning, event.kind, event.level, event.at)
            case WarningWithdrawn():
                why = (
                    WarningStatus.CANCELLED if event.why is Withdrawn.CANCELLED else WarningStatus.SUPERSEDED
                )
                self.warnings.decided(event.warning, why, event.at, event.actor)
            case WarningAccepted():
                self.warnings.decided(
                    event.warning, WarningStatus.ACCEPTED, event.at, event.actor, incident=event.incident
                )
            case WarningDismissed():
                self.warnings.decided(
                    event.warning, WarningStatus.DISMISSED, event.at, event.actor, event.note
                )
            case _:
                self.ledger.evolve(event)

    def _withdrawn(self, d: Dispatch, why: Taken, at: datetime, note: str = "") -> None:
        life_safety = self.needs[d.need].priority == LIFE_SAFETY
        self.attention.dispatch_ended(
            d.id, d.need, d.resource, d.committed, why, at, note, life_safety, self.exercise
        )

    def _unmet_life_safety(self, event: PlanProposed) -> None:
        # No one found, and no one going or proposed: the cadre must know now, not when they scroll to it.
        unmet = [
            u.need
            for u in event.plan.unmet
            if (r := self.needs.get(u.need)) is not None
            and r.status is NeedStatus.OPEN
            and r.priority == LIFE_SAFETY
        ]
        if unmet:
            # One pass over the dispatches, however many (a drill's plans leave hundreds of needs unmet).
            going = {d.need for d in self.dispatches.values()}
            for need in unmet:
                if need not in going:
                    self.attention.unmet(need, event.at, self.exercise)

    def _adjusted(self, need: Need) -> tuple[int, tuple[RuleName, ...]]:
        facts = self.rules.need_facts(need, self.community.id if self.community else None)
        return facts.priority, facts.priority_rules

    def _reprioritise(self) -> None:
        # Priority rules may hold in one mode only, and the profile may have changed them: open needs follow.
        for need_id, record in self.needs.items():
            if record.status is NeedStatus.OPEN:
                priority, rules = self._adjusted(record.need)
                if (priority, rules) != (record.priority, record.priority_rules):
                    self.needs[need_id] = replace(record, priority=priority, priority_rules=rules)

    def exclusions_at(self, at: datetime | None) -> dict[tuple[NeedId, ResourceId], UnmetReason]:
        """The pairs ruled out at ``at`` (None: every one on the board), with why."""
        return {pair: e.reason for pair, e in self.excluded.items() if at is None or e.until > at}

    def next_lapse(self) -> datetime | None:
        """When the next exclusion lapses after the last plan (a plan is due then)."""
        return min(
            (e.until for e in self.excluded.values() if self.plan_at is None or e.until > self.plan_at),
            default=None,
        )

    def _roads_changed(self, at: datetime) -> None:
        # "No open road" holds for the roads as they were: the plan tries the pair again on the new ones.
        self._lift(lambda _, e: e.reason is UnmetReason.NO_OPEN_ROAD)
        self._graph = None
        self._touch(at)

    def _lift(self, which: Callable[[tuple[NeedId, ResourceId], Exclusion], bool]) -> None:
        for pair in [p for p, e in self.excluded.items() if which(p, e)]:
            del self.excluded[pair]

    def _touch(self, at: datetime) -> None:
        # A change matters to the plan only when there is something to plan, or a plan to take back.
        if self.dirty_since is None and (
            self._open
            or self.dispatches
            or (self.plan is not None and (self.plan.assignments or self.plan.unmet))
        ):
            self.dirty_since = at

    def _take_plan(self, event: PlanProposed) -> None:
        self.plan, self.plan_version, self.plan_at = event.plan, event.version, event.at
        self.dirty_since = None
        proposed = {
            (d.need, d.part, d.resource, d.after): d for d in self.dispatches.values() if not d.committed
        }
        keep: set[DispatchId] = set()
        for a in event.plan.assignments:
            if a.pinned:
                continue
            ready_at = event.at + timedelta(seconds=a.ready_in_s) if a.after is not None else None
            old = proposed.get((a.need, a.part, a.resource, a.after))
            if old is not None:
                self.dispatches[old.id] = replace(
                    old, quantity=a.quantity, ready_at=ready_at, approval=a.approval
                )
                keep.add(old.id)
                continue
            new_id = self.next_dispatch_id()
            self.dispatch_count += 1
            self.dispatches[new_id] = Dispatch(
                new_id,
                a.need,
                a.part,
                a.resource,
                a.quantity,
                DispatchStatus.PROPOSED,
                event.at,
                after=a.after,
                ready_at=ready_at,
                approval=a.approval,
            )
            keep.add(new_id)
        # Proposals the new plan no longer makes are withdrawn; nobody had acted on them.
        for d in proposed.values():
            if d.id not in keep:
                del self.dispatches[d.id]

    def _set_status(
        self,
        dispatch_id: DispatchId,
        status: DispatchStatus,
        at: datetime,
        actor: str,
        occurred_at: datetime | None = None,
    ) -> None:
        d = self.dispatches[dispatch_id]
        self.contributions.changed(d, status, at, occurred_at, self.mode, self.exercise)
        if status in (*EXCLUDED_BY, DispatchStatus.CANCELLED):
            del self.dispatches[dispatch_id]
            if status is not DispatchStatus.CANCELLED:
                lasts = timedelta(seconds=dispatch_of(self.profile).exclusion_s)
                self.excluded[(d.need, d.resource)] = Exclusion(EXCLUDED_BY[status], at, at + lasts)
                # A proposal of a pair just ruled out must not wait for the next plan to go away.
                self._withdraw_proposals(d.need, d.resource)
            self._touch(at)
            return
        updated = replace(d, status=status, since=at)
        if status is DispatchStatus.CONFIRMED:
            updated = replace(updated, confirmed_by=actor)
            self.recent = [*self.recent, d.resource][-ROTATION_WINDOW:]
        if status is DispatchStatus.NOTIFIED:
            updated = replace(updated, notified_at=at)
        self.dispatches[dispatch_id] = updated
        if status is DispatchStatus.DONE and self._fully_done(d.need):
            self._close_need(d.need, NeedStatus.SERVED, at)

    def _withdraw_proposals(self, need: NeedId, resource: ResourceId, keep: DispatchId | None = None) -> None:
        for d in self.dispatches_of(need):
            if d.resource == resource and d.status is DispatchStatus.PROPOSED and d.id != keep:
                del self.dispatches[d.id]

    def _fully_done(self, need_id: NeedId) -> bool:
        need = self.needs[need_id].need
        wanted: dict[Capability | None, int] = {None: need.quantity}
        wanted.update({p.capability: p.per_unit * need.quantity for p in need.team})
        done: Counter[Capability | None] = Counter()
        for d in self.dispatches_of(need_id):
            if d.status is DispatchStatus.DONE:
                done[d.part] += d.quantity
        return all(done[part] >= units for part, units in wanted.items())

    def _close_need(self, need_id: NeedId, status: NeedStatus, at: datetime) -> None:
        self.needs[need_id] = replace(self.needs[need_id], status=status)
        self._open.pop(need_id, None)
        # A resident's appeal made this need: they read what became of it.
        self.ledger.need_closed(need_id, status is NeedStatus.SERVED, at)
        # Its dispatches are history now; the units they held are free again.
        for d in self.dispatches_of(need_id):
            del self.dispatches[d.id]
            self.contributions.forget(d.id)
        self._touch(at)


def dispatch_json(d: Dispatch) -> dict[str, object]:
    return {
        "id": d.id,
        "need": d.need,
        "part": d.part,
        "resource": d.resource,
        "quantity": d.quantity,
        "status": d.status.value,
        "since": d.since.isoformat(),
        "confirmed_by": d.confirmed_by,
        "notified_at": d.notified_at.isoformat() if d.notified_at else None,
        "after": d.after,
        "ready_at": d.ready_at.isoformat() if d.ready_at else None,
        "approval": d.approval,
    }


def incident_json(i: Incident) -> dict[str, object]:
    return {
        "id": i.id,
        "kind": i.kind,
        "level": i.level,
        "exercise": i.exercise,
        "started_at": i.started_at.isoformat(),
        "closed_at": i.closed_at.isoformat() if i.closed_at else None,
        "warning": i.warning,
    }


def need_priority_json(r: NeedRecord) -> dict[str, object]:
    """``priority`` is the priority in force (after the profile's rules named in ``priority_rules``);
    ``reported_priority`` is the one reported, which ``priority`` in a report or an update sets."""
    return {
        "priority": r.priority,
        "reported_priority": r.need.priority,
        "priority_rules": list(r.priority_rules),
    }


def need_json(r: NeedRecord) -> dict[str, object]:
    return {
        **r.need.model_dump(mode="json"),
        **need_priority_json(r),
        "status": r.status.value,
        "reported_at": r.reported_at.isoformat(),
        "contact_phone": r.contact_phone,
        "escalated": r.escalated,
        "answers": [answer_json(a) for a in r.answers],
    }


def answer_json(a: Answer) -> dict[str, object]:
    return {
        "answer": a.answer.value,
        "at": a.at.isoformat(),
        "by": a.by,
        "note": a.note,
        "community": a.community,
        "community_name": a.community_name,
    }


def snapshot(board: Board) -> dict[str, object]:
    """The whole board as plain JSON data: what a client gets when it has missed too much, and what a
    rebuild from the log is compared against."""
    return {
        "community": board.community.model_dump(mode="json") if board.community else None,
        "profile": board.profile.name if board.profile else None,
        "mode": board.mode.value,
        "incident": incident_json(board.incident) if board.incident else None,
        "incidents": [incident_json(i) for i in board.incidents],
        "organisations": [o.model_dump(mode="json") for _, o in sorted(board.organisations.items())],
        "resources": [r.model_dump(mode="json") for _, r in sorted(board.resources.items())],
        "needs": [need_json(r) for _, r in sorted(board.needs.items())],
        "dispatches": [dispatch_json(d) for _, d in sorted(board.dispatches.items())],
        "excluded": [
            {
                "need": n,
                "resource": r,
                "reason": e.reason,
                "since": e.since.isoformat(),
                "until": e.until.isoformat(),
            }
            for (n, r), e in sorted(board.excluded.items())
        ],
        "closed_roads": sorted([list(pair) for pair in board.closed_roads]),
        "reopened_roads": sorted([list(pair) for pair in board.reopened_roads]),
        "closed_one_way": sorted([list(pair) for pair in board.closed_one_way]),
        "plan_version": board.plan_version,
        "plan": board.plan.model_dump(mode="json", exclude={"solver"}) if board.plan else None,
        "dirty_since": board.dirty_since.isoformat() if board.dirty_since else None,
        "recent": list(board.recent),
        "dispatch_count": board.dispatch_count,
        "contributions": contributions_json(board.contributions),
    }
