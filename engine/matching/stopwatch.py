"""Timings for the plan's solver statistics, from a clock the caller gives (the engine never reads one)."""

from collections.abc import Callable


class Stopwatch:
    def __init__(self, clock: Callable[[], float] | None) -> None:
        self._clock = clock
        self._last = clock() if clock is not None else 0.0
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        if self._clock is None:
            return
        now = self._clock()
        self.laps[name] = round((now - self._last) * 1000, 3)
        self._last = now
