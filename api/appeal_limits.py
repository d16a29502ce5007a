"""How often residents may send appeals and look them up: moving windows per building link and per client
address (the ``limits`` library). With ``--pubsub redis://…`` the windows live in Redis and every worker
counts together; otherwise each process counts its own.

A rescue ("我需要救援") counts against its address only: a flooded building may have many real ones at once.
"""

import math
import time

from fastapi import HTTPException
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.appeal_windows import AppealRates

# How long a request's resends are known as one: longer than any window above.
ATTEMPT_S = 3600
TOO_MANY = "提交太频繁，请稍后再试；紧急情况请直接拨打 110、119、120 (too many requests; try again later)"


class AppealLimits:
    def __init__(self, rates: AppealRates, pubsub_url: str | None = None) -> None:
        storage: Storage = MemoryStorage()
        if pubsub_url and pubsub_url.startswith(("redis://", "rediss://")):
            shared = storage_from_string(pubsub_url)
            assert isinstance(shared, Storage)
            storage = shared
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._building = parse(rates.per_building)
        self._address = parse(rates.per_address)
        self._lookups = parse(rates.lookups_per_address)

    def submitted(self, code: str, address: str, *, rescue: bool, attempt: str | None = None) -> None:
        """Count one appeal; raise a 429 with ``Retry-After`` instead when a window is full. ``attempt`` names
        the request across resends (its owner and Idempotency-Key): counted once, so that a resend after an
        answer that wrote nothing (a 503 while the community changed hands) is not refused for the first try."""
        marker = f"appeal-attempt/{attempt}" if attempt is not None else None
        if marker is not None and self._storage.get(marker):
            return
        self._hit(self._address, "appeal-address", address)
        if not rescue:
            self._hit(self._building, "appeal-building", code)
        # Marked only once counted: a resend of a refused request is refused again, not let through.
        if marker is not None:
            self._storage.incr(marker, ATTEMPT_S)

    def looked_up(self, address: str) -> None:
        self._hit(self._lookups, "appeal-lookup", address)

    def _hit(self, item: RateLimitItem, *names: str) -> None:
        if self._limiter.hit(item, *names):
            return
        reset = self._limiter.get_window_stats(item, *names).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise HTTPException(429, TOO_MANY, headers={"Retry-After": str(wait)})
