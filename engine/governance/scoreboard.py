"""The task board: points per member and per community over a period, from the tasks due in it."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.governance.ledger import Ledger, TaskRecord
from engine.governance.people import Member, MemberRole
from engine.governance.tasks import PartStatus


@dataclass
class MemberRow:
    community: str
    member: str
    name: str
    parts: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    scored: int = 0
    points: int = 0
    awarded: float = 0.0


@dataclass
class CommunityRow:
    community: str
    tasks: int = 0
    points: int = 0
    awarded: float = 0.0
    overdue: int = 0
    parts: int = 0
    submitted: int = 0
    scored: int = 0
    late: int = 0


def due_in(ledger: Ledger, start: datetime, end: datetime) -> list[TaskRecord]:
    """Tasks due in [start, end), earliest first."""
    records = [r for r in ledger.tasks.values() if start <= r.task.due_at < end]
    return sorted(records, key=lambda r: (r.task.due_at, r.task.id))


def score(
    community: str, ledger: Ledger, tasks: Iterable[TaskRecord]
) -> tuple[CommunityRow, list[MemberRow]]:
    """One community's row and its members' rows (members without parts in the period included, at 0)."""
    total = CommunityRow(community)
    members = {m.id: _row(community, m) for m in ledger.members.values() if m.role is not MemberRole.CAPTAIN}
    for record in tasks:
        total.tasks += 1
        total.points += record.task.points
        total.overdue += int(record.overdue)
        for p in record.parts.values():
            row = members.setdefault(p.part.assignee, MemberRow(community, p.part.assignee, p.part.assignee))
            done = p.status in (PartStatus.SUBMITTED, PartStatus.SCORED)
            late = done and p.submitted_at is not None and p.submitted_at > record.task.due_at
            row.parts += 1
            row.points += p.part.points
            row.submitted += int(done)
            row.late += int(late)
            row.on_time += int(done and not late)
            row.scored += int(p.status is PartStatus.SCORED)
            row.awarded = round(row.awarded + (p.awarded or 0.0), 1)
            total.parts += 1
            total.submitted += int(done)
            total.scored += int(p.status is PartStatus.SCORED)
            total.late += int(late)
        total.awarded = round(total.awarded + record.awarded, 1)
    ranked = sorted(members.values(), key=lambda r: (-r.awarded, -r.points, r.member))
    return total, ranked


def _row(community: str, member: Member) -> MemberRow:
    return MemberRow(community, member.id, member.name)
