"""axe-core on the page as it is drawn now: the critical and serious findings, each with its rule and element.

axe-core comes bundled in the ``axe-playwright-python`` package (its axe.min.js, with axe-core's licence in the
package): nothing is fetched while the tests run. It is put into the page once and run through Playwright's
evaluate, which the console's Content-Security-Policy does not refuse (no script element, no eval in the page).
"""

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

# What a finding must be to fail a test: axe's two highest impacts.
FAILING = ("critical", "serious")

RUN = """async (failing) => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => failing.includes(v.impact)).flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} ${n.html.slice(0, 160)}`));
}"""


def findings(page: Page) -> list[str]:
    """Every critical or serious finding on the page, as "rule (impact): selector <element>"."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    return list(page.evaluate(RUN, list(FAILING)))


def check(page: Page, where: str, found: dict[str, list[str]]) -> None:
    """Run axe now and keep what it finds under ``where`` (a view or dialog and the width), to fail at the end
    with everything at once rather than at the first view."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    problems = findings(page)
    if problems:
        found[f"{where} @ {width}px"] = problems
