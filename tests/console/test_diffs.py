"""Live updates applied as diffs: through a sequence of writes, a cadre's page and an organisation's page that
only apply what the websocket brings end, after each write, in the state a page read anew shows, and make no
REST read for it."""

import difflib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page

from tests.api.server import wait_for
from tests.console.conftest import Community, OpenPage, World
from tests.console.test_governance_console import roster

# Time-dependent: worked out from the clock at each read.
NOT_COMPARED = {"waiting_s"}


def _state(page: Page) -> dict[str, Any]:
    """The page's state.data as JSON, less what the clock makes differ between two reads."""

    def clean(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items() if k not in NOT_COMPARED}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x

    return clean(json.loads(page.evaluate("() => JSON.stringify(window.pzState.data)")))  # type: ignore[no-any-return]


def _text(page: Page) -> str:
    """The page's text; the map's pins as a sorted list of their names, since a pin added live is drawn after
    the others (its place in the DOM, not on the map, differs from a page drawn anew)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
          const app = document.querySelector('#app').cloneNode(true);
          const pins = [...app.querySelectorAll('.leaflet-marker-icon')].map((el) => el.getAttribute('aria-label') || el.textContent).sort();
          app.querySelectorAll('.leaflet-container').forEach((el) => el.remove());
          document.body.appendChild(app);
          const text = app.innerText;
          app.remove();
          return text + '\\n' + pins.join('\\n');
        }"""
    )


def _lines(page: Page, reference: Page) -> list[str]:
    """The lines of text the live page and the page read anew do not share (- live, + read anew)."""
    live, fresh = _text(page).splitlines(), _text(reference).splitlines()
    return [line for line in difflib.unified_diff(live, fresh, lineterm="", n=0) if line[:1] in "+-"][2:]


def _quiet(c: Community) -> None:
    """Until the board stops moving (the re-plan after a write runs after a short debounce)."""
    last, still = None, 0
    while still < 2:
        now = (c.cadre.ok("GET", c.path)["plan_version"], c.cadre.ok("GET", f"{c.path}/assignments"))
        still = still + 1 if now == last else 0
        last = now
        time.sleep(0.15)


class Watched:
    """A page that only applies what comes live, the GETs it makes, and a page read anew to hold it against."""

    def __init__(self, open_page: OpenPage, token: str, tab: tuple[str, str] | None = None) -> None:
        """``tab``: the tab both pages show, and a part of state.data only that tab reads."""
        self.page = open_page(token)
        self.reference = open_page(token)
        self.tab = tab
        self.gets: list[str] = []
        self.page.on(
            "request",
            # The map reads its dispatches' routes along the roads (GET .../map/routes) once their set changes:
            # drawn geometry, not the page's state, which is what must come only as diffs.
            lambda r: (
                self.gets.append(r.url)
                if r.method == "GET"
                and "/api/v1/" in r.url
                and not r.url.split("?")[0].endswith("/map/routes")
                else None
            ),
        )
        _loaded(self.page)
        self._open_tab(self.page)
        self.page.wait_for_load_state("networkidle")
        self.gets.clear()

    def _open_tab(self, page: Page) -> None:
        if self.tab is not None:
            tab, part = self.tab
            page.get_by_test_id(f"tab-{tab}").click()
            wait_for(lambda part=part: page.evaluate(f"window.pzState.data.{part} !== undefined"), timeout=30)

    def matches_a_fresh_read(self, what: str, reads: tuple[str, ...] = ()) -> None:
        """``reads``: the paths the page may read for this write (the parts a message said to read again)."""
        # Read anew: no seq kept, so the page starts from a snapshot and reads everything over REST.
        self.reference.evaluate(
            "() => Object.keys(localStorage).filter((k) => k.startsWith('pz.seq.')).forEach((k) => localStorage.removeItem(k))"
        )
        self.reference.reload()
        _signed_in(self.reference)
        self._open_tab(self.reference)
        deadline = time.monotonic() + 10
        while True:
            fresh = _state(self.reference)
            mine = {k: v for k, v in _state(self.page).items() if k in fresh}
            if mine == fresh and _text(self.page) == _text(self.reference):
                break
            assert time.monotonic() < deadline, (what, _diff(mine, fresh), _lines(self.page, self.reference))
            time.sleep(0.1)
        assert all(url.split("?")[0].endswith(reads) for url in self.gets) if reads else not self.gets, (
            what,
            self.gets,
        )
        self.gets.clear()


def _signed_in(page: Page) -> None:
    """Read over REST once, and subscribed."""
    wait_for(
        lambda: page.evaluate("typeof window.pzLastSeq === 'number' && !!window.pzState.data.community"),
        timeout=30,
    )


def _loaded(page: Page) -> None:
    """Done with the reads the snapshot asked for too."""
    _signed_in(page)
    page.wait_for_load_state("networkidle")


def _diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def _stepper(communities: list[Community], pages: list[Watched]) -> Callable[..., Any]:
    """A write, then, once the communities are quiet, each page held against a page read anew; ``reads``: the
    paths a page may read for it."""

    def step(what: str, write: Callable[[], Any], reads: tuple[str, ...] = ()) -> Any:
        result = write()
        for c in communities:
            _quiet(c)
        for page in pages:
            page.matches_a_fresh_read(what, reads)
        return result

    return step


def test_pages_that_apply_live_diffs_end_as_a_page_read_anew_and_read_nothing(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("diffs")
    cadre = Watched(open_page, c.cadre.token)
    shop = Watched(open_page, c.shop.token)
    step = _stepper([c], [cadre, shop])

    water = step(
        "report",
        lambda: c.need(
            capability="supply.water", quantity=4, location="g1_2", priority=3, contact_phone="13800001111"
        ),
    )
    dispatch = c.proposal_for(water["id"])
    assert dispatch["organisation"] == "diffs-shop"
    step("confirm", lambda: c.cadre.ok("POST", f"{c.path}/assignments/{dispatch['id']}/confirm"))
    # Enterprises may not visit: unmet, with the rule to relax. A boat short of two: escalated.
    visit = c.need(capability="care.visit", quantity=1, location="g3_3", priority=5)
    boats = step("boats", lambda: c.need(capability="rescue.boat", quantity=2, location="g4_1", priority=4))
    c.cadre.ok("POST", f"{c.path}/needs/{boats['id']}/escalate")
    update = {"priority": 4, "note": "老人家"}
    step("escalate, update", lambda: c.cadre.ok("PATCH", f"{c.path}/needs/{water['id']}", update))
    for action in ("acknowledge", "en-route"):
        c.shop.ok("POST", f"{c.path}/assignments/{dispatch['id']}/{action}")
    step("on site", lambda: c.shop.ok("POST", f"{c.path}/assignments/{dispatch['id']}/on-site"))
    c.cadre.ok("POST", f"{c.path}/needs/{visit['id']}/cancel", {"reason": "已自行解决"})
    boat = {"id": "diffs-boat2", "organisation": "diffs-boats", "capability": "rescue.boat", "quantity": 1}
    unit = {**boat, "location": "g5_0", "name": "二号冲锋舟"}
    step("cancel, new unit", lambda: world.street.ok("POST", f"{c.path}/resources", unit))
    incident = f"{c.path}/incidents/{c.cadre.ok('GET', c.path)['incident']['id']}"
    c.cadre.ok("POST", f"{incident}/level", {"level": 3})
    step("level, done", lambda: c.shop.ok("POST", f"{c.path}/assignments/{dispatch['id']}/done"))
    step("close", lambda: c.cadre.ok("POST", f"{incident}/close"))
    # The need was served and is shown as such; the shop's card went with its dispatch.
    assert [n["status"] for n in _state(cadre.page)["needs"] if n["id"] == water["id"]] == ["served"]
    assert _state(shop.page)["jobs"][0]["dispatches"] == []
    # A change of tab is a first load of what it shows: read over REST, and counted.
    cadre.page.get_by_test_id("tab-tasks").click()
    wait_for(lambda: cadre.page.evaluate("window.pzState.data.tasks !== undefined"), timeout=30)
    assert any(url.endswith(f"{c.path}/tasks") for url in cadre.gets), cadre.gets


def test_help_asked_of_a_neighbour_and_its_unit_sent_reach_both_cadres_as_diffs(
    world: World, open_page: OpenPage
) -> None:
    asking = world.community("dask")
    helper = world.community("dhlp", incident=False)
    doctor = {"id": "dhlp-doctor", "organisation": "dhlp-vol", "capability": "medical.doctor", "quantity": 2}
    world.street.ok("POST", f"{helper.path}/resources", {**doctor, "location": "g4_4", "name": "社区医生"})
    pages = [Watched(open_page, asking.cadre.token), Watched(open_page, helper.cadre.token)]
    step = _stepper([asking, helper], pages)

    need = step(
        "report", lambda: asking.need(capability="medical.doctor", quantity=1, location="g1_1", priority=4)
    )
    step("escalate", lambda: asking.cadre.ok("POST", f"{asking.path}/needs/{need['id']}/escalate"))
    answer = {"answer": "asked", "community": helper.id, "note": "请派一位医生"}
    step("asked", lambda: world.street.ok("POST", f"{asking.path}/needs/{need['id']}/answer", answer))
    [request] = _state(pages[1].page)["requests"]
    assert (request["community"], request["need"]["id"], request["note"]) == (
        asking.id,
        need["id"],
        "请派一位医生",
    )
    offer = {"resource": "dhlp-doctor", "quantity": 1}
    step(
        "offer",
        lambda: helper.cadre.ok("POST", f"{helper.path}/requests/{asking.id}/{need['id']}/offer", offer),
    )
    # Asked no more; the doctor is busy on the helper's page and sent, by its owner, on the asking one.
    assert _state(pages[1].page)["requests"] == []
    units = {r["id"]: r["committed"] for r in _state(pages[1].page)["resources"]}
    assert units["dhlp-doctor"] == 1
    [sent] = [d for d in _state(pages[0].page)["dispatches"] if d["need"] == need["id"]]
    assert (sent["owner"], sent["resource_name"]) == (helper.id, "社区医生")


def test_tasks_apply_as_diffs_and_checks_are_read_again_where_a_message_says_so(
    world: World, open_page: OpenPage
) -> None:
    people = roster(world, world.community("dtask", incident=False))
    c = people.community
    head = Watched(open_page, people.head.token, ("tasks", "tasks"))
    grid = Watched(open_page, people.grid.token)
    step = _stepper([c], [head, grid])
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    task = {"title": "入户走访", "due_at": due, "points": 20, "evidence": ["text"], "communities": [c.id]}
    issued = step("issue", lambda: world.street.ok("POST", f"/streets/{world.street_id}/tasks", task))
    t = f"{c.path}/tasks/{issued['id']}"
    parts = [
        {"id": "p1", "title": "走访3栋", "assignee": "grid-zhao", "points": 15},
        {"id": "p2", "title": "走访5栋", "assignee": "head-wang", "points": 5},
    ]
    step("split", lambda: people.head.ok("PUT", f"{t}/parts", {"parts": parts}))
    assert [x["id"] for x in _state(grid.page)["mytasks"]] == [issued["id"]]
    step("submit", lambda: people.grid.ok("POST", f"{t}/parts/p1/submission", {"text": "已走访"}))
    # Checks name households, which no message of the community's channel may: their parts are read again.
    checks = (f"{c.path}/checks",)
    step(
        "incident",
        lambda: people.head.ok("POST", f"{c.path}/incidents", {"kind": "flood", "level": 2}),
        checks,
    )
    step("check", lambda: people.grid.ok("POST", f"{c.path}/checks/h1", {"result": "safe"}), checks)
    assert [x["result"] for x in _state(grid.page)["checks"]["checks"] if x["household"]["id"] == "h1"] == [
        "safe"
    ]
