"""Board reads are built once per version of the board and shared by every caller who sees the same thing:
a strong ETag, 304 for a caller who holds it, a new one after any change, and never one caller's body for
another who may not see it."""

from typing import Any

import httpx

from api.auth import Role
from tests.api.server import Api, Server, api_for, wait_for

PHONE, MASKED = "13812345678", "138****5678"
NEEDS = "/communities/c1/needs"


def _need(**extra: Any) -> dict[str, Any]:
    return {"capability": "rescue.boat", "quantity": 1, "location": "g1_1", "priority": 2, **extra}


def _unchanged_between(cadre: Api, path: str) -> tuple[httpx.Response, httpx.Response, httpx.Response] | None:
    """A read, the same read with its tag, and with a list of tags holding the weak form a proxy may have made
    of it, when the board did not move during the three (else None)."""
    first = cadre.get(path)
    etag = first.headers["etag"]
    again = cadre.get(path, headers={"If-None-Match": etag})
    listed = cadre.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    if any(r.status_code == 200 and r.headers["etag"] != etag for r in (again, listed)):
        return None
    return first, again, listed


def test_a_read_has_an_etag_a_caller_holding_it_gets_304_and_a_write_changes_it(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    cadre.ok("POST", NEEDS, _need(capability="supply.water"))
    for path in (NEEDS, "/communities/c1", "/communities/c1/assignments", "/communities/c1/resources"):
        # Normal-time matching runs every second here: a read is tried again when the board moved under it.
        first, again, listed = wait_for(lambda path=path: _unchanged_between(cadre, path))
        etag = first.headers["etag"]
        assert first.status_code == 200 and etag.startswith('"') and etag.endswith('"'), path
        assert first.headers["cache-control"] == "private, no-cache"
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, path
        # A list of tags, and the weak form a proxy may have made of it, match too; another tag does not.
        assert listed.status_code == 304, path
        other = cadre.get(path, headers={"If-None-Match": '"other"'})
        # The whole body again (the board may have moved on meanwhile: normal-time matching runs every second).
        assert other.status_code == 200 and type(other.json()) is type(first.json()) and other.content, path
    before = cadre.get(NEEDS)
    reported = cadre.ok("POST", NEEDS, _need(capability="supply.water", quantity=2))
    after = cadre.get(NEEDS, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert reported["id"] in {n["id"] for n in after.json()} - {n["id"] for n in before.json()}


def test_plan_etag_changes_with_the_plan(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    incident = cadre.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2, "exercise": True})
    try:
        first = wait_for(lambda: (r := cadre.get("/communities/c1/plan")).status_code == 200 and r)
        need = cadre.ok("POST", NEEDS, _need(quantity=1, location="g3_3"))["id"]

        def replanned() -> httpx.Response | None:
            r = cadre.get("/communities/c1/plan", headers={"If-None-Match": first.headers["etag"]})
            return r if r.status_code == 200 and need in str(r.json()["plan"]) else None

        assert wait_for(replanned).headers["etag"] != first.headers["etag"]
    finally:
        cadre.ok("POST", f"/communities/c1/incidents/{incident['id']}/close")


def test_callers_on_one_version_each_get_what_they_may_see_whoever_read_first(server: Server) -> None:
    """A phone in clear for the cadre and the organisation sent, masked for the rest, absent for another
    organisation: read in one order and then the other, on one version of the board each time. A body kept
    per version alone, or per role alone, would hand the first reader's body to the next."""
    cadre = api_for(server, Role.CADRE)
    callers: dict[str, Api] = {
        "cadre": cadre,
        "boats": api_for(server, Role.ORGANISATION, organisation="c1-boats"),
        "shop": api_for(server, Role.ORGANISATION, organisation="c1-shop"),
        "grid_worker": api_for(server, Role.GRID_WORKER),
        "street": Api(server, server.token(Role.STREET, street="s1")),
    }
    need = cadre.ok("POST", NEEDS, _need(contact_phone=PHONE))["id"]
    [dispatch] = wait_for(
        lambda: [
            d["id"]
            for d in cadre.ok("GET", "/communities/c1/assignments")
            if d["need"] == need and d["status"] == "proposed"
        ]
    )
    cadre.ok("POST", f"/communities/c1/assignments/{dispatch}/confirm")
    want = {"cadre": PHONE, "boats": PHONE, "shop": None, "grid_worker": MASKED, "street": MASKED}

    def phones(order: list[str]) -> dict[str, str | None]:
        seen: dict[str, str | None] = {}
        for who in order:
            listed = {n["id"]: n for n in callers[who].ok("GET", NEEDS)}
            seen[who] = listed[need]["contact_phone"] if need in listed else None
            sent = {d["need"] for d in callers[who].ok("GET", "/communities/c1/assignments")}
            assert (need in sent) == (who != "shop"), who
        return seen

    assert phones(list(want)) == want
    # Another version (a change on the board), read in the other order.
    cadre.ok("POST", NEEDS, _need(capability="supply.water"))
    assert phones(list(reversed(want))) == want
    # The cadre's tag is not the grid worker's: sending it gets the grid worker their own body, not a 304.
    tag = cadre.get(NEEDS).headers["etag"]
    answer = callers["grid_worker"].get(NEEDS, headers={"If-None-Match": tag})
    assert answer.status_code == 200 and answer.headers["etag"] != tag
    assert {n["id"]: n["contact_phone"] for n in answer.json()}[need] == MASKED
    cadre.ok("POST", f"{NEEDS}/{need}/cancel", {"reason": "test done"})
