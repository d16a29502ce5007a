"""Residents' appeals in the console (issue 17): a resident reports a leak from the building's QR link, the cadre
sees it arrive live and sends it to the building's grid worker as a work order, the grid worker marks it done on
a phone, the resident sees 已解决 and rates it, and the board's three rates move; likely duplicates are framed
together and merged with one tap; the buildings' QR codes are made, printed and replaced; the views and dialogs
pass axe and do not scroll sideways at 360 px."""

import itertools
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from api.auth import Role
from tests.api.server import Api
from tests.console.axe import check
from tests.console.conftest import PHONE, OpenPage, World, layout_problems
from tests.console.test_governance_console import PNG

# Each resident's phone sends from a loopback address of its own, as phones would (the per-address limit).
ADDRESSES = (f"127.0.{n // 250}.{n % 250 + 2}" for n in itertools.count(40))


class Resident:
    """A resident's phone on the public API, with no account: what the building's page sends."""

    def __init__(self, url: str) -> None:
        transport = httpx.HTTPTransport(local_address=next(ADDRESSES))
        self.client = httpx.Client(base_url=url + "/api/v1/public", transport=transport, timeout=30)

    def report(self, code: str, **body: Any) -> dict[str, Any]:
        sent = self.client.post(
            f"/buildings/{code}/appeals", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert sent.status_code == 201, sent.text
        return sent.json()  # type: ignore[no-any-return]


@dataclass
class Place:
    id: str
    cadre: Api
    grid: Api  # 赵网格, grid worker of grid g1 (buildings b1 and b2)
    codes: dict[str, str]  # building -> its QR link

    @property
    def path(self) -> str:
        return f"/communities/{self.id}"


def place(world: World, cid: str) -> Place:
    """A community with grids g1 (3栋, 5栋) and g2 (8栋), a head, a cadre and a grid worker on each grid, and a
    QR link for every building."""
    world.community(cid, incident=False)
    s, c = world.street, f"/communities/{cid}"
    s.ok("PUT", f"{c}/grids/g1", {"name": "一网格"})
    s.ok("PUT", f"{c}/grids/g2", {"name": "二网格"})
    for building, name, in_grid, node in (
        ("b1", "3栋", "g1", "g1_1"),
        ("b2", "5栋", "g1", "g2_2"),
        ("b3", "8栋", "g2", "g4_4"),
    ):
        s.ok("PUT", f"{c}/buildings/{building}", {"name": name, "grid": in_grid, "location": node})
    for member, body in (
        ("head-wang", {"name": "王书记", "role": "head"}),
        ("cadre-li", {"name": "李干部", "role": "cadre"}),
        ("grid-qian", {"name": "钱网格", "role": "grid_worker", "grid": "g2"}),
        ("grid-zhao", {"name": "赵网格", "role": "grid_worker", "grid": "g1"}),
    ):
        s.ok("PUT", f"{c}/members/{member}", body)
    server = world.server
    cadre = Api(server, server.token(Role.CADRE, community=cid, name="cadre-li"))
    grid = Api(server, server.token(Role.GRID_WORKER, community=cid, name="grid-zhao"))
    return Place(cid, cadre, grid, {})


def make_codes(p: Place) -> dict[str, str]:
    codes = p.cadre.ok("POST", f"{p.path}/codes", {})["codes"]
    return {x["building"]: x["link"].rsplit("/", 1)[1] for x in codes}


def open_tab(page: Page, tab: str) -> None:
    page.get_by_test_id(f"tab-{tab}").click()
    expect(page.locator("#view")).to_have_attribute("data-tab", tab)
    expect(page.locator("#view .empty:text-is('正在读取……')")).to_have_count(0)


def rates(page: Page, c: str) -> list[str]:
    """The board's 响应率, 解决率, 满意率 for community ``c``, as the page shows them."""
    return [
        page.get_by_test_id(f"rate-{k}-{c}").locator("strong").inner_text()
        for k in ("response", "resolution", "satisfaction")
    ]


def test_a_leak_goes_from_the_residents_link_to_a_work_order_done_and_rated(
    world: World, open_page: OpenPage
) -> None:
    p = place(world, "ap-flow")
    p.codes = make_codes(p)
    cadre = open_page(p.cadre.token)
    open_tab(cadre, "appeals")
    expect(cadre.get_by_test_id("appeals-empty")).to_be_visible()
    expect(cadre.get_by_test_id(f"appeal-row-{p.id}")).to_be_visible()
    assert rates(cadre, p.id) == ["—", "—", "—"]
    assert cadre.get_by_test_id(f"rate-received-{p.id}").inner_text() == "0"
    worker = open_page(p.grid.token, viewport=PHONE)
    expect(worker.get_by_test_id("tab-orders")).to_have_count(0)

    # The resident opens 5栋's link on a phone and reports a leak, with a photo and a number to call back.
    resident = open_page(viewport=PHONE)
    resident.goto(f"{world.server.url}/r/{p.codes['b2']}")
    expect(resident.locator("#building")).to_have_text("5栋")
    resident.get_by_role("radio", name="报修").check()
    resident.get_by_role("radio", name="较急").check()
    resident.get_by_label("说说情况").fill("厨房水管漏水，水流到楼下了")
    resident.locator("#photo").set_input_files(
        files=[{"name": "leak.png", "mimeType": "image/png", "buffer": PNG}]
    )
    resident.get_by_test_id("ask").get_by_label("您的电话").fill("13912345678")
    resident.get_by_test_id("send").click()
    expect(resident.get_by_test_id("status")).to_have_text("已受理，等待处理")
    appeal = p.cadre.ok("GET", f"{p.path}/appeals")["appeals"][0]
    a = appeal["id"]

    # It appears on the cadre's page without a reload, the tab counting it.
    card = cadre.get_by_test_id(f"appeal-{a}")
    expect(card).to_be_visible()
    expect(card).to_contain_text("5栋")
    expect(card).to_contain_text("报修")
    expect(card).to_contain_text("较急")
    expect(card).to_contain_text("厨房水管漏水")
    expect(cadre.get_by_test_id("tab-appeals").locator(".badge")).to_have_text("1")
    expect(cadre.get_by_test_id(f"appeal-phone-{a}")).to_have_attribute("href", "tel:13912345678")
    # The photo, fetched with the token, shown from a blob: URL.
    expect(cadre.get_by_test_id(f"appeal-photo-{a}")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(cadre.get_by_test_id(f"appeal-status-{a}")).to_have_text("已受理，等待处理")
    wait = cadre.get_by_test_id(f"appeal-wait-{a}")
    expect(wait).to_have_text(re.compile(r"^已等 \d+ 分钟$"))
    # Past its response time (a repair: two hours) and not answered, it says so in red.
    cadre.clock.install()
    cadre.clock.fast_forward("02:01:00")
    cadre.get_by_test_id("appeals-open").click()
    expect(wait).to_have_text(re.compile(r"^已等 2 小时 \d+ 分钟 · 已超时$"))
    expect(wait).to_have_class("late-text")

    # The cadre sends it to 5栋's grid worker: picked first, one tap in the dialog.
    cadre.get_by_test_id(f"appeal-order-{a}").click()
    first = cadre.locator("#dialog .pick").first
    expect(first).to_contain_text("赵网格")
    expect(first.locator("input")).to_be_checked()
    cadre.get_by_test_id("order-note").fill("请今天上门看看")
    cadre.get_by_test_id("order-send").click()
    expect(cadre.get_by_test_id(f"appeal-status-{a}")).to_have_text("正在处理 · 已派给 赵网格")
    expect(cadre.get_by_test_id(f"appeal-order-{a}")).to_have_count(0)

    # The grid worker's phone: the work order arrives live, with the resident's number to call.
    open_tab(worker, "orders")
    order = worker.get_by_test_id(f"order-{a}")
    expect(order).to_contain_text("5栋")
    expect(order).to_contain_text("厨房水管漏水")
    expect(worker.get_by_test_id(f"appeal-phone-{a}")).to_have_attribute("href", "tel:13912345678")
    expect(worker.get_by_test_id("tab-orders").locator(".badge")).to_have_text("1")
    assert layout_problems(worker, PHONE["width"]) == []
    found: dict[str, list[str]] = {}
    check(worker, "orders", found)
    worker.get_by_test_id(f"order-done-{a}").click()
    check(worker, "dialog done", found)
    assert found == {}, found
    worker.get_by_test_id("done-note").fill("换了阀门，不漏了")
    worker.get_by_test_id("done-send").click()
    expect(worker.get_by_test_id(f"appeal-status-{a}")).to_have_text(re.compile("^已解决"))
    expect(worker.get_by_test_id(f"order-done-{a}")).to_have_count(0)
    expect(worker.get_by_test_id("tab-orders").locator(".badge")).to_have_count(0)

    # The resident's page says 已解决, with what was done, when the phone is looked at again; they rate it.
    resident.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(resident.get_by_test_id("status")).to_have_text("已解决")
    expect(resident.get_by_test_id("steps")).to_contain_text("换了阀门")
    rate = resident.get_by_test_id("rate")
    rate.get_by_role("button", name="5 星").click()
    resident.get_by_label("想说的话").fill("很及时")
    rate.get_by_role("button", name="提交评价").click()
    expect(resident.get_by_test_id("thanks")).to_be_visible()

    # The cadre's queue is empty again; the board's three rates moved, each with its counts.
    expect(cadre.get_by_test_id("appeals-empty")).to_be_visible()
    expect(cadre.get_by_test_id(f"rate-satisfaction-{p.id}")).to_contain_text("100%")
    assert rates(cadre, p.id) == ["100%", "100%", "100%"]
    expect(cadre.get_by_test_id(f"rate-resolution-{p.id}")).to_contain_text("1/1")
    cadre.get_by_test_id("appeals-done").click()
    expect(cadre.get_by_test_id(f"appeal-status-{a}")).to_contain_text("居民评价 5 星")
    expect(cadre.get_by_test_id(f"appeal-{a}")).to_contain_text("很及时")


def dialog_checked(page: Page, opener: str, where: str, found: dict[str, list[str]]) -> None:
    """Open a dialog, run axe on it, and close it without sending."""
    page.get_by_test_id(opener).click()
    expect(page.locator("#dialog")).to_be_visible()
    check(page, f"dialog {where}", found)
    assert layout_problems(page, PHONE["width"]) == [], where
    page.locator("#dialog button[value=cancel]").click()
    expect(page.locator("#dialog")).to_be_hidden()


def test_two_leaks_from_one_building_are_framed_together_and_merged_with_one_tap(
    world: World, open_page: OpenPage
) -> None:
    p = place(world, "ap-dup")
    p.codes = make_codes(p)
    first = Resident(world.server.url).report(
        p.codes["b1"], kind="repair", note="楼道水管漏水，地上全是水", phone="13800001111"
    )
    second = Resident(world.server.url).report(p.codes["b1"], kind="repair", note="楼道里水管漏水了")
    # Another building's appeal stays out of the frame.
    Resident(world.server.url).report(p.codes["b3"], kind="help", note="家里老人需要送药")
    queue = p.cadre.ok("GET", f"{p.path}/appeals")
    ids = {a["note"]: a["id"] for a in queue["appeals"]}
    a, b = ids["楼道水管漏水，地上全是水"], ids["楼道里水管漏水了"]
    assert sorted(queue["groups"][0]) == sorted([a, b])
    assert first["receipt"] != second["receipt"]

    page = open_page(p.cadre.token, viewport=PHONE)
    open_tab(page, "appeals")
    expect(page.get_by_test_id("tab-appeals").locator(".badge")).to_have_text("3")
    group = page.locator(".dup-group")
    expect(group).to_have_count(1)
    expect(group.locator("h3")).to_have_text("可能重复（同楼栋、相近时间、相似内容）")
    expect(group.locator(".card")).to_have_count(2)
    leader, other = group.locator(".card").nth(0), group.locator(".card").nth(1)
    lead_id, other_id = leader.get_attribute("data-appeal"), other.get_attribute("data-appeal")
    assert {lead_id, other_id} == {a, b}
    expect(leader.locator("[data-action=appeal-merge-first]")).to_have_count(0)

    # Every action's dialog and the view itself pass axe at the phone's width, with nothing off the screen.
    found: dict[str, list[str]] = {}
    check(page, "appeals", found)
    assert layout_problems(page, PHONE["width"]) == []
    for opener, where in (
        (f"appeal-need-{lead_id}", "to need"),
        (f"appeal-order-{lead_id}", "work order"),
        (f"appeal-reply-{lead_id}", "reply"),
        (f"appeal-merge-{lead_id}", "merge"),
    ):
        dialog_checked(page, opener, where, found)
    assert found == {}, found

    # One tap merges the other into the first; the frame goes, the merged one says where it went.
    lead_note = leader.locator(".ev-text").inner_text()
    page.get_by_test_id(f"appeal-merge-first-{other_id}").click()
    expect(page.locator(".dup-group")).to_have_count(0)
    expect(page.get_by_test_id(f"appeal-status-{other_id}")).to_contain_text(
        f"已合并到 3栋「{lead_note[:20]}」"
    )
    merged = p.cadre.ok("GET", f"{p.path}/appeals/{other_id}")
    assert merged["merged_into"] == lead_id and merged["handling"] == "merge"

    # The first is made a need from the same dialog: picked capability, quantity and priority go to the engine.
    page.get_by_test_id(f"appeal-need-{lead_id}").click()
    page.get_by_test_id("need-send").click()
    expect(page.locator("#dialog-error")).to_have_text("请选一种需要的帮助")
    page.get_by_test_id("need-cap-care.visit").click()
    page.get_by_test_id("need-quantity").fill("2")
    page.get_by_test_id("need-priority-4").click()
    page.get_by_test_id("need-send").click()
    expect(page.get_by_test_id(f"appeal-status-{lead_id}")).to_have_text("正在处理 · 已转为需求，正在调派")
    need = p.cadre.ok("GET", f"{p.path}/appeals/{lead_id}")["need"]
    made = p.cadre.ok("GET", f"{p.path}/needs/{need}")
    assert (made["capability"], made["quantity"], made["priority"]) == ("care.visit", 2, 4)

    # A reply that closes the third: it leaves the open queue and shows under 已办结 with the reply.
    help_id = ids["家里老人需要送药"]
    page.get_by_test_id(f"appeal-reply-{help_id}").click()
    page.get_by_test_id("reply-text").fill("已联系社区医生，今天下午送到")
    page.get_by_test_id("reply-resolved").click()
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id(f"appeal-{help_id}")).to_have_count(0)
    page.get_by_test_id("appeals-done").click()
    expect(page.get_by_test_id(f"appeal-status-{help_id}")).to_have_text("已解决")
    expect(page.get_by_test_id(f"appeal-{help_id}")).to_contain_text("答复：已联系社区医生，今天下午送到")

    # The street's staff open the same queue for this community, and the street's board counts its appeals.
    street = open_page(world.street.token)
    open_tab(street, "appeals")
    street.get_by_test_id("community-pick").select_option(p.id)
    expect(street.get_by_test_id(f"appeal-{lead_id}")).to_contain_text("楼道水管漏水")
    expect(street.get_by_test_id(f"appeal-merge-{lead_id}")).to_have_count(0)  # a need already
    open_tab(street, "tasks")
    expect(street.get_by_test_id(f"rate-received-{p.id}")).to_have_text("3")
    expect(street.get_by_test_id(f"rate-resolution-{p.id}")).to_contain_text("1/3")


def test_the_buildings_qr_codes_are_made_printed_and_replaced(world: World, open_page: OpenPage) -> None:
    p = place(world, "ap-codes")
    page = open_page(p.cadre.token)
    open_tab(page, "codes")
    for b in ("b1", "b2", "b3"):
        expect(page.get_by_test_id(f"code-{b}")).to_contain_text("还没有二维码")
    page.get_by_test_id("make-codes").click()
    expect(page.get_by_test_id("qr-b1")).to_be_visible()
    expect(page.get_by_test_id("make-codes")).to_have_count(0)
    card = page.get_by_test_id("code-b2")
    expect(card.locator(".qr-building")).to_have_text("5栋")
    expect(card).to_contain_text("扫码反映问题 · 不用注册")
    expect(card).to_contain_text("ap-codes社区")
    old = page.get_by_test_id("link-b1").inner_text()
    public = httpx.get(old.replace("/r/", "/api/v1/public/buildings/"))
    assert public.status_code == 200 and public.json()["building_name"] == "3栋"

    # Printed: one card a building, the building's name big, nothing of the page around them.
    page.evaluate("document.body.classList.add('print-codes')")
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("#tabs")).to_be_hidden()
    expect(page.get_by_test_id("rotate-b1")).to_be_hidden()
    expect(page.get_by_test_id("qr-b3")).to_be_visible()
    size = page.locator(".qr-building").first.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 48, size
    page.emulate_media(media="screen")
    page.evaluate("document.body.classList.remove('print-codes')")

    # At the phone's width too: axe finds nothing, nothing is off the screen.
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    found: dict[str, list[str]] = {}
    check(page, "codes", found)
    assert found == {} and layout_problems(page, PHONE["width"]) == [], found

    # Replaced: the dialog says the old one stops working; it then answers that it was replaced.
    page.get_by_test_id("rotate-b1").click()
    expect(page.locator("#dialog")).to_contain_text("旧的二维码马上不能用了")
    page.get_by_test_id("rotate-send").click()
    expect(page.get_by_test_id("link-b1")).not_to_have_text(old)
    new = page.get_by_test_id("link-b1").inner_text()
    gone = httpx.get(old.replace("/r/", "/api/v1/public/buildings/"))
    assert gone.status_code == 404 and "已更换" in gone.json()["detail"], gone.text
    assert httpx.get(new.replace("/r/", "/api/v1/public/buildings/")).status_code == 200
    # The other buildings keep theirs.
    assert (
        p.cadre.ok("GET", f"{p.path}/codes")["codes"][1]["link"]
        == page.get_by_test_id("link-b2").inner_text()
    )
