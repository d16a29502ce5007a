"""Normal times and escalation on a real server: scheduled matching with rotation, escalation to the street,
and fan-out through Redis."""

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from api.auth import Role
from tests.api.server import Api, Server, api_for, build_world, wait_for
from tests.api.wsclient import Client
from tests.launcher import launcher


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("modes"))).start()
    build_world(s)
    yield s
    s.stop()


def _dispatch_for(cadre: Api, c: str, need: str) -> dict:  # type: ignore[type-arg]
    return wait_for(
        lambda: next((d for d in cadre.ok("GET", f"/communities/{c}/assignments") if d["need"] == need), None)
    )


def test_normal_times_match_on_schedule_and_rotate_organisations(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c1")
    cadre.ok("POST", "/communities/c1/organisations", {"id": "c1-vols", "kind": "volunteer_team"})
    cadre.ok(
        "POST",
        "/communities/c1/resources",
        {
            "id": "c1-vols-water",
            "organisation": "c1-vols",
            "capability": "supply.water",
            "quantity": 50,
            "location": "g2_3",
        },
    )
    # In normal times nothing is confirmed by itself, even at priority 5.
    first = cadre.ok(
        "POST",
        "/communities/c1/needs",
        {"capability": "supply.water", "quantity": 1, "location": "g2_2", "priority": 5},
    )
    d1 = _dispatch_for(cadre, "c1", first["id"])
    assert d1["status"] == "proposed" and d1["resource"] == "c1-water"
    cadre.ok("POST", f"/communities/c1/assignments/{d1['id']}/confirm")
    # The shop has now been asked once: rotation asks the volunteers for the next one, a bit farther away.
    second = cadre.ok(
        "POST",
        "/communities/c1/needs",
        {"capability": "supply.water", "quantity": 1, "location": "g2_2", "priority": 2},
    )
    d2 = _dispatch_for(cadre, "c1", second["id"])
    assert d2["resource"] == "c1-vols-water"
    plan = cadre.ok("GET", "/communities/c1/plan")
    assert plan["incident"] is None and plan["exercise"] is False
    # The rotation rule is for normal times only: in an incident the nearest goes, asked before or not.
    cadre.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
    third = cadre.ok(
        "POST",
        "/communities/c1/needs",
        {"capability": "supply.water", "quantity": 1, "location": "g2_2", "priority": 2},
    )
    assert _dispatch_for(cadre, "c1", third["id"])["resource"] == "c1-water"


def test_an_uncovered_need_is_escalated_to_the_street(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    street = Api(server, server.token(Role.STREET, street="s1"))

    async def scenario() -> None:
        desk = await Client(server.ws_url, street.token).open()
        assert (await desk.subscribe("street:s1"))["type"] == "subscribed"
        await desk.next()  # snapshot
        cadre.ok("POST", "/communities/c2/incidents", {"kind": "outage", "level": 3})
        need = cadre.ok(
            "POST",
            "/communities/c2/needs",
            {"capability": "power.generator", "quantity": 1, "location": "g3_3", "priority": 4},
        )
        escalated = await desk.until(
            lambda m: m.get("type") == "need_escalated" and m["data"]["community"] == "c2", timeout=15
        )
        event = escalated["data"]["event"]
        assert escalated["data"]["community"] == "c2" and event["need"] == need["id"]
        assert event["suggestion"]["action"] == "escalate_to_street" and "power.generator" in event["detail"]
        assert cadre.ok("GET", f"/communities/c2/needs/{need['id']}")["escalated"] is True
        await desk.close()

    asyncio.run(scenario())


def _redis_up() -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping())
    except redis.RedisError:
        with socket.socket() as s:
            s.settimeout(0.5)
            if os.environ.get("CI") and s.connect_ex(("127.0.0.1", 6379)) == 0:
                pytest.fail("CI is set and port 6379 is open, but Redis does not answer")
        return False


def test_messages_fan_out_through_redis(tmp_path: Path) -> None:
    if not _redis_up():
        pytest.skip("no Redis server reachable")
    s = Server(tmp_path, extra=["--pubsub", "redis://127.0.0.1:6379"]).start()
    try:
        build_world(s)
        cadre = api_for(s, Role.CADRE, "c3")

        async def scenario() -> None:
            client = await Client(s.ws_url, cadre.token).open()
            await client.subscribe("community:c3")
            await client.next()
            cadre.ok("POST", "/communities/c3/incidents", {"kind": "flood", "level": 2})
            need = cadre.ok(
                "POST",
                "/communities/c3/needs",
                {"capability": "rescue.boat", "quantity": 1, "location": "g0_0", "priority": 3},
            )
            plan = await client.until(lambda m: m.get("type") == "plan_proposed")
            assert plan["data"]["changed"][0]["need"] == need["id"]
            await client.close()

        asyncio.run(scenario())
    finally:
        s.stop()


def test_token_command(tmp_path: Path) -> None:
    base = ["token", "create", "--data-dir", str(tmp_path)]
    missing = launcher.call([*base, "--role", "cadre"], timeout=60)
    assert missing.returncode == 2 and "--community" in missing.stderr and "Traceback" not in missing.stderr
    made = launcher.call([*base, "--role", "cadre", "--community", "c1", "--name", "王主任"], timeout=60)
    assert made.returncode == 0 and made.stdout.startswith("pz_")
    from api.auth import principal_for
    from api.db.database import connect, default_url

    engine = connect(default_url(tmp_path))
    principal = principal_for(engine, made.stdout.strip())
    assert principal is not None and principal.community == "c1" and principal.subject == "cadre:王主任"
    assert principal_for(engine, made.stdout.strip() + "x") is None
