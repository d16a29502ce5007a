"""``pingzhan match`` as a user runs it: a real process, real files."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from engine.model import Plan
from engine.model.quantity import MAX_QUANTITY
from engine.travel import RoadGraph
from tests.launcher import launcher

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "api" / "examples" / "flood.json"
MINIMAL = {
    "needs": [
        {
            "id": "n1",
            "capability": "rescue.boat",
            "quantity": 2,
            "location": "a",
            "priority": 5,
            "requires": ["water_rescue"],
            "max_travel_s": 1800,
        }
    ],
    "resources": [
        {
            "id": "r1",
            "organisation": "o1",
            "capability": "rescue.boat",
            "quantity": 3,
            "location": "b",
            "certifications": ["water_rescue"],
        }
    ],
    "travel": {"edges": [{"from": "a", "to": "b", "seconds": 120}], "directed": False},
    "pinned": [{"need": "n1", "resource": "r1", "quantity": 1}],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return launcher.call(list(args), timeout=120)


def write(tmp_path: Path, doc: object, name: str = "problem.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return path


def test_the_issue_example_gives_a_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = run("match", str(write(tmp_path, MINIMAL)), "-o", str(out))
    assert result.returncode == 0, result.stderr
    plan = Plan.model_validate_json(out.read_text(encoding="utf-8"))
    assert [(a.need, a.resource, a.quantity, a.travel_s, a.pinned) for a in plan.assignments] == [
        ("n1", "r1", 1, 120, True),
        ("n1", "r1", 1, 120, False),
    ]
    assert plan.unmet == ()


def test_same_problem_gives_byte_identical_decisions(tmp_path: Path) -> None:
    first, second = (run("match", str(EXAMPLE)) for _ in range(2))
    assert first.returncode == 0 and second.returncode == 0
    a, b = (json.loads(r.stdout) for r in (first, second))
    a.pop("solver"), b.pop("solver")
    assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)
    assert a["assignments"] and a["unmet"]


def test_table_is_readable_chinese_first() -> None:
    result = run("match", str(EXAMPLE), "--table")
    assert result.returncode == 0, result.stderr
    assert "调度方案" in result.stdout and "未满足" in result.stdout and "trapped_12" in result.stdout


def test_baseline_solver_runs_through_the_same_command() -> None:
    result = run("match", str(EXAMPLE), "--solver", "closest")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["solver"]["name"] == "closest_available"


def test_schema_describes_problem_and_plan() -> None:
    result = run("match", "--schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert {"needs", "resources", "travel", "pinned"} <= set(schema["problem"]["properties"])
    assert {"assignments", "unmet", "solver"} <= set(schema["plan"]["properties"])


def test_osm_extract_map(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "data" / "test.osm.pbf", tmp_path / "area.osm.pbf")
    graph = RoadGraph.from_osm((tmp_path / "area.osm.pbf").read_bytes(), fmt="pbf")
    biggest = max(nx.strongly_connected_components(graph.networkx()), key=len)
    a, b = sorted(biggest)[:2]
    doc = {
        "needs": [{"id": "n1", "capability": "supply.water", "quantity": 1, "location": a, "priority": 3}],
        "resources": [
            {"id": "r1", "organisation": "o1", "capability": "supply.water", "quantity": 1, "location": b}
        ],
        "travel": {"osm": {"path": "area.osm.pbf"}},
    }
    result = run("match", str(write(tmp_path, doc)))
    assert result.returncode == 0, result.stderr
    (assignment,) = json.loads(result.stdout)["assignments"]
    assert assignment["travel_s"] > 0


@pytest.mark.parametrize(
    "doc, expected",
    [
        ('{"needs": [\n  {"id": }', "problem.json:2:"),
        ({**MINIMAL, "needs": [{**MINIMAL["needs"][0], "quantity": -2}]}, "needs[0].quantity"),
        (
            {**MINIMAL, "pinned": [{"need": "n9", "resource": "r1", "quantity": 1}]},
            "pinned[0].need: unknown need 'n9'",
        ),
        ({**MINIMAL, "needs": [{**MINIMAL["needs"][0], "location": "zz"}]}, "'zz' is not on the map"),
        ({**MINIMAL, "colour": "red"}, "colour"),
        (
            {**MINIMAL, "travel": {"edges": [{"from": "a", "to": "b", "seconds": 0}]}},
            "travel.edges[0].seconds",
        ),
        (
            {**MINIMAL, "travel": {**MINIMAL["travel"], "closed": [{"from": "a", "to": "q"}]}},
            "closed road a->q: no such road",
        ),
        (
            {**MINIMAL, "community": {"id": "c", "street": "s", "profile": "nowhere"}},
            "profile 'nowhere': no such profile",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, doc: object, expected: str) -> None:
    result = run("match", str(write(tmp_path, doc)))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert expected in result.stderr


def test_missing_file_is_named() -> None:
    result = run("match", "no/such/problem.json")
    assert result.returncode == 2 and "no/such/problem.json: cannot read" in result.stderr


def test_quantities_up_to_the_maximum_are_planned(tmp_path: Path) -> None:
    doc = {
        **MINIMAL,
        "needs": [{**MINIMAL["needs"][0], "quantity": MAX_QUANTITY}],
        "resources": [{**MINIMAL["resources"][0], "quantity": MAX_QUANTITY}],
    }
    out = tmp_path / "plan.json"
    result = run("match", str(write(tmp_path, doc)), "-o", str(out))
    assert result.returncode == 0, result.stderr
    plan = Plan.model_validate_json(out.read_text(encoding="utf-8"))
    assert sum(a.quantity for a in plan.assignments) == MAX_QUANTITY and plan.unmet == ()


@pytest.mark.parametrize(
    "where, value",
    [
        ("needs[0].quantity", 10**20),
        ("resources[0].quantity", 10**20),
        ("needs[0].quantity", MAX_QUANTITY + 1),
        ("resources[0].quantity", MAX_QUANTITY + 1),
        ("needs[0].team[0].per_unit", MAX_QUANTITY + 1),
        ("pinned[0].quantity", MAX_QUANTITY + 1),
    ],
)
def test_a_quantity_past_the_maximum_is_one_line_and_nothing_written(
    tmp_path: Path, where: str, value: int
) -> None:
    doc = json.loads(json.dumps(MINIMAL))
    doc["needs"][0]["team"] = [{"capability": "rescue.crew", "per_unit": 1}]
    at: Any = doc
    *path, last = where.replace("[0]", ".0").split(".")
    for part in path:
        at = at[int(part)] if part.isdigit() else at[part]
    at[last] = value
    out = tmp_path / "plan.json"
    result = run("match", str(write(tmp_path, doc)), "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and not out.exists()
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"pingzhan: {tmp_path / 'problem.json'}: {where}: "), line
    assert f"less than or equal to {MAX_QUANTITY}" in line and str(value) in line


def test_the_moment_of_the_plan_lets_the_older_need_go_first(tmp_path: Path) -> None:
    # One boat, two life-safety calls: the one reported 20 minutes earlier goes, though farther.
    doc = {
        "at": "2026-07-21T08:20:00+08:00",
        "needs": [
            {
                "id": "new",
                "capability": "rescue.boat",
                "quantity": 1,
                "location": "a",
                "priority": 5,
                "reported_at": "2026-07-21T08:20:00+08:00",
            },
            {
                "id": "old",
                "capability": "rescue.boat",
                "quantity": 1,
                "location": "c",
                "priority": 5,
                "reported_at": "2026-07-21T08:00:00+08:00",
            },
        ],
        "resources": [
            {"id": "r1", "organisation": "o1", "capability": "rescue.boat", "quantity": 1, "location": "b"}
        ],
        "travel": {
            "edges": [{"from": "a", "to": "b", "seconds": 120}, {"from": "b", "to": "c", "seconds": 300}]
        },
    }
    out = tmp_path / "plan.json"
    assert run("match", str(write(tmp_path, doc)), "-o", str(out)).returncode == 0
    assert [a.need for a in Plan.model_validate_json(out.read_text(encoding="utf-8")).assignments] == ["old"]
    # Without the moment neither has waited: the nearer one goes.
    del doc["at"]
    assert run("match", str(write(tmp_path, doc)), "-o", str(out)).returncode == 0
    assert [a.need for a in Plan.model_validate_json(out.read_text(encoding="utf-8")).assignments] == ["new"]
    # A moment without a time zone is refused, naming the field.
    doc["at"] = "2026-07-21T08:20:00"
    result = run("match", str(write(tmp_path, doc)), "-o", str(out))
    assert result.returncode == 2 and "at" in result.stderr and len(result.stderr.strip().splitlines()) == 1
