"""The grid worker's report, the drill banner on every role's screen, and the layout: phone width without
sideways scrolling, big touch targets."""

from playwright.sync_api import expect

from tests.console.conftest import (
    PHONE,
    OpenPage,
    World,
    dispatch_card,
    layout_problems,
    need_card,
    record,
    tap_node,
)


def test_grid_worker_reports_a_need_in_a_few_taps(world: World, open_page: OpenPage) -> None:
    c = world.community("grid")
    cadre = open_page(c.cadre.token)
    grid = open_page(c.grid.token)
    expect(grid.locator("#where")).to_contain_text("网格员")
    taps: list[str] = []  # what the worker touches, in order
    grid.get_by_role("button", name="饮用水").click()
    taps.append("饮用水")
    expect(grid.get_by_role("button", name="饮用水")).to_have_attribute("aria-pressed", "true")
    grid.get_by_role("button", name="+").click()
    taps.append("+ (数量 2)")
    expect(grid.get_by_test_id("quantity")).to_have_value("2")
    tap_node(grid, "g4_1")
    taps.append("the map at g4_1")
    # The place tapped, by its name (a crossing of the test map's unnamed streets), never the node id.
    expect(grid.get_by_test_id("report-place-chosen")).to_have_text("已选：横5路与纵2路交叉口")
    grid.get_by_role("button", name="独居老人").click()
    taps.append("独居老人")
    expect(grid.get_by_role("button", name="独居老人")).to_have_attribute("aria-pressed", "true")
    grid.get_by_test_id("send-report").click()
    taps.append("上报")

    expect(grid.locator("#toast")).to_have_text("已上报")  # the server said yes
    needs = c.cadre.ok("GET", f"{c.path}/needs")
    assert len(needs) == 1
    [need] = needs
    assert (need["capability"], need["quantity"], need["location"], need["tags"], need["priority"]) == (
        "supply.water",
        2,
        "g4_1",
        ["elderly_alone"],
        3,
    )
    assert need["reported_by"].startswith("grid_worker:")
    card = need_card(cadre, need["id"])
    expect(card).to_contain_text("饮用水 × 2 · 横5路与纵2路交叉口", timeout=2000)
    expect(card.locator(".tag")).to_have_text("独居老人")
    # The form is ready for the next resident, and the report is in the worker's own list.
    expect(grid.get_by_test_id("quantity")).to_have_value("1")
    expect(grid.get_by_role("button", name="独居老人")).to_have_attribute("aria-pressed", "false")
    expect(grid.get_by_test_id("my-reports")).to_contain_text("饮用水 × 2 · 横5路与纵2路交叉口")
    record(
        "taps_to_report_a_need",
        {
            "taps": len(taps),
            "steps": taps,
            "note": "urgency keeps its default (3 重要); phone and note are optional",
        },
    )


def test_a_live_update_does_not_interrupt_typing(world: World, open_page: OpenPage) -> None:
    """Updates arrive all the time in an incident; the grid worker's half-typed note must survive them."""
    c = world.community("typing")
    grid = open_page(c.grid.token)
    grid.get_by_role("button", name="饮用水").click()
    tap_node(grid, "g2_4")
    note = grid.locator("#note")
    note.click()
    grid.keyboard.type("7号楼")
    circles = grid.locator("#map .pin.need")
    before = circles.count()
    c.cadre.ok(
        "POST",
        f"{c.path}/needs",
        {"capability": "power.generator", "quantity": 1, "location": "g5_0", "priority": 4},
    )
    expect(circles).to_have_count(before + 1)  # the update has been drawn
    assert grid.evaluate("document.activeElement.id") == "note"
    grid.keyboard.type("3单元")
    expect(note).to_have_value("7号楼3单元")
    grid.get_by_test_id("send-report").click()
    expect(grid.get_by_test_id("my-reports")).to_contain_text("7号楼3单元")
    expect(grid.locator("#toast")).to_have_text("已上报")
    [need] = [n for n in c.cadre.ok("GET", f"{c.path}/needs") if n["capability"] == "supply.water"]
    assert (need["note"], need["location"]) == ("7号楼3单元", "g2_4")


def test_a_drill_says_so_on_every_screen(world: World, open_page: OpenPage) -> None:
    c = world.community("drill", incident=False)
    cadre = open_page(c.cadre.token)
    expect(cadre.get_by_test_id("exercise-banner")).to_be_hidden()
    cadre.get_by_test_id("start-incident").click()
    cadre.get_by_test_id("incident-exercise").check()
    cadre.get_by_test_id("confirm-start").click()
    expect(cadre.get_by_test_id("exercise-banner")).to_be_visible()
    assert c.cadre.ok("GET", c.path)["incident"]["exercise"] is True
    need = c.need(capability="supply.water", quantity=2, location="g2_1", priority=3)
    c.cadre.ok("POST", f"{c.path}/assignments/{c.proposal_for(need['id'])['id']}/confirm")
    for token, role in ((c.cadre.token, "社区干部"), (c.shop.token, "组织联络人"), (c.grid.token, "网格员")):
        page = open_page(token)
        expect(page.locator("#where")).to_contain_text(f"{role} · 演练中 · 洪涝 · 2 级")
        banner = page.get_by_test_id("exercise-banner")
        expect(banner).to_have_text("演练 · 这不是真实事件 · EXERCISE")
        assert banner.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 230, 0)"
        # It stays in sight at the bottom of a long page.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        box = banner.bounding_box()
        assert box is not None and box["y"] == 0 and box["height"] > 20, box
    # And a real incident is never dressed as a drill.
    real = world.community("real")
    page = open_page(real.cadre.token)
    expect(page.locator("#where")).to_contain_text("应急中")
    expect(page.get_by_test_id("exercise-banner")).to_be_hidden()


# Chinese wraps anywhere; a long code or link does not, unless the page lets it.
LONG_NOTE = (
    "12栋1单元302室独居老人，子女联系方式见登记表 qingshui_grid03_building12_unit1_room302_contactsheet"
)


def test_phone_width_has_no_sideways_scrolling_and_big_targets(world: World, open_page: OpenPage) -> None:
    c = world.community("phone")
    water = c.need(
        capability="supply.water",
        quantity=3,
        location="g1_1",
        priority=3,
        tags=["elderly_alone"],
        note=LONG_NOTE,
    )
    c.need(capability="power.generator", quantity=1, location="g3_3", priority=4)  # unmet: escalate
    c.need(capability="care.visit", quantity=1, location="g2_3", priority=2)  # unmet: relax a rule
    c.need(capability="supply.water", quantity=1, location="g4_4", priority=2)  # a proposal: confirm
    sent = c.proposal_for(water["id"])
    c.cadre.ok("POST", f"{c.path}/assignments/{sent['id']}/confirm")
    for width, viewport in ((360, PHONE), (1280, None)):
        kw = {"viewport": viewport} if viewport else {}
        cadre = open_page(c.cadre.token, **kw)
        expect(cadre.locator('[data-testid="unmet"] [data-unmet]')).to_have_count(2)
        expect(cadre.locator('[data-testid="plan"] [data-status="proposed"]')).to_have_count(1)
        expect(cadre.locator("#map .route").first).to_be_attached()
        assert layout_problems(cadre, width) == []
        shop = open_page(c.shop.token, **kw)
        expect(dispatch_card(shop, sent["id"])).to_contain_text(LONG_NOTE[:10])
        assert layout_problems(shop, width) == []
        grid = open_page(c.grid.token, **kw)
        expect(grid.get_by_test_id("send-report")).to_be_visible()
        assert layout_problems(grid, width) == []
        # The dialogs too: the override picker on the cadre's screen.
        cadre.get_by_test_id(f"override-{sent['id']}").click()
        expect(cadre.locator("#dialog")).to_be_visible()
        assert layout_problems(cadre, width) == []
        cadre.keyboard.press("Escape")
    signin = open_page(viewport=PHONE)
    assert layout_problems(signin, 360) == []
