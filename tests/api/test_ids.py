"""Ids under concurrency: the server gives them under its lock, the database backs each with a unique key,
and an id means something only inside its own community."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from api.auth import Role
from api.db.database import connect
from api.pii import load_vault
from api.store import Logged, Store
from engine.coordinator import Rejected
from engine.coordinator.events import NeedReported
from engine.model import Need
from tests.api.server import MAP, Server, api_for
from tests.api.wsclient import Client

PHONE = "13912345678"


def _need(capability: str = "supply.water", **extra: object) -> dict[str, object]:
    return {"capability": capability, "quantity": 1, "location": "g2_2", "priority": 2, **extra}


async def _all_at_once(
    url: str, token: str, requests: list[tuple[str, dict[str, object]]]
) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        return list(await asyncio.gather(*(client.post(path, json=body) for path, body in requests)))


def test_fifty_clients_reporting_needs_without_ids_at_once_are_all_accepted(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    answers = asyncio.run(
        _all_at_once(
            server.url, cadre.token, [("/communities/c2/needs", _need(note=f"{i}")) for i in range(50)]
        )
    )
    assert [a.status_code for a in answers] == [201] * 50, [a.text for a in answers if a.status_code != 201]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 50
    listed = {n["id"] for n in cadre.ok("GET", "/communities/c2/needs")}
    assert ids <= listed
    for need in ids:
        cadre.ok("POST", f"/communities/c2/needs/{need}/cancel", {})


def test_two_streets_racing_for_one_new_community_id_one_wins(server: Server) -> None:
    body = {"street": "", "profile": "fast_test", "map": MAP, "id": "contested"}
    tokens = {street: server.token(Role.STREET, street=street) for street in ("s1", "s2")}

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url + "/api/v1", timeout=60) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(
                            "/communities",
                            json={**body, "street": street},
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        for street, token in tokens.items()
                    )
                )
            )

    answers = asyncio.run(race())
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 201).json()["street"]
    loser = "s2" if winner == "s1" else "s1"
    # The loser learns nothing more: the community stays out of its sight.
    seen = httpx.get(
        f"{server.url}/api/v1/communities/contested", headers={"Authorization": f"Bearer {tokens[loser]}"}
    )
    assert seen.status_code == 404


def test_the_same_new_need_id_in_two_communities_names_two_needs_and_nothing_crosses(server: Server) -> None:
    """Sent at the same moment with the same id, each community's report is its own; neither community's
    cadre nor organisation hears of the other's, nor gets its resident's phone."""
    cadres = {c: api_for(server, Role.CADRE, c) for c in ("c1", "c2")}
    organisations = {c: api_for(server, Role.ORGANISATION, c) for c in ("c1", "c2")}
    cadres["c1"].ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
    cadres["c2"].ok("POST", "/communities/c2/incidents", {"kind": "flood", "level": 2})

    async def run() -> tuple[list[httpx.Response], dict[str, list[str]]]:
        listeners = {}
        for c in ("c1", "c2"):
            cadre = await Client(server.ws_url, cadres[c].token).open()
            assert (await cadre.subscribe(f"community:{c}"))["type"] == "subscribed"
            org = await Client(server.ws_url, organisations[c].token).open()
            assert (await org.subscribe(f"organisation:{c}:{c}-boats"))["type"] == "subscribed"
            listeners[f"cadre-{c}"], listeners[f"org-{c}"] = cadre, org
        for client in listeners.values():
            await client.drain(0.3)
            client.received.clear()
        bodies = {
            c: _need("rescue.boat", id="same-1", priority=5, contact_phone=PHONE[:-1] + str(i))
            for i, c in enumerate(("c1", "c2"))
        }

        async def report(c: str) -> httpx.Response:
            async with httpx.AsyncClient(
                base_url=server.url + "/api/v1",
                headers={"Authorization": f"Bearer {cadres[c].token}"},
                timeout=60,
            ) as client:
                return await client.post(f"/communities/{c}/needs", json=bodies[c])

        answers = list(await asyncio.gather(report("c1"), report("c2")))
        # Priority 5 is sent on its own (the test profile): each organisation hears of its own need.
        for c in ("c1", "c2"):
            await listeners[f"org-{c}"].until(lambda m: m.get("type") == "dispatches")
        heard = {}
        for who, client in listeners.items():
            await client.drain(0.5)
            heard[who] = [json.dumps(m, ensure_ascii=False) for m in client.received]
            await client.close()
        return answers, heard

    answers, heard = asyncio.run(run())
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert [a.json()["community"] for a in answers] == ["c1", "c2"]
    for c, other in (("c1", "c2"), ("c2", "c1")):
        other_phone = PHONE[:-1] + str(("c1", "c2").index(other))
        for who in (f"cadre-{c}", f"org-{c}"):
            assert heard[who], f"{who} heard nothing at all"
            assert not [m for m in heard[who] if f'"{other}"' in m or other_phone in m], who
    # The organisation assigned sees its own resident's phone in clear; the other's never.
    assert any(PHONE[:-1] + "0" in m for m in heard["org-c1"])
    for c in ("c1", "c2"):
        cadres[c].ok("POST", f"/communities/{c}/needs/same-1/cancel", {})
        incident = cadres[c].ok("GET", f"/communities/{c}")["incident"]["id"]
        cadres[c].ok("POST", f"/communities/{c}/incidents/{incident}/close")


def test_the_database_refuses_a_second_need_with_one_id_whatever_the_memory_says(tmp_path: Path) -> None:
    """The last line of defence: a write that got past every check in memory (another process, a bug) is
    refused by the database's unique key, and nothing of it is written."""
    store = Store(connect(f"sqlite:///{tmp_path / 'ids.db'}"), load_vault(tmp_path / "pii.key"))
    at = datetime(2026, 7, 1, tzinfo=UTC)
    need = Need.model_validate(
        {
            "id": "n1",
            "community": "c1",
            "capability": "supply.water",
            "quantity": 1,
            "location": "g0_0",
            "priority": 2,
            "reported_by": "t",
            "reported_at": at,
        }
    )
    event = NeedReported(at=at, actor="t", need=need, contact_phone=PHONE)
    store.write("s1", [Logged("c1", event, None, False)], [], [], at)
    with pytest.raises(Rejected) as refused:
        store.write("s1", [Logged("c1", event, None, False)], [], [], at)
    assert refused.value.kind == "conflict"
    assert [t.community for t in store.tail("s1", 0)] == ["c1"]
    # The same id in another community is another need.
    store.write("s1", [Logged("c2", event, None, False)], [], [], at)
    assert [t.community for t in store.tail("s1", 0)] == ["c1", "c2"]
