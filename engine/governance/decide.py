"""Governance commands become events here, after every check against the board."""

from datetime import datetime

# Imported as a module, used when called: decide_appeals reads the board, whose package imports this one.
import engine.governance.decide_appeals as appeals
from engine.coordinator.board import Board, NeedStatus
from engine.coordinator.events import Event, NeedReported
from engine.coordinator.rejected import Rejected
from engine.governance.checks import Check, CheckResult
from engine.governance.commands import (
    GovernanceCommand,
    IssueTask,
    RemoveHousehold,
    ReportCheck,
    ReviewPart,
    SaveBuilding,
    SaveGrid,
    SaveHousehold,
    SaveMember,
    SplitTask,
    SubmitPart,
)
from engine.governance.events import (
    BuildingSaved,
    CheckReported,
    ChecksIssued,
    GridSaved,
    HouseholdRemoved,
    HouseholdSaved,
    MemberSaved,
    PartReturned,
    PartScored,
    PartSubmitted,
    TaskIssued,
    TaskSplit,
)
from engine.governance.ids import HouseholdId, PartId, TaskId
from engine.governance.ledger import PartRecord, TaskRecord
from engine.governance.people import Household, MemberRole
from engine.governance.scoring import award
from engine.governance.tasks import PartStatus, Verdict, hours_late
from engine.model.entities import Need
from engine.model.ids import NeedId

# Who may carry a part of a street task: building captains are residents helping out, not staff.
ASSIGNABLE = frozenset({MemberRole.HEAD, MemberRole.CADRE, MemberRole.GRID_WORKER})


def decide_governance(board: Board, command: GovernanceCommand, at: datetime, actor: str) -> list[Event]:
    ledger = board.ledger
    match command:
        case SaveMember():
            member = command.member
            if member.grid is not None and member.grid not in ledger.grids:
                raise Rejected("not_found", "member.grid", f"unknown grid {member.grid!r}")
            if member.building is not None and member.building not in ledger.buildings:
                raise Rejected("not_found", "member.building", f"unknown building {member.building!r}")
            return [MemberSaved(at=at, actor=actor, member=member)]
        case SaveGrid():
            return [GridSaved(at=at, actor=actor, grid=command.grid)]
        case SaveBuilding():
            building = command.building
            if building.grid not in ledger.grids:
                raise Rejected("not_found", "building.grid", f"unknown grid {building.grid!r}")
            if not board.graph.has_node(building.location):
                raise Rejected(
                    "invalid", "building.location", f"{building.location!r} is not on the community's map"
                )
            return [BuildingSaved(at=at, actor=actor, building=building)]
        case SaveHousehold():
            return _household(board, command.household, at, actor)
        case RemoveHousehold():
            if command.household not in ledger.households:
                raise Rejected("not_found", "household", f"unknown household {command.household!r}")
            return [HouseholdRemoved(at=at, actor=actor, household=command.household)]
        case IssueTask():
            task = command.task
            if task.id in ledger.tasks:
                raise Rejected("conflict", "task.id", f"task {task.id!r} was issued before")
            if task.due_at <= at:
                raise Rejected("invalid", "task.due_at", f"{task.due_at.isoformat()} has already passed")
            return [TaskIssued(at=at, actor=actor, task=task)]
        case SplitTask():
            return [_split(board, command, at, actor)]
        case SubmitPart():
            return [_submit(board, command, at, actor)]
        case ReviewPart():
            return [_review(board, command, at, actor)]
        case ReportCheck():
            return _check(board, command, at, actor)
        case _:
            return appeals.decide_appeal(board, command, at, actor)


def checks_for_incident(board: Board, at: datetime) -> list[Event]:
    """At incident start: a check for every vulnerable household, grouped by grid and building."""
    checks = [_new_check(board, h, at) for h in board.ledger.households.values()]
    issued = tuple(
        sorted((c for c in checks if c is not None), key=lambda c: (c.grid, c.building, c.household))
    )
    return [ChecksIssued(at=at, checks=issued)] if issued else []


def _new_check(board: Board, household: Household, at: datetime) -> Check | None:
    grid = board.ledger.grid_of(household)
    if not household.vulnerable or grid is None:
        return None
    return Check(household=household.id, grid=grid, building=household.building, issued_at=at)


def _household(board: Board, household: Household, at: datetime, actor: str) -> list[Event]:
    ledger = board.ledger
    if household.building not in ledger.buildings:
        raise Rejected("not_found", "household.building", f"unknown building {household.building!r}")
    events: list[Event] = [HouseholdSaved(at=at, actor=actor, household=household)]
    # Found vulnerable during an incident: checked like the rest, not forgotten until the next one.
    if board.incident is not None and household.id not in ledger.checks:
        check = _new_check(board, household, at)
        if check is not None:
            events.append(ChecksIssued(at=at, checks=(check,)))
    return events


def _task(board: Board, task_id: TaskId) -> TaskRecord:
    record = board.ledger.tasks.get(task_id)
    if record is None:
        raise Rejected("not_found", "task", f"unknown task {task_id!r}")
    return record


def _part(record: TaskRecord, part_id: PartId) -> PartRecord:
    part = record.parts.get(part_id)
    if part is None:
        raise Rejected("not_found", "part", f"task {record.task.id!r} has no part {part_id!r}")
    return part


def _split(board: Board, command: SplitTask, at: datetime, actor: str) -> TaskSplit:
    record = _task(board, command.task)
    started = [p.part.id for p in record.parts.values() if p.status is not PartStatus.ASSIGNED]
    if started:
        raise Rejected(
            "conflict", "parts", f"parts {started} were already submitted; the split can no longer change"
        )
    ids = [p.id for p in command.parts]
    if len(set(ids)) != len(ids):
        raise Rejected("invalid", "parts", f"each part needs its own id, got {ids}")
    for i, part in enumerate(command.parts):
        member = board.ledger.members.get(part.assignee)
        if member is None:
            raise Rejected("not_found", f"parts[{i}].assignee", f"unknown member {part.assignee!r}")
        if member.role not in ASSIGNABLE:
            raise Rejected(
                "invalid",
                f"parts[{i}].assignee",
                f"{part.assignee!r} is a {member.role.value}; parts go to the head, cadres or grid workers",
            )
    total = sum(p.points for p in command.parts)
    if total != record.task.points:
        raise Rejected(
            "invalid", "parts", f"the parts carry {total} points; the task carries {record.task.points}"
        )
    return TaskSplit(at=at, actor=actor, task=command.task, parts=command.parts)


def _submit(board: Board, command: SubmitPart, at: datetime, actor: str) -> PartSubmitted:
    record = _task(board, command.task)
    part = _part(record, command.part)
    if part.status not in (PartStatus.ASSIGNED, PartStatus.RETURNED):
        raise Rejected("conflict", "part", f"part {command.part!r} is {part.status.value}; nothing to submit")
    missing = command.evidence.missing(record.task.evidence)
    if missing:
        raise Rejected(
            "invalid",
            f"evidence.{missing[0].value}",
            f"this task needs {', '.join(k.value for k in missing)}",
        )
    _not_future(command.occurred_at, at)
    if (
        command.occurred_at is not None
        and record.split_at is not None
        and command.occurred_at < record.split_at
    ):
        raise Rejected(
            "invalid", "occurred_at", f"{command.occurred_at.isoformat()} is before the part was assigned"
        )
    return PartSubmitted(
        at=at,
        actor=actor,
        task=command.task,
        part=command.part,
        evidence=command.evidence,
        note=command.note,
        occurred_at=command.occurred_at,
    )


def _not_future(occurred_at: datetime | None, at: datetime) -> None:
    # An action queued offline happened before it arrived, never after.
    if occurred_at is not None and occurred_at > at:
        raise Rejected("invalid", "occurred_at", f"{occurred_at.isoformat()} is in the future")


def _review(board: Board, command: ReviewPart, at: datetime, actor: str) -> PartReturned | PartScored:
    record = _task(board, command.task)
    part = _part(record, command.part)
    if part.status is not PartStatus.SUBMITTED:
        raise Rejected("conflict", "part", f"part {command.part!r} is {part.status.value}; nothing to review")
    review = command.review
    if review.verdict is Verdict.RETURN:
        return PartReturned(at=at, actor=actor, task=command.task, part=command.part, comment=review.comment)
    assert board.profile is not None and part.submitted_at is not None
    late_h = hours_late(record.task.due_at, part.submitted_at)
    result = award(board.profile.tasks, part.part.points, review, late_h)
    return PartScored(
        at=at,
        actor=actor,
        task=command.task,
        part=command.part,
        review=review,
        late_h=late_h,
        keep=result.keep,
        completion=result.completion,
        awarded=result.awarded,
    )


def _check(board: Board, command: ReportCheck, at: datetime, actor: str) -> list[Event]:
    if board.incident is None:
        raise Rejected("conflict", "incident", "checks are reported during an incident; none is open")
    check = board.ledger.checks.get(command.household)
    if check is None:
        raise Rejected("not_found", "household", f"no check is open for household {command.household!r}")
    when = command.occurred_at
    _not_future(when, at)
    if when is not None and when < check.issued_at:
        raise Rejected("invalid", "occurred_at", f"{when.isoformat()} is before the check was issued")
    if command.result is CheckResult.PENDING:
        raise Rejected("invalid", "result", "report safe, needs_help or absent")
    if command.result is not CheckResult.NEEDS_HELP:
        return [
            CheckReported(
                at=at,
                actor=actor,
                household=command.household,
                result=command.result,
                note=command.note,
                need=check.need if _open(board, check.need) else None,
                occurred_at=when,
            )
        ]
    if command.capability is None:
        raise Rejected("invalid", "capability", "say what help the household needs")
    if _open(board, check.need):
        raise Rejected("conflict", "household", f"need {check.need!r} for this household is still open")
    household = board.ledger.households[command.household]
    building = board.ledger.buildings[household.building]
    need = Need(
        id=_need_id(board, command.household),
        capability=command.capability,
        quantity=command.quantity,
        location=building.location,
        priority=command.priority,
        tags=tuple(t.value for t in household.tags),
        community=board.community.id if board.community else None,
        reported_by=actor,
        reported_at=when or at,
        note=" ".join(x for x in (f"{building.name} {household.address}", command.note) if x),
    )
    return [
        NeedReported(at=at, actor=actor, need=need, contact_phone=household.phone),
        CheckReported(
            at=at,
            actor=actor,
            household=command.household,
            result=command.result,
            note=command.note,
            need=need.id,
            occurred_at=when,
        ),
    ]


def _open(board: Board, need: NeedId | None) -> bool:
    record = board.needs.get(need) if need is not None else None
    return record is not None and record.status is NeedStatus.OPEN


def _need_id(board: Board, household: HouseholdId) -> NeedId:
    n = 1
    # Need ids are unique across communities (channels and routes name them), household ids only within one.
    prefix = f"{board.community.id}-{household}" if board.community else household
    while NeedId(f"{prefix}-help{n}") in board.needs:
        n += 1
    return NeedId(f"{prefix}-help{n}")
