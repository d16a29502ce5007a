"""Sign-in links: made by the street or the community head for a person, traded once for a token of that
person's, refused when used or expired (with a plain Chinese answer); signing out revokes the token and closes its
websockets."""

import asyncio
import base64
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text

from api.auth import Role, principal_for
from api.db.database import connect, default_url
from api.signin import LIFETIME, make_code, use_code
from tests.api.conftest import POSTGRES_URL, postgres_reachable
from tests.api.server import MAP, Api, Server, api_for
from tests.api.wsclient import Client

HEAD = "head-signin"


def code_of(link: str) -> str:
    fragment = urllib.parse.urlsplit(link).fragment
    assert fragment.startswith("signin="), link
    return fragment.removeprefix("signin=")


def sign_in(server: Server, code: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/signin", json={"code": code}, timeout=10)


def test_a_link_signs_its_person_in_once(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    made = street.post(
        "/communities/c1/signin-links", {"role": "grid_worker", "name": "wang", "grid": "g-east"}
    )
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["link"].startswith(server.url + "/#signin=")
    assert link["role"] == "grid_worker" and link["name"] == "wang"
    expires = datetime.fromisoformat(link["expires_at"])
    assert abs(expires - datetime.now(UTC) - LIFETIME) < timedelta(minutes=1)
    # The QR code is an SVG drawn on the server: a data: URL the console's policy lets it show.
    assert link["qr"].startswith("data:image/svg+xml")
    svg = urllib.parse.unquote(link["qr"].split(",", 1)[1]) if "base64" not in link["qr"] else ""
    assert "<svg" in (svg or base64.b64decode(link["qr"].split(",", 1)[1]).decode())

    code = code_of(link["link"])
    first = sign_in(server, code)
    assert first.status_code == 200, first.text
    me = Api(server, first.json()["token"]).ok("GET", "/me")
    assert (me["role"], me["community"], me["grid"]) == ("grid_worker", "c1", "g-east")
    # The street's list shows the new token, so it can be revoked like any other.
    assert any(
        t["name"] == "wang" and t["role"] == "grid_worker" for t in street.ok("GET", "/communities/c1/tokens")
    )

    again = sign_in(server, code)
    assert again.status_code == 410
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "已经用过或已过期" in again.json()["detail"]
    assert sign_in(server, "no-such-code-at-all").status_code == 410


def test_an_expired_link_is_refused(server: Server) -> None:
    engine = connect(server.database_url or default_url(server.data_dir))
    try:
        made = make_code(
            engine,
            role=Role.OBSERVER,
            at=datetime.now(UTC) - LIFETIME - timedelta(seconds=1),
            made_by="test",
            community="c1",
            name="late",
        )
    finally:
        engine.dispose()
    refused = sign_in(server, made.code)
    assert refused.status_code == 410 and "过期" in refused.json()["detail"]


def test_two_phones_opening_one_link_at_once_get_one_token(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    code = code_of(
        street.ok("POST", "/communities/c1/signin-links", {"role": "observer", "name": "twice"})["link"]
    )
    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda _: sign_in(server, code), range(6)))
    assert statuses == [200, 410, 410, 410, 410, 410]
    listed = [t for t in street.ok("GET", "/communities/c1/tokens") if t["name"] == "twice"]
    assert len(listed) == 1


def test_only_those_who_give_tokens_make_links(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok("PUT", f"/communities/c1/members/{HEAD}", {"name": "书记", "role": "head"})
    head = Api(server, server.token(Role.CADRE, community="c1", name=HEAD))
    assert head.post("/communities/c1/signin-links", {"role": "cadre", "name": "li"}).status_code == 201
    cadre = api_for(server, Role.CADRE, "c1")
    assert cadre.post("/communities/c1/signin-links", {"role": "cadre", "name": "li"}).status_code == 403
    # The street's own staff, by the street (once its own pool is registered); another street's staff learn
    # nothing of it.
    street.ok("POST", "/streets", {"id": "s1", "name": "滨江街道", "profile": "fast_test", "map": MAP})
    assert street.post("/streets/s1/signin-links", {"role": "street", "name": "zhao"}).status_code == 201
    other = Api(server, server.token(Role.STREET, street="s2"))
    assert other.post("/streets/s1/signin-links", {"role": "street", "name": "zhao"}).status_code == 404
    bad = street.post("/communities/c1/signin-links", {"role": "cadre", "name": "li", "grid": "g1"})
    assert bad.status_code == 422 and "grid" in bad.text


def test_signing_out_revokes_the_token_and_closes_its_sockets(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    code = code_of(
        street.ok("POST", "/communities/c1/signin-links", {"role": "observer", "name": "out"})["link"]
    )
    person = Api(server, sign_in(server, code).json()["token"])

    async def scenario() -> None:
        client = await Client(server.ws_url, person.token).open()
        assert (await client.subscribe("community:c1"))["type"] == "subscribed"
        start = time.monotonic()
        out = await asyncio.to_thread(person.post, "/signout")
        assert out.status_code == 204
        assert client.connection is not None
        await asyncio.wait_for(client.connection.wait_closed(), 2.0)
        assert time.monotonic() - start < 2.0 and client.connection.close_code == 4401

    asyncio.run(scenario())
    assert person.get("/me").status_code == 401
    [row] = [t for t in street.ok("GET", "/communities/c1/tokens") if t["name"] == "out"]
    assert row["revoked_at"] is not None and "signed out" in row["revoked_by"]


def test_on_postgresql_a_code_is_used_once_and_its_day_is_kept() -> None:
    """The same as on SQLite (the server above): one token for six phones at once, and expiry read back in UTC
    from a plain TIMESTAMP column."""
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    schema = "pingzhan_signin_test"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {schema}"))
    engine = connect(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        now = datetime.now(UTC)
        code = make_code(engine, role=Role.OBSERVER, at=now, made_by="test", community="c1", name="pg").code
        with ThreadPoolExecutor(6) as pool:
            tokens = [t for t in pool.map(lambda _: use_code(engine, code, datetime.now(UTC)), range(6)) if t]
        assert len(tokens) == 1
        principal = principal_for(engine, tokens[0])
        assert principal is not None and (principal.role, principal.community) == (Role.OBSERVER, "c1")
        nearly = now - LIFETIME + timedelta(minutes=1)
        late = now - LIFETIME - timedelta(seconds=1)
        made = {
            at: make_code(engine, role=Role.OBSERVER, at=at, made_by="test", community="c1").code
            for at in (nearly, late)
        }
        assert use_code(engine, made[nearly], now) is not None
        assert use_code(engine, made[late], now) is None
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
