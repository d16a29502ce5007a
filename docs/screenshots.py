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

from PIL import Image  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.api.server import Api, Server, wait_for  # noqa: E402
from tests.console.conftest import CHROMIUM, CHROMIUM_ARGS, tap_node  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DEMO = ROOT / "api" / "examples" / "flood.json"
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}
# What a grid worker may send: the demo file's needs carry fields (who, when) that the server fills in.
REPORTED = (
    "id",
    "capability",
    "quantity",
    "location",
    "priority",
    "requires",
    "max_travel_s",
    "tags",
    "team",
    "note",
)


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
        cadre, grid = Api(server, tokens["cadre"]), Api(server, tokens["grid_worker"])
        organisation = Api(server, tokens["organisation"])  # 蓝天救援队, the demo's first organisation
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width in WIDTHS:
                shoot(signed_in(browser, server, None, width), f"signin-{width}")

            normal_times(browser, server, tokens, c)

            # A flood: the residents' needs come in; life-safety ones are confirmed by the profile at once.
            cadre.ok("POST", f"{c}/incidents", {"kind": "flood", "level": 2})
            for need in document["needs"]:
                grid.ok("POST", f"{c}/needs", {k: v for k, v in need.items() if k in REPORTED})
            wait_for(lambda: len(organisation.ok("GET", f"{c}/assignments")) >= 3)
            # The rescue team answers: one boat has set off, a crew has accepted.
            first, second, *_ = organisation.ok("GET", f"{c}/assignments")
            organisation.ok("POST", f"{c}/assignments/{first['id']}/acknowledge")
            organisation.ok("POST", f"{c}/assignments/{first['id']}/en-route")
            organisation.ok("POST", f"{c}/assignments/{second['id']}/acknowledge")
            for width in WIDTHS:
                shoot(signed_in(browser, server, tokens["cadre"], width), f"cadre-{width}")
                shoot(signed_in(browser, server, tokens["organisation"], width), f"organisation-{width}")
                page = signed_in(browser, server, tokens["grid_worker"], width)
                page.get_by_role("button", name="上门探视").click()
                tap_node(page, "g6_5")
                page.get_by_role("button", name="独居老人").click()
                page.locator("#note").fill("7号楼3单元，老人腿脚不便")
                page.evaluate("window.scrollTo(0, 0)")
                shoot(page, f"grid-{width}")

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


# The street's own pool, and a neighbour (东湖社区) that lends in an incident with the street's approval:
# organisation id, kind, name, units (id, capability, quantity, place, name).
STREET_POOL = (
    ("hexi-centre", "public_unit", "街道应急服务中心", (
        ("hexi-medics", "medical.first_aid", 2, "g4_4", "街道急救员"),
        ("hexi-van", "transport.vehicle", 1, "g7_0", "街道转运车"),
    )),
    ("hexi-chamber", "enterprise", "河西商会", (("hexi-food", "supply.food", 300, "g0_7", "商会应急食品"),)),
)  # fmt: skip
NEIGHBOUR = (("donghu-red", "social_organisation", "东湖志愿服务站", (
    ("donghu-generator", "power.generator", 1, "g6_6", "移动发电机"),
)),)  # fmt: skip
# Two needs the demo community cannot meet, escalated to the street.
ESCALATED = (
    {"capability": "medical.doctor", "quantity": 1, "location": "g5_5", "priority": 5, "note": "透析病人，需要医生上门"},
    {"capability": "shelter.bed", "quantity": 6, "location": "g6_5", "priority": 4, "note": "7号楼一楼进水，6位老人需临时安置"},
)  # fmt: skip


Pool = tuple[tuple[str, str, str, tuple[tuple[str, str, int, str, str], ...]], ...]


def register(api: Api, base: str, pool: Pool) -> None:
    for org, kind, name, units in pool:
        api.ok("POST", f"{base}/organisations", {"id": org, "kind": kind, "name": name})
        for rid, capability, quantity, place, label in units:
            body = {"id": rid, "organisation": org, "capability": capability, "quantity": quantity}
            api.ok("POST", f"{base}/resources", {**body, "location": place, "name": label})


def street_views(
    browser: Browser, server: Server, tokens: dict[str, str], document: dict[str, Any], c: str
) -> None:
    """The street's inbox (an escalation to answer, one answered, a neighbour's loan to approve), its pool
    editor and the editor's dialog for a unit."""
    street, cadre, grid = (Api(server, tokens[r]) for r in ("street", "cadre", "grid_worker"))
    hexi, travel = document["community"]["street"], document["travel"]
    body = {"id": hexi, "name": "河西街道", "profile": document["community"]["profile"], "map": travel}
    street.ok("POST", "/streets", body)
    register(street, f"/streets/{hexi}", STREET_POOL)
    body = {"id": "donghu", "street": hexi, "name": "东湖社区", "profile": "urban_admin_rich", "map": travel}
    street.ok("POST", "/communities", body)
    register(street, "/communities/donghu", NEIGHBOUR)
    doctor, beds = (grid.ok("POST", f"{c}/needs", need)["id"] for need in ESCALATED)
    for need in (doctor, beds):
        cadre.ok("POST", f"{c}/needs/{need}/escalate")
    answer = {"answer": "asked", "community": "donghu", "note": "已请东湖社区腾出活动室"}
    street.ok("POST", f"{c}/needs/{beds}/answer", answer)
    wait_for(lambda: any(i["approvals"] for i in street.ok("GET", f"/streets/{hexi}/inbox")))
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


if __name__ == "__main__":
    main()
