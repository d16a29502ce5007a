"""The console in a real browser: headless Chromium driving the page a real ``pingzhan serve`` serves.

The package shares one server process (temporary data folder, the profiles below) and one browser: a server
start costs seconds. Each module's communities are a street of their own on it, and each test makes its own
community through the REST API (ids unique in the package), so tests do not lean on each other. A module that
restarts its server, or names street s1, sets ``OWN_SERVER = True`` and gets a server of its own. Pages run with
no service worker (its install reads the whole shell again, and its first control reads every view's data
again) unless their module is about the installed app or working offline and sets ``SERVICE_WORKERS = "allow"``.
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from api.auth import Role
from tests.api.server import ROOT, UNTHROTTLED, Api, Server, wait_for

# Debian's Chromium (never `playwright install`); another build may be named in PINGZHAN_CHROMIUM.
CHROMIUM = os.environ.get("PINGZHAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
FIGURES = ROOT / "docs" / "console-figures.json"

# Only life-safety (priority 5) is confirmed by the profile, so a cadre confirms everything else by hand;
# acknowledgement and escalation deadlines are an hour away, so no test races them. Enterprises may serve
# only supply needs: the rule a cadre can relax from the page.
PROFILE = """
name: console_test
title_zh: 控制台测试规则
title_en: Console test profile
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 3600
rules:
  - name: enterprises_supply_only
    kind: eligibility
    description: 企业只承担物资类需求。Enterprises serve only supply needs.
    effect: deny
    need:
      capability: {not_prefix: supply.}
    resource:
      organisation_kind: enterprise
"""
# The same deadlines without the eligibility rule, for the module that restarts its server: a community whose
# profile has a condition cannot be replayed yet (its event is stored with field names, not aliases: "in_").
PLAIN_PROFILE = """
name: console_plain
title_zh: 控制台测试规则（无资格规则）
title_en: Console test profile without eligibility rules
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 3600
rules: []
"""
# A neighbour that lends its units to a community in an incident once its own needs are met, each loan approved
# by the street (the street console's approval flow).
LEND_PROFILE = """
name: console_lend
title_zh: 控制台测试规则（借出须街道批准）
title_en: Console test profile, lending with the street's approval
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 3600
  escalate_after_s: 3600
  normal_match_every_s: 3600
sharing:
  lend: incident
  own_first: true
  street_approval: true
rules: []
"""
MAP = {"grid": {"rows": 6, "cols": 6, "edge_s": 60}}
ORGANISATIONS = (
    ("shop", "enterprise", "惠民超市"),
    ("vol", "volunteer_team", "志愿者服务队"),
    ("boats", "social_organisation", "蓝天救援队"),
)
RESOURCES = (
    # (suffix, organisation, capability, quantity, place, name)
    ("water1", "shop", "supply.water", 20, "g0_0", "超市水站"),
    ("water2", "vol", "supply.water", 20, "g5_5", "志愿者水站"),
    ("visit", "shop", "care.visit", 2, "g2_2", "超市送货员"),
    ("boat", "boats", "rescue.boat", 1, "g0_5", "冲锋舟"),
)


@dataclass
class Community:
    """One community of the test world, with an API client per role."""

    id: str
    cadre: Api
    grid: Api
    shop: Api  # the coordinator of the enterprise {id}-shop
    volunteers: Api  # the coordinator of the volunteer team {id}-vol

    @property
    def path(self) -> str:
        return f"/communities/{self.id}"

    def need(self, **fields: Any) -> dict[str, Any]:
        body = {"quantity": 1, "priority": 3, **fields}
        return self.grid.ok("POST", f"{self.path}/needs", body)  # type: ignore[no-any-return]

    def dispatch_for(self, need: str) -> dict[str, Any] | None:
        found = [d for d in self.cadre.ok("GET", f"{self.path}/assignments") if d["need"] == need]
        return found[0] if found else None

    def proposal_for(self, need: str) -> dict[str, Any]:
        """The dispatch the re-plan after a report makes (it runs a debounce after the report)."""
        return wait_for(lambda: self.dispatch_for(need), timeout=5)  # type: ignore[no-any-return]


class World:
    """Communities of one street, made on demand: each test makes its own."""

    def __init__(self, server: Server, profile: str = "console_test", street: str = "s1") -> None:
        self.server = server
        self.profile = profile
        self.street_id = street
        self.street = Api(server, server.token(Role.STREET, street=street))

    def community(self, cid: str, *, incident: bool = True, exercise: bool = False) -> Community:
        s = self.street
        body = {
            "id": cid,
            "street": self.street_id,
            "name": f"{cid}社区",
            "profile": self.profile,
            "map": MAP,
        }
        s.ok("POST", "/communities", body)
        for suffix, kind, name in ORGANISATIONS:
            s.ok(
                "POST",
                f"/communities/{cid}/organisations",
                {"id": f"{cid}-{suffix}", "kind": kind, "name": name},
            )
        for suffix, org, capability, quantity, place, name in RESOURCES:
            s.ok(
                "POST",
                f"/communities/{cid}/resources",
                {
                    "id": f"{cid}-{suffix}",
                    "organisation": f"{cid}-{org}",
                    "capability": capability,
                    "quantity": quantity,
                    "location": place,
                    "name": name,
                },
            )
        token = self.server.token
        c = Community(
            cid,
            cadre=Api(self.server, token(Role.CADRE, community=cid)),
            grid=Api(self.server, token(Role.GRID_WORKER, community=cid)),
            shop=Api(self.server, token(Role.ORGANISATION, community=cid, organisation=f"{cid}-shop")),
            volunteers=Api(self.server, token(Role.ORGANISATION, community=cid, organisation=f"{cid}-vol")),
        )
        if incident:
            c.cadre.ok("POST", f"{c.path}/incidents", {"kind": "flood", "level": 2, "exercise": exercise})
        return c


class OpenPage(Protocol):
    def __call__(self, token: str | None = None, *, viewport: dict[str, int] = ...) -> Page: ...


def console_server(data: Path) -> Server:
    """A started server whose profile folder holds the console's profiles."""
    profiles = data / "profiles"
    profiles.mkdir()
    (profiles / "console_test.yaml").write_text(PROFILE, encoding="utf-8")
    (profiles / "console_plain.yaml").write_text(PLAIN_PROFILE, encoding="utf-8")
    (profiles / "console_lend.yaml").write_text(LEND_PROFILE, encoding="utf-8")
    # The warnings' module (test_warnings_console.py) has its street by an administrative code.
    (data / "codes.csv").write_text("code,street,community,name\n9001,warnings_console,,\n", encoding="utf-8")
    # Every browser in the package is 127.0.0.1: residents' appeals sent from pages would soon meet the limit on
    # one address (tests/api/test_appeals.py checks the limits).
    return Server(data, extra=[*UNTHROTTLED, "--area-codes", str(data / "codes.csv")]).start()


@pytest.fixture(scope="package")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = console_server(Path(tmp_path_factory.mktemp("console")))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The package's shared server, or the module's own when it sets ``OWN_SERVER``."""
    if not getattr(request.module, "OWN_SERVER", False):
        yield request.getfixturevalue("shared_server")
        return
    s = console_server(Path(tmp_path_factory.mktemp("console-own")))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world(server: Server, request: pytest.FixtureRequest) -> World:
    """A module may set PROFILE_NAME to give its communities another profile. On the shared server each module's
    communities are a street of their own (named for the module): a street's communities see each other's units
    (an unmet need's reason names them), its inbox and task board list them all."""
    profile = getattr(request.module, "PROFILE_NAME", "console_test")
    if getattr(request.module, "OWN_SERVER", False):
        return World(server, profile)
    return World(server, profile, street=request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[OpenPage]:
    """A fresh browser profile (its own storage) on the console, signed in with ``token`` if one is given.

    Every page must run without a script error: they are collected and checked when the test ends."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []
    service_workers = getattr(request.module, "SERVICE_WORKERS", "block")

    def open_(token: str | None = None, *, viewport: dict[str, int] = DESKTOP) -> Page:
        # China time, as the users' phones: dates picked on the page are the days the server counts in.
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
            service_workers=service_workers,
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        if token is not None:
            sign_in(page, token)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors


def sign_in(page: Page, token: str) -> None:
    page.get_by_test_id("token").fill(token)
    page.get_by_test_id("signin").click()
    expect(page.get_by_test_id("signout")).to_be_visible()
    # The view is drawn once the sign-in form has gone and the header names where this person works.
    expect(page.locator("#signin-form")).to_have_count(0)
    expect(page.locator("#where")).not_to_be_empty()


def tap_node(page: Page, node: str, svg: str = "#map") -> None:
    """Tap the map (``svg``, a selector) where a grid node (g{row}_{col}) is drawn, as a finger would: Leaflet
    (on the map's element as ``leaflet``) says where that point is on the screen."""
    row, col = (int(x) for x in node[1:].split("_"))
    page.locator(svg).scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([sel, x, y]) => {
          const el = document.querySelector(sel);
          const map = el.leaflet;
          map.setView([-y, x], map.getZoom(), { animate: false });
          const p = map.latLngToContainerPoint([-y, x]);
          const box = el.getBoundingClientRect();
          return [box.left + p.x, box.top + p.y];
        }""",
        [svg, col, row],
    )
    page.mouse.click(x, y)


def dispatch_card(page: Page, dispatch: str) -> Any:
    return page.locator(f'[data-dispatch="{dispatch}"]')


def need_card(page: Page, need: str) -> Any:
    return page.locator(f'#app [data-testid="needs"] [data-need="{need}"]')


def record(key: str, value: Any) -> None:
    """Keep a figure for the README and the issue's note (merged into docs/console-figures.json) when
    PINGZHAN_RECORD_FIGURES is set, so an ordinary test run leaves the tree as it found it."""
    if not os.environ.get("PINGZHAN_RECORD_FIGURES"):
        return
    figures = json.loads(FIGURES.read_text(encoding="utf-8")) if FIGURES.exists() else {}
    figures[key] = value
    FIGURES.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def layout_problems(page: Page, width: int) -> list[str]:
    """Sideways scrolling, anything drawn past the right edge, and buttons shorter than 44 px."""
    return list(
        page.evaluate(
            """(width) => {
              const problems = [];
              const scroll = document.documentElement.scrollWidth;
              if (scroll > width) problems.push(`scrollWidth ${scroll}`);
              for (const el of document.querySelectorAll("body *")) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > width + 0.5) problems.push(`${el.tagName}.${el.className} right ${r.right}`);
              }
              for (const el of document.querySelectorAll("button, a.button, .pick, label.check")) {
                const r = el.getBoundingClientRect();
                if (r.width && r.height < 44) problems.push(`"${el.textContent.trim()}" ${r.height}px tall`);
              }
              return problems;
            }""",
            width,
        )
    )
