"""The map in a real browser (Leaflet, shipped with the package): needs, units and routes along the roads, a
closed road that stands out, pins and cards that find each other, the map beside the lists on a desktop and one
tap away on a phone, and a reader's zoom kept across live updates."""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.auth import Role
from tests.api.server import ROOT, Api, Server, free_port
from tests.console.conftest import DESKTOP, PHONE, OpenPage, World, sign_in

SHOTS = os.environ.get("PINGZHAN_MAP_SHOTS")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png")


def test_desktop_map_beside_the_lists_with_routes_closed_roads_and_pins(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("mapd")
    # The straight way from the volunteers' water (g5_5) to g5_1 is along row 5: closed, the route goes round.
    c.cadre.ok("POST", f"{c.path}/roads/close", {"from": "g5_3", "to": "g5_2"})
    need = c.need(capability="supply.water", quantity=2, location="g5_1", priority=4)
    c.proposal_for(need["id"])
    page = open_page(c.cadre.token, viewport=DESKTOP)
    pin = page.locator(f'#map [data-pin="need:{need["id"]}"]')
    expect(pin).to_be_visible()
    # Named as people say it: what, how many, where (a place name, not the map's node), how urgent.
    expect(pin).to_have_attribute("aria-label", re.compile(r"^饮用水 × 2 · [^g]+ · 4 紧急$"))
    # Beside the lists, in sight without scrolling.
    # (Both measured at once: a live update may redraw the lists between two reads.)
    box, lists = page.evaluate(
        """() => [document.querySelector("#map"), document.querySelector(".split > .lists")]
          .map((el) => el.getBoundingClientRect().toJSON())"""
    )
    assert box["x"] >= lists["right"] and lists["width"] > 400, (box, lists)
    assert box["bottom"] <= DESKTOP["height"] and box["height"] > 500, box
    # The route follows the roads round the closed one, drawn dashed while proposed; the closure is red, labelled.
    route = page.locator("#map path.route.proposed")
    expect(route).to_have_count(1)
    assert route.get_attribute("stroke-dasharray")
    expect(page.locator("#map path.closed-road")).to_have_count(1)
    expect(page.locator("#map .closed-label")).to_have_text("道路封闭")
    shot(page, "map-1280")

    # The pin opens its card; the card's button shows its pin.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    pin.click()
    card = page.locator(f'[data-testid="needs"] [data-pin="need:{need["id"]}"]')
    expect(card).to_have_class(re.compile(r"\blit\b"))
    expect(card).to_be_in_viewport()
    page.get_by_test_id(f"show-pin-need-{need['id']}").click()
    popup = page.locator("#map .leaflet-popup")
    expect(popup).to_contain_text("饮用水 × 2")

    # A live update redraws the pins and keeps the reader's zoom and pan.
    page.evaluate("document.querySelector('#map').leaflet.setView([-1, 1], 8, { animate: false })")
    other = c.need(capability="care.visit", quantity=1, location="g1_1", priority=3)
    expect(page.locator(f'#map [data-pin="need:{other["id"]}"]')).to_be_visible()
    assert page.evaluate("document.querySelector('#map').leaflet.getZoom()") == 8
    # The pins that stayed were not redrawn: the popup the reader opened is still open.
    expect(popup).to_have_count(1)
    expect(popup).to_contain_text("饮用水 × 2")

    # In English, the map's own words too.
    page.get_by_test_id("lang").click()
    expect(page.locator("#map .closed-label", has_text="道路封闭")).to_have_count(0)  # faded out
    expect(page.locator("#map .closed-label")).to_have_text("Road closed")
    expect(page.locator("#map")).to_have_attribute("aria-label", "Map")
    assert page.evaluate("document.querySelector('#map').leaflet.getZoom()") == 8


def test_phone_map_one_tap_away_and_a_pin_brings_back_the_list(world: World, open_page: OpenPage) -> None:
    c = world.community("mapp")
    need = c.need(capability="supply.water", quantity=1, location="g2_2", priority=4)
    dispatch = c.proposal_for(need["id"])
    page = open_page(c.cadre.token, viewport=PHONE)
    expect(page.locator("#map")).to_be_hidden()
    page.get_by_test_id("map-open").click()
    expect(page.locator("#map")).to_be_visible()
    box = page.locator("#map").bounding_box()
    assert box and box["height"] > PHONE["height"] * 0.6, box
    expect(page.get_by_test_id("map-back")).to_be_visible()
    # The dispatch's route, along the roads, and the need's pin; the pin brings back the list at its card.
    expect(page.locator("#map path.route")).to_have_count(1)
    shot(page, "map-360")
    page.locator(f'#map [data-pin="need:{need["id"]}"]').click()
    expect(page.locator("#map")).to_be_hidden()
    expect(page.locator(f'[data-testid="needs"] [data-pin="need:{need["id"]}"]')).to_be_in_viewport()
    # A plan card's button opens the map at its route; 返回列表 closes it.
    page.get_by_test_id(f"show-pin-dispatch-{dispatch['id']}").click()
    expect(page.locator("#map")).to_be_visible()
    page.get_by_test_id("map-back").click()
    expect(page.locator("#map")).to_be_hidden()
    expect(page.get_by_test_id("map-open")).to_be_visible()


@pytest.fixture
def tiled(tmp_path: Path) -> Iterator[Server]:
    """A server whose operator set a tile server: the server itself under another name (localhost is another
    origin than 127.0.0.1), so the page's policy must let its tiles in."""
    port = free_port()
    url = f"http://localhost:{port}/vendor/leaflet/images/layers.png?z={{z}}&x={{x}}&y={{y}}"
    s = Server(tmp_path, port=port, extra=["--tiles", url, "--tile-attribution", "© 测试图源"]).start()
    yield s
    s.stop()


def test_the_operators_tiles_are_the_base_layer_under_the_policy(tiled: Server, browser: Browser) -> None:
    shutil.copy(ROOT / "tests" / "data" / "test.osm.pbf", tiled.data_dir / "town.osm.pbf")
    street = Api(tiled, tiled.token(Role.STREET, street="s1"))
    body = {"id": "town", "street": "s1", "profile": "fast_test", "map": {"osm": {"path": "town.osm.pbf"}}}
    street.ok("POST", "/communities", body)
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    refused: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        response = page.goto(tiled.url + "/")
        assert response is not None
        assert (
            f"img-src 'self' data: blob: http://localhost:{tiled.port};"
            in response.headers["content-security-policy"]
        )
        sign_in(page, tiled.token(Role.CADRE, community="town"))
        expect(page.locator("#map img.leaflet-tile-loaded").first).to_be_visible()
        expect(page.locator("#map .leaflet-control-attribution")).to_contain_text("© 测试图源")
        # The tiles draw the roads: the page does not draw them again.
        expect(page.locator("#map path.road")).to_have_count(0)
        assert refused == []
    finally:
        context.close()
