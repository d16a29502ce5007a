"""Run a scenario through the real coordinator on simulated time.

The timeline's events, the coordinator's own deadlines (:meth:`Coordinator.due`: re-plan debounce,
acknowledgement timeouts, escalations), cadres confirming proposals and responders answering, setting off,
arriving and finishing are merged into one sequence of moments; time jumps from one to the next. Nothing
here reads a clock or a file: the map loader is passed in, and the same seed gives the same run.
"""

import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import networkx as nx

from engine.coordinator import (
    Advance,
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
from engine.coordinator.events import NeedEscalated, PlanProposed
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
    ResourceOffline,
    ResourceOnline,
    ResourceQuantity,
    RoadCloses,
    RoadReopens,
    Scenario,
    TimelineEvent,
    clock,
)
from engine.matching.solver import Solver
from engine.model.entities import ResourceStatus
from engine.model.ids import Capability, NeedId, NodeId, ResourceId
from engine.model.plan import Plan
from engine.rules.profile import Profile
from engine.travel import RoadGraph

S = DispatchStatus
CADRE = "cadre"
# After this many ticks at one moment the coordinator is not settling: a bug, not a drill.
MAX_TICKS_AT_ONE_MOMENT = 1000


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


@dataclass(frozen=True)
class Replan:
    at_s: float
    version: int
    # Proposals the new plan took back from needs still open: what a cadre sees change under them.
    churn: int
    assignments: int
    unmet: int
    served_by_priority: tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Note:
    """A timeline event that could not apply as written (it is a fact of the run, not an input error)."""

    at_s: float
    index: int
    text: str


@dataclass
class RunRecord:
    solver: str
    end_s: float
    needs: dict[NeedId, NeedTrack] = field(default_factory=dict)
    replans: list[Replan] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[Note] = field(default_factory=list)
    # The status of every reported need at the end, and the last plan (its unmet needs say why).
    final_status: dict[NeedId, NeedStatus] = field(default_factory=dict)
    final_plan: Plan | None = None
    exercise: bool = False
    # The coordinator's events, as the service would publish them (only when asked for).
    log: list[dict[str, object]] = field(default_factory=list)


ActionKind = Literal["timeline", "confirm", "answer", "setoff", "arrive", "done"]


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


class DrillRun:
    """One run of a scenario with one solver. :meth:`run` returns what happened."""

    def __init__(
        self,
        scenario: Scenario,
        profile: Profile,
        maps: MapLoader,
        *,
        seed: int,
        solver: Solver,
        settings: CoordinatorSettings | None = None,
        progress: Callable[[float], None] | None = None,
        keep_log: bool = False,
    ) -> None:
        self.scenario = scenario
        self.profile = profile
        self.seed = seed
        base = settings or CoordinatorSettings()
        self.coordinator = Coordinator(maps, CoordinatorSettings(base.debounce_s, base.solve, solver))
        self.progress = progress
        self.keep_log = keep_log
        self.record = RunRecord(solver=solver.name, end_s=scenario.end)
        self._queue: list[_Action] = []
        self._seq = 0
        self._seen_proposed: set[DispatchId] = set()
        self._seen_notified: set[DispatchId] = set()
        self._attempts: Counter[tuple[NeedId, ResourceId]] = Counter()
        self._travel: dict[DispatchId, int] = {}
        self._last_plan: Plan | None = None
        self._paths: dict[tuple[str, NodeId], dict[NodeId, float]] = {}

    # -- driving ----------------------------------------------------------------------------------------

    def run(self) -> RunRecord:
        scenario = self.scenario
        self._setup()
        for i, event in enumerate(scenario.timeline):
            self._push(event.at, 0, "timeline", index=i)
        end = float(scenario.end)
        ticks_here, last_tick = 0, None
        while True:
            due = self.coordinator.due()
            due_s = None if due is None else (due - scenario.settings.start).total_seconds()
            next_s = self._queue[0].at_s if self._queue else None
            if due_s is not None and due_s <= end and (next_s is None or due_s < next_s):
                assert due is not None
                ticks_here = ticks_here + 1 if due_s == last_tick else 0
                if ticks_here > MAX_TICKS_AT_ONE_MOMENT:
                    raise RuntimeError(f"the coordinator does not settle at {clock(due_s)}")
                last_tick = due_s
                self._observe(self.coordinator.tick(due), due_s)
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
    ) -> None:
        self._seq += 1
        heapq.heappush(self._queue, _Action(at_s, rank, self._seq, kind, index, dispatch, response))

    def _at(self, at_s: float) -> datetime:
        return self.scenario.at(at_s)

    def _handle(self, command: Command, at_s: float, actor: str) -> list[Step]:
        steps = self.coordinator.handle(command, self._at(at_s), actor)
        self._observe(steps, at_s)
        return steps

    def _setup(self) -> None:
        scenario = self.scenario
        community = scenario.community
        self._handle(
            RegisterCommunity(community=community.community(), profile=self.profile, map=scenario.map),
            0,
            "drill",
        )
        for org in scenario.organisations:
            self._handle(RegisterOrganisation(organisation=org.organisation(community.id)), 0, "drill")
        for resource in scenario.resources:
            self._handle(SaveResource(resource=resource), 0, "drill")

    # -- the timeline --------------------------------------------------------------------------------------

    def _perform(self, action: _Action) -> None:
        if action.kind == "timeline":
            self._timeline(action.index, self.scenario.timeline[action.index], action.at_s)
            return
        assert action.dispatch is not None
        dispatch = self.coordinator.board.dispatches.get(action.dispatch)
        if dispatch is None:
            return  # withdrawn, declined, or its need was closed meanwhile
        match action.kind:
            case "confirm":
                if dispatch.status is S.PROPOSED:
                    self._advance(dispatch, S.CONFIRMED, action.at_s, CADRE)
            case "answer":
                self._answer(dispatch, action)
            case "setoff":
                if dispatch.status is S.ACKNOWLEDGED:
                    self._set_off(dispatch, action.at_s)
            case "arrive":
                if dispatch.status is S.EN_ROUTE and self._advance(dispatch, S.ON_SITE, action.at_s):
                    self._arrived(dispatch, action.at_s)
            case "done":
                if dispatch.status is S.ON_SITE and self._advance(dispatch, S.DONE, action.at_s):
                    track = self.record.needs[dispatch.need]
                    if self.coordinator.board.needs[dispatch.need].status is NeedStatus.SERVED:
                        track.served_s = action.at_s

    def _timeline(self, index: int, event: TimelineEvent, at_s: float) -> None:
        scenario = self.scenario
        board = self.coordinator.board
        command: Command | None = None
        match event:
            case IncidentStarts():
                command = TriggerIncident(
                    incident=IncidentId(f"{scenario.name}-drill"),
                    kind=event.kind,
                    level=event.level,
                    exercise=True,
                )
            case LevelChanges():
                command = ChangeLevel(level=event.level)
            case NeedReported():
                need = event.need.need(scenario.community.id, self._at(at_s))
                command = ReportNeed(need=need)
                self.record.needs[need.id] = NeedTrack(
                    need.id, need.capability, need.quantity, need.priority, at_s
                )
            case NeedCancelled():
                command = CancelNeed(need=event.need, reason=event.reason or event.note)
            case ResourceOffline() | ResourceOnline() | ResourceQuantity():
                command = self._resource_change(event, at_s)
            case RoadCloses():
                command = CloseRoad(source=event.source, target=event.target, one_way=event.one_way)
            case RoadReopens():
                command = ReopenRoad(source=event.source, target=event.target)
            case OrganisationDeclines() | OrganisationSilent():
                return  # the responders read these windows when they are notified
            case CadreOverrides():
                command = self._override(index, event, at_s)
            case IncidentCloses():
                command = CloseIncident()
        if command is None:
            return
        try:
            self._handle(command, at_s, CADRE)
        except Rejected as exc:
            self.record.notes.append(Note(at_s, index, f"{event.event}: {exc.message}"))
            return
        if isinstance(event, NeedCancelled):
            self.record.needs[event.need].cancelled_s = at_s
        if isinstance(event, CadreOverrides):
            self.record.counts["overrides"] += 1
        if board.incident is not None and board.incident.exercise:
            self.record.exercise = True

    def _resource_change(
        self, event: ResourceOffline | ResourceOnline | ResourceQuantity, at_s: float
    ) -> Command | None:
        board = self.coordinator.board
        resource = board.resources[event.resource]
        if isinstance(event, ResourceQuantity):
            return SaveResource(resource=resource.model_copy(update={"quantity": event.quantity}))
        status = ResourceStatus.OFFLINE if isinstance(event, ResourceOffline) else ResourceStatus.AVAILABLE
        if status is ResourceStatus.OFFLINE:
            # Those sent but not yet on their way cannot come now; those on the road carry on.
            for d in sorted(board.dispatches.values(), key=lambda d: d.id):
                if d.resource == resource.id and d.status in (S.NOTIFIED, S.ACKNOWLEDGED):
                    self._advance(d, S.DECLINED, at_s, note="资源离线 resource went offline")
        return SaveResource(resource=resource.model_copy(update={"status": status}))

    def _override(self, index: int, event: CadreOverrides, at_s: float) -> Command | None:
        board = self.coordinator.board
        record = board.needs.get(event.need)
        resource = board.resources[event.resource]
        if record is None or record.status is not NeedStatus.OPEN:
            status = "not reported" if record is None else record.status.value
            self.record.notes.append(Note(at_s, index, f"override: need {event.need!r} is {status}"))
            return None
        candidates = [
            d
            for d in sorted(board.dispatches_of(event.need), key=lambda d: d.id)
            if d.status in (S.PROPOSED, S.CONFIRMED, S.NOTIFIED)
            and d.resource != resource.id
            and (d.part or record.need.capability) == resource.capability
        ]
        if not candidates:
            self.record.notes.append(
                Note(at_s, index, f"override: nothing changeable is planned for {event.need!r} now")
            )
            return None
        return Override(dispatch=candidates[0].id, resource=resource.id)

    # -- people answering ---------------------------------------------------------------------------------

    def _observe(self, steps: list[Step], at_s: float) -> None:
        for step in steps:
            event = step.event
            if self.keep_log:
                self._log(step, at_s)
            if isinstance(event, PlanProposed):
                self._replanned(event.plan, event.version, at_s)
            elif isinstance(event, NeedEscalated):
                self.record.counts["escalations"] += 1
                if event.need in self.record.needs:
                    self.record.needs[event.need].escalated = True
            for d in step.changed:
                # A proposal for units still on another job is confirmed once a plan has them free.
                if d.status is S.PROPOSED and d.after is None and d.id not in self._seen_proposed:
                    self._seen_proposed.add(d.id)
                    self._push(at_s + self.scenario.settings.confirm_after_s, 1, "confirm", dispatch=d.id)
                elif d.status is S.NOTIFIED and d.id not in self._seen_notified:
                    self._seen_notified.add(d.id)
                    self._notified(d, at_s)
            if event.type == "dispatch_status_changed":
                status = getattr(event, "status", None)
                if status is S.TIMED_OUT:
                    self.record.counts["timeouts"] += 1
                elif status is S.DECLINED:
                    self.record.counts["declines"] += 1
                elif status is S.CONFIRMED:
                    note = getattr(event, "note", "")
                    self.record.counts["auto_confirmed" if note == "auto" else "confirmed"] += 1

    def _notified(self, d: Dispatch, at_s: float) -> None:
        board = self.coordinator.board
        organisation = board.resources[d.resource].organisation
        self._attempts[(d.need, d.resource)] += 1
        response = draw(
            self.seed,
            self.scenario,
            organisation,
            d.need,
            d.resource,
            self._attempts[(d.need, d.resource)],
            at_s,
        )
        if response.answer is Answer.SILENT:
            self.record.counts["silent"] += 1
            return  # the coordinator's acknowledgement timeout takes it from here
        self._push(at_s + response.answer_after_s, 1, "answer", dispatch=d.id, response=response)

    def _answer(self, dispatch: Dispatch, action: _Action) -> None:
        response = action.response
        assert response is not None
        if dispatch.status is not S.NOTIFIED:
            return
        if response.answer is Answer.DECLINE:
            note = "演练：按场景拒绝 declined (scenario)" if response.forced_by else "演练：拒绝 declined"
            self._advance(dispatch, S.DECLINED, action.at_s, note=note)
            return
        if self._advance(dispatch, S.ACKNOWLEDGED, action.at_s):
            self._push(action.at_s + response.setoff_after_s, 1, "setoff", dispatch=dispatch.id)

    def _set_off(self, dispatch: Dispatch, at_s: float) -> None:
        travel = self._travel_s(dispatch)
        if travel is None:
            # Not a refusal: the pair is set aside until the roads change, and the plan uses the roads as
            # they are.
            self._advance(dispatch, S.NO_ROAD, at_s, note="无路可达 no open road there")
            self.record.counts["no_road"] += 1
            return
        if self._advance(dispatch, S.EN_ROUTE, at_s):
            self._travel[dispatch.id] = travel
            self._push(at_s + travel, 1, "arrive", dispatch=dispatch.id)

    def _arrived(self, dispatch: Dispatch, at_s: float) -> None:
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
        capability = self.coordinator.board.resources[dispatch.resource].capability
        self._push(at_s + self.scenario.service_s(capability), 1, "done", dispatch=dispatch.id)

    def _advance(
        self, dispatch: Dispatch, to: DispatchStatus, at_s: float, actor: str | None = None, note: str = ""
    ) -> bool:
        organisation = self.coordinator.board.resources[dispatch.resource].organisation
        try:
            self._handle(Advance(dispatch=dispatch.id, to=to, note=note), at_s, actor or organisation)
        except Rejected:
            return False
        return True

    def _travel_s(self, dispatch: Dispatch) -> int | None:
        """The plan's travel seconds for this pair; for a pair the plan has not seen (an override just
        made), the shortest open road now."""
        board = self.coordinator.board
        if board.plan is not None:
            for a in board.plan.assignments:
                if (a.need, a.part, a.resource) == (dispatch.need, dispatch.part, dispatch.resource):
                    if a.travel_s is not None:
                        return a.travel_s
                    break
        source = board.resources[dispatch.resource].location
        target = board.needs[dispatch.need].need.location
        return _shortest(board.graph, source, target, self._paths)

    # -- plans ---------------------------------------------------------------------------------------------

    def _replanned(self, plan: Plan, version: int, at_s: float) -> None:
        self.record.replans.append(
            Replan(
                at_s,
                version,
                churn(self._last_plan, plan),
                len(plan.assignments),
                len(plan.unmet),
                plan.objective.served_by_priority,
            )
        )
        self._last_plan = plan

    def _log(self, step: Step, at_s: float) -> None:
        event = step.event
        exclude = {"plan": {"solver"}} if isinstance(event, PlanProposed) else None
        self.record.log.append(
            {
                "seq": len(self.record.log) + 1,
                "exercise": True,
                "offset": clock(at_s),
                "type": event.type,
                "event": event.model_dump(mode="json", exclude=exclude),
            }
        )

    def _finish(self) -> None:
        board = self.coordinator.board
        self.record.final_status = {need_id: r.status for need_id, r in sorted(board.needs.items())}
        self.record.final_plan = board.plan
        order = list(S)
        for d in board.dispatches.values():
            track = self.record.needs.get(d.need)
            if track is not None and (
                track.in_flight is None or order.index(d.status) > order.index(track.in_flight)
            ):
                track.in_flight = d.status
        self.record.exercise = self.record.exercise or any(i.exercise for i in board.incidents)


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
