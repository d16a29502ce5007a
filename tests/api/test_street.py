"""The street's pool on the live service: its units reach a community's need, a neighbour lends with the
street's approval, an escalation is answered and the cadre hears of it live, and all of it survives a
restart. One real server (SQLite) for the module."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.auth import Role
from tests.api.server import MAP, Api, Server, api_for, build_world, wait_for
from tests.api.wsclient import Client

# c2 lends in an incident (of the community asking), own needs first, and the street approves each loan.
LENDER = """
name: lend_test
title_zh: 借出测试
title_en: Lending test
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 3600
  escalate_after_s: 2
  normal_match_every_s: 1
sharing:
  lend: incident
  own_first: true
  street_approval: true
  never_lend: [supply.]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("street"))).start()
    (s.data_dir / "profiles" / "lend_test.yaml").write_text(LENDER, encoding="utf-8")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world(server: Server) -> dict[str, Api]:
    apis = build_world(server)
    street = apis["street1"]
    street.ok("POST", "/streets", {"id": "s1", "name": "滨江街道", "profile": "fast_test", "map": MAP})
    street.ok("POST", "/streets/s1/organisations", {"id": "s1-red-cross", "kind": "social_organisation"})
    street.ok(
        "POST",
        "/streets/s1/resources",
        {
            "id": "medic",
            "organisation": "s1-red-cross",
            "capability": "medical.first_aid",
            "quantity": 1,
            "location": "g4_4",
            "name": "红十字急救员",
        },
    )
    street.ok("PUT", "/communities/c2/profile", {"profile": "lend_test"})
    street.ok(
        "POST",
        "/communities/c2/resources",
        {
            "id": "c2-generator",
            "organisation": "c2-shop",
            "capability": "power.generator",
            "quantity": 1,
            "location": "g2_2",
        },
    )
    street.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
    return apis


def need(api: Api, capability: str, priority: int, phone: str | None = None) -> str:
    body: dict[str, Any] = {"capability": capability, "quantity": 1, "location": "g1_1", "priority": priority}
    if phone:
        body["contact_phone"] = phone
    return str(api.ok("POST", "/communities/c1/needs", body)["id"])


def dispatches_of(api: Api, need_id: str) -> list[dict[str, Any]]:
    return [d for d in api.ok("GET", "/communities/c1/assignments") if d["need"] == need_id]


def test_the_street_pool_reaches_a_community_need(server: Server, world: dict[str, Api]) -> None:
    cadre = api_for(server, Role.CADRE, "c1")
    medic = need(cadre, "medical.first_aid", 5, phone="13900001111")
    # Life-safety: confirmed at once, and the unit is the street's.
    [sent] = wait_for(lambda: [d for d in dispatches_of(cadre, medic) if d["status"] == "notified"])
    assert sent["resource"] == "street:s1/medic"
    plan = cadre.ok("GET", "/communities/c1/plan")
    [a] = [a for a in plan["plan"]["assignments"] if a["need"] == medic]
    assert (a["owner"], a["shared_by"], a["approval"]) == ("street:s1", "street_pool", False)
    # The street pool's organisation sees the dispatch sent to it (with the resident's phone: it responds)
    # and nothing else of c1; it acknowledges on c1's board.
    red_cross = Api(server, server.token(Role.ORGANISATION, street="s1", organisation="s1-red-cross"))
    assert "c1" in red_cross.ok("GET", "/me")["communities"]
    [mine] = red_cross.ok("GET", "/communities/c1/assignments")
    assert mine["id"] == sent["id"]
    assert red_cross.ok("GET", f"/communities/c1/needs/{medic}")["contact_phone"] == "13900001111"
    assert red_cross.get("/communities/c1/resources/c1-boat").status_code == 404
    # Its own channel (named by /me) tells it of the dispatch and of what it does there.
    me = red_cross.ok("GET", "/me")
    assert me["organisation_channel"] == "organisation:~s1:s1-red-cross"

    async def hear() -> tuple[dict[str, Any], dict[str, Any]]:
        client = await Client(server.ws_url, red_cross.token).open()
        await client.subscribe(me["organisation_channel"], 0)
        first = await client.until(lambda m: m.get("type") == "dispatches")
        red_cross.ok("POST", f"/communities/c1/assignments/{sent['id']}/acknowledge")
        acked = await client.until(
            lambda m: m.get("type") == "dispatches" and m["data"]["changed"][0]["status"] == "acknowledged"
        )
        await client.close()
        return first, acked

    first, acked = asyncio.run(hear())
    assert first["data"]["community"] == "c1" and first["data"]["changed"][0]["id"] == sent["id"]
    assert acked["data"]["changed"][0]["need_detail"]["id"] == medic
    # Another community's cadre never sees c1's resident.
    other = api_for(server, Role.CADRE, "c2")
    assert other.get(f"/communities/c1/needs/{medic}").status_code == 404
    pool = {o["organisation"]["id"]: o for o in world["street1"].ok("GET", "/streets/s1/pool")}
    assert pool["s1-red-cross"]["resources"][0]["sent"] == 1
    # The cadre reads whose unit it is by name; the street renames its partner, and the name follows.
    [seen] = [d for d in cadre.ok("GET", "/communities/c1/assignments") if d["id"] == sent["id"]]
    assert (seen["owner"], seen["owner_name"], seen["resource_name"]) == (
        "street:s1",
        "滨江街道",
        "红十字急救员",
    )
    renamed = world["street1"].ok("PATCH", "/streets/s1/organisations/s1-red-cross", {"name": "区红十字会"})
    assert (renamed["name"], renamed["kind"], renamed["community"]) == (
        "区红十字会",
        "social_organisation",
        None,
    )


def test_a_neighbour_lends_with_the_street_approval(server: Server, world: dict[str, Api]) -> None:
    cadre = api_for(server, Role.CADRE, "c1")
    power = need(cadre, "power.generator", 4)
    [proposal] = wait_for(lambda: dispatches_of(cadre, power))
    assert (proposal["resource"], proposal["status"], proposal["approval"]) == (
        "c2/c2-generator",
        "proposed",
        True,
    )
    # The cadre cannot send a neighbour's unit; the street's inbox lists it for approval.
    refused = cadre.post(f"/communities/c1/assignments/{proposal['id']}/confirm")
    assert refused.status_code == 409 and "须街道批准" in refused.text
    street = world["street1"]
    [item] = [i for i in street.ok("GET", "/streets/s1/inbox") if i["need"]["id"] == power]
    assert item["state"] == "approval" and item["approvals"][0]["owner"] == "c2"
    assert item["approvals"][0]["owner_name"] == "c2社区"
    street.ok("POST", f"/communities/c1/assignments/{proposal['id']}/approve", {"note": "同意借用"})
    assert dispatches_of(cadre, power)[0]["status"] == "notified"
    # c2's shop answers on c1's board, for its own unit only.
    shop = api_for(server, Role.ORGANISATION, "c2", organisation="c2-shop")
    assert shop.ok("POST", f"/communities/c1/assignments/{proposal['id']}/acknowledge")["status"] == (
        "acknowledged"
    )
    # Water is never lent (never_lend: supply.): c1's need for more water than it has stays with c1's own.
    water = need(cadre, "supply.water", 3)
    wait_for(lambda: dispatches_of(cadre, water))
    assert {d["resource"] for d in dispatches_of(cadre, water)} == {"c1-water"}


def test_an_escalation_is_answered_and_the_cadre_hears_of_it(server: Server, world: dict[str, Api]) -> None:
    cadre = api_for(server, Role.CADRE, "c1")

    async def run() -> list[dict[str, Any]]:
        client = await Client(server.ws_url, cadre.token).open()
        await client.subscribe("community:c1")
        helicopter = need(cadre, "rescue.helicopter", 5)
        street = world["street1"]
        # Escalated by the clock (escalate_after_s 2): it lands in the street's inbox with the plan's reason.
        [item] = wait_for(
            lambda: [i for i in street.ok("GET", "/streets/s1/inbox") if i["need"]["id"] == helicopter]
        )
        assert (item["state"], item["reason"]) == ("open", "no_capability")
        street.ok(
            "POST",
            f"/communities/c1/needs/{helicopter}/answer",
            {"answer": "no_help", "note": "区里直升机已全部出动，请先就地转移"},
        )
        answered = await client.until(lambda m: m.get("type") == "escalation_answered")
        await client.close()
        return [answered, cadre.ok("GET", f"/communities/c1/needs/{helicopter}")]

    message, record = asyncio.run(run())
    assert message["data"]["need"]["answers"][0]["answer"] == "no_help"
    assert record["answers"][0]["note"].startswith("区里直升机")
    events = cadre.ok("GET", "/communities/c1/events")
    assert "escalation_answered" in {
        e["type"] for e in (events["events"] if isinstance(events, dict) else events)
    }


def test_the_inbox_and_approvals_survive_a_restart(server: Server, world: dict[str, Api]) -> None:
    cadre = api_for(server, Role.CADRE, "c1")
    street = world["street1"]
    # A second generator request: the only lendable one is busy, so lend c2's second.
    street.ok(
        "POST",
        "/communities/c2/resources",
        {
            "id": "c2-generator2",
            "organisation": "c2-shop",
            "capability": "power.generator",
            "quantity": 1,
            "location": "g3_3",
        },
    )
    power = need(cadre, "power.generator", 4)
    [proposal] = wait_for(lambda: dispatches_of(cadre, power))
    # Once the loan waits for approval past the escalation time (4 s here): nothing moves by itself after.
    wait_for(
        lambda: [
            i for i in street.ok("GET", "/streets/s1/inbox") if i["need"]["id"] == power and i["escalated"]
        ]
    )
    before = street.ok("GET", "/streets/s1/inbox")
    server.stop()
    server.start()
    after = street.ok("GET", "/streets/s1/inbox")
    assert [(i["need"]["id"], i["state"], [a["id"] for a in i["approvals"]]) for i in after] == [
        (i["need"]["id"], i["state"], [a["id"] for a in i["approvals"]]) for i in before
    ]
    assert any(i["need"]["id"] == power and i["approvals"] for i in after)
    street.ok("POST", f"/communities/c1/assignments/{proposal['id']}/approve", {})
    assert dispatches_of(cadre, power)[0]["status"] == "notified"
    # The escalated need, approved by the street, is served by the neighbour's unit.
    shop = api_for(server, Role.ORGANISATION, "c2", organisation="c2-shop")
    for step in ("acknowledge", "en-route", "done"):
        shop.ok("POST", f"/communities/c1/assignments/{proposal['id']}/{step}")
    record = cadre.ok("GET", f"/communities/c1/needs/{power}")
    assert record["status"] == "served"
    assert [a["answer"] for a in record["answers"]] == ["approved"]


def test_a_community_the_street_asks_sends_help(server: Server, world: dict[str, Api]) -> None:
    cadre = api_for(server, Role.CADRE, "c1")
    street = world["street1"]
    crane = need(cadre, "rescue.crane", 5, phone="13900002222")
    wait_for(lambda: [i for i in street.ok("GET", "/streets/s1/inbox") if i["need"]["id"] == crane])
    neighbour = api_for(server, Role.CADRE, "c2")
    assert neighbour.ok("GET", "/communities/c2/requests") == []
    street.ok(
        "POST",
        f"/communities/c1/needs/{crane}/answer",
        {"answer": "asked", "community": "c2", "note": "请支援吊车"},
    )
    # c2's cadres see what is needed and where, not who: the phone stays masked.
    [request] = neighbour.ok("GET", "/communities/c2/requests")
    assert (request["community"], request["need"]["id"], request["note"]) == ("c1", crane, "请支援吊车")
    assert request["need"]["contact_phone"] != "13900002222"
    street.ok(
        "POST",
        "/communities/c2/resources",
        {
            "id": "c2-crane",
            "organisation": "c2-shop",
            "capability": "rescue.crane",
            "quantity": 1,
            "location": "g2_2",
        },
    )
    # Only for a need it was asked about, and only with its own units.
    assert (
        neighbour.post(
            "/communities/c2/requests/c1/nope/offer", {"resource": "c2-crane", "quantity": 1}
        ).status_code
        == 404
    )
    neighbour.ok(
        "POST", f"/communities/c2/requests/c1/{crane}/offer", {"resource": "c2-crane", "quantity": 1}
    )
    [sent] = dispatches_of(cadre, crane)
    assert (sent["resource"], sent["status"]) == ("c2/c2-crane", "notified")
    answers = cadre.ok("GET", f"/communities/c1/needs/{crane}")["answers"]
    assert [a["answer"] for a in answers] == ["asked", "assigned"]
    assert answers[0]["community_name"] == "c2社区"
    assert neighbour.ok("GET", "/communities/c2/requests") == []


def test_the_street_hears_of_changes_to_its_own_pool(server: Server, world: dict[str, Api]) -> None:
    street = world["street1"]

    async def run() -> dict[str, Any]:
        client = await Client(server.ws_url, street.token).open()
        await client.subscribe("street:s1")
        street.ok("PATCH", "/streets/s1/resources/medic", {"status": "offline"})
        message = await client.until(lambda m: m.get("type") == "resource_saved")
        await client.close()
        return message

    message = asyncio.run(run())
    assert message["channel"] == "street:s1"
    assert message["data"]["event"]["resource"]["status"] == "offline"
