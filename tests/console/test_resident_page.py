"""The residents' page (居民诉求, /r/{code}) in a real browser on the package's shared server: a repair sent
from a phone with a photo and a phone number, its receipt, the cadre's answer read on the page and rated; the
incident page's 我需要救援 becoming a life-safety need; the plain words for a busy server, a replaced link and
no network; the layout at 360 and 1280 px, axe and the page's policy."""

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, FilePayload, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from api.appeal_limits import TOO_MANY
from tests.api.server import ROOT, Server, wait_for
from tests.console.axe import findings
from tests.console.conftest import DESKTOP, PHONE, Community, OpenPage, World, layout_problems
from tests.console.test_csp import LISTEN

PAGE_BYTES = 25_000
RECEIPT = re.compile(r"^[A-Z2-9]{10}$")
# Local time as the page writes it: 12月1日 09:05.
WHEN = re.compile(r"\d{1,2}月\d{1,2}日 \d\d:\d\d")


@dataclass
class Place:
    community: Community
    codes: dict[str, str]  # building id -> its link's code

    def appeals(self) -> list[dict[str, Any]]:
        c = self.community
        return list(c.cadre.ok("GET", f"{c.path}/appeals?state=all")["appeals"])


def place(world: World, cid: str, *, incident: bool = False) -> Place:
    """A community with one grid and two buildings, each with its QR link."""
    c = world.community(cid, incident=incident)
    street = world.street  # the street (or the community's head) keeps grids and buildings
    street.ok("PUT", f"{c.path}/grids/g1", {"name": "第一网格"})
    street.ok("PUT", f"{c.path}/buildings/b1", {"name": "1号楼", "grid": "g1", "location": "g1_1"})
    street.ok("PUT", f"{c.path}/buildings/b2", {"name": "2号楼", "grid": "g1", "location": "g2_2"})
    codes = c.cadre.ok("POST", f"{c.path}/codes", {})["codes"]
    return Place(c, {row["building"]: row["link"].rsplit("/r/", 1)[1] for row in codes})


class Pages:
    """Phones on the residents' page: fresh browser profiles from the package's ``open_page`` (which fails the
    test on a script error), each page listening for what its policy refuses."""

    def __init__(self, open_page: OpenPage) -> None:
        self.open_page = open_page
        self.pages: list[Page] = []
        self.left: list[str] = []  # what pages navigated away from had refused

    def open(self, code: str, viewport: dict[str, int] = PHONE) -> Page:
        page = self.open_page(viewport=viewport)
        page.context.add_init_script(LISTEN)
        page.goto(f"{page.url.rstrip('/')}/r/{code}")
        self.pages.append(page)
        return page

    def go(self, page: Page, code: str) -> None:
        """The same phone opens another link."""
        self.left += page.evaluate("window.__refused")
        page.goto(f"{page.url.split('/r/', 1)[0]}/r/{code}")

    def refused(self) -> list[str]:
        return self.left + [r for page in self.pages for r in page.evaluate("window.__refused")]


@pytest.fixture
def pages(open_page: OpenPage) -> Iterator[Pages]:
    made = Pages(open_page)
    yield made
    assert made.refused() == []


def photo_jpeg(width: int = 2400, height: int = 1800) -> bytes:
    """A camera-sized photo, larger than the page sends."""
    image = Image.new("RGB", (width, height), (40, 110, 160))
    image.paste((220, 180, 40), (200, 200, 1400, 1000))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def no_problems(page: Page, width: int, *, axe: bool = True) -> None:
    """No sideways scroll, nothing past the edge, no button under 44 px; and (axe) no serious finding."""
    assert layout_problems(page, width) == []
    if axe:
        assert findings(page) == []


def test_a_repair_with_a_photo_is_answered_and_rated_on_a_phone(world: World, pages: Pages) -> None:
    """报修 with a photo and a phone number at 360 px: the first answer is lost on the way back, the page sends it
    again with the same Idempotency-Key and the server applies it once; the cadre reads the phone in clear and
    the shrunk photo, answers it resolved; the page shows 已解决 and takes 4 stars once."""
    p = place(world, "rp-repair")
    c = p.community
    page = pages.open(p.codes["b1"])
    expect(page.locator("h1")).to_have_text("rp-repair社区")
    expect(page.locator("#building")).to_have_text("1号楼")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    no_problems(page, PHONE["width"], axe=False)

    # No kind picked: the page says what is missing, in plain words, and sends nothing.
    page.get_by_test_id("send").click()
    expect(page.locator("#ask-msg")).to_have_text("请先选择是什么事")
    page.get_by_role("radio", name="报修").check()
    page.get_by_role("radio", name="较急").check()
    page.get_by_label("说说情况").fill("厨房水管漏水")
    leak = FilePayload(name="leak.jpg", mimeType="image/jpeg", buffer=photo_jpeg())
    page.locator("#photo").set_input_files(leak)
    expect(page.locator("#preview")).to_be_visible()
    page.get_by_role("button", name="删除照片").click()
    expect(page.locator("#preview")).to_be_hidden()
    page.locator("#photo").set_input_files(leak)
    expect(page.locator("#preview")).to_be_visible()
    page.get_by_test_id("ask").get_by_label("您的电话").fill("13800138000")
    expect(page.get_by_test_id("ask").get_by_text("只有处理的社区干部和上门人员能看到")).to_be_visible()
    no_problems(page, PHONE["width"])

    # The first answer never reaches the phone (the server applied it): the page sends it again.
    keys: list[str] = []

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        response = route.fetch()
        if len(keys) == 1:
            assert response.status == 201
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    page.route("**/appeals", lose_first_answer)
    page.get_by_test_id("send").click()
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_have_text(RECEIPT, timeout=10_000)
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0], keys
    expect(page.get_by_text("请记下受理编号")).to_be_visible()
    # The form is cleared for the next one, back to 一般.
    assert page.evaluate("document.querySelector('input[name=urgency]:checked').value") == "normal"
    expect(page.get_by_test_id("status")).to_have_text("已受理，等待处理")
    no_problems(page, PHONE["width"], axe=False)
    code = receipt.inner_text()

    # One appeal, the phone in clear for the cadre, the photo shrunk on the phone to 1280 px as a JPEG.
    appeals = p.appeals()
    assert [a["receipt"] for a in appeals] == [code]
    appeal = appeals[0]
    assert (appeal["kind"], appeal["urgency"], appeal["note"]) == ("repair", "urgent", "厨房水管漏水")
    assert appeal["contact_phone"] == "13800138000"
    photo = c.cadre.get(f"{c.path}/photos/{appeal['photo']}")
    assert photo.status_code == 200, photo.text
    with Image.open(io.BytesIO(photo.content)) as shot:
        assert shot.format == "JPEG" and max(shot.size) == 1280, (shot.format, shot.size)

    # The cadre answers it resolved; the page reads it again when the phone is looked at.
    c.cadre.ok("POST", f"{c.path}/appeals/{appeal['id']}/reply", {"text": "已派人修好水管", "resolved": True})
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.get_by_test_id("status")).to_have_text("已解决")
    steps = page.get_by_test_id("steps").locator("li")
    expect(steps.last).to_contain_text("已派人修好水管")
    assert all(WHEN.search(text) for text in steps.all_inner_texts()), steps.all_inner_texts()
    rate = page.get_by_test_id("rate")
    expect(rate).to_be_visible()
    no_problems(page, PHONE["width"])

    rate.get_by_role("button", name="4 星").click()
    expect(rate.get_by_role("button", name="4 星")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("想说的话").fill("师傅来得很快")
    rate.get_by_role("button", name="提交评价").click()
    expect(page.get_by_test_id("thanks")).to_contain_text("谢谢您的评价")
    expect(rate).to_be_hidden()
    expect(page.get_by_role("button", name="4 星")).to_have_count(0)
    rated = c.cadre.ok("GET", f"{c.path}/appeals/{appeal['id']}")
    assert (rated["rating"], rated["rating_comment"]) == (4, "师傅来得很快")

    # Back on the form, this phone lists its own appeal with its status; opened again it is rated already.
    page.get_by_role("button", name="返回").click()
    mine = page.get_by_test_id("mine")
    expect(mine).to_contain_text("报修")
    expect(mine).to_contain_text("已解决")
    page.reload()
    expect(page.get_by_test_id("mine")).to_contain_text("已解决")
    page.get_by_test_id("mine").get_by_role("link").first.click()
    expect(page.get_by_test_id("receipt")).to_have_text(code)
    expect(page.get_by_test_id("thanks")).to_be_visible()
    expect(page.get_by_test_id("rate")).to_be_hidden()


def test_incident_mode_rescue_becomes_a_life_safety_need(world: World, pages: Pages) -> None:
    """In an incident the page opens with the red banner, emergency numbers (no hotline set) and 我需要救援; one
    more tap sends it, offline first: the page says so and sends it once the network is back."""
    p = place(world, "rp-rescue", incident=True)
    c = p.community
    page = pages.open(p.codes["b2"])
    banner = page.get_by_test_id("incident")
    expect(banner).to_contain_text("社区已进入应急状态")
    for number in ("110", "119", "120"):
        expect(banner.locator(f'a[href="tel:{number}"]')).to_be_visible()
    no_problems(page, PHONE["width"], axe=False)

    page.get_by_test_id("rescue").click()
    sos = page.get_by_test_id("sos")
    expect(sos).to_be_visible()
    expect(page.get_by_test_id("ask")).to_be_hidden()
    no_problems(page, PHONE["width"])
    sos.get_by_label("您的电话").fill("13900139000")
    page.context.set_offline(True)
    page.get_by_test_id("sos-send").click()
    expect(page.locator("#sos-msg")).to_have_text("网络不通，稍后自动重试")
    page.context.set_offline(False)
    expect(page.get_by_test_id("receipt")).to_have_text(RECEIPT, timeout=10_000)

    needs = c.cadre.ok("GET", f"{c.path}/needs")
    rescues = [n for n in needs if n["priority"] == 5]
    assert len(rescues) == 1, needs
    appeals = p.appeals()
    assert [(a["rescue"], a["kind"], a["contact_phone"]) for a in appeals] == [
        (True, "emergency", "13900139000")
    ]

    # The incident ends while the page is open: a rescue is refused (422), and the page says what to do instead.
    incident = c.cadre.ok("GET", c.path)["incident"]["id"]
    c.cadre.ok("POST", f"{c.path}/incidents/{incident}/close")
    page.get_by_role("button", name="返回").click()
    page.get_by_test_id("rescue").click()
    page.get_by_test_id("sos-send").click()
    expect(page.locator("#ask-msg")).to_contain_text("社区已解除应急状态")
    expect(page.get_by_test_id("incident")).to_be_hidden()
    expect(page.get_by_test_id("ask")).to_be_visible()
    assert len(p.appeals()) == 1


def test_busy_replaced_and_desktop(world: World, pages: Pages, server: Server) -> None:
    """The server's 429 in plain words with the emergency numbers; a replaced link says so; at 1280 px the form
    and a receipt looked up by hand."""
    p = place(world, "rp-busy")
    c = p.community
    page = pages.open(p.codes["b1"])
    # The shared server's limits are set out of reach (tests/console/conftest.py): its 429 answer, as the server
    # words it, stands in for the eleventh appeal in ten minutes from one address.
    page.route(
        "**/appeals",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "60"},
            content_type="application/problem+json",
            json={"type": "about:blank", "title": "请求过多", "status": 429, "detail": TOO_MANY},
        ),
    )
    page.get_by_role("radio", name="生活求助").check()
    page.get_by_test_id("send").click()
    message = page.locator("#ask-msg")
    expect(message).to_contain_text("提交太频繁，请稍后再试")
    expect(message.locator('a[href="tel:120"]')).to_be_visible()
    expect(page.get_by_test_id("send")).to_be_enabled()
    assert p.appeals() == []

    # A new link for building 2: the old one says it was replaced, and still gives the numbers to call.
    old = p.codes["b2"]
    c.cadre.ok("POST", f"{c.path}/codes", {"buildings": ["b2"]})
    page.unroute("**/appeals")
    gone = page
    pages.go(gone, old)
    expect(gone.get_by_test_id("error")).to_contain_text("这个二维码已更换")
    expect(gone.get_by_test_id("error")).not_to_contain_text("(")
    expect(gone.get_by_test_id("error").locator('a[href="tel:110"]')).to_be_visible()
    expect(gone.get_by_test_id("ask")).to_be_hidden()
    no_problems(gone, PHONE["width"])

    # At 1280 px: a receipt typed in (with a space, in small letters) is found; an unknown one is not.
    sent = httpx.post(
        f"{server.url}/api/v1/public/buildings/{p.codes['b1']}/appeals",
        json={"kind": "dispute", "note": "楼上噪音"},
    )
    assert sent.status_code == 201, sent.text
    receipt = sent.json()["receipt"]
    desk = page
    desk.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    pages.go(desk, p.codes["b1"])
    expect(desk.get_by_test_id("ask")).to_be_visible()
    no_problems(desk, DESKTOP["width"], axe=False)
    desk.get_by_label("输入受理编号查询").fill("ZZZZZZZZZZ")
    desk.get_by_role("button", name="查询").click()
    expect(desk.get_by_test_id("status")).to_have_text(re.compile("^找不到这个受理编号"))
    desk.get_by_role("button", name="返回").click()
    desk.get_by_label("输入受理编号查询").fill(f"{receipt[:5].lower()} {receipt[5:]}")
    desk.get_by_role("button", name="查询").click()
    expect(desk.get_by_test_id("status")).to_have_text("已受理，等待处理")
    expect(desk.locator("#what")).to_contain_text("邻里纠纷")
    no_problems(desk, DESKTOP["width"])

    # Answered meanwhile: opened again, the page's list of this phone's appeals says so without a tap.
    dispute = next(a["id"] for a in p.appeals() if a["receipt"] == receipt)
    c.cadre.ok("POST", f"{c.path}/appeals/{dispute}/reply", {"text": "已和楼上住户沟通", "resolved": True})
    desk.get_by_role("button", name="返回").click()
    desk.reload()
    expect(desk.get_by_test_id("mine")).to_contain_text("已解决")


def test_the_console_service_worker_leaves_the_page_alone(
    world: World, browser: Browser, server: Server
) -> None:
    """A cadre's phone has the console installed (its service worker controls every path of the server): the
    residents' page still comes from the network, and offline a building's link is not answered with the
    console's shell; nothing of the public API is kept in the console's caches."""
    p = place(world, "rp-sw")
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(f"{server.url}/")
        # (Polled from here: the page's policy refuses the eval a polling wait_for_function would need.)
        wait_for(lambda: page.evaluate("navigator.serviceWorker.controller !== null"))
        page.goto(f"{server.url}/r/{p.codes['b1']}")
        expect(page.locator("h1")).to_have_text("rp-sw社区")
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        kept = page.evaluate(
            "(async () => (await Promise.all((await caches.keys()).map(async (n) =>"
            " (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname)))).flat())()"
        )
        assert not [k for k in kept if k.startswith(("/r/", "/resident.", "/api/v1/public/"))], kept
        context.set_offline(True)
        with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
            page.goto(f"{server.url}/r/{p.codes['b2']}")
    finally:
        context.close()


def test_the_page_is_small() -> None:
    """HTML, script and styles together: a weak phone signal opens it in a few seconds."""
    sizes = {
        n: (ROOT / "api" / "console" / n).stat().st_size
        for n in ("resident.html", "resident.js", "resident.css")
    }
    assert sum(sizes.values()) < PAGE_BYTES, sizes
