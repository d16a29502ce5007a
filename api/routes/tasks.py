"""A community's street tasks: the head splits and assigns, members submit evidence, the reviewer scores."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.access import Forbidden
from api.auth import Principal
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.people_access import carries, reviews_tasks, sees_task, splits_tasks, submits_part
from api.people_schemas import ReviewBody, Submission, TaskSplitBody
from api.photos import decode
from api.problems import NotFound
from engine.coordinator import Board
from engine.governance.commands import ReviewPart, SplitTask, SubmitPart
from engine.governance.ids import PartId, TaskId
from engine.governance.ledger import PartRecord, TaskRecord
from engine.governance.tasks import Evidence, Part, Review
from engine.governance.views import task_json

router = APIRouter(prefix="/communities/{community}/tasks", tags=["tasks 街道任务"])


def _visible(board: Board, p: Principal, task: str) -> TaskRecord:
    record = board.ledger.tasks.get(TaskId(task))
    if record is None or not sees_task(p, board, record):
        raise NotFound(f"任务 {task!r}")
    return record


def _part(record: TaskRecord, part: str) -> PartRecord:
    found = record.parts.get(PartId(part))
    if found is None:
        raise NotFound(f"任务 {record.task.id!r} 的分项 {part!r}")
    return found


def _view(task: TaskId) -> Callable[[Board], dict[str, Any]]:
    return lambda b: task_json(b.ledger.tasks[task])


@router.get("")
def list_tasks(
    board: BoardDep, principal: PrincipalDep, mine: Annotated[bool, Query()] = False
) -> list[dict[str, Any]]:
    records = sorted(board.ledger.tasks.values(), key=lambda r: (r.task.due_at, r.task.id))
    return [
        task_json(r)
        for r in records
        if sees_task(principal, board, r)
        and (not mine or any(carries(principal, board, p) for p in r.parts.values()))
    ]


@router.get("/{task}")
def get_task(task: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    return task_json(_visible(board, principal, task))


@router.put("/{task}/parts")
async def split_task(
    task: str,
    body: TaskSplitBody,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _visible(board, principal, task)
    if not splits_tasks(principal, board):
        raise Forbidden("只有社区书记可以分解和分派任务 (only the community head splits tasks)")
    parts = tuple(
        Part.model_validate({**p.model_dump(exclude={"id"}), "id": p.id or f"p{i + 1}"})
        for i, p in enumerate(body.parts)
    )
    return await service.apply(
        board, SplitTask(task=record.task.id, parts=parts), principal, idempotency, _view(record.task.id)
    )


@router.post("/{task}/parts/{part}/submission")
async def submit_part(
    task: str,
    part: str,
    body: Submission,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _visible(board, principal, task)
    found = _part(record, part)
    if not submits_part(principal, board, found):
        raise Forbidden("只有分项负责人（或社区书记代为）可以上传完成情况 (the part's assignee, or the head)")
    assert board.community is not None
    photo = decode(board.community.id, body.photo) if body.photo is not None else None
    evidence = Evidence(text=body.text, number=body.number, photo=photo.sha256 if photo else None)
    command = SubmitPart(
        task=record.task.id,
        part=found.part.id,
        evidence=evidence,
        note=body.note,
        occurred_at=body.occurred_at,
    )
    return await service.apply(
        board,
        command,
        principal,
        idempotency,
        _view(record.task.id),
        photos=(photo,) if photo is not None else (),
    )


@router.post("/{task}/parts/{part}/review")
async def review_part(
    task: str,
    part: str,
    body: ReviewBody,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _visible(board, principal, task)
    found = _part(record, part)
    if not reviews_tasks(principal, board):
        assert board.profile is not None
        who = "社区书记" if board.profile.tasks.reviewer == "head" else "街道"
        raise Forbidden(f"本社区的任务由{who}审核评分 (reviewed by the {board.profile.tasks.reviewer})")
    review = Review.model_validate(body.model_dump())
    return await service.apply(
        board,
        ReviewPart(task=record.task.id, part=found.part.id, review=review),
        principal,
        idempotency,
        _view(record.task.id),
    )
