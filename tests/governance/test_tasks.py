"""Street tasks: issued once with a due time still ahead, split by the head into parts that carry the task's
points and go to staff, submitted with the evidence the task asks for, reviewed once per submission."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from engine.governance.commands import IssueTask, ReviewPart, SplitTask, SubmitPart
from engine.governance.events import PartReturned, PartScored, PartSubmitted, TaskIssued, TaskSplit
from engine.governance.tasks import Evidence, EvidenceKind, PartStatus, Review, Verdict
from tests.governance.world import (
    CADRE,
    CAPTAIN,
    HEAD,
    PHOTO,
    STREET,
    WORKER,
    at,
    events,
    hours,
    issue,
    parts,
    people,
    rejected,
    split,
    submit,
    task,
)

ACCEPT = Review(verdict=Verdict.ACCEPT)


# -- issuing ----------------------------------------------------------------------------------------


def test_issued_task_is_on_the_ledger() -> None:
    c = people()
    [event] = events(c, IssueTask(task=task()), at(5), STREET)
    assert isinstance(event, TaskIssued)
    record = c.board.ledger.tasks["t1"]
    assert (record.task, record.issued_at, record.parts, record.overdue) == (task(), at(5), {}, False)


def test_task_id_issued_twice_is_a_conflict() -> None:
    c = people()
    issue(c)
    refusal = rejected(c, IssueTask(task=task(points=20)), at(1), STREET)
    assert (refusal.kind, refusal.field) == ("conflict", "task.id")


def test_task_due_in_the_past_is_invalid() -> None:
    c = people()
    refusal = rejected(c, IssueTask(task=task(due=hours(1))), hours(2), STREET)
    assert (refusal.kind, refusal.field) == ("invalid", "task.due_at")


def test_task_due_right_now_is_invalid_a_second_later_is_fine() -> None:
    c = people()
    assert rejected(c, IssueTask(task=task(due=hours(1))), hours(1), STREET).field == "task.due_at"
    events(c, IssueTask(task=task(due=hours(1))), hours(1) - timedelta(seconds=1), STREET)
    assert "t1" in c.board.ledger.tasks


# -- splitting --------------------------------------------------------------------------------------


def test_split_points_must_add_up_to_the_task() -> None:
    c = people()
    issue(c)
    refusal = rejected(c, SplitTask(task="t1", parts=parts(("p1", WORKER, 4), ("p2", CADRE, 5))))
    assert (refusal.kind, refusal.field) == ("invalid", "parts")


def test_split_adding_up_is_taken() -> None:
    c = people()
    issue(c)
    [event] = events(c, SplitTask(task="t1", parts=parts(("p1", WORKER, 4), ("p2", CADRE, 6))), at(9))
    assert isinstance(event, TaskSplit)
    record = c.board.ledger.tasks["t1"]
    assert record.split_at == at(9)
    assert {p: (r.part.assignee, r.part.points, r.status) for p, r in record.parts.items()} == {
        "p1": (WORKER, 4, PartStatus.ASSIGNED),
        "p2": (CADRE, 6, PartStatus.ASSIGNED),
    }


def test_split_to_unknown_member_names_the_part() -> None:
    c = people()
    issue(c)
    refusal = rejected(c, SplitTask(task="t1", parts=parts(("p1", WORKER, 4), ("p2", "nobody", 6))))
    assert (refusal.kind, refusal.field) == ("not_found", "parts[1].assignee")


def test_split_to_captain_is_refused() -> None:
    c = people()
    issue(c)
    refusal = rejected(c, SplitTask(task="t1", parts=parts(("p1", CAPTAIN, 10))))
    assert (refusal.kind, refusal.field) == ("invalid", "parts[0].assignee")


def test_split_to_head_cadre_and_grid_worker_is_allowed() -> None:
    c = people()
    issue(c, task(points=9))
    split(c, "t1", ("p1", HEAD, 3), ("p2", CADRE, 3), ("p3", WORKER, 3))
    assert len(c.board.ledger.tasks["t1"].parts) == 3


def test_split_with_duplicate_part_ids_is_invalid() -> None:
    c = people()
    issue(c)
    refusal = rejected(c, SplitTask(task="t1", parts=parts(("p1", WORKER, 5), ("p1", CADRE, 5))))
    assert (refusal.kind, refusal.field) == ("invalid", "parts")


def test_split_of_unknown_task_is_not_found() -> None:
    c = people()
    refusal = rejected(c, SplitTask(task="t9", parts=parts(("p1", WORKER, 10))))
    assert (refusal.kind, refusal.field) == ("not_found", "task")


def test_resplit_before_any_submission_replaces_the_parts() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 4), ("p2", CADRE, 6))
    split(c, "t1", ("a", HEAD, 10), when=at(60))
    record = c.board.ledger.tasks["t1"]
    assert list(record.parts) == ["a"]
    assert record.split_at == at(60)


def test_resplit_after_a_submission_is_a_conflict() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 4), ("p2", CADRE, 6))
    submit(c, "t1", "p1", hours(1))
    refusal = rejected(c, SplitTask(task="t1", parts=parts(("a", HEAD, 10))), hours(2))
    assert (refusal.kind, refusal.field) == ("conflict", "parts")


# -- submitting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "given", "field"),
    [
        (EvidenceKind.PHOTO, Evidence(text="done", number=3), "evidence.photo"),
        (EvidenceKind.NUMBER, Evidence(text="done", photo=PHOTO), "evidence.number"),
        (EvidenceKind.TEXT, Evidence(number=3, photo=PHOTO), "evidence.text"),
        (EvidenceKind.TEXT, Evidence(text="   ", number=3), "evidence.text"),
    ],
)
def test_submission_missing_required_evidence_names_it(
    evidence: EvidenceKind, given: Evidence, field: str
) -> None:
    c = people()
    issue(c, task(evidence=(evidence,)))
    split(c, "t1", ("p1", WORKER, 10))
    refusal = rejected(c, SubmitPart(task="t1", part="p1", evidence=given), hours(1), WORKER)
    assert (refusal.kind, refusal.field) == ("invalid", field)


def test_submission_with_all_required_evidence_is_taken() -> None:
    c = people()
    issue(c, task(evidence=(EvidenceKind.PHOTO, EvidenceKind.NUMBER, EvidenceKind.TEXT)))
    split(c, "t1", ("p1", WORKER, 10))
    evidence = Evidence(text="走访12户", number=12, photo=PHOTO)
    [event] = submit(c, "t1", "p1", hours(1), evidence)
    assert isinstance(event, PartSubmitted)
    part = c.board.ledger.tasks["t1"].parts["p1"]
    assert (part.status, part.evidence, part.submitted_at) == (PartStatus.SUBMITTED, evidence, hours(1))


def test_submitting_twice_is_a_conflict() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    submit(c, "t1", "p1", hours(1))
    refusal = rejected(c, SubmitPart(task="t1", part="p1", evidence=Evidence(text="again")), hours(2))
    assert (refusal.kind, refusal.field) == ("conflict", "part")


def test_submitting_unknown_part_is_not_found() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    refusal = rejected(c, SubmitPart(task="t1", part="p9", evidence=Evidence(text="x")), hours(1))
    assert (refusal.kind, refusal.field) == ("not_found", "part")


def test_submission_done_in_the_future_is_invalid() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    command = SubmitPart(task="t1", part="p1", evidence=Evidence(text="x"), occurred_at=hours(3))
    refusal = rejected(c, command, hours(2), WORKER)
    assert (refusal.kind, refusal.field) == ("invalid", "occurred_at")


def test_submission_done_before_the_part_was_assigned_is_invalid() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10), when=hours(2))
    command = SubmitPart(task="t1", part="p1", evidence=Evidence(text="x"), occurred_at=hours(1))
    refusal = rejected(c, command, hours(3), WORKER)
    assert (refusal.kind, refusal.field) == ("invalid", "occurred_at")


# -- reviewing --------------------------------------------------------------------------------------


def test_review_before_submission_is_a_conflict() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    refusal = rejected(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(1), STREET)
    assert (refusal.kind, refusal.field) == ("conflict", "part")


def test_returned_part_is_resubmitted_then_scored() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    submit(c, "t1", "p1", hours(1))
    back = Review(verdict=Verdict.RETURN, comment="照片不清楚")
    [returned] = events(c, ReviewPart(task="t1", part="p1", review=back), hours(2), STREET)
    assert isinstance(returned, PartReturned) and returned.comment == "照片不清楚"
    part = c.board.ledger.tasks["t1"].parts["p1"]
    assert (part.status, part.reviewed_by, part.awarded) == (PartStatus.RETURNED, STREET, None)
    assert part.review == back  # the member redoing it reads why
    # A returned part cannot be reviewed again until it comes back.
    assert rejected(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(3), STREET).kind == "conflict"
    submit(c, "t1", "p1", hours(4), Evidence(text="重新拍照"))
    [scored] = events(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(5), STREET)
    assert isinstance(scored, PartScored) and scored.awarded == 10
    record = c.board.ledger.tasks["t1"]
    assert record.parts["p1"].status is PartStatus.SCORED
    assert record.parts["p1"].evidence == Evidence(text="重新拍照")
    assert (record.finished, record.awarded) == (True, 10)


def test_scored_part_is_not_reviewed_again() -> None:
    c = people()
    issue(c)
    split(c, "t1", ("p1", WORKER, 10))
    submit(c, "t1", "p1", hours(1))
    events(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(2), STREET)
    refusal = rejected(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(3), STREET)
    assert (refusal.kind, refusal.field) == ("conflict", "part")
    assert rejected(c, SubmitPart(task="t1", part="p1", evidence=Evidence(text="x")), hours(3)).kind == (
        "conflict"
    )


def test_partial_review_needs_its_completion_and_only_partial_has_one() -> None:
    with pytest.raises(ValidationError, match="completion"):
        Review(verdict=Verdict.PARTIAL)
    with pytest.raises(ValidationError, match="completion"):
        Review(verdict=Verdict.ACCEPT, completion=0.5)
    assert Review(verdict=Verdict.PARTIAL, completion=0.5).completion == 0.5


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_evidence_number_must_be_finite(number: float) -> None:
    # JSON has no NaN or infinity: logged, the number would come back as null and the evidence be lost.
    with pytest.raises(ValidationError, match="number"):
        Evidence(number=number)


def test_evidence_number_may_be_any_finite_number() -> None:
    assert Evidence(number=-2.5).number == -2.5
    assert Evidence.model_validate_json('{"number": 1e300}').number == 1e300
