"""The street's console and the street's pool: the inbox answers an escalation and the cadre sees it live; a
neighbour's loan is approved and the cadre sees it sent, the lending organisation answering on the borrower's
board; the street sends a unit of its pool by hand, and a neighbour it asks sends one of its own from the card
on its page, the asking cadre reading whose each is by name; an organisation is renamed (another street page
hears it); the pool editor registers an organisation and a unit and changes a quantity; the head keeps the
roster and its tokens; a sheet with mistakes is refused row by row; each organisation's contribution is read
as a table over a period and downloaded as CSV. At phone (360 px) and desktop (1280 px)."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from api.auth import Role
from tests.api.server import Api, wait_for
from tests.console.conftest import MAP, Community, OpenPage, World, dispatch_card, layout_problems, tap_node

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Street s1 by name throughout (its pool's ids, its units' keys), so a server of its own, where s1 is free.
OWN_SERVER = True
STREET_POOL = ("s1-rescue", "social_organisation", "街道应急救援中心")
# The street's own units: first-aiders (none of the communities has any) and a van.
STREET_UNITS = (
    ("s1-medics", "medical.first_aid", 2, "g3_3", "街道急救员"),
    ("s1-van", "transport.vehicle", 1, "g5_0", "街道转运车"),
)


@pytest.fixture(scope="module")
def street(world: World) -> Iterator[Api]:
    """The street's own pool, registered once for the module (every community of the module is in street s1)."""
    s = world.street
    s.ok("POST", "/streets", {"id": "s1", "name": "滨江街道", "profile": "console_test", "map": MAP})
    org, kind, name = STREET_POOL
    s.ok("POST", "/streets/s1/organisations", {"id": org, "kind": kind, "name": name})
    for rid, capability, quantity, place, label in STREET_UNITS:
        body = {"id": rid, "organisation": org, "capability": capability, "quantity": quantity}
        s.ok("POST", "/streets/s1/resources", {**body, "location": place, "name": label})
    yield s


def open_street(open_page: OpenPage, street: Api, viewport: dict[str, int]) -> Page:
    page = open_page(street.token, viewport=viewport)
    expect(page.locator("#where")).to_have_text("滨江街道 · 街道工作人员")
    expect(page.get_by_test_id("tab-inbox")).to_have_attribute("aria-pressed", "true")
    return page


def test_the_street_answers_no_help_and_the_cadre_reads_it_live(
    world: World, street: Api, open_page: OpenPage
) -> None:
    c = world.community("inb")
    page = open_street(open_page, street, PHONE)
    cadre = open_page(c.cadre.token, viewport=DESKTOP)
    need = c.need(capability="shelter.bed", quantity=2, location="g1_1", priority=4)["id"]
    expect(cadre.locator(f'[data-unmet="{need}"]')).to_have_attribute("data-reason", "no_capability")
    cadre.get_by_test_id(f"escalate-{need}").click()
    expect(cadre.get_by_test_id(f"escalated-{need}")).to_have_text("⬆ 已上报街道")

    # The street's inbox, open all along, shows the escalation as it comes.
    card = page.get_by_test_id(f"inbox-inb-{need}")
    expect(card).to_contain_text("inb社区")
    expect(card).to_contain_text("安置床位 × 2 · 横2路与纵2路交叉口")
    expect(card.locator(".prio")).to_have_text("4")
    expect(card).to_contain_text("已等 0 分钟")
    expect(page.get_by_test_id(f"inbox-state-inb-{need}")).to_have_text("待街道处理 · 还缺 2")
    expect(card).to_contain_text("上报街道，请求街道资源库支援")  # the plan's suggestion
    expect(page.get_by_test_id("tab-inbox").locator(".badge")).to_have_text("1")
    expect(page.get_by_test_id("street-map").locator(".pin.need")).not_to_have_count(0)
    expect(page.get_by_test_id(f"unit-street:s1-{STREET_UNITS[0][0]}")).to_contain_text("空闲 2 / 共 2")
    assert layout_problems(page, PHONE["width"]) == []
    # Nothing of the street's pool does this: the picker says so.
    page.get_by_test_id(f"assign-inb-{need}").click()
    expect(page.locator("#dialog")).to_contain_text("街道资源库里没有能做这件事的力量")
    page.locator('#dialog button[value="cancel"]').click()

    # No help: the note is required, and the cadre reads it.
    page.get_by_test_id(f"nohelp-inb-{need}").click()
    page.get_by_test_id("nohelp-send").click()
    expect(page.locator("#dialog-error")).to_have_text("请写明原因，社区干部会看到")
    assert layout_problems(page, PHONE["width"]) == []
    note = "街道安置点已满，请联系区民政局，先安排到社区活动室"
    page.get_by_test_id("nohelp-note").fill(note)
    page.get_by_test_id("nohelp-send").click()
    expect(page.locator("#toast")).to_have_text("已告诉社区干部")
    expect(page.get_by_test_id(f"inbox-state-inb-{need}")).to_contain_text("街道暂无可派力量")

    # The cadre's page, open all along, changes with the websocket message.
    expect(cadre.get_by_test_id(f"escalated-{need}")).to_have_text("⬆ 街道暂无可派力量")
    expect(cadre.get_by_test_id(f"street-note-{need}")).to_have_text(f"街道说明：{note}")
    [answer] = c.cadre.ok("GET", f"{c.path}/needs/{need}")["answers"]
    assert (answer["answer"], answer["note"]) == ("no_help", note)


def test_a_neighbours_loan_approved_by_the_street_is_sent(
    world: World, street: Api, open_page: OpenPage
) -> None:
    lender = world.community("lnd", incident=False)
    street.ok("PUT", f"{lender.path}/profile", {"profile": "console_lend"})
    generator = {"id": "lnd-gen", "organisation": "lnd-vol", "capability": "power.generator", "quantity": 1}
    street.ok("POST", f"{lender.path}/resources", {**generator, "location": "g4_4", "name": "移动发电机"})
    c = world.community("brw")
    cadre = open_page(c.cadre.token, viewport=PHONE)
    need = c.need(capability="power.generator", quantity=1, location="g1_1", priority=4)["id"]
    proposal = c.proposal_for(need)
    d = proposal["id"]
    assert (proposal["resource"], proposal["approval"]) == ("lnd/lnd-gen", True)
    # The cadre cannot send a neighbour's unit: the card says it waits for the street, and whose it is.
    card = dispatch_card(cadre, d)
    expect(cadre.get_by_test_id(f"wait-street-{d}")).to_have_text("等待街道批准")
    expect(cadre.get_by_test_id(f"confirm-{d}")).to_have_count(0)
    expect(cadre.get_by_test_id(f"owner-{d}")).to_have_text("邻社区「lnd社区」支援")
    expect(cadre.get_by_test_id(f"unit-{d}")).to_have_text("「移动发电机」")
    expect(cadre.get_by_test_id(f"need-status-{need}")).to_have_text("等待街道批准")

    page = open_street(open_page, street, DESKTOP)
    item = page.get_by_test_id(f"inbox-brw-{need}")
    expect(item).to_have_attribute("data-state", "approval")
    expect(page.get_by_test_id(f"approval-{d}")).to_contain_text("lnd社区的「移动发电机」× 1，约 6 分钟到达")
    page.get_by_test_id(f"approve-{d}").click()
    expect(page.locator("#toast")).to_have_text("已批准，正在通知")

    # Sent: the cadre's page shows it live.
    expect(card).to_have_attribute("data-status", "notified")
    expect(cadre.get_by_test_id(f"need-status-{need}")).to_have_text("已派出，正在处理")
    expect(cadre.get_by_test_id(f"wait-street-{d}")).to_have_count(0)
    # The street's pool shows the lender's unit as sent, and where.
    expect(page.get_by_test_id("unit-lnd-lnd-gen")).to_contain_text("已派出 1")
    expect(page.get_by_test_id("unit-lnd-lnd-gen")).to_contain_text("brw社区")

    # The lender's volunteers see the request in the borrowing community, and answer it there.
    volunteers = open_page(lender.volunteers.token, viewport=PHONE)
    expect(volunteers.get_by_test_id(f"where-{d}")).to_have_text("支援 brw社区")
    volunteers.get_by_test_id(f"acknowledge-{d}").click()
    expect(dispatch_card(volunteers, d)).to_have_attribute("data-status", "acknowledged")
    expect(card).to_have_attribute("data-status", "acknowledged")
    volunteers.get_by_test_id(f"en-route-{d}").click()
    expect(card).to_have_attribute("data-status", "en_route")


def test_an_organisation_is_renamed_in_the_pool_editor(
    world: World, street: Api, open_page: OpenPage
) -> None:
    world.community("ren", incident=False)
    org = {"id": "s1-property", "kind": "enterprise", "name": "滨江物业"}
    street.ok("POST", "/streets/s1/organisations", org)
    # Another of the street's staff has the inbox open: its pool panel follows the street's channel.
    watching = open_street(open_page, street, DESKTOP)
    expect(watching.get_by_test_id("org-street:s1-s1-property")).to_contain_text("滨江物业 企业")
    page = open_street(open_page, street, PHONE)
    page.get_by_test_id("tab-pool").click()
    page.get_by_test_id("edit-org-s1-property").click()
    expect(page.get_by_test_id("org-name")).to_have_value("滨江物业")
    expect(page.get_by_test_id("org-kind-enterprise").locator("input")).to_be_checked()
    expect(page.get_by_test_id("org-id")).to_have_value("s1-property")
    page.get_by_test_id("org-name").fill("")
    page.get_by_test_id("org-save").click()
    expect(page.locator("#dialog-error")).to_have_text("请填写名称")
    page.get_by_test_id("org-name").fill("滨江物业服务中心")
    page.get_by_test_id("org-kind-social_organisation").click()
    page.get_by_test_id("org-save").click()
    card = page.get_by_test_id("pool-org-s1-property")
    expect(card).to_contain_text("滨江物业服务中心")
    expect(card).to_contain_text("社会组织")
    assert layout_problems(page, PHONE["width"]) == []
    [renamed] = [o for o in street.ok("GET", "/streets/s1/organisations") if o["id"] == "s1-property"]
    assert (renamed["name"], renamed["kind"]) == ("滨江物业服务中心", "social_organisation")
    expect(watching.get_by_test_id("org-street:s1-s1-property")).to_contain_text("滨江物业服务中心 社会组织")


def expect_sent(cadre: Page, c: Community, need: str, resource: str, named: tuple[str, str, str]) -> str:
    """The cadre's open page shows ``resource`` sent to ``need``, by names (whose, the unit, what the street's
    answer came to) and never an id, with nothing past the phone's edge; the dispatch's id."""
    [sent] = [
        x
        for x in c.cadre.ok("GET", f"{c.path}/assignments")
        if (x["need"], x["resource"]) == (need, resource)
    ]
    d = str(sent["id"])
    whose, unit, answer = named
    expect(cadre.get_by_test_id(f"owner-{d}")).to_have_text(whose)
    expect(cadre.get_by_test_id(f"unit-{d}")).to_have_text(unit)
    expect(cadre.get_by_test_id(f"status-{d}")).to_have_text("已通知")
    expect(cadre.get_by_test_id(f"escalated-{need}")).to_have_text(f"⬆ {answer}")
    assert layout_problems(cadre, PHONE["width"]) == []
    return d


def test_the_street_sends_a_unit_of_its_pool_by_hand(world: World, street: Api, open_page: OpenPage) -> None:
    c = world.community("hnd")
    # The street's electrician serves in normal times only: the plan leaves it out of an incident, the
    # street may still send it by hand.
    unit = {
        "id": "s1-electrician",
        "organisation": STREET_POOL[0],
        "capability": "repair.electric",
        "quantity": 1,
    }
    street.ok(
        "POST", "/streets/s1/resources", {**unit, "location": "g3_3", "name": "街道电工", "modes": "normal"}
    )
    cadre = open_page(c.cadre.token, viewport=PHONE)
    need = c.need(capability="repair.electric", quantity=1, location="g1_1", priority=4)["id"]
    cadre.get_by_test_id(f"escalate-{need}").click()
    expect(cadre.get_by_test_id(f"escalated-{need}")).to_have_text("⬆ 已上报街道")

    page = open_street(open_page, street, DESKTOP)
    page.get_by_test_id(f"assign-hnd-{need}").click()
    pick = page.get_by_test_id("unit-pick-s1-electrician")
    expect(pick).to_contain_text("街道应急救援中心 · 街道电工 · 横4路与纵4路交叉口 · 空闲 1")
    expect(pick.locator("input")).to_be_checked()
    page.get_by_test_id("assign-send").click()
    expect(page.locator("#toast")).to_have_text("已派出")
    expect(page.get_by_test_id(f"inbox-hnd-{need}")).to_contain_text(
        "已派出：街道资源库「街道电工」 × 1（已通知）"
    )

    # The cadre's page, open all along: sent, by the street's pool, the unit by its name.
    d = expect_sent(
        cadre, c, need, "street:s1/s1-electrician", ("街道资源库", "「街道电工」", "街道已派出力量")
    )
    expect(cadre.get_by_test_id(f"need-status-{need}")).to_have_text("已派出，正在处理")
    expect(dispatch_card(cadre, d)).not_to_contain_text(STREET_POOL[0])  # never the organisation's id


def test_a_neighbour_the_street_asks_sends_one_of_its_own_units(
    world: World, street: Api, open_page: OpenPage
) -> None:
    asking = world.community("ask")
    helper = world.community("hlp", incident=False)
    # The neighbour's doctors: no one else of the street has any, and its profile lends nothing by itself.
    doctor = {"id": "hlp-doctor", "organisation": "hlp-vol", "capability": "medical.doctor", "quantity": 2}
    street.ok("POST", f"{helper.path}/resources", {**doctor, "location": "g4_4", "name": "社区医生"})
    cadre = open_page(asking.cadre.token, viewport=PHONE)
    need = asking.need(capability="medical.doctor", quantity=1, location="g1_1", priority=4)["id"]
    cadre.get_by_test_id(f"escalate-{need}").click()
    expect(cadre.get_by_test_id(f"escalated-{need}")).to_have_text("⬆ 已上报街道")
    neighbour = open_page(helper.cadre.token, viewport=PHONE)
    expect(neighbour.get_by_test_id("requests")).to_have_count(0)

    page = open_street(open_page, street, DESKTOP)
    page.get_by_test_id(f"ask-ask-{need}").click()
    page.get_by_test_id("neighbour-hlp").click()
    page.get_by_test_id("ask-note").fill("请派一位医生到 g1_1，谢谢")
    page.get_by_test_id("ask-send").click()
    expect(page.locator("#toast")).to_have_text("已记下，社区干部会看到")
    # The asking cadre is not told the other communities' names: no id in their place.
    expect(cadre.get_by_test_id(f"escalated-{need}")).to_have_text("⬆ 街道已请邻社区支援")

    # The neighbour's cadre, open all along, sees the request come (help_requested) at the top of the page.
    card = neighbour.get_by_test_id(f"request-ask-{need}")
    expect(card).to_contain_text("ask社区 需要支援")
    expect(card).to_contain_text("医生 × 1 · 横2路与纵2路交叉口")
    expect(card.locator(".prio")).to_have_text("4")
    expect(neighbour.get_by_test_id(f"request-waited-ask-{need}")).to_have_text("已等 0 分钟")
    expect(neighbour.get_by_test_id(f"request-note-ask-{need}")).to_have_text(
        "街道说明：请派一位医生到 g1_1，谢谢"
    )
    expect(neighbour.get_by_test_id("tab-emergency").locator(".badge")).to_have_text("1")
    assert layout_problems(neighbour, PHONE["width"]) == []
    neighbour.get_by_test_id(f"offer-ask-{need}").click()
    pick = neighbour.get_by_test_id("unit-pick-hlp-doctor")
    expect(pick).to_contain_text("志愿者服务队 · 社区医生 · 横5路与纵5路交叉口 · 空闲 2")
    expect(neighbour.get_by_test_id("assign-quantity")).to_have_value("1")
    assert layout_problems(neighbour, PHONE["width"]) == []
    neighbour.get_by_test_id("offer-send").click()
    expect(neighbour.locator("#toast")).to_have_text("已派出「社区医生」× 1 去支援ask社区，对方社区会看到")
    expect(card).to_have_count(0)
    expect(neighbour.get_by_test_id("tab-emergency").locator(".badge")).to_have_count(0)

    # The asking cadre sees the doctor sent, by the neighbour's name.
    named = ("邻社区「hlp社区」支援", "「社区医生」", "邻社区「hlp社区」已派出力量")
    expect_sent(cadre, asking, need, "hlp/hlp-doctor", named)
    expect(cadre.get_by_test_id(f"street-note-{need}")).to_have_text("支援社区说明：应街道请求支援")
    # The street's inbox, open all along, says who answered and what went.
    expect(page.get_by_test_id(f"inbox-state-ask-{need}")).to_have_text("邻社区「hlp社区」已派出力量")
    expect(page.get_by_test_id(f"inbox-ask-{need}")).to_contain_text(
        "已派出：hlp社区「社区医生」 × 1（已通知）"
    )
    assert helper.cadre.ok("GET", f"{helper.path}/requests") == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_pool_editor_adds_an_organisation_and_a_unit_and_changes_a_quantity(
    world: World, street: Api, open_page: OpenPage, viewport: dict[str, int]
) -> None:
    world.community(f"pool{viewport['width']}", incident=False)  # the street's map is its communities'
    page = open_street(open_page, street, viewport)
    page.get_by_test_id("tab-pool").click()
    expect(page.get_by_test_id("owner-pick")).to_have_value("street")
    expect(page.get_by_test_id(f"pool-org-{STREET_POOL[0]}")).to_contain_text("街道急救员")
    name = f"滨江商会{viewport['width']}"
    page.get_by_test_id("add-org").click()
    page.get_by_test_id("org-save").click()
    expect(page.locator("#dialog-error")).to_have_text("请填写名称")
    page.get_by_test_id("org-name").fill(name)
    page.get_by_test_id("org-kind-enterprise").click()
    org = page.get_by_test_id("org-id").input_value()
    page.get_by_test_id("org-save").click()
    card = page.get_by_test_id(f"pool-org-{org}")
    expect(card).to_contain_text(name)
    expect(card).to_contain_text("企业")

    page.get_by_test_id(f"add-res-{org}").click()
    page.get_by_test_id("res-name").fill("应急物资车")
    page.get_by_test_id("res-cap").select_option("supply.food")
    page.get_by_test_id("res-quantity").fill("3")
    page.get_by_test_id("res-modes-incident").click()
    page.get_by_test_id("res-save").click()
    expect(page.locator("#dialog-error")).to_have_text("请在地图上点一下，或选一个地点")
    tap_node(page, "g2_4", "#pick-map")
    expect(page.get_by_test_id("res-place-chosen")).to_have_text("已选：横3路与纵5路交叉口")
    page.get_by_test_id("res-save").click()
    expect(card).to_contain_text("应急物资车 · 食品")
    [unit] = [r for r in street.ok("GET", "/streets/s1/resources") if r["organisation"] == org]
    assert (unit["capability"], unit["quantity"], unit["location"], unit["modes"], unit["name"]) == (
        "supply.food",
        3,
        "g2_4",
        "incident",
        "应急物资车",
    )
    expect(page.get_by_test_id(f"res-qty-{unit['id']}")).to_have_text("3")

    page.get_by_test_id(f"edit-res-{unit['id']}").click()
    page.get_by_test_id("res-quantity").fill("5")
    page.get_by_test_id("res-status-busy").click()
    page.get_by_test_id("res-save").click()
    expect(page.get_by_test_id(f"res-qty-{unit['id']}")).to_have_text("5")
    expect(page.get_by_test_id(f"res-status-{unit['id']}")).to_have_text("忙碌")
    [unit] = [r for r in street.ok("GET", "/streets/s1/resources") if r["organisation"] == org]
    assert (unit["quantity"], unit["status"], unit["location"]) == (5, "busy", "g2_4")

    # The organisation's coordinator gets a token, shown once; it signs in as the organisation.
    page.get_by_test_id(f"org-token-{org}").click()
    token = page.get_by_test_id("token-shown").input_value()
    page.get_by_test_id("token-copy").click()
    expect(page.locator("#toast")).to_have_text("已复制")
    page.get_by_test_id("token-close").click()
    me = Api(world.server, token).ok("GET", "/me")
    assert (me["role"], me["organisation"], me["organisation_channel"]) == (
        "organisation",
        org,
        f"organisation:~s1:{org}",
    )
    # The street's pool goes out as a sheet, with the unit just added.
    with page.expect_download() as download:
        page.get_by_test_id("export-pool-csv").click()
    assert download.value.suggested_filename == "滨江街道资源库.csv"
    assert "应急物资车" in download.value.path().read_text(encoding="utf-8-sig")
    assert layout_problems(page, viewport["width"]) == []


def test_the_head_keeps_the_roster_and_its_tokens(world: World, street: Api, open_page: OpenPage) -> None:
    c = world.community("ppl", incident=False)
    street.ok("PUT", f"{c.path}/members/head1", {"name": "王书记", "role": "head"})
    street.ok("PUT", f"{c.path}/grids/g1", {"name": "第一网格"})
    head = open_page(world.server.token(Role.CADRE, community=c.id, name="head1"), viewport=PHONE)
    head.get_by_test_id("tab-people").click()
    expect(head.get_by_test_id("member-head1")).to_contain_text("王书记 · 社区书记")
    head.get_by_test_id("add-member").click()
    head.get_by_test_id("member-name").fill("李网格")
    head.get_by_test_id("member-role-grid_worker").click()
    head.get_by_test_id("member-save").click()
    expect(head.locator("#dialog-error")).to_have_text("网格员要选负责的网格")
    head.get_by_test_id("member-grid").select_option("g1")
    member = head.get_by_test_id("member-id").input_value()
    head.get_by_test_id("member-save").click()
    expect(head.get_by_test_id(f"member-{member}")).to_contain_text("李网格 · 网格员")
    expect(head.get_by_test_id(f"member-{member}")).to_contain_text("第一网格")

    head.get_by_test_id(f"member-token-{member}").click()
    token = head.get_by_test_id("token-shown").input_value()
    head.get_by_test_id("token-close").click()
    grid = Api(world.server, token)
    assert grid.ok("GET", "/me")["member"]["name"] == "李网格"
    [made] = [x for x in street.ok("GET", f"{c.path}/tokens") if x["name"] == member]
    card = head.get_by_test_id(f"token-{made['id']}")
    expect(card).to_contain_text("李网格 · 网格员")
    head.get_by_test_id(f"revoke-{made['id']}").click()
    head.get_by_test_id("revoke-go").click()
    expect(card).to_contain_text("已作废")
    expect(head.get_by_test_id(f"revoke-{made['id']}")).to_have_count(0)
    assert grid.get("/me").status_code == 401
    assert layout_problems(head, PHONE["width"]) == []


def test_a_sheet_with_mistakes_is_refused_row_by_row(world: World, street: Api, open_page: OpenPage) -> None:
    c = world.community("imp", incident=False)
    street.ok("PUT", f"{c.path}/members/head1", {"name": "赵书记", "role": "head"})
    head = open_page(world.server.token(Role.CADRE, community=c.id, name="head1"), viewport=DESKTOP)
    head.get_by_test_id("tab-pool").click()
    expect(head.get_by_test_id("pool-org-imp-shop")).to_contain_text("超市水站")
    with head.expect_download() as download:
        head.get_by_test_id("export-pool-csv").click()
    sheet = download.value.path().read_bytes().decode("utf-8-sig")
    assert "超市水站" in sheet
    before = c.cadre.ok("GET", f"{c.path}/resources")
    header, first, *rest = sheet.splitlines()
    # The first unit's quantity made a word, and a row of a capability no one knows.
    cells = first.split(",")
    column = header.split(",").index(next(h for h in header.split(",") if "数量" in h))
    cells[column] = "很多"
    bad = "\n".join([header, ",".join(cells), *rest]) + "\n"
    head.get_by_test_id("import-file").set_input_files(
        {"name": "资源库.csv", "mimeType": "text/csv", "buffer": bad.encode("utf-8")}
    )
    problems = head.get_by_test_id("import-problems")
    expect(problems).to_be_visible()
    expect(problems.locator("tbody tr")).to_have_count(1)
    expect(problems.locator("tbody tr td").nth(0)).to_have_text("2")
    expect(problems.locator("tbody tr td").nth(3)).to_have_text("很多")
    expect(head.locator("#dialog")).to_contain_text("什么都没有导入")
    head.get_by_test_id("import-close").click()
    assert c.cadre.ok("GET", f"{c.path}/resources") == before


def test_the_street_reads_each_organisations_contribution(
    world: World, street: Api, open_page: OpenPage
) -> None:
    c = world.community("ctb")
    # The volunteers' own doctor, where the need is: no neighbour's unit is as near.
    doctor = {"id": "ctb-doctor", "organisation": "ctb-vol", "capability": "medical.doctor", "quantity": 1}
    street.ok("POST", f"{c.path}/resources", {**doctor, "location": "g1_1", "name": "社区医生"})
    # A life-safety need: the profile confirms it; the volunteers take it to done.
    need = c.need(capability="medical.doctor", quantity=1, location="g1_1", priority=5)["id"]
    d = wait_for(lambda: (x := c.dispatch_for(need)) and x["status"] == "notified" and x["id"], timeout=5)
    for step in ("acknowledge", "en-route", "done"):
        c.volunteers.ok("POST", f"{c.path}/assignments/{d}/{step}")

    page = open_street(open_page, street, PHONE)
    page.get_by_test_id("tab-contrib").click()
    key = "ctb-ctb-vol"
    row = page.get_by_test_id(f"contrib-{key}")
    expect(row).to_contain_text("ctb社区")
    expect(row).to_contain_text("志愿者服务队")
    expect(row).to_contain_text("志愿队")
    expect(page.get_by_test_id(f"contrib-incident-{key}")).to_have_text("1")
    expect(page.get_by_test_id(f"contrib-normal-{key}")).to_have_text("0")
    # The most incident jobs first: on a phone each organisation is a card, nothing past the edge.
    expect(page.locator('[data-testid="contributions"] tbody tr').first).to_have_attribute(
        "data-testid", f"contrib-{key}"
    )
    assert layout_problems(page, PHONE["width"]) == []
    # From tomorrow (China's day) nothing is done yet; all dates again, the job is back.
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    page.get_by_test_id("contrib-from").fill(tomorrow.isoformat())
    expect(page.get_by_test_id(f"contrib-incident-{key}")).to_have_text("0")
    page.get_by_test_id("contrib-all").click()
    expect(page.get_by_test_id(f"contrib-incident-{key}")).to_have_text("1")

    with page.expect_download() as download:
        page.get_by_test_id("contrib-csv").click()
    assert download.value.suggested_filename == "滨江街道组织贡献.csv"
    sheet = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    # Organisations by their names, within their community (issue 15: no ids in a CSV).
    [vol] = [r for r in sheet if (r["社区"], r["组织名称"]) == ("ctb社区", "志愿者服务队")]
    assert "组织编号" not in vol and (vol["应急完成次数"], vol["常态完成次数"]) == ("1", "0")
