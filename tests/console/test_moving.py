"""A command answered 503 while its community moves between servers (or 502/504 by a load balancer in front) is
sent again after Retry-After with the same Idempotency-Key, and applied once; any other refusal is not sent again.
The answers are the browser's routing of the real requests: the server itself is tested moving in tests/scale."""

import json
from typing import Any

from playwright.sync_api import Route

from tests.console.conftest import OpenPage, World

SEND = "async ([path, body]) => (await import('/api.js')).api('POST', path, body)"
SEND_REFUSED = """async ([path, body]) => {
  try { await (await import('/api.js')).api('POST', path, body); return null; }
  catch (error) { return error.status; }
}"""


def _answers(first: list[int], keys: list[str | None]) -> Any:
    """Answer the first requests with the statuses in ``first``, then let them through to the server."""

    def route(r: Route) -> None:
        if r.request.method != "POST":  # the page's own reads of the list
            r.continue_()
            return
        keys.append(r.request.headers.get("idempotency-key"))
        if first:
            status = first.pop(0)
            problem = {"type": "about:blank", "title": "请稍后重试", "status": status, "detail": "moving"}
            r.fulfill(
                status=status,
                headers={"Retry-After": "0.2"},
                content_type="application/problem+json",
                body=json.dumps(problem),
            )
        else:
            r.continue_()

    return route


def test_a_report_answered_while_its_community_moves_is_sent_again_and_applied_once(
    open_page: OpenPage, world: World
) -> None:
    c = world.community("moving1", incident=False)
    page = open_page(c.cadre.token)
    keys: list[str | None] = []
    page.route(f"**/api/v1{c.path}/needs", _answers([503, 502, 504], keys))
    body = {"capability": "supply.water", "quantity": 1, "priority": 3, "location": "g1_1"}
    made = page.evaluate(SEND, [f"{c.path}/needs", body])
    assert len(keys) == 4 and len(set(keys)) == 1 and keys[0]
    assert [n["id"] for n in c.cadre.ok("GET", f"{c.path}/needs")] == [made["id"]]


def test_a_refusal_that_is_not_a_move_is_not_sent_again(open_page: OpenPage, world: World) -> None:
    c = world.community("moving2", incident=False)
    page = open_page(c.cadre.token)
    keys: list[str | None] = []
    page.route(f"**/api/v1{c.path}/needs", _answers([409], keys))
    body = {"capability": "supply.water", "quantity": 1, "priority": 3, "location": "g1_1"}
    assert page.evaluate(SEND_REFUSED, [f"{c.path}/needs", body]) == 409
    assert len(keys) == 1
    assert c.cadre.ok("GET", f"{c.path}/needs") == []
