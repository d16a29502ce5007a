"""Households and their checks over a real server: who sees which household, whose contact is shown, and
what an incident's checks do (one per vulnerable household, per grid; "needs help" becomes a planned need).

Community c1 has two grids: g1 (buildings b1 and b2) and g2 (building b3). Grid worker gw1 looks after g1,
gw2 after g2, captain cap1 after building b1. Vulnerable households: h1 and h4 (b1, g1) and h3 (b3, g2);
h2 (b2, g1) and h5 (b3, g2) are not.
"""

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.auth import Role
from tests.api.server import Api, Server, api_for, wait_for
from tests.api.wsclient import Client

C = "/communities/c1"
PHONE, MASKED_PHONE = "13812345678", "138****5678"
NAME, MASKED_NAME = "王小明", "王**"
GRIDS = {"g1": "一网格", "g2": "二网格"}
BUILDINGS = {
    "b1": {"name": "1号楼", "grid": "g1", "location": "g1_1"},
    "b2": {"name": "2号楼", "grid": "g1", "location": "g1_2"},
    "b3": {"name": "3号楼", "grid": "g2", "location": "g3_3"},
}
MEMBERS = {
    "head1": {"name": "赵书记", "role": "head"},
    "gw1": {"name": "钱网格", "role": "grid_worker", "grid": "g1"},
    "gw2": {"name": "孙网格", "role": "grid_worker", "grid": "g2"},
    "cap1": {"name": "李楼长", "role": "captain", "building": "b1"},
}
HOUSEHOLDS = {
    "h1": {
        "building": "b1",
        "address": "1单元101",
        "tags": ["elderly_alone"],
        "contact": NAME,
        "phone": PHONE,
        "note": "行动不便",
    },
    "h2": {"building": "b2", "address": "2单元202", "contact": "李四", "phone": "13900001111"},
    "h3": {
        "building": "b3",
        "address": "3单元303",
        "tags": ["bedridden", "disabled"],
        "people": 2,
        "contact": "张大伟",
        "phone": "13700002222",
    },
    "h4": {"building": "b1", "address": "1单元102", "tags": ["infant"], "people": 3},
    "h5": {"building": "b3", "address": "3单元304"},
}
GRID_OF = {"h1": "g1", "h2": "g1", "h3": "g2", "h4": "g1", "h5": "g2"}


@dataclass
class People:
    street: Api
    cadre: Api
    head: Api
    gw1: Api
    gw2: Api
    captain: Api
    observer: Api
    organisation: Api


@pytest.fixture(scope="module")
def people(server: Server) -> Iterator[People]:
    street = Api(server, server.token(Role.STREET, street="s1"))
    for grid, name in GRIDS.items():
        street.ok("PUT", f"{C}/grids/{grid}", {"name": name})
    for building, body in BUILDINGS.items():
        street.ok("PUT", f"{C}/buildings/{building}", body)
    for member, body in MEMBERS.items():
        street.ok("PUT", f"{C}/members/{member}", body)
    for household, body in HOUSEHOLDS.items():
        street.ok("PUT", f"{C}/households/{household}", body)
    found = People(
        street=street,
        cadre=api_for(server, Role.CADRE),
        head=api_for(server, Role.CADRE, name="head1"),
        # The token names no grid: the roster says which grid each looks after.
        gw1=api_for(server, Role.GRID_WORKER, name="gw1"),
        gw2=api_for(server, Role.GRID_WORKER, name="gw2"),
        captain=api_for(server, Role.CAPTAIN, name="cap1"),
        observer=api_for(server, Role.OBSERVER),
        organisation=api_for(server, Role.ORGANISATION),
    )
    yield found
    for api in (street, *vars(found).values()):
        api.client.close()


def listed(api: Api, path: str = f"{C}/households") -> dict[str, dict[str, Any]]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return {h["id"]: h for h in response.json()}


def street_view(people: People) -> dict[str, dict[str, Any]]:
    return listed(people.street)


# -- roster ------------------------------------------------------------------------------------------------


def test_the_roster_is_kept_by_the_street_and_the_head(people: People) -> None:
    members = people.cadre.ok("GET", f"{C}/members")
    assert {m["id"]: m["role"] for m in members} == {m: b["role"] for m, b in MEMBERS.items()}
    gw1 = next(m for m in members if m["id"] == "gw1")
    assert gw1 == {"id": "gw1", "name": "钱网格", "role": "grid_worker", "grid": "g1", "building": None}
    assert [g["id"] for g in people.gw1.ok("GET", f"{C}/grids")] == ["g1", "g2"]
    b3 = next(b for b in people.observer.ok("GET", f"{C}/buildings") if b["id"] == "b3")
    assert b3 == {"id": "b3", **BUILDINGS["b3"]}
    for path in ("members", "grids", "buildings"):
        refused = people.organisation.get(f"{C}/{path}")
        assert refused.status_code == 403, (path, refused.text)
    # The head appoints; a plain cadre may not.
    before = people.street.ok("GET", f"{C}/members")
    refused = people.cadre.put(f"{C}/members/new1", {"name": "周干部", "role": "cadre"})
    assert refused.status_code == 403, refused.text
    refused = people.gw1.put(f"{C}/grids/g3", {"name": "三网格"})
    assert refused.status_code == 403, refused.text
    assert people.street.ok("GET", f"{C}/members") == before
    assert [g["id"] for g in people.street.ok("GET", f"{C}/grids")] == ["g1", "g2"]
    saved = people.head.ok("PUT", f"{C}/members/new1", {"name": "周干部", "role": "cadre"})
    assert saved == {"id": "new1", "name": "周干部", "role": "cadre", "grid": None, "building": None}


def test_a_member_without_their_grid_or_building_is_refused_naming_the_field(people: People) -> None:
    before = people.street.ok("GET", f"{C}/members")
    wrong = []
    for body, field in (
        ({"name": "吴", "role": "grid_worker"}, "grid"),
        ({"name": "吴", "role": "captain"}, "building"),
        ({"name": "吴", "role": "grid_worker", "grid": "g9"}, "member.grid"),
    ):
        bad = people.head.put(f"{C}/members/new2", body)
        if not (bad.status_code in (404, 422) and field in bad.json().get("field", "")):
            wrong.append(f"PUT {C}/members/new2 {body}: {bad.status_code} {bad.text[:300]}")
    assert people.street.ok("GET", f"{C}/members") == before
    assert wrong == [], "\n".join(wrong)


# -- who sees which household --------------------------------------------------------------------------


def test_a_grid_worker_sees_only_their_grid_with_contacts_and_others_see_them_masked(people: People) -> None:
    everyone = street_view(people)
    assert set(everyone) == set(HOUSEHOLDS)
    assert {h: row["grid"] for h, row in everyone.items()} == GRID_OF
    for who in (people.street, people.cadre, people.head, people.observer):
        rows = listed(who)
        assert set(rows) == set(HOUSEHOLDS)
        assert rows["h1"]["contact"] == MASKED_NAME and rows["h1"]["phone"] == MASKED_PHONE
        assert rows["h3"]["phone"] == "137****2222"
        assert rows["h4"]["contact"] is None and rows["h4"]["phone"] is None
        single = who.ok("GET", f"{C}/households/h1")
        assert single == rows["h1"]
        assert single["address"] == "1单元101" and single["tags"] == ["elderly_alone"]

    mine = listed(people.gw1)
    assert set(mine) == {"h1", "h2", "h4"}
    assert mine["h1"]["contact"] == NAME and mine["h1"]["phone"] == PHONE
    assert mine["h1"] == {"id": "h1", "people": 1, "grid": "g1", "place": "1号楼", **HOUSEHOLDS["h1"]}
    assert people.gw1.ok("GET", f"{C}/households/h1") == mine["h1"]
    for other in ("h3", "h5", "nobody"):
        response = people.gw1.get(f"{C}/households/{other}")
        assert response.status_code == 404, (other, response.text)
    theirs = listed(people.gw2)
    assert set(theirs) == {"h3", "h5"} and theirs["h3"]["phone"] == "13700002222"
    assert people.gw2.get(f"{C}/households/h1").status_code == 404

    building = listed(people.captain)
    assert set(building) == {"h1", "h4"}
    assert building["h1"]["contact"] == NAME and building["h1"]["phone"] == PHONE
    assert people.captain.get(f"{C}/households/h2").status_code == 404

    for path in (f"{C}/households", f"{C}/households/h1"):
        refused = people.organisation.get(path)
        assert refused.status_code == 403, refused.text
        assert PHONE not in refused.text and "1单元101" not in refused.text


def test_who_may_change_a_household(people: People) -> None:
    before = street_view(people)
    # A grid worker keeps their own grid's records, not another's, and cannot move one out of their grid.
    refused = people.gw1.put(f"{C}/households/h3", {**HOUSEHOLDS["h3"], "note": "改"})
    assert refused.status_code == 404, refused.text
    refused = people.gw1.put(f"{C}/households/h1", {**HOUSEHOLDS["h1"], "building": "b3"})
    assert refused.status_code == 403, refused.text
    # Another grid's household and an id nobody uses get the same answer: nothing is learnt of either.
    taken = people.gw1.put(f"{C}/households/h3", {"building": "b3", "address": "3单元309"})
    free = people.gw1.put(f"{C}/households/h9", {"building": "b3", "address": "3单元309"})
    assert taken.status_code == free.status_code == 404, (taken.text, free.text)
    assert taken.json()["detail"].replace("h3", "h9") == free.json()["detail"]
    for method in ("GET", "DELETE"):
        answers = [people.gw1.client.request(method, f"{C}/households/{h}") for h in ("h3", "h9")]
        assert [a.status_code for a in answers] == [404, 404], [a.text for a in answers]
    for who in (people.captain, people.observer):
        refused = who.put(f"{C}/households/h1", {**HOUSEHOLDS["h1"], "note": "改"})
        assert refused.status_code == 403, refused.text
    refused = people.organisation.put(f"{C}/households/h1", {**HOUSEHOLDS["h1"], "note": "改"})
    assert refused.status_code == 403, refused.text
    for who in (people.gw2, people.captain, people.organisation):
        refused = who.client.delete(f"{C}/households/h2")
        assert refused.status_code in (403, 404), refused.text
    bad = people.cadre.put(f"{C}/households/h9", {"building": "b1", "address": "1单元109", "tags": ["rich"]})
    assert bad.status_code == 422 and bad.json()["field"] == "tags[0]", bad.text
    bad = people.cadre.put(f"{C}/households/h9", {"building": "b9", "address": "x"})
    assert bad.status_code in (404, 422) and "building" in bad.json()["field"], bad.text
    assert street_view(people) == before

    saved = people.gw1.ok(
        "PUT", f"{C}/households/h6", {"building": "b2", "address": "2单元206", "phone": PHONE}
    )
    # The grid worker made it: they see the phone; a cadre sees it masked.
    assert saved["phone"] == PHONE and saved["grid"] == "g1" and saved["people"] == 1
    assert people.cadre.ok("GET", f"{C}/households/h6")["phone"] == MASKED_PHONE
    removed = people.cadre.client.delete(f"{C}/households/h6")
    assert removed.status_code == 200 and removed.json() == {"removed": "h6"}
    assert people.street.get(f"{C}/households/h6").status_code == 404
    assert street_view(people) == before


def test_the_event_log_does_not_hand_out_what_the_household_routes_mask(people: People) -> None:
    """The audit log carries every household_saved event: a reader who sees the household masked (or not at
    all) must not read its name and phone there instead."""
    leaks = []
    for who, name in ((people.gw2, "gw2"), (people.observer, "observer"), (people.cadre, "cadre")):
        response = who.get(f"{C}/events", params={"type": "household_saved", "limit": 1000})
        assert response.status_code == 200, response.text
        assert response.json(), "no household_saved events to look at"
        # Nor its address: the log gives which household and what happened, the routes give the rest.
        if PHONE in response.text or NAME in response.text or "1单元101" in response.text:
            leaks.append(name)
    assert leaks == [], f"GET {C}/events?type=household_saved shows h1's name/phone to {leaks}"


# -- checks during an incident ---------------------------------------------------------------------------


def test_an_incident_issues_checks_per_grid_and_needs_help_becomes_a_planned_need(people: People) -> None:
    assert people.street.ok("GET", C)["incident"] is None
    # No incident, nothing to check.
    refused = people.gw1.post(f"{C}/checks/h1", {"result": "safe"})
    assert refused.status_code == 409, refused.text
    assert people.street.ok("GET", f"{C}/checks") == {"incident": None, "checks": []}

    async def scenario() -> None:
        grid1 = await Client(people.gw1.server.ws_url, people.gw1.token).open()
        assert (await grid1.subscribe("grid:c1:g1"))["type"] == "subscribed"
        assert (await grid1.subscribe("grid:c1:g2"))["type"] == "error"
        community = await Client(people.cadre.server.ws_url, people.cadre.token).open()
        assert (await community.subscribe("community:c1"))["type"] == "subscribed"
        await grid1.drain(0.3)
        await community.drain(0.3)
        incident = people.cadre.ok("POST", f"{C}/incidents", {"kind": "flood", "level": 2})
        try:
            await checks(grid1, community, incident)
        finally:
            people.cadre.ok("POST", f"{C}/incidents/{incident['id']}/close")
            await grid1.close()
            await community.close()

    async def checks(grid1: Client, community: Client, incident: dict[str, Any]) -> None:
        every = people.street.ok("GET", f"{C}/checks")
        assert every["incident"]["id"] == incident["id"]
        # One pending check per vulnerable household, sorted by grid, building, address.
        assert [(c["household"]["id"], c["grid"], c["building"], c["result"]) for c in every["checks"]] == [
            ("h1", "g1", "b1", "pending"),
            ("h4", "g1", "b1", "pending"),
            ("h3", "g2", "b3", "pending"),
        ]
        assert every["checks"][0]["household"]["phone"] == MASKED_PHONE
        mine = people.gw1.ok("GET", f"{C}/checks")["checks"]
        assert [c["household"]["id"] for c in mine] == ["h1", "h4"]
        assert mine[0]["household"]["phone"] == PHONE and mine[0]["household"]["contact"] == NAME
        assert [c["household"]["id"] for c in people.gw2.ok("GET", f"{C}/checks")["checks"]] == ["h3"]
        assert [c["household"]["id"] for c in people.captain.ok("GET", f"{C}/checks")["checks"]] == [
            "h1",
            "h4",
        ]
        assert people.organisation.get(f"{C}/checks").status_code == 403

        summary = await community.until(lambda m: m.get("type") == "checks_issued")
        assert sorted(c["household"] for c in summary["data"]["event"]["checks"]) == ["h1", "h3", "h4"]
        for secret in ("1单元101", "3单元303", NAME, PHONE, MASKED_PHONE, MASKED_NAME, "households"):
            assert secret not in json.dumps(summary, ensure_ascii=False), secret
        issued = await grid1.until(lambda m: m.get("type") == "checks_issued")
        assert issued["channel"] == "grid:c1:g1"
        assert sorted(c["household"] for c in issued["data"]["checks"]) == ["h1", "h4"]
        assert {h["id"] for h in issued["data"]["households"]} == {"h1", "h4"}
        assert PHONE not in json.dumps(issued, ensure_ascii=False)

        # Another grid's household cannot be reported by gw1; a captain cannot report beyond the building.
        assert people.gw1.post(f"{C}/checks/h3", {"result": "safe"}).status_code == 404
        assert people.captain.post(f"{C}/checks/h3", {"result": "safe"}).status_code == 404
        assert people.observer.post(f"{C}/checks/h3", {"result": "safe"}).status_code == 403
        bad = people.gw1.post(f"{C}/checks/h1", {"result": "needs_help"})
        assert bad.status_code == 422 and bad.json()["field"] == "capability", bad.text
        assert [c["result"] for c in people.street.ok("GET", f"{C}/checks")["checks"]] == ["pending"] * 3

        safe = people.gw1.ok("POST", f"{C}/checks/h4", {"result": "safe", "note": "一切正常"})
        assert safe["need"] is None
        assert safe["check"]["result"] == "safe" and safe["check"]["reported_by"] == "grid_worker:gw1"
        assert safe["check"]["note"] == "一切正常" and safe["check"]["household"]["id"] == "h4"

        helped = people.gw1.ok(
            "POST",
            f"{C}/checks/h1",
            {"result": "needs_help", "capability": "rescue.boat", "priority": 3, "note": "水已进屋"},
        )
        need = helped["need"]
        assert need is not None and need["id"] == "c1-h1-help1"
        assert helped["check"]["result"] == "needs_help" and helped["check"]["need"] == need["id"]
        assert need["tags"] == ["elderly_alone"] and need["location"] == "g1_1"
        assert need["capability"] == "rescue.boat" and need["quantity"] == 1 and need["priority"] >= 3
        # The cadre sees the household's phone on the need, as on any need; others see it masked.
        by_cadre = people.cadre.ok("GET", f"{C}/needs/{need['id']}")
        assert by_cadre["contact_phone"] == PHONE and by_cadre["tags"] == ["elderly_alone"]
        assert people.observer.ok("GET", f"{C}/needs/{need['id']}")["contact_phone"] == MASKED_PHONE
        assert need["id"] in {n["id"] for n in people.street.ok("GET", f"{C}/needs")}

        def planned() -> bool:
            response = people.street.get(f"{C}/plan")
            if response.status_code != 200:
                return False
            plan = response.json()["plan"]
            return any(a["need"] == need["id"] for a in (*plan["assignments"], *plan["unmet"]))

        wait_for(planned, timeout=8)

        reported = [
            await community.until(
                lambda m, h=h: m.get("type") == "check_reported" and m["data"]["event"]["household"] == h
            )
            for h in ("h4", "h1")
        ]
        assert reported[1]["data"]["event"]["result"] == "needs_help"
        assert reported[1]["data"]["event"]["need"] == need["id"]
        for message in reported:
            text = json.dumps(message, ensure_ascii=False)
            for secret in ("1单元101", "1单元102", NAME, PHONE, MASKED_PHONE, MASKED_NAME):
                assert secret not in text, (secret, text)

        pending = people.street.get(f"{C}/checks", params={"result": "pending"}).json()["checks"]
        assert [c["household"]["id"] for c in pending] == ["h3"]
        # The same household again while its need is open: refused, nothing new.
        again = people.gw1.post(f"{C}/checks/h1", {"result": "needs_help", "capability": "rescue.boat"})
        assert again.status_code == 409, again.text
        assert [n["id"] for n in people.street.ok("GET", f"{C}/needs") if n["id"].startswith("c1-h1-")] == [
            need["id"]
        ]

    asyncio.run(scenario())
    # Between incidents there are no checks, and reporting one is a conflict again.
    assert people.street.ok("GET", f"{C}/checks") == {"incident": None, "checks": []}
    assert people.gw2.post(f"{C}/checks/h3", {"result": "safe"}).status_code == 409
