"""Scores: points × completion credited × the share kept for lateness, rounded to a tenth.

Default late steps: late at all keeps 0.8, more than 24 h late 0.5, more than 72 h nothing; a step applies
only when the part is later than its hours (late by exactly 24 h still keeps 0.8)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.coordinator import ChangeProfile
from engine.governance.commands import ReviewPart
from engine.governance.events import PartScored
from engine.governance.scoring import LateStep, TaskSettings, award, keep_share
from engine.governance.tasks import Review, Verdict, hours_late
from tests.governance.world import (
    PROFILE,
    STREET,
    WORKER,
    events,
    hours,
    issue,
    people,
    split,
    submit,
    task,
)

DEFAULT = TaskSettings()
ACCEPT = Review(verdict=Verdict.ACCEPT)


def partial(completion: float) -> Review:
    return Review(verdict=Verdict.PARTIAL, completion=completion)


# -- lateness ---------------------------------------------------------------------------------------


def test_on_time_keeps_all_points() -> None:
    assert award(DEFAULT, 10, ACCEPT, 0.0).model_dump() == {"completion": 1.0, "keep": 1.0, "awarded": 10.0}


def test_early_submission_is_not_late() -> None:
    assert hours_late(hours(24), hours(20)) == 0.0


@pytest.mark.parametrize(
    ("late_h", "keep", "awarded"),
    [
        (0.5, 0.8, 8.0),
        (23.9, 0.8, 8.0),
        (24.1, 0.5, 5.0),
        (71.9, 0.5, 5.0),
        (72.1, 0.0, 0.0),
        (500, 0.0, 0.0),
    ],
)
def test_default_late_steps(late_h: float, keep: float, awarded: float) -> None:
    result = award(DEFAULT, 10, ACCEPT, late_h)
    assert (result.keep, result.awarded) == (keep, awarded)


@pytest.mark.parametrize(("late_h", "keep"), [(0.0, 1.0), (24.0, 0.8), (72.0, 0.5)])
def test_late_by_exactly_a_step_keeps_the_share_before_it(late_h: float, keep: float) -> None:
    assert keep_share(DEFAULT, late_h) == keep


def test_no_late_steps_keeps_everything_however_late() -> None:
    assert keep_share(TaskSettings(late=()), 1000.0) == 1.0


# -- partial completion -----------------------------------------------------------------------------


def test_partial_proportional_awards_the_share_done() -> None:
    result = award(DEFAULT, 10, partial(0.6), 0.0)
    assert (result.completion, result.awarded) == (0.6, 6.0)


def test_partial_none_awards_nothing_for_partial_work() -> None:
    none = TaskSettings(partial="none")
    assert award(none, 10, partial(0.9), 0.0).awarded == 0.0
    # Accepted work is still paid in full.
    assert award(none, 10, ACCEPT, 0.0).awarded == 10.0


def test_partial_below_partial_min_awards_nothing() -> None:
    assert award(DEFAULT, 10, partial(0.49), 0.0).awarded == 0.0
    assert award(TaskSettings(partial_min=0.2), 10, partial(0.3), 0.0).awarded == 3.0


def test_partial_at_partial_min_is_credited() -> None:
    assert award(DEFAULT, 10, partial(0.5), 0.0).awarded == 5.0


def test_awarded_is_rounded_to_a_tenth() -> None:
    # 10 × 0.67 × 0.8 = 5.36
    assert award(DEFAULT, 10, partial(0.67), 1.0).awarded == 5.4
    # 7 × 1 × 0.5 = 3.5 exactly; 3 × 0.7 = 2.0999999999999996
    assert award(DEFAULT, 7, ACCEPT, 30.0).awarded == 3.5
    assert award(DEFAULT, 3, partial(0.7), 0.0).awarded == 2.1


# -- settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "late",
    [
        (LateStep(after_h=24, keep=0.5), LateStep(after_h=24, keep=0.2)),
        (LateStep(after_h=24, keep=0.5), LateStep(after_h=0, keep=0.8)),
    ],
)
def test_task_settings_refuse_steps_that_do_not_increase(late: tuple[LateStep, ...]) -> None:
    with pytest.raises(ValidationError, match="late: after_h must increase"):
        TaskSettings(late=late)


def test_task_settings_refuse_a_later_step_keeping_more() -> None:
    with pytest.raises(ValidationError, match="late: keep must not grow"):
        TaskSettings(late=(LateStep(after_h=0, keep=0.5), LateStep(after_h=24, keep=0.9)))


def test_task_settings_take_increasing_steps() -> None:
    late = (LateStep(after_h=2, keep=0.9), LateStep(after_h=48, keep=0.1))
    assert TaskSettings(late=late).late == late


# -- through the coordinator ------------------------------------------------------------------------


def test_review_scores_by_when_the_part_came_in() -> None:
    c = people()
    issue(c, task(due=hours(24)))
    split(c, "t1", ("p1", WORKER, 10))
    submit(c, "t1", "p1", hours(54))
    [event] = events(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(60), STREET)
    assert isinstance(event, PartScored)
    assert (event.late_h, event.keep, event.completion, event.awarded) == (30.0, 0.5, 1.0, 5.0)
    part = c.board.ledger.tasks["t1"].parts["p1"]
    assert (part.late_h, part.keep, part.awarded) == (30.0, 0.5, 5.0)


def test_offline_submission_is_scored_by_when_it_was_done() -> None:
    c = people()
    issue(c, task(due=hours(24)))
    split(c, "t1", ("p1", WORKER, 10))
    # Done an hour before the due time on a phone without signal; sent 30 hours after it.
    submit(c, "t1", "p1", hours(54), occurred_at=hours(23))
    assert c.board.ledger.tasks["t1"].parts["p1"].submitted_at == hours(23)
    [event] = events(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(60), STREET)
    assert isinstance(event, PartScored)
    assert (event.late_h, event.keep, event.awarded) == (0.0, 1.0, 10.0)


def test_late_by_exactly_a_day_through_the_coordinator_keeps_0_8() -> None:
    c = people()
    issue(c, task(due=hours(24)))
    split(c, "t1", ("p1", WORKER, 10))
    submit(c, "t1", "p1", hours(48))
    [event] = events(c, ReviewPart(task="t1", part="p1", review=ACCEPT), hours(49), STREET)
    assert isinstance(event, PartScored)
    assert (event.late_h, event.keep, event.awarded) == (24.0, 0.8, 8.0)


def test_score_follows_the_profile_of_the_day() -> None:
    c = people()
    strict = PROFILE.model_copy(update={"tasks": TaskSettings(partial="none")})
    c.handle(ChangeProfile(profile=strict), hours(0), STREET)
    issue(c, task(due=hours(24)))
    split(c, "t1", ("p1", WORKER, 10))
    submit(c, "t1", "p1", hours(1))
    [event] = events(c, ReviewPart(task="t1", part="p1", review=partial(0.9)), hours(2), STREET)
    assert isinstance(event, PartScored)
    assert (event.completion, event.awarded) == (0.9, 0.0)


# -- properties -------------------------------------------------------------------------------------

points_st = st.integers(0, 1000)
late_st = st.floats(0, 200, allow_nan=False)
completion_st = st.floats(0, 1, allow_nan=False)


@st.composite
def task_settings(draw: st.DrawFn) -> TaskSettings:
    """Valid settings: the later a step, the less it keeps (the settings refuse anything else)."""
    after = sorted(set(draw(st.lists(st.floats(0, 150, allow_nan=False), max_size=4))))
    keeps = draw(st.lists(st.floats(0, 1, allow_nan=False), min_size=len(after), max_size=len(after)))
    keeps = sorted(keeps, reverse=True)
    return TaskSettings(
        late=tuple(LateStep(after_h=h, keep=k) for h, k in zip(after, keeps, strict=True)),
        partial=draw(st.sampled_from(["proportional", "none"])),
        partial_min=draw(completion_st),
    )


def reviews() -> st.SearchStrategy[Review]:
    return st.one_of(st.just(ACCEPT), completion_st.map(partial))


@settings(max_examples=150, deadline=None)
@given(task_settings(), points_st, reviews(), late_st)
def test_awarded_is_within_zero_and_the_points(
    s: TaskSettings, points: int, review: Review, late_h: float
) -> None:
    result = award(s, points, review, late_h)
    assert 0 <= result.awarded <= points
    assert 0 <= result.keep <= 1


@settings(max_examples=150, deadline=None)
@given(task_settings(), points_st, reviews(), late_st, late_st)
def test_awarded_never_grows_with_lateness(
    s: TaskSettings, points: int, review: Review, a: float, b: float
) -> None:
    earlier, later = sorted((a, b))
    assert award(s, points, review, later).awarded <= award(s, points, review, earlier).awarded


@settings(max_examples=150, deadline=None)
@given(task_settings(), points_st, late_st, completion_st, completion_st)
def test_proportional_awarded_never_shrinks_with_completion(
    s: TaskSettings, points: int, late_h: float, a: float, b: float
) -> None:
    s = s.model_copy(update={"partial": "proportional"})
    less, more = sorted((a, b))
    low = award(s, points, partial(less), late_h).awarded
    high = award(s, points, partial(more), late_h).awarded
    assert low <= high <= award(s, points, ACCEPT, late_h).awarded
