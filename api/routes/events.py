"""The audit log: every change in a community, filterable by type, incident and position."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.access import Forbidden, reads_everything
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.masking import show_phone
from api.people_channels import PRIVATE, summary
from api.store import EVENTS
from engine.governance.events import GovernanceEvent

router = APIRouter(prefix="/communities/{community}/events", tags=["events 事件日志"])


@router.get("")
def list_events(
    board: BoardDep,
    principal: PrincipalDep,
    service: ServiceDep,
    type: Annotated[list[str] | None, Query(description="only events of these types")] = None,
    incident: str | None = None,
    # Bounded by the database's integer range: past it the query fails instead of finding nothing.
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="only events after this log position")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    if not reads_everything(principal, board):
        raise Forbidden("组织不能查看社区事件日志 (an organisation cannot read the community's log)")
    assert board.community is not None
    rows = service.store.event_rows(
        board.community.id, types=type or [], after=after, limit=limit, incident=incident
    )
    result = []
    for row in rows:
        data = json.loads(row.data)
        if row.type == "need_reported":
            data["contact_phone"] = show_phone(
                principal, board, data["need"]["id"], data.get("contact_phone")
            )
        if row.type in PRIVATE:
            # Addresses, names and phones stay in the households' own routes, where who sees what is decided.
            event = EVENTS.validate_json(row.data)
            assert isinstance(event, GovernanceEvent)
            data = summary(event)
        if row.type == "plan_proposed":
            data["plan"] = {
                "objective": data["plan"]["objective"],
                "assignments": len(data["plan"]["assignments"]),
            }
        result.append(
            {
                "position": row.id,
                "type": row.type,
                "at": row.at.isoformat(),
                "actor": row.actor,
                "incident": row.incident,
                "exercise": row.exercise,
                "data": data,
            }
        )
    return result
