"""The drill-at-scale benchmark's scenario: the loader takes it, and the same arguments give the same file."""

from pathlib import Path

from api.drill.loader import load_scenario
from benchmarks.drill_scale import scenario_yaml
from engine.drill.scenario import NeedCancelled, NeedReported


def test_the_generated_scenario_loads_with_what_it_says(tmp_path: Path) -> None:
    text = scenario_yaml(needs=60, rows=12, units=40, seed=3)
    assert text == scenario_yaml(needs=60, rows=12, units=40, seed=3)
    path = tmp_path / "scale.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path).scenario
    needs = [e for e in scenario.timeline if isinstance(e, NeedReported)]
    assert len(needs) == 60 and len(scenario.resources) == 40
    assert {e.need.priority for e in needs} >= {2, 3, 4, 5} and any(e.need.team for e in needs)
    assert any(isinstance(e, NeedCancelled) for e in scenario.timeline)
    assert scenario.end == 6 * 3600
