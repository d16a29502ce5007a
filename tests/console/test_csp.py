"""The console and the API docs in a real browser under the server's Content-Security-Policy: nothing they do is
refused (no inline script, style or handler in the console), and the docs pages load nothing from the
internet."""

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.api.server import Server, wait_for
from tests.console.conftest import PHONE, World, sign_in
from tests.console.test_governance_console import PNG, roster

# Every refusal the page meets, as the browser reports it to the page itself.
LISTEN = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__refused.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


class Pages:
    """Pages in fresh browser contexts that record CSP refusals and every request leaving the server."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []
        self.pages: list[Page] = []
        self.outside: list[str] = []
        self.policies: list[str] = []  # each page's, as served with it

    def open(self, path: str = "/", token: str | None = None) -> Page:
        context = self.browser.new_context(
            viewport=PHONE,  # type: ignore[arg-type]
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        self.contexts.append(context)
        context.add_init_script(LISTEN)
        context.route("**/*", self._only_this_server)
        page = context.new_page()
        response = page.goto(self.server.url + path)
        assert response is not None
        self.policies.append(response.headers.get("content-security-policy", ""))
        if token is not None:
            sign_in(page, token)
        self.pages.append(page)
        return page

    def _only_this_server(self, route: Route) -> None:
        url = route.request.url
        if url.startswith((self.server.url, "data:", "blob:")):
            route.continue_()
        else:
            # As on a machine with no internet.
            self.outside.append(url)
            route.abort()

    def refused(self) -> list[str]:
        return [r for page in self.pages for r in page.evaluate("window.__refused")]


@pytest.fixture
def pages(browser: Browser, server: Server) -> Iterator[Pages]:
    made = Pages(browser, server)
    yield made
    for context in made.contexts:
        context.close()


def test_the_console_runs_under_its_policy(world: World, pages: Pages) -> None:
    """A cadre in an incident (map, needs, dispatches), the street's task board with a photo shown from a blob:
    URL, and a grid worker's check list: every view drawn, nothing refused."""
    c = world.community("csp")
    people = roster(world, c)
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    task = world.street.ok(
        "POST",
        f"/streets/{world.street_id}/tasks",
        {"title": "拍照", "due_at": due, "points": 10, "evidence": ["photo"], "communities": [c.id]},
    )["id"]
    people.head.ok(
        "PUT",
        f"{c.path}/tasks/{task}/parts",
        {"parts": [{"title": "拍照", "assignee": "cadre-li", "points": 10}]},
    )
    photo = {"content_type": "image/png", "data": base64.b64encode(PNG).decode()}
    people.cadre.ok("POST", f"{c.path}/tasks/{task}/parts/p1/submission", {"photo": photo})
    need = c.cadre.ok(
        "POST",
        f"{c.path}/needs",
        {"capability": "rescue.boat", "quantity": 1, "location": "g1_1", "priority": 3},
    )

    cadre = pages.open(token=c.cadre.token)
    # The map (Leaflet, a classic script with its own styles) is one tap away on a phone.
    cadre.get_by_test_id("map-open").click()
    expect(cadre.locator(f'#map [data-pin="need:{need["id"]}"]')).to_be_visible()
    cadre.get_by_test_id("map-back").click()
    expect(cadre.locator(f'[data-need="{need["id"]}"]').first).to_be_visible()

    street = pages.open(token=world.street.token)
    street.get_by_test_id("tab-tasks").click()
    thumb = street.get_by_test_id(f"photo-{c.id}-{task}-p1")
    handle = thumb.element_handle()
    wait_for(lambda: handle.evaluate("el => el.complete && el.naturalWidth > 0"), timeout=30)
    assert (thumb.get_attribute("src") or "").startswith("blob:")

    grid = pages.open(token=people.grid.token)
    grid.get_by_test_id("tab-checklist").click()
    expect(grid.locator("#view .card").first).to_be_visible()

    assert pages.refused() == [] and pages.outside == []
    assert all("script-src 'self';" in policy for policy in pages.policies), pages.policies


@pytest.mark.parametrize(
    ("path", "drawn"), [("/docs", ".swagger-ui .opblock"), ("/redoc", "[data-section-id]")]
)
def test_the_api_docs_render_with_no_internet_under_their_policy(pages: Pages, path: str, drawn: str) -> None:
    page = pages.open(path)
    expect(page.locator(drawn).first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/api/v1/communities/{community}/needs").first).to_be_attached()
    # ReDoc shows its maker's logo from their CDN: the policy keeps it out, as it should; nothing else is refused.
    assert [r for r in pages.refused() if not r.startswith("img-src https://cdn.redoc.ly/")] == []
    assert pages.outside == [] and "frame-ancestors 'none'" in pages.policies[0]
