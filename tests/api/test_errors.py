"""Bad input gets a 4xx problem-details answer naming the field at fault, and leaves nothing behind.

Each case is one refused request. Around it the community's event log is read: it must be exactly as it was
(nothing partially written, no plan started), and no answer may carry a traceback.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from api.auth import Role
from tests.api.server import MAP, Api, Server, api_for, wait_for

PROFILE = "errors_quiet"
QUIET = f"""
name: {PROFILE}
title_zh: 错误测试
title_en: Errors test profile
dispatch:
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 1
rules: []
"""
# A valid profile outside the profile folder: if a path-like name were ever read, it would load.
OUTSIDE = QUIET.replace(PROFILE, "outside")
SPOT = "g2_2"
TRACEBACK_MARKS = ("Traceback", 'File "/', '.py", line', "Internal Server Error")


def need(**changes: Any) -> dict[str, Any]:
    return {"capability": "rescue.boat", "quantity": 1, "location": SPOT, "priority": 3, **changes}


@dataclass
class World:
    server: Server
    street: Api
    cadre: Api
    organisation: Api
    objects: dict[str, str] = field(default_factory=dict)

    def log(self, community: str = "c1") -> list[dict[str, Any]]:
        response = self.street.get(f"/communities/{community}/events", params={"limit": 1000})
        assert response.status_code == 200, response.text
        return list(response.json())

    def settled(self) -> Any:
        """What must not change, once the coordinator has done what it had pending (a re-plan)."""
        while True:
            first = self.state()
            time.sleep(0.1)
            if self.state() == first:
                return first

    def state(self) -> Any:
        communities = sorted(c["id"] for c in self.street.ok("GET", "/communities"))
        return communities, self.log("c1"), self.street.ok("GET", "/communities/c1/profile")

    def dispatch(self, status: str, quantity: int = 1) -> tuple[str, str]:
        made = self.cadre.ok("POST", "/communities/c1/needs", need(quantity=quantity))["id"]
        [dispatch] = wait_for(
            lambda: [
                d["id"] for d in self.cadre.ok("GET", "/communities/c1/assignments") if d["need"] == made
            ]
        )
        if status == "notified":
            self.cadre.ok("POST", f"/communities/c1/assignments/{dispatch}/confirm")
        return made, dispatch


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    (server.data_dir / "profiles" / f"{PROFILE}.yaml").write_text(QUIET, encoding="utf-8")
    (server.data_dir / "outside.yaml").write_text(OUTSIDE, encoding="utf-8")
    (server.data_dir / "profiles" / "sub").mkdir()
    (server.data_dir / "profiles" / "sub" / "outside.yaml").write_text(OUTSIDE, encoding="utf-8")
    w = World(
        server,
        Api(server, server.token(Role.STREET, street="s1")),
        api_for(server, Role.CADRE),
        api_for(server, Role.ORGANISATION),
    )
    w.street.ok("PUT", "/communities/c1/profile", {"profile": PROFILE})
    fleet = {"id": "c1-fleet", "organisation": "c1-boats", "capability": "rescue.boat", "quantity": 500}
    w.street.ok("POST", "/communities/c1/resources", {**fleet, "location": SPOT})
    w.street.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
    w.objects["incident"] = w.street.ok("GET", "/communities/c1")["incident"]["id"]
    _, w.objects["notified"] = w.dispatch("notified")
    w.objects["two"], _ = w.dispatch("notified", quantity=2)
    w.objects["two_dispatch"] = _
    cancelled = w.cadre.ok("POST", "/communities/c1/needs", need())["id"]
    w.cadre.ok("POST", f"/communities/c1/needs/{cancelled}/cancel", {})
    w.objects["cancelled"] = cancelled
    w.street.ok("POST", "/communities/c1/roads/close", {"from": "g0_0", "to": "g0_1"})
    yield w


@dataclass(frozen=True)
class Bad:
    """One refused request: who sends it, where, and what the answer must say."""

    method: str
    path: str  # may name world.objects as {notified}, {incident}, ...
    body: Any
    status: int
    field: str | None  # None: the answer names no field (the request as a whole is wrong)
    says: tuple[str, ...] = ()  # pieces the detail must contain (the value given, the current status)
    who: str = "cadre"
    raw: bytes | None = None  # sent as is instead of JSON


def new_community(**changes: Any) -> dict[str, Any]:
    return {"id": "e9", "street": "s1", "profile": PROFILE, "map": MAP, **changes}


N = "/communities/c1/needs"
D = "/communities/c1/assignments"
CASES = {
    # -- shape of the body
    "unknown field": Bad("POST", N, need(colour="red"), 422, "colour", ("colour",)),
    "unknown field in a nested object": Bad(
        "POST", N, need(team=[{"capability": "rescue.crew", "per_unit": 1, "size": 2}]), 422, "team[0].size"
    ),
    "wrong type": Bad("POST", N, need(priority="high"), 422, "priority", ("'high'",)),
    "wrong type in a list": Bad("POST", N, need(tags=[["nested"]]), 422, "tags[0]"),
    "missing field": Bad(
        "POST", N, {"capability": "rescue.boat", "quantity": 1, "priority": 3}, 422, "location"
    ),
    "not an object": Bad("POST", N, [need()], 422, "", ()),
    "malformed JSON": Bad("POST", N, None, 422, "", ("JSON",), raw=b'{"capability": '),
    "ill-formed capability": Bad(
        "POST", N, need(capability="Rescue Boat!"), 422, "capability", ("Rescue Boat!",)
    ),
    "unknown organisation kind": Bad(
        "POST", "/communities/c1/organisations", {"id": "x1", "kind": "alien"}, 422, "kind", ("alien",)
    ),
    "phone that is not a number": Bad(
        "POST", N, need(contact_phone="call me"), 422, "contact_phone", ("call me",)
    ),
    "note too long": Bad("POST", N, need(note="x" * 1001), 422, "note"),
    "id with a slash": Bad("POST", N, need(id="../c3-n1"), 422, "id"),
    # -- ranges
    "priority out of range": Bad("POST", N, need(priority=9), 422, "priority", ("9",)),
    "quantity zero": Bad("POST", N, need(quantity=0), 422, "quantity", ("0",)),
    "level out of range": Bad(
        "POST", "/communities/c1/incidents/{incident}/level", {"level": 0}, 422, "level", ("0",)
    ),
    # A huge team size once reached the solver and stopped every later plan of the community.
    "team size out of range": Bad(
        "POST", N, need(team=[{"capability": "rescue.crew", "per_unit": 10**25}]), 422, "team[0].per_unit"
    ),
    # Past the database's integer range: this was a 500 from the database driver.
    "log position out of range": Bad(
        "GET", "/communities/c1/events?after=" + "9" * 25, None, 422, "after", ("9" * 25,)
    ),
    "plan version out of range": Bad(
        "GET", "/communities/c1/plans/" + "9" * 25, None, 422, "version", ("9" * 25,)
    ),
    "plan version not a number": Bad(
        "GET", "/communities/c1/plans/latest", None, 422, "version", ("latest",)
    ),
    "page size zero": Bad("GET", "/communities/c1/events?limit=0", None, 422, "limit"),
    # -- the community's own facts
    "location not on the map": Bad("POST", N, need(location="g9_9"), 422, "need.location", ("g9_9",)),
    "resource location not on the map": Bad(
        "POST",
        "/communities/c1/resources",
        {
            "id": "r9",
            "organisation": "c1-boats",
            "capability": "rescue.boat",
            "quantity": 1,
            "location": "nowhere",
        },
        422,
        "resource.location",
        ("nowhere",),
    ),
    "resource of an unknown organisation": Bad(
        "POST",
        "/communities/c1/resources",
        {
            "id": "r9",
            "organisation": "c1-ghosts",
            "capability": "rescue.boat",
            "quantity": 1,
            "location": SPOT,
        },
        404,
        "resource.organisation",
        ("c1-ghosts",),
    ),
    "organisation registered twice": Bad(
        "POST",
        "/communities/c1/organisations",
        {"id": "c1-boats", "kind": "enterprise"},
        409,
        "organisation.id",
        ("c1-boats",),
    ),
    "resource registered twice": Bad(
        "POST",
        "/communities/c1/resources",
        {
            "id": "c1-boat",
            "organisation": "c1-boats",
            "capability": "rescue.boat",
            "quantity": 1,
            "location": SPOT,
        },
        409,
        "id",
        ("c1-boat",),
    ),
    "need id reported twice": Bad("POST", N, need(id="{cancelled}"), 409, "need.id", ("{cancelled}",)),
    "fewer units than already sent": Bad(
        "PATCH", N + "/{two}", {"quantity": 1}, 409, "need.quantity", ("2",)
    ),
    "resource below what is sent": Bad(
        "PATCH", "/communities/c1/resources/c1-fleet", {"quantity": 0}, 409, "resource.quantity"
    ),
    "cancelling a cancelled need": Bad("POST", N + "/{cancelled}/cancel", {}, 409, "need", ("cancelled",)),
    "updating a cancelled need": Bad(
        "PATCH", N + "/{cancelled}", {"priority": 4}, 409, "need.id", ("cancelled",)
    ),
    # -- assignments
    "override with an unknown resource": Bad(
        "POST", D + "/{notified}/override", {"resource": "c1-yacht"}, 404, "resource", ("c1-yacht",)
    ),
    "override with the wrong capability": Bad(
        "POST",
        D + "/{notified}/override",
        {"resource": "c1-water"},
        422,
        "resource",
        ("c1-water", "supply.water"),
    ),
    "override with more units than are free": Bad(
        "POST", D + "/{notified}/override", {"resource": "c1-boat2", "quantity": 5}, 409, "quantity", ("5",)
    ),
    "on site before setting off": Bad(
        "POST", D + "/{notified}/on-site", None, 409, "dispatch", ("notified", "on_site")
    ),
    "done before setting off": Bad("POST", D + "/{notified}/done", None, 409, "dispatch", ("notified",)),
    "confirming a sent dispatch": Bad(
        "POST", D + "/{notified}/confirm", None, 409, "dispatch", ("notified",)
    ),
    "a note that is not text": Bad("POST", D + "/{two_dispatch}/decline", {"note": 5}, 422, "note"),
    # -- roads
    "closing a road that is not there": Bad(
        "POST", "/communities/c1/roads/close", {"from": "g0_0", "to": "g4_4"}, 422, "target", ("g0_0", "g4_4")
    ),
    "closing a road to a place not on the map": Bad(
        "POST", "/communities/c1/roads/close", {"from": "g0_0", "to": "mars"}, 422, "target", ("mars",)
    ),
    "closing a closed road": Bad(
        "POST",
        "/communities/c1/roads/close",
        {"from": "g0_0", "to": "g0_1"},
        409,
        "target",
        ("already closed",),
    ),
    "reopening an open road": Bad(
        "POST", "/communities/c1/roads/reopen", {"from": "g1_1", "to": "g1_2"}, 409, "target", ("not closed",)
    ),
    "road without its end": Bad("POST", "/communities/c1/roads/close", {"from": "g0_0"}, 422, "to"),
    # -- incidents
    "a second incident while one is open": Bad(
        "POST", "/communities/c1/incidents", {"kind": "fire", "level": 2}, 409, "incident", ("{incident}",)
    ),
    "changing the level of an unknown incident": Bad(
        "POST", "/communities/c1/incidents/c1-i99/level", {"level": 2}, 404, None, ("c1-i99",)
    ),
    # -- profiles and maps: names only, files only from the operator's folders
    "unknown profile": Bad(
        "POST", "/communities", new_community(profile="nope"), 422, "profile", ("nope",), who="street"
    ),
    "profile name like a path": Bad(
        "POST",
        "/communities",
        new_community(profile="../../etc/passwd"),
        422,
        "profile",
        ("../../etc/passwd",),
        who="street",
    ),
    "profile name leading out of the folder": Bad(
        "POST", "/communities", new_community(profile="../outside"), 422, "profile", who="street"
    ),
    "profile by absolute path": Bad(
        "POST", "/communities", new_community(profile="{data}/outside.yaml"), 422, "profile", who="street"
    ),
    "profile in a subfolder": Bad(
        "POST", "/communities", new_community(profile="sub/outside"), 422, "profile", who="street"
    ),
    "profile file name": Bad(
        "POST", "/communities", new_community(profile=f"{PROFILE}.yaml"), 422, "profile", who="street"
    ),
    "changing to an unknown profile": Bad(
        "PUT", "/communities/c1/profile", {"profile": "../outside"}, 422, "profile"
    ),
    "map file outside the data folder": Bad(
        "POST",
        "/communities",
        new_community(map={"osm": {"path": "../../../etc/x.osm"}}),
        422,
        "map.osm.path",
        who="street",
    ),
    "map file by absolute path": Bad(
        "POST",
        "/communities",
        new_community(map={"osm": {"path": "/etc/x.osm"}}),
        422,
        "map.osm.path",
        who="street",
    ),
    # Was a 500 (the file was opened without a check).
    "map file that is not there": Bad(
        "POST",
        "/communities",
        new_community(map={"osm": {"path": "nowhere.osm"}}),
        422,
        "map.osm.path",
        ("nowhere.osm",),
        who="street",
    ),
    "map with two kinds of road network": Bad(
        "POST", "/communities", new_community(map={**MAP, "edges": []}), 422, "map", who="street"
    ),
    "community that exists": Bad(
        "POST", "/communities", new_community(id="c1"), 409, "id", ("c1",), who="street"
    ),
    # -- the request line
    "unknown route": Bad("GET", "/communities/c1/weather", None, 404, None),
    "method not allowed": Bad("DELETE", "/communities/c1/needs", None, 405, None),
}


def fill(text: str, w: World) -> str:
    return text.format(**w.objects, data=w.server.data_dir)


def materialise(value: Any, w: World) -> Any:
    if isinstance(value, str):
        return fill(value, w)
    if isinstance(value, dict):
        return {k: materialise(v, w) for k, v in value.items()}
    if isinstance(value, list):
        return [materialise(v, w) for v in value]
    return value


@pytest.mark.parametrize("name", CASES, ids=list(CASES))
def test_bad_input_is_refused_with_problem_details_and_changes_nothing(world: World, name: str) -> None:
    case = CASES[name]
    client = {"cadre": world.cadre, "street": world.street}[case.who]
    before = world.settled()
    if case.raw is not None:
        response = client.client.request(
            case.method,
            fill(case.path, world),
            content=case.raw,
            headers={"content-type": "application/json"},
        )
    else:
        response = client.client.request(
            case.method, fill(case.path, world), json=materialise(case.body, world)
        )
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys() and problem["status"] == case.status
    assert problem["title"] and problem["detail"]
    if case.field is not None:
        assert problem.get("field") == case.field, problem
    for piece in case.says:
        assert fill(piece, world) in problem["detail"], problem
    assert not any(mark in response.text for mark in TRACEBACK_MARKS), response.text
    time.sleep(0.1)  # anything the request set going would show by now
    assert world.state() == before, "a refused request left something behind"


def test_refused_profiles_were_never_read(world: World) -> None:
    """Had a path-like name been followed, the valid profile there would have loaded and the community with it."""
    communities = {c["id"] for c in world.street.ok("GET", "/communities")}
    assert "e9" not in communities
    assert world.street.get("/communities/e9").status_code == 404
    assert world.street.ok("GET", "/communities/c1/profile")["name"] == PROFILE


def test_an_invalid_token_is_refused_with_problem_details(world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer pz_forged"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = httpx.get(f"{world.server.url}/api/v1/communities/c1", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["status"] == 401


def test_a_report_without_an_id_never_collides_with_one_given_an_id(world: World) -> None:
    """Generated ids count the community's needs; a need reported earlier under the next generated id must
    not make a report without an id fail as a conflict."""
    count = len(world.cadre.ok("GET", "/communities/c1/needs"))
    taken = world.cadre.ok("POST", N, need(id=f"c1-n{count + 2}"))["id"]
    made = world.cadre.post(N, need())
    assert made.status_code == 201, made.text
    assert made.json()["id"] != taken
