"""The priority in force (after the profile's rules) is what the API sorts by and shows beside the reported one,
and what the websocket carries; a priority off the 1..5 scale is refused naming the field."""

import asyncio
from typing import Any

import pytest

from api.auth import Role
from tests.api.server import Api, Server, api_for
from tests.api.wsclient import Client

PROFILE = "priority_api"
# Nothing confirmed by itself and deadlines an hour away: the needs stay as reported while the test reads them.
RULES = f"""
name: {PROFILE}
title_zh: 优先级测试
title_en: Priority test
dispatch:
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 3600
rules:
  - name: elderly_alone_first
    kind: priority
    need:
      tags: {{has: elderly_alone}}
    adjust: 1
  - name: bedridden_first
    kind: priority
    need:
      tags: {{has: bedridden}}
    adjust: 1
  - name: infants_first_in_incident
    kind: priority
    modes: [incident]
    need:
      tags: {{has: infant}}
    adjust: 1
"""


@pytest.fixture(scope="module")
def cadre(server: Server) -> Api:
    """c1 under the rules above, in normal times."""
    (server.data_dir / "profiles" / f"{PROFILE}.yaml").write_text(RULES, encoding="utf-8")
    Api(server, server.token(Role.STREET, street="s1")).ok(
        "PUT", "/communities/c1/profile", {"profile": PROFILE}
    )
    return api_for(server, Role.CADRE)


def report(api: Api, priority: int, *tags: str, community: str = "c1") -> dict[str, Any]:
    body = {
        "capability": "supply.water",
        "quantity": 1,
        "location": "g2_2",
        "priority": priority,
        "tags": tags,
    }
    return api.ok("POST", f"/communities/{community}/needs", body)  # type: ignore[no-any-return]


def test_needs_are_listed_by_the_priority_in_force_with_the_reported_one_beside_it(cadre: Api) -> None:
    plain = report(cadre, 4)
    raised = report(cadre, 3, "elderly_alone", "bedridden")
    top = report(cadre, 5)
    assert (raised["priority"], raised["reported_priority"]) == (5, 3)
    # The rules that moved it, in the profile's order.
    assert raised["priority_rules"] == ["elderly_alone_first", "bedridden_first"]
    mine = {plain["id"], raised["id"], top["id"]}
    listed = [n for n in cadre.ok("GET", "/communities/c1/needs?status=open") if n["id"] in mine]
    # By the reported priority the order would be top, plain, raised.
    assert [(n["id"], n["priority"], n["reported_priority"]) for n in listed] == [
        (raised["id"], 5, 3),
        (top["id"], 5, 5),
        (plain["id"], 4, 4),
    ]
    assert cadre.ok("GET", f"/communities/c1/needs/{plain['id']}")["priority_rules"] == []

    # An update sets the reported priority; the rules are applied to it again.
    updated = cadre.ok("PATCH", f"/communities/c1/needs/{raised['id']}", {"priority": 1})
    assert (updated["priority"], updated["reported_priority"]) == (3, 1)
    for id_ in mine:
        cadre.ok("POST", f"/communities/c1/needs/{id_}/cancel", {})


@pytest.mark.parametrize("priority", [0, 6])
def test_a_priority_off_the_scale_is_refused_naming_the_field(cadre: Api, priority: int) -> None:
    body = {"capability": "supply.water", "quantity": 1, "location": "g2_2", "priority": priority}
    response = cadre.post("/communities/c1/needs", body)
    assert response.status_code == 422
    assert "priority" in response.text and ("1" if priority == 0 else "5") in response.text


def test_the_websocket_carries_the_priority_in_force(server: Server, cadre: Api) -> None:
    async def scenario() -> None:
        client = await Client(server.ws_url, cadre.token).open()
        assert (await client.subscribe("community:c1"))["type"] == "subscribed"
        assert (await client.next())["type"] == "snapshot"
        raised = report(cadre, 2, "elderly_alone")
        baby = report(cadre, 2, "infant")
        message = await client.until(
            lambda m: m.get("type") == "need_reported" and m["data"]["event"]["need"]["id"] == raised["id"]
        )
        need = message["data"]["need"]
        assert (need["id"], need["priority"], need["reported_priority"]) == (raised["id"], 3, 2)
        assert need["priority_rules"] == ["elderly_alone_first"]
        # The event itself says what was reported.
        assert message["data"]["event"]["need"]["priority"] == 2

        updated = cadre.ok("PATCH", f"/communities/c1/needs/{raised['id']}", {"priority": 4})
        assert updated["priority"] == 5
        message = await client.until(lambda m: m.get("type") == "need_updated")
        assert (message["data"]["need"]["priority"], message["data"]["need"]["reported_priority"]) == (5, 4)

        # The incident-only rule moves the open need the mode change touches, in the same message.
        incident = cadre.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
        message = await client.until(lambda m: m.get("type") == "incident_triggered")
        moved = {p["id"]: (p["priority"], p["reported_priority"]) for p in message["data"]["priorities"]}
        assert moved[baby["id"]] == (3, 2) and moved[raised["id"]] == (5, 4)
        cadre.ok("POST", f"/communities/c1/incidents/{incident['id']}/close")
        message = await client.until(lambda m: m.get("type") == "incident_closed")
        moved = {p["id"]: (p["priority"], p["reported_priority"]) for p in message["data"]["priorities"]}
        assert moved[baby["id"]] == (2, 2)
        await client.close()

    asyncio.run(scenario())
