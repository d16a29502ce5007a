"""The cadre's console: sign in, incident mode, live needs, confirm, override, escalate, relax a rule — and
the organisation's answers showing up on the cadre's screen."""

import statistics
import time

from playwright.sync_api import Locator, Page, expect

from tests.api.server import wait_for
from tests.console.conftest import OpenPage, World, dispatch_card, need_card, record

LATENCY_SAMPLES = 20


def test_sign_in_start_incident_and_confirm_first_dispatch(world: World, open_page: OpenPage) -> None:
    """The cadre's first minutes: a wrong token is refused in plain Chinese; the right one opens the cadre
    view; incident mode starts through the dialog; the first proposal is confirmed. Clicks are counted."""
    c = world.community("flow", incident=False)
    page = open_page()
    steps: list[str] = []

    def click(locator: Locator, label: str) -> None:
        locator.click()
        steps.append(f"click {label}")

    page.get_by_test_id("token").fill("not-a-token")
    page.get_by_test_id("signin").click()
    expect(page.get_by_test_id("signin-message")).to_have_text("令牌无效，请核对后再试")
    expect(page.get_by_test_id("signout")).to_be_hidden()

    page.get_by_test_id("token").fill(c.cadre.token)
    steps.append("type token")
    click(page.get_by_test_id("signin"), "登录")
    expect(page.locator("#where")).to_have_text("flow社区 · 社区干部 · 常态")
    expect(page.get_by_test_id("needs")).to_be_visible()
    expect(page.get_by_test_id("exercise-banner")).to_be_hidden()

    click(page.get_by_test_id("start-incident"), "启动应急模式")
    page.get_by_test_id("incident-kind").select_option("typhoon")
    steps.append("choose 台风")
    page.get_by_test_id("incident-level").select_option("3")
    steps.append("choose 3 级")
    click(page.get_by_test_id("confirm-start"), "确定启动")
    expect(page.locator("#where")).to_have_text("flow社区 · 社区干部 · 应急中 · 台风 · 3 级")
    incident = c.cadre.ok("GET", c.path)["incident"]
    assert (incident["kind"], incident["level"], incident["exercise"]) == ("typhoon", 3, False)
    expect(page.get_by_test_id("close-incident")).to_be_visible()
    expect(page.get_by_test_id("exercise-banner")).to_be_hidden()

    # A grid worker reports a need (not the cadre's click); the engine proposes the nearest water.
    need = c.need(capability="supply.water", quantity=5, location="g1_1", priority=3)
    expect(need_card(page, need["id"])).to_be_visible()
    proposal = c.proposal_for(need["id"])
    assert proposal["status"] == "proposed"
    card = dispatch_card(page, proposal["id"])
    expect(card.get_by_test_id(f"status-{proposal['id']}")).to_have_text("待确认")
    # The need itself says whether someone is on the way or a decision is waited for.
    need_status = page.get_by_test_id(f"need-status-{need['id']}")
    expect(need_status).to_have_text("方案待确认")
    click(page.get_by_test_id(f"confirm-{proposal['id']}"), "确认派出")
    expect(card).to_have_attribute("data-status", "notified")
    expect(card.get_by_test_id(f"status-{proposal['id']}")).to_have_text("已通知")
    expect(page.get_by_test_id(f"confirm-{proposal['id']}")).to_have_count(0)
    expect(need_status).to_have_text("已派出，正在处理")
    assert c.cadre.ok("GET", f"{c.path}/assignments/{proposal['id']}")["status"] == "notified"

    clicks = [s for s in steps if s.startswith("click")]
    record(
        "clicks_to_first_confirmed_dispatch",
        {
            "clicks": len(clicks),
            "token_entries": 1,
            "choices": 2,
            "steps": steps,
            "note": "choices: kind and level in the start dialog; keeping the defaults (洪涝, 2 级) skips them",
        },
    )


def test_need_posted_over_the_api_shows_within_two_seconds(world: World, open_page: OpenPage) -> None:
    c = world.community("lat")
    page = open_page(c.cadre.token)
    # The moment each need's card first enters the page, on the browser's wall clock (the same machine's).
    page.evaluate(
        """() => {
          window.pzAppeared = {};
          new MutationObserver(() => {
            for (const el of document.querySelectorAll('[data-testid="needs"] [data-need]')) {
              window.pzAppeared[el.dataset.need] ??= Date.now();
            }
          }).observe(document.body, { childList: true, subtree: true });
        }"""
    )
    latencies = []
    for i in range(LATENCY_SAMPLES):
        offset = _clock_offset_ms(page)
        need = c.need(
            capability="supply.water", quantity=1, location=f"g{i % 6}_{(i * 5) % 6}", priority=1 + i % 4
        )
        posted = time.time() * 1000
        expect(need_card(page, need["id"])).to_be_visible(timeout=2000)
        appeared = page.evaluate("id => window.pzAppeared[id]", need["id"])
        assert appeared is not None
        latencies.append(appeared - offset - posted)
    assert max(latencies) < 2000, latencies
    ordered = sorted(latencies)
    # Nearest-rank percentiles: with 20 samples, p99 is the slowest.
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered) + 0.5) - 1)]
    record(
        "need_to_cadre_view_ms",
        {
            "samples": len(ordered),
            "p50": round(p50, 1),
            "p99": round(p99, 1),
            "max": round(max(ordered), 1),
            "all": [round(x, 1) for x in latencies],
            "measured": "POST /needs returned → its card in the cadre view's DOM (MutationObserver; browser clock offset removed)",
        },
    )


def _clock_offset_ms(page: Page) -> float:
    """The browser's Date.now() minus this process's clock: Chromium keeps its own time base, which may drift
    from the system clock by tens of milliseconds. Read between two local readings (error: half a round trip)."""
    before = time.time() * 1000
    browser = float(page.evaluate("Date.now()"))
    after = time.time() * 1000
    return browser - (before + after) / 2


def test_organisation_acknowledges_and_reports_progress_seen_by_the_cadre(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("org")
    cadre = open_page(c.cadre.token)
    shop = open_page(c.shop.token)
    expect(shop.locator("#where")).to_contain_text("组织联络人")
    expect(shop.get_by_test_id("mine")).to_contain_text("暂时没有任务")
    need = c.need(
        capability="supply.water", quantity=5, location="g1_1", priority=3, contact_phone="13812345678"
    )
    proposal = c.proposal_for(need["id"])
    assert proposal["resource"] == "org-water1"
    d = proposal["id"]
    # A proposal is not the organisation's business until a cadre confirms it.
    expect(dispatch_card(cadre, d)).to_have_attribute("data-status", "proposed")
    expect(dispatch_card(shop, d)).to_have_count(0)
    cadre.get_by_test_id(f"confirm-{d}").click()

    # Live: the organisation hears of it without reloading, with the resident's phone to call.
    card = dispatch_card(shop, d)
    expect(card).to_have_attribute("data-status", "notified")
    expect(card.locator('a[href="tel:13812345678"]')).to_be_visible()
    shop.get_by_test_id(f"acknowledge-{d}").click()
    expect(card.get_by_test_id(f"status-{d}")).to_have_text("已接单")
    expect(dispatch_card(cadre, d).get_by_test_id(f"status-{d}")).to_have_text("已接单")

    for button, status, label in (
        ("en-route", "en_route", "在途"),
        ("on-site", "on_site", "已到达"),
    ):
        shop.get_by_test_id(f"{button}-{d}").click()
        expect(card).to_have_attribute("data-status", status)
        expect(dispatch_card(cadre, d)).to_have_attribute("data-status", status)
        expect(dispatch_card(cadre, d).get_by_test_id(f"status-{d}")).to_have_text(label)
        assert c.cadre.ok("GET", f"{c.path}/assignments/{d}")["status"] == status
    shop.get_by_test_id(f"done-{d}").click()
    # Done: the task leaves the organisation's list and the need is served, so the cadre's list of needs drops it.
    expect(card).to_have_count(0)
    expect(shop.get_by_test_id("mine")).to_contain_text("暂时没有任务")
    expect(need_card(cadre, need["id"])).to_have_count(0)
    assert c.cadre.ok("GET", f"{c.path}/needs/{need['id']}")["status"] == "served"


def test_override_sends_another_resource_and_the_engine_keeps_it(world: World, open_page: OpenPage) -> None:
    c = world.community("ovr")
    page = open_page(c.cadre.token)
    need = c.need(capability="supply.water", quantity=3, location="g1_0", priority=3)
    proposal = c.proposal_for(need["id"])
    assert proposal["resource"] == "ovr-water1"
    expect(dispatch_card(page, proposal["id"])).to_contain_text("超市水站")
    page.get_by_test_id(f"override-{proposal['id']}").click()
    pick = page.get_by_test_id("override-pick")
    expect(pick.locator("option")).to_have_count(1)
    pick.select_option("ovr-water2")
    page.get_by_test_id("confirm-override").click()

    # The old proposal goes; the cadre's choice is on the plan, already confirmed.
    expect(dispatch_card(page, proposal["id"])).to_have_count(0)
    chosen = page.locator('[data-testid="plan"] [data-dispatch]', has_text="志愿者水站")
    expect(chosen).to_have_count(1)
    expect(chosen).to_have_attribute("data-status", "notified")
    expect(chosen).to_contain_text("志愿者服务队")

    def pinned() -> list[tuple[str, bool]]:
        plan = c.cadre.ok("GET", f"{c.path}/plan")["plan"]
        return [(a["resource"], a["pinned"]) for a in plan["assignments"] if a["need"] == need["id"]]

    # The engine keeps it: pinned in the plan the override's own re-plan makes (a debounce after the page has
    # its dispatch; later under load), and still there after a re-plan the next report causes.
    wait_for(lambda: pinned() == [("ovr-water2", True)])
    version = c.cadre.ok("GET", c.path)["plan_version"]
    other = c.need(capability="supply.water", quantity=2, location="g0_1", priority=2)
    expect(need_card(page, other["id"])).to_be_visible()
    # The page shows the report as its message arrives, before the debounced re-plan: wait for the re-plan.
    wait_for(lambda: c.cadre.ok("GET", c.path)["plan_version"] > version)
    assert pinned() == [("ovr-water2", True)]
    expect(chosen).to_have_count(1)


def test_unmet_need_shows_reason_and_escalates_to_the_street(world: World, open_page: OpenPage) -> None:
    c = world.community("esc")
    page = open_page(c.cadre.token)
    need = c.need(capability="power.generator", quantity=1, location="g3_3", priority=4)
    unmet = page.locator(f'[data-unmet="{need["id"]}"]')
    expect(unmet).to_have_attribute("data-reason", "no_capability")
    # The reason, as the plan explains it, the capability by its name (issue 15: never the code).
    expect(unmet).to_contain_text("资源库中没有能提供「发电机」的资源")
    expect(unmet).not_to_contain_text("power.generator")
    expect(unmet).to_contain_text("上报街道，请求街道资源库支援")  # the suggested action
    # No one can be sent: the need says it is still open, not that someone is on the way.
    expect(page.get_by_test_id(f"need-status-{need['id']}")).to_have_text("待解决")
    assert c.cadre.ok("GET", f"{c.path}/needs/{need['id']}")["escalated"] is False
    page.get_by_test_id(f"escalate-{need['id']}").click()
    expect(page.get_by_test_id(f"escalated-{need['id']}")).to_have_text("⬆ 已上报街道")
    expect(page.get_by_test_id(f"escalate-{need['id']}")).to_have_count(0)
    expect(unmet).to_contain_text("已上报街道")
    assert c.cadre.ok("GET", f"{c.path}/needs/{need['id']}")["escalated"] is True


def test_relaxing_the_blocking_rule_lets_the_need_be_served(world: World, open_page: OpenPage) -> None:
    c = world.community("rlx")
    page = open_page(c.cadre.token)
    # The only home visitor belongs to the supermarket, and enterprises serve only supply needs.
    need = c.need(capability="care.visit", quantity=1, location="g2_3", priority=3, tags=["elderly_alone"])
    unmet = page.locator(f'[data-unmet="{need["id"]}"]')
    expect(unmet).to_have_attribute("data-reason", "excluded_by_rule")
    button = page.get_by_test_id(f"relax-{need['id']}")
    expect(button).to_have_text("放宽规则「enterprises_supply_only」")
    assert c.dispatch_for(need["id"]) is None
    button.click()
    page.get_by_test_id("confirm-relax").click()
    expect(unmet).to_have_count(0)
    expect(page.locator('[data-testid="plan"] [data-dispatch]', has_text="超市送货员")).to_have_attribute(
        "data-status", "proposed"
    )
    proposal = c.proposal_for(need["id"])
    assert proposal["resource"] == "rlx-visit"


def test_a_dialog_closed_with_escape_does_nothing(world: World, open_page: OpenPage) -> None:
    """After one confirmed dialog, Escape on the next must not count as "OK" (the dialog keeps its last
    returnValue unless the page clears it)."""
    c = world.community("esc2")
    page = open_page(c.cadre.token)
    page.get_by_test_id("change-level").click()
    page.locator("#dialog select").select_option("1")
    page.locator('#dialog button[value="ok"]').click()
    expect(page.locator("#where")).to_contain_text("1 级")
    page.get_by_test_id("close-incident").click()
    expect(page.get_by_test_id("confirm-close")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#dialog")).not_to_be_visible()
    page.wait_for_timeout(300)
    assert c.cadre.ok("GET", c.path)["incident"] is not None
    expect(page.locator("#where")).to_contain_text("应急中")


def test_english_switch_changes_the_labels(world: World, open_page: OpenPage) -> None:
    c = world.community("lang")
    page = open_page(c.cadre.token)
    c.need(capability="power.generator", quantity=1, location="g3_3", priority=4)
    expect(page.locator("h2").first).to_have_text("需求（按紧急程度）")
    page.get_by_test_id("lang").click()
    expect(page.get_by_test_id("lang")).to_have_text("中文")
    expect(page.locator("#where")).to_have_text("lang社区 · community cadre · Incident · flood · 2 level")
    expect(page.locator("h2").first).to_have_text("Needs (most urgent first)")
    expect(page.get_by_test_id("signout")).to_have_text("Sign out")
    expect(page.get_by_test_id("close-incident")).to_have_text("Close incident")
    expect(page.get_by_test_id("needs")).to_contain_text("generator")
    expect(page.get_by_test_id("unmet").get_by_role("button")).to_have_text("Escalate to street")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_test_id("lang").click()
    expect(page.get_by_test_id("signout")).to_have_text("退出")
    expect(page.locator("h2").first).to_have_text("需求（按紧急程度）")


def test_a_responder_finding_no_road_is_not_a_decline(world: World, open_page: OpenPage) -> None:
    c = world.community("nrd")
    cadre = open_page(c.cadre.token)
    shop = open_page(c.shop.token)
    need = c.need(capability="supply.water", quantity=5, location="g1_1", priority=3)
    d = c.proposal_for(need["id"])["id"]
    cadre.get_by_test_id(f"confirm-{d}").click()
    card = dispatch_card(shop, d)
    shop.get_by_test_id(f"acknowledge-{d}").click()
    expect(card).to_have_attribute("data-status", "acknowledged")
    # The shop's people find the road under water: one tap, and the task leaves their list.
    shop.get_by_test_id(f"no-road-{d}").click()
    expect(card).to_have_count(0)
    # The plan turns to the other water station; the volunteers find no road either.
    other = wait_for(
        lambda: (x := c.dispatch_for(need["id"])) and x["resource"] == "nrd-water2" and x, timeout=5
    )
    c.cadre.ok("POST", f"{c.path}/assignments/{other['id']}/confirm", {})
    c.volunteers.ok("POST", f"{c.path}/assignments/{other['id']}/no-road", {})
    # Named for what happened, with its own suggestion: mark the closed road, not relax a rule.
    unmet = cadre.locator(f'[data-unmet="{need["id"]}"]')
    expect(unmet).to_have_attribute("data-reason", "no_open_road")
    expect(unmet).to_contain_text("在地图上标出封闭的道路")
    # Marking a closed road changes the roads: the pairs are planned again on the roads as they are.
    c.cadre.ok("POST", f"{c.path}/roads/close", {"from": "g4_4", "to": "g4_5"})
    expect(unmet).to_have_count(0)
    assert c.proposal_for(need["id"])["resource"] in ("nrd-water1", "nrd-water2")
