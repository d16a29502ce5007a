"""The attention bar over a real server: a life-safety dispatch not acknowledged in time or declined, a life-safety
need left with no one, the street's answer, and the job taken back from an organisation; opening an item, once,
for everyone of its audience, across a restart; who sees and opens what."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.auth import Role
from tests.api.server import Api, Server, api_for, wait_for
from tests.api.wsclient import Client

# The fast_test profile (tests/api/server.py): life-safety confirmed by itself, 3 s to acknowledge, 4 s to
# escalate.
MAP = {"grid": {"rows": 5, "cols": 5, "edge_s": 60}}
PLACE = "12栋1楼"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("attention"))).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world(server: Server) -> dict[str, Api]:
    street = Api(server, server.token(Role.STREET, street="s1"))
    for cid in ("a1", "a2"):
        street.ok(
            "POST",
            "/communities",
            {"id": cid, "street": "s1", "name": f"{cid}社区", "profile": "fast_test", "map": MAP},
        )
    for org, name in (("boats", "蓝天救援队"), ("crew", "红星救援队")):
        street.ok(
            "POST",
            "/communities/a1/organisations",
            {"id": f"a1-{org}", "kind": "social_organisation", "name": name},
        )
    for rid, org, place, name in (
        ("boat", "boats", "g0_0", "冲锋舟甲"),
        ("boat2", "crew", "g4_4", "冲锋舟乙"),
    ):
        street.ok(
            "POST",
            "/communities/a1/resources",
            {
                "id": f"a1-{rid}",
                "organisation": f"a1-{org}",
                "capability": "rescue.boat",
                "quantity": 1,
                "location": place,
                "name": name,
            },
        )
    # Life-safety is sent by itself in an incident only.
    street.ok("POST", "/communities/a1/incidents", {"kind": "flood", "level": 2})
    return {
        "street": street,
        "cadre": api_for(server, Role.CADRE, "a1", name="cadre-a"),
        "cadre2": api_for(server, Role.CADRE, "a1", name="cadre-b"),
        "other_cadre": api_for(server, Role.CADRE, "a2"),
        "observer": api_for(server, Role.OBSERVER, "a1"),
        "grid": api_for(server, Role.GRID_WORKER, "a1"),
        "grid2": api_for(server, Role.GRID_WORKER, "a1", name="grid-other"),
        "boats": api_for(server, Role.ORGANISATION, "a1", organisation="a1-boats"),
        "crew": api_for(server, Role.ORGANISATION, "a1", organisation="a1-crew"),
    }


PATH = "/communities/a1/attention"


def items(api: Api, **params: Any) -> list[dict[str, Any]]:
    return api.ok("GET", PATH + ("?opened=true" if params.get("opened") else ""))  # type: ignore[no-any-return]


def test_withdrawn_unmet_answered_and_opened_once_for_all_across_a_restart(
    server: Server, world: dict[str, Api]
) -> None:
    cadre, cadre2, boats, crew = world["cadre"], world["cadre2"], world["boats"], world["crew"]
    need = world["grid"].ok(
        "POST",
        "/communities/a1/needs",
        {"capability": "rescue.boat", "quantity": 1, "location": "g0_1", "priority": 5, "note": PLACE},
    )["id"]

    # The nearer boat is sent by itself (life-safety), stays silent, and its dispatch times out.
    withdrawn = wait_for(lambda: [i for i in items(cadre) if i["kind"] == "dispatch_withdrawn"], timeout=15)[
        0
    ]
    # The place by the name people use, with the address as typed; never a map node.
    where = withdrawn["place"]
    assert PLACE in where and "g0_" not in where
    assert withdrawn["text"] == f"生命安全派单已撤回：蓝天救援队 未在时限内接单 · {where}"
    assert (
        withdrawn["text_en"] == f"Life-safety dispatch withdrawn: 蓝天救援队 did not accept in time · {where}"
    )
    assert withdrawn["need"] == need and withdrawn["why"] == "timed_out" and withdrawn["opened_by"] is None
    assert "g0_" not in withdrawn["text"] + withdrawn["text_en"]
    # The organisation is told its job was taken back; the other organisation hears nothing of it.
    [job] = items(boats)
    assert (
        job["kind"] == "job_withdrawn"
        and job["text"] == f"任务已撤回：冲锋舟甲 · {where}（未在时限内接单），无需前往"
    )
    assert items(crew) == []

    # The other boat is sent next; its organisation declines: withdrawn again, with the reason.
    sent = wait_for(
        lambda: [d for d in crew.ok("GET", "/communities/a1/assignments") if d["status"] == "notified"]
    )[0]
    # The first item says what happened since.
    again = {i["id"]: i for i in items(cadre)}[withdrawn["id"]]
    assert (again["since"], again["since_en"]) == (
        "此后：已另派 红星救援队，等待接单",
        "Since: 红星救援队 sent, waiting to accept",
    )
    crew.ok("POST", f"/communities/a1/assignments/{sent['id']}/decline", {"note": "船坏了"})
    declined = wait_for(lambda: [i for i in items(cadre) if i.get("why") == "declined"])[0]
    assert declined["text"] == f"生命安全派单已撤回：红星救援队 拒绝接单（船坏了） · {where}"
    assert [i["kind"] for i in items(crew)] == []  # it said no itself
    # Nobody is left: the need is unmet, and it goes to the street, whose answer is an item too.
    [unmet] = wait_for(lambda: [i for i in items(cadre) if i["kind"] == "life_safety_unmet"])
    assert unmet["text"] == f"生命安全需求无人前往：救生艇 · {where}"
    assert unmet["text_en"] == f"Life-safety need, no one going: rescue boat · {where}"
    wait_for(lambda: cadre.ok("GET", f"/communities/a1/needs/{need}")["escalated"])
    street_items = wait_for(lambda: world["street"].ok("GET", PATH))
    assert {i["kind"] for i in street_items} <= {"dispatch_withdrawn", "life_safety_unmet"}
    world["street"].ok(
        "POST", f"/communities/a1/needs/{need}/answer", {"answer": "no_help", "note": "全部外出"}
    )
    answered = wait_for(lambda: [i for i in items(cadre) if i["kind"] == "escalation_answered"])[0]
    assert answered["text"] == f"街道已答复上报：街道暂无可派力量：全部外出 · {where}"

    # One cadre opens it: gone for every cadre and the observer; opening again changes nothing.
    first = cadre.ok("POST", f"{PATH}/{withdrawn['id']}/open")
    assert first["opened_by"] == "cadre:cadre-a" and first["opened_at"]
    assert withdrawn["id"] not in [i["id"] for i in items(cadre2)]
    assert withdrawn["id"] not in [i["id"] for i in items(world["observer"])]
    assert cadre2.ok("POST", f"{PATH}/{withdrawn['id']}/open")["opened_by"] == "cadre:cadre-a"
    # The street opens its own copy for itself; the organisation its job.
    assert withdrawn["id"] in [i["id"] for i in world["street"].ok("GET", PATH)]
    boats.ok("POST", f"{PATH}/{job['id']}/open")
    assert items(boats) == []

    server.stop()
    server.start()
    assert withdrawn["id"] not in [i["id"] for i in items(cadre)]
    assert declined["id"] in [i["id"] for i in items(cadre)]
    kept = {i["id"]: i for i in items(cadre, opened=True)}
    assert kept[withdrawn["id"]]["opened_by"] == "cadre:cadre-a"
    assert items(boats) == []


def test_who_sees_and_opens(world: dict[str, Api]) -> None:
    cadre, boats, crew = world["cadre"], world["boats"], world["crew"]
    job = wait_for(lambda: items(boats, opened=True))[0]
    community_item = wait_for(lambda: items(cadre, opened=True))[0]
    # An organisation never sees nor opens another's job, nor the community's items.
    assert crew.post(f"{PATH}/{job['id']}/open").status_code == 404
    assert boats.post(f"{PATH}/{community_item['id']}/open").status_code == 404
    # A cadre of another community does not even see this one.
    assert world["other_cadre"].get(PATH).status_code == 404
    assert world["other_cadre"].post(f"{PATH}/{community_item['id']}/open").status_code == 404
    # Observers read and never open; a grid worker reads the items of the needs they reported, and opens none.
    assert world["observer"].post(f"{PATH}/{community_item['id']}/open").status_code == 403
    mine = items(world["grid"])
    assert mine and {i["reported_by"] for i in mine} == {"grid_worker:grid_worker-test"}
    assert items(world["grid2"]) == []
    refused = world["grid"].post(f"{PATH}/{mine[0]['id']}/open")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert world["grid2"].post(f"{PATH}/{mine[0]['id']}/open").status_code == 404
    missing = cadre.post(f"{PATH}/no-such-item/open")
    assert missing.status_code == 404 and "no-such-item" in missing.json()["detail"]
    assert cadre.post(f"{PATH}/bad%20id/open").status_code == 422


def test_an_item_opened_leaves_every_open_page_of_its_audience_live(
    server: Server, world: dict[str, Api]
) -> None:
    cadre = world["cadre"]
    item = wait_for(lambda: items(cadre))[0]

    async def scenario() -> dict[str, Any]:
        other = await Client(server.ws_url, world["cadre2"].token, subprotocol=True).open()
        try:
            assert (await other.subscribe("community:a1"))["type"] == "subscribed"
            cadre.ok("POST", f"{PATH}/{item['id']}/open")
            return await other.until(lambda m: m.get("type") == "attention" and bool(m["data"].get("opened")))
        finally:
            await other.close()

    message = asyncio.run(scenario())
    [opened] = message["data"]["opened"]
    assert opened["id"] == item["id"] and opened["opened_by"] == "cadre:cadre-a"
    assert message["data"]["audience"] == "community"
