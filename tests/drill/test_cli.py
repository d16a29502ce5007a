"""``pingzhan drill`` as a user runs it: a real process, real files, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.drill.events_file import read_events
from tests.drill.test_bad_input import GOOD
from tests.launcher import launcher

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return launcher.call(["drill", *args], timeout=300)


def run_apart(*args: str) -> subprocess.CompletedProcess[str]:
    """In an interpreter of its own: its own hash seed, whatever set and dict orders follow from it."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "drill", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_a_shipped_scenario_writes_the_report_marked_as_an_exercise(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(str(ROOT / "scenarios" / "highrise_fire.yaml"), "--seed", "0", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert "演练 EXERCISE" in result.stdout and "事后最优 hindsight" in result.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["exercise"] is True and report["passed"] is True
    assert report["engine"]["exercise"] is True and report["baseline"]["exercise"] is True
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "演练 EXERCISE" in html and 'name="pingzhan-exercise" content="true"' in html
    # Six figures, each drawn or left out with a line saying why; nothing fetched from elsewhere.
    assert html.count("data:image/png;base64,") + html.count("class='left-out'") == 6
    assert "http" not in html.replace("https://", "")
    messages = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert messages and all(m["exercise"] is True for m in messages)
    plans = [m["event"] for m in messages if m["type"] == "plan_proposed"]
    assert plans and all(p["exercise"] is True for p in plans)
    [trigger] = [m["event"] for m in messages if m["type"] == "incident_triggered"]
    assert trigger["exercise"] is True


def strict(tmp_path: Path) -> Path:
    """The tiny scenario with an expectation no seed can meet."""
    path = tmp_path / "strict.yaml"
    path.write_text(
        GOOD.replace(
            "  - {expect: max_unmet, count: 1}",
            "  - {expect: reach_within, name: 一分钟到达, priority: 1, within: 60}",
        ),
        encoding="utf-8",
    )
    return path


def test_same_seed_same_report_json_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD, encoding="utf-8")
    texts = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        assert run_apart(str(path), "--seed", "7", "--out", str(out)).returncode == 0
        texts.append((out / "report.json").read_bytes())
    assert texts[0] == texts[1]


def test_a_failed_expectation_exits_1_and_is_named(tmp_path: Path) -> None:
    path = strict(tmp_path)
    out = tmp_path / "out"
    result = run(str(path), "--out", str(out))
    assert result.returncode == 1
    assert "expectation failed" in result.stderr and "一分钟到达" in result.stderr
    assert (out / "report.json").exists()


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("resource: r1}", "resource: r404}"), encoding="utf-8")
    out = tmp_path / "out"
    result = run(str(path), "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}:20:" in lines[0] and "unknown resource 'r404'" in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_progress_bar_on_request(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = run(str(path), "--out", str(tmp_path / "out"), "--progress")
    assert result.returncode == 0 and "100%" in result.stderr


def test_schema_flag_prints_the_schema() -> None:
    result = run("--schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "Scenario"


def test_seeds_write_the_aggregate_and_each_seeds_report(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    result = run(str(path), "--seeds", "0-2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "n=3" in result.stdout and "3/3 种子达成" in result.stdout
    aggregate = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert aggregate["seeds"] == [0, 1, 2] and aggregate["n"] == 3 and aggregate["passed"] is True
    assert aggregate["exercise"] is True
    for seed in (0, 1, 2):
        report = json.loads((out / f"seed-{seed}" / "report.json").read_text(encoding="utf-8"))
        assert report["scenario"]["seed"] == seed
        assert (out / f"seed-{seed}" / "report.html").exists() and (
            out / f"seed-{seed}" / "events.jsonl"
        ).exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "演练 EXERCISE" in html and "seed-2/report.html" in html
    # --seeds 3 is one seed, reported the same way.
    # --compress writes each seed's events gzipped, read back line by line with every plan whole.
    single = tmp_path / "single"
    assert run(str(path), "--seeds", "3", "--out", str(single), "--compress").returncode == 0
    assert json.loads((single / "report.json").read_text(encoding="utf-8"))["seeds"] == [3]
    assert (single / "seed-3" / "report.json").exists() and not (single / "seed-3" / "events.jsonl").exists()
    events = list(read_events(single / "seed-3" / "events.jsonl.gz"))
    plans = [m["event"]["plan"] for m in events if m["type"] == "plan_proposed"]
    assert events[0]["seq"] == 1 and plans and all("assignments" in p for p in plans)


def test_an_expectation_failing_on_any_seed_exits_1_naming_the_seeds(tmp_path: Path) -> None:
    path = strict(tmp_path)
    out = tmp_path / "out"
    result = run(str(path), "--seeds", "0,2", "--out", str(out))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "expectation failed" in line and "on seeds 0, 2" in line and "一分钟到达" in line
    assert "fails on seeds 0, 2" in result.stdout
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["failed_seeds"] == [0, 2]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--seeds", "5-2"], "runs backwards"),
        (["--seeds", "x"], "'x' is not a seed"),
        (["--seeds", ""], "no seeds given"),
        (["--seeds", "0-2", "--seed", "1"], "not both"),
    ],
)
def test_a_bad_seed_list_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], says: str
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    result = run(str(path), *args, "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "--seed" in lines[0], lines
    assert result.stdout == "" and not out.exists()
