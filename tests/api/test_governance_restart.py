"""Kill the server in the middle of normal-time work and an incident's checks, start it again: the roster,
households, tasks (with their photos and scores) and checks come back exactly, and an overdue task whose due
time passed while the server was down is still flagged and notified. On SQLite and on PostgreSQL."""

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from tests.api.server import Api, Server, api_for, wait_for
from tests.api.test_restart import server  # noqa: F401  (the same SQLite and PostgreSQL servers)
from tests.api.test_tasks import png, upload
from tests.api.wsclient import Client

C = "/communities/c1"


def _state(street: Api, head: Api, gw: Api) -> dict[str, Any]:
    """What the street, the head and the grid worker can read of the community's normal-time work."""
    return {
        "members": head.ok("GET", f"{C}/members"),
        "grids": head.ok("GET", f"{C}/grids"),
        "buildings": head.ok("GET", f"{C}/buildings"),
        "households": head.ok("GET", f"{C}/households"),
        "households_gw": gw.ok("GET", f"{C}/households"),
        "tasks": street.ok("GET", f"{C}/tasks"),
        "checks": head.ok("GET", f"{C}/checks"),
        "checks_gw": gw.ok("GET", f"{C}/checks"),
        "scores": street.ok("GET", "/streets/s1/scores"),
        "needs": head.ok("GET", f"{C}/needs"),
    }


@pytest.fixture
def people(server: Server) -> Iterator[tuple[Api, Api, Api, Api]]:  # noqa: F811
    street = Api(server, server.token(Role.STREET, street="s1"))
    for grid in ("g1", "g2"):
        street.ok("PUT", f"{C}/grids/{grid}", {"name": grid})
    street.ok("PUT", f"{C}/buildings/b1", {"name": "1栋", "grid": "g1", "location": "g1_1"})
    street.ok("PUT", f"{C}/buildings/b2", {"name": "2栋", "grid": "g2", "location": "g3_3"})
    for member, body in {
        "head": {"name": "王书记", "role": "head"},
        "li": {"name": "李干部", "role": "cadre"},
        "zhao": {"name": "赵网格", "role": "grid_worker", "grid": "g1"},
    }.items():
        street.ok("PUT", f"{C}/members/{member}", body)
    head = api_for(server, Role.CADRE, name="head")
    li = api_for(server, Role.CADRE, name="li")
    gw = api_for(server, Role.GRID_WORKER, name="zhao")
    head.ok(
        "PUT",
        f"{C}/households/h1",
        {"building": "b1", "address": "101", "tags": ["bedridden"], "phone": "13800001111"},
    )
    head.ok("PUT", f"{C}/households/h2", {"building": "b2", "address": "202", "tags": ["infant"]})
    yield street, head, li, gw


def test_kill_restart_keeps_tasks_households_checks_and_fires_overdue(
    server: Server,  # noqa: F811
    people: tuple[Api, Api, Api, Api],
) -> None:
    street, head, li, gw = people
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    body = {
        "title": "汛前排查",
        "due_at": later,
        "points": 10,
        "evidence": ["photo"],
        "communities": ["c1", "c2"],
    }
    scored = street.ok("POST", "/streets/s1/tasks", body)["id"]
    head.ok(
        "PUT", f"{C}/tasks/{scored}/parts", {"parts": [{"title": "全部", "assignee": "li", "points": 10}]}
    )
    photo = png(3, 3, 5)
    sha = li.ok("POST", f"{C}/tasks/{scored}/parts/p1/submission", {"photo": upload(photo)})["parts"][0][
        "evidence"
    ]["photo"]
    street.ok("POST", f"{C}/tasks/{scored}/parts/p1/review", {"verdict": "partial", "completion": 0.6})
    # Due in 3 s, and the server will be down when it falls due.
    soon = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    body = {"title": "统计独居老人", "due_at": soon, "points": 5, "communities": ["c1"]}
    pending = street.ok("POST", "/streets/s1/tasks", body)["id"]
    head.ok("POST", f"{C}/incidents", {"kind": "flood", "level": 2})
    help_ = gw.ok("POST", f"{C}/checks/h1", {"result": "needs_help", "capability": "rescue.boat"})
    assert help_["need"]["tags"] == ["bedridden"]
    live = _state(street, head, gw)
    assert [t["awarded"] for t in live["tasks"] if t["id"] == scored] == [6.0]

    server.kill()
    time.sleep(3.5)  # the pending task falls due while nobody is running
    server.start()

    rebuilt = _state(street, head, gw)
    for key in ("members", "grids", "buildings", "households", "households_gw", "checks", "checks_gw"):
        assert rebuilt[key] == live[key], key
    assert [t for t in rebuilt["tasks"] if t["id"] == scored] == [
        t for t in live["tasks"] if t["id"] == scored
    ]
    got = street.get(f"{C}/photos/{sha}")
    assert got.status_code == 200 and got.content == photo
    # The overdue timer was read off the rebuilt board: flagged, and on the channels, after the restart.
    flagged = wait_for(lambda: street.ok("GET", f"{C}/tasks/{pending}")["overdue"] or None)
    assert flagged is True

    async def overdue_message() -> dict[str, Any]:
        client = await Client(server.ws_url, street.token).open()
        await client.subscribe("street:s1", 0)
        while True:
            message = await asyncio.wait_for(client.next(), 10)
            if message.get("type") == "task_overdue" and message["data"]["event"]["task"] == pending:
                await client.close()
                return message

    assert asyncio.run(overdue_message())["data"]["community"] == "c1"
