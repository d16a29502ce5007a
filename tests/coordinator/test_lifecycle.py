"""The dispatch lifecycle on simulated time: each rule has a case where it fires and one where it does not."""

import pytest

from engine.coordinator import (
    Advance,
    CloseIncident,
    DispatchStatus,
    Escalate,
    Override,
    Rejected,
    RelaxRule,
    SaveResource,
    TriggerIncident,
)
from engine.coordinator.board import NeedStatus
from engine.coordinator.events import NeedEscalated, PlanProposed
from engine.model import Mode, Resource, ResourceStatus
from engine.rules import load_profile
from tests.coordinator.world import at, community, report, run_until

S = DispatchStatus


def _only(c, need="n1"):  # type: ignore[no-untyped-def]
    [d] = [d for d in c.board.dispatches.values() if d.need == need]
    return d


def _incident(c) -> None:  # type: ignore[no-untyped-def]
    c.handle(TriggerIncident(incident="i1", kind="flood", level=2), at(1), "cadre")


def test_a_report_is_planned_after_the_debounce_not_before() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10)
    assert c.due() == at(10.1)
    assert c.tick(at(10.05)) == []
    steps = c.tick(at(10.1))
    assert isinstance(steps[0].event, PlanProposed)
    assert _only(c).resource == "near" and _only(c).status is S.PROPOSED


def test_life_safety_is_confirmed_and_sent_without_waiting_in_an_incident() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10, priority=5)
    run_until(c, 11)
    d = _only(c)
    assert d.status is S.NOTIFIED and d.confirmed_by == "system"


def test_lower_priority_waits_for_a_cadre() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10, priority=4)
    run_until(c, 11)
    assert _only(c).status is S.PROPOSED


def test_no_auto_confirmation_in_normal_times() -> None:
    c = community()
    report(c, "n1", 10, priority=5)
    run_until(c, 11)
    assert c.board.mode is Mode.NORMAL and _only(c).status is S.PROPOSED


def test_confirming_notifies_and_silence_passes_the_need_to_another_resource() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10)
    run_until(c, 11)
    c.handle(Advance(dispatch=_only(c).id, to=S.CONFIRMED), at(20), "cadre")
    assert _only(c).status is S.NOTIFIED
    assert c.due() == at(320)
    run_until(c, 319)
    assert _only(c).resource == "near"
    run_until(c, 321)
    assert ("n1", "near") in c.board.excluded
    d = _only(c)
    assert d.resource == "far" and d.status is S.PROPOSED


def test_an_acknowledged_dispatch_does_not_time_out() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10)
    run_until(c, 11)
    c.handle(Advance(dispatch=_only(c).id, to=S.CONFIRMED), at(20), "cadre")
    c.handle(Advance(dispatch=_only(c).id, to=S.ACKNOWLEDGED), at(100), "o1")
    run_until(c, 2000)
    assert _only(c).resource == "near" and _only(c).status is S.ACKNOWLEDGED


def test_a_decline_excludes_the_pair_and_replans() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10)
    run_until(c, 11)
    c.handle(Advance(dispatch=_only(c).id, to=S.CONFIRMED), at(20), "cadre")
    c.handle(Advance(dispatch=_only(c).id, to=S.DECLINED, note="船坏了"), at(30), "o1")
    run_until(c, 31)
    assert _only(c).resource == "far"


def test_an_uncovered_need_is_escalated_with_the_plans_suggestion() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10, capability="power.generator")
    steps = run_until(c, 10 + 899)
    assert not any(isinstance(s.event, NeedEscalated) for s in steps)
    steps = run_until(c, 10 + 901)
    [escalated] = [s.event for s in steps if isinstance(s.event, NeedEscalated)]
    assert escalated.need == "n1" and escalated.suggestion.action == "escalate_to_street"
    assert "power.generator" in escalated.detail
    assert c.due() is None  # escalated once, not again


def test_a_covered_need_is_not_escalated() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10, priority=5)  # auto-confirmed at once
    run_until(c, 11)
    c.handle(Advance(dispatch=_only(c).id, to=S.ACKNOWLEDGED), at(12), "o1")
    steps = run_until(c, 5000)
    assert not any(isinstance(s.event, NeedEscalated) for s in steps)


def test_no_escalation_in_normal_times() -> None:
    c = community()
    report(c, "n1", 10, capability="power.generator")
    steps = run_until(c, 100_000)
    assert not any(isinstance(s.event, NeedEscalated) for s in steps)


def test_normal_times_match_on_the_schedule() -> None:
    c = community()
    report(c, "n1", 10)
    run_until(c, 11)
    report(c, "n2", 60, location="g3_2")
    # The profile matches every 600 s in normal times: the second need waits for the schedule.
    assert c.due() == at(10.1 + 600)
    _incident(c)
    # ... but an incident plans at once.
    assert c.due() == at(60.1)


def test_override_pins_the_chosen_resource_and_the_plan_keeps_it() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10)
    run_until(c, 11)
    steps = c.handle(Override(dispatch=_only(c).id, resource="far"), at(20), "cadre")
    assert [s.event.type for s in steps] == [
        "dispatch_created",
        "dispatch_status_changed",
        "dispatch_status_changed",
    ]
    run_until(c, 100)
    d = _only(c)
    assert d.resource == "far" and d.status is S.NOTIFIED and d.confirmed_by == "cadre"
    assert any(a.pinned and a.resource == "far" for a in c.board.plan.assignments)


def test_override_with_the_wrong_capability_is_refused_and_changes_nothing() -> None:
    c = community()
    c.handle(
        SaveResource(
            resource=Resource(
                id="boat", organisation="o1", capability="rescue.boat", quantity=1, location="g1_1"
            )
        ),
        at(1),
        "o1",
    )
    _incident(c)
    report(c, "n1", 10)
    run_until(c, 11)
    before = c.board.events
    with pytest.raises(Rejected) as caught:
        c.handle(Override(dispatch=_only(c).id, resource="boat"), at(20), "cadre")
    assert caught.value.field == "resource" and "rescue.boat" in caught.value.message
    assert c.board.events == before


def test_wrong_transition_is_refused_naming_the_state() -> None:
    c = community()
    report(c, "n1", 10)
    run_until(c, 11)
    with pytest.raises(Rejected) as caught:
        c.handle(Advance(dispatch=_only(c).id, to=S.DONE), at(20), "o1")
    assert caught.value.kind == "conflict" and "proposed" in caught.value.message


def test_done_serves_the_need_and_frees_the_units() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10, priority=5)
    run_until(c, 11)
    d = _only(c)
    for status in (S.EN_ROUTE, S.ON_SITE, S.DONE):
        c.handle(Advance(dispatch=d.id, to=status), at(100), "o1")
    assert c.board.needs["n1"].status is NeedStatus.SERVED and not c.board.dispatches
    report(c, "n2", 200, priority=5)
    run_until(c, 201)
    assert _only(c, "n2").resource == "near"


def test_closing_the_incident_returns_to_normal_mode() -> None:
    c = community()
    _incident(c)
    c.handle(CloseIncident(), at(50), "cadre")
    assert c.board.mode is Mode.NORMAL and c.board.incidents[0].closed_at == at(50)
    with pytest.raises(Rejected):
        c.handle(CloseIncident(), at(60), "cadre")


def test_a_proposal_for_a_resource_gone_offline_cannot_be_confirmed() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10)
    run_until(c, 11)
    near = c.board.resources["near"]
    c.handle(SaveResource(resource=near.model_copy(update={"status": ResourceStatus.OFFLINE})), at(12), "o1")
    with pytest.raises(Rejected) as caught:
        c.handle(Advance(dispatch=_only(c).id, to=S.CONFIRMED), at(12), "cadre")
    assert "offline" in caught.value.message
    run_until(c, 13)
    assert _only(c).resource == "far"


def test_a_cadre_escalates_by_hand_once() -> None:
    c = community()
    _incident(c)
    report(c, "n1", 10, capability="power.generator")
    run_until(c, 11)
    [step] = c.handle(Escalate(need="n1"), at(20), "cadre")
    assert isinstance(step.event, NeedEscalated) and "power.generator" in step.event.detail
    with pytest.raises(Rejected):
        c.handle(Escalate(need="n1"), at(21), "cadre")
    assert not any(isinstance(s.event, NeedEscalated) for s in run_until(c, 5000))


def test_relaxing_a_rule_removes_it_and_replans() -> None:
    profile = load_profile(
        """
name: strict
title_zh: 严格
title_en: Strict
rules:
  - name: no_far_water
    kind: eligibility
    effect: deny
    resource: {organisation: {eq: o2}}
""",
        "strict.yaml",
    )
    c = community(profile)
    near = c.board.resources["near"]
    c.handle(SaveResource(resource=near.model_copy(update={"status": ResourceStatus.OFFLINE})), at(1), "o1")
    _incident(c)
    report(c, "n1", 10)
    run_until(c, 11)
    [unmet] = c.board.plan.unmet
    assert unmet.suggestion.action == "relax_rule" and unmet.suggestion.rule == "no_far_water"
    c.handle(RelaxRule(rule="no_far_water"), at(20), "cadre")
    assert c.board.profile.rules == ()
    run_until(c, 21)
    assert _only(c).resource == "far"
    with pytest.raises(Rejected) as caught:
        c.handle(RelaxRule(rule="no_far_water"), at(22), "cadre")
    assert caught.value.kind == "not_found"
