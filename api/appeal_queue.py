"""The cadres' triage queue: a community's appeals in the order to handle them, likely duplicates grouped."""

from datetime import timedelta
from typing import Any, Literal

from api.appeal_access import sees_appeal
from api.auth import Principal
from engine.coordinator import Board
from engine.governance.appeals import AppealSettings, queue_key
from engine.governance.duplicates import likely_duplicates
from engine.governance.views import appeal_json

State = Literal["open", "done", "all"]


def appeal_queue(board: Board, p: Principal | None, state: State = "open") -> dict[str, Any]:
    """What ``p`` may see (None: a channel snapshot, every appeal with phones masked)."""
    ledger = board.ledger
    settings = board.profile.appeals if board.profile is not None else AppealSettings()
    visible = [r for r in ledger.appeals.values() if p is None or sees_appeal(p, board, r)]
    wanted = [r for r in visible if state == "all" or r.open == (state == "open")]
    groups = likely_duplicates(visible, timedelta(minutes=settings.duplicate_min))
    return {
        "appeals": [
            {
                **appeal_json(r, ledger, phone=p is not None),
                "response_due": settings.response_due(r.appeal.kind, r.received_at).isoformat(),
            }
            for r in sorted(wanted, key=queue_key)
        ],
        "groups": [list(g) for g in groups],
        "open": sum(r.open for r in visible),
    }
