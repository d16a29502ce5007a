"""A warning's proposal in a real browser: the cadre sees "暴雨红色预警覆盖本社区 — 启动应急模式？" at the top of
the page, accepts it at the suggested kind and level, and the community is in incident mode with the warning
named; the street's staff see their communities' proposals in the inbox and may set one aside."""

import httpx
from playwright.sync_api import expect

from tests.api.server import Api, wait_for
from tests.cap_samples import MEDIA, alert, geocode
from tests.console.conftest import PHONE, OpenPage, World


def send(street: Api, identifier: str, severity: str = "Extreme") -> str:
    body = alert(identifier, geocode("9001"), severity=severity, area_desc="测试街道")
    answer: httpx.Response = street.post("/warnings", content=body, headers=MEDIA)
    assert answer.status_code == 200 and answer.json()["communities"], answer.text
    return str(answer.json()["id"])


def test_a_cadre_sees_the_proposal_and_accepting_starts_incident_mode(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("wn1", incident=False)
    page = open_page(c.cadre.token, viewport=PHONE)
    expect(page.locator("#where")).to_contain_text("常态")
    # Sent while the page is open: it comes live (the page reads proposals on its own once a minute only).
    warning = send(world.street, "console-1")
    card = page.get_by_test_id(f"warning-{warning}")
    expect(card).to_contain_text("暴雨红色预警覆盖本社区 — 启动应急模式？", timeout=5_000)
    expect(card).to_contain_text("天河区气象台发布暴雨红色预警信号")
    expect(card).to_contain_text("洪涝 Ⅰ级")
    card.get_by_test_id("warning-accept").click()
    # One question: the kind and level, as suggested, may be changed; the answer starts incident mode.
    expect(page.locator("#warning-kind")).to_have_value("flood")
    expect(page.locator("#warning-level")).to_have_value("1")
    page.get_by_test_id("warning-accept-ok").click()
    expect(card).to_be_hidden(timeout=10_000)
    incident = wait_for(lambda: c.cadre.ok("GET", c.path)["incident"])
    assert (incident["kind"], incident["level"], incident["warning"]) == ("flood", 1, warning)
    expect(page.locator("#where")).to_contain_text("应急中", timeout=10_000)


def test_the_street_sees_its_communities_proposals_and_may_set_one_aside(
    world: World, open_page: OpenPage
) -> None:
    c = world.community("wn2", incident=False)
    neighbour = world.community("wn3", incident=False)
    warning = send(world.street, "console-2", severity="Severe")
    page = open_page(world.street.token)
    card = page.locator(f'[data-testid="warning-{warning}"]:has-text("wn2社区")')
    expect(card).to_contain_text("暴雨橙色预警覆盖该社区 — 启动应急模式？", timeout=10_000)
    card.get_by_test_id("warning-dismiss").click()
    expect(card).to_be_hidden(timeout=10_000)
    listed = c.cadre.ok("GET", f"{c.path}/warnings")
    assert {w["id"]: w["status"] for w in listed}[warning] == "dismissed"
    # Still open in the street's other communities, for their cadres to decide.
    assert [w["id"] for w in neighbour.cadre.ok("GET", f"{neighbour.path}/warnings?pending=true")] == [
        warning
    ]
