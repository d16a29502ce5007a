"""The console's files as served: every module the entry imports is preloaded, so a phone fetches them all in
one round instead of one round per level of imports."""

import re
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "console"


def test_every_module_is_preloaded_and_every_preload_exists() -> None:
    html = (CONSOLE / "index.html").read_text(encoding="utf-8")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
    # sw.js is the service worker, which the page registers and never imports; resident.js is the residents'
    # page's own (resident.html), no part of the console.
    modules = {p.name for p in CONSOLE.glob("*.js")} - {"app.js", "sw.js", "resident.js"}
    assert preloaded == modules


def test_every_import_names_a_module_that_exists() -> None:
    for module in CONSOLE.glob("*.js"):
        for target in re.findall(r'from "\./([^"]+)"', module.read_text(encoding="utf-8")):
            assert (CONSOLE / target).is_file(), f"{module.name} imports {target}"
