"""Idempotency-Key: a retry gets the first answer and changes nothing; a key is one request of one principal.

A phone on a bad connection resends what it is not sure went through. Whatever the first attempt did to the
board (a dispatch declined and gone, an incident closed), the retry must answer as the first attempt did, and
the event log must show the change once.
"""

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.auth import Role
from tests.api.server import MAP, Api, Server, api_for, wait_for

PROFILE = "idempotency_quiet"
# No auto-confirmation and no timeouts while the module runs: a dispatch stays where a test put it.
QUIET = f"""
name: {PROFILE}
title_zh: 幂等测试
title_en: Idempotency test profile
dispatch:
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 1
rules: []
"""
SPOT = "g2_2"


@dataclass
class World:
    server: Server
    street: Api
    cadre: Api
    organisation: Api
    grid: Api

    def log(self, community: str, after: int = 0) -> list[dict[str, Any]]:
        """The community's event log after position ``after``, as the street reads it."""
        events: list[dict[str, Any]] = []
        while True:
            response = self.street.get(
                f"/communities/{community}/events", params={"after": after, "limit": 1000}
            )
            if response.status_code == 404:
                return events
            page = response.json()
            events += page
            if len(page) < 1000:
                return events
            after = page[-1]["position"]

    def head(self, community: str) -> int:
        events = self.log(community)
        return int(events[-1]["position"]) if events else 0

    def written_by_people(self, community: str, after: int) -> list[dict[str, Any]]:
        # Re-plans are the coordinator's own ("system"); everything else in the window is the request's doing.
        return [e for e in self.log(community, after) if e["actor"] != "system"]

    def dispatch(self, status: str) -> tuple[str, str]:
        need = self.cadre.ok("POST", "/communities/c1/needs", need_body())["id"]
        [dispatch] = wait_for(
            lambda: [
                d["id"] for d in self.cadre.ok("GET", "/communities/c1/assignments") if d["need"] == need
            ]
        )
        path = f"/communities/c1/assignments/{dispatch}"
        if status in ("notified", "en_route"):
            self.cadre.ok("POST", f"{path}/confirm")
        if status == "en_route":
            self.cadre.ok("POST", f"{path}/en-route")
        return need, dispatch

    def incident(self, community: str, open_: bool) -> str | None:
        current = self.street.ok("GET", f"/communities/{community}")["incident"]
        if open_ and current is None:
            current = self.street.ok(
                "POST", f"/communities/{community}/incidents", {"kind": "flood", "level": 2}
            )
        if not open_ and current is not None:
            self.street.ok("POST", f"/communities/{community}/incidents/{current['id']}/close")
            current = None
        return current["id"] if current else None


counter = itertools.count(1)


def need_body(**extra: Any) -> dict[str, Any]:
    # A note no other request has, to find this need and only this one.
    return {
        "capability": "rescue.boat",
        "quantity": 1,
        "location": SPOT,
        "priority": 3,
        "note": f"n{next(counter)}",
        **extra,
    }


def key() -> str:
    return f"test-{uuid.uuid4()}"


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    (server.data_dir / "profiles" / f"{PROFILE}.yaml").write_text(QUIET, encoding="utf-8")
    w = World(
        server,
        Api(server, server.token(Role.STREET, street="s1")),
        api_for(server, Role.CADRE),
        api_for(server, Role.ORGANISATION),
        api_for(server, Role.GRID_WORKER),
    )
    for c in ("c1", "c2"):
        w.street.ok("PUT", f"/communities/{c}/profile", {"profile": PROFILE})
    fleet = {"id": "c1-fleet", "organisation": "c1-boats", "capability": "rescue.boat", "quantity": 500}
    w.street.ok("POST", "/communities/c1/resources", {**fleet, "location": SPOT})
    # In an incident plans follow a report at once.
    w.incident("c1", True)
    yield w


# Each case: who sends what where, made fresh (the objects it needs are set up by the case itself).
Request = tuple[Api, str, str, Any, str]  # client, method, path, body, community whose log records it


def report_need(w: World) -> Request:
    return w.grid, "POST", "/communities/c1/needs", need_body(contact_phone="13812345678"), "c1"


def register_organisation(w: World) -> Request:
    return (
        w.cadre,
        "POST",
        "/communities/c1/organisations",
        {"id": f"c1-org{next(counter)}", "kind": "enterprise"},
        "c1",
    )


def register_resource(w: World) -> Request:
    body = {
        "id": f"c1-res{next(counter)}",
        "organisation": "c1-boats",
        "capability": "rescue.boat",
        "quantity": 1,
    }
    return w.organisation, "POST", "/communities/c1/resources", {**body, "location": "g0_0"}, "c1"


def create_community(w: World) -> Request:
    community = f"i{next(counter)}"
    body = {"id": community, "street": "s1", "profile": PROFILE, "map": MAP}
    return w.street, "POST", "/communities", body, community


def trigger_incident(w: World) -> Request:
    w.incident("c2", False)
    return w.street, "POST", "/communities/c2/incidents", {"kind": "typhoon", "level": 1}, "c2"


def close_incident(w: World) -> Request:
    return w.street, "POST", f"/communities/c2/incidents/{w.incident('c2', True)}/close", None, "c2"


def cancel_need(w: World) -> Request:
    need = w.cadre.ok("POST", "/communities/c1/needs", need_body())["id"]
    return w.cadre, "POST", f"/communities/c1/needs/{need}/cancel", {"reason": "duplicate"}, "c1"


def decline(w: World) -> Request:
    _, dispatch = w.dispatch("notified")
    return (
        w.organisation,
        "POST",
        f"/communities/c1/assignments/{dispatch}/decline",
        {"note": "boat broke"},
        "c1",
    )


def done(w: World) -> Request:
    _, dispatch = w.dispatch("en_route")
    return w.organisation, "POST", f"/communities/c1/assignments/{dispatch}/done", None, "c1"


def override(w: World) -> Request:
    _, dispatch = w.dispatch("notified")
    return w.cadre, "POST", f"/communities/c1/assignments/{dispatch}/override", {"resource": "c1-boat"}, "c1"


def close_road(w: World) -> Request:
    return w.grid, "POST", "/communities/c1/roads/close", {"from": "g0_0", "to": "g0_1"}, "c1"


def update_resource(w: World) -> Request:
    return w.organisation, "PATCH", "/communities/c1/resources/c1-boat2", {"quantity": 4}, "c1"


CASES: dict[str, Callable[[World], Request]] = {
    "report need": report_need,
    "register organisation": register_organisation,
    # The next four check the board before applying (exists? open? still in play?): after the first attempt,
    # that check alone would refuse the retry.
    "register resource": register_resource,
    "create community": create_community,
    "close incident": close_incident,
    "decline (the dispatch leaves the board)": decline,
    "done (the need is served)": done,
    "override (the old dispatch is replaced)": override,
    "trigger incident": trigger_incident,
    "cancel need": cancel_need,
    "close road": close_road,
    "update resource": update_resource,
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_retry_gets_the_first_answer_and_changes_nothing(world: World, case: str) -> None:
    client, method, path, body, community = CASES[case](world)
    start = world.head(community)
    k = key()
    first = client.client.request(method, path, json=body, headers={"Idempotency-Key": k})
    assert first.status_code < 300, first.text
    applied = world.written_by_people(community, start)
    assert applied, "the first attempt wrote nothing to the log"
    for _ in range(2):
        retry = client.client.request(method, path, json=body, headers={"Idempotency-Key": k})
        assert (retry.status_code, retry.json()) == (first.status_code, first.json())
    assert world.written_by_people(community, start) == applied


def test_a_reported_need_is_one_need(world: World) -> None:
    body = need_body()
    k = key()
    answers = [
        world.cadre.post("/communities/c1/needs", body, headers={"Idempotency-Key": k}) for _ in range(3)
    ]
    assert {a.status_code for a in answers} == {201} and len({a.text for a in answers}) == 1
    needs = [n for n in world.cadre.ok("GET", "/communities/c1/needs") if n["note"] == body["note"]]
    assert [n["id"] for n in needs] == [answers[0].json()["id"]]
    reported = [
        e
        for e in world.log("c1")
        if e["type"] == "need_reported" and e["data"]["need"]["note"] == body["note"]
    ]
    assert len(reported) == 1


def test_the_same_key_with_another_request_is_refused(world: World) -> None:
    body = need_body()
    k = key()
    first = world.cadre.post("/communities/c1/needs", body, headers={"Idempotency-Key": k})
    assert first.status_code == 201
    start = world.head("c1")
    for path, other in (
        ("/communities/c1/needs", {**body, "priority": 5}),  # another body
        ("/communities/c1/needs", {**body, "note": body["note"] + "!"}),
        ("/communities/c1/organisations", {"id": "c1-reused", "kind": "enterprise"}),  # another route
    ):
        refused = world.cadre.post(path, other, headers={"Idempotency-Key": k})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["field"] == "Idempotency-Key" and k in problem["detail"] and problem["status"] == 422
    assert world.written_by_people("c1", start) == []
    # The first request's answer still stands.
    again = world.cadre.post("/communities/c1/needs", body, headers={"Idempotency-Key": k})
    assert (again.status_code, again.json()) == (201, first.json())


def test_the_same_key_from_two_principals_is_two_requests(world: World) -> None:
    other_cadre = api_for(world.server, Role.CADRE)
    body = need_body()
    k = key()
    mine = world.cadre.post("/communities/c1/needs", body, headers={"Idempotency-Key": k})
    theirs = other_cadre.post("/communities/c1/needs", body, headers={"Idempotency-Key": k})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    needs = [n["id"] for n in world.cadre.ok("GET", "/communities/c1/needs") if n["note"] == body["note"]]
    assert sorted(needs) == sorted([mine.json()["id"], theirs.json()["id"]])


def test_a_refused_first_attempt_is_not_remembered(world: World) -> None:
    """Only a change that was applied is remembered: a retry after a refusal is tried afresh."""
    world.incident("c2", True)
    k = key()
    body = {"kind": "fire", "level": 3}
    busy = world.street.post("/communities/c2/incidents", body, headers={"Idempotency-Key": k})
    assert busy.status_code == 409
    world.incident("c2", False)
    started = world.street.post("/communities/c2/incidents", body, headers={"Idempotency-Key": k})
    assert started.status_code == 201 and started.json()["kind"] == "fire"


def test_a_key_longer_than_200_characters_is_refused(world: World) -> None:
    start = world.head("c1")
    refused = world.cadre.post("/communities/c1/needs", need_body(), headers={"Idempotency-Key": "k" * 201})
    assert refused.status_code == 422 and refused.json()["field"] == "Idempotency-Key"
    assert world.written_by_people("c1", start) == []


def concurrently(
    n: int, send: Callable[[httpx.Client], httpx.Response], token: str, url: str
) -> list[httpx.Response]:
    """``n`` clients send at the same moment (as a phone's retries after a timeout may)."""
    barrier = threading.Barrier(n)
    answers: list[httpx.Response | BaseException] = [RuntimeError("not sent")] * n

    def run(i: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            barrier.wait()
            try:
                answers[i] = send(client)
            except BaseException as exc:  # reported below, with the others
                answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    failed = [a for a in answers if not isinstance(a, httpx.Response)]
    assert failed == []
    return [a for a in answers if isinstance(a, httpx.Response)]


@pytest.mark.parametrize(
    "case", ["report need", "create community", "decline (the dispatch leaves the board)"]
)
def test_concurrent_retries_apply_once(world: World, case: str) -> None:
    client, method, path, body, community = CASES[case](world)
    start = world.head(community)
    k = key()
    answers = concurrently(
        8,
        lambda c: c.request(method, path, json=body, headers={"Idempotency-Key": k}),
        client.token,
        world.server.url + "/api/v1",
    )
    assert {(a.status_code, a.text) for a in answers} == {(answers[0].status_code, answers[0].text)}
    assert answers[0].status_code < 300, answers[0].text
    written = world.written_by_people(community, start)
    # One command's events: all at one moment, from one actor.
    assert written and len({(e["at"], e["actor"]) for e in written}) == 1, written
