"""A one-line progress bar on stderr, drawn only when asked or when stderr is a terminal."""

import sys
import time
from typing import TextIO

PHASE_ZH = {
    "engine": "引擎 engine",
    "baseline": "基线 baseline",
    # A street is run again with each community alone.
    "engine_alone": "引擎·各社区单独 engine, alone",
    "baseline_alone": "基线·各社区单独 closest, alone",
    "hindsight": "事后最优 hindsight",
    "report": "报告 report",
}


class ProgressBar:
    def __init__(self, title: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.title = title
        self.width = width
        self._last = -1.0
        self._drawn_at = 0.0

    def __call__(self, phase: str, fraction: float) -> None:
        now = time.monotonic()
        # Redraw at most 20 times a second, and always at the end.
        if fraction < 1.0 and now - self._drawn_at < 0.05 and fraction - self._last < 0.05:
            return
        self._last, self._drawn_at = fraction, now
        filled = round(self.width * fraction)
        bar = "█" * filled + "·" * (self.width - filled)
        label = PHASE_ZH.get(phase, phase)
        self.stream.write(f"\r演练 {self.title} [{bar}] {fraction:4.0%} {label:<20}")
        if fraction >= 1.0:
            self.stream.write("\n")
        self.stream.flush()
