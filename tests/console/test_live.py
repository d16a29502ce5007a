"""Live behaviour: an action taken offline is queued and sent, with its own time, once; a server that dies
and comes back is resumed from the page's last seq, without a reload and without losing a message."""

import json
import time
from datetime import datetime
from typing import Any

from playwright.sync_api import WebSocket, expect

from tests.api.server import Server, wait_for
from tests.console.conftest import OpenPage, World, dispatch_card, need_card

# This module kills and restarts its server, and the server cannot yet replay a community whose profile has an
# eligibility rule (conditions are logged with field names: "in_" instead of "in"), so no rules here.
PROFILE_NAME = "console_plain"
# It kills and restarts its server; offline, as a phone with the installed app is.
OWN_SERVER = True
SERVICE_WORKERS = "allow"


def test_an_action_taken_offline_is_sent_on_reconnect_with_its_own_time(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("off")
    need = c.need(capability="supply.water", quantity=4, location="g1_2", priority=3)
    d = c.proposal_for(need["id"])["id"]
    c.cadre.ok("POST", f"{c.path}/assignments/{d}/confirm")
    page = open_page(c.shop.token)
    card = dispatch_card(page, d)
    expect(card).to_have_attribute("data-status", "notified")
    banner = page.get_by_test_id("offline-banner")
    expect(banner).to_be_hidden()

    page.context.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("网络已断开")
    page.get_by_test_id(f"acknowledge-{d}").click()
    expect(page.locator("#toast")).to_have_text("已保存，联网后自动发送")
    # The card says it is waiting, and offers no second press.
    expect(page.get_by_test_id(f"pending-{d}")).to_be_visible()
    expect(page.get_by_test_id(f"acknowledge-{d}")).to_have_count(0)
    assert len(json.loads(page.evaluate("localStorage.getItem('pz.queue')"))) == 1
    taken = time.time()
    time.sleep(1.5)
    assert c.shop.ok("GET", f"{c.path}/assignments/{d}")["status"] == "notified"

    page.context.set_offline(False)
    expect(card.get_by_test_id(f"status-{d}")).to_have_text("已接单")
    expect(banner).to_be_hidden()
    expect(page.get_by_test_id(f"en-route-{d}")).to_be_visible()
    assert json.loads(page.evaluate("localStorage.getItem('pz.queue')")) == []
    assert c.shop.ok("GET", f"{c.path}/assignments/{d}")["status"] == "acknowledged"
    events = c.cadre.ok("GET", f"{c.path}/events?type=dispatch_status_changed&limit=1000")
    acks = [e for e in events if e["data"]["dispatch"] == d and e["data"]["status"] == "acknowledged"]
    assert len(acks) == 1, acks  # applied exactly once
    occurred = datetime.fromisoformat(acks[0]["data"]["occurred_at"])
    logged = datetime.fromisoformat(acks[0]["at"])
    # Stamped when the button was pressed, offline; logged when it reached the server, 1.5 s later.
    assert abs(occurred.timestamp() - taken) < 1.0
    assert (logged - occurred).total_seconds() >= 1.4


def _frames(received: list[tuple[int, dict[str, Any]]], channel: str) -> list[tuple[int, str, int]]:
    """(socket number, type, seq) of each channel message the page received, in order."""
    return [
        (n, m["type"], m["seq"])
        for n, m in received
        if m.get("channel") == channel and "seq" in m and m.get("type") != "subscribed"
    ]


def test_the_page_resumes_after_a_server_restart_without_losing_a_message(
    server: Server, world: World, open_page: OpenPage
) -> None:
    c = world.community("restart")
    channel = f"community:{c.id}"
    page = open_page()
    received: list[tuple[int, dict[str, Any]]] = []
    sent: list[tuple[int, dict[str, Any]]] = []
    sockets: list[WebSocket] = []

    def on_socket(ws: WebSocket) -> None:
        sockets.append(ws)
        n = len(sockets)
        ws.on("framereceived", lambda payload: received.append((n, json.loads(payload))))
        ws.on("framesent", lambda payload: sent.append((n, json.loads(payload))))

    page.on("websocket", on_socket)
    page.get_by_test_id("token").fill(c.cadre.token)
    page.get_by_test_id("signin").click()
    # Subscribed: the snapshot is in. A function, not an expression: Playwright evaluates an expression with
    # eval(), which the console's Content-Security-Policy refuses.
    wait_for(lambda: page.evaluate("typeof window.pzLastSeq === 'number'"), timeout=30)
    seq_before = page.evaluate("window.pzLastSeq")
    before = c.need(capability="supply.water", quantity=2, location="g2_2", priority=3)
    expect(need_card(page, before["id"])).to_be_visible()
    expect(page.locator('[data-testid="plan"] [data-dispatch]')).to_have_count(1)
    page.evaluate("window.pzSamePage = true")  # gone if the page reloads

    server.kill()
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    # Nothing can arrive now; what the page last saw is what it must resume from.
    seq_at_kill = page.evaluate("window.pzLastSeq")
    assert seq_at_kill == max(seq for _, _, seq in _frames(received, channel)) > seq_before
    server.start()
    # Posted as soon as the server is back, maybe before the page has reconnected.
    after = c.need(capability="power.generator", quantity=1, location="g4_4", priority=4)
    expect(need_card(page, after["id"])).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("offline-banner")).to_be_hidden()
    expect(page.locator(f'[data-unmet="{after["id"]}"]')).to_be_visible()
    assert page.evaluate("window.pzSamePage") is True

    frames = _frames(received, channel)
    seqs = [seq for _, kind, seq in frames if kind != "snapshot"]
    # One snapshot, on the very first subscription; after that every message, each exactly once, in order.
    assert [(n, kind) for n, kind, _ in frames if kind == "snapshot"] == [(1, "snapshot")]
    first = frames[0]
    assert first[1] == "snapshot"
    assert seqs == list(range(first[2] + 1, first[2] + 1 + len(seqs))), seqs
    assert any(n >= 2 for n, _, _ in frames)
    # Each socket subscribed once: the first from nothing, the one that got through after the restart from the
    # last seq the page had seen (those that failed while the server was down sent nothing).
    subscriptions = [(n, m["channels"]) for n, m in sent if m.get("type") == "subscribe"]
    mine = [(n, s) for n, s in subscriptions if channel in s]
    assert mine[0] == (1, {channel: None})
    assert [s for _, s in mine[1:]] == [{channel: seq_at_kill}], subscriptions
    # The cadre's other channel (residents' appeals) likewise: once on the first socket, and resumed once on the
    # socket the community's channel resumed on (under load a socket may open and close again before it
    # subscribes anything, so that one is not always the second).
    resumed_on = mine[1][0]
    others = [(n, s) for n, s in subscriptions if channel not in s]
    assert [(n, list(s)) for n, s in others] == [
        (1, [f"appeals:{c.id}"]),
        (resumed_on, [f"appeals:{c.id}"]),
    ], subscriptions
    assert others[0][1] == {f"appeals:{c.id}": None} and None not in others[1][1].values()
    last = page.evaluate("window.pzLastSeq")
    assert last == seqs[-1] > seq_at_kill
