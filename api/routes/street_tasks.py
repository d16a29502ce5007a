"""Street staff issue a task to one or several of their communities, in one transaction."""

import secrets
from typing import Any

from fastapi import APIRouter, Response

from api.access import Forbidden
from api.auth import Role
from api.deps import IdempotencyDep, PrincipalDep, ServiceDep
from api.people_schemas import TaskCreate
from api.problems import NotFound
from engine.coordinator import Board, Rejected
from engine.coordinator.commands import Command
from engine.governance.commands import IssueTask
from engine.governance.ids import TaskId
from engine.governance.tasks import Task
from engine.governance.views import task_json

router = APIRouter(prefix="/streets/{street}", tags=["tasks 街道任务"])


def street_boards(service: ServiceDep, principal: PrincipalDep, street: str, *, issue: bool) -> list[Board]:
    """The street's communities, for its own staff (and, to read, its observers)."""
    readers = (Role.STREET,) if issue else (Role.STREET, Role.OBSERVER)
    if principal.street != street or principal.community is not None:
        if principal.role in (Role.STREET, Role.OBSERVER) and principal.community is None:
            raise NotFound(f"街道 {street!r}")
        raise Forbidden("只有街道工作人员可以使用街道页面 (street staff only)")
    if principal.role not in readers:
        raise Forbidden("只有街道工作人员可以发布任务 (street staff only)")
    return [b for b in service.boards() if b.community is not None and b.community.street == street]


@router.post("/tasks", status_code=201)
async def issue_task(
    street: str,
    body: TaskCreate,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    boards = {b.community.id: b for b in street_boards(service, principal, street, issue=True) if b.community}
    for i, community in enumerate(body.communities):
        if community not in boards:
            raise Rejected(
                "invalid", f"communities[{i}]", f"{community!r} is not a community of street {street!r}"
            )
    if body.due_at <= service.clock():
        raise Rejected("invalid", "due_at", f"{body.due_at.isoformat()} has already passed")
    if len(set(body.communities)) != len(body.communities):
        raise Rejected("invalid", "communities", "each community is named once")
    task = Task(
        id=TaskId("t-" + secrets.token_hex(4)),
        title=body.title,
        description=body.description,
        due_at=body.due_at,
        points=body.points,
        evidence=tuple(body.evidence),
        issued_by=principal.subject,
    )
    commands: list[tuple[str, Command]] = [(c, IssueTask(task=task)) for c in body.communities]
    code, result = await service.execute_many(
        commands,
        principal,
        lambda issued, _: (
            201,
            {
                "id": task.id,
                "communities": body.communities,
                "task": task_json(issued[0].ledger.tasks[task.id]),
            },
        ),
        idempotency,
    )
    response.status_code = code
    return result  # type: ignore[no-any-return]
