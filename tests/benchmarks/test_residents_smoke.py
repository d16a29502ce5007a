"""The residents' benchmark (issue 17) at its ``--quick`` size on a real server (SQLite): every section is there, no
answer but 201 or 429, none lost, one live message per accepted appeal. Speed is never checked. The restart is
left to the full run (a second server start costs this test a third of its time; appeals across a restart are
checked by tests/api/test_appeals.py, test_restart_keeps_everything)."""

import json
import os
from pathlib import Path

from benchmarks.residents import PHASES, main
from benchmarks.scale import Process
from tests.launcher import launcher


def spawn(args: list[str], log: Path) -> Process:
    """Servers forked from the tests' launcher (its imports made once)."""
    return launcher.run(args, log, {**os.environ})


def test_the_residents_benchmark_accepts_or_limits_every_appeal_and_loses_none(tmp_path: Path) -> None:
    assert main(["--quick", "--no-restart", "--quiet", "--out", str(tmp_path)], spawn=spawn) == 0
    data = json.loads((tmp_path / "residents.json").read_text(encoding="utf-8"))
    assert data["quick"] and data["machine"]["cores"] and data["residents"] == 40
    [run] = data["runs"]
    assert run["database"] == "sqlite" and len(run["load_average_at_start"]) == 3
    for phase in PHASES:
        p = run[phase]
        assert p["sent"] == 40 and p["201"] + p["429"] == 40 and p["other"] == 0, p
        assert 0 < p["min_ms"] <= p["p50_ms"] <= p["p99_ms"] <= p["max_ms"]
        # SQLite's one worker holds its lease for good: never busy.
        assert p["requests_resent_after_busy"] == p["resent_after_busy"] == 0
    # Forty residents over four buildings: all taken. Forty at one building: its limit (30) takes 30, the
    # others are told to wait (Retry-After), none is "other".
    spread, one = run["spread"], run["one_building"]
    assert spread["201"] == 40 and (one["201"], one["429"]) == (30, 10) and one["retry_after_on_429"]
    assert run["staff"]["201"] == 40
    for p in (spread, one):
        # Exactly one live message per accepted appeal, the cadre's queue holding all of them.
        assert p["appeal_received_messages"] == p["201"] and p["queue_live_s"] > 0
    lost = run["none_lost"]
    assert lost["accepted"] == lost["in_queue"] == lost["receipts_answered"] == lost["queue_size"] == 70
    assert (
        lost["none_lost"] and lost["appeal_received_messages"] == 70 and lost["in_queue_without_receipt"] == 0
    )
    assert "after_restart" not in run
    assert set(run["ratios_residents_over_staff"]) == {"p50_ms", "p99_ms"} and run["partition_lost"] == 0
    weight = run["page_weight"]
    if weight is not None:  # the residents' page, once it is there
        paths = {f["path"] for f in weight["files"]}
        assert {"/resident.js", "/resident.css"} <= paths
        assert 0 < weight["gzip_bytes"] < weight["bytes"]

    table = (tmp_path / "residents.md").read_text(encoding="utf-8")
    assert all(f"| sqlite | {run['load_average_at_start'][0]} | {phase} |" in table for phase in PHASES)
    assert "| sqlite | " in table.split("after restart")[1]
