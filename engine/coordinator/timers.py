"""Deadlines read off the board, so they survive a restart: the log rebuilds the board, and the board
says what is due. Acknowledgement timeouts, escalations to the street and overdue tasks."""

from collections import Counter
from datetime import datetime, timedelta

from engine.coordinator.board import Board
from engine.coordinator.events import DispatchStatus, DispatchStatusChanged, Event, NeedEscalated
from engine.governance.timers import overdue_deadlines
from engine.model.entities import Mode
from engine.model.plan import ESCALATE


def ack_deadlines(board: Board) -> list[tuple[datetime, str]]:
    if board.profile is None:
        return []
    timeout = timedelta(seconds=board.profile.dispatch.ack_timeout_s)
    return [
        (d.notified_at + timeout, d.id)
        for d in board.dispatches.values()
        if d.status is DispatchStatus.NOTIFIED and d.notified_at is not None
    ]


def escalation_deadlines(board: Board) -> list[tuple[datetime, str]]:
    """Needs not yet fully covered by committed dispatches, escalated this long after they were reported."""
    if board.profile is None or board.mode is not Mode.INCIDENT:
        return []
    after = timedelta(seconds=board.profile.dispatch.escalate_after_s)
    # Units committed to each need's own capability, in one pass over the dispatches (not one per need).
    committed: Counter[str] = Counter()
    for d in board.dispatches.values():
        if d.part is None and d.committed:
            committed[d.need] += d.quantity
    return [
        (r.reported_at + after, r.need.id)
        for r in board.open_needs()
        if not r.escalated and r.need.quantity > committed[r.need.id]
    ]


def next_deadline(board: Board) -> datetime | None:
    deadlines = (*ack_deadlines(board), *escalation_deadlines(board), *overdue_deadlines(board.ledger))
    return min((at for at, _ in deadlines), default=None)


def fire_timeouts(board: Board, now: datetime) -> list[Event]:
    return [
        DispatchStatusChanged(at=now, dispatch=d, status=DispatchStatus.TIMED_OUT, note="未在时限内接单")
        for at, d in sorted(ack_deadlines(board))
        if at <= now
    ]


def fire_escalations(board: Board, now: datetime) -> list[Event]:
    events: list[Event] = []
    unmet = {u.need: u for u in board.plan.unmet} if board.plan is not None else {}
    for at, need_id in sorted(escalation_deadlines(board)):
        if at > now:
            continue
        u = unmet.get(need_id)  # type: ignore[call-overload]
        detail = u.detail if u is not None else "已超过上报时限，仍未全部确认派出"
        events.append(
            NeedEscalated(
                at=now,
                need=need_id,
                missing=_missing(board, need_id),
                suggestion=u.suggestion if u is not None else ESCALATE,
                detail=detail,
            )
        )
    return events


def _missing(board: Board, need_id: str) -> int:
    need = board.needs[need_id].need  # type: ignore[index]
    return max(0, need.quantity - board.committed_units(need.id, None))
