"""The console as an app on a phone: signed in by a one-time link made in the people view (one tap, no token to
paste) and out again; signed out with a plain message when access is revoked; opened with no network after one
visit; and focus kept on the control it was on while live updates redraw the page."""

from playwright.sync_api import Page, expect

from tests.api.server import Api, wait_for
from tests.console.conftest import PHONE, OpenPage, World, need_card
from tests.console.test_governance_console import roster

USED = "这个登录链接已经用过或已过期"
REVOKED = "您的登录已被作废"
# The installed app: its service worker is what opens the console with no network.
SERVICE_WORKERS = "allow"


def made_in_people_view(page: Page, member: str) -> str:
    """The head taps 发登录二维码 on a member's card: the dialog shows the QR code and the link."""
    page.get_by_test_id("tab-people").click()
    page.get_by_test_id(f"member-link-{member}").click()
    qr = page.get_by_test_id("signin-qr")
    expect(qr).to_be_visible()
    wait_for(lambda: qr.evaluate("el => el.complete && el.naturalWidth > 100"))
    expect(page.get_by_test_id("link-print")).to_be_visible()
    link = page.get_by_test_id("link-shown").input_value()
    page.get_by_test_id("link-close").click()
    return link


def test_a_link_signs_in_with_one_tap_and_signing_out_ends_it(world: World, open_page: OpenPage) -> None:
    c = world.community("app-link")
    people = roster(world, c)
    need = c.need(capability="supply.water", quantity=3, location="g2_3")
    proposal = c.proposal_for(need["id"])

    head = open_page(people.head.token)
    link = made_in_people_view(head, "cadre-li")
    assert "#signin=" in link

    # The cadre opens the link on their phone (tap 1) and confirms the proposal (tap 2).
    phone = open_page(viewport=PHONE)
    phone.goto(link)
    expect(phone.get_by_test_id("signout")).to_be_visible()
    expect(phone.locator("#where")).to_contain_text("社区干部")
    assert phone.evaluate("location.hash") == ""
    token = phone.evaluate("localStorage.getItem('pz.token')")
    assert token and token.startswith("pz_")
    phone.get_by_test_id(f"confirm-{proposal['id']}").click()
    expect(phone.get_by_test_id(f"status-{proposal['id']}")).not_to_have_text("待确认")
    assert c.cadre.ok("GET", f"{c.path}/assignments/{proposal['id']}")["status"] != "proposed"

    # The same link again, on another phone: used up, said plainly.
    again = open_page(viewport=PHONE)
    again.goto(link)
    expect(again.get_by_test_id("signin-message")).to_contain_text(USED)
    expect(again.get_by_test_id("token")).to_be_visible()  # pasting a token is still there

    # Signing out ends the token on the server too.
    phone.get_by_test_id("signout").click()
    expect(phone.get_by_test_id("token")).to_be_visible()
    wait_for(lambda: Api(world.server, token).get("/me").status_code == 401, timeout=5)


def test_revoked_access_signs_the_page_out_with_a_message(world: World, open_page: OpenPage) -> None:
    c = world.community("app-revoke")
    people = roster(world, c)
    page = open_page(people.cadre.token, viewport=PHONE)
    expect(page.locator("#offline")).to_be_hidden()
    wait_for(lambda: page.evaluate("Boolean(window.pzState.ws && window.pzState.ws.readyState === 1)"))
    [number] = [t["id"] for t in people.head.ok("GET", f"{c.path}/tokens") if t["name"] == "cadre-li"]
    people.head.ok("POST", f"{c.path}/tokens/{number}/revoke")
    # The server closes the socket within 2 s; the page shows why, on the sign-in page.
    expect(page.get_by_test_id("signin-message")).to_contain_text(REVOKED, timeout=2_500)
    expect(page.get_by_test_id("signout")).to_be_hidden()


def test_the_console_opens_offline_after_one_visit(world: World, open_page: OpenPage) -> None:
    c = world.community("app-offline")
    need = c.need(capability="care.visit", location="g3_3", note="三楼老人")
    page = open_page(c.cadre.token, viewport=PHONE)
    expect(need_card(page, need["id"])).to_be_visible()
    # Once the worker serves the page, the page reads its data again through it, and the worker keeps it.
    # (Polled from here: the page's policy refuses the eval a polling wait_for_function would need.)
    paths = [f"/api/v1{p}" for p in ("/me", c.path, f"{c.path}/needs", f"{c.path}/map", f"{c.path}/plan")]
    kept = """async (paths) => {
      if (!navigator.serviceWorker.controller) return false;
      const kept = await caches.open("pz-data");
      return (await Promise.all(paths.map((p) => kept.match(p)))).every(Boolean);
    }"""
    wait_for(lambda: page.evaluate(kept, paths))
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    expect(need_card(page, need["id"])).to_be_visible()
    expect(page.get_by_test_id("signout")).to_be_visible()
    page.context.set_offline(False)
    expect(page.get_by_test_id("offline-banner")).to_be_hidden(timeout=10_000)


def test_focus_stays_on_its_control_across_live_updates(world: World, open_page: OpenPage) -> None:
    c = world.community("app-focus")
    page = open_page(c.cadre.token, viewport=PHONE)
    first = c.need(capability="care.visit", location="g1_1")
    expect(need_card(page, first["id"])).to_be_visible()
    control = page.get_by_test_id("change-level")
    control.focus()
    scrolled = page.evaluate("window.scrollY")
    # Another person reports a need: the page hears of it and redraws the view.
    second = c.need(capability="supply.water", location="g4_4")
    expect(need_card(page, second["id"])).to_be_visible()
    expect(control).to_be_focused()
    assert page.evaluate("document.activeElement.dataset.testid") == "change-level"
    assert page.evaluate("window.scrollY") == scrolled
