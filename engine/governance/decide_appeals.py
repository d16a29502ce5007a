"""Residents' appeals: each command checked against the board, one rule per function, then its events."""

from datetime import datetime

from engine.coordinator.board import Board
from engine.coordinator.events import Event, NeedReported
from engine.coordinator.rejected import Rejected
from engine.governance.appeals import Appeal, AppealRecord, Handling
from engine.governance.commands import (
    AppealCommand,
    AssignAppeal,
    CompleteAppeal,
    IssueBuildingCodes,
    MergeAppeal,
    PlanAppeal,
    RateAppeal,
    ReplyAppeal,
    SubmitAppeal,
)
from engine.governance.events import (
    AppealAssigned,
    AppealCompleted,
    AppealMerged,
    AppealPlanned,
    AppealRated,
    AppealReceived,
    AppealReplied,
    BuildingCodeIssued,
)
from engine.governance.ids import AppealId
from engine.governance.people import MemberRole
from engine.model.entities import Need
from engine.model.ids import NeedId
from engine.model.priority import LIFE_SAFETY

# Who may carry a work order: staff who go to people's doors, not building captains (residents themselves).
ORDER_TAKERS = frozenset({MemberRole.GRID_WORKER, MemberRole.CADRE, MemberRole.HEAD})
# A cadre decides how an appeal is handled once; a reply that leaves it open does not decide it.
UNDECIDED = (None, Handling.REPLY)


def decide_appeal(board: Board, command: AppealCommand, at: datetime, actor: str) -> list[Event]:
    match command:
        case IssueBuildingCodes():
            return _codes(board, command, at, actor)
        case SubmitAppeal():
            return _submit(board, command, at, actor)
        case PlanAppeal():
            return _plan(board, command, at, actor)
        case AssignAppeal():
            return [_assign(board, command, at, actor)]
        case ReplyAppeal():
            _open(board, command.appeal)
            return [AppealReplied(at=at, actor=actor, **command.model_dump())]
        case MergeAppeal():
            return [_merge(board, command, at, actor)]
        case CompleteAppeal():
            return [_complete(board, command, at, actor)]
        case RateAppeal():
            return [_rate(board, command, at, actor)]


def _codes(board: Board, command: IssueBuildingCodes, at: datetime, actor: str) -> list[Event]:
    ledger = board.ledger
    in_use = ledger.code_buildings.keys() | ledger.retired_codes
    seen: set[str] = set()
    for i, (building, code) in enumerate(command.codes):
        if building not in ledger.buildings:
            raise Rejected("not_found", f"codes[{i}].building", f"unknown building {building!r}")
        # A code is a building's for good: reusing one would send an old printed link to another building.
        if code in in_use or code in seen:
            raise Rejected("conflict", f"codes[{i}].code", "this code was used before")
        seen.add(code)
    return [BuildingCodeIssued(at=at, actor=actor, building=b, code=c) for b, c in command.codes]


def _submit(board: Board, command: SubmitAppeal, at: datetime, actor: str) -> list[Event]:
    ledger = board.ledger
    if command.appeal.building not in ledger.buildings:
        raise Rejected("not_found", "appeal.building", f"unknown building {command.appeal.building!r}")
    if command.receipt in ledger.receipts:
        raise Rejected("conflict", "receipt", "this receipt was given before")
    appeal = command.appeal.model_copy(update={"id": ledger.next_appeal_id()})
    received = AppealReceived(
        at=at, actor=actor, appeal=appeal, receipt=command.receipt, contact_phone=command.contact_phone
    )
    if not appeal.rescue:
        return [received]
    # A rescue asked for in an incident: a life-safety need at once, no cadre in between (people still
    # decide on the dispatch the engine proposes).
    if board.incident is None:
        raise Rejected(
            "invalid", "appeal.rescue", "rescue is asked for in incident mode; use an emergency appeal"
        )
    need = _need(board, appeal, board.profile.appeals.rescue_capability if board.profile else "rescue.crew")
    need = need.model_copy(update={"priority": LIFE_SAFETY})
    return [
        received,
        NeedReported(at=at, actor=actor, need=need, contact_phone=command.contact_phone),
        AppealPlanned(at=at, actor="system", appeal=appeal.id, need=need.id),
    ]


def _plan(board: Board, command: PlanAppeal, at: datetime, actor: str) -> list[Event]:
    record = _undecided(board, command.appeal)
    need = _need(board, record.appeal, command.capability).model_copy(
        update={"quantity": command.quantity, "priority": command.priority}
    )
    if need.id in board.needs:
        raise Rejected("conflict", "appeal", f"need {need.id!r} was reported before")
    return [
        NeedReported(at=at, actor=actor, need=need, contact_phone=record.contact_phone),
        AppealPlanned(at=at, actor=actor, appeal=record.appeal.id, need=need.id),
    ]


def _need(board: Board, appeal: Appeal, capability: str) -> Need:
    assert board.community is not None
    building = board.ledger.buildings[appeal.building]
    return Need(
        # Need ids are unique across communities (channels and routes name them); appeal ids only within one.
        id=NeedId(f"{board.community.id}-appeal{appeal.id}"),
        capability=capability,
        quantity=1,
        location=building.location,
        priority=3,
        community=board.community.id,
        reported_by="resident",
        note=" ".join(x for x in (building.name, appeal.note) if x),
    )


def _assign(board: Board, command: AssignAppeal, at: datetime, actor: str) -> AppealAssigned:
    _undecided(board, command.appeal)
    member = board.ledger.members.get(command.member)
    if member is None:
        raise Rejected("not_found", "member", f"unknown member {command.member!r}")
    if member.role not in ORDER_TAKERS:
        raise Rejected(
            "invalid", "member", f"{member.name} is a {member.role.value}; work orders go to staff"
        )
    return AppealAssigned(at=at, actor=actor, **command.model_dump())


def _merge(board: Board, command: MergeAppeal, at: datetime, actor: str) -> AppealMerged:
    record = _undecided(board, command.appeal)
    into = board.ledger.appeals.get(command.into)
    if into is None:
        raise Rejected("not_found", "into", f"unknown appeal {command.into!r}")
    if into.appeal.id == record.appeal.id:
        raise Rejected("invalid", "into", "an appeal cannot be merged into itself")
    if into.merged_into is not None:
        # One level only: the resident's story follows one appeal, not a chain.
        raise Rejected("invalid", "into", f"appeal {into.appeal.id!r} is merged into {into.merged_into!r}")
    if any(r.merged_into == record.appeal.id for r in board.ledger.appeals.values()):
        raise Rejected(
            "conflict", "appeal", "other appeals are merged into this one; merge them the other way"
        )
    return AppealMerged(at=at, actor=actor, appeal=command.appeal, into=command.into)


def _complete(board: Board, command: CompleteAppeal, at: datetime, actor: str) -> AppealCompleted:
    record = _open(board, command.appeal)
    if record.handling is not Handling.ORDER:
        raise Rejected("conflict", "appeal", "only a work order is completed this way")
    return AppealCompleted(at=at, actor=actor, **command.model_dump())


def _rate(board: Board, command: RateAppeal, at: datetime, actor: str) -> AppealRated:
    record = _known(board, command.appeal)
    if record.open:
        raise Rejected("conflict", "appeal", "an appeal is rated once it is done")
    if record.rating is not None:
        raise Rejected("conflict", "appeal", "this appeal was rated before")
    return AppealRated(at=at, actor=actor, **command.model_dump())


def _known(board: Board, appeal: AppealId) -> AppealRecord:
    record = board.ledger.appeals.get(appeal)
    if record is None:
        raise Rejected("not_found", "appeal", f"unknown appeal {appeal!r}")
    return record


def _open(board: Board, appeal: AppealId) -> AppealRecord:
    record = _known(board, appeal)
    if not record.open:
        raise Rejected("conflict", "appeal", f"appeal {appeal!r} is {record.status.value}")
    return record


def _undecided(board: Board, appeal: AppealId) -> AppealRecord:
    record = _open(board, appeal)
    if record.handling not in UNDECIDED:
        assert record.handling is not None
        raise Rejected(
            "conflict", "appeal", f"appeal {appeal!r} is already handled ({record.handling.value})"
        )
    return record
