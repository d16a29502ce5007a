"""Every shipped scenario runs through the real coordinator and its expectations hold; the schema is current."""

import json
from pathlib import Path

import pytest

from api.drill.loader import load_scenario, schema_text
from engine.drill import run_drill

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_six_or_more_scenarios_are_shipped() -> None:
    assert len(SCENARIOS) >= 6


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_runs_and_meets_its_expectations(path: Path) -> None:
    loaded = load_scenario(path)
    assert len(loaded.scenario.timeline) >= 50
    result = run_drill(loaded.scenario, loaded.profile, loaded.maps, seed=0)
    report = result.report
    assert result.failed == [], [e for e in report["expectations"] if not e["engine"]["holds"]]
    assert report["exercise"] is True and report["engine"]["exercise"] and result.engine.exercise
    for run in ("engine", "baseline"):
        needs = report[run]["needs"]
        assert needs["served"] + needs["unmet"] + needs["cancelled"] == needs["reported"]
    # Both runs met the same scenario: the same needs were reported.
    assert report["engine"]["needs"]["reported"] == report["baseline"]["needs"]["reported"]
    assert report["baseline"]["solver"] == "closest_available"
    json.dumps(report)


def test_committed_schema_is_the_generated_one() -> None:
    committed = (ROOT / "scenarios" / "scenario.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "regenerate: pingzhan drill --schema > scenarios/scenario.schema.json"
