"""Run a scenario through the real coordinator on simulated time.

The timeline's events, the coordinators' own deadlines (:meth:`Street.due`: re-plan debounce,
acknowledgement timeouts, escalations), cadres confirming proposals and responders answering, setting off,
arriving and finishing are merged into one sequence of moments; time jumps from one to the next. Nothing
here reads a clock or a file: the map loader is passed in, and the same seed gives the same run.

Every run drives a :class:`Street`. A community on its own is a street of one community that lends nothing
(its ``pool: street`` organisations sit in the community, as they always have), which plans exactly as a
community's own coordinator. A street of several communities has the street's own board for its pool, plans
them jointly by their profiles' sharing rules, and a simulated street desk (街道值班): it approves the
dispatches a lender's profile sends to the street for approval, and answers needs escalated to it. With
``alone`` the same street runs without its pool and without lending: each community with its own pool.
"""

import heapq
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import networkx as nx

from engine.coordinator import (
    Advance,
    Board,
    CancelNeed,
    ChangeLevel,
    CloseIncident,
    CloseRoad,
    Command,
    Coordinator,
    CoordinatorSettings,
    Dispatch,
    DispatchId,
    DispatchStatus,
    IncidentId,
    MapLoader,
    NeedStatus,
    Override,
    RegisterCommunity,
    RegisterOrganisation,
    Rejected,
    ReopenRoad,
    ReportNeed,
    SaveResource,
    Step,
    TriggerIncident,
)
from engine.coordinator.commands import (
    AcceptWarning,
    AnswerEscalation,
    Approve,
    ReceiveWarning,
    RegisterStreet,
)
from engine.coordinator.events import (
    DispatchStatusChanged,
    EscalationAnswer,
    EscalationAnswered,
    NeedEscalated,
    PlanProposed,
)
from engine.coordinator.refs import SEPARATOR, home_of, seen_from, split, street_key
from engine.coordinator.street import Street
from engine.drill.desk import NOTE as DESK_NOTE
from engine.drill.desk import street_units
from engine.drill.eventlog import Compactor, dumps
from engine.drill.responders import Answer, Response, draw
from engine.drill.scenario import (
    CadreOverrides,
    IncidentCloses,
    IncidentStarts,
    LevelChanges,
    NeedCancelled,
    NeedReported,
    OrganisationDeclines,
    OrganisationSilent,
    Profiles,
    ResourceOffline,
    ResourceOnline,
    ResourceQuantity,
    RoadCloses,
    RoadReopens,
    Scenario,
    TimelineEvent,
    WarningArrives,
    clock,
)
from engine.matching.solver import Solver
from engine.model.entities import Resource, ResourceStatus
from engine.model.ids import Capability, CommunityId, NeedId, NodeId, OrganisationId, ResourceId
from engine.model.plan import Plan
from engine.rules.profile import Profile
from engine.travel import RoadGraph

S = DispatchStatus
CADRE = "cadre"
# Who acts for the street office: approvals, units sent by hand, answers to escalations.
STREET_DESK = "street"
NO_HELP = "街道资源库暂无可派的空闲力量 no free unit of the street's pool can serve it"
NO_STREET = "各社区单独演练：街道资源库未启用 each community alone: the street's pool takes no part"
# After this many ticks at one moment the coordinator is not settling: a bug, not a drill.
MAX_TICKS_AT_ONE_MOMENT = 1000
# Confirmation notes, counted apart: the profile's own, the street desk's approval, units sent by hand.
CONFIRMED_BY = {"auto": "auto_confirmed", "street_approved": "street_approved", DESK_NOTE: "street_assigned"}


@dataclass
class NeedTrack:
    """One need's story in a run, in seconds from the start of the drill."""

    id: NeedId
    capability: Capability
    quantity: int
    priority: int
    reported_s: float
    reached_s: float | None = None
    served_s: float | None = None
    cancelled_s: float | None = None
    # Units of the need's own capability on site (team companions not counted), and who came first.
    units_reached: int = 0
    first_resource: ResourceId | None = None
    first_travel_s: int | None = None
    # (units, travel seconds) of each arrival of the need's own capability.
    arrivals: list[tuple[int, int | None]] = field(default_factory=list)
    escalated: bool = False
    # At the end, how far its furthest dispatch still in play had got (None: nothing in play).
    in_flight: DispatchStatus | None = None
    # The community it was reported in (a street of several), and the street's answers to its escalation
    # (``covered``: the desk found it covered by then and had nothing to answer).
    community: str | None = None
    answers: list[EscalationAnswer] = field(default_factory=list)
    covered: bool = False


@dataclass(frozen=True)
class Replan:
    at_s: float
    version: int
    # Proposals the new plan took back from needs still open: what a cadre sees change under them.
    churn: int
    assignments: int
    unmet: int
    served_by_priority: tuple[int, int, int, int, int]
    community: str | None = None


@dataclass(frozen=True)
class Note:
    """A timeline event that could not apply as written (it is a fact of the run, not an input error)."""

    at_s: float
    index: int
    text: str


@dataclass(frozen=True)
class Lent:
    """Units sent to a need of another community than their own (or from the street's pool)."""

    at_s: float
    need: NeedId
    community: str
    # Whose units: another community's id, or the street's key.
    owner: str
    # The sharing rule that let them go (the plan's ``shared_by``), or ``by_hand`` (assigned, overridden).
    shared_by: str
    units: int


@dataclass
class RunRecord:
    solver: str
    end_s: float
    needs: dict[NeedId, NeedTrack] = field(default_factory=dict)
    replans: list[Replan] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[Note] = field(default_factory=list)
    # The status of every reported need at the end, and each community's last plan (its unmet needs say why).
    final_status: dict[NeedId, NeedStatus] = field(default_factory=dict)
    final_plans: dict[str, Plan] = field(default_factory=dict)
    exercise: bool = False
    # The coordinator's events, as the service would publish them (only when asked for): each a line of
    # compact JSON, plans as their change from the last (see engine.drill.eventlog).
    log: list[str] = field(default_factory=list)
    lent: list[Lent] = field(default_factory=list)
    # Each community with its own pool only (no street pool, no lending).
    alone: bool = False


ActionKind = Literal[
    "timeline", "accept_warning", "confirm", "answer", "setoff", "arrive", "done", "approve", "desk"
]
# Called with each batch of steps one board took (its key) and the street as it is after them.
Watch = Callable[[str, list[Step], Street], None]


@dataclass(order=True, frozen=True)
class _Action:
    at_s: float
    # Facts from the timeline come before people's reactions at the same moment.
    rank: int
    seq: int
    kind: ActionKind = field(compare=False)
    index: int = field(default=-1, compare=False)
    dispatch: DispatchId | None = field(default=None, compare=False)
    response: Response | None = field(default=None, compare=False)
    # The board of the dispatch or need the action is about.
    key: str = field(default="", compare=False)
    need: NeedId | None = field(default=None, compare=False)


class DrillRun:
    """One run of a scenario with one solver. :meth:`run` returns what happened.

    ``profile``: every community's, or each community's (:class:`Profiles`), as the drill runs them.
    ``alone``: a street's communities each with its own pool only. ``watch`` sees every step as it happens.
    """

    def __init__(
        self,
        scenario: Scenario,
        profile: Profile | Profiles,
        maps: MapLoader,
        *,
        seed: int,
        solver: Solver,
        settings: CoordinatorSettings | None = None,
        progress: Callable[[float], None] | None = None,
        keep_log: bool = False,
        alone: bool = False,
        watch: Watch | None = None,
    ) -> None:
        self.scenario = scenario
        profiles = Profiles.of(scenario, profile)
        # Each community alone lends to nobody (a community on its own has nobody to lend to: the street
        # plans it alone whatever its profile says).
        self.profiles = profiles.alone() if alone else profiles
        self.seed = seed
        self.maps = maps
        base = settings or CoordinatorSettings()
        self.settings = CoordinatorSettings(base.debounce_s, base.solve, solver)
        self.street = Street(scenario.street_id, self.settings)
        # The street's own board holds its pool only in a street run; the desk answers in any run of a street.
        self.street_board = street_key(scenario.street_id) if scenario.is_street and not alone else None
        self.desk = scenario.is_street
        self.progress = progress
        self.keep_log = keep_log
        self.watch = watch
        self.record = RunRecord(solver=solver.name, end_s=scenario.end, alone=alone)
        self.keys = [m.id for m in scenario.members()]
        # The board each resource is on in this run (a street's pool has none when each community is alone).
        self._home: dict[ResourceId, str] = {
            rid: key for rid, home in scenario.resource_home().items() if (key := self._key(home)) is not None
        }
        self._queue: list[_Action] = []
        self._seq = 0
        self._seen_proposed: set[DispatchId] = set()
        self._seen_notified: set[DispatchId] = set()
        self._attempts: Counter[tuple[NeedId, ResourceId]] = Counter()
        self._travel: dict[DispatchId, int] = {}
        self._last_plan: dict[str, Plan] = {}
        self._paths: dict[tuple[str, NodeId], dict[NodeId, float]] = {}
        self._compactor = Compactor()
        self._travels: dict[
            str, tuple[Plan, dict[tuple[NeedId, Capability | None, ResourceId], int | None]]
        ] = {}

    # -- driving ----------------------------------------------------------------------------------------

    def run(self) -> RunRecord:
        scenario = self.scenario
        self._setup()
        for i, event in enumerate(scenario.timeline):
            self._push(event.at, 0, "timeline", index=i)
            if isinstance(event, WarningArrives) and event.starts_at is not None:
                self._push(event.starts_at, 0, "accept_warning", index=i)
        end = float(scenario.end)
        ticks_here, last_tick = 0, None
        while True:
            due = self.street.due()
            due_s = None if due is None else (due - scenario.settings.start).total_seconds()
            next_s = self._queue[0].at_s if self._queue else None
            if due_s is not None and due_s <= end and (next_s is None or due_s < next_s):
                assert due is not None
                ticks_here = ticks_here + 1 if due_s == last_tick else 0
                if ticks_here > MAX_TICKS_AT_ONE_MOMENT:
                    raise RuntimeError(f"the coordinator does not settle at {clock(due_s)}")
                last_tick = due_s
                for key, steps in self.street.tick(due).items():
                    self._observe(key, steps, due_s)
                self._report(due_s)
            elif next_s is not None and next_s <= end:
                action = heapq.heappop(self._queue)
                self._perform(action)
                self._report(action.at_s)
            else:
                break
        self._finish()
        return self.record

    def _report(self, at_s: float) -> None:
        if self.progress is not None:
            self.progress(min(1.0, at_s / self.record.end_s) if self.record.end_s else 1.0)

    def _push(
        self,
        at_s: float,
        rank: int,
        kind: ActionKind,
        *,
        index: int = -1,
        dispatch: DispatchId | None = None,
        response: Response | None = None,
        key: str = "",
        need: NeedId | None = None,
    ) -> None:
        self._seq += 1
        heapq.heappush(
            self._queue, _Action(at_s, rank, self._seq, kind, index, dispatch, response, key, need)
        )

    def _at(self, at_s: float) -> datetime:
        return self.scenario.at(at_s)

    def _key(self, home: CommunityId | None) -> str | None:
        """The board of a scenario's community (None: the street's own pool, when it takes part)."""
        return home if home is not None else self.street_board

    def board(self, key: str) -> Board:
        return self.street.coordinators[key].board

    def _handle(self, key: str, command: Command, at_s: float, actor: str) -> list[Step]:
        steps = self.street.handle(key, command, self._at(at_s), actor)
        self._observe(key, steps, at_s)
        return steps

    def _setup(self) -> None:
        scenario = self.scenario
        homes = {o.id: self._key(scenario.home(o)) for o in scenario.organisations}
        for member in scenario.members():
            self.street.add(member.id, Coordinator(self.maps, self.settings))
            community = member.community(scenario.street_id)
            profile = self.profiles.communities[member.id]
            self._handle(
                member.id,
                RegisterCommunity(community=community, profile=profile, map=scenario.map),
                0,
                "drill",
            )
            self._register(member.id, homes)
        if self.street_board is not None:
            assert scenario.street is not None
            self.street.add(self.street_board, Coordinator(self.maps, self.settings))
            command = RegisterStreet(
                street=scenario.street.id,
                name=scenario.street.name,
                profile=self.profiles.of_street,
                map=scenario.map,
            )
            self._handle(self.street_board, command, 0, "drill")
            self._register(self.street_board, homes)

    def _register(self, key: str, homes: Mapping[OrganisationId, str | None]) -> None:
        """The organisations and resources on ``key``'s board (the street's own pool belongs to no
        community: :meth:`ScenarioOrganisation.organisation` leaves it out)."""
        for org in self.scenario.organisations:
            if homes[org.id] == key:
                organisation = org.organisation(CommunityId(key))
                self._handle(key, RegisterOrganisation(organisation=organisation), 0, "drill")
        for resource in self.scenario.resources:
            if self._home.get(resource.id) == key:
                self._handle(key, SaveResource(resource=resource), 0, "drill")

    # -- the timeline --------------------------------------------------------------------------------------

    def _perform(self, action: _Action) -> None:
        if action.kind == "timeline":
            self._timeline(action.index, self.scenario.timeline[action.index], action.at_s)
            return
        if action.kind == "accept_warning":
            self._accept_warning(action.index, action.at_s)
            return
        if action.kind == "desk":
            assert action.need is not None
            self._desk(action.key, action.need, action.at_s)
            return
        assert action.dispatch is not None
        dispatch = self.board(action.key).dispatches.get(action.dispatch)
        if dispatch is None:
            return  # withdrawn, declined, or its need was closed meanwhile
        key = action.key
        match action.kind:
            case "confirm":
                if dispatch.status is S.PROPOSED:
                    self._advance(key, dispatch, S.CONFIRMED, action.at_s, CADRE)
            case "approve":
                self._approve(key, dispatch, action.at_s)
            case "answer":
                self._answer(key, dispatch, action)
            case "setoff":
                if dispatch.status is S.ACKNOWLEDGED:
                    self._set_off(key, dispatch, action.at_s)
            case "arrive":
                if dispatch.status is S.EN_ROUTE and self._advance(key, dispatch, S.ON_SITE, action.at_s):
                    self._arrived(key, dispatch, action.at_s)
            case "done":
                if dispatch.status is S.ON_SITE and self._advance(key, dispatch, S.DONE, action.at_s):
                    track = self.record.needs[dispatch.need]
                    if self.board(key).needs[dispatch.need].status is NeedStatus.SERVED:
                        track.served_s = action.at_s

    def _timeline(self, index: int, event: TimelineEvent, at_s: float) -> None:
        for home in self.scenario.where(event):
            key = self._key(home)
            if key is not None:
                self._in(key, index, event, at_s)

    def _accept_warning(self, index: int, at_s: float) -> None:
        """The cadres accept the warning's proposal: the incident starts as the profile suggests."""
        event = self.scenario.timeline[index]
        assert isinstance(event, WarningArrives) and event.warning is not None
        for home in self.scenario.where(event):
            key = self._key(home)
            if key is None:
                continue
            accept = AcceptWarning(
                warning=event.warning.id, incident=IncidentId(f"{self.scenario.name}-drill")
            )
            try:
                self._handle(key, accept, at_s, CADRE)
            except Rejected as exc:
                self.record.notes.append(Note(at_s, index, f"accept warning ({key}): {exc.message}"))
                continue
            if self.board(key).exercise:
                self.record.exercise = True

    def _in(self, key: str, index: int, event: TimelineEvent, at_s: float) -> None:
        """One timeline event on one board."""
        scenario = self.scenario
        board = self.board(key)
        command: Command | None = None
        match event:
            case IncidentStarts():
                command = TriggerIncident(
                    incident=IncidentId(f"{scenario.name}-drill"),
                    kind=event.kind,
                    level=event.level,
                    exercise=True,
                )
            case WarningArrives():
                assert event.warning is not None, "the loader reads the warning's file"
                command = ReceiveWarning(warning=event.warning)
            case LevelChanges():
                command = ChangeLevel(level=event.level)
            case NeedReported():
                need = event.need.need(CommunityId(key), self._at(at_s))
                command = ReportNeed(need=need)
                self.record.needs[need.id] = NeedTrack(
                    need.id,
                    need.capability,
                    need.quantity,
                    need.priority,
                    at_s,
                    community=key if scenario.is_street else None,
                )
            case NeedCancelled():
                command = CancelNeed(need=event.need, reason=event.reason or event.note)
            case ResourceOffline() | ResourceOnline() | ResourceQuantity():
                command = self._resource_change(key, event, at_s)
            case RoadCloses():
                command = CloseRoad(source=event.source, target=event.target, one_way=event.one_way)
            case RoadReopens():
                command = ReopenRoad(source=event.source, target=event.target)
            case OrganisationDeclines() | OrganisationSilent():
                return  # the responders read these windows when they are notified
            case CadreOverrides():
                command = self._override(key, index, event, at_s)
            case IncidentCloses():
                command = CloseIncident()
        if command is None:
            return
        try:
            self._handle(key, command, at_s, CADRE)
        except Rejected as exc:
            where = f" ({key})" if scenario.is_street else ""
            self.record.notes.append(Note(at_s, index, f"{event.event}{where}: {exc.message}"))
            return
        if isinstance(event, NeedCancelled):
            self.record.needs[event.need].cancelled_s = at_s
        if isinstance(event, CadreOverrides):
            self.record.counts["overrides"] += 1
        if board.incident is not None and board.incident.exercise:
            self.record.exercise = True

    def _resource_change(
        self, key: str, event: ResourceOffline | ResourceOnline | ResourceQuantity, at_s: float
    ) -> Command | None:
        resource = self.board(key).resources[event.resource]
        if isinstance(event, ResourceQuantity):
            return SaveResource(resource=resource.model_copy(update={"quantity": event.quantity}))
        status = ResourceStatus.OFFLINE if isinstance(event, ResourceOffline) else ResourceStatus.AVAILABLE
        if status is ResourceStatus.OFFLINE:
            # Those sent but not yet on their way cannot come now; those on the road carry on. Units lent to
            # other communities are on those communities' boards.
            for other in sorted(self.street.coordinators):
                board = self.board(other)
                for d in sorted(board.dispatches.values(), key=lambda d: d.id):
                    if (home_of(d.resource, other), split(d.resource)[1]) == (
                        key,
                        resource.id,
                    ) and d.status in (S.NOTIFIED, S.ACKNOWLEDGED):
                        self._advance(other, d, S.DECLINED, at_s, note="资源离线 resource went offline")
        return SaveResource(resource=resource.model_copy(update={"status": status}))

    def _override(self, key: str, index: int, event: CadreOverrides, at_s: float) -> Command | None:
        board = self.board(key)
        record = board.needs.get(event.need)
        home = self._home.get(event.resource)
        if home is None or (self.record.alone and home != key):
            self.record.notes.append(
                Note(at_s, index, f"override: {event.resource!r} is not {key!r}'s (each community alone)")
            )
            return None
        ref = ResourceId(seen_from(key, home, event.resource))
        resource = self._resource(key, ref)
        if record is None or record.status is not NeedStatus.OPEN:
            status = "not reported" if record is None else record.status.value
            self.record.notes.append(Note(at_s, index, f"override: need {event.need!r} is {status}"))
            return None
        candidates = [
            d
            for d in sorted(board.dispatches_of(event.need), key=lambda d: d.id)
            if d.status in (S.PROPOSED, S.CONFIRMED, S.NOTIFIED)
            and d.resource != ref
            and (d.part or record.need.capability) == resource.capability
        ]
        if not candidates:
            self.record.notes.append(
                Note(at_s, index, f"override: nothing changeable is planned for {event.need!r} now")
            )
            return None
        return Override(dispatch=candidates[0].id, resource=ref)

    def _resource(self, key: str, ref: ResourceId) -> Resource:
        """A resource as ``key``'s board names it: its own, or another's through the street."""
        resource = self.board(key).resource(ref)
        assert resource is not None, ref
        return resource

    # -- the street desk -----------------------------------------------------------------------------------

    def _approve(self, key: str, dispatch: Dispatch, at_s: float) -> None:
        """The desk approves a dispatch of another community's units; refused (its units are not free now),
        it looks again after the same delay while the proposal stands."""
        if dispatch.status is not S.PROPOSED or not dispatch.approval or dispatch.after is not None:
            return
        if not self._desk_does(key, Approve(dispatch=dispatch.id), at_s):
            delay = self.scenario.settings.street_approve_after_s
            self._push(at_s + max(delay, 1), 1, "approve", dispatch=dispatch.id, key=key)

    def _desk(self, key: str, need_id: NeedId, at_s: float) -> None:
        """The desk answers an escalated need: approves what waits for it, else sends free units of the
        street's pool, else says no help is available."""
        board = self.board(key)
        record = board.needs.get(need_id)
        if record is None or record.status is not NeedStatus.OPEN or record.answers:
            return
        if board.committed_units(need_id, None) >= record.need.quantity:
            self.record.needs[need_id].covered = True
            return
        waiting = [
            d
            for d in sorted(board.dispatches_of(need_id), key=lambda d: d.id)
            if d.approval and d.status is S.PROPOSED and d.after is None
        ]
        approved = [d for d in waiting if self._desk_does(key, Approve(dispatch=d.id), at_s)]
        if approved:
            return
        if self.street_board is not None:
            boards = [self.board(k) for k in sorted(self.street.coordinators)]
            commands = street_units(
                board,
                record,
                self.board(self.street_board),
                boards,
                lambda source, target: _shortest(board.graph, source, target, self._paths),
            )
            sent = [c for c in commands if self._desk_does(key, c, at_s)]
            if sent:
                return
        note = NO_HELP if self.street_board is not None else NO_STREET
        self._desk_does(key, AnswerEscalation(need=need_id, answer=EscalationAnswer.NO_HELP, note=note), at_s)

    def _desk_does(self, key: str, command: Command, at_s: float) -> bool:
        try:
            self._handle(key, command, at_s, STREET_DESK)
        except Rejected:
            return False
        return True

    # -- people answering ---------------------------------------------------------------------------------

    def _observe(self, key: str, steps: list[Step], at_s: float) -> None:
        if self.watch is not None and steps:
            self.watch(key, steps, self.street)
        settings = self.scenario.settings
        for step in steps:
            event = step.event
            if self.keep_log:
                self._log(key, step, at_s)
            if isinstance(event, PlanProposed):
                self._replanned(key, event.plan, event.version, at_s)
            elif isinstance(event, NeedEscalated):
                self.record.counts["escalations"] += 1
                if event.need in self.record.needs:
                    self.record.needs[event.need].escalated = True
                if self.desk:
                    self._push(at_s + settings.street_answer_after_s, 1, "desk", key=key, need=event.need)
            elif isinstance(event, EscalationAnswered) and event.need in self.record.needs:
                self.record.needs[event.need].answers.append(event.answer)
            for d in step.changed:
                # A proposal for units still on another job is confirmed once a plan has them free; one of
                # another community's units that the lender sends to the street waits for the desk.
                if d.status is S.PROPOSED and d.after is None and d.id not in self._seen_proposed:
                    self._seen_proposed.add(d.id)
                    if d.approval:
                        self._push(
                            at_s + settings.street_approve_after_s, 1, "approve", dispatch=d.id, key=key
                        )
                    else:
                        self._push(at_s + settings.confirm_after_s, 1, "confirm", dispatch=d.id, key=key)
                elif d.status is S.NOTIFIED and d.id not in self._seen_notified:
                    self._seen_notified.add(d.id)
                    self._notified(key, d, at_s)
            if isinstance(event, DispatchStatusChanged):
                if event.status is S.TIMED_OUT:
                    self.record.counts["timeouts"] += 1
                elif event.status is S.DECLINED:
                    self.record.counts["declines"] += 1
                elif event.status is S.CONFIRMED:
                    self.record.counts[CONFIRMED_BY.get(event.note, "confirmed")] += 1
                    self._lent(key, event.dispatch, at_s)

    def _lent(self, key: str, dispatch_id: DispatchId, at_s: float) -> None:
        board = self.board(key)
        d = board.dispatches.get(dispatch_id)
        if d is None or SEPARATOR not in d.resource:
            return
        plan = board.plan.assignments if board.plan is not None else ()
        shared_by = next(
            (
                a.shared_by
                for a in plan
                if (a.need, a.part, a.resource) == (d.need, d.part, d.resource) and a.shared_by is not None
            ),
            "by_hand",
        )
        owner = home_of(d.resource, key)
        self.record.lent.append(Lent(at_s, d.need, key, owner, shared_by, d.quantity))

    def _notified(self, key: str, d: Dispatch, at_s: float) -> None:
        # The responder is the unit's organisation, on whichever board the unit lives.
        organisation = self._resource(key, d.resource).organisation
        self._attempts[(d.need, d.resource)] += 1
        response = draw(
            self.seed,
            self.scenario,
            organisation,
            d.need,
            ResourceId(split(d.resource)[1]),
            self._attempts[(d.need, d.resource)],
            at_s,
        )
        if response.answer is Answer.SILENT:
            self.record.counts["silent"] += 1
            return  # the coordinator's acknowledgement timeout takes it from here
        self._push(at_s + response.answer_after_s, 1, "answer", dispatch=d.id, response=response, key=key)

    def _answer(self, key: str, dispatch: Dispatch, action: _Action) -> None:
        response = action.response
        assert response is not None
        if dispatch.status is not S.NOTIFIED:
            return
        if response.answer is Answer.DECLINE:
            note = "演练：按场景拒绝 declined (scenario)" if response.forced_by else "演练：拒绝 declined"
            self._advance(key, dispatch, S.DECLINED, action.at_s, note=note)
            return
        if self._advance(key, dispatch, S.ACKNOWLEDGED, action.at_s):
            self._push(action.at_s + response.setoff_after_s, 1, "setoff", dispatch=dispatch.id, key=key)

    def _set_off(self, key: str, dispatch: Dispatch, at_s: float) -> None:
        travel = self._travel_s(key, dispatch)
        if travel is None:
            # Not a refusal: the pair is set aside until the roads change, and the plan uses the roads as
            # they are.
            self._advance(key, dispatch, S.NO_ROAD, at_s, note="无路可达 no open road there")
            self.record.counts["no_road"] += 1
            return
        if self._advance(key, dispatch, S.EN_ROUTE, at_s):
            self._travel[dispatch.id] = travel
            self._push(at_s + travel, 1, "arrive", dispatch=dispatch.id, key=key)

    def _arrived(self, key: str, dispatch: Dispatch, at_s: float) -> None:
        track = self.record.needs[dispatch.need]
        if track.reached_s is None:
            track.reached_s = at_s
            track.first_resource = dispatch.resource
            track.first_travel_s = self._travel.get(dispatch.id)
        if dispatch.part is None:
            units = min(dispatch.quantity, track.quantity - track.units_reached)
            if units > 0:
                track.units_reached += units
                track.arrivals.append((units, self._travel.get(dispatch.id)))
        capability = self._resource(key, dispatch.resource).capability
        self._push(at_s + self.scenario.service_s(capability), 1, "done", dispatch=dispatch.id, key=key)

    def _advance(
        self,
        key: str,
        dispatch: Dispatch,
        to: DispatchStatus,
        at_s: float,
        actor: str | None = None,
        note: str = "",
    ) -> bool:
        organisation = self._resource(key, dispatch.resource).organisation
        try:
            self._handle(key, Advance(dispatch=dispatch.id, to=to, note=note), at_s, actor or organisation)
        except Rejected:
            return False
        return True

    def _travel_s(self, key: str, dispatch: Dispatch) -> int | None:
        """The plan's travel seconds for this pair; for a pair the plan has not seen (an override just
        made, units sent by hand), the shortest open road now."""
        board = self.board(key)
        if board.plan is not None:
            travel = self._plan_travel(key, board.plan).get((dispatch.need, dispatch.part, dispatch.resource))
            if travel is not None:
                return travel
        source = self._resource(key, dispatch.resource).location
        target = board.needs[dispatch.need].need.location
        return _shortest(board.graph, source, target, self._paths)

    def _plan_travel(
        self, key: str, plan: Plan
    ) -> dict[tuple[NeedId, Capability | None, ResourceId], int | None]:
        """The travel seconds of each pair in ``key``'s plan (its first assignment of the pair), made once per
        plan: every unit setting off asks."""
        known = self._travels.get(key)
        if known is None or known[0] is not plan:
            travel: dict[tuple[NeedId, Capability | None, ResourceId], int | None] = {}
            for a in plan.assignments:
                travel.setdefault((a.need, a.part, a.resource), a.travel_s)
            known = self._travels[key] = (plan, travel)
        return known[1]

    # -- plans ---------------------------------------------------------------------------------------------

    def _replanned(self, key: str, plan: Plan, version: int, at_s: float) -> None:
        self.record.replans.append(
            Replan(
                at_s,
                version,
                churn(self._last_plan.get(key), plan),
                len(plan.assignments),
                len(plan.unmet),
                plan.objective.served_by_priority,
                key,
            )
        )
        self._last_plan[key] = plan

    def _log(self, key: str, step: Step, at_s: float) -> None:
        event = step.event
        exclude = {"plan": {"solver"}} if isinstance(event, PlanProposed) else None
        line: dict[str, object] = {
            "seq": len(self.record.log) + 1,
            "exercise": True,
            "offset": clock(at_s),
            "type": event.type,
        }
        if self.scenario.is_street:
            line["community"] = key
        line["event"] = event.model_dump(mode="json", exclude=exclude)
        self.record.log.append(dumps(self._compactor.line(line)))

    def _finish(self) -> None:
        status: dict[NeedId, NeedStatus] = {}
        order = list(S)
        for key in self.keys:
            board = self.board(key)
            status.update((need_id, r.status) for need_id, r in board.needs.items())
            if board.plan is not None:
                self.record.final_plans[key] = board.plan
            for d in board.dispatches.values():
                track = self.record.needs.get(d.need)
                if track is not None and (
                    track.in_flight is None or order.index(d.status) > order.index(track.in_flight)
                ):
                    track.in_flight = d.status
            self.record.exercise = self.record.exercise or any(i.exercise for i in board.incidents)
        self.record.final_status = dict(sorted(status.items()))


def churn(before: Plan | None, after: Plan) -> int:
    """Units moved from one need to another between two plans: a proposed or committed unit of a resource
    that the new plan sends to a need it did not go to before, while its old need is still open."""
    if before is None:
        return 0
    still_open = {a.need for a in after.assignments} | {u.need for u in after.unmet}
    old: Counter[tuple[ResourceId, NeedId]] = Counter()
    new: Counter[tuple[ResourceId, NeedId]] = Counter()
    for a in before.assignments:
        old[(a.resource, a.need)] += a.quantity
    for a in after.assignments:
        new[(a.resource, a.need)] += a.quantity
    # Per resource: units that left a need still open, and units it gained at other needs.
    left: Counter[ResourceId] = Counter()
    gained: Counter[ResourceId] = Counter()
    for (resource, need), units in old.items():
        if need in still_open:
            left[resource] += max(0, units - new[(resource, need)])
    for (resource, need), units in new.items():
        gained[resource] += max(0, units - old[(resource, need)])
    return sum(min(units, gained[resource]) for resource, units in left.items())


def _shortest(
    graph: RoadGraph, source: NodeId, target: NodeId, memo: dict[tuple[str, NodeId], dict[NodeId, float]]
) -> int | None:
    key = (graph.fingerprint, source)
    lengths = memo.get(key)
    if lengths is None:
        lengths = memo[key] = nx.single_source_dijkstra_path_length(
            graph.networkx(), source, weight="seconds"
        )
    found = lengths.get(target)
    return None if found is None else round(found)
