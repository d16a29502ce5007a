"""The place picker in a real browser: a grid worker reports by address (typed, picked from the list), a cadre's
address that matches no place is kept as the note of a place tapped on the map, and no map node id is shown."""

import re

from playwright.sync_api import Page, expect

from api.auth import Role
from tests.api.server import Api
from tests.console.conftest import OpenPage, World, need_card, tap_node

MAP = {
    "grid": {
        "rows": 6,
        "cols": 6,
        "edge_s": 60,
        "row_streets": ["滨河路", "清水街", "光明路"],
        "col_streets": ["人民路"],
    },
    "places": [
        {"id": "b7", "name": "7栋", "node": "g4_1", "units": [{"name": "3", "doors": ["302"]}]},
        {"id": "market", "name": "菜市场", "kind": "landmark", "node": "g0_5"},
    ],
}
NODE_ID = re.compile(r"\bg\d+_\d+\b")


def community(world: World, cid: str) -> tuple[Api, Api]:
    world.street.ok(
        "POST",
        "/communities",
        {"id": cid, "street": world.street_id, "name": f"{cid}社区", "profile": world.profile, "map": MAP},
    )
    token = world.server.token
    return Api(world.server, token(Role.CADRE, community=cid)), Api(
        world.server, token(Role.GRID_WORKER, community=cid)
    )


def no_node_ids(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert not NODE_ID.findall(text), NODE_ID.findall(text)


def test_a_grid_worker_reports_by_address_in_five_taps(world: World, open_page: OpenPage) -> None:
    cadre, grid = community(world, "pp1")
    page = open_page(grid.token)
    page.get_by_role("button", name="救生艇").click()
    box = page.get_by_test_id("report-place-q")
    box.fill("７栋三单元302")
    hit = page.get_by_test_id("report-place-hit").first
    expect(hit).to_contain_text("7栋3单元302室")
    hit.click()
    expect(page.get_by_test_id("report-place-chosen")).to_have_text("已选：7栋3单元302室")
    page.get_by_role("button", name="5 ").first.click()
    page.get_by_test_id("send-report").click()
    expect(page.locator("#toast")).to_have_text("已上报")
    [need] = cadre.ok("GET", "/communities/pp1/needs")
    assert (need["location"], need["place"], need["priority"]) == ("g4_1", "7栋3单元302室", 5)
    expect(page.get_by_test_id("my-reports")).to_contain_text("救生艇 × 1 · 7栋3单元302室")
    # The form is empty again for the next resident; nothing on the page names a map node.
    expect(page.get_by_test_id("report-place-q")).to_have_value("")
    no_node_ids(page)


def test_a_cadres_unknown_address_is_kept_with_the_place_tapped_on_the_map(
    world: World, open_page: OpenPage
) -> None:
    cadre, _ = community(world, "pp2")
    cadre.ok("POST", "/communities/pp2/incidents", {"kind": "flood", "level": 2})
    page = open_page(cadre.token)
    page.get_by_test_id("new-need").click()
    page.get_by_test_id("new-need-cap").select_option("medical.first_aid")
    # Enter takes the first place listed and keeps the dialog open; typing anew lets it go.
    page.get_by_test_id("new-need-place-q").fill("菜市")
    expect(page.get_by_test_id("new-need-place-hit").first).to_contain_text("菜市场")
    page.get_by_test_id("new-need-place-q").press("Enter")
    expect(page.get_by_test_id("new-need-place-chosen")).to_have_text("已选：菜市场")
    page.get_by_test_id("new-need-place-q").fill("幸福小区8栋")
    expect(page.get_by_test_id("new-need-place-chosen")).to_contain_text("将按输入的地址查找")
    page.get_by_test_id("new-need-send").click()
    # The server found no such place: the dialog opens again as it was, asking for a tap on the map.
    expect(page.locator("#dialog-form [role=alert]").first).to_contain_text("在地图上点选")
    expect(page.get_by_test_id("new-need-place-q")).to_have_value("幸福小区8栋")
    tap_node(page, "g1_0", "#new-need-map")
    expect(page.get_by_test_id("new-need-place-chosen")).to_have_text("已选：清水街与人民路交叉口")
    page.get_by_test_id("new-need-send").click()
    card = page.locator('#app [data-testid="needs"] .card').first
    expect(card).to_contain_text("急救 × 1 · 清水街与人民路交叉口")
    expect(card.get_by_test_id("need-address")).to_have_text("幸福小区8栋")
    [need] = cadre.ok("GET", "/communities/pp2/needs")
    assert (need["location"], need["address"], need["capability"]) == (
        "g1_0",
        "幸福小区8栋",
        "medical.first_aid",
    )
    expect(need_card(page, need["id"])).to_be_visible()
    no_node_ids(page)
