"""Quantities past the service's bounds, over a real server: a 422 naming the field, and nothing written.

The bounds are the engine's maximum narrowed for one request (``api/schemas.py``); 10**20 was once planned.
"""

import time
from typing import Any

import pytest

from api.auth import Role
from engine.model.quantity import MAX_QUANTITY
from tests.api.server import Api, Server, api_for

STOCK_MAX = MAX_QUANTITY // 10
NEED_MAX = MAX_QUANTITY // 100
PER_UNIT_MAX = MAX_QUANTITY // 1000
RESOURCES = "/communities/c1/resources"
NEEDS = "/communities/c1/needs"


def resource(**changes: Any) -> dict[str, Any]:
    return {
        "id": "q-boat",
        "organisation": "c1-boats",
        "capability": "rescue.boat",
        "quantity": 1,
        "location": "g1_1",
        **changes,
    }


def need(**changes: Any) -> dict[str, Any]:
    return {
        "id": "q-need",
        "capability": "rescue.boat",
        "quantity": 1,
        "location": "g2_2",
        "priority": 2,
        **changes,
    }


@pytest.fixture(scope="module")
def street(server: Server) -> Api:
    return Api(server, server.token(Role.STREET, street="s1"))


@pytest.fixture(scope="module")
def cadre(server: Server) -> Api:
    return api_for(server, Role.CADRE)


def log(street: Api) -> list[Any]:
    return list(street.ok("GET", "/communities/c1/events?limit=1000"))


# The log each server was last found settled with. A test finding it unchanged starts from it without waiting
# again: since then came only refused requests, which write nothing (anything written changes the log, and is
# waited out).
SETTLED: dict[str, list[Any]] = {}


def settled(street: Api) -> list[Any]:
    """The log once the coordinator has written what it had pending (normal times match every second)."""
    last, since = log(street), time.monotonic()
    if SETTLED.get(street.server.url) == last:
        return last
    while time.monotonic() - since < 1.5:
        time.sleep(0.1)
        now = log(street)
        if now != last:
            last, since = now, time.monotonic()
    SETTLED[street.server.url] = last
    return last


def refused(api: Api, method: str, path: str, body: Any, field: str, limit: int, value: int) -> None:
    response = api.client.request(method, path, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["field"] == field, problem
    assert str(value) in problem["detail"], problem
    # Past 64 bits the body check refuses the number before any model reads it, with a message of its own.
    if value < 2**63:
        assert f"less than or equal to {limit}" in problem["detail"], problem
    assert "Traceback" not in response.text


@pytest.mark.parametrize("quantity", [10**20, STOCK_MAX + 1])
def test_a_new_resource_past_the_bound_is_refused_and_not_kept(street: Api, quantity: int) -> None:
    before = settled(street)
    refused(street, "POST", RESOURCES, resource(quantity=quantity), "quantity", STOCK_MAX, quantity)
    assert street.get(f"{RESOURCES}/q-boat").status_code == 404
    assert log(street) == before


@pytest.mark.parametrize(
    ("body", "field", "limit", "value"),
    [
        (need(quantity=10**20), "quantity", NEED_MAX, 10**20),
        (need(quantity=NEED_MAX + 1), "quantity", NEED_MAX, NEED_MAX + 1),
        (
            need(team=[{"capability": "rescue.crew", "per_unit": PER_UNIT_MAX + 1}]),
            "team[0].per_unit",
            PER_UNIT_MAX,
            PER_UNIT_MAX + 1,
        ),
    ],
)
def test_a_new_need_past_the_bound_is_refused_and_not_kept(
    street: Api, cadre: Api, body: dict[str, Any], field: str, limit: int, value: int
) -> None:
    before = settled(street)
    refused(cadre, "POST", NEEDS, body, field, limit, value)
    assert cadre.get(f"{NEEDS}/q-need").status_code == 404
    assert "q-need" not in {n["id"] for n in cadre.ok("GET", NEEDS)}
    assert log(street) == before


def test_changes_past_the_bound_are_refused_and_change_nothing(street: Api, cadre: Api) -> None:
    boat = street.ok("GET", f"{RESOURCES}/c1-boat")
    made = cadre.ok("POST", NEEDS, need(id="q-kept"))
    before = settled(street)
    refused(street, "PATCH", f"{RESOURCES}/c1-boat", {"quantity": 10**20}, "quantity", STOCK_MAX, 10**20)
    refused(cadre, "PATCH", f"{NEEDS}/q-kept", {"quantity": NEED_MAX + 1}, "quantity", NEED_MAX, NEED_MAX + 1)
    # The body is read before the dispatch is looked up: no dispatch is needed to be refused.
    refused(
        cadre,
        "POST",
        "/communities/c1/assignments/none/override",
        {"resource": "c1-boat", "quantity": MAX_QUANTITY + 1},
        "quantity",
        MAX_QUANTITY,
        MAX_QUANTITY + 1,
    )
    assert street.ok("GET", f"{RESOURCES}/c1-boat")["quantity"] == boat["quantity"]
    assert cadre.ok("GET", f"{NEEDS}/q-kept")["quantity"] == made["quantity"] == 1
    assert log(street) == before


def test_the_bounds_themselves_are_taken(street: Api, cadre: Api) -> None:
    assert street.ok("POST", RESOURCES, resource(id="q-big", quantity=STOCK_MAX))["quantity"] == STOCK_MAX
    made = cadre.ok(
        "POST",
        NEEDS,
        need(id="q-big", quantity=NEED_MAX, team=[{"capability": "rescue.crew", "per_unit": PER_UNIT_MAX}]),
    )
    assert made["quantity"] == NEED_MAX and made["team"][0]["per_unit"] == PER_UNIT_MAX
