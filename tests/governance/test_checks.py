"""Checks on vulnerable households: issued when an incident starts (and for vulnerable households saved
during it), reported by those who look after them; "needs help" becomes a need the engine plans."""

from engine.coordinator import CancelNeed, CloseIncident, Event, NeedStatus, TriggerIncident
from engine.coordinator.events import IncidentTriggered, NeedReported, PlanProposed
from engine.governance.checks import CheckResult
from engine.governance.commands import RemoveHousehold, ReportCheck, SaveHousehold
from engine.governance.events import CheckReported, ChecksIssued
from engine.governance.people import Vulnerability
from tests.governance.world import (
    CADRE,
    CAPTAIN,
    WORKER,
    Recorder,
    at,
    events,
    household,
    people,
    rejected,
    run_until,
)

FLOOD = TriggerIncident(incident="i1", kind="flood", level=2)


def started(c: Recorder | None = None, when: float = 10) -> Recorder:
    c = c or people()
    c.handle(FLOOD, at(when), CADRE)
    return c


def help_for(household: str = "h1", **kw: object) -> ReportCheck:
    fields: dict[str, object] = {"capability": "supply.water", **kw}
    return ReportCheck.model_validate({"household": household, "result": "needs_help", **fields})


def issued(evs: list[Event]) -> list[ChecksIssued]:
    return [e for e in evs if isinstance(e, ChecksIssued)]


# -- issuing ----------------------------------------------------------------------------------------


def test_incident_issues_a_check_per_vulnerable_household() -> None:
    c = people()
    triggered, checks = events(c, FLOOD, at(10), CADRE)
    assert isinstance(triggered, IncidentTriggered) and isinstance(checks, ChecksIssued)
    assert [(k.household, k.grid, k.building, k.result, k.issued_at) for k in checks.checks] == [
        ("h1", "grid1", "b1", CheckResult.PENDING, at(10)),
        ("h3", "grid2", "b2", CheckResult.PENDING, at(10)),
    ]
    assert set(c.board.ledger.checks) == {"h1", "h3"}


def test_household_without_tags_gets_no_check() -> None:
    c = started()
    assert "h2" not in c.board.ledger.checks
    refusal = rejected(c, ReportCheck(household="h2", result=CheckResult.SAFE), at(20), WORKER)
    assert (refusal.kind, refusal.field) == ("not_found", "household")


def test_incident_without_vulnerable_households_issues_no_checks() -> None:
    c = people()
    for h in ("h1", "h3"):
        c.handle(RemoveHousehold(household=h), at(1), CADRE)
    [event] = events(c, FLOOD, at(10), CADRE)
    assert isinstance(event, IncidentTriggered)
    assert c.board.ledger.checks == {}


def test_vulnerable_household_saved_during_incident_is_checked_once() -> None:
    c = started()
    h = household("h4", "b1", Vulnerability.BEDRIDDEN)
    [check] = issued(events(c, SaveHousehold(household=h), at(20), WORKER))
    assert [(k.household, k.grid, k.building, k.issued_at) for k in check.checks] == [
        ("h4", "grid1", "b1", at(20))
    ]
    # Saved again (a new phone number): the check it has stands.
    again = h.model_copy(update={"phone": "13900001111"})
    assert issued(events(c, SaveHousehold(household=again), at(30), WORKER)) == []
    assert c.board.ledger.checks["h4"].issued_at == at(20)


def test_household_saved_outside_an_incident_gets_no_check() -> None:
    c = people()
    h = household("h4", "b1", Vulnerability.BEDRIDDEN)
    assert issued(events(c, SaveHousehold(household=h), at(20), WORKER)) == []
    assert c.board.ledger.checks == {}


def test_household_turning_vulnerable_during_incident_is_checked() -> None:
    c = started()
    h2 = c.board.ledger.households["h2"].model_copy(update={"tags": (Vulnerability.PREGNANT,)})
    [check] = issued(events(c, SaveHousehold(household=h2), at(20), CADRE))
    assert check.checks[0].household == "h2"


# -- reporting --------------------------------------------------------------------------------------


def test_report_outside_an_incident_is_a_conflict() -> None:
    c = people()
    refusal = rejected(c, ReportCheck(household="h1", result=CheckResult.SAFE), at(20), WORKER)
    assert (refusal.kind, refusal.field) == ("conflict", "incident")


def test_safe_report_records_who_and_when() -> None:
    c = started()
    command = ReportCheck(household="h1", result=CheckResult.SAFE, note="老人在家", occurred_at=at(15))
    [event] = events(c, command, at(20), CAPTAIN)
    assert isinstance(event, CheckReported)
    check = c.board.ledger.checks["h1"]
    assert (check.result, check.reported_at, check.reported_by, check.note, check.need) == (
        CheckResult.SAFE,
        at(15),
        CAPTAIN,
        "老人在家",
        None,
    )


def test_pending_is_not_a_report() -> None:
    c = started()
    refusal = rejected(c, ReportCheck(household="h1", result=CheckResult.PENDING), at(20), WORKER)
    assert (refusal.kind, refusal.field) == ("invalid", "result")


def test_needs_help_without_capability_is_invalid() -> None:
    c = started()
    refusal = rejected(c, ReportCheck(household="h1", result=CheckResult.NEEDS_HELP), at(20), WORKER)
    assert (refusal.kind, refusal.field) == ("invalid", "capability")


def test_needs_help_reports_a_need_at_the_building() -> None:
    c = started()
    reported, check = events(c, help_for("h1", quantity=2, priority=5, note="缺饮用水"), at(20), WORKER)
    assert isinstance(reported, NeedReported) and isinstance(check, CheckReported)
    need = reported.need
    assert need.id == "c1-h1-help1"
    assert (need.capability, need.quantity, need.priority) == ("supply.water", 2, 5)
    assert need.location == c.board.ledger.buildings["b1"].location == "g0_0"
    assert need.tags == ("elderly_alone",)
    assert (need.community, need.reported_by, need.reported_at) == ("c1", WORKER, at(20))
    assert need.note == "1号楼 1单元h1 缺饮用水"
    assert reported.contact_phone == "13812345678"
    assert c.board.needs[need.id].contact_phone == "13812345678"
    assert check.need == need.id
    assert c.board.ledger.checks["h1"].result is CheckResult.NEEDS_HELP
    assert c.board.ledger.checks["h1"].need == need.id


def test_needs_help_for_a_household_without_phone_has_no_contact() -> None:
    c = started()
    reported, _ = events(c, help_for("h3"), at(20), CADRE)
    assert isinstance(reported, NeedReported)
    assert reported.contact_phone is None
    assert reported.need.tags == ("disabled", "infant")
    assert reported.need.location == "g3_3"


def test_second_needs_help_while_the_need_is_open_is_a_conflict() -> None:
    c = started()
    events(c, help_for("h1"), at(20), WORKER)
    refusal = rejected(c, help_for("h1"), at(30), WORKER)
    assert (refusal.kind, refusal.field) == ("conflict", "household")


def test_needs_help_again_once_the_first_need_is_closed() -> None:
    c = started()
    events(c, help_for("h1"), at(20), WORKER)
    c.handle(CancelNeed(need="c1-h1-help1"), at(25), CADRE)
    reported, check = events(c, help_for("h1"), at(30), WORKER)
    assert isinstance(reported, NeedReported) and isinstance(check, CheckReported)
    assert reported.need.id == check.need == "c1-h1-help2"


def test_safe_after_needs_help_keeps_the_open_need() -> None:
    c = started()
    events(c, help_for("h1"), at(20), WORKER)
    [event] = events(c, ReportCheck(household="h1", result=CheckResult.SAFE), at(30), WORKER)
    assert isinstance(event, CheckReported) and event.need == "c1-h1-help1"


def test_checks_are_cleared_when_the_incident_closes() -> None:
    c = started()
    events(c, ReportCheck(household="h1", result=CheckResult.SAFE), at(20), WORKER)
    c.handle(CloseIncident(), at(30), CADRE)
    assert c.board.ledger.checks == {}
    refusal = rejected(c, ReportCheck(household="h3", result=CheckResult.SAFE), at(40), WORKER)
    assert refusal.kind == "conflict"
    # The next incident checks everyone afresh.
    c.handle(TriggerIncident(incident="i2", kind="typhoon", level=1), at(50), CADRE)
    assert {h: k.result for h, k in c.board.ledger.checks.items()} == {
        "h1": CheckResult.PENDING,
        "h3": CheckResult.PENDING,
    }


def test_removed_household_loses_its_check() -> None:
    c = started()
    c.handle(RemoveHousehold(household="h3"), at(20), CADRE)
    assert set(c.board.ledger.checks) == {"h1"}


# -- planned like any need --------------------------------------------------------------------------


def test_need_from_a_check_is_planned() -> None:
    c = started()
    events(c, help_for("h1", priority=5), at(20), WORKER)
    ticked = run_until(c, at(60))
    [plan] = [e for e in ticked if isinstance(e, PlanProposed)]
    need = "c1-h1-help1"
    assigned = [a for a in plan.plan.assignments if a.need == need]
    unmet = [u for u in plan.plan.unmet if u.need == need]
    assert assigned or unmet
    # One unit of water 60 s away at g0_1: the plan sends it, and priority 5 confirms it by itself.
    assert [(a.resource, a.quantity) for a in assigned] == [("near", 1)]
    assert [d.status.value for d in c.board.dispatches_of(need)] == ["notified"]
    assert c.board.needs[need].status is NeedStatus.OPEN


def test_need_from_a_check_without_a_resource_is_unmet() -> None:
    c = started()
    events(c, help_for("h3", capability="medical.doctor"), at(20), CADRE)
    [plan] = [e for e in run_until(c, at(60)) if isinstance(e, PlanProposed)]
    assert [u.need for u in plan.plan.unmet] == ["c1-h3-help1"]
    assert plan.plan.assignments == ()


def test_household_moved_during_incident_takes_its_check_along() -> None:
    c = started()
    c.handle(SaveHousehold(household=household("h1", "b2", Vulnerability.ELDERLY_ALONE)), at(20), CADRE)
    check = c.board.ledger.checks["h1"]
    assert (check.grid, check.building) == ("grid2", "b2")


def test_household_saved_in_place_keeps_its_check_where_it_was() -> None:
    c = started()
    c.handle(SaveHousehold(household=household("h1", "b1", Vulnerability.DISABLED)), at(20), CADRE)
    check = c.board.ledger.checks["h1"]
    assert (check.grid, check.building) == ("grid1", "b1")


def test_report_done_before_the_check_was_issued_is_invalid() -> None:
    c = started(when=10)
    report = ReportCheck(household="h1", result=CheckResult.SAFE, occurred_at=at(5))
    refusal = rejected(c, report, at(20), WORKER)
    assert (refusal.kind, refusal.field) == ("invalid", "occurred_at")


def test_report_done_offline_after_the_check_was_issued_is_taken() -> None:
    c = started(when=10)
    c.handle(ReportCheck(household="h1", result=CheckResult.SAFE, occurred_at=at(15)), at(20), WORKER)
    assert c.board.ledger.checks["h1"].reported_at == at(15)
