"""A scenario with an error gets one message naming the file, the line and what is wrong; nothing runs."""

from pathlib import Path

import pytest

from api.drill.loader import ScenarioError, load_scenario
from engine.model.ids import NeedId
from engine.model.quantity import MAX_QUANTITY
from tests.launcher import launcher

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
name: tiny
title_zh: 小演练
title_en: Tiny drill
community:
  id: c1
  street: s1
  profile: grid_captains
  disable_rules: [rotate_captains]
map:
  grid: {rows: 3, cols: 3, edge_s: 60}
settings:
  duration: "1:00:00"
organisations:
  - {id: o1, kind: volunteer_team}
resources:
  - {id: r1, organisation: o1, capability: supply.water, quantity: 5, location: g0_0}
timeline:
  - {at: 0, event: incident, kind: flood, level: 2}
  - {at: "0:05:00", event: need, need: {id: n1, capability: supply.water, location: g2_2, priority: 3}}
  - {at: "0:10:00", event: offline, resource: r1}
  - {at: "0:20:00", event: close_road, from: g0_0, to: g0_1}
  - {at: "0:30:00", event: close_incident}
expectations:
  - {expect: max_unmet, count: 1}
"""
LIMIT = f"less than or equal to {MAX_QUANTITY}"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, old: str, new: str) -> str:
    assert old in GOOD, old
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, GOOD.replace(old, new)))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_good_scenario_loads(tmp_path: Path) -> None:
    loaded = load_scenario(write(tmp_path, GOOD))
    assert loaded.scenario.name == "tiny" and loaded.profile.name == "grid_captains"


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        # unknown resource in an event
        (
            "event: offline, resource: r1",
            "event: offline, resource: boat_9",
            20,
            ["unknown resource 'boat_9'"],
        ),
        # event before the incident starts
        (
            "  - {at: 0, event: incident",
            '  - {at: "0:06:00", event: incident',
            19,
            ["before the incident starts"],
        ),
        # location off the map
        ("location: g2_2, priority: 3", "location: g7_7, priority: 3", 19, ["'g7_7' is off the map"]),
        ("location: g0_0}", "location: nowhere}", 16, ["'nowhere' is off the map"]),
        # unknown profile rule
        ("disable_rules: [rotate_captains]", "disable_rules: [no_such_rule]", 8, ["no rule 'no_such_rule'"]),
        # unknown profile
        ("profile: grid_captains", "profile: big_city", 7, ["no such profile", "grid_captains"]),
        # a road that is not on the map
        ("from: g0_0, to: g0_1", "from: g0_0, to: g2_2", 21, ["no road g0_0–g2_2"]),
        # schema violations
        ("priority: 3}", "priority: 9}", 19, ["priority", "less than or equal to 5"]),
        ("event: close_incident", "event: explode", 22, ["event", "explode"]),
        ("kind: volunteer_team", "kind: club", 14, ["kind", "club"]),
        ('duration: "1:00:00"', 'duration: "one hour"', 12, ["'H:MM:SS'"]),
        ("  - {expect: max_unmet, count: 1}", "  - {expect: max_unmet}", 24, ["count", "Field required"]),
        ("title_en: Tiny drill\n", "title_en: Tiny drill\ncolour: red\n", 4, ["colour", "Extra inputs"]),
        # quantities past the one maximum (engine/model/quantity.py): 10**20 once reached the solver
        ("quantity: 5,", "quantity: 100000000000000000000,", 16, ["resources[0].quantity", LIMIT]),
        ("quantity: 5,", f"quantity: {MAX_QUANTITY + 1},", 16, ["resources[0].quantity", LIMIT]),
        (
            "priority: 3}}",
            f"priority: 3, quantity: {MAX_QUANTITY + 1}}}}}",
            19,
            ["timeline[1].need.quantity", LIMIT],
        ),
        (
            "priority: 3}}",
            f"priority: 3, team: [{{capability: rescue.crew, per_unit: {MAX_QUANTITY + 1}}}]}}}}",
            19,
            ["timeline[1].need.team[0].per_unit", LIMIT],
        ),
        (
            "event: offline, resource: r1}",
            f"event: quantity, resource: r1, quantity: {10**20}}}",
            20,
            ["timeline[2].quantity", LIMIT],
        ),
        # events out of order
        (
            '  - {at: "0:30:00", event: close_incident}',
            '  - {at: "0:15:00", event: close_incident}',
            22,
            ["comes before"],
        ),
    ],
)
def test_an_error_names_file_line_and_what_is_wrong(
    tmp_path: Path, old: str, new: str, line: int, words: list[str]
) -> None:
    message = error(tmp_path, old, new)
    assert message.startswith(f"{tmp_path / 'scenario.yaml'}:{line}:"), message
    for word in words:
        assert word in message, message


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    message = error(tmp_path, "  id: c1\n", "  id: [c1\n")
    assert ":6:" in message or ":7:" in message
    assert "not valid YAML" in message


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    message = error(tmp_path, "  id: c1\n", "  id: c1\n  id: c2\n")
    assert ":6:" in message and "written twice" in message


def test_a_missing_map_file_is_named(tmp_path: Path) -> None:
    message = error(tmp_path, "  grid: {rows: 3, cols: 3, edge_s: 60}", "  osm: {path: maps/none.osm.pbf}")
    assert message.startswith(f"{tmp_path / 'scenario.yaml'}:10:") and "cannot read" in message


def test_quantities_at_the_maximum_load(tmp_path: Path) -> None:
    text = GOOD.replace("quantity: 5,", f"quantity: {MAX_QUANTITY},").replace(
        "priority: 3}}", f"priority: 3, quantity: {MAX_QUANTITY}}}}}"
    )
    loaded = load_scenario(write(tmp_path, text))
    assert loaded.scenario.resources[0].quantity == MAX_QUANTITY
    assert loaded.scenario.needs()[NeedId("n1")].quantity == MAX_QUANTITY


def test_the_drill_command_refuses_a_quantity_past_the_maximum_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("quantity: 5,", f"quantity: {MAX_QUANTITY + 1},"))
    out = tmp_path / "report"
    result = launcher.call(["drill", str(path), "--out", str(out)], timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"pingzhan: {path}:16: resources[0].quantity: ") and LIMIT in line, line
    assert not out.exists()
