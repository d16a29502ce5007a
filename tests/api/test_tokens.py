"""Revoking tokens: by the street, the community head or the command line; the holder's open websockets close
within 2 s in every server process, and a revoked token is refused everywhere from then on.

The module's server (tests/api/conftest.py) keeps the default limit on failed authentications; the few
refusals here stay well under it.
"""

import asyncio
import contextlib
import itertools
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from api.auth import Role
from tests.api.conftest import POSTGRES_URL, reset_postgres
from tests.api.server import MAP, Api, Server, api_for, build_world, free_port
from tests.api.wsclient import Client
from tests.launcher import launcher

HEAD = "head-tokens"
NAMES = itertools.count(1)
# The periodic re-read of a socket's token on a server of its own (serve --token-recheck-s; RECHECK_S by
# default): the module's server keeps the default, so that a close seen there within 2 s is the notice's.
RECHECK_TEST_S = 1.0


@pytest.fixture(scope="module")
def people(server: Server) -> dict[str, Api]:
    street = Api(server, server.token(Role.STREET, street="s1", name="街道-王"))
    street.ok("PUT", "/communities/c1/members/" + HEAD, {"name": "书记", "role": "head"})
    return {
        "street": street,
        "street2": Api(server, server.token(Role.STREET, street="s2")),
        "head": Api(server, server.token(Role.CADRE, community="c1", name=HEAD)),
        "cadre": api_for(server, Role.CADRE, "c1"),
    }


@pytest.fixture(scope="module")
def rechecking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    extra = ["--token-recheck-s", str(RECHECK_TEST_S)]
    s = Server(Path(tmp_path_factory.mktemp("recheck")), extra=extra).start()
    build_world(s)
    yield s
    s.stop()


def number_of(keeper: Api, listing: str, name: str, token: str) -> int:
    """The number of the token held by ``name`` in ``keeper``'s list, which never shows a token itself."""
    listed = keeper.ok("GET", listing)
    assert token not in str(listed)
    [number] = [t["id"] for t in listed if t["name"] == name]
    return int(number)


def holder(server: Server, keeper: Api, role: Role, community: str, **binding: str) -> tuple[Api, int]:
    """A new token of ``community`` held by a name no other token has, and its number."""
    name = binding.pop("name", f"{role.value}-{next(NAMES)}")
    api = api_for(server, role, community, name=name, **binding)
    return api, number_of(keeper, f"/communities/{community}/tokens", name, api.token)


async def closed_within(connection: Any, timeout: float) -> tuple[float, int | None, str | None]:
    """Wait for the server to close ``connection``: seconds taken, close code and reason."""
    start = time.monotonic()
    await asyncio.wait_for(connection.wait_closed(), timeout)
    return time.monotonic() - start, connection.close_code, connection.close_reason


async def refused_handshake(url: str, token: str) -> int:
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}):
            pass
    return refusal.value.response.status_code


def test_revoking_closes_open_sockets_within_2_s_and_refuses_the_token(
    server: Server, people: dict[str, Api]
) -> None:
    victim, number = holder(server, people["street"], Role.OBSERVER, "c1")

    async def scenario() -> None:
        listening = await Client(server.ws_url, victim.token).open()
        assert (await listening.subscribe("community:c1"))["type"] == "subscribed"
        idle = await Client(server.ws_url, victim.token).open()  # connected, subscribed to nothing
        bystander = await Client(server.ws_url, people["cadre"].token).open()
        assert (await bystander.subscribe("community:c1"))["type"] == "subscribed"
        start = time.monotonic()
        revoked = await asyncio.to_thread(people["street"].post, f"/communities/c1/tokens/{number}/revoke")
        assert revoked.status_code == 200, revoked.text
        for client in (listening, idle):
            assert client.connection is not None
            await closed_within(client.connection, 2.0)
            elapsed = time.monotonic() - start
            assert elapsed < 2.0, f"closed {elapsed:.3f} s after the revocation was sent"
            assert client.connection.close_code == 4401
            assert client.connection.close_reason is not None and "revoked" in client.connection.close_reason
        # The cadre's connection on the same channel is untouched.
        assert bystander.connection is not None and bystander.connection.close_code is None
        await bystander.connection.send('{"type": "ping"}')
        await bystander.until(lambda m: m.get("type") == "pong")
        await bystander.close()
        assert await refused_handshake(server.ws_url, victim.token) == 403

    asyncio.run(scenario())
    refused = victim.get("/communities/c1")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_revocation_is_kept_with_who_and_when_and_revoking_again_changes_nothing(
    server: Server, people: dict[str, Api]
) -> None:
    street = people["street"]
    _, number = holder(server, street, Role.GRID_WORKER, "c1", name="网格员-李")
    before = time.time()
    first = street.ok("POST", f"/communities/c1/tokens/{number}/revoke")
    assert first["id"] == number and first["role"] == "grid_worker" and first["name"] == "网格员-李"
    assert first["revoked_by"] == "street:街道-王"
    assert abs(_epoch(first["revoked_at"]) - before) < 30
    assert set(first) == {
        "id",
        "role",
        "street",
        "community",
        "organisation",
        "grid",
        "name",
        "created_at",
        "revoked_at",
        "revoked_by",
    }
    # By someone else, later: the first revocation stands.
    again = people["head"].ok("POST", f"/communities/c1/tokens/{number}/revoke")
    assert again == first
    [listed] = [t for t in street.ok("GET", "/communities/c1/tokens") if t["id"] == number]
    assert listed == first


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_the_head_keeps_their_community_and_the_street_its_street(
    server: Server, people: dict[str, Api]
) -> None:
    head, cadre, street, street2 = people["head"], people["cadre"], people["street"], people["street2"]
    other, other_number = holder(server, street, Role.CADRE, "c2")
    own, own_number = holder(server, head, Role.OBSERVER, "c1")
    # Only community tokens are the community's: the street's own staff are listed by the street.
    assert {t["role"] for t in head.ok("GET", "/communities/c1/tokens")} <= {
        "cadre",
        "organisation",
        "grid_worker",
        "captain",
        "observer",
    }
    assert "街道-王" not in {t["name"] for t in head.ok("GET", "/communities/c1/tokens")}

    def status(api: Api, method: str, path: str) -> int:
        response = api.client.request(method, path)
        assert response.headers["content-type"].startswith("application/problem+json") or response.is_success
        return response.status_code

    # A cadre who is not the head: forbidden, list and revoke alike.
    assert status(cadre, "GET", "/communities/c1/tokens") == 403
    assert status(cadre, "POST", f"/communities/c1/tokens/{own_number}/revoke") == 403
    # The head of c1, asking c1 about a token of c2: not found, as if there were none.
    assert status(head, "POST", f"/communities/c1/tokens/{other_number}/revoke") == 404
    assert status(head, "GET", "/communities/c2/tokens") == 404
    # Street s2: c1 is not theirs, nor is c1's token theirs in c3, nor s1's street tokens.
    assert status(street2, "GET", "/communities/c1/tokens") == 404
    assert status(street2, "POST", f"/communities/c1/tokens/{own_number}/revoke") == 404
    assert status(street2, "POST", f"/communities/c3/tokens/{own_number}/revoke") == 404
    assert status(street2, "GET", "/streets/s1/tokens") == 404
    street_number = next(t["id"] for t in street.ok("GET", "/streets/s1/tokens") if t["name"] == "街道-王")
    assert status(street2, "POST", f"/streets/s2/tokens/{street_number}/revoke") == 404
    assert status(street2, "POST", "/communities/c3/tokens/999999/revoke") == 404
    assert status(head, "GET", "/streets/s1/tokens") == 403
    # None of it revoked anything.
    assert other.get("/communities/c2").status_code == 200 and own.get("/communities/c1").status_code == 200
    # The head revokes in their own community; the street revokes its own staff.
    assert head.ok("POST", f"/communities/c1/tokens/{own_number}/revoke")["revoked_by"] == f"cadre:{HEAD}"
    assert own.get("/communities/c1").status_code == 401
    colleague = Api(server, server.token(Role.STREET, street="s1", name="街道-赵"))
    number = next(t["id"] for t in street.ok("GET", "/streets/s1/tokens") if t["name"] == "街道-赵")
    assert street.ok("POST", f"/streets/s1/tokens/{number}/revoke")["revoked_by"] == "street:街道-王"
    assert colleague.get("/communities").status_code == 401
    assert street.get("/communities").status_code == 200


def test_a_revoked_token_cannot_subscribe_even_when_no_notice_came(
    server: Server, people: dict[str, Api], rechecking: Server
) -> None:
    """Revoked on the command line with no --pubsub, the server is not told: a subscribe re-reads the token,
    and a socket that asks nothing is closed by the periodic re-read (on a server re-reading every second)."""
    street = people["street"]
    subscribing, first = holder(server, street, Role.OBSERVER, "c1")
    street_there = Api(rechecking, rechecking.token(Role.STREET, street="s1"))
    idle, second = holder(rechecking, street_there, Role.OBSERVER, "c1")

    async def scenario() -> None:
        client = await Client(server.ws_url, subscribing.token).open()
        assert (await client.subscribe("community:c1"))["type"] == "subscribed"
        revoke = await asyncio.to_thread(cli, server, "revoke", str(first))
        assert revoke.returncode == 0, revoke.stderr
        assert client.connection is not None
        start = time.monotonic()
        await client.connection.send('{"type": "subscribe", "channels": {"community:c1": null}}')
        await closed_within(client.connection, 2.0)
        assert client.connection.close_code == 4401 and time.monotonic() - start < 2.0
        # Whatever came before the close, the channel it was granted before was not granted again.
        with contextlib.suppress(ConnectionClosed):
            while True:
                await client.next(1.0)
        assert [m["type"] for m in client.received].count("subscribed") == 1

        quiet = await Client(rechecking.ws_url, idle.token).open()
        assert quiet.connection is not None
        closing = asyncio.create_task(closed_within(quiet.connection, RECHECK_TEST_S + 10))
        revoke = await asyncio.to_thread(cli, rechecking, "revoke", str(second))
        assert revoke.returncode == 0, revoke.stderr
        await closing
        [revoked] = [t for t in street_there.ok("GET", "/communities/c1/tokens") if t["id"] == second]
        assert quiet.connection.close_code == 4401
        assert time.time() - _epoch(revoked["revoked_at"]) < RECHECK_TEST_S + 2

    asyncio.run(scenario())


def cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return launcher.call(["token", *args, "--data-dir", str(server.data_dir)], timeout=60)


def test_token_list_and_revoke_on_the_command_line(server: Server) -> None:
    holder = api_for(server, Role.ORGANISATION, "c2", name="蓝天救援队-陈")
    listed = cli(server, "list")
    assert listed.returncode == 0, listed.stderr
    assert holder.token not in listed.stdout and "pz_" not in listed.stdout
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["id", "role", "binding", "name", "created", "(UTC)", "revoked", "(UTC)"]
    [row] = [r for r in rows if "蓝天救援队-陈" in r]
    number = row.split()[0]
    assert row.split()[1:5] == ["organisation", "community=c2", "organisation=c2-boats", "蓝天救援队-陈"]
    assert row.rstrip().endswith("-")

    revoked = cli(server, "revoke", number, "--by", "值班员")
    assert revoked.returncode == 0, revoked.stderr
    assert f"token {number} " in revoked.stdout and "by cli:值班员" in revoked.stdout
    assert holder.get("/communities/c2").status_code == 401
    [row] = [r for r in cli(server, "list").stdout.splitlines() if "蓝天救援队-陈" in r]
    assert "by cli:值班员" in row
    # Again: the first revocation stands.
    assert "by cli:值班员" in cli(server, "revoke", number, "--by", "someone-else").stdout

    for bad, field in (("x7", "'x7'"), ("0", "'0'"), ("999999", "no token 999999")):
        refused = cli(server, "revoke", bad)
        assert refused.returncode == 2
        [line] = refused.stderr.splitlines()
        assert line.startswith("pingzhan: token revoke: id: ") and field in line, line
    wrong_pubsub = cli(server, "revoke", number, "--pubsub", "memory://")
    assert wrong_pubsub.returncode == 2 and "--pubsub" in wrong_pubsub.stderr


# -- every server process ------------------------------------------------------------------------------


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's own: other tests' servers never hear these notices, nor these servers theirs."""
    port = free_port()
    try:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        pytest.skip("redis-server is not installed")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port, socket_connect_timeout=0.5).ping():
                break
        except redis.RedisError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def test_a_revocation_closes_sockets_on_every_server_process(tmp_path: Path, redis_url: str) -> None:
    """Two processes on one database (PostgreSQL: SQLite takes one server) and one Redis: revoked through one,
    the socket on the other closes."""
    reset_postgres()
    first = Server(tmp_path / "first", POSTGRES_URL, extra=["--pubsub", redis_url]).start()
    (tmp_path / "second").mkdir()
    shutil.copy(tmp_path / "first" / "pii.key", tmp_path / "second" / "pii.key")
    second = Server(tmp_path / "second", POSTGRES_URL, extra=["--pubsub", redis_url]).start()
    try:
        street = Api(first, first.token(Role.STREET, street="s1"))
        street.ok("POST", "/communities", {"id": "c1", "street": "s1", "profile": "fast_test", "map": MAP})
        revocations = {
            "api": lambda n: street.ok("POST", f"/communities/c1/tokens/{n}/revoke"),
            "cli": lambda n: cli(first, "revoke", str(n), "--pubsub", redis_url, "--database", POSTGRES_URL),
        }

        async def scenario() -> None:
            for by, revoke in revocations.items():
                token = first.token(Role.OBSERVER, community="c1", name=by)
                number = number_of(street, "/communities/c1/tokens", by, token)
                # Opened on the second process, which never sees the revoking request.
                client = await Client(second.ws_url, token).open()
                assert client.connection is not None
                closing = asyncio.create_task(closed_within(client.connection, 10.0))
                await asyncio.to_thread(revoke, number)
                await closing
                closed_at = time.time()
                [revoked] = [t for t in street.ok("GET", "/communities/c1/tokens") if t["id"] == number]
                # From the revocation as recorded: the command line takes seconds to start before it revokes.
                elapsed = closed_at - _epoch(revoked["revoked_at"])
                assert client.connection.close_code == 4401
                assert elapsed < 2.0, (by, elapsed)

        asyncio.run(scenario())
    finally:
        second.stop()
        first.stop()
