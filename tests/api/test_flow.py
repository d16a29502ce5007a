"""Incident mode over REST, plan diffs over websockets: every subscribed client hears of it."""

import asyncio

from api.auth import Role
from tests.api.server import Server, api_for, wait_for
from tests.api.wsclient import Client


def test_trigger_report_and_every_subscriber_receives_the_plan_diff(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    org = api_for(server, Role.ORGANISATION)
    grid = api_for(server, Role.GRID_WORKER)

    async def scenario() -> None:
        community = await Client(server.ws_url, cadre.token).open()
        observer = await Client(server.ws_url, api_for(server, Role.OBSERVER).token, subprotocol=True).open()
        boats = await Client(server.ws_url, org.token).open()
        for client, channel in (
            (community, "community:c1"),
            (observer, "community:c1"),
            (boats, "organisation:c1:c1-boats"),
        ):
            assert (await client.subscribe(channel))["type"] == "subscribed"
            snap = await client.next()
            assert snap["type"] == "snapshot" and snap["snapshot"] is True
        incident = cadre.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})
        assert incident["exercise"] is False
        incident_client = await Client(server.ws_url, cadre.token).open()
        await incident_client.subscribe(f"incident:c1:{incident['id']}")
        await incident_client.next()  # snapshot
        need = grid.ok(
            "POST",
            "/communities/c1/needs",
            {
                "capability": "rescue.boat",
                "quantity": 1,
                "location": "g0_1",
                "priority": 5,
                "contact_phone": "13812345678",
                "tags": ["elderly_alone"],
            },
        )
        for client in (community, observer, incident_client):
            plan = await client.until(lambda m: m.get("type") == "plan_proposed")
            [proposed] = plan["data"]["changed"]
            assert proposed["need"] == need["id"] and proposed["resource"] == "c1-boat"
            assert plan["data"]["exercise"] is False
        # Priority 5 is confirmed by the profile and sent: the organisation hears of it, phone shown.
        sent = await boats.until(
            lambda m: (
                m.get("type") == "dispatches" and any(d["status"] == "notified" for d in m["data"]["changed"])
            )
        )
        [dispatch] = sent["data"]["changed"]
        assert dispatch["need_detail"]["contact_phone"] == "13812345678"
        # The observer's copy of the report is masked.
        reported = next(m for m in observer.received if m.get("type") == "need_reported")
        assert reported["data"]["event"]["contact_phone"] == "138****5678"
        org.ok("POST", f"/communities/c1/assignments/{dispatch['id']}/acknowledge")
        ack = await community.until(
            lambda m: (
                m.get("type") == "dispatch_status_changed" and m["data"]["event"]["status"] == "acknowledged"
            )
        )
        assert ack["data"]["changed"][0]["id"] == dispatch["id"] and ack["data"]["event"]["actor"].startswith(
            "organisation:"
        )
        for client in (community, observer, boats, incident_client):
            seqs = [m["seq"] for m in client.received if "seq" in m and m.get("type") != "snapshot"]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            await client.close()
        cadre.ok("POST", f"/communities/c1/incidents/{incident['id']}/close")

    asyncio.run(scenario())


def test_confirm_then_override_keeps_the_cadres_choice(server: Server) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    cadre.ok("POST", "/communities/c2/incidents", {"kind": "fire", "level": 3})
    need = cadre.ok(
        "POST",
        "/communities/c2/needs",
        {"capability": "rescue.boat", "quantity": 1, "location": "g0_0", "priority": 3},
    )
    proposed = wait_for(
        lambda: [d for d in cadre.ok("GET", "/communities/c2/assignments") if d["need"] == need["id"]]
    )
    assert proposed[0]["status"] == "proposed" and proposed[0]["resource"] == "c2-boat"
    confirmed = cadre.ok("POST", f"/communities/c2/assignments/{proposed[0]['id']}/confirm")
    assert confirmed["status"] == "notified" and confirmed["confirmed_by"].startswith("cadre:")
    swapped = cadre.ok(
        "POST", f"/communities/c2/assignments/{proposed[0]['id']}/override", {"resource": "c2-boat2"}
    )
    assert swapped["replaced"] == proposed[0]["id"] and swapped["dispatch"]["resource"] == "c2-boat2"
    # The next plan keeps the override as a pin, and proposes nothing else for the need.
    plan = wait_for(
        lambda: (
            (p := cadre.get("/communities/c2/plan")).status_code == 200
            and p.json()["plan"]["assignments"]
            and p.json()
        )
    )
    wait_for(lambda: cadre.ok("GET", "/communities/c2/plan")["version"] >= 2)
    plan = cadre.ok("GET", "/communities/c2/plan")
    mine = [a for a in plan["plan"]["assignments"] if a["need"] == need["id"]]
    assert mine == [{**mine[0], "resource": "c2-boat2", "pinned": True, "rules": ["pinned"]}]
    versions = cadre.ok("GET", "/communities/c2/plans")
    assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))
