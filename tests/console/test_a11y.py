"""axe-core on every view of every role and on the dialogs they open, at 360 and 1280 px: no critical and no
serious finding (an unnamed select, an unlabelled input, a button with no name, text too faint to read).

One page per role; each view is checked at the phone's width and again at the desktop's, each dialog once, at the
phone's (a dialog is the same markup at both widths, over a view already checked at both), and every finding is
reported at the end with its rule and element."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from api.auth import Role
from tests.api.server import Api
from tests.console.axe import check
from tests.console.conftest import DESKTOP, MAP, PHONE, OpenPage, World
from tests.console.test_governance_console import People, roster


@pytest.fixture
def found() -> Iterator[dict[str, list[str]]]:
    problems: dict[str, list[str]] = {}
    yield problems
    assert problems == {}, "\n".join(f"{where}:\n  " + "\n  ".join(p) for where, p in problems.items())


def both_widths(page: Page, where: str, found: dict[str, list[str]]) -> None:
    check(page, where, found)
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    check(page, where, found)
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]


def tab(page: Page, name: str, found: dict[str, list[str]]) -> None:
    page.get_by_test_id(f"tab-{name}").click()
    expect(page.locator("#view")).to_have_attribute("data-tab", name)
    expect(page.locator("#view .loading, #view .empty:text-is('正在读取……')")).to_have_count(0)
    both_widths(page, f"tab {name}", found)


def dialog(page: Page, opener: str, where: str, found: dict[str, list[str]]) -> None:
    """Open a dialog by the first control ``opener`` (a selector) finds, check it, and close it unanswered."""
    page.locator(opener).first.click()
    expect(page.locator("#dialog")).to_be_visible()
    check(page, f"dialog {where}", found)
    page.keyboard.press("Escape")
    expect(page.locator("#dialog")).to_be_hidden()


def world_with_roster(world: World, cid: str) -> tuple[People, str]:
    """A community in an incident, its roster, and a need with a proposal waiting to be confirmed."""
    c = world.community(cid)
    people = roster(world, c)
    need = c.need(capability="supply.water", quantity=3, location="g2_3")
    return people, c.proposal_for(need["id"])["id"]


def test_the_heads_views_and_dialogs(world: World, open_page: OpenPage, found: dict[str, list[str]]) -> None:
    people, proposal = world_with_roster(world, "a11y-head")
    page = open_page(people.head.token, viewport=PHONE)
    expect(page.get_by_test_id(f"confirm-{proposal}")).to_be_visible()
    both_widths(page, "tab emergency", found)
    dialog(page, f"[data-testid=override-{proposal}]", "override", found)
    dialog(page, "[data-testid=change-level]", "change level", found)
    dialog(page, "[data-testid=new-need]", "new need", found)
    tab(page, "checks", found)
    tab(page, "tasks", found)
    tab(page, "pool", found)
    dialog(page, "[data-testid=add-org]", "add organisation", found)
    dialog(page, "[data-action=add-res]", "add unit", found)
    dialog(page, "[data-action=edit-res]", "edit unit", found)
    tab(page, "people", found)
    dialog(page, "[data-testid=add-member]", "add member", found)
    dialog(page, "[data-testid=new-token]", "new token", found)
    dialog(page, "[data-action=revoke]", "revoke", found)
    page.get_by_test_id("member-link-cadre-li").click()
    expect(page.get_by_test_id("signin-qr")).to_be_visible()
    check(page, "dialog sign-in link", found)
    page.get_by_test_id("link-close").click()
    page.get_by_test_id("member-token-cadre-li").click()
    expect(page.get_by_test_id("token-shown")).to_be_visible()
    check(page, "dialog token shown", found)
    page.get_by_test_id("token-close").click()
    # The incident closed for real, the emergency view in normal times and the dialog that starts one.
    page.get_by_test_id("tab-emergency").click()
    page.get_by_test_id("close-incident").click()
    expect(page.locator("#dialog")).to_be_visible()
    check(page, "dialog close incident", found)
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_test_id("start-incident")).to_be_visible()
    both_widths(page, "tab emergency (no incident)", found)
    dialog(page, "[data-testid=start-incident]", "start incident", found)


def test_the_streets_views(world: World, open_page: OpenPage, found: dict[str, list[str]]) -> None:
    people, _ = world_with_roster(world, "a11y-street")
    c = people.community
    # A need the community cannot meet, escalated: the street's inbox has a card with its answers.
    need = c.need(capability="medical.doctor", location="g4_1", priority=4)
    c.cadre.ok("POST", f"{c.path}/needs/{need['id']}/escalate", {})
    # The inbox is the street's own pool's: registered once.
    world.street.ok(
        "POST", "/streets", {"id": world.street_id, "name": "滨江街道", "profile": world.profile, "map": MAP}
    )
    page = open_page(world.street.token, viewport=PHONE)
    expect(page.locator("#view")).to_have_attribute("data-tab", "inbox")
    key = f"{c.id}-{need['id']}"
    expect(page.get_by_test_id(f"inbox-{key}")).to_be_visible()
    both_widths(page, "tab inbox", found)
    dialog(page, f"[data-testid=ask-{key}]", "ask a neighbour", found)
    dialog(page, f"[data-testid=nohelp-{key}]", "no help", found)
    for name in ("emergency", "pool", "people", "tasks", "contrib"):
        tab(page, name, found)


def test_an_organisations_view_and_decline(
    world: World, open_page: OpenPage, found: dict[str, list[str]]
) -> None:
    c = world.community("a11y-org")
    boats = Api(
        world.server, world.server.token(Role.ORGANISATION, community=c.id, organisation=f"{c.id}-boats")
    )
    # Life-safety: confirmed by the profile at once, so the boat crew is asked straight away.
    c.need(capability="rescue.boat", location="g1_4", priority=5)
    page = open_page(boats.token, viewport=PHONE)
    expect(page.locator("[data-path=decline]").first).to_be_visible(timeout=10_000)
    both_widths(page, "organisation jobs", found)
    dialog(page, "[data-path=decline]", "decline", found)


def test_a_grid_workers_captains_and_observers_views(
    world: World, open_page: OpenPage, found: dict[str, list[str]]
) -> None:
    people, _ = world_with_roster(world, "a11y-grid")
    grid = open_page(people.grid.token, viewport=PHONE)
    expect(grid.locator("#report-form")).to_be_visible()
    both_widths(grid, "grid worker: report", found)
    tab(grid, "checklist", found)
    dialog(grid, "[data-testid=help-h1]", "a household needs help", found)
    captain = open_page(people.captain.token, viewport=PHONE)
    expect(captain.locator("#view .card").first).to_be_visible()
    both_widths(captain, "captain: checklist", found)
    observer = open_page(
        world.server.token(Role.OBSERVER, community=people.community.id, name="observer-a11y"), viewport=PHONE
    )
    expect(observer.get_by_test_id("needs")).to_be_visible()
    both_widths(observer, "observer: emergency", found)
