"""A warning and its proposal as people read them (engine/model/warning.py), in plain Chinese first."""

from datetime import datetime
from typing import Any

from engine.model.warning import COLOUR_ZH, WarningRecord, WarningStatus

STATUS_ZH = {
    WarningStatus.OPEN: "待决定",
    WarningStatus.ACCEPTED: "已启动应急",
    WarningStatus.DISMISSED: "暂不启动",
    WarningStatus.CANCELLED: "发布方已解除",
    WarningStatus.SUPERSEDED: "已被更新",
}
LEVEL_ZH = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}


def warning_json(record: WarningRecord, now: datetime) -> dict[str, Any]:
    """``expired``: past the warning's own expiry at ``now`` (an open proposal then leaves the bar)."""
    w = record.warning
    expired = w.expires is not None and w.expires <= now
    return {
        "id": w.id,
        "title": w.title_zh,
        "proposal": f"{w.title_zh}覆盖本社区 — 启动应急模式？",
        "event": w.event,
        "event_code": w.event_code,
        "severity": w.severity.value,
        "colour": COLOUR_ZH[w.severity],
        "urgency": w.urgency,
        "certainty": w.certainty,
        "headline": w.headline,
        "description": w.description,
        "instruction": w.instruction,
        "sender_name": w.sender_name,
        "area": w.area,
        "sent": w.sent.isoformat(),
        "onset": w.onset.isoformat() if w.onset else None,
        "expires": w.expires.isoformat() if w.expires else None,
        "expired": expired,
        "exercise": w.exercise,
        "replaces": list(w.replaces),
        "suggested": {"kind": record.kind, "level": record.level, "level_zh": LEVEL_ZH[record.level]},
        "status": record.status.value,
        "status_zh": STATUS_ZH[record.status],
        # In front of people: open and not expired.
        "pending": record.status is WarningStatus.OPEN and not expired,
        "received_at": record.received_at.isoformat(),
        "decided_at": record.decided_at.isoformat() if record.decided_at else None,
        "decided_by": record.decided_by,
        "note": record.note,
        "incident": record.incident,
    }
