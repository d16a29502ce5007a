"""The events file reads back, line by line, to the coordinator's events with their whole plans."""

import gzip
import json
from pathlib import Path
from typing import Any

from api.drill.events_file import events_bytes, read_events, read_lines
from engine.coordinator import Step
from engine.coordinator.events import PlanProposed
from engine.coordinator.street import Street
from engine.drill import DrillRun
from engine.drill.scenario import Profiles
from engine.matching import OptimalMatcher
from tests.drill.test_street import PROFILE, maps, small_street


def test_compact_and_compressed_files_read_back_to_every_event(tmp_path: Path) -> None:
    # A street: each community's plans are written as changes from its own previous plan.
    scenario = small_street({"lend": "incident", "own_first": False}, far_need=True)
    seen: list[tuple[str, dict[str, Any]]] = []

    def watch(key: str, steps: list[Step], street: Street) -> None:
        for step in steps:
            exclude = {"plan": {"solver"}} if isinstance(step.event, PlanProposed) else None
            seen.append((key, step.event.model_dump(mode="json", exclude=exclude)))

    profiles = Profiles.of(scenario, PROFILE).effective(scenario)
    record = DrillRun(
        scenario, profiles, maps, seed=0, solver=OptimalMatcher(), keep_log=True, watch=watch
    ).run()
    plain, packed = tmp_path / "events.jsonl", tmp_path / "events.jsonl.gz"
    plain.write_bytes(events_bytes(record.log, compress=False))
    packed.write_bytes(events_bytes(record.log, compress=True))
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()

    for path in (plain, packed):
        events = list(read_events(path))
        assert [(m["community"], m["event"]) for m in events] == seen
        assert [m["seq"] for m in events] == list(range(1, len(seen) + 1))
        assert all(m["exercise"] is True and m["type"] == m["event"]["type"] for m in events)

    # Each line is one compact JSON object; re-plans copy what did not change from the community's last plan.
    texts = plain.read_text(encoding="utf-8").splitlines()
    assert len(texts) == len(seen)
    for text in texts:
        assert json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")) == text
    written = [json.loads(text) for text in read_lines(plain)]
    plans = [m["event"] for m in written if m["type"] == "plan_proposed"]
    assert len({m["community"] for m in written if m["type"] == "plan_proposed"}) >= 2
    assert plans and all(
        "plan" not in p and set(p["plan_diff"]) == {"objective", "assignments", "unmet"} for p in plans
    )
    assert any(isinstance(run, list) for p in plans for run in p["plan_diff"]["assignments"])
    # Smaller than the same events written whole, as the drill wrote them before.
    whole = sum(len(json.dumps(m, ensure_ascii=False).encode()) + 1 for m in read_events(plain))
    assert plain.stat().st_size < whole
