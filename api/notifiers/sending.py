"""The sender loop: this worker sends the outbox rows of the partitions it owns (a row is its street's, and the
street is one partition), each notifier's rows one after another and the notifiers side by side. A row left
pending by a worker that stopped, crashed or lost its partition is found in the table by the next owner.

A notifier whose last try failed, or that works again, is heard of on its street's channel (``notifiers``, to
read again), so the street's console shows it at once."""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import Engine

from api.db.tables import OutboxRow
from api.notifiers.config import Notifiers
from api.notifiers.outbox import FAILED, Outcome, due, judged, next_due, record
from api.notifiers.send import Senders, SendFailed

log = logging.getLogger("pingzhan.notifiers")

# Looked at this often at least, for rows a takeover brought and for rows due.
IDLE_S = 2.0


class Sending:
    def __init__(
        self,
        engine: Engine,
        notifiers: Notifiers,
        clock: Callable[[], datetime],
        owned: Callable[[], list[str]],
        changed: Callable[[str, str], Awaitable[None]],
    ) -> None:
        self.engine = engine
        self.notifiers = notifiers
        self.clock = clock
        self.owned = owned
        # (street, notifier): tell the street's console that a notifier failed, or works again.
        self.changed = changed
        self.wake = asyncio.Event()
        # Whether each notifier's last try here failed (unknown until tried).
        self._failing: dict[str, bool] = {}

    async def run(self) -> None:
        senders = Senders(self.notifiers)
        try:
            while True:
                self.wake.clear()
                wait = IDLE_S
                try:
                    await self.round(senders)
                    soon = await asyncio.to_thread(next_due, self.engine, self.owned())
                    if soon is not None:
                        wait = min(IDLE_S, max(0.0, (soon - self.clock()).total_seconds()))
                except Exception:
                    log.exception("sending notifications failed; trying again")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self.wake.wait()
        finally:
            await senders.close()

    async def round(self, senders: Senders) -> None:
        rows = await asyncio.to_thread(due, self.engine, self.owned(), self.clock())
        by_notifier: dict[str, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            by_notifier[row.notifier].append(row)
        await asyncio.gather(*(self._send_all(senders, rs) for rs in by_notifier.values()))

    async def _send_all(self, senders: Senders, rows: list[OutboxRow]) -> None:
        """One notifier's due rows in order; after a failure the rest wait for their own retries."""
        for row in rows:
            error: str | None = None
            try:
                await senders.send(row)
            except SendFailed as exc:
                error = str(exc)
            outcome = judged(row, error, self.notifiers.retry, self.clock())
            await asyncio.to_thread(record, self.engine, [outcome])
            await self._told(row, outcome)
            if error is not None:
                log.warning(
                    "notifier %s: %s (delivery %s, try %d)", row.notifier, error, row.delivery, outcome.tries
                )
                # The receiver is failing: the next rows would most likely fail too; they keep their turn.
                return

    async def _told(self, row: OutboxRow, outcome: Outcome) -> None:
        failing = outcome.error is not None
        before = self._failing.get(row.notifier)
        self._failing[row.notifier] = failing
        # Told when it starts failing, works again, or gives a row up; a first success here is no news.
        if (before == failing or (before is None and not failing)) and outcome.state != FAILED:
            return
        try:
            await self.changed(row.partition, row.notifier)
        except Exception:
            log.exception("telling street %s of notifier %s failed", row.partition, row.notifier)
