"""The street latency benchmark (issue 14) at a tiny size: its results have the promised shape. Speed is
never checked."""

import json
from pathlib import Path

from benchmarks.street_latency import SHARING, STREET_PARTS, main


def test_the_street_benchmark_reports_every_setting_beside_the_single_community(
    tmp_path: Path, capsys: object
) -> None:
    args = ["--seeds", "1-2", "--repeats", "3", "--warmup", "1", "--breakdown", "2", "--profile-replans", "1"]
    size = ["--rows", "24", "--cols", "30", "--communities", "3", "--units", "12", "--pool-units", "6"]
    assert main([*args, *size, "--needs", "20", "--out", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "street_latency.json").read_text(encoding="utf-8"))
    assert data["settings"]["seeds"] == [1, 2] and data["machine"]["cores"]
    summary = data["summary"]
    assert set(summary) == {"single", *SHARING}
    for name in SHARING:
        row = summary[name]
        # Every seed's measured needs, pooled: 3 per seed.
        assert row["samples"] == summary["single"]["samples"] == 6
        assert 0 < row["p50_ms"] <= row["p99_ms"]
        assert set(row["ratio"]) == {"p50", "p99"} and isinstance(row["within_budget"], bool)
    for run in data["runs"]:
        # Nothing but the new needs made a plan due: every re-plan measured is the one a need caused.
        assert set(run["extra_replans"].values()) == {0}
        assert set(run["first_plan_ms"]) == {"single", *SHARING}
        assert run["open_needs_at_start"] == 20
        for name in SHARING:
            street = run["streets"][name]
            assert len(street["samples_ms"]) == 3
            assert set(STREET_PARTS) <= set(street["breakdown_p50_ms"])
            assert street["profile"]["replans"] == 1 and street["profile"]["by_cumulative"]
        assert {"problem_build", "solve", "adopt"} <= set(run["single"]["breakdown_p50_ms"])
    # Only lenders under own_first solve islands.
    last = data["runs"][-1]["streets"]
    assert last["lend_freely"]["breakdown_p50_ms"]["island_solve_count"] == 0
    assert last["pool_only"]["breakdown_p50_ms"]["island_solve_count"] == 0
    table = (tmp_path / "street_latency.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in table for name in SHARING)
