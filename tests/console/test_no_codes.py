"""No raw id or code reaches a person: every role's every tab of the demo in a flood, and every CSV, scanned for
the demo's ids, capability codes and road node ids (tests/console/demo.py).

What is scanned is what a person meets: the page's text, and the names a screen reader says (aria-label, title,
alt, placeholder). The README's screenshots are scanned the same way as they are taken (docs/screenshots.py).
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.api.server import Api, Server
from tests.console.conftest import DESKTOP, sign_in
from tests.console.demo import DEMO, demo_codes, flood, raw_codes, seen_text, street_world


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str], str]]:
    data = Path(tmp_path_factory.mktemp("demo"))
    server = Server(data, extra=["--demo", str(DEMO)]).start()
    tokens: dict[str, str] = json.loads((data / "demo-tokens.json").read_text(encoding="utf-8"))
    c = flood(server, tokens)
    street_world(server, tokens, c)
    yield server, tokens, c
    server.stop()


def test_no_view_shows_a_code(demo: tuple[Server, dict[str, str], str], browser: Browser) -> None:
    server, tokens, _ = demo
    codes = demo_codes()
    found: dict[str, list[str]] = {}
    for role, token in sorted(tokens.items()):
        # A context of its own: each person signs in on their own phone.
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        try:
            page = context.new_page()
            page.goto(server.url + "/")
            sign_in(page, token)
            for tab in _tabs(page):
                page.get_by_test_id(f"tab-{tab}").click()
                expect(page.get_by_test_id(f"tab-{tab}")).to_have_attribute("aria-pressed", "true")
                _scan(page, f"{role}/{tab}", codes, found)
            if not _tabs(page):
                _scan(page, role, codes, found)
        finally:
            context.close()
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_no_csv_shows_a_code(demo: tuple[Server, dict[str, str], str]) -> None:
    server, tokens, c = demo
    street = Api(server, tokens["street"])
    s = "/streets/" + street.ok("GET", c)["street"]
    sheets = {
        f"{c}/pool.csv": tokens["head"],
        f"{c}/scores.csv": tokens["head"],
        f"{s}/pool.csv": tokens["street"],
        f"{s}/scores.csv": tokens["street"],
        f"{s}/contributions.csv": tokens["street"],
    }
    codes = demo_codes()
    found: dict[str, list[str]] = {}
    for path, token in sheets.items():
        answer = Api(server, token).get(path)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
        if hit := raw_codes(answer.text, codes):
            found[path] = hit
    assert not found, found


def _tabs(page: Page) -> list[str]:
    ids = page.locator("#tabs [data-testid^=tab-]").evaluate_all("els => els.map((e) => e.dataset.tab)")
    return [str(x) for x in ids]


def _scan(page: Page, where: str, codes: frozenset[str], found: dict[str, list[str]]) -> None:
    text = seen_text(page)
    if hit := raw_codes(text, codes):
        # Each code with the words around it, to find where it shows.
        found[where] = [f"{code}: …{_around(text, code)}…" for code in hit]


def _around(text: str, code: str) -> str:
    at = text.find(code)
    return text[max(0, at - 30) : at + len(code) + 30].replace("\n", " ")
