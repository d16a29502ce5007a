"""A drill over seeds: the seed list a person writes, and the mean, spread and per-seed expectation failures
worked out from real runs of a shipped scenario."""

import copy
import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from api.drill.loader import load_scenario
from api.drill.report_html import seeds_html
from api.drill.summary import seeds_summary
from benchmarks import drill_seeds
from engine.drill import run_drill
from engine.drill.seeds import MAX_SEEDS, aggregate, parse_seeds

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "highrise_fire.yaml"
SEEDS = (0, 1, 2)


@pytest.mark.parametrize(
    ("spec", "seeds"),
    [
        ("3", [3]),
        ("0-9", list(range(10))),
        ("0,2,5", [0, 2, 5]),
        ("0-4,7", [0, 1, 2, 3, 4, 7]),
        (" 5 - 6 , 1 ", [1, 5, 6]),
        ("2,2,1-2", [1, 2]),
    ],
)
def test_seed_lists(spec: str, seeds: list[int]) -> None:
    assert parse_seeds(spec) == seeds


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("", "no seeds given"),
        ("a", "'a' is not a seed"),
        ("-1", "'-1' is not a seed"),
        ("1-", "'1-' is not a seed"),
        ("1,,2", "'' is not a seed"),
        ("1.5", "'1.5' is not a seed"),
        ("٣", "'٣' is not a seed"),
        ("5-2", "'5-2' runs backwards; write 2-5"),
        (f"0-{MAX_SEEDS}", f"more than {MAX_SEEDS} seeds"),
    ],
)
def test_bad_seed_lists_say_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_seeds(spec)
    assert says in str(caught.value) and "\n" not in str(caught.value)


@pytest.fixture(scope="module")
def reports() -> list[dict[str, Any]]:
    loaded = load_scenario(SCENARIO)
    return [run_drill(loaded.scenario, loaded.profile, loaded.maps, seed=s).report for s in SEEDS]


def test_mean_min_max_over_real_runs(reports: list[dict[str, Any]]) -> None:
    agg = aggregate(list(reversed(reports)))  # any order in, seed order out
    assert agg["seeds"] == list(SEEDS) and agg["n"] == 3
    json.dumps(agg)
    for run in ("engine", "baseline"):
        late = [r[run]["late"] for r in reports]
        stats = agg["metrics"]["late"][run]
        assert stats["values"] == late and stats["n"] == 3
        assert stats["mean"] == round(statistics.fmean(late), 2)
        assert (stats["min"], stats["max"]) == (min(late), max(late))
        churn = [r[run]["replans"]["churn"] for r in reports]
        assert agg["metrics"]["churn"][run]["values"] == churn
        in_time = [r[run]["life_safety"]["in_time"] for r in reports]
        assert agg["metrics"]["life_safety_in_time"][run]["mean"] == round(statistics.fmean(in_time), 2)
        for p, figures in reports[0][run]["by_priority"].items():
            p90 = [r[run]["by_priority"][p]["p90_response_s"] for r in reports]
            stats = agg["metrics"]["p90_by_priority"][p][run]
            assert (stats["min"], stats["max"], stats["values"]) == (min(p90), max(p90), p90)
            assert figures["p90_response_s"] is not None  # censored: every counted need has a time


def test_expectations_are_judged_on_every_seed(reports: list[dict[str, Any]]) -> None:
    agg = aggregate(reports)
    for i, e in enumerate(agg["expectations"]):
        failed = [r["scenario"]["seed"] for r in reports if not r["expectations"][i]["engine"]["holds"]]
        assert e["failed_seeds"] == failed and e["held"] == 3 - len(failed)
    # One expectation failing on seed 1 only fails the whole drill, and names seed 1.
    forced = copy.deepcopy(reports)
    for r in forced:
        for e in r["expectations"]:
            e["engine"]["holds"] = True
    forced[1]["expectations"][0]["engine"]["holds"] = False
    forced[1]["expectations"][0]["engine"]["detail"] = "2/9 reached within 0:15:00"
    agg = aggregate(forced)
    assert agg["passed"] is False and agg["failed_seeds"] == [1]
    assert agg["expectations"][0]["failed_seeds"] == [1]
    assert agg["expectations"][0]["failures"] == [{"seed": 1, "detail": "2/9 reached within 0:15:00"}]
    assert all(not e["failed_seeds"] for e in agg["expectations"][1:])
    text = seeds_summary(agg)
    assert "fails on seeds 1 " in text and "2/3 种子达成" in text and "n=3" in text
    html = seeds_html(agg)
    assert "种子 seed 1: 2/9 reached within 0:15:00" in html and "seed-2/report.html" in html
    for r in forced:
        for e in r["expectations"]:
            e["engine"]["holds"] = True
    assert aggregate(forced)["passed"] is True


def test_summary_gives_mean_and_spread_engine_beside_baseline(reports: list[dict[str, Any]]) -> None:
    agg = aggregate(reports)
    late = agg["metrics"]["late"]
    [row] = [line for line in seeds_summary(agg).splitlines() if "late arrivals" in line]
    for run in ("engine", "baseline"):
        stats = late[run]
        text = f"{stats['mean']:g}" if stats["min"] == stats["max"] else f"({stats['min']}–{stats['max']})"
        assert text in row, row


def test_reports_that_do_not_belong_together_are_refused(reports: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="twice"):
        aggregate([reports[0], reports[0]])
    other = copy.deepcopy(reports[1])
    other["scenario"]["name"] = "elsewhere"
    with pytest.raises(ValueError, match="different scenarios"):
        aggregate([reports[0], other])
    with pytest.raises(ValueError, match="no reports"):
        aggregate([])


def test_benchmark_writes_the_table_and_the_data(tmp_path: Path) -> None:
    code = drill_seeds.main([str(SCENARIO), "--seeds", "0-1", "--jobs", "1", "--out", str(tmp_path)])
    assert code == 0
    data = json.loads((tmp_path / "drill_seeds.json").read_text(encoding="utf-8"))
    assert data["seeds"] == [0, 1] and list(data["scenarios"]) == ["highrise_fire"]
    agg = data["scenarios"]["highrise_fire"]
    table = (tmp_path / "drill_seeds.md").read_text(encoding="utf-8")
    [row] = [line for line in table.splitlines() if line.startswith("| highrise_fire |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "2" and len(cells) == 14
    needs = agg["metrics"]["life_safety_needs"]["engine"]["max"]
    assert cells[6].endswith(f"/ {needs}")
    holding = sum(1 for s in (0, 1) if all(s not in e["failed_seeds"] for e in agg["expectations"]))
    assert cells[12] == f"{holding}/2"


def test_benchmark_refuses_a_bad_seed_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert drill_seeds.main(["--seeds", "9-1", "--out", str(tmp_path)]) == 2
    assert "runs backwards" in capsys.readouterr().err
    assert not (tmp_path / "drill_seeds.json").exists()
