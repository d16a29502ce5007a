"""Overdue tasks, read off the board like every deadline, so a restart does not forget one."""

from datetime import datetime

from engine.governance.events import TaskOverdue
from engine.governance.ids import TaskId
from engine.governance.ledger import Ledger


def overdue_deadlines(ledger: Ledger) -> list[tuple[datetime, TaskId]]:
    """Tasks not yet flagged whose parts are not all in (or that are not split yet), by due time."""
    return [
        (r.task.due_at, r.task.id)
        for r in ledger.tasks.values()
        if not r.overdue and (not r.parts or r.waiting())
    ]


def fire_overdue(ledger: Ledger, now: datetime) -> list[TaskOverdue]:
    return [
        TaskOverdue(at=now, task=task, parts=tuple(ledger.tasks[task].waiting()))
        for at, task in sorted(overdue_deadlines(ledger))
        if at <= now
    ]
