"""Live messages go on after Redis restarts: the server subscribes again, so a need reported once Redis is back
reaches a websocket opened before the restart and one opened after it."""

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.auth import Role
from tests.api.server import Api, Server, api_for, build_world, free_port
from tests.api.wsclient import Client

CHANNEL = "community:c1"


def _redis(port: int) -> subprocess.Popen[bytes]:
    """A Redis of this test's own, so that restarting it disturbs nobody else's."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")


@pytest.fixture
def redis_port() -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server to run a Redis of the test's own")
    port = free_port()
    running = [_redis(port)]
    yield port, running
    for process in running:
        process.kill()
        process.wait()


async def _heard(cadre: Api, client: Client, timeout: float) -> bool:
    """Report needs until the client hears of one (a need reported before the server subscribed again is not
    heard live): True once it does, False if nothing arrives in ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = {"capability": "supply.water", "quantity": 1, "location": "g1_1", "priority": 2}
        need = (await asyncio.to_thread(cadre.ok, "POST", "/communities/c1/needs", body))["id"]
        try:
            await client.until(
                lambda m, need=need: m.get("type") == "need_reported" and m["data"]["need"]["id"] == need,
                timeout=1,
            )
            return True
        except TimeoutError:
            continue
    return False


def test_live_messages_reach_websockets_after_redis_restarts(
    tmp_path: Path, redis_port: tuple[int, list[subprocess.Popen[bytes]]]
) -> None:
    port, running = redis_port
    server = Server(tmp_path, extra=["--pubsub", f"redis://127.0.0.1:{port}"]).start()
    try:
        build_world(server)
        cadre = api_for(server, Role.CADRE)

        async def scenario() -> tuple[bool, bool, bool]:
            before = await Client(server.ws_url, cadre.token).open()
            await before.subscribe(CHANNEL)
            heard_first = await _heard(cadre, before, 10)
            old = running.pop()
            old.terminate()
            old.wait()
            running.append(_redis(port))
            heard_open = await _heard(cadre, before, 15)
            after = await Client(server.ws_url, cadre.token).open()
            await after.subscribe(CHANNEL)
            heard_new = await _heard(cadre, after, 15)
            await before.close()
            await after.close()
            return heard_first, heard_open, heard_new

        assert asyncio.run(scenario()) == (True, True, True)
    finally:
        server.stop()
