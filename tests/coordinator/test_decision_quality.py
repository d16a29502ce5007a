"""Exclusions that lapse, closures both ways, units planned from their current job: each fires and does not."""

from engine.coordinator import Advance, CloseRoad, DispatchStatus, ReopenRoad, SaveResource, TriggerIncident
from engine.model import ResourceStatus
from engine.model.plan import UnmetReason
from tests.coordinator.world import PROFILE, at, community, report, run_until

S = DispatchStatus
# The test profile with a short exclusion and units on a job planned for their next need.
BUSY = PROFILE.model_copy(
    update={
        "name": "busy_test",
        "dispatch": PROFILE.dispatch.model_copy(
            update={"exclusion_s": 600, "plan_busy_units": True, "default_job_s": 600}
        ),
    }
)


def _incident(c) -> None:  # type: ignore[no-untyped-def]
    c.handle(TriggerIncident(incident="i1", kind="flood", level=2), at(1), "cadre")


def _of(c, need: str):  # type: ignore[no-untyped-def]
    return [d for d in c.board.dispatches.values() if d.need == need]


def _only_near(c) -> None:  # type: ignore[no-untyped-def]
    # Take the far unit out, so the near one is the only one left.
    far = c.board.resources["far"].model_copy(update={"status": ResourceStatus.OFFLINE})
    c.handle(SaveResource(resource=far), at(2), "setup")


def _decline_near(c, when: float, to: DispatchStatus = S.DECLINED) -> None:  # type: ignore[no-untyped-def]
    [d] = _of(c, "n1")
    c.handle(Advance(dispatch=d.id, to=S.CONFIRMED), at(when), "cadre")
    c.handle(Advance(dispatch=d.id, to=to), at(when + 10), "o1")


def test_a_decline_lapses_after_the_profiles_time_and_the_pair_is_planned_again() -> None:
    c = community(BUSY)
    _incident(c)
    _only_near(c)
    report(c, "n1", 10)
    run_until(c, 11)
    _decline_near(c, 20)
    run_until(c, 31)
    [unmet] = c.board.plan.unmet
    assert unmet.reason is UnmetReason.DECLINED and _of(c, "n1") == []
    # Still ruled out one second before the lapse; proposed again at the lapse, with no other change.
    run_until(c, 30 + 599)
    assert _of(c, "n1") == []
    run_until(c, 30 + 600)
    assert [d.resource for d in _of(c, "n1")] == ["near"]


def test_a_decline_ends_early_when_the_resource_changes() -> None:
    c = community(BUSY)
    _incident(c)
    _only_near(c)
    report(c, "n1", 10)
    run_until(c, 11)
    _decline_near(c, 20)
    run_until(c, 31)
    near = c.board.resources["near"]
    c.handle(SaveResource(resource=near.model_copy(update={"quantity": 2})), at(100), "o1")
    run_until(c, 101)
    assert [d.resource for d in _of(c, "n1")] == ["near"]


def test_a_missed_acknowledgement_is_named_as_such() -> None:
    c = community(BUSY)
    _incident(c)
    _only_near(c)
    report(c, "n1", 10)
    run_until(c, 11)
    [d] = _of(c, "n1")
    c.handle(Advance(dispatch=d.id, to=S.CONFIRMED), at(20), "cadre")
    run_until(c, 20 + 301)
    assert c.board.excluded[("n1", "near")].reason == "not_acknowledged"
    assert c.board.plan.unmet[0].reason is UnmetReason.NOT_ACKNOWLEDGED


def test_no_open_road_is_not_a_decline_and_ends_when_the_roads_change() -> None:
    c = community(BUSY)
    _incident(c)
    _only_near(c)
    report(c, "n1", 10)
    run_until(c, 11)
    _decline_near(c, 20, to=S.NO_ROAD)
    run_until(c, 31)
    assert c.board.plan.unmet[0].reason is UnmetReason.NO_OPEN_ROAD
    assert c.board.plan.unmet[0].suggestion.action == "mark_road"
    # The cadre marks a closed road elsewhere: the roads changed, so the pair is planned on them again.
    c.handle(CloseRoad(source="g3_2", target="g3_3"), at(60), "cadre")
    run_until(c, 61)
    assert [d.resource for d in _of(c, "n1")] == ["near"]


def test_a_closed_road_is_closed_both_ways_unless_one_way() -> None:
    c = community()
    c.handle(CloseRoad(source="g0_0", target="g0_1"), at(5), "cadre")
    graph = c.board.graph
    assert {("g0_0", "g0_1"), ("g0_1", "g0_0")} <= graph.closures
    c.handle(ReopenRoad(source="g0_1", target="g0_0"), at(6), "cadre")
    assert c.board.graph.closures == frozenset()
    c.handle(CloseRoad(source="g0_0", target="g0_1", one_way=True), at(7), "cadre")
    assert c.board.graph.closures == {("g0_0", "g0_1")}


def _second_call_while_the_unit_works(profile):  # type: ignore[no-untyped-def]
    """The one unit goes to life-safety n1 and is on site at 30 s; life-safety n2 is reported at 100 s."""
    c = community(profile)
    _incident(c)
    _only_near(c)
    report(c, "n1", 10, priority=5)
    run_until(c, 11)
    [d] = _of(c, "n1")
    for to in (S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SITE):
        c.handle(Advance(dispatch=d.id, to=to), at(30), "o1")
    report(c, "n2", 100, priority=5, location="g1_1")
    run_until(c, 101)
    return c


def test_a_life_safety_need_waits_for_the_one_unit_on_a_job_rather_than_nobody_planning_it() -> None:
    c = _second_call_while_the_unit_works(BUSY)
    [queued] = _of(c, "n2")
    # Planned from n1's place, free when the job is expected to end (on site at 30 s + 600 s of work).
    assert queued.resource == "near" and queued.after == "n1" and queued.status is S.PROPOSED
    assert queued.ready_at is not None and abs((queued.ready_at - at(630)).total_seconds()) < 1
    assert c.board.plan.unmet == ()
    # It is not confirmed while the unit is busy, even for life-safety.
    assert queued.confirmed_by is None


def test_without_the_switch_units_on_a_job_are_not_planned() -> None:
    c = _second_call_while_the_unit_works(PROFILE)
    assert _of(c, "n2") == [] and [u.need for u in c.board.plan.unmet] == ["n2"]


def test_a_queued_unit_is_confirmed_once_it_is_free() -> None:
    c = _second_call_while_the_unit_works(BUSY)
    [d] = _of(c, "n1")
    c.handle(Advance(dispatch=d.id, to=S.DONE), at(500), "o1")
    run_until(c, 501)
    [sent] = _of(c, "n2")
    assert sent.resource == "near" and sent.after is None and sent.status is S.NOTIFIED


def test_exclusions_survive_replay() -> None:
    c = community(BUSY)
    _incident(c)
    _only_near(c)
    report(c, "n1", 10)
    run_until(c, 11)
    _decline_near(c, 20)
    from engine.coordinator import Coordinator
    from tests.coordinator.world import maps

    again = Coordinator.replay(c.log, maps)
    assert again.board.excluded == c.board.excluded
    assert again.due() == c.due()
