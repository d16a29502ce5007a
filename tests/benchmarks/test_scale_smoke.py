"""The scale-out benchmark (issue 16) at its ``--quick`` size, on real servers, PostgreSQL and Redis: every section
is there with numbers that make sense. Speed is never checked."""

import json
import os
from pathlib import Path

from benchmarks.scale import CONFIGS, SECTIONS, TIMED, Process, main
from tests.launcher import launcher

# Databases of the smoke test's own: a benchmark run meanwhile keeps its own.
DATABASES = "scale_bench_smoke,scale_bench_smoke_old"


def spawn(args: list[str], log: Path) -> Process:
    """This worktree's servers forked from the tests' launcher (its imports made once): ~2 s less a start."""
    return launcher.run(args, log, {**os.environ})


def test_the_scale_benchmark_reports_every_section(tmp_path: Path) -> None:
    argv = ["--quick", "--quiet", "--databases", DATABASES, "--out", str(tmp_path)]
    assert main(argv, spawn=spawn) == 0
    data = json.loads((tmp_path / "scale.json").read_text(encoding="utf-8"))
    assert set(SECTIONS) <= set(data) and data["machine"]["cores"] and data["quick"]

    throughput = data["throughput"]
    clients = [str(n) for n in throughput["clients"]]
    for config in CONFIGS:
        [run] = throughput["runs"][config.name]
        # Today's code and SQLite are measured at the most clients only.
        measured = clients if config.name.startswith("new_pg") else clients[-1:]
        assert set(run) - {"leases_by_worker"} == set(measured)
        for n in measured:
            point = run[n]
            assert point["commands"] > 0 and point["per_s"] > 0
            assert 0 < point["p50_ms"] <= point["p99_ms"]
            assert point["server_cpu_ms_per_command"] > 0 and point["client_cpu_ms_per_command"] > 0
            # Every command answered 201 (a 503 while no worker owned its street was sent again).
            assert set(point["statuses"]) <= {"201", "503"} and point["statuses"]["201"] == point["commands"]
    # Two workers hold the ten streets between them, evenly.
    assert sorted(throughput["runs"]["new_pg_2w"][0]["leases_by_worker"].values()) == [5, 5]
    ratios = throughput["ratios"]
    assert set(ratios["two_workers_over_one"]) == set(clients)
    assert ratios["group_commit_pg"] > 0 and ratios["group_commit_sqlite"] > 0

    replan = data["replan"]
    [run] = replan["runs"]
    assert run["idle"]["commands"] > 0 and run["replanning"]["commands"] > 0
    # The big partition did re-plan while the idle one was probed.
    assert run["big_needs_reported"] > 0 and run["replans_adopted"] > 0
    assert all(s > 0 for s in replan["replan_latency_s"])
    assert replan["summary"]["p99_ratio"]["median"] > 0

    takeover = data["takeover"]
    assert takeover["snapshot_every"] == 1000 and takeover["lease_s"] == 5
    lengths = takeover["lengths"]
    # The partition as made, then the longer logs asked for, each holding at least that many events.
    assert [row["events"] for row in lengths] == sorted(row["events"] for row in lengths)
    for row in lengths:
        assert set(TIMED) <= set(row["summary"])
        assert (
            0
            < row["summary"]["in_process_load_s"]["median"]
            <= row["summary"]["in_process_first_command_s"]["median"]
        )
        # A takeover waits for the dead owner's lease to run out (renewed up to a second before the kill).
        assert all(s > takeover["lease_s"] - 1.5 for s in row["takeover_s"])
        # ...and never before it ran out (by the database's clock, read just before the kill).
        assert all(s > -0.5 for s in row["takeover_after_expiry_s"])

    table = (tmp_path / "scale.md").read_text(encoding="utf-8")
    assert all(f"| {config.name} |" in table for config in CONFIGS)
    assert "Group commit" in table and "takeover − TTL" in table
