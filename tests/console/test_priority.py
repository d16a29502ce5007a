"""A need a priority rule raises shows the same priority, with the reported one beside it, on its need card and
on its unmet card (before, the need card showed the reported value and the unmet card the raised one)."""

from playwright.sync_api import expect

from tests.api.test_priority import PROFILE, RULES
from tests.console.conftest import OpenPage, World, need_card

# The API test's rules (elderly people living alone go up one level, among others). No one in the console's
# world has a generator, so a generator need stays unmet.
PROFILE_NAME = PROFILE


def test_a_raised_need_shows_one_priority_on_its_need_and_unmet_cards(
    world: World, open_page: OpenPage
) -> None:
    (world.server.data_dir / "profiles" / f"{PROFILE}.yaml").write_text(RULES, encoding="utf-8")
    c = world.community("prio")
    page = open_page(c.cadre.token)
    plain = c.need(capability="power.generator", location="g1_3", priority=4)
    raised = c.need(capability="power.generator", location="g3_3", priority=4, tags=["elderly_alone"])

    unmet = page.locator(f'[data-unmet="{raised["id"]}"]')
    expect(unmet).to_have_attribute("data-reason", "no_capability")
    for card in (need_card(page, raised["id"]), unmet):
        expect(card.locator(".prio")).to_have_text("5（上报 4）")
        expect(card.locator(".prio")).to_have_attribute("title", "生命安全 · elderly_alone_first")
        expect(card).to_have_class("card p5")
    # Raised to 5, it comes before the need reported earlier at the same 4.
    cards = page.locator('#app [data-testid="needs"] [data-need]')
    expect(cards).to_have_count(2)
    assert [cards.nth(i).get_attribute("data-need") for i in range(2)] == [raised["id"], plain["id"]]
    # Where no rule moved it, only the one number shows, on both cards.
    for card in (need_card(page, plain["id"]), page.locator(f'[data-unmet="{plain["id"]}"]')):
        expect(card.locator(".prio")).to_have_text("4")
