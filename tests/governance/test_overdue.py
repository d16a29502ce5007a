"""Overdue tasks are deadlines on the board: ``due()`` names the earliest, a tick at it flags the task once,
naming the parts still to come in, and a board rebuilt from the log has the same deadline."""

from datetime import timedelta

from engine.coordinator import Coordinator
from engine.governance.commands import ReviewPart
from engine.governance.events import TaskOverdue
from engine.governance.tasks import Review, Verdict
from tests.coordinator.world import maps
from tests.governance.world import (
    CADRE,
    HEAD,
    STREET,
    WORKER,
    hours,
    issue,
    people,
    run_until,
    split,
    submit,
    task,
)

SECOND = timedelta(seconds=1)


def overdue(events: list[object]) -> list[TaskOverdue]:
    return [e for e in events if isinstance(e, TaskOverdue)]


def test_due_is_the_earliest_task_due_time() -> None:
    c = people()
    assert c.due() is None
    issue(c, task("t1", due=hours(48)))
    issue(c, task("t2", due=hours(24)))
    assert c.due() == hours(24)


def test_nothing_is_overdue_before_the_due_time() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    assert [s.event for s in c.tick(hours(24) - SECOND)] == []
    assert not c.board.ledger.tasks["t1"].overdue


def test_overdue_names_the_parts_not_submitted() -> None:
    c = people()
    issue(c, task(points=9))
    split(c, "t1", ("p1", WORKER, 3), ("p2", CADRE, 3), ("p3", HEAD, 3))
    submit(c, "t1", "p2", hours(2))
    [event] = [s.event for s in c.tick(hours(24))]
    assert isinstance(event, TaskOverdue)
    assert (event.task, event.parts, event.at) == ("t1", ("p1", "p3"), hours(24))
    assert c.board.ledger.tasks["t1"].overdue


def test_expire_flags_an_overdue_task_too() -> None:
    c = people()
    issue(c)
    [step] = c.expire(hours(25))
    assert isinstance(step.event, TaskOverdue) and step.event.at == hours(25)


def test_overdue_unsplit_task_names_no_parts() -> None:
    c = people()
    issue(c)
    [event] = overdue(run_until(c, hours(30)))
    assert (event.task, event.parts, event.at) == ("t1", (), hours(24))


def test_returned_part_counts_as_not_submitted() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    submit(c, "t1", "p1", hours(1))
    c.handle(ReviewPart(task="t1", part="p1", review=Review(verdict=Verdict.RETURN)), hours(2), STREET)
    [event] = overdue(run_until(c, hours(30)))
    assert event.parts == ("p1",)


def test_not_overdue_when_every_part_was_submitted_in_time() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 4), ("p2", CADRE, 6))
    submit(c, "t1", "p1", hours(1))
    submit(c, "t1", "p2", hours(23))
    assert c.due() is None
    assert overdue([s.event for s in c.tick(hours(25))]) == []
    assert not c.board.ledger.tasks["t1"].overdue


def test_overdue_fires_once() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    assert len(overdue(run_until(c, hours(24)))) == 1
    assert c.due() is None
    assert overdue([s.event for s in c.tick(hours(100))]) == []
    assert len(overdue(c.log)) == 1


def test_overdue_deadline_survives_replay() -> None:
    c = people()
    issue(c, task("t1", due=hours(24)))
    issue(c, task("t2", due=hours(48)))
    rebuilt = Coordinator.replay(c.log, maps)
    assert rebuilt.due() == c.due() == hours(24)
    assert rebuilt.board.ledger == c.board.ledger
    # After the first fires, a rebuild waits for the second only, and never fires the first again.
    run_until(c, hours(24))
    rebuilt = Coordinator.replay(c.log, maps)
    assert rebuilt.due() == c.due() == hours(48)
    [event] = overdue([s.event for s in rebuilt.tick(hours(48))])
    assert event.task == "t2"
