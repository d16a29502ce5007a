"""Governance records as plain JSON data, for the API and the channels."""

from typing import Any

from engine.governance.appeals import AppealKind, AppealRecord, AppealStatus, Step, Urgency
from engine.governance.checks import Check
from engine.governance.ledger import Ledger, PartRecord, TaskRecord
from engine.governance.people import Household


def mask_name(name: str | None) -> str | None:
    """王** : the family name, enough to recognise a household one already knows."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise a number, not enough to ring it."""
    if phone is None:
        return None
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def household_json(h: Household, ledger: Ledger, *, contact: bool) -> dict[str, Any]:
    data = h.model_dump(mode="json")
    data["grid"] = ledger.grid_of(h)
    if not contact:
        data["contact"], data["phone"] = mask_name(h.contact), mask_phone(h.phone)
    return data


def check_json(c: Check) -> dict[str, Any]:
    return {**c.model_dump(mode="json"), "state": c.state.value}


def part_json(p: PartRecord) -> dict[str, Any]:
    return {
        **p.part.model_dump(mode="json"),
        "status": p.status.value,
        "evidence": p.evidence.model_dump(mode="json") if p.evidence else None,
        "note": p.note,
        "submitted_at": p.submitted_at.isoformat() if p.submitted_at else None,
        "review": p.review.model_dump(mode="json") if p.review else None,
        "reviewed_at": p.reviewed_at.isoformat() if p.reviewed_at else None,
        "reviewed_by": p.reviewed_by,
        "late_h": p.late_h,
        "keep": p.keep,
        "awarded": p.awarded,
    }


def task_json(r: TaskRecord) -> dict[str, Any]:
    return {
        **r.task.model_dump(mode="json"),
        "issued_at": r.issued_at.isoformat(),
        "split_at": r.split_at.isoformat() if r.split_at else None,
        "overdue": r.overdue,
        "finished": r.finished,
        "awarded": r.awarded,
        "parts": [part_json(p) for _, p in sorted(r.parts.items())],
    }


# What the resident's page and the queue call each state, in plain words.
APPEAL_STATUS_ZH = {
    AppealStatus.RECEIVED: "已受理，等待处理",
    AppealStatus.HANDLING: "正在处理",
    AppealStatus.RESOLVED: "已解决",
    AppealStatus.CLOSED: "已关闭",
}
APPEAL_URGENCY_ZH = {Urgency.NORMAL: "一般", Urgency.URGENT: "较急", Urgency.VERY_URGENT: "很急"}
APPEAL_KIND_ZH = {
    AppealKind.HELP: "生活求助",
    AppealKind.REPAIR: "报修",
    AppealKind.DISPUTE: "邻里纠纷",
    AppealKind.EMERGENCY: "紧急情况",
}


def appeal_json(r: AppealRecord, ledger: Ledger, *, phone: bool) -> dict[str, Any]:
    """An appeal as cadres (and the grid worker it went to) see it; ``phone``: the contact in clear."""
    building = ledger.buildings.get(r.appeal.building)
    assignee = ledger.members.get(r.assignee) if r.assignee is not None else None
    return {
        **r.appeal.model_dump(mode="json"),
        "building_name": building.name if building else r.appeal.building,
        "grid": building.grid if building else None,
        "receipt": r.receipt,
        "received_at": r.received_at.isoformat(),
        "contact_phone": r.contact_phone if phone else mask_phone(r.contact_phone),
        "status": r.status.value,
        "status_zh": APPEAL_STATUS_ZH[r.status],
        "handling": r.handling.value if r.handling else None,
        "responded_at": r.responded_at.isoformat() if r.responded_at else None,
        "handled_by": r.handled_by,
        "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
        "need": r.need,
        "assignee": r.assignee,
        "assignee_name": assignee.name if assignee else None,
        "merged_into": r.merged_into,
        "reply": r.reply,
        "done_note": r.done_note,
        "done_photo": r.done_photo,
        "rating": r.rating,
        "rating_comment": r.rating_comment,
        "steps": [_step(s) for s in r.steps],
    }


def resident_json(r: AppealRecord, ledger: Ledger) -> dict[str, Any]:
    """What the resident who holds the receipt reads: their own words, the state and the story, no names of
    staff, no other resident's appeal (a merged appeal's story is told, not the other appeal)."""
    building = ledger.buildings.get(r.appeal.building)
    return {
        "receipt": r.receipt,
        "kind": r.appeal.kind.value,
        "kind_zh": APPEAL_KIND_ZH[r.appeal.kind],
        "building_name": building.name if building else "",
        "note": r.appeal.note,
        "received_at": r.received_at.isoformat(),
        "status": r.status.value,
        "status_zh": APPEAL_STATUS_ZH[r.status],
        "steps": [_step(s) for s in r.steps],
        "can_rate": r.rateable,
        "rating": r.rating,
    }


def _step(s: Step) -> dict[str, str]:
    return {"at": s.at.isoformat(), "text": s.text}
