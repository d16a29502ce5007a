"""The attention bar in a real browser at phone size: a life-safety dispatch that times out shows at the top of the
cadre's page within 2 s, live; tapping it opens it (for every cadre) and shows the need's card; an organisation is
told at the top of its page that a job was taken back."""

from typing import Any

import pytest
from playwright.sync_api import expect

from api.auth import Role
from tests.api.server import Api, Server, wait_for
from tests.console.axe import findings
from tests.console.conftest import PHONE, OpenPage, World, need_card

PROFILE_NAME = "console_attention"
# Life-safety is confirmed by itself and must be acknowledged within 2 s; nothing else comes due during a test.
PROFILE = """
name: console_attention
title_zh: 提醒测试规则
title_en: Attention test profile
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 2
  escalate_after_s: 3600
  normal_match_every_s: 3600
rules: []
"""
PLACE = "12栋1楼"


@pytest.fixture(scope="module", autouse=True)
def profile(server: Server) -> None:
    """The profile, in the server's folder of profiles: the server reads a profile by name when a community
    is registered with it."""
    (server.data_dir / "profiles" / f"{PROFILE_NAME}.yaml").write_text(PROFILE, encoding="utf-8")


def life_safety(c: Any) -> str:
    # Next to the boat (g0_5, 蓝天救援队's 冲锋舟), the only unit that can go.
    need = c.need(capability="rescue.boat", location="g0_4", priority=5, note=PLACE)
    return str(need["id"])


def test_a_timed_out_dispatch_shows_at_the_top_within_two_seconds_and_tapping_opens_it(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("att1")
    page = open_page(c.cadre.token, viewport=PHONE)
    bar = page.get_by_test_id("attention")
    expect(bar).to_be_hidden()
    # Permission for system notifications is asked by a button, never on load.
    assert page.evaluate("Notification.permission") == "default"
    need = life_safety(c)
    item = bar.locator('[data-kind="dispatch_withdrawn"]')
    expect(item).to_be_visible(timeout=10_000)
    shown_at = page.evaluate("Date.now()")
    [withdrawn] = [i for i in c.cadre.ok("GET", f"{c.path}/attention") if i["kind"] == "dispatch_withdrawn"]
    # Within 2 s of the time-out, without a reload, announced as new.
    lag_ms = shown_at - int(page.evaluate(f"Date.parse({withdrawn['at']!r})"))
    assert lag_ms < 2000, lag_ms
    assert page.evaluate("window.pzAnnounced") >= 1
    expect(item).to_contain_text(f"蓝天救援队 未在时限内接单 · {withdrawn['place']}")
    assert PLACE in withdrawn["place"]
    expect(page.get_by_test_id("attention-notify")).to_be_visible()
    # The bar passes axe (the rest of the page is test_a11y's).
    assert [f for f in findings(page) if "attention" in f] == []
    # At the very top, and still there when the page is scrolled down.
    assert bar.bounding_box()["y"] == 0  # type: ignore[index]
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = bar.bounding_box()
    assert box is not None and box["y"] == 0 and box["height"] < PHONE["height"] / 2

    item.click()
    expect(page.get_by_test_id(f"attention-{withdrawn['id']}")).to_have_count(0)
    expect(need_card(page, need)).to_be_in_viewport()
    # Opened for every cadre: the server no longer lists it, and names who opened it.
    wait_for(lambda: withdrawn["id"] not in [i["id"] for i in c.cadre.ok("GET", f"{c.path}/attention")])
    opened = {i["id"]: i for i in c.cadre.ok("GET", f"{c.path}/attention?opened=true")}
    assert opened[withdrawn["id"]]["opened_by"] == "cadre:cadre-test"


def test_the_organisation_is_told_its_job_was_taken_back(world: World, open_page: OpenPage) -> None:
    # In a drill: said so, so that nobody takes it for a real one.
    c = world.community("att2", exercise=True)
    boats = Api(
        world.server, world.server.token(Role.ORGANISATION, community=c.id, organisation=f"{c.id}-boats")
    )
    page = open_page(boats.token, viewport=PHONE)
    need = life_safety(c)
    # Accepted at once (before the 2 s run out); then the resident gets out by themselves.
    sent = wait_for(lambda: boats.ok("GET", f"{c.path}/assignments"))[0]
    boats.ok("POST", f"{c.path}/assignments/{sent['id']}/acknowledge")
    expect(page.locator("[data-dispatch]")).to_have_count(1)
    c.cadre.ok("POST", f"{c.path}/needs/{need}/cancel", {"reason": "已自行撤离"})
    item = page.get_by_test_id("attention").locator('[data-kind="job_withdrawn"]')
    [job] = wait_for(lambda: boats.ok("GET", f"{c.path}/attention"))
    place = job["place"]
    assert PLACE in place
    expect(item).to_contain_text(f"演练 · 任务已撤回：冲锋舟 · {place}（需求已取消），无需前往")
    expect(page.locator("[data-dispatch]")).to_have_count(0)
    item.click()
    expect(page.get_by_test_id("attention")).to_be_hidden()
    wait_for(lambda: boats.ok("GET", f"{c.path}/attention") == [])


def test_the_street_is_told_once_the_need_is_sent_to_it_and_a_tap_opens_its_community(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("att3")
    street = world.street
    page = open_page(street.token, viewport=PHONE)
    need = life_safety(c)
    wait_for(lambda: c.cadre.ok("GET", f"{c.path}/attention"), timeout=15)
    bar = page.get_by_test_id("attention")
    # The community's own business until the cadre sends the need to the street: then the street's page hears.
    expect(bar).to_be_hidden()
    c.cadre.ok("POST", f"{c.path}/needs/{need}/escalate", {})
    item = bar.locator('[data-kind="dispatch_withdrawn"]')
    expect(item).to_be_visible()
    item.click()
    expect(need_card(page, need)).to_be_in_viewport()
    # Opened for the street's staff; the community's cadres still have theirs to open.
    assert [i["kind"] for i in street.ok("GET", f"{c.path}/attention")] == ["life_safety_unmet"]
    assert "dispatch_withdrawn" in [i["kind"] for i in c.cadre.ok("GET", f"{c.path}/attention")]
