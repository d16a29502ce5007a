"""The incident area's standard messages out (api/routes/exports.py): the printable resource request is fetched
with the cadre's token and printed alone; EDXL-RM and GeoJSON are saved as files, and a grid map's refusal of
GeoJSON is said in plain words."""

from playwright.sync_api import expect

from tests.api.server import wait_for
from tests.console.conftest import OpenPage, World, need_card


def test_the_resource_request_prints_alone_and_the_exports_download(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("exports")
    need = c.need(capability="supply.water", quantity=5, location="g1_1", priority=3)
    page = open_page(c.cadre.token)
    expect(need_card(page, need["id"])).to_be_visible()
    # Printing is the browser's dialog: count the calls and look at what the page holds while it prints.
    page.evaluate(
        """() => { window.printed = []; window.print = () => window.printed.push({
             classes: document.body.className,
             pages: [...document.querySelectorAll('#print-request .rr-page')].map((p) => p.dataset.need),
             shown: getComputedStyle(document.getElementById('print-request')).display }); }"""
    )
    page.get_by_test_id("print-request").click()
    # Polled from here: the page's policy refuses the eval a polling wait_for_function would need.
    wait_for(lambda: page.evaluate("window.printed.length") == 1, timeout=30)
    [printed] = page.evaluate("window.printed")
    assert "print-request" in printed["classes"] and printed["pages"] == [need["id"]]
    # The print is done: the page is the console again.
    assert "print-request" not in page.evaluate("document.body.className")
    expect(page.locator("#print-request .rr-page h1").first).to_contain_text("资源请求单")

    with page.expect_download() as saved:
        page.get_by_test_id("export-edxl").click()
    assert saved.value.suggested_filename.endswith("-request-resource.xml")
    # The community's map is a grid: GeoJSON is refused, and the cadre is told why.
    page.get_by_test_id("export-geojson").click()
    expect(page.locator("#toast")).to_contain_text("地图没有经纬度坐标")
