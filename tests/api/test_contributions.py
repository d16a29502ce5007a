"""Each organisation's contribution on the live service: dispatches driven to done (in an incident and in
normal times, by a community's own units and by the street's pool), a decline and a time-out, read back as the
street's table and its CSV, and who may read them. One real server for the module."""

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.auth import Role
from tests.api.server import MAP, Api, Server, api_for, wait_for

HEAD = [
    "社区",
    "组织名称",
    "组织类型",
    "常态完成次数",
    "常态派出数量",
    "常态服务时长(小时)",
    "应急完成次数",
    "应急派出数量",
    "应急服务时长(小时)",
    "演练完成次数",
    "演练派出数量",
    "演练服务时长(小时)",
    "拒绝次数",
    "超时未响应次数",
]


@pytest.fixture(scope="module")
def world(server: Server) -> dict[str, Api]:
    """The conftest's world, plus street s1's own pool (a medic of the Red Cross) and an organisation whose
    name a spreadsheet would run as a formula."""
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok("POST", "/streets", {"id": "s1", "name": "滨江街道", "profile": "fast_test", "map": MAP})
    street.ok(
        "POST",
        "/streets/s1/organisations",
        {"id": "s1-red-cross", "kind": "social_organisation", "name": "红十字会"},
    )
    medic = {"id": "medic", "organisation": "s1-red-cross", "capability": "medical.first_aid", "quantity": 1}
    street.ok("POST", "/streets/s1/resources", {**medic, "location": "g4_4"})
    street.ok(
        "POST", "/communities/c2/organisations", {"id": "c2-sum", "kind": "enterprise", "name": "=SUM(1)"}
    )
    return {"street1": street, "street2": Api(server, server.token(Role.STREET, street="s2"))}


def _need(cadre: Api, capability: str, priority: int) -> str:
    body = {"capability": capability, "quantity": 1, "location": "g1_1", "priority": priority}
    return str(cadre.ok("POST", "/communities/c1/needs", body)["id"])


def _sent(cadre: Api, need: str, status: str = "notified") -> dict[str, Any]:
    def found() -> list[dict[str, Any]]:
        return [
            d
            for d in cadre.ok("GET", "/communities/c1/assignments")
            if d["need"] == need and d["status"] == status
        ]

    [dispatch] = wait_for(found)
    return dict(dispatch)


def _do(api: Api, dispatch: dict[str, Any], *actions: str) -> None:
    for action in actions:
        api.ok("POST", f"/communities/c1/assignments/{dispatch['id']}/{action}")


def _row(table: dict[str, Any], organisation: str) -> dict[str, Any]:
    [row] = [r for r in table["rows"] if r["organisation"] == organisation]
    return dict(row)


@pytest.fixture(scope="module")
def worked(server: Server, world: dict[str, Api]) -> None:
    """In an incident: a boat of c1-boats and the street's medic serve c1 to the end; c1-boats declines one
    call and lets another time out. Then, in normal times, a boat serves once more."""
    cadre = api_for(server, Role.CADRE)
    boats = api_for(server, Role.ORGANISATION)
    red_cross = Api(server, server.token(Role.ORGANISATION, street="s1", organisation="s1-red-cross"))
    incident = cadre.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
    _do(boats, _sent(cadre, _need(cadre, "rescue.boat", 5)), "acknowledge", "en-route", "done")
    _do(red_cross, _sent(cadre, _need(cadre, "medical.first_aid", 5)), "acknowledge", "en-route", "done")
    missed = _need(cadre, "rescue.boat", 5)
    _do(boats, _sent(cadre, missed), "decline")
    # The other boat is sent in its place; nobody answers within the profile's 3 s.
    wait_for(lambda: any(r["timed_out"] for r in cadre.ok("GET", "/communities/c1/contributions")["rows"]))
    cadre.ok("POST", f"/communities/c1/needs/{missed}/cancel", {"reason": "test"})
    cadre.ok("POST", f"/communities/c1/incidents/{incident['id']}/close")
    normal = _sent(cadre, _need(cadre, "rescue.boat", 3), "proposed")
    cadre.ok("POST", f"/communities/c1/assignments/{normal['id']}/confirm")
    _do(boats, normal, "en-route", "on-site", "done")


def test_the_street_reads_each_organisations_jobs_per_mode_and_its_missed_calls(
    world: dict[str, Api], worked: None
) -> None:
    table = world["street1"].ok("GET", "/streets/s1/contributions")
    assert (table["street"], table["from"], table["to"]) == ("s1", None, None)
    # Every organisation of the street's communities, then the street's pool: idle ones too.
    assert [(r["community"], r["organisation"]) for r in table["rows"]] == [
        ("c1", "c1-boats"),
        ("c1", "c1-shop"),
        ("c2", "c2-boats"),
        ("c2", "c2-shop"),
        ("c2", "c2-sum"),
        ("street:s1", "s1-red-cross"),
    ]
    boats = _row(table, "c1-boats")
    assert (boats["community_name"], boats["organisation_name"], boats["kind_zh"]) == (
        "c1社区",
        "boats",
        "社会组织",
    )
    assert [(boats[c]["jobs"], boats[c]["units"]) for c in ("normal", "incident", "drill")] == [
        (1, 1),
        (1, 1),
        (0, 0),
    ]
    # Set off and done within the test: hours are real, and small.
    assert 0 <= boats["incident"]["hours"] < 0.1 and boats["drill"]["hours"] == 0
    assert (boats["declined"], boats["timed_out"]) == (1, 1)
    # The street's medic worked on c1's board; it is counted for the Red Cross, in the street's pool.
    red_cross = _row(table, "s1-red-cross")
    assert (red_cross["community_name"], red_cross["organisation_name"]) == ("街道资源库", "红十字会")
    assert red_cross["incident"]["jobs"] == 1 and red_cross["normal"]["jobs"] == 0
    assert _row(table, "c2-boats")["incident"] == {"jobs": 0, "units": 0, "hours": 0.0}


def test_the_csv_has_chinese_headers_a_bom_and_no_formulas(world: dict[str, Api], worked: None) -> None:
    response = world["street1"].get("/streets/s1/contributions.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="pingzhan-contributions-s1.csv"' in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEAD
    # Organisations by their names (issue 15: no ids in a CSV), within their community.
    by_name = {(r[0], r[1]): dict(zip(HEAD, r, strict=True)) for r in rows[1:]}
    boats = by_name[("c1社区", "boats")]
    assert (boats["社区"], boats["组织类型"], boats["常态完成次数"], boats["应急完成次数"]) == (
        "c1社区",
        "社会组织",
        "1",
        "1",
    )
    assert (boats["拒绝次数"], boats["超时未响应次数"]) == ("1", "1")
    assert by_name[("街道资源库", "红十字会")]["应急派出数量"] == "1"
    # A name Excel would run is written as text.
    assert ("c2社区", "'=SUM(1)") in by_name


def test_a_period_counts_the_jobs_that_ended_in_it(world: dict[str, Api], worked: None) -> None:
    street = world["street1"]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    now = street.ok("GET", f"/streets/s1/contributions?from={today.isoformat()}&to={today.isoformat()}")
    assert _row(now, "c1-boats")["normal"]["jobs"] == 1 and now["from"] == today.isoformat()
    later = street.ok("GET", f"/streets/s1/contributions?from={tomorrow}")
    assert all(
        r[c]["jobs"] == 0 and r["declined"] == 0 for r in later["rows"] for c in ("normal", "incident")
    )
    backwards = street.get(f"/streets/s1/contributions?from={tomorrow}&to={today.isoformat()}")
    assert backwards.status_code == 422 and "to" in backwards.text


def test_a_community_sees_its_own_organisations_and_who_worked_for_it(
    server: Server, world: dict[str, Api], worked: None
) -> None:
    mine = api_for(server, Role.CADRE).ok("GET", "/communities/c1/contributions")
    assert [(r["community"], r["organisation"]) for r in mine["rows"]] == [
        ("c1", "c1-boats"),
        ("c1", "c1-shop"),
        ("street:s1", "s1-red-cross"),
    ]
    assert _row(mine, "c1-boats")["timed_out"] == 1 and _row(mine, "s1-red-cross")["incident"]["jobs"] == 1
    # The medic did nothing for c2: c2's cadres see their own organisations only.
    theirs = api_for(server, Role.CADRE, "c2").ok("GET", "/communities/c2/contributions")
    assert [r["organisation"] for r in theirs["rows"]] == ["c2-boats", "c2-shop", "c2-sum"]


def test_another_street_and_organisations_read_nothing(server: Server, world: dict[str, Api]) -> None:
    assert world["street2"].get("/streets/s1/contributions").status_code == 404
    assert world["street2"].get("/streets/s1/contributions.csv").status_code == 404
    other_cadre = api_for(server, Role.CADRE, "c3")
    assert other_cadre.get("/streets/s1/contributions").status_code == 403
    assert other_cadre.get("/communities/c1/contributions").status_code == 404
    organisation = api_for(server, Role.ORGANISATION)
    for path in (
        "/streets/s1/contributions",
        "/streets/s1/contributions.csv",
        "/communities/c1/contributions",
    ):
        assert organisation.get(path).status_code == 403
