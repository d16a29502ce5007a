"""A drill may start with an official warning (a CAP 1.2 alert beside the scenario): its proposal comes in, the
cadres accept it (``accept_after_s``) and the incident starts with the warning named, an exercise; a warning
left to the cadres waits while an ``incident`` event starts the incident; a bad alert stops the drill before it
runs, naming the scenario's line and what is wrong with the alert."""

import json
from pathlib import Path

import pytest

from api.drill.loader import ScenarioError, load_scenario
from engine.drill import run_drill
from tests.drill.test_bad_input import GOOD, write

ROOT = Path(__file__).resolve().parents[2]
ALERT = (ROOT / "scenarios" / "warnings" / "qingshui_rainstorm_red.xml").read_text(encoding="utf-8")
START = 'settings:\n  duration: "1:00:00"'
# The tiny drill starts on the day of the shipped alert, ten minutes after it was sent.
AT_ALERT = 'settings:\n  start: "2026-07-21T08:00:00+08:00"\n  duration: "1:00:00"'
INCIDENT = "  - {at: 0, event: incident, kind: flood, level: 2}"


def scenario(tmp_path: Path, first: str, alert: str = ALERT) -> Path:
    (tmp_path / "red.xml").write_text(alert, encoding="utf-8")
    return write(tmp_path, GOOD.replace(START, AT_ALERT).replace(INCIDENT, first))


def logged(tmp_path: Path, path: Path) -> list[dict[str, object]]:
    loaded = load_scenario(path)
    result = run_drill(loaded.scenario, loaded.profile, loaded.maps, seed=0, keep_log=True)
    assert result.engine.exercise
    # Each line: the type, and the coordinator's event as the service publishes it.
    return [json.loads(line)["event"] for line in result.engine.log]


def test_an_accepted_warning_starts_the_incident_with_the_warning_named(tmp_path: Path) -> None:
    events = logged(
        tmp_path, scenario(tmp_path, "  - {at: 0, event: warning, cap: red.xml, accept_after_s: 120}")
    )
    kinds = [e["type"] for e in events]
    received = kinds.index("warning_received")
    started = kinds.index("incident_triggered")
    assert received < kinds.index("warning_accepted") < started
    incident = events[started]
    assert incident["warning"] == "44010641600000|44010641600000_20260721075000_11B03_RED"
    # The profile's suggestion (red rainstorm: flood, level 1), as an exercise, two minutes in.
    assert (incident["kind"], incident["level"], incident["exercise"]) == ("flood", 1, True)
    assert incident["at"] == "2026-07-21T08:02:00+08:00"


def test_a_warning_left_open_waits_while_the_cadres_start_the_incident_themselves(tmp_path: Path) -> None:
    first = f"  - {{at: 0, event: warning, cap: red.xml}}\n{INCIDENT}"
    events = logged(tmp_path, scenario(tmp_path, first))
    kinds = [e["type"] for e in events]
    assert "warning_received" in kinds and "warning_accepted" not in kinds
    incident = events[kinds.index("incident_triggered")]
    assert (incident["kind"], incident["level"], incident.get("warning")) == ("flood", 2, None)


@pytest.mark.parametrize(
    ("first", "alert", "words"),
    [
        ("  - {at: 0, event: warning, cap: red.xml}", ALERT, "no event starts the incident"),
        (
            "  - {at: 0, event: warning, cap: missing.xml, accept_after_s: 0}",
            ALERT,
            "cannot read 'missing.xml'",
        ),
        (
            "  - {at: 0, event: warning, cap: red.xml, accept_after_s: 0}",
            ALERT.replace("Extreme", "Dire"),
            "severity",
        ),
        (
            "  - {at: 0, event: warning, cap: red.xml, accept_after_s: 0}",
            ALERT.replace("2026-07-21T20:00:00", "2026-07-21T07:55:00"),
            "expired",
        ),
        (
            "  - {at: 0, event: warning, cap: red.xml, accept_after_s: 600}",
            ALERT,
            "event before the incident starts",
        ),
    ],
    ids=["never-accepted", "missing-file", "schema", "expired", "needs-before-acceptance"],
)
def test_a_bad_warning_stops_the_drill_naming_the_line(
    tmp_path: Path, first: str, alert: str, words: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario(tmp_path, first, alert))
    message = str(caught.value)
    assert "scenario.yaml:" in message and words in message, message
