"""Drills of a street: the two shipped street scenarios hold their expectations on seeds 1–2 (and 0, in
test_scenarios.py) with the street
ahead of each community alone; the report, the terminal summary, the page and the seeds table show the
street beside alone, what crossed between communities and what the escalations brought; the street desk
approves, assigns and answers; single-community files keep their own path."""

import json
from pathlib import Path
from typing import Any

import pytest

from api.drill.loader import load_scenario
from api.drill.report_html import report_html, seeds_html
from api.drill.summary import seeds_summary, summary
from benchmarks.drill_seeds import table
from engine.coordinator import Step
from engine.coordinator.street import Street
from engine.drill import Scenario, check, run_drill
from engine.drill.eventlog import events
from engine.drill.runner import DrillRun
from engine.drill.scenario import Profiles
from engine.drill.seeds import aggregate
from engine.matching import ClosestAvailable, OptimalMatcher
from engine.matching.document import Travel
from engine.rules import load_profile
from engine.travel import RoadGraph
from tests.launcher import launcher

ROOT = Path(__file__).resolve().parents[2]
STREETS = {
    "hexi_street_flood": ROOT / "scenarios" / "hexi_street_flood.yaml",
    "donghu_typhoon_lend": ROOT / "scenarios" / "donghu_typhoon_lend.yaml",
}
# Seed 0 of every shipped scenario runs in test_scenarios.py; with these, seeds 0-2 hold.
SEEDS = (1, 2)


@pytest.fixture(scope="module", params=sorted(STREETS))
def street_reports(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    loaded = load_scenario(STREETS[request.param])
    return [run_drill(loaded.scenario, loaded.profiles, loaded.maps, seed=s).report for s in SEEDS]


def test_a_street_holds_its_expectations_and_is_ahead_of_each_community_alone(
    street_reports: list[dict[str, Any]],
) -> None:
    for report in street_reports:
        failed = [e["name"] for e in report["expectations"] if not e["engine"]["holds"]]
        assert failed == [], (report["scenario"]["seed"], failed)
        assert any("street_ahead" in e["name"] or "按时" in e["name"] for e in report["expectations"])
        ahead = report["comparison"]["street_vs_alone"]["life_safety_in_time"]
        for run in ("engine", "baseline"):
            assert ahead[run]["street"] > ahead[run]["alone"], (run, ahead)
        # Everything is a drill, and every need ends once in each of the four runs.
        assert report["exercise"] is True
        for run in (report["engine"], report["baseline"], *report["alone"].values()):
            assert run["exercise"] is True
            needs = run["needs"]
            assert needs["served"] + needs["unmet"] + needs["cancelled"] == needs["reported"]
    agg = aggregate(street_reports)
    assert agg["passed"] and agg["metrics"]["alone"]["life_safety_in_time"]["engine"]["n"] == len(SEEDS)


def test_what_crossed_between_communities_and_what_escalations_brought(
    street_reports: list[dict[str, Any]],
) -> None:
    report = street_reports[0]
    street = report["street"]
    assert [c["id"] for c in street["communities"]] in (["qingshui", "liuan"], ["laojie", "xincheng"])
    cross = report["engine"]["street"]["cross_community"]
    assert cross["dispatches"] > 0 and sum(cross["by_owner"].values()) == cross["dispatches"]
    assert sum(cross["by_rule"].values()) == cross["dispatches"]
    assert set(cross["by_rule"]) <= {"street_pool", "lend", "lend_spare", "by_hand"}
    # Alone, nothing crosses, and the street desk has no pool to send: every answer is no help.
    alone = report["alone"]["engine"]["street"]
    assert alone["cross_community"]["dispatches"] == 0
    assert set(alone["escalation_answers"]) <= {"no_help", "covered", "unanswered"}
    assert report["alone"]["engine"]["escalated"]["needs"] > report["engine"]["escalated"]["needs"]
    for answers in (report["engine"]["street"]["escalation_answers"], alone["escalation_answers"]):
        for figures in answers.values():
            assert figures["served"] <= figures["needs"] and figures["in_time"] <= figures["reached"]


def test_summary_page_and_tables_show_the_street_beside_alone(street_reports: list[dict[str, Any]]) -> None:
    report = street_reports[0]
    text = summary(report)
    assert "街道统筹与各社区单独 street vs each community alone" in text
    assert "跨社区调派 cross-community dispatches (引擎 engine)" in text
    assert "上报街道的回应 answers to escalations (基线 baseline)" in text
    c = report["comparison"]["street_vs_alone"]
    [row] = [line for line in text.splitlines() if line.startswith("生命安全需求 按时 life-safety needs")]
    needs = c["life_safety_needs"]["engine"]["street"]
    for run in ("engine", "baseline"):
        for side in ("street", "alone"):
            assert f"{c['life_safety_in_time'][run][side]}/{needs} 按时" in row
    assert "街道统筹与各社区单独" in report_html(report)
    agg = aggregate(street_reports)
    assert "引擎 各社区单独 engine, alone" in seeds_summary(agg) and "个种子合计" in seeds_html(agg)
    markdown = table({agg["scenario"]["name"]: agg})
    # The main table's row, then the street table's.
    rows = [
        line
        for line in markdown.splitlines()
        if line.startswith(f"| {agg['scenario']['name']} | {len(SEEDS)} | ")
    ]
    assert len(rows) == 2
    row = rows[1]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == 10 and cells[2].endswith(f"/ {agg['metrics']['life_safety_needs']['engine']['max']}")
    json.dumps(agg)


# -- the street desk, on a small street built here -------------------------------------------------------

PROFILE = load_profile(
    """
name: street_drill
title_zh: 测试
title_en: Test
dispatch: {auto_confirm_priority: 5, ack_timeout_s: 300, escalate_after_s: 600}
rules:
  - {name: limits, kind: travel_limit, limits_s: {5: 600}}
""",
    "street_drill.yaml",
)


def maps(spec: Travel) -> RoadGraph:
    return spec.road_graph()


def small_street(lender: dict[str, object], *, far_need: bool = False) -> Scenario:
    """a (two life-safety needs, no boat); b lends its two boats by ``lender``; the street's boat is at the
    far corner (out of the 10-minute limit of a's needs when ``far_need``)."""
    timeline: list[dict[str, object]] = [
        {"at": 0, "event": "incident", "kind": "flood", "level": 2},
        {
            "at": 60,
            "event": "need",
            "community": "a",
            "need": {"id": "n1", "capability": "rescue.boat", "location": "g0_0", "priority": 5},
        },
        {
            "at": 60,
            "event": "need",
            "community": "a",
            "need": {"id": "n2", "capability": "rescue.boat", "location": "g0_1", "priority": 5},
        },
    ]
    if far_need:
        timeline.append(
            {
                "at": 120,
                "event": "need",
                "community": "b",
                "need": {"id": "m1", "capability": "rescue.boat", "location": "g5_0", "priority": 5},
            }
        )
    return Scenario.model_validate(
        {
            "name": "small_street",
            "title_zh": "小街道",
            "title_en": "Small street",
            "street": {"id": "s1", "name": "测试街道"},
            "communities": [
                {"id": "a", "name": "甲", "profile": "street_drill"},
                {"id": "b", "name": "乙", "profile": "street_drill", "sharing": lender},
            ],
            "map": {"grid": {"rows": 6, "cols": 6, "edge_s": 120}},
            "settings": {
                "duration": 5400,
                "confirm_after_s": 60,
                "street_approve_after_s": 150,
                "street_answer_after_s": 200,
                "responders": {"ack_s": [10, 20], "setoff_s": [0, 10]},
            },
            "organisations": [
                {"id": "oa", "kind": "volunteer_team", "community": "a"},
                {"id": "ob", "kind": "social_organisation", "community": "b"},
                {"id": "os", "kind": "public_unit", "pool": "street"},
            ],
            "resources": [
                {
                    "id": "boat_b",
                    "organisation": "ob",
                    "capability": "rescue.boat",
                    "quantity": 2,
                    "location": "g1_1",
                },
                {
                    "id": "boat_s",
                    "organisation": "os",
                    "capability": "rescue.boat",
                    "quantity": 1,
                    "location": "g5_5",
                },
            ],
            "timeline": timeline,
        }
    )


def log_of(scenario: Scenario, *, solver: Any = None, alone: bool = False) -> list[dict[str, Any]]:
    assert check(scenario, maps(scenario.map), PROFILE) == []
    profiles = Profiles.of(scenario, PROFILE).effective(scenario)
    run = DrillRun(
        scenario, profiles, maps, seed=0, solver=solver or OptimalMatcher(), keep_log=True, alone=alone
    )
    return list(events(run.run().log))


def test_the_desk_approves_a_loan_after_its_delay_and_the_lenders_organisation_answers() -> None:
    log = log_of(small_street({"lend": "incident", "own_first": True, "street_approval": True}))
    approved = [
        m for m in log if m["type"] == "dispatch_status_changed" and m["event"]["note"] == "street_approved"
    ]
    assert approved and all(m["event"]["actor"] == "street" for m in approved)
    proposed = {
        a["resource"]: m["offset"]
        for m in log
        if m["type"] == "plan_proposed"
        for a in m["event"]["plan"]["assignments"]
        if a["approval"]
    }
    # Proposed at 0:01:00, approved 150 s later; then b's organisation (not a's) acknowledges.
    assert proposed == {"b/boat_b": "0:01:00"} and {m["offset"] for m in approved} == {"0:03:30"}
    acks = [
        m["event"]["actor"]
        for m in log
        if m["type"] == "dispatch_status_changed" and m["event"]["status"] == "acknowledged"
    ]
    assert acks and set(acks) == {"ob"}


def test_the_desk_sends_a_street_unit_by_hand_beyond_the_travel_limit() -> None:
    # b lends nothing; the street's boat is 20 minutes from a's needs, past the 10-minute limit: the plan
    # leaves them, they are escalated, and the desk sends the boat by hand to one, no help for the other.
    log = log_of(small_street({"lend": "never"}))
    answers = {m["event"]["need"]: m["event"]["answer"] for m in log if m["type"] == "escalation_answered"}
    assert sorted(answers.values()) == ["assigned", "no_help"]
    [assigned] = [m for m in log if m["type"] == "dispatch_created"]
    assert assigned["event"]["resource"] == "street:s1/boat_s" and assigned["event"]["actor"] == "street"
    assert assigned["offset"] == "0:14:20"  # escalated at 0:11:00, answered 200 s later
    # Alone, the street has no pool: both get no help, with the note saying why.
    alone = log_of(small_street({"lend": "never"}), alone=True)
    notes = [m["event"]["note"] for m in alone if m["type"] == "escalation_answered"]
    assert len(notes) == 2 and all("各社区单独" in n for n in notes)
    assert not any(m["type"] == "dispatch_created" for m in alone)


def test_a_never_lend_capability_stays_home_and_lend_incident_lends() -> None:
    lent = log_of(small_street({"lend": "incident", "own_first": False}))
    never = log_of(small_street({"lend": "incident", "own_first": False, "never_lend": ["rescue."]}))

    def sent(log: list[dict[str, Any]]) -> set[str]:
        return {
            a["resource"]
            for m in log
            if m["type"] == "plan_proposed"
            for a in m["event"]["plan"]["assignments"]
        }

    assert "b/boat_b" in sent(lent) and "b/boat_b" not in sent(never)


# -- a community on its own ------------------------------------------------------------------------------


def test_a_single_community_file_plans_as_its_own_coordinator(tmp_path: Path) -> None:
    """One community, its street pool organisations inside it, whatever its profile lends: the street
    never plans jointly, the desk never answers, and the report has no street figures."""
    loaded = load_scenario(ROOT / "scenarios" / "highrise_fire.yaml")
    assert not loaded.scenario.is_street and loaded.profile.sharing.lend != "never"
    shared: list[bool] = []

    def watch(key: str, steps: list[Step], street: Street) -> None:
        assert list(street.coordinators) == [loaded.scenario.members()[0].id]
        shared.append(street.shares())

    for solver in (OptimalMatcher(), ClosestAvailable()):
        run = DrillRun(
            loaded.scenario, loaded.profiles, loaded.maps, seed=0, solver=solver, keep_log=True, watch=watch
        )
        record = run.run()
        log = list(events(record.log))
        assert record.lent == [] and log and all("community" not in m for m in log)
        assert not any(m["type"] == "escalation_answered" for m in log)
    assert shared and not any(shared)
    report = run_drill(loaded.scenario, loaded.profiles, loaded.maps, seed=0).report
    assert not {"street", "alone"} & set(report) and "street_vs_alone" not in report["comparison"]
    assert "街道统筹" not in summary(report)


def test_the_drill_command_runs_a_street_with_each_communitys_profile(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["drill", str(STREETS["donghu_typhoon_lend"]), "--seed", "1", "--out", str(out)]
    result = launcher.call(args, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (
        "街道统筹与各社区单独 street vs each community alone — 东湖街道: 老街社区、新城社区" in result.stdout
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    profiles = {c["id"]: (c["profile"], c["sharing"]["lend"]) for c in report["street"]["communities"]}
    assert profiles == {"laojie": ("grid_captains", "incident"), "xincheng": ("urban_admin_rich", "incident")}
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {m["community"] for m in lines} == {"laojie", "xincheng", "street:donghu"}
