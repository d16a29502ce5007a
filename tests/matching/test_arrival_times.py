"""The tier-2 rules on arrival times, each in a case where it decides the plan and one where it does not."""

from datetime import UTC, datetime, timedelta

from engine.matching import Pin, ProblemBuilder, SolveParams, solve
from engine.matching.params import SolveParams as Params
from engine.matching.prepare import prepare
from engine.matching.problem import SoonFree
from engine.model import Need, Resource
from engine.rules import Profile
from engine.rules.profile import DispatchSettings
from tests.matching.helpers import STREET, need, org, resource

T0 = datetime(2026, 7, 21, 8, 0, tzinfo=UTC)


def _profile(**dispatch: object) -> Profile:
    return Profile(
        name="t", title_zh="测试", title_en="Test", dispatch=DispatchSettings.model_validate(dispatch)
    )


def _plan(
    needs: list[Need],
    resources: list[Resource],
    *,
    at_s: int | None = None,
    previous: list[Pin] | None = None,
    soon: list[SoonFree] | None = None,
    **dispatch: object,
):  # type: ignore[no-untyped-def]
    problem = (
        ProblemBuilder(STREET)
        .at(None if at_s is None else T0 + timedelta(seconds=at_s))
        .use_profile(_profile(**dispatch), "c1")
        .add_needs(needs)
        .add_resources(resources)
        .add_organisations([org("o1")])
        .keep(previous or [])
        .add_soon(soon or [])
        .build()
    )
    return solve(problem, SolveParams()), problem


def _sent(plan) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(a.need, a.resource) for a in plan.assignments}


def _at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_older_of_two_equal_needs_goes_first() -> None:
    # One unit at b, 60 s from both: the one that has waited longer goes.
    old = need("old", location="c", reported_at=_at(0))
    new = need("new", location="a", reported_at=_at(1200))
    plan, _ = _plan([old, new], [resource("r")], at_s=1260)
    assert _sent(plan) == {("old", "r")}


def test_without_waiting_the_nearer_need_goes() -> None:
    # Reported together, d 660 s away and a 60 s: the nearer goes.
    far = need("far", location="d", reported_at=_at(0))
    near = need("near", location="a", reported_at=_at(0))
    plan, _ = _plan([far, near], [resource("r")], at_s=0)
    assert _sent(plan) == {("near", "r")}


def test_a_need_past_its_target_outranks_a_nearer_one_that_is_not() -> None:
    # "late" at c (60 s) has waited 20 minutes (target 15 for priority 5); "fresh" is where the unit is.
    late = need("late", location="c", priority=5, reported_at=_at(0))
    fresh = need("fresh", location="b", priority=5, reported_at=_at(1200))
    plan, _ = _plan([late, fresh], [resource("r")], at_s=1200)
    assert _sent(plan) == {("late", "r")}
    # Reported together, nothing but travel tells them apart: the nearer one goes.
    fresh_too = need("fresh", location="b", priority=5, reported_at=_at(0))
    plan, _ = _plan([late, fresh_too], [resource("r")], at_s=0)
    assert _sent(plan) == {("fresh", "r")}


def test_the_set_off_time_counts_in_every_arrival() -> None:
    # Priority 5 reported 800 s ago, 60 s away: on time without set-off (860 < 900), late with 120 s.
    n = need("n", priority=5, reported_at=_at(0))
    _, problem = _plan([n], [resource("r")], at_s=800, setoff_s=0)
    assert prepare(problem, Params()).unit_late(0, 0) == 0
    _, problem = _plan([n], [resource("r")], at_s=800, setoff_s=120)
    prepared = prepare(problem, Params())
    # 80 s past the target, plus the step for being late at all.
    assert prepared.unit_late(0, 0) == 80 + prepared.problem.dispatch.late_step_s


def test_life_safety_lateness_grows_steeper_and_other_priorities_do_not() -> None:
    # 20 minutes past the target: for life-safety 5 min at 1×, 5 at 2×, 5 at 3×, 5 at 4×.
    for priority, expected in ((5, 300 * (1 + 2 + 3 + 4)), (4, 1200)):
        n = need("n", priority=priority, reported_at=_at(0), max_travel_s=None)
        target = DispatchSettings().target_s(priority)
        _, problem = _plan([n], [resource("r")], at_s=target + 1200 - 60, setoff_s=0, late_step_s=0)
        assert prepare(problem, Params()).unit_late(0, 0) == expected
    # Without bands every second weighs the same, life-safety too.
    n = need("n", priority=5, reported_at=_at(0))
    _, problem = _plan(
        [n], [resource("r")], at_s=900 + 1200 - 60, setoff_s=0, late_step_s=0, life_safety_band_s=0
    )
    assert prepare(problem, Params()).unit_late(0, 0) == 1200


def test_a_proposal_is_kept_unless_the_new_plan_gains_more_than_the_switching_cost() -> None:
    # "r" at b was proposed for y at c (60 s); x at b itself (0 s) came since: 60 priority-weighted seconds
    # of travel to gain is less than the switching cost, so the proposal stands.
    x, y = need("x", location="b"), need("y", location="c")
    before = [Pin(need="y", resource="r", quantity=1)]
    plan, _ = _plan([x, y], [resource("r")], previous=before)
    assert _sent(plan) == {("y", "r")}
    # Without a switching cost the nearer need takes it.
    plan, _ = _plan([x, y], [resource("r")], previous=before, switch_cost_s=0)
    assert _sent(plan) == {("x", "r")}
    # A large gain moves it even so: x, of the same priority, has waited an hour past its target.
    x_old = need("x", location="b", reported_at=_at(0))
    y_new = need("y", location="c", reported_at=_at(7200))
    plan, _ = _plan([x_old, y_new], [resource("r")], at_s=7200, previous=before)
    assert _sent(plan) == {("x", "r")}


def test_a_unit_free_soon_beats_a_free_unit_far_away() -> None:
    # Priority 5 at a; a free unit at d (660 s), a busy one at b free in 120 s (then 60 s): wait for it.
    n = need("n", priority=5, reported_at=_at(0))
    far = resource("far", location="d")
    near = resource("near", location="b", quantity=0)
    soon = [SoonFree(resource="near", job="job", quantity=1, location="b", in_s=120)]
    plan, _ = _plan([n], [far, near], at_s=0, soon=soon)
    [a] = plan.assignments
    assert (a.resource, a.after, a.ready_in_s) == ("near", "job", 120)
    # Free in an hour, it is not worth waiting for.
    soon = [SoonFree(resource="near", job="job", quantity=1, location="b", in_s=3600)]
    plan, _ = _plan([n], [far, near], at_s=0, soon=soon)
    [a] = plan.assignments
    assert (a.resource, a.after) == ("far", None)
