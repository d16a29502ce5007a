"""Street tasks over a real server: issued to several communities at once, split by the community head,
submitted with evidence (a real photo), reviewed and scored under the profile's rules, and counted on the
score board (JSON and CSV).

Rosters: c1 has head h1, cadres ca and cb, grid worker gw1 (grid g1) and captain cap1 (building b1); c2 has
head h2 and cadre c2a; c3 (street s2, under a profile whose tasks are reviewed by the head) has head h3 and
cadre c3a. Tasks not part of the flow are due in ``LATER`` days, outside the flow's score period.
"""

import asyncio
import base64
import csv
import hashlib
import io
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.auth import Role
from tests.api.server import Api, Server, api_for, wait_for
from tests.api.wsclient import Client

LOCAL = ZoneInfo("Asia/Shanghai")
LATER = 40
HEAD_PROFILE = "tasks_by_head"
# Reviewed by the head; half the points kept when late at all, a quarter after an hour; partial work earns
# nothing.
HEAD_REVIEW = f"""
name: {HEAD_PROFILE}
title_zh: 书记审核任务
title_en: Tasks reviewed by the head
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 1
tasks:
  reviewer: head
  late:
    - {{after_h: 0, keep: 0.5}}
    - {{after_h: 1, keep: 0.25}}
  partial: none
rules: []
"""
ROSTERS = {
    "c1": {
        "h1": {"name": "赵书记", "role": "head"},
        "ca": {"name": "钱干部", "role": "cadre"},
        "cb": {"name": "孙干部", "role": "cadre"},
        "gw1": {"name": "李网格", "role": "grid_worker", "grid": "g1"},
        "cap1": {"name": "周楼长", "role": "captain", "building": "b1"},
    },
    "c2": {"h2": {"name": "吴书记", "role": "head"}, "c2a": {"name": "郑干部", "role": "cadre"}},
    "c3": {"h3": {"name": "王书记", "role": "head"}, "c3a": {"name": "冯干部", "role": "cadre"}},
}


def png(width: int, height: int, seed: int) -> bytes:
    """A real PNG: signature, IHDR, one IDAT of RGB rows, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + bytes((x * 40 + seed) % 256 for x in range(width) for _ in range(3)) for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def upload(data: bytes, content_type: str = "image/png") -> dict[str, str]:
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


def due(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


@dataclass
class World:
    server: Server
    street: Api
    street2: Api
    cadre: Api  # a cadre of c1 with no roster entry
    head: Api
    ca: Api
    cb: Api
    gw1: Api
    captain: Api
    organisation: Api
    observer: Api
    street_observer: Api
    head2: Api
    c2a: Api
    head3: Api
    c3a: Api

    def task(self, community: str, **body: Any) -> str:
        """A task issued to ``community`` alone, due in ``LATER`` days."""
        street = self.street2 if community == "c3" else self.street
        s = "s2" if community == "c3" else "s1"
        made = street.ok(
            "POST",
            f"/streets/{s}/tasks",
            {
                "title": "走访",
                "due_at": due(LATER * 86400),
                "points": 10,
                "evidence": ["text"],
                "communities": [community],
                **body,
            },
        )
        return str(made["id"])

    def events(self, community: str) -> list[dict[str, Any]]:
        street = self.street2 if community == "c3" else self.street
        return street.ok("GET", f"/communities/{community}/events?limit=1000")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    (server.data_dir / "profiles" / f"{HEAD_PROFILE}.yaml").write_text(HEAD_REVIEW, encoding="utf-8")
    street = Api(server, server.token(Role.STREET, street="s1"))
    street2 = Api(server, server.token(Role.STREET, street="s2"))
    street2.ok("PUT", "/communities/c3/profile", {"profile": HEAD_PROFILE})
    street.ok("PUT", "/communities/c1/grids/g1", {"name": "一网格"})
    street.ok("PUT", "/communities/c1/buildings/b1", {"name": "1号楼", "grid": "g1", "location": "g1_1"})
    for community, roster in ROSTERS.items():
        admin = street2 if community == "c3" else street
        for member, body in roster.items():
            admin.ok("PUT", f"/communities/{community}/members/{member}", body)

    def member(community: str, role: Role, name: str) -> Api:
        return api_for(server, role, community, name=name)

    w = World(
        server=server,
        street=street,
        street2=street2,
        cadre=api_for(server, Role.CADRE),
        head=member("c1", Role.CADRE, "h1"),
        ca=member("c1", Role.CADRE, "ca"),
        cb=member("c1", Role.CADRE, "cb"),
        gw1=member("c1", Role.GRID_WORKER, "gw1"),
        captain=member("c1", Role.CAPTAIN, "cap1"),
        organisation=api_for(server, Role.ORGANISATION),
        observer=api_for(server, Role.OBSERVER),
        street_observer=Api(server, server.token(Role.OBSERVER, street="s1")),
        head2=member("c2", Role.CADRE, "h2"),
        c2a=member("c2", Role.CADRE, "c2a"),
        head3=member("c3", Role.CADRE, "h3"),
        c3a=member("c3", Role.CADRE, "c3a"),
    )
    assert w.head.ok("GET", "/me")["member"]["role"] == "head"
    assert w.cadre.ok("GET", "/me")["member"] is None
    yield w
    for api in vars(w).values():
        if isinstance(api, Api):
            api.client.close()


def part(task: dict[str, Any], part_id: str) -> dict[str, Any]:
    return next(p for p in task["parts"] if p["id"] == part_id)


# -- the whole flow -----------------------------------------------------------------------------------------


def test_a_street_task_from_issue_to_score_board(world: World) -> None:
    photo_a, photo_b = png(4, 3, 7), png(5, 2, 99)
    sha_a = hashlib.sha256(photo_a).hexdigest()

    async def scenario() -> dict[str, Any]:
        community = await Client(world.server.ws_url, world.cadre.token).open()
        assert (await community.subscribe("community:c1"))["type"] == "subscribed"
        street = await Client(world.server.ws_url, world.street.token).open()
        assert (await street.subscribe("street:s1"))["type"] == "subscribed"
        await community.drain(0.2)
        await street.drain(0.2)
        try:
            return await flow(community, street)
        finally:
            await community.close()
            await street.close()

    async def flow(community: Client, street: Client) -> dict[str, Any]:
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        issued = world.street.post(
            "/streets/s1/tasks",
            {
                "title": "汛前入户走访",
                "description": "走访独居老人并登记",
                "due_at": deadline.isoformat(),
                "points": 100,
                "evidence": ["text", "number", "photo"],
                "communities": ["c1", "c2"],
            },
        )
        assert issued.status_code == 201, issued.text
        body = issued.json()
        tid = body["id"]
        assert len(tid) == 10 and tid.startswith("t-") and int(tid[2:], 16) >= 0
        assert body["communities"] == ["c1", "c2"]
        task = body["task"]
        assert task["id"] == tid and task["points"] == 100 and task["parts"] == []
        assert sorted(task["evidence"]) == ["number", "photo", "text"]
        assert task["overdue"] is False and task["finished"] is False and task["awarded"] == 0
        assert datetime.fromisoformat(task["due_at"]) == deadline
        assert task["issued_by"].startswith("street:")
        for api, c in ((world.cadre, "c1"), (world.c2a, "c2"), (world.street, "c1"), (world.street, "c2")):
            assert tid in {t["id"] for t in api.ok("GET", f"/communities/{c}/tasks")}, (c, api.token)
        assert tid not in {t["id"] for t in world.street2.ok("GET", "/communities/c3/tasks")}
        heard = await community.until(lambda m: m.get("type") == "task_issued")
        assert heard["data"]["task"]["id"] == tid

        split = world.head.ok(
            "PUT",
            f"/communities/c1/tasks/{tid}/parts",
            {
                "parts": [
                    {"title": "东片", "assignee": "ca", "points": 60},
                    {"title": "西片", "assignee": "cb", "points": 40},
                ]
            },
        )
        assert [(p["id"], p["assignee"], p["points"], p["status"]) for p in split["parts"]] == [
            ("p1", "ca", 60, "assigned"),
            ("p2", "cb", 40, "assigned"),
        ]
        assert split["split_at"] is not None
        world.head2.ok(
            "PUT",
            f"/communities/c2/tasks/{tid}/parts",
            {"parts": [{"id": "all", "title": "全部", "assignee": "c2a", "points": 100}]},
        )
        assert [t["id"] for t in world.ca.ok("GET", "/communities/c1/tasks?mine=true")] == [tid]
        assert tid not in {t["id"] for t in world.head.ok("GET", "/communities/c1/tasks?mine=true")}

        submitted = world.ca.ok(
            "POST",
            f"/communities/c1/tasks/{tid}/parts/p1/submission",
            {"text": "东片走访完毕", "number": 12, "photo": upload(photo_a), "note": "两户不在家"},
        )
        p1 = part(submitted, "p1")
        assert p1["status"] == "submitted" and p1["note"] == "两户不在家"
        assert p1["evidence"] == {"text": "东片走访完毕", "number": 12, "photo": sha_a}
        for api in (world.street, world.cadre, world.ca, world.observer):
            got = api.get(f"/communities/c1/photos/{sha_a}")
            assert got.status_code == 200, got.text
            assert got.content == photo_a and got.headers["content-type"] == "image/png"
        # Not a c2 photo, and not for an organisation's eyes.
        assert world.street.get(f"/communities/c2/photos/{sha_a}").status_code == 404
        assert world.organisation.get(f"/communities/c1/photos/{sha_a}").status_code in (403, 404)

        accepted = world.street.ok(
            "POST", f"/communities/c1/tasks/{tid}/parts/p1/review", {"verdict": "accept", "comment": "好"}
        )
        p1 = part(accepted, "p1")
        assert p1["status"] == "scored" and p1["awarded"] == 60 and p1["keep"] == 1
        assert p1["late_h"] == 0 and p1["reviewed_by"].startswith("street:")
        assert p1["review"]["verdict"] == "accept"
        assert datetime.now(UTC) < deadline, "too slow: the on-time half of the flow ran past the due time"

        # The due time passes with p2 not in: flagged, and the community hears of it.
        overdue = await community.until(lambda m: m.get("type") == "task_overdue", timeout=15)
        assert overdue["data"]["task"]["id"] == tid and overdue["data"]["task"]["overdue"] is True
        assert overdue["data"]["event"]["parts"] == ["p2"]
        on_street = await street.until(
            lambda m: m.get("type") == "task_overdue" and m["data"].get("community") == "c1", timeout=5
        )
        assert on_street["data"]["task"]["id"] == tid
        assert world.cadre.ok("GET", f"/communities/c1/tasks/{tid}")["overdue"] is True
        wait_for(lambda: world.c2a.ok("GET", f"/communities/c2/tasks/{tid}")["overdue"])

        late = world.cb.ok(
            "POST",
            f"/communities/c1/tasks/{tid}/parts/p2/submission",
            {"text": "西片", "number": 3, "photo": upload(photo_b)},
        )
        assert part(late, "p2")["status"] == "submitted"
        returned = world.street.ok(
            "POST",
            f"/communities/c1/tasks/{tid}/parts/p2/review",
            {"verdict": "return", "comment": "户数不对"},
        )
        p2 = part(returned, "p2")
        assert p2["status"] == "returned" and p2["awarded"] is None
        heard_return = await community.until(lambda m: m.get("type") == "part_returned")
        assert heard_return["data"]["event"]["comment"] == "户数不对"
        resubmitted = world.cb.ok(
            "POST",
            f"/communities/c1/tasks/{tid}/parts/p2/submission",
            {"text": "西片，已补", "number": 5, "photo": upload(photo_b)},
        )
        assert part(resubmitted, "p2")["evidence"]["number"] == 5
        partial = world.street.ok(
            "POST",
            f"/communities/c1/tasks/{tid}/parts/p2/review",
            {"verdict": "partial", "completion": 0.75},
        )
        p2 = part(partial, "p2")
        # 40 points × 0.75 done × 0.8 kept for being late (the default profile's first step).
        assert p2["status"] == "scored" and p2["late_h"] > 0 and p2["keep"] == 0.8
        assert p2["awarded"] == 24
        assert partial["finished"] is True and partial["awarded"] == 84

        world.c2a.ok(
            "POST",
            f"/communities/c2/tasks/{tid}/parts/all/submission",
            {"text": "完成", "number": 30, "photo": upload(photo_a)},
        )
        c2 = world.street.ok("POST", f"/communities/c2/tasks/{tid}/parts/all/review", {"verdict": "accept"})
        assert part(c2, "all")["awarded"] == 80 and part(c2, "all")["keep"] == 0.8
        await community.drain(0.3)
        kinds = [m["type"] for m in community.received if m.get("type", "").startswith(("task_", "part_"))]
        assert kinds == [
            "task_issued",
            "task_split",
            "part_submitted",
            "part_scored",
            "task_overdue",
            "part_submitted",
            "part_returned",
            "part_submitted",
            "part_scored",
        ]
        return {"id": tid, "due": deadline}

    issued = asyncio.run(scenario())
    tid = issued["id"]
    day = issued["due"].astimezone(LOCAL).date().isoformat()
    period = {"start": day, "end": day}

    scores = world.cadre.get("/communities/c1/scores", params=period)
    assert scores.status_code == 200, scores.text
    board = scores.json()
    assert board["start"] == day and board["end"] == day
    assert [t["id"] for t in board["tasks"]] == [tid]
    members = {m["member"]: m for m in board["members"]}
    assert members["ca"] == {
        "community": "c1",
        "member": "ca",
        "name": "钱干部",
        "parts": 1,
        "submitted": 1,
        "on_time": 1,
        "late": 0,
        "scored": 1,
        "points": 60,
        "awarded": 60,
    }
    assert members["cb"] == {
        **members["ca"],
        "member": "cb",
        "name": "孙干部",
        "on_time": 0,
        "late": 1,
        "points": 40,
        "awarded": 24,
    }
    assert members["h1"]["parts"] == 0 and members["h1"]["awarded"] == 0
    assert "cap1" not in members
    [row] = board["communities"]
    assert row == {
        "community": "c1",
        "tasks": 1,
        "points": 100,
        "awarded": 84,
        "overdue": 1,
        "parts": 2,
        "submitted": 2,
        "scored": 2,
        "late": 1,
    }
    assert sum(m["awarded"] for m in board["members"]) == row["awarded"] == board["tasks"][0]["awarded"]
    assert sum(m["points"] for m in board["members"]) == row["points"]

    exported = world.cadre.get("/communities/c1/scores.csv", params=period)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    assert csv_numbers(exported.content) == json_numbers(board)

    street_board = world.street.get("/streets/s1/scores", params=period)
    assert street_board.status_code == 200, street_board.text
    rows = {r["community"]: r for r in street_board.json()["communities"]}
    assert set(rows) == {"c1", "c2"}
    assert rows["c1"] == row
    assert rows["c2"]["awarded"] == 80 and rows["c2"]["late"] == 1 and rows["c2"]["tasks"] == 1
    assert {(m["community"], m["member"]) for m in street_board.json()["members"]} >= {
        ("c1", "ca"),
        ("c1", "cb"),
        ("c2", "c2a"),
    }
    observed = world.street_observer.get("/streets/s1/scores", params=period)
    assert (
        observed.status_code == 200 and observed.json()["communities"] == street_board.json()["communities"]
    )
    street_csv = world.street.get("/streets/s1/scores.csv", params=period)
    assert street_csv.status_code == 200
    assert csv_numbers(street_csv.content) == json_numbers(street_board.json())
    # No period given: the current calendar month where the communities are.
    today = datetime.now(LOCAL).date()
    month = world.cadre.ok("GET", "/communities/c1/scores")
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    assert (month["start"], month["end"]) == (first.isoformat(), last.isoformat())
    assert tid in {t["id"] for t in month["tasks"]}
    # Another period: nothing due in it.
    empty = world.cadre.ok("GET", "/communities/c1/scores?start=2020-01-01&end=2020-01-31")
    assert empty["tasks"] == [] and empty["communities"][0]["tasks"] == 0


def csv_numbers(content: bytes) -> set[tuple[str, ...]]:
    """The data rows of a score export, as text: header and blank rows left out."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows and rows[0][0] == "社区", rows[:1]
    assert not any(cell == "community" for cell in rows[0]), "the header row is Chinese"
    return {tuple(r) for r in rows if r and r[0] != "社区" and any(r)}


def json_numbers(board: dict[str, Any]) -> set[tuple[str, ...]]:
    """The JSON's rows as the CSV writes them: the community by its name, a member by name only (issue 15)."""
    names = board["community_names"]

    def row_of(row: dict[str, Any]) -> tuple[str, ...]:
        rest = (str(v) for k, v in row.items() if k not in ("community", "member"))
        return (names[row["community"]], *rest)

    def appeal_of(name: str, row: dict[str, Any]) -> tuple[str, ...]:
        # Residents' appeals (issue 17): counts, then the rates as percentages, then the mean stars.
        counts = [str(v) for k, v in row.items() if k not in ("community",)][:7]
        rates = [row[k] for k in ("response_rate", "resolution_rate", "satisfaction_rate")]
        shares = ["" if r is None else f"{r:.1%}" for r in rates]
        return (name, *counts, *shares, "" if row["mean_stars"] is None else str(row["mean_stars"]))

    appeals = {appeal_of(names[a["community"]], a) for a in board["appeals"]}
    appeals.add(appeal_of("合计", board["appeals_total"]))
    return {row_of(row) for row in (*board["members"], *board["communities"])} | appeals


# -- the profile's rules: reviewed by the head, its own late steps -------------------------------------------


def test_a_profile_whose_head_reviews_with_its_own_late_steps(world: World) -> None:
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    tid = world.street2.ok(
        "POST",
        "/streets/s2/tasks",
        {"title": "垃圾分类检查", "due_at": deadline.isoformat(), "points": 60, "communities": ["c3"]},
    )["id"]
    world.head3.ok(
        "PUT",
        f"/communities/c3/tasks/{tid}/parts",
        {
            "parts": [
                {"title": "一", "assignee": "h3", "points": 20},
                {"title": "二", "assignee": "c3a", "points": 30},
                {"title": "三", "assignee": "c3a", "points": 10},
            ]
        },
    )
    path = f"/communities/c3/tasks/{tid}/parts"
    world.head3.ok("POST", f"{path}/p1/submission", {})
    world.c3a.ok("POST", f"{path}/p3/submission", {"note": "按时"})
    assert datetime.now(UTC) < deadline, "too slow: the on-time submissions ran past the due time"
    # The head reviews here: not the street, not another cadre.
    for api in (world.street2, world.c3a):
        refused = api.post(f"{path}/p3/review", {"verdict": "accept"})
        assert refused.status_code == 403, refused.text
    assert part(world.street2.ok("GET", f"/communities/c3/tasks/{tid}"), "p3")["status"] == "submitted"
    on_time = world.head3.ok("POST", f"{path}/p3/review", {"verdict": "accept"})
    assert part(on_time, "p3")["awarded"] == 10 and part(on_time, "p3")["keep"] == 1
    # partial: none: partial work earns nothing, however much was done.
    partial = world.head3.ok("POST", f"{path}/p1/review", {"verdict": "partial", "completion": 0.9})
    assert part(partial, "p1")["status"] == "scored" and part(partial, "p1")["awarded"] == 0

    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.5)
    world.c3a.ok("POST", f"{path}/p2/submission", {})
    late = world.head3.ok("POST", f"{path}/p2/review", {"verdict": "accept"})
    p2 = part(late, "p2")
    # Late at all: this profile keeps half (the default would keep 0.8).
    assert p2["late_h"] > 0 and p2["keep"] == 0.5 and p2["awarded"] == 15
    assert late["awarded"] == 25 and late["finished"] is True
    # A scored part is not reviewed again.
    again = world.head3.post(f"{path}/p2/review", {"verdict": "accept"})
    assert again.status_code == 409, again.text
    assert world.street2.ok("GET", f"/communities/c3/tasks/{tid}") == late


# -- who may do what ------------------------------------------------------------------------------------------


def test_who_may_split_submit_review_and_read_scores(world: World) -> None:
    tid = world.task("c1", points=30)
    other = world.task("c2", points=30)
    world.head2.ok(
        "PUT",
        f"/communities/c2/tasks/{other}/parts",
        {"parts": [{"title": "x", "assignee": "c2a", "points": 30}]},
    )
    world.c2a.ok("POST", f"/communities/c2/tasks/{other}/parts/p1/submission", {"text": "done"})
    parts = {
        "parts": [
            {"title": "甲", "assignee": "ca", "points": 20},
            {"title": "乙", "assignee": "gw1", "points": 10},
        ]
    }
    before = world.street.ok("GET", f"/communities/c1/tasks/{tid}")
    for api in (world.ca, world.cadre, world.street, world.observer):
        refused = api.put(f"/communities/c1/tasks/{tid}/parts", parts)
        assert refused.status_code == 403, refused.text
    for api in (world.gw1, world.captain, world.organisation):
        refused = api.put(f"/communities/c1/tasks/{tid}/parts", parts)
        assert refused.status_code in (403, 404), refused.text
    assert world.head2.put(f"/communities/c1/tasks/{tid}/parts", parts).status_code == 404
    assert world.street.ok("GET", f"/communities/c1/tasks/{tid}") == before
    world.head.ok("PUT", f"/communities/c1/tasks/{tid}/parts", parts)

    # A grid worker sees the tasks with a part of theirs, and nothing else.
    assert [t["id"] for t in world.gw1.ok("GET", "/communities/c1/tasks")] == [tid]
    assert [t["id"] for t in world.gw1.ok("GET", "/communities/c1/tasks?mine=true")] == [tid]
    hidden = world.task("c1")
    assert world.gw1.get(f"/communities/c1/tasks/{hidden}").status_code == 404
    assert hidden not in {t["id"] for t in world.gw1.ok("GET", "/communities/c1/tasks")}
    assert world.captain.ok("GET", "/communities/c1/tasks") == []

    # Only the assignee submits, or the head on their behalf.
    path = f"/communities/c1/tasks/{tid}/parts"
    for api in (world.cb, world.cadre, world.street, world.captain):
        refused = api.post(f"{path}/p1/submission", {"text": "不是我的"})
        assert refused.status_code in (403, 404), refused.text
    assert world.gw1.post(f"{path}/p1/submission", {"text": "不是我的"}).status_code == 403
    assert world.street.ok("GET", f"/communities/c1/tasks/{tid}") == world.head.ok(
        "GET", f"/communities/c1/tasks/{tid}"
    )
    assert part(world.street.ok("GET", f"/communities/c1/tasks/{tid}"), "p1")["status"] == "assigned"
    world.gw1.ok("POST", f"{path}/p2/submission", {"text": "网格内已走访"})
    by_head = world.head.ok("POST", f"{path}/p1/submission", {"text": "代为提交"})
    assert part(by_head, "p1")["status"] == "submitted"
    # Not yet reviewed, the split can no longer change.
    resplit = world.head.put(f"/communities/c1/tasks/{tid}/parts", parts)
    assert resplit.status_code == 409, resplit.text

    # Review: the street here (the profile's default); a c1 cadre cannot in c1 (403) nor see c2 (404).
    for api in (world.head, world.ca, world.cadre, world.observer, world.street_observer):
        refused = api.post(f"{path}/p1/review", {"verdict": "accept"})
        assert refused.status_code == 403, refused.text
    for api in (world.gw1, world.captain, world.organisation):
        refused = api.post(f"{path}/p1/review", {"verdict": "accept"})
        assert refused.status_code in (403, 404), refused.text
    for api in (world.cadre, world.head, world.gw1):
        refused = api.post(f"/communities/c2/tasks/{other}/parts/p1/review", {"verdict": "accept"})
        assert refused.status_code == 404, refused.text
        for suffix in ("scores", "scores.csv", f"tasks/{other}", "tasks"):
            assert api.get(f"/communities/c2/{suffix}").status_code == 404, suffix
    assert world.street2.post(f"{path}/p1/review", {"verdict": "accept"}).status_code == 404
    assert part(world.street.ok("GET", f"/communities/c2/tasks/{other}"), "p1")["status"] == "submitted"
    assert part(world.street.ok("GET", f"/communities/c1/tasks/{tid}"), "p1")["status"] == "submitted"
    unsubmitted = world.task("c1")
    world.head.ok(
        "PUT",
        f"/communities/c1/tasks/{unsubmitted}/parts",
        {"parts": [{"title": "x", "assignee": "ca", "points": 10}]},
    )
    early = world.street.post(f"/communities/c1/tasks/{unsubmitted}/parts/p1/review", {"verdict": "accept"})
    assert early.status_code == 409, early.text

    # Scores: street, cadres, observers; not grid workers, captains or organisations.
    for api in (world.street, world.cadre, world.head, world.observer, world.street_observer):
        for suffix in ("scores", "scores.csv"):
            assert api.get(f"/communities/c1/{suffix}").status_code == 200, suffix
    for api in (world.gw1, world.captain, world.organisation):
        for suffix in ("scores", "scores.csv"):
            assert api.get(f"/communities/c1/{suffix}").status_code == 403, suffix
    for api in (world.cadre, world.head, world.gw1, world.observer):
        for suffix in ("scores", "scores.csv"):
            assert api.get(f"/streets/s1/{suffix}").status_code == 403, suffix
    for suffix in ("scores", "scores.csv"):
        assert world.street2.get(f"/streets/s1/{suffix}").status_code == 404
    # Only street staff issue, and only to their own street.
    body = {"title": "x", "due_at": due(3600), "points": 1, "communities": ["c1"]}
    for api in (world.cadre, world.head, world.observer, world.street_observer, world.gw1):
        assert api.post("/streets/s1/tasks", body).status_code == 403
    assert world.street2.post("/streets/s1/tasks", body).status_code == 404


# -- several communities in one request ------------------------------------------------------------------------


def test_a_task_for_several_communities_is_issued_to_all_or_none(world: World) -> None:
    before = {c: world.events(c)[-1]["position"] for c in ("c1", "c2", "c3")}
    body = {"title": "跨街道任务", "due_at": due(LATER * 86400), "points": 5, "communities": ["c1", "c3"]}
    refused = world.street.post("/streets/s1/tasks", body)
    assert refused.status_code == 422 and refused.json()["field"] == "communities[1]", refused.text
    refused = world.street.post("/streets/s1/tasks", {**body, "communities": ["c2", "c1", "nowhere"]})
    assert refused.status_code == 422 and refused.json()["field"] == "communities[2]", refused.text
    for c, api in (("c1", world.street), ("c2", world.street), ("c3", world.street2)):
        assert "跨街道任务" not in {t["title"] for t in api.ok("GET", f"/communities/{c}/tasks")}
        assert world.events(c)[-1]["position"] == before[c]

    key = {"Idempotency-Key": "issue-both-once"}
    body = {**body, "title": "一次发布", "communities": ["c1", "c2"]}
    first = world.street.post("/streets/s1/tasks", body, headers=key)
    assert first.status_code == 201, first.text
    retry = world.street.post("/streets/s1/tasks", body, headers=key)
    assert retry.status_code == 201 and retry.json() == first.json()
    for c in ("c1", "c2"):
        assert [
            t["id"] for t in world.street.ok("GET", f"/communities/{c}/tasks") if t["title"] == "一次发布"
        ] == [first.json()["id"]]
    reused = world.street.post("/streets/s1/tasks", {**body, "points": 6}, headers=key)
    assert reused.status_code == 422 and reused.json()["field"] == "Idempotency-Key", reused.text


# -- bad input ---------------------------------------------------------------------------------------------------


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(world: World) -> None:
    tid = world.task("c1", points=20, evidence=["text", "photo"])
    world.head.ok(
        "PUT",
        f"/communities/c1/tasks/{tid}/parts",
        {"parts": [{"title": "x", "assignee": "ca", "points": 20}]},
    )
    before = {c: world.events(c)[-1]["position"] for c in ("c1", "c2")}
    tasks_before = world.street.ok("GET", "/communities/c1/tasks")
    good = {"title": "坏输入", "due_at": due(86400), "points": 5, "communities": ["c1", "c2"]}
    wrong = []

    def expect(api: Api, method: str, path: str, body: dict[str, Any], status: int, field: str) -> None:
        response = api.client.request(method, path, json=body)
        got = response.json().get("field") if response.status_code >= 400 else None
        if (response.status_code, got) != (status, field):
            wrong.append(f"{method} {path} {str(body)[:200]}: {response.status_code} {response.text[:300]}")

    issue = (world.street, "POST", "/streets/s1/tasks")
    expect(*issue, {**good, "due_at": "2031-05-01T09:00:00"}, 422, "due_at")
    expect(*issue, {**good, "due_at": "next friday"}, 422, "due_at")
    expect(*issue, {**good, "points": -1}, 422, "points")
    expect(*issue, {**good, "points": 1001}, 422, "points")
    expect(*issue, {**good, "evidence": ["text", "video"]}, 422, "evidence[1]")
    expect(*issue, {**good, "communities": []}, 422, "communities")
    expect(*issue, {**good, "title": ""}, 422, "title")
    expect(*issue, {**good, "id": "t-mine"}, 422, "id")
    expect(*issue, {**good, "due_at": due(-60)}, 422, "due_at")

    submit = (world.ca, "POST", f"/communities/c1/tasks/{tid}/parts/p1/submission")
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024 - 7)
    assert len(big) == 5 * 1024 * 1024 + 1
    expect(*submit, {"text": "t", "photo": upload(b"hello")}, 422, "photo.data")
    expect(*submit, {"text": "t", "photo": upload(png(2, 2, 1), "image/jpeg")}, 422, "photo.data")
    expect(*submit, {"text": "t", "photo": {"content_type": "image/png", "data": "%%%"}}, 422, "photo.data")
    expect(*submit, {"text": "t", "photo": upload(png(2, 2, 1), "image/gif")}, 422, "photo.content_type")
    expect(*submit, {"text": "t", "photo": upload(big)}, 422, "photo.data")
    expect(*submit, {"text": "t"}, 422, "evidence.photo")
    expect(*submit, {"text": "  ", "photo": upload(png(2, 2, 1))}, 422, "evidence.text")
    expect(
        *submit, {"text": "t", "photo": upload(png(2, 2, 1)), "occurred_at": due(3600)}, 422, "occurred_at"
    )

    split = (world.head, "PUT", f"/communities/c1/tasks/{tid}/parts")
    expect(*split, {"parts": [{"title": "x", "assignee": "ca", "points": 19}]}, 422, "parts")
    expect(*split, {"parts": [{"title": "x", "assignee": "cap1", "points": 20}]}, 422, "parts[0].assignee")
    expect(*split, {"parts": []}, 422, "parts")
    assert {c: world.events(c)[-1]["position"] for c in ("c1", "c2")} == before
    assert world.street.ok("GET", "/communities/c1/tasks") == tasks_before
    assert "坏输入" not in {t["title"] for t in world.street.ok("GET", "/communities/c2/tasks")}
    assert wrong == [], "\n".join(wrong)


def test_a_review_with_a_wrong_completion_is_refused_naming_completion(world: World) -> None:
    tid = world.task("c1", points=20)
    world.head.ok(
        "PUT",
        f"/communities/c1/tasks/{tid}/parts",
        {"parts": [{"title": "x", "assignee": "ca", "points": 20}]},
    )
    world.ca.ok("POST", f"/communities/c1/tasks/{tid}/parts/p1/submission", {"text": "t"})
    position = world.events("c1")[-1]["position"]
    task = world.street.ok("GET", f"/communities/c1/tasks/{tid}")
    path = f"/communities/c1/tasks/{tid}/parts/p1/review"
    wrong = []
    for body, field in (
        ({"verdict": "partial"}, "completion"),
        ({"verdict": "accept", "completion": 0.5}, "completion"),
        ({"verdict": "return", "completion": 0.5}, "completion"),
        ({"verdict": "partial", "completion": 1.5}, "completion"),
        ({"verdict": "great"}, "verdict"),
    ):
        response = world.street.post(path, body)
        if (response.status_code, response.json().get("field")) != (422, field):
            wrong.append(f"POST {path} {body}: {response.status_code} {response.text[:300]}")
    assert world.events("c1")[-1]["position"] == position
    assert world.street.ok("GET", f"/communities/c1/tasks/{tid}") == task
    assert wrong == [], "\n".join(wrong)
