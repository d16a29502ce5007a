"""The rules for warnings, one function each: what a warning, its cancel, and people's answer to its proposal
cause (engine/model/warning.py)."""

from datetime import datetime

import engine.governance.decide as governance
from engine.coordinator.board import Board
from engine.coordinator.commands import AcceptWarning, CancelWarning, DismissWarning, ReceiveWarning
from engine.coordinator.events import (
    Event,
    IncidentTriggered,
    WarningAccepted,
    WarningDismissed,
    WarningReceived,
    WarningWithdrawn,
)
from engine.coordinator.rejected import Rejected
from engine.model.ids import WarningId
from engine.model.warning import WarningRecord, WarningSettings, WarningStatus, Withdrawn


def receive(board: Board, command: ReceiveWarning, at: datetime, actor: str) -> list[Event]:
    """A warning heard before is not heard again (a feed polled twice, a POST retried); an expired one is
    refused; an update withdraws the open proposals of those it replaces and opens its own, unless one of
    them was accepted: then the incident is running on it already, and the update joins it."""
    warning = command.warning
    if warning.id in board.warnings.records:
        return []
    if warning.expires is not None and warning.expires <= at:
        raise Rejected("invalid", "expires", f"the warning expired at {warning.expires.isoformat()}")
    settings = _settings(board)
    events: list[Event] = [
        WarningReceived(
            at=at,
            actor=actor,
            warning=warning,
            kind=settings.kind_of(warning),
            level=settings.level_of(warning),
        )
    ]
    replaced = [board.warnings.records[r] for r in warning.replaces if r in board.warnings.records]
    for old in replaced:
        if old.status is WarningStatus.OPEN:
            events.append(_withdrawn(old, Withdrawn.SUPERSEDED, warning.id, at, actor))
    running = board.incident
    if running is not None and any(old.incident == running.id for old in replaced):
        events.append(WarningAccepted(at=at, actor=actor, warning=warning.id, incident=running.id))
    return events


def cancel(board: Board, command: CancelWarning, at: datetime, actor: str) -> list[Event]:
    """The sender's Cancel withdraws the proposals still open; one already accepted keeps its incident
    running (people decide when it ends) and is marked cancelled, so the cadres see the warning was lifted."""
    return [
        _withdrawn(board.warnings.records[ref], Withdrawn.CANCELLED, command.cancel, at, actor)
        for ref in command.references
        if ref in board.warnings.records
        and board.warnings.records[ref].status in (WarningStatus.OPEN, WarningStatus.ACCEPTED)
    ]


def accept(board: Board, command: AcceptWarning, at: datetime, actor: str) -> list[Event]:
    """Accepting an open proposal starts incident mode with the warning named in the log (an exercise for an
    exercise warning); with an incident already open it joins that one instead of starting another."""
    record = _open(board, command.warning)
    if board.incident is not None:
        return [WarningAccepted(at=at, actor=actor, warning=record.warning.id, incident=board.incident.id)]
    if any(i.id == command.incident for i in board.incidents):
        raise Rejected("conflict", "incident", f"incident id {command.incident!r} was used before")
    return [
        WarningAccepted(at=at, actor=actor, warning=record.warning.id, incident=command.incident),
        IncidentTriggered(
            at=at,
            actor=actor,
            incident=command.incident,
            kind=command.kind or record.kind,
            level=command.level or record.level,
            exercise=record.warning.exercise,
            warning=record.warning.id,
        ),
        *governance.checks_for_incident(board, at),
    ]


def dismiss(board: Board, command: DismissWarning, at: datetime, actor: str) -> list[Event]:
    """暂不启动: the proposal leaves the bar; nothing else changes."""
    record = _open(board, command.warning)
    return [WarningDismissed(at=at, actor=actor, warning=record.warning.id, note=command.note)]


def _open(board: Board, warning: WarningId) -> WarningRecord:
    record = board.warnings.records.get(warning)
    if record is None:
        raise Rejected("not_found", "warning", f"no warning {warning!r} covers this community")
    if record.status is not WarningStatus.OPEN:
        raise Rejected("conflict", "warning", f"the warning's proposal is {record.status.value}, not open")
    return record


def _withdrawn(record: WarningRecord, why: Withdrawn, by: WarningId, at: datetime, actor: str) -> Event:
    return WarningWithdrawn(at=at, actor=actor, warning=record.warning.id, why=why, by=by)


def _settings(board: Board) -> WarningSettings:
    assert board.profile is not None
    return board.profile.warnings
