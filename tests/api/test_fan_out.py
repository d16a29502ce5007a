"""Fan-out of live messages: each subscriber gets a message as their role allows, subscribers who see the same
share it, and a client that stops reading is cut off without holding up anyone else, then resumes from its
last seq with nothing missed."""

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.auth import Role
from tests.api.server import Api, Server, api_for, build_world
from tests.api.wsclient import Client

CHANNEL = "community:c1"
PHONE, MASKED = "13812345678", "138****5678"
# Cut off past this many messages waiting: small, so that a test reaches it.
QUEUE_LIMIT = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("fan-out")), extra=["--ws-queue-limit", str(QUEUE_LIMIT)]).start()
    build_world(s)
    yield s
    s.stop()


def _need(**extra: Any) -> dict[str, Any]:
    return {"capability": "supply.water", "quantity": 1, "location": "g1_1", "priority": 2, **extra}


async def _report(cadre: Api, **extra: Any) -> str:
    # Off the event loop, so that the clients of this test keep reading meanwhile.
    need: dict[str, Any] = await asyncio.to_thread(cadre.ok, "POST", "/communities/c1/needs", _need(**extra))
    return str(need["id"])


def _reported(client: Client, need: str) -> dict[str, Any] | None:
    return next(
        (m for m in client.received if m.get("type") == "need_reported" and m["data"]["need"]["id"] == need),
        None,
    )


def test_each_subscriber_gets_a_message_as_their_role_allows(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    tokens = {
        "cadre": cadre.token,
        "another cadre": api_for(server, Role.CADRE, name="cadre-2").token,
        "grid worker": api_for(server, Role.GRID_WORKER).token,
        "street": server.token(Role.STREET, street="s1"),
    }

    async def scenario() -> dict[str, dict[str, Any]]:
        clients = {who: await Client(server.ws_url, token).open() for who, token in tokens.items()}
        for client in clients.values():
            assert (await client.subscribe(CHANNEL))["type"] == "subscribed"
        need = await _report(cadre, contact_phone=PHONE)
        got = {
            who: await client.until(lambda m: m.get("type") == "need_reported", timeout=10)
            for who, client in clients.items()
        }
        for client in clients.values():
            await client.close()
        assert all(m["data"]["need"]["id"] == need for m in got.values())
        return got

    got = asyncio.run(scenario())
    phones = {who: m["data"]["event"]["contact_phone"] for who, m in got.items()}
    assert phones == {"cadre": PHONE, "another cadre": PHONE, "grid worker": MASKED, "street": MASKED}
    assert got["cadre"] == got["another cadre"] and got["grid worker"] == got["street"]


def test_a_client_that_stops_reading_is_cut_off_and_resumes_with_nothing_missed(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)

    async def scenario() -> None:
        fast = await Client(server.ws_url, cadre.token).open()
        await fast.subscribe(CHANNEL)
        reading = asyncio.create_task(fast.drain(quiet=60))
        # Big snapshots to ask for: on loopback the kernel holds megabytes for a client that reads nothing.
        for _ in range(60):
            await _report(cadre, note="长" * 1000)
        # A client with a small receive buffer that asks for a snapshot many times and reads none of it.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.connect(("127.0.0.1", server.port))
        slow = await connect(
            server.ws_url,
            sock=sock,
            additional_headers={"Authorization": f"Bearer {cadre.token}"},
            max_queue=1,
            ping_interval=None,
            compression=None,
        )
        for _ in range(60):
            await slow.send(json.dumps({"type": "subscribe", "channels": {CHANNEL: None}}))
        await asyncio.sleep(0.5)
        # Live messages now wait for the slow client past its limit, and the fast one gets every one.
        needs = [await _report(cadre) for _ in range(QUEUE_LIMIT + 5)]
        deadline = asyncio.get_running_loop().time() + 10
        while not all(_reported(fast, n) for n in needs):
            assert asyncio.get_running_loop().time() < deadline, "the fast client was held up"
            await asyncio.sleep(0.05)
        reading.cancel()
        # The slow client reads at last: what was in its socket, then the end of the connection.
        last = -1
        with pytest.raises(ConnectionClosed):
            while True:
                message = json.loads(await asyncio.wait_for(slow.recv(), 10))
                last = max(last, message.get("seq", -1) if message.get("type") != "subscribed" else -1)
        assert slow.close_code in (4008, 1006)
        newest = max(m["seq"] for m in fast.received if m.get("channel") == CHANNEL and "seq" in m)
        assert 0 <= last < newest, "it was cut off before the last messages"
        # Back with its last seq: exactly what it missed, in order.
        again = Client(server.ws_url, cadre.token)
        await again.open()
        await again.subscribe(CHANNEL, last)
        seqs = [m["seq"] for m in await again.drain(1.0) if m.get("channel") == CHANNEL]
        # Everything after its last seq, with no gap, up to what the fast client had (and what came since).
        assert seqs == list(range(last + 1, last + 1 + len(seqs))) and seqs[-1] >= newest
        assert all(_reported(again, n) for n in needs if (_reported(fast, n) or {}).get("seq", 0) > last)
        await again.close()
        await fast.close()

    asyncio.run(scenario())
