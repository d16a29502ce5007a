"""The live service: one coordinator per community, driven by commands and by the wall clock.

Every change goes through :meth:`Service.execute` (a person's command) or the timer loop (re-plans,
timeouts, escalations), one at a time under one lock: the coordinator decides, the store writes the events,
plan versions, channel messages and idempotency record in one transaction, and only then are the messages
published. If the write fails, the community's board is rebuilt from the log, so memory never runs ahead
of what was stored.
"""

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.auth import Principal
from api.channels import messages
from api.hub import Hub
from api.places import named
from api.pubsub import PubSub
from api.store import Logged, Message, Photo, Remembered, Store
from engine.coordinator import (
    Board,
    Command,
    Coordinator,
    CoordinatorSettings,
    RegisterCommunity,
    Rejected,
    Step,
)
from engine.coordinator.commands import RegisterStreet
from engine.coordinator.events import IncidentClosed
from engine.coordinator.refs import street_key
from engine.coordinator.street import Street
from engine.matching.document import Travel
from engine.travel import RoadGraph

log = logging.getLogger("pingzhan.service")

Clock = Callable[[], datetime]
Respond = Callable[[Board, list[Step]], tuple[int, Any]]
# A command, or how to make one from the board as it is under the lock: ids the server gives (the next need
# or incident number) are worked out there, so two requests at once can never be given the same one.
Order = Command | Callable[[Board], Command]
RespondMany = Callable[[list[Board], list[list[Step]]], tuple[int, Any]]


def wall_clock() -> datetime:
    return datetime.now(UTC)


class IdempotencyConflict(Exception):
    """The same Idempotency-Key was sent before with a different request."""


@dataclass(frozen=True)
class Idempotency:
    key: str
    request_hash: str

    @classmethod
    def of(cls, key: str, method: str, path: str, body: bytes) -> "Idempotency":
        digest = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
        return cls(key, digest)


class FileMaps:
    """Builds road graphs; an OpenStreetMap extract is read relative to the data folder."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def __call__(self, spec: Travel) -> RoadGraph:
        return spec.road_graph(self.osm_data(spec))

    def osm_data(self, spec: Travel) -> bytes | None:
        """The map's OpenStreetMap extract (its roads, and its names for api/places.py); None for other maps."""
        return None if spec.osm is None else (self.base / spec.osm.path).read_bytes()


class Service:
    def __init__(
        self,
        store: Store,
        pubsub: PubSub,
        maps: FileMaps,
        settings: CoordinatorSettings | None = None,
        clock: Clock = wall_clock,
        profile_dir: Path | None = None,
        retention: timedelta = timedelta(days=30),
    ) -> None:
        self.store = store
        # How long residents' phones and names are kept after their incident (api/store.py Store.purge).
        self.retention = retention
        # The operator's own profiles, found by name next to the shipped ones.
        self.profile_dir = profile_dir
        self.pubsub = pubsub
        self.maps = maps
        self.settings = settings or CoordinatorSettings()
        self.clock = clock
        self.hub = Hub()
        # By community id, and the street's own pool by its street key (engine/coordinator/refs.py).
        self.coordinators: dict[str, Coordinator] = {}
        # Each street plans its communities together (engine/coordinator/street.py).
        self.streets: dict[str, Street] = {}
        self.lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._seq: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # -- life cycle --------------------------------------------------------------------------------

    def load(self) -> None:
        """Rebuild every community from the event log (what a restart does)."""
        self.store.keep_ids()
        self.coordinators = {}
        self.streets = {}
        for key, events in self.store.events_by_community().items():
            self._join(key, Coordinator.replay(events, self.maps, self.settings))
        # A change in one community that the others' plans depended on may not have been planned before the
        # stop: each street that shares plans once.
        now = self.clock()
        for street in self.streets.values():
            street.touch(now)
        self._seq = self.store.last_seqs()

    async def start(self) -> None:
        await self.pubsub.connect()
        self.load()
        # What the log rebuilt lives as long as the process: keep it out of the collector's full passes, whose
        # pauses over every board showed in the re-plans' p99.
        gc.collect()
        gc.freeze()
        self._tasks = [
            asyncio.create_task(self._timers()),
            asyncio.create_task(self._fan_out()),
            asyncio.create_task(self._purge()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.pubsub.disconnect()

    # -- reading -----------------------------------------------------------------------------------

    def board(self, community: str) -> Board | None:
        coordinator = self.coordinators.get(community)
        return coordinator.board if coordinator is not None else None

    def boards(self) -> list[Board]:
        """Every community's board (the streets' own pools are not communities: see :meth:`street_board`)."""
        return [c.board for _, c in sorted(self.coordinators.items()) if not c.board.is_street]

    def street_board(self, street: str) -> Board | None:
        """The street's own board (its pool), once the street is registered."""
        return self.board(street_key(street))

    def street_boards(self, street: str) -> list[Board]:
        """The boards of the street's communities."""
        return [b for b in self.boards() if b.community is not None and b.community.street == street]

    def _join(self, key: str, coordinator: Coordinator) -> None:
        """Keep ``coordinator`` under ``key``, in its street (the board must be registered)."""
        board = coordinator.board
        assert board.community is not None
        self.coordinators[key] = coordinator
        street = self.streets.get(board.community.street)
        if street is None:
            street = self.streets[board.community.street] = Street(board.community.street, self.settings)
        street.add(key, coordinator)

    def seq(self, channel: str) -> int:
        return self._seq.get(channel, 0)

    # -- changing ----------------------------------------------------------------------------------

    async def execute(
        self,
        community: str,
        command: Order,
        principal: Principal,
        respond: Respond,
        idempotency: Idempotency | None = None,
        photos: tuple[Photo, ...] = (),
    ) -> tuple[int, Any]:
        """Apply a person's command; returns the HTTP status and body that ``respond`` makes of it."""
        return await self.execute_many(
            [(community, command)],
            principal,
            lambda boards, steps: respond(boards[0], steps[0]),
            idempotency,
            photos,
        )

    async def execute_many(
        self,
        commands: Sequence[tuple[str, Order]],
        principal: Principal,
        respond: RespondMany,
        idempotency: Idempotency | None = None,
        photos: tuple[Photo, ...] = (),
    ) -> tuple[int, Any]:
        """Apply commands to several communities (a street task for each), all of them or none: one
        refused, the ones already applied are rebuilt from the log and nothing is written."""
        async with self.lock:
            if idempotency is not None:
                earlier = self.store.remembered(str(principal.id), idempotency.key)
                if earlier is not None:
                    if earlier.request_hash != idempotency.request_hash:
                        raise IdempotencyConflict(idempotency.key)
                    return earlier.status, earlier.response
            now = self.clock()
            done: list[tuple[str, Coordinator, list[Step]]] = []
            new: set[str] = set()
            try:
                for community, order in commands:
                    coordinator = self.coordinators.get(community)
                    command = order(coordinator.board) if callable(order) and coordinator else order
                    assert not callable(command), "a command made from a board needs the community's board"
                    if coordinator is None:
                        assert isinstance(command, RegisterCommunity | RegisterStreet)
                        coordinator = Coordinator(self.maps, self.settings)
                        # In memory before it is applied, so that a failure below drops it again.
                        self.coordinators[community] = coordinator
                        new.add(community)
                    done.append((community, coordinator, []))
                    done[-1][2].extend(coordinator.handle(command, now, principal.subject))
                    if community in new:
                        self._join(community, coordinator)
                    self._street_of(coordinator).touch(now)
                status, body = respond([c.board for _, c, _ in done], [steps for _, _, steps in done])
            except Exception as exc:
                # Refused or failed part-way: memory must not run ahead of the log. A refusal applied nothing
                # to its own community; anything else may have applied some of its events.
                for i, (community, _, steps) in enumerate(done):
                    failed_here = i == len(done) - 1 and not isinstance(exc, Rejected)
                    if steps or community in new or failed_here:
                        self._rebuild(community)
                raise
            remembered = (
                Remembered(str(principal.id), idempotency.key, idempotency.request_hash, status, body)
                if idempotency is not None
                else None
            )
            await self._commit(done, remembered, now, photos)
        self._wake.set()
        return status, body

    async def apply(
        self,
        board: Board,
        command: Command,
        principal: Principal,
        idempotency: Idempotency | None,
        view: Callable[[Board], dict[str, Any]],
        photos: tuple[Photo, ...] = (),
    ) -> dict[str, Any]:
        """A route's command on a community it has looked up; the body is ``view`` of the board after it."""
        assert board.community is not None
        _, body = await self.execute(
            board.community.id, command, principal, lambda b, _: (200, view(b)), idempotency, photos
        )
        result: dict[str, Any] = body
        return result

    def _street_of(self, coordinator: Coordinator) -> Street:
        assert coordinator.board.community is not None
        return self.streets[coordinator.board.community.street]

    def _rebuild(self, community: str) -> None:
        events = self.store.events_of(community)
        old = self.coordinators.pop(community, None)
        if old is not None and old.board.community is not None and old.board.community.street in self.streets:
            self._street_of(old).remove(community)
        if events:
            self._join(community, Coordinator.replay(events, self.maps, self.settings))

    async def _commit(
        self,
        changes: list[tuple[str, Coordinator, list[Step]]],
        remembered: Remembered | None,
        now: datetime,
        photos: tuple[Photo, ...] = (),
    ) -> None:
        before = dict(self._seq)
        logged: list[Logged] = []
        outgoing: list[Message] = []
        for community, coordinator, steps in changes:
            board = coordinator.board
            for step in steps:
                event = step.event
                closed = (
                    board.incidents[-1] if isinstance(event, IncidentClosed) and board.incidents else None
                )
                incident = closed.id if closed else (board.incident.id if board.incident else None)
                exercise = closed.exercise if closed else board.exercise
                logged.append(Logged(community, event, incident, exercise))
                for channel, kind, data in messages(board, step):
                    named(board, data)
                    self._seq[channel] = self._seq.get(channel, 0) + 1
                    outgoing.append(Message(channel, self._seq[channel], kind, event.at, data))
        try:
            await asyncio.to_thread(self.store.write, logged, outgoing, remembered, now, photos)
        except Exception:
            communities = [community for community, _, _ in changes]
            log.exception("write failed; rebuilding %s from the log", ", ".join(communities))
            self._seq = before
            for community in communities:
                self._rebuild(community)
            raise
        for message in outgoing:
            # The text every websocket client gets as it is (api/hub.py): compact, as a send_json would be.
            await self.pubsub.publish(json.dumps(message.wire(), ensure_ascii=False, separators=(",", ":")))

    # -- background --------------------------------------------------------------------------------

    async def _timers(self) -> None:
        """Wake at the next deadline of any street (or when a command may have made a new one)."""
        while True:
            self._wake.clear()
            dues = [d for d in (s.due() for s in self.streets.values()) if d is not None]
            now = self.clock()
            if not dues:
                await self._wake.wait()
                continue
            wait = (min(dues) - now).total_seconds()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                continue
            for name, street in sorted(self.streets.items()):
                due = street.due()
                if due is not None and due <= now:
                    try:
                        await self._tick(street)
                    except Exception:
                        log.exception("tick failed for street %s", name)
                        await asyncio.sleep(1)

    async def _tick(self, street: Street) -> None:
        async with self.lock:
            now = self.clock()
            steps = street.expire(now)
            # The solve runs off the event loop; only reads of the boards happen meanwhile (commands wait).
            proposals = await asyncio.to_thread(street.proposals, now)
            for parts in (street.adopt(proposals, now), street.escalate(now)):
                for key, more in parts.items():
                    steps.setdefault(key, []).extend(more)
            changes = [(key, street.coordinators[key], s) for key, s in sorted(steps.items()) if s]
            if changes:
                await self._commit(changes, None, now)

    async def _purge(self) -> None:
        """Purge personal data past its time: at start, then a few times per retention period (at most
        hourly). The communities whose log changed are rebuilt, so memory forgets it too."""
        every = min(3600.0, max(1.0, self.retention.total_seconds() / 4))
        while True:
            try:
                async with self.lock:
                    changed = await asyncio.to_thread(self.store.purge, self.clock() - self.retention)
                    for community in sorted(changed):
                        self._rebuild(community)
                if changed:
                    log.info("purged residents' contacts past retention in %s", ", ".join(sorted(changed)))
            except Exception:
                log.exception("purging personal data failed; trying again later")
            await asyncio.sleep(every)

    async def _fan_out(self) -> None:
        async for raw in self.pubsub.listen():
            self.hub.deliver(raw)
