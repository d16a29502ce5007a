"""Screenshots of the console for the README: a real ``pingzhan serve --demo api/examples/flood.json``,
driven by headless Chromium at desktop (1280 px) and phone (360 px) width.

    .venv/bin/python docs/screenshots.py          # writes docs/screenshots/*.png
    .venv/bin/python docs/screenshots.py street   # only the pictures whose names start so (street-, ...)

The demo community (清水社区) gets its incident and its residents' needs over the REST API, as cadres and
grid workers would send them; then each role's view is photographed. The street (河西街道) registers its own
pool and a neighbour (东湖社区) that lends with the street's approval, for the street's inbox and pool editor.
"""

import base64
import io
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.api.server import Api, Server  # noqa: E402
from tests.console.conftest import CHROMIUM, CHROMIUM_ARGS, tap_node  # noqa: E402
from tests.console.demo import DEMO, demo_codes, flood, raw_codes, seen_text, street_world  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CODES = demo_codes()
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}


def signed_in(browser: Browser, server: Server, token: str | None, width: str) -> Page:
    w, h = WIDTHS[width]
    page = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN").new_page()
    page.goto(server.url + "/")
    if token is not None:
        page.get_by_test_id("token").fill(token)
        page.get_by_test_id("signin").click()
        page.locator("#signout").wait_for(state="visible")
    return page


# Names on the command line: only the pictures whose names start with one of them are taken again.
WANTED = tuple(sys.argv[1:])


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    if WANTED and not name.startswith(WANTED):
        return
    page.wait_for_timeout(300)  # the last websocket refresh settles
    page.locator("#toast").evaluate("el => { el.hidden = true; }")
    # What the picture shows is what a person reads: never a raw id or code (tests/console/demo.py).
    if found := raw_codes(seen_text(page), CODES):
        raise SystemExit(f"{name}: the page shows raw ids or codes: {', '.join(found)}")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    # Flat colours and text: 128 colours look the same at less than half the bytes in the repository.
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(
            colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)
    sys.stdout.write(f"{path.relative_to(ROOT)}\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pingzhan-shots-") as folder:
        shoot_all(Path(folder))


def shoot_all(data: Path) -> None:
    server = Server(data, extra=["--demo", str(DEMO)]).start()
    try:
        tokens = json.loads((data / "demo-tokens.json").read_text(encoding="utf-8"))
        document = json.loads(DEMO.read_text(encoding="utf-8"))
        c = f"/communities/{document['community']['id']}"
        cadre = Api(server, tokens["cadre"])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width in WIDTHS:
                shoot(signed_in(browser, server, None, width), f"signin-{width}")

            normal_times(browser, server, tokens, c)
            links = resident_links(cadre, c)
            resident_views(browser, server, cadre, c, links)

            # A flood: the residents' needs come in; the rescue team answers the first.
            flood(server, tokens)
            page = resident_page(browser, server, links[0], "phone")
            page.get_by_test_id("incident").wait_for()
            shoot(page, "resident-incident-phone")
            for width in WIDTHS:
                shoot(signed_in(browser, server, tokens["cadre"], width), f"cadre-{width}")
                shoot(signed_in(browser, server, tokens["organisation"], width), f"organisation-{width}")
                page = signed_in(browser, server, tokens["grid_worker"], width)
                page.get_by_test_id("capabilities").get_by_role("button", name="上门探视").click()
                page.get_by_test_id("report-place-q").fill("7栋3单元")
                page.get_by_test_id("report-place-hit").first.click()
                page.get_by_role("button", name="独居老人", exact=True).click()
                page.locator("#note").fill("老人腿脚不便，需要人上门看看")
                page.evaluate("window.scrollTo(0, 0)")
                shoot(page, f"grid-{width}")

            # 蓝天救援队 turns down a life-safety job: the cadre's attention bar, at the top of the page.
            organisation = Api(server, tokens["organisation"])
            sent = [d for d in organisation.ok("GET", f"{c}/assignments") if d["status"] == "notified"]
            organisation.ok("POST", f"{c}/assignments/{sent[0]['id']}/decline", {"note": "队员都已出动"})
            for width in WIDTHS:
                page = signed_in(browser, server, tokens["cadre"], width)
                page.locator("#attention [data-testid^=attention-]").first.wait_for()
                shoot(page, f"attention-{width}", full_page=False)
            # On a phone the map is one tap away, full screen, with the way back to the lists.
            page = signed_in(browser, server, tokens["cadre"], "phone")
            page.get_by_test_id("map-open").click()
            page.locator(".leaflet-marker-icon.pin").first.wait_for()
            shoot(page, "map-phone", full_page=False)

            # The incident issued a check of every vulnerable household: the grid worker's list, the cadre's counts.
            hexi = Api(server, tokens["captain"])
            first_check = hexi.ok("GET", f"{c}/checks")["checks"][0]["household"]["id"]
            hexi.ok("POST", f"{c}/checks/{first_check}", {"result": "safe"})
            for width in WIDTHS:
                page = signed_in(browser, server, tokens["grid_worker"], width)
                page.get_by_test_id("tab-checklist").click()
                page.locator("[data-testid^=check-]").first.wait_for()
                shoot(page, f"checklist-{width}")
                page = signed_in(browser, server, tokens["cadre"], width)
                page.get_by_test_id("tab-checks").click()
                page.get_by_test_id("count-all-pending").wait_for()
                shoot(page, f"checks-{width}")

            street_views(browser, server, tokens, document, c)
            appeal_views(browser, server, tokens, c)

            # A drill afterwards: every screen says so.
            incident = cadre.ok("GET", c)["incident"]["id"]
            cadre.ok("POST", f"{c}/incidents/{incident}/close")
            cadre.ok("POST", f"{c}/incidents", {"kind": "typhoon", "level": 3, "exercise": True})
            for width in WIDTHS:
                page = signed_in(browser, server, tokens["cadre"], width)
                page.locator("#where").filter(has_text="演练中").wait_for()
                shoot(page, f"exercise-{width}", full_page=False)
            browser.close()
    finally:
        server.stop()


def normal_times(browser: Browser, server: Server, tokens: dict[str, str], c: str) -> None:
    """A street task in normal times: issued, split by the head, one part uploaded with a photo."""
    street, head, cadre = (Api(server, tokens[r]) for r in ("street", "head", "cadre"))
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    community = c.rsplit("/", 1)[1]
    hexi = street.ok("GET", c)["street"]
    body = {
        "title": "独居老人汛前走访",
        "description": "逐户走访独居老人，检查门窗和应急包，拍照留存",
        "due_at": due,
        "points": 20,
        "evidence": ["text", "number", "photo"],
        "communities": [community],
    }
    task = street.ok("POST", f"/streets/{hexi}/tasks", body)["id"]
    parts = [
        {"title": "河东片走访", "assignee": "li_ganbu", "points": 12},
        {"title": "河西片走访", "assignee": "zhao_wangge", "points": 8},
    ]
    head.ok("PUT", f"{c}/tasks/{task}/parts", {"parts": parts})
    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (70, 130, 90)).save(photo, format="PNG")
    upload = {
        "text": "走访独居老人12户，2户应急包过期已更换",
        "number": 12,
        "photo": {"content_type": "image/png", "data": base64.b64encode(photo.getvalue()).decode()},
    }
    cadre.ok("POST", f"{c}/tasks/{task}/parts/p1/submission", upload)
    for width in WIDTHS:
        page = signed_in(browser, server, tokens["street"], width)
        page.get_by_test_id("tab-tasks").click()
        page.locator("[data-testid^=task-]").first.wait_for()
        shoot(page, f"tasks-street-{width}")
        page = signed_in(browser, server, tokens["head"], width)
        page.get_by_test_id("tab-tasks").click()
        page.locator("[data-testid^=task-]").first.wait_for()
        shoot(page, f"tasks-head-{width}")


def resident_links(cadre: Api, c: str) -> list[str]:
    """Every building's QR link (its path, /r/{code})."""
    codes = cadre.ok("POST", f"{c}/codes", {})["codes"]
    return [row["link"].split("/r/", 1)[1] for row in codes]


def resident_page(browser: Browser, server: Server, code: str, width: str) -> Page:
    """A resident's phone (or computer) opening a building's QR link: no account."""
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.goto(f"{server.url}/r/{code}")
    page.get_by_test_id("ask").wait_for()
    return page


def resident_views(browser: Browser, server: Server, cadre: Api, c: str, links: list[str]) -> None:
    """The residents' page in normal times: the form on a phone; on a computer, a repair the cadre answered,
    ready to be rated."""
    page = resident_page(browser, server, links[0], "phone")
    page.get_by_role("radio", name="报修").check()
    page.get_by_test_id("ask").get_by_label("说说情况").fill("3单元楼道灯坏了，晚上看不见台阶")
    shoot(page, "resident-phone")
    page = resident_page(browser, server, links[0], "desktop")
    page.get_by_role("radio", name="报修").check()
    page.get_by_test_id("ask").get_by_label("说说情况").fill("厨房水管漏水，楼下也在滴")
    page.get_by_test_id("send").click()
    page.locator("#sent").wait_for()
    receipt = page.get_by_test_id("receipt").inner_text()
    appeal = next(a for a in cadre.ok("GET", f"{c}/appeals")["appeals"] if a["receipt"] == receipt)
    cadre.ok(
        "POST", f"{c}/appeals/{appeal['id']}/reply", {"text": "物业师傅已上门换好水管", "resolved": True}
    )
    page.reload()
    page.get_by_test_id("rate").wait_for()
    page.get_by_role("button", name="5 星").click()
    shoot(page, "resident-desktop")


def street_views(
    browser: Browser, server: Server, tokens: dict[str, str], document: dict[str, Any], c: str
) -> None:
    """The street's inbox (an escalation to answer, one answered, a neighbour's loan to approve), its pool
    editor and the editor's dialog for a unit."""
    street_world(server, tokens, c)
    for width in WIDTHS:
        page = signed_in(browser, server, tokens["street"], width)
        page.locator("[data-testid^=approve-]").first.wait_for()
        shoot(page, f"street-inbox-{width}")
        page.get_by_test_id("tab-pool").click()
        page.get_by_test_id("pool-org-hexi-centre").wait_for()
        shoot(page, f"street-pool-{width}")
        page.get_by_test_id("add-res-hexi-chamber").click()
        page.get_by_test_id("res-name").fill("商会发电车")
        page.get_by_test_id("res-cap").select_option("power.generator")
        tap_node(page, "g2_6", "#pick-map")
        page.evaluate("document.querySelector('#dialog').scrollTop = 0")
        shoot(page, f"street-pool-dialog-{width}", full_page=False)


def appeal_views(browser: Browser, server: Server, tokens: dict[str, str], c: str) -> None:
    """Residents' appeals from the buildings' QR links (the public API, each phone its own address): the cadre's
    queue with two likely duplicates, a grid worker's work orders, the codes' print sheet, and the board's
    接诉即办 rates once a work order is done and rated and a reply has settled another."""
    cadre = Api(server, tokens["cadre"])
    codes = {
        x["building_name"]: x["link"].rsplit("/r/", 1)[1] for x in cadre.ok("GET", f"{c}/codes")["codes"]
    }
    members = {m["name"]: m["id"] for m in cadre.ok("GET", f"{c}/members")}

    def appeal(n: int, building: str, kind: str, note: str, **more: Any) -> str:
        phone = httpx.Client(transport=httpx.HTTPTransport(local_address=f"127.0.3.{n + 10}"), timeout=30)
        url = f"{server.url}/api/v1/public/buildings/{codes[building]}/appeals"
        sent = phone.post(url, json={"kind": kind, "note": note, **more})
        assert sent.status_code == 201, sent.text
        receipt = sent.json()["receipt"]
        found = next(
            a for a in cadre.ok("GET", f"{c}/appeals?state=all")["appeals"] if a["receipt"] == receipt
        )
        return str(found["id"])

    def rate(n: int, appeal_id: str, stars: int, comment: str) -> None:
        receipt = cadre.ok("GET", f"{c}/appeals/{appeal_id}")["receipt"]
        phone = httpx.Client(transport=httpx.HTTPTransport(local_address=f"127.0.3.{n + 10}"), timeout=30)
        rated = phone.post(
            f"{server.url}/api/v1/public/appeals/{receipt}/rating", json={"stars": stars, "comment": comment}
        )
        assert rated.status_code == 200, rated.text

    garage = appeal(1, "12栋", "repair", "地下车库入口积水，电动车推不出来", phone="13800001234")
    cadre.ok("POST", f"{c}/appeals/{garage}/order", {"member": members["赵网格员"], "note": "请带上水泵"})
    Api(server, tokens["grid_worker"]).ok(
        "POST", f"{c}/appeals/{garage}/done", {"note": "已抽干积水，清理了排水口"}
    )
    rate(1, garage, 5, "很快就处理好了")
    meals = appeal(2, "7栋", "help", "想问问附近有没有老年助餐点")
    cadre.ok(
        "POST",
        f"{c}/appeals/{meals}/reply",
        {"text": "社区食堂每天11点供应老年餐，凭老年卡八折", "resolved": True},
    )
    rate(2, meals, 4, "")
    appeal(
        3,
        "12栋",
        "emergency",
        "2单元电梯停在两层之间，里面有一位老人",
        urgency="very_urgent",
        phone="13900005678",
    )
    appeal(4, "3栋", "repair", "3单元楼道灯坏了，晚上看不见台阶", phone="13700002468")
    appeal(5, "3栋", "repair", "3单元楼道的灯不亮了")
    leak = appeal(6, "12栋", "repair", "楼顶水箱漏水，顺着墙流到6楼", urgency="urgent", phone="13600003579")
    cadre.ok("POST", f"{c}/appeals/{leak}/order", {"member": members["赵网格员"], "note": "今天下午去看"})
    appeal(7, "7栋", "dispute", "楼上装修中午也在施工，噪音太大")
    for width in WIDTHS:
        page = signed_in(browser, server, tokens["cadre"], width)
        page.get_by_test_id("tab-appeals").click()
        page.locator(".dup-group").wait_for()
        page.get_by_test_id("board-appeals").wait_for()
        shoot(page, f"appeals-{width}")
    page = signed_in(browser, server, tokens["grid_worker"], "phone")
    page.get_by_test_id("tab-orders").click()
    page.get_by_test_id("my-orders").wait_for()
    shoot(page, "orders-phone")
    # The print sheet: one card a building, as the printer gets it.
    page = signed_in(browser, server, tokens["cadre"], "desktop")
    page.get_by_test_id("tab-codes").click()
    page.get_by_test_id("qr-sheet").wait_for()
    page.evaluate("document.body.classList.add('print-codes')")
    page.emulate_media(media="print")
    shoot(page, "codes-desktop")
    page = signed_in(browser, server, tokens["street"], "desktop")
    page.get_by_test_id("tab-tasks").click()
    page.get_by_test_id("board-appeals").wait_for()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    shoot(page, "board-desktop", full_page=False)


if __name__ == "__main__":
    main()
