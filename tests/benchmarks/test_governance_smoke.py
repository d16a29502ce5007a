"""The governance benchmark at a tiny size: its results have the promised shape and add up. Speed is never
checked."""

import json
from pathlib import Path

from benchmarks.governance import main


def test_the_governance_benchmark_reports_every_figure(tmp_path: Path, capsys: object) -> None:
    out = tmp_path / "governance.json"
    assert main(["--households", "60", "150", "--tasks", "4", "--repeats", "2", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    # A third of the households are vulnerable (every third one), and each gets a check.
    assert [r["checks_issued"] for r in data["households"]] == [20, 50]
    assert data["baseline"]["checks_issued"] == 0 and data["baseline"]["check_report"] is None
    for row in data["households"]:
        for figure in (row["incident_start"], row["check_report"], row["replay"]):
            assert 0 < figure["p50_ms"] <= figure["p99_ms"]
        assert row["incident_start"]["vs_baseline_p50"] > 0
    assert [r["households"] for r in data["service"]] == [0, 60, 150]
    assert all(r["incident_start_committed"]["n"] == 2 for r in data["service"])
    [board] = data["score_board"]
    assert (board["tasks"], board["parts"], board["score_board"]["n"]) == (4, 12, 2)
