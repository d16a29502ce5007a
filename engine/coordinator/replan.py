"""A new plan from the board: open needs, the pool as it is now, committed dispatches pinned."""

from collections import defaultdict
from datetime import datetime, timedelta

from engine.coordinator.board import Board
from engine.coordinator.events import DispatchStatus, DispatchStatusChanged, Event, PlanProposed
from engine.coordinator.settings import CoordinatorSettings
from engine.matching import Pin, ProblemBuilder
from engine.matching.params import SolveParams
from engine.matching.problem import MatchingProblem, SoonFree, soon_id
from engine.model.entities import Mode
from engine.model.ids import Capability, NeedId, ResourceId

# A job past its expected end is taken to end this soon.
OVERDUE_S = 120


def replan_due(board: Board, settings: CoordinatorSettings) -> datetime | None:
    """When the next plan is due: a short debounce after a change in an incident, on the schedule otherwise,
    and when a pair ruled out for a while may be planned again."""
    if board.profile is None:
        return None
    due = None
    if board.dirty_since is not None:
        due = board.dirty_since + timedelta(seconds=settings.debounce_s)
        if board.mode is Mode.NORMAL and board.plan_at is not None:
            every = timedelta(seconds=board.profile.dispatch.normal_match_every_s)
            due = max(due, board.plan_at + every)
    lapse = board.next_lapse()
    if lapse is not None and board.open_needs():
        due = lapse if due is None else min(due, lapse)
    return due


def problem_of(board: Board, at: datetime | None = None) -> MatchingProblem:
    """The matching problem at ``at`` (the plan's moment: needs' waiting, exclusions in force, units free)."""
    assert board.community is not None
    pins: dict[tuple[NeedId, Capability | None, ResourceId], int] = defaultdict(int)
    for d in board.dispatches.values():
        if d.committed:
            pins[(d.need, d.part, d.resource)] += d.quantity
    soon = soon_free(board, at) if at is not None else []
    offered = {soon_id(u.resource, u.job) for u in soon}
    # A proposal for units after their job is the same proposal whether those units or other units of the
    # same resource go: it is kept under the offer while the job lasts, and under the resource itself.
    previous = [
        Pin(need=d.need, resource=resource, quantity=d.quantity, part=d.part)
        for d in board.dispatches.values()
        if not d.committed
        for resource in (
            (soon_id(d.resource, d.after), d.resource)
            if d.after is not None and soon_id(d.resource, d.after) in offered
            else (d.resource,)
        )
    ]
    organisations = board.planned_organisations()
    builder = (
        ProblemBuilder(board.graph, mode=board.mode)
        .at(at)
        .use_profile(board.profile, board.community.id)
        .reuse_rules(board.rules)
        .add_needs(r.need for r in board.open_needs())
        .add_resources(board.resources.values())
        .add_organisations(organisations)
        .pin(Pin(need=n, part=p, resource=r, quantity=q) for (n, p, r), q in sorted(pins.items(), key=str))
        .keep(previous)
    )
    return builder.exclude(board.exclusions_at(at)).add_soon(soon).build()


def soon_free(board: Board, at: datetime) -> list[SoonFree]:
    """Units on a job that an incident may plan for their next need, from where and when the job ends.

    Only jobs under way count (on the road or on site): before setting off, a unit may still be turned back.
    A job past its expected end is taken to end within OVERDUE_S.
    """
    profile = board.profile
    if profile is None or board.mode is not Mode.INCIDENT or not profile.dispatch.plan_busy_units:
        return []
    travel = {
        (a.need, a.part, a.resource): a.travel_s or 0
        for a in (board.plan.assignments if board.plan else ())
        if a.pinned
    }
    jobs: dict[tuple[ResourceId, NeedId], tuple[int, datetime]] = {}
    for d in sorted(board.dispatches.values(), key=lambda d: d.id):
        if d.status not in (DispatchStatus.EN_ROUTE, DispatchStatus.ON_SITE):
            continue
        on_site = d.since
        if d.status is DispatchStatus.EN_ROUTE:
            on_site += timedelta(seconds=travel.get((d.need, d.part, d.resource), 0))
        resource = board.resource(d.resource)
        if resource is None:
            continue
        capability = resource.capability
        ends = on_site + timedelta(seconds=profile.dispatch.job_seconds(capability))
        units, latest = jobs.get((d.resource, d.need), (0, ends))
        jobs[(d.resource, d.need)] = (units + d.quantity, max(latest, ends))
    return [
        SoonFree(
            resource=resource,
            job=need,
            quantity=units,
            location=board.needs[need].need.location,
            in_s=max(OVERDUE_S, int((ends - at).total_seconds())),
        )
        for (resource, need), (units, ends) in sorted(jobs.items())
    ]


def replan(board: Board, at: datetime, settings: CoordinatorSettings, params: SolveParams) -> PlanProposed:
    plan = settings.solver.solve(problem_of(board, at), params)
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
        # A unit still on another job is confirmed when it is free (a plan then proposes it as free).
        # Another community's units wait for the street's approval.
        if d.status is not DispatchStatus.PROPOSED or d.after is not None or d.approval:
            continue
        if board.needs[d.need].priority >= threshold:
            events.append(
                DispatchStatusChanged(at=at, dispatch=d.id, status=DispatchStatus.CONFIRMED, note="auto")
            )
            events.append(DispatchStatusChanged(at=at, dispatch=d.id, status=DispatchStatus.NOTIFIED))
    return events
