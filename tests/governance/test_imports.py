"""Every governance module can be the first engine module a program imports (no import cycle)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "engine.governance.commands",
    "engine.governance.scoring",
    "engine.governance.events",
    "engine.governance.ledger",
    "engine.governance.timers",
    "engine.governance.views",
    "engine.governance.scoreboard",
    "engine.governance.decide",
    "engine.governance.decide_appeals",
    "engine.governance.appeals",
    "engine.governance.appeal_rates",
    "engine.governance.duplicates",
]


@pytest.mark.parametrize("module", MODULES)
def test_governance_module_imports_on_its_own(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
