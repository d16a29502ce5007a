"""Photos: a task's evidence, for those who see the task; a resident's appeal's (and its work order's), for
those who see the appeal."""

from fastapi import APIRouter
from fastapi.responses import Response

from api.appeal_access import sees_appeal
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.people_access import sees_task
from api.problems import NotFound

router = APIRouter(prefix="/communities/{community}/photos", tags=["tasks 街道任务"])


@router.get("/{photo}", response_class=Response)
async def get_photo(photo: str, board: BoardDep, principal: PrincipalDep, service: ServiceDep) -> Response:
    named = any(
        part.evidence is not None and part.evidence.photo == photo
        for record in board.ledger.tasks.values()
        if sees_task(principal, board, record)
        for part in record.parts.values()
    ) or any(
        photo in (r.appeal.photo, r.done_photo)
        for r in board.ledger.appeals.values()
        if sees_appeal(principal, board, r)
    )
    assert board.community is not None
    found = service.store.photo(board.community.id, photo) if named else None
    if found is None:
        raise NotFound(f"照片 {photo!r}")
    # Private: evidence is shown to people with a token, never kept by shared caches.
    return Response(
        found.data, media_type=found.content_type, headers={"Cache-Control": "private, max-age=3600"}
    )
