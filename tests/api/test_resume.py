"""A client that reconnects with its last seq per channel gets exactly what it missed, or a snapshot
marked as such when it missed more than the server keeps for resuming."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.auth import Role
from tests.api.server import Server, api_for, build_world
from tests.api.wsclient import Client

RESUME_LIMIT = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("resume")), extra=["--resume-limit", str(RESUME_LIMIT)]).start()
    build_world(s)
    yield s
    s.stop()


def _channel_messages(client: Client, channel: str) -> list[tuple[int, str, object]]:
    return [
        (m["seq"], m["type"], m["data"])
        for m in client.received
        if m.get("channel") == channel and m.get("type") not in ("snapshot", "subscribed")
    ]


def test_resume_receives_exactly_what_was_missed(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    channel = "community:c1"

    async def scenario() -> None:
        steady = await Client(server.ws_url, cadre.token).open()
        await steady.subscribe(channel)
        await steady.next()  # snapshot
        leaving = await Client(server.ws_url, cadre.token).open()
        await leaving.subscribe(channel)
        snapshot = await leaving.next()
        cadre.ok(
            "POST",
            "/communities/c1/needs",
            {"capability": "supply.water", "quantity": 2, "location": "g1_1", "priority": 2},
        )
        await leaving.until(lambda m: m.get("type") == "plan_proposed")
        last = leaving.last[channel]
        assert last > snapshot["seq"]
        await leaving.close()
        # While it is away: a report and the plan that follows it.
        cadre.ok(
            "POST",
            "/communities/c1/needs",
            {"capability": "supply.water", "quantity": 3, "location": "g3_1", "priority": 3},
        )
        await steady.until(lambda m: m.get("type") == "plan_proposed" and m["seq"] > last + 1)
        await steady.drain(0.5)
        back = await Client(server.ws_url, cadre.token).open()
        subscribed = await back.subscribe(channel, last)
        await back.drain(0.5)
        missed = [m for m in _channel_messages(steady, channel) if m[0] > last]
        assert missed and _channel_messages(back, channel) == missed
        assert subscribed["seq"] == missed[-1][0]
        assert not any(m.get("type") == "snapshot" for m in back.received)
        for client in (steady, back):
            await client.close()

    asyncio.run(scenario())


def test_missing_too_much_gets_a_snapshot_then_live_messages(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    channel = "community:c2"

    async def scenario() -> None:
        away = await Client(server.ws_url, cadre.token).open()
        await away.subscribe(channel)
        first = await away.next()
        last = first["seq"]
        await away.close()
        for k in range(RESUME_LIMIT + 2):
            cadre.ok(
                "POST",
                "/communities/c2/needs",
                {"capability": "supply.water", "quantity": 1, "location": f"g{k % 5}_4", "priority": 1},
            )
        await asyncio.sleep(0.5)
        back = await Client(server.ws_url, cadre.token).open()
        subscribed = await back.subscribe(channel, last)
        snapshot = await back.next()
        assert snapshot["type"] == "snapshot" and snapshot["snapshot"] is True
        assert snapshot["seq"] == subscribed["seq"] > last + RESUME_LIMIT
        assert len([n for n in snapshot["data"]["needs"] if n["status"] == "open"]) >= RESUME_LIMIT + 2
        cadre.ok(
            "POST",
            "/communities/c2/needs",
            {"capability": "supply.water", "quantity": 1, "location": "g0_0", "priority": 1},
        )
        live = await back.until(lambda m: m.get("type") == "need_reported")
        assert live["seq"] == snapshot["seq"] + 1
        await back.close()

    asyncio.run(scenario())
