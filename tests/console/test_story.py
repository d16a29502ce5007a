"""One need, one story; names, not codes (issue 15), in a real browser: a need's card follows its dispatches
live; 全部确认 confirms every proposal at once; the toasts say what was done; the organisation's card shows how
far the job is, not a stale ETA; a grid worker sees what became of a report; a household nobody answered at
waits on its own list to be visited again. No unit, organisation or capability shows by its code."""

from playwright.sync_api import Page, expect

from api.auth import Role
from tests.api.server import Api, wait_for
from tests.console.conftest import Community, OpenPage, World, need_card

# What the cards may never show: the world's ids and codes (conftest's RESOURCES and ORGANISATIONS).
CODES = (
    "-water1",
    "-visit",
    "-shop",
    "-boats",
    "-vol",
    "supply.water",
    "care.visit",
    "power.generator",
    "medical.doctor",
)


def no_codes(page: Page, cid: str) -> None:
    text = page.locator("#app").inner_text()
    assert not [code for code in CODES if code in text], text
    assert f"{cid}-" not in text, text


def advance(c: Community, dispatch: str, *steps: str, by: Api | None = None) -> None:
    for step in steps:
        (by or c.shop).ok("POST", f"{c.path}/assignments/{dispatch}/{step}")


def test_a_need_tells_its_story_and_confirm_all_sends_every_proposal(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("sty")
    water = c.need(capability="supply.water", location="g1_1", note="3号楼老人家里停水")["id"]
    boat = c.need(capability="rescue.boat", location="g1_1")["id"]
    # Nothing can serve these: unmet, the more urgent first although reported later.
    low = c.need(capability="medical.doctor", location="g1_1", priority=2)["id"]
    high = c.need(capability="power.generator", location="g1_1", priority=4)["id"]
    x_water, x_boat = c.proposal_for(water)["id"], c.proposal_for(boat)["id"]
    boats = Api(
        world.server, world.server.token(Role.ORGANISATION, community=c.id, organisation=f"{c.id}-boats")
    )
    page = open_page(c.cadre.token)

    story = need_card(page, boat).locator(f'[data-testid="story-{x_boat}"]')
    expect(story).to_contain_text("蓝天救援队 · 冲锋舟 × 1")
    expect(story).to_contain_text("待确认")
    plan_card = page.locator(f'[data-dispatch="{x_water}"]')
    expect(plan_card.get_by_test_id(f"plan-note-{x_water}")).to_have_text("3号楼老人家里停水")
    unmet = page.locator('[data-testid="unmet"] [data-unmet]')
    expect(unmet).to_have_count(2)
    expect(unmet.first).to_have_attribute("data-unmet", high)
    expect(unmet.last).to_have_attribute("data-unmet", low)
    expect(page.get_by_test_id("unmet")).to_contain_text("资源库中没有能提供「发电机」的资源")
    no_codes(page, c.id)

    page.get_by_test_id("confirm-all").click()
    expect(page.locator("#toast")).to_have_text("已确认派出 2 项")
    expect(story).to_contain_text("已通知")
    expect(need_card(page, water).locator(f'[data-testid="story-{x_water}"]')).to_contain_text("已通知")
    expect(page.get_by_test_id("confirm-all")).to_have_count(0)
    page.get_by_test_id(f"override-{x_water}").click()
    expect(page.get_by_test_id("override-pick")).to_contain_text("志愿者服务队 · 志愿者水站")
    page.get_by_test_id("confirm-override").click()
    expect(page.locator("#toast")).to_have_text("已改派")
    expect(need_card(page, water).locator(".story")).to_contain_text("志愿者服务队 · 志愿者水站")
    # The organisation moves the job on: the need's card follows, live.
    advance(c, x_boat, "acknowledge", by=boats)
    expect(story).to_contain_text("已接单")
    advance(c, x_boat, "en-route", "on-site", by=boats)
    expect(story).to_contain_text("已到达")
    expect(page.locator(f'[data-dispatch="{x_boat}"]')).not_to_contain_text("分钟")
    page.get_by_test_id(f"escalate-{high}").click()
    expect(page.locator("#toast")).to_have_text("已上报")
    no_codes(page, c.id)
    # In English, the server's unmet texts are English too.
    page.get_by_test_id("lang").click()
    expect(page.get_by_test_id("unmet")).to_contain_text("The pool has nothing that provides “doctor”")
    no_codes(page, c.id)


def test_the_organisation_sees_how_far_its_job_is(world: World, open_page: OpenPage) -> None:
    c = world.community("stb")
    need = c.need(capability="supply.water", location="g1_1")["id"]
    dispatch = c.proposal_for(need)["id"]
    c.cadre.ok("POST", f"{c.path}/assignments/{dispatch}/confirm")
    page = open_page(c.shop.token)
    card = page.locator(f'[data-dispatch="{dispatch}"]')
    expect(card.get_by_test_id(f"eta-{dispatch}")).to_contain_text("分钟")

    page.get_by_test_id(f"acknowledge-{dispatch}").click()
    expect(page.locator("#toast")).to_have_text("已接单")
    expect(card.locator('[aria-current="step"]')).to_have_text("已接单")
    page.get_by_test_id(f"en-route-{dispatch}").click()
    expect(page.locator("#toast")).to_have_text("已出发")
    expect(card.locator('[aria-current="step"]')).to_have_text("在途")
    page.get_by_test_id(f"on-site-{dispatch}").click()
    expect(card.get_by_test_id(f"status-{dispatch}")).to_have_text("已到达")
    expect(card.locator('[aria-current="step"]')).to_have_text("已到达")
    expect(card.get_by_test_id(f"eta-{dispatch}")).to_have_count(0)
    expect(card).not_to_contain_text("分钟")
    no_codes(page, c.id)


def test_a_grid_worker_sees_what_became_of_a_report(world: World, open_page: OpenPage) -> None:
    c = world.community("stc")
    page = open_page(c.grid.token)
    need = c.need(capability="supply.water", location="g1_1", note="2单元")["id"]
    state = page.get_by_test_id(f"report-state-{need}")
    expect(state).to_have_text("待解决")
    dispatch = c.proposal_for(need)["id"]
    c.cadre.ok("POST", f"{c.path}/assignments/{dispatch}/confirm")
    expect(state).to_have_text("已派出（惠民超市 · 超市水站）")
    advance(c, dispatch, "acknowledge", "en-route", "on-site")
    expect(state).to_have_text("已到达（惠民超市 · 超市水站）")
    advance(c, dispatch, "done")
    expect(state).to_have_text("已解决")
    no_codes(page, c.id)


def test_no_answer_puts_a_household_on_the_follow_up_list(world: World, open_page: OpenPage) -> None:
    c = world.community("std", incident=False)
    s = world.street
    s.ok("PUT", f"{c.path}/grids/g1", {"name": "一网格"})
    s.ok("PUT", f"{c.path}/buildings/b1", {"name": "3栋", "grid": "g1", "location": "g1_1"})
    s.ok("PUT", f"{c.path}/members/grid-zhao", {"name": "赵网格", "role": "grid_worker", "grid": "g1"})
    for h, address in (("h1", "1单元101"), ("h2", "1单元102")):
        s.ok(
            "PUT",
            f"{c.path}/households/{h}",
            {"building": "b1", "address": address, "tags": ["elderly_alone"]},
        )
    c.cadre.ok("POST", f"{c.path}/incidents", {"kind": "flood", "level": 2})
    grid = Api(world.server, world.server.token(Role.GRID_WORKER, community=c.id, name="grid-zhao"))
    page = open_page(grid.token)
    page.get_by_test_id("tab-checklist").click()
    follow = page.get_by_test_id("follow-ups")
    expect(follow).to_contain_text("没有待跟进的住户")

    page.get_by_test_id("absent-h1").click()
    expect(page.locator("#toast")).to_have_text("待跟进")
    expect(follow.get_by_test_id("check-h1")).to_have_attribute("data-state", "follow_up")
    expect(page.get_by_test_id("result-h1")).to_have_text("无人应答 · 待跟进")
    expect(page.get_by_test_id("count-all-follow_up")).to_have_text("1")
    expect(page.get_by_test_id("count-all-pending")).to_have_text("1")
    # Still this worker's to do: the tab counts it with the one not yet checked.
    expect(page.get_by_test_id("tab-checklist")).to_have_text("核查清单 2")
    # Visited again, someone answers: done, off the follow-up list.
    follow.get_by_test_id("safe-h1").click()
    expect(follow.get_by_test_id("check-h1")).to_have_count(0)
    expect(page.get_by_test_id("checks").get_by_test_id("check-h1")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("count-all-follow_up")).to_have_text("0")
    expect(page.get_by_test_id("tab-checklist")).to_have_text("核查清单 1")
    wait_for(lambda: c.cadre.ok("GET", f"{c.path}/checks?state=done")["checks"])
