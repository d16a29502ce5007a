"""Failed authentication per client address: a sliding window of one minute, kept in memory by each process.

A failure is a request to an authenticated route (REST, or the websocket handshake) whose token is missing,
unknown or revoked; pages, docs and ``/healthz`` ask for no token and count nothing. Past the limit, such a
request is answered 429 with ``Retry-After`` (the seconds until the oldest failure in the window is a minute
old) instead of 401. A valid token is never held back, whatever else came from its address: the people of a
community office or a phone carrier's NAT share one address.
"""

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import HTTPException
from starlette.requests import HTTPConnection

WINDOW_S = 60.0
DEFAULT_PER_MINUTE = 20


def address_of(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client is not None else "unknown"


class AuthFailures:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError(f"auth failures per minute must be at least 1, got {per_minute}")
        self.per_minute = per_minute
        self._clock = clock
        # The times of each address's failures in the window, addresses in the order they last failed: the
        # stale ones are at the front, so forgetting them costs nothing when nobody is failing.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        # Sync routes authenticate on the thread pool, the websocket handshake on the event loop.
        self._lock = threading.Lock()

    def failed(self, address: str) -> None:
        """Count one failure from ``address``; raise a 429 instead when it already has its fill."""
        with self._lock:
            now = self._clock()
            self._forget(now - WINDOW_S)
            times = self._failures.pop(address, None) or deque(maxlen=self.per_minute)
            self._failures[address] = times
            while times and times[0] <= now - WINDOW_S:
                times.popleft()
            if len(times) < self.per_minute:
                times.append(now)
                return
            wait = max(1, math.ceil(times[0] + WINDOW_S - now))
        raise HTTPException(
            429,
            f"认证失败次数过多，请 {wait} 秒后再试 (too many failed authentications from {address}: "
            f"{self.per_minute} in the last minute; retry after {wait} s)",
            headers={"Retry-After": str(wait)},
        )

    def _forget(self, before: float) -> None:
        while self._failures:
            address, times = next(iter(self._failures.items()))
            if times and times[-1] > before:
                return
            del self._failures[address]
