"""A new plan from the board: open needs, the pool as it is now, committed dispatches pinned."""

from collections import defaultdict
from datetime import datetime, timedelta

from engine.coordinator.board import Board
from engine.coordinator.events import DispatchStatus, DispatchStatusChanged, Event, PlanProposed
from engine.coordinator.settings import CoordinatorSettings
from engine.matching import Pin, ProblemBuilder
from engine.matching.params import SolveParams
from engine.matching.problem import MatchingProblem
from engine.model.entities import Mode
from engine.model.ids import Capability, NeedId, ResourceId


def replan_due(board: Board, settings: CoordinatorSettings) -> datetime | None:
    """When the next plan is due: a short debounce after a change in an incident, on the schedule otherwise."""
    if board.dirty_since is None or board.profile is None:
        return None
    due = board.dirty_since + timedelta(seconds=settings.debounce_s)
    if board.mode is Mode.NORMAL and board.plan_at is not None:
        every = timedelta(seconds=board.profile.dispatch.normal_match_every_s)
        due = max(due, board.plan_at + every)
    return due


def problem_of(board: Board) -> MatchingProblem:
    assert board.community is not None
    pins: dict[tuple[NeedId, Capability | None, ResourceId], int] = defaultdict(int)
    for d in board.dispatches.values():
        if d.committed:
            pins[(d.need, d.part, d.resource)] += d.quantity
    previous = [
        Pin(need=d.need, resource=d.resource, quantity=d.quantity, part=d.part)
        for d in board.dispatches.values()
        if not d.committed
    ]
    recent = board.recent_dispatches()
    organisations = [
        o.model_copy(update={"recent_dispatches": recent[o.id]}) if recent[o.id] else o
        for o in board.organisations.values()
    ]
    return (
        ProblemBuilder(board.graph, mode=board.mode)
        .use_profile(board.profile, board.community.id)
        .reuse_rules(board.rules)
        .add_needs(r.need for r in board.open_needs())
        .add_resources(board.resources.values())
        .add_organisations(organisations)
        .pin(Pin(need=n, part=p, resource=r, quantity=q) for (n, p, r), q in sorted(pins.items(), key=str))
        .keep(previous)
        .exclude(board.excluded)
        .build()
    )


def replan(board: Board, at: datetime, settings: CoordinatorSettings, params: SolveParams) -> PlanProposed:
    plan = settings.solver.solve(problem_of(board), params)
    return PlanProposed(
        at=at,
        version=board.plan_version + 1,
        incident=board.incident.id if board.incident else None,
        exercise=board.exercise,
        plan=plan,
    )


def auto_confirmations(board: Board, at: datetime) -> list[Event]:
    """In an incident, proposals the profile confirms by itself (e.g. every life-safety need)."""
    if board.mode is not Mode.INCIDENT or board.profile is None or board.community is None:
        return []
    threshold = board.profile.dispatch.auto_confirm_priority
    if threshold is None:
        return []
    events: list[Event] = []
    for d in sorted(board.dispatches.values(), key=lambda d: d.id):
        if d.status is not DispatchStatus.PROPOSED:
            continue
        if board.needs[d.need].priority >= threshold:
            events.append(
                DispatchStatusChanged(at=at, dispatch=d.id, status=DispatchStatus.CONFIRMED, note="auto")
            )
            events.append(DispatchStatusChanged(at=at, dispatch=d.id, status=DispatchStatus.NOTIFIED))
    return events
