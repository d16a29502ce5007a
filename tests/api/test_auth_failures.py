"""Failed authentication is limited per client address (api/throttle.py): past the limit, 429 with Retry-After
for REST and the websocket handshake alike; pages never count, and a valid token is never held back."""

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import HTTPException
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from api.auth import Role
from api.throttle import AuthFailures
from tests.api.server import Server
from tests.api.wsclient import Client
from tests.launcher import launcher


def test_failed_authentication_is_limited_per_address(tmp_path: Path) -> None:
    """The default: 20 failures a minute from one address, then 429 with Retry-After. Pages count nothing;
    a valid token from the same address is never held back."""
    server = Server(tmp_path).start()
    try:
        valid = server.token(Role.STREET, street="s1")
        for path in ("/", "/healthz", "/docs", "/openapi.json") * 10:
            assert httpx.get(server.url + path).status_code == 200
        url = server.url + "/api/v1/communities"
        answers = []
        for i in range(25):
            # Forged tokens and no token at all alike: both ask an authenticated route.
            headers = {} if i % 5 == 4 else {"Authorization": f"Bearer pz_wrong{i}"}
            answers.append(httpx.get(url, headers=headers))
        assert [r.status_code for r in answers] == [401] * 20 + [429] * 5
        for refused in answers[20:]:
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["status"] == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert "retry after" in refused.json()["detail"]
        assert httpx.get(url, headers={"Authorization": f"Bearer {valid}"}).status_code == 200

        async def websockets() -> None:
            with pytest.raises(InvalidStatus) as refusal:
                async with connect(server.ws_url, additional_headers={"Authorization": "Bearer pz_wrong"}):
                    pass
            assert refusal.value.response.status_code == 429
            assert 1 <= int(refusal.value.response.headers["Retry-After"]) <= 60
            client = await Client(server.ws_url, valid).open()
            assert (await client.subscribe("street:s1"))["type"] == "subscribed"
            await client.close()

        asyncio.run(websockets())
    finally:
        server.stop()


def test_the_window_slides_and_the_limit_is_checked_on_serve() -> None:
    now = [1000.0]
    failures = AuthFailures(3, clock=lambda: now[0])
    for _ in range(3):
        failures.failed("10.0.0.1")
        now[0] += 10
    with pytest.raises(HTTPException) as refused:
        failures.failed("10.0.0.1")
    assert refused.value.status_code == 429 and refused.value.headers == {"Retry-After": "30"}
    failures.failed("10.0.0.2")  # another address is its own
    now[0] += 30  # the first failure is a minute old: one more may come
    failures.failed("10.0.0.1")

    zero = launcher.call(["serve", "--auth-failures-per-minute", "0"], timeout=60)
    assert zero.returncode == 2
    assert zero.stderr.splitlines() == ["pingzhan: --auth-failures-per-minute: must be 1 or more (got 0)"]
