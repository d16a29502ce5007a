"""Governance records as plain JSON data, for the API and the channels."""

from typing import Any

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
