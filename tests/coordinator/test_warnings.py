"""Warnings' rules on the coordinator: each has a case where it fires and one where it does not; a warning
never switches the community by itself; the board rebuilt from its log holds the same warnings."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.coordinator import Coordinator, Rejected, TriggerIncident
from engine.coordinator import snapshot as snapshots
from engine.coordinator.commands import AcceptWarning, CancelWarning, DismissWarning, ReceiveWarning
from engine.model.ids import IncidentId, WarningId
from engine.model.warning import OfficialWarning, Severity, WarningSettings, WarningStatus, warning_id
from tests.coordinator.world import Recorder, at, community, maps

CADRE = "cadre:test"


def warning(identifier: str, **fields: object) -> OfficialWarning:
    values: dict[str, object] = {
        "id": warning_id("gd-met", identifier),
        "sent": at(0),
        "event": "暴雨",
        "severity": Severity.EXTREME,
        "expires": at(6 * 3600),
        **fields,
    }
    return OfficialWarning.model_validate(values)


def receive(c: Recorder, w: OfficialWarning, when: float = 1) -> list[str]:
    return [s.event.type for s in c.handle(ReceiveWarning(warning=w), at(when), "system:feed")]


def status(c: Coordinator, identifier: str) -> WarningStatus:
    return c.board.warnings.records[warning_id("gd-met", identifier)].status


def test_a_warning_opens_a_proposal_with_the_profiles_kind_and_level_and_switches_nothing() -> None:
    c = community()
    assert receive(c, warning("w1")) == ["warning_received"]
    record = c.board.warnings.records[warning_id("gd-met", "w1")]
    assert (record.status, record.kind, record.level) == (WarningStatus.OPEN, "flood", 1)
    assert c.board.incident is None
    assert record.warning.title_zh == "暴雨红色预警"


def test_the_same_warning_again_is_not_heard_again() -> None:
    c = community()
    receive(c, warning("w1"))
    assert receive(c, warning("w1"), when=5) == []


def test_an_expired_warning_is_refused_and_one_still_valid_is_not() -> None:
    c = community()
    with pytest.raises(Rejected) as caught:
        c.handle(ReceiveWarning(warning=warning("old", expires=at(0))), at(1), "system:feed")
    assert caught.value.field == "expires"
    assert receive(c, warning("new", expires=at(2))) == ["warning_received"]


def test_an_update_supersedes_an_open_proposal_but_joins_an_accepted_ones_incident() -> None:
    c = community()
    receive(c, warning("w1"))
    events = receive(c, warning("w2", replaces=(warning_id("gd-met", "w1"),)), when=2)
    assert events == ["warning_received", "warning_withdrawn"]
    assert (status(c, "w1"), status(c, "w2")) == (WarningStatus.SUPERSEDED, WarningStatus.OPEN)
    c.handle(
        AcceptWarning(warning=WarningId(warning_id("gd-met", "w2")), incident=IncidentId("i1")), at(3), CADRE
    )
    events = receive(c, warning("w3", replaces=(warning_id("gd-met", "w2"),)), when=4)
    assert events == ["warning_received", "warning_accepted"]
    assert c.board.warnings.records[warning_id("gd-met", "w3")].incident == "i1"


def test_a_cancel_withdraws_what_it_names_and_leaves_an_incident_running() -> None:
    c = community()
    receive(c, warning("w1"))
    receive(c, warning("w2"), when=2)
    c.handle(AcceptWarning(warning=warning_id("gd-met", "w2"), incident=IncidentId("i1")), at(3), CADRE)
    refs = (warning_id("gd-met", "w1"), warning_id("gd-met", "w2"), warning_id("gd-met", "unknown"))
    steps = c.handle(CancelWarning(cancel=warning_id("gd-met", "c1"), references=refs), at(4), "system:feed")
    assert [s.event.type for s in steps] == ["warning_withdrawn", "warning_withdrawn"]
    assert (status(c, "w1"), status(c, "w2")) == (WarningStatus.CANCELLED, WarningStatus.CANCELLED)
    assert c.board.incident is not None and c.board.incident.id == "i1"
    # Nothing open to withdraw: a second cancel changes nothing.
    assert (
        c.handle(CancelWarning(cancel=warning_id("gd-met", "c2"), references=refs), at(5), "system:feed")
        == []
    )


def test_accepting_starts_the_incident_on_the_warning_an_exercise_for_an_exercise_warning() -> None:
    c = community()
    receive(c, warning("w1", exercise=True, severity=Severity.SEVERE))
    steps = c.handle(
        AcceptWarning(warning=warning_id("gd-met", "w1"), incident=IncidentId("i1"), level=3), at(2), CADRE
    )
    assert [s.event.type for s in steps][:2] == ["warning_accepted", "incident_triggered"]
    incident = c.board.incident
    assert incident is not None
    # The cadre's level wins over the suggestion (2 for Severe); the kind is the suggestion.
    assert (incident.kind, incident.level, incident.exercise, incident.warning) == (
        "flood",
        3,
        True,
        "gd-met|w1",
    )


def test_accepting_with_an_incident_open_joins_it() -> None:
    c = community()
    c.handle(TriggerIncident(incident="i0", kind="fire", level=2), at(1), CADRE)
    receive(c, warning("w1"), when=2)
    steps = c.handle(
        AcceptWarning(warning=warning_id("gd-met", "w1"), incident=IncidentId("i9")), at(3), CADRE
    )
    assert [s.event.type for s in steps] == ["warning_accepted"]
    assert c.board.incident is not None and c.board.incident.id == "i0"
    assert c.board.warnings.records[warning_id("gd-met", "w1")].incident == "i0"


@pytest.mark.parametrize("decide", ["accept", "dismiss"])
def test_a_proposal_is_decided_once_and_an_unknown_one_not_at_all(decide: str) -> None:
    c = community()
    receive(c, warning("w1"))
    ident = warning_id("gd-met", "w1")
    command = (
        AcceptWarning(warning=ident, incident=IncidentId("i1"))
        if decide == "accept"
        else DismissWarning(warning=ident)
    )
    c.handle(command, at(2), CADRE)
    with pytest.raises(Rejected) as caught:
        c.handle(DismissWarning(warning=ident), at(3), CADRE)
    assert caught.value.kind == "conflict"
    with pytest.raises(Rejected) as caught:
        c.handle(DismissWarning(warning=warning_id("gd-met", "nope")), at(3), CADRE)
    assert caught.value.kind == "not_found"


def test_the_profile_maps_codes_first_then_the_longest_word_then_the_default() -> None:
    rules = WarningSettings(kinds={"11B03": "flood", "风": "typhoon", "大风": "heat"}, default_kind="other")
    assert rules.kind_of(warning("a", event="台风", event_code="11B03")) == "flood"
    assert rules.kind_of(warning("b", event="大风蓝色")) == "heat"
    assert rules.kind_of(warning("c", event="寒潮")) == "other"
    with pytest.raises(ValueError, match="missing"):
        WarningSettings(levels={Severity.EXTREME: 1})


ACTIONS = st.lists(
    st.tuples(st.sampled_from(["receive", "update", "cancel", "accept", "dismiss"]), st.integers(0, 3)),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(actions=ACTIONS)
def test_any_sequence_keeps_one_record_per_warning_and_replays(actions: list[tuple[str, int]]) -> None:
    """Whatever comes in whatever order: one record per warning, the incident only ever started by a cadre's
    accept, and a board rebuilt from the log, or from a snapshot, holds the same warnings."""
    c = community()
    for n, (action, i) in enumerate(actions, start=1):
        ident = warning_id("gd-met", f"w{i}")
        when = at(n)
        command: object
        match action:
            case "receive":
                command = ReceiveWarning(warning=warning(f"w{i}"))
            case "update":
                command = ReceiveWarning(warning=warning(f"u{n}", replaces=(ident,)))
            case "cancel":
                command = CancelWarning(cancel=warning_id("gd-met", f"c{n}"), references=(ident,))
            case "accept":
                command = AcceptWarning(warning=ident, incident=IncidentId(f"i{n}"))
            case _:
                command = DismissWarning(warning=ident)
        with contextlib.suppress(Rejected):
            c.handle(command, when, CADRE)  # type: ignore[arg-type]
    accepted = [e for e in c.log if e.type == "warning_accepted"]
    started = [e for e in c.log if e.type == "incident_triggered"]
    assert len(started) <= len(accepted)
    assert all(getattr(e, "warning", None) for e in started)
    again = Coordinator(maps)
    for event in c.log:
        again.board.evolve(event)
    assert again.board.warnings.records == c.board.warnings.records
    assert snapshots.loads(snapshots.dumps(c), maps).board.warnings == c.board.warnings
    assert len({r.warning.id for r in c.board.warnings.records.values()}) == len(c.board.warnings.records)
