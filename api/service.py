"""The live service: the partitions (streets) this worker holds, driven by commands and by the wall clock.

A partition is owned by one worker at a time (api/leases/): only the owner changes it. Every person's command
goes through :meth:`Service.execute` into its partition's queue; each round takes every command waiting, lets
the coordinators decide them one after another, and writes all their events, plan versions, channel messages
and idempotency records in one transaction (group commit), fenced by the lease; only then is each client
answered and are the messages published. If the write fails, the partition is rebuilt from the log, so memory
never runs ahead of what was stored. Timers (re-plans, timeouts, escalations) run per partition; a re-plan is
solved on a copy of the street outside the partition's lock, and adopted only if nothing changed meanwhile.

Partitions owned elsewhere are kept too, as copies brought up to date from the log: before a read uses one,
and every second in the background, so that taking one over costs only the events since. A command for one goes
to its owner (:class:`NotOwner`, forwarded by api/forward.py).
"""

import asyncio
import contextlib
import gc
import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api import channel
from api.auth import Principal
from api.channels import messages
from api.hub import Hub
from api.leases import RENEW_S, Leases, Owner, SoloLeases, StaleOwner
from api.notifiers.config import NONE, Notifiers
from api.notifiers.outbox import route
from api.notifiers.rules import Notice, notices
from api.notifiers.sending import Sending
from api.partition import Idempotency, Order, Partition, Pending, RespondMany
from api.places import named
from api.pubsub import PubSub
from api.store import Logged, Message, Photo, Remembered, Snapshot, Store, Tail
from engine.coordinator import Board, Coordinator, CoordinatorSettings, RegisterCommunity, Rejected, Step
from engine.coordinator import snapshot as snapshots
from engine.coordinator.commands import RegisterStreet
from engine.coordinator.events import IncidentClosed, PlanProposed
from engine.coordinator.refs import street_key
from engine.coordinator.street import Street
from engine.matching.document import Travel
from engine.model.ids import StreetId
from engine.travel import RoadGraph

log = logging.getLogger("pingzhan.service")

Clock = Callable[[], datetime]
Respond = Callable[[Board, list[Step]], tuple[int, Any]]
Changes = list[tuple[str, Coordinator, list[Step]]]

# A community's board is snapshotted once this many events were folded since its last snapshot: start and
# takeover then replay at most about this many of its events.
SNAPSHOT_EVERY = 1000
# A re-plan solved this many times on a copy while commands kept changing the board is solved under the lock.
SOLVE_TRIES = 3

__all__ = ["FileMaps", "Idempotency", "IdempotencyConflict", "NotOwner", "Order", "Service", "wall_clock"]


def wall_clock() -> datetime:
    return datetime.now(UTC)


class IdempotencyConflict(Exception):
    """The same Idempotency-Key was sent before with a different request."""


class NotOwner(Exception):
    """The command's partition is another worker's (``owner``; None while nobody holds it): the request goes
    there (api/forward.py), or the client tries again in a moment."""

    def __init__(self, partition: str, owner: Owner | None) -> None:
        super().__init__(f"partition {partition!r} is owned by {owner.worker if owner else 'nobody yet'}")
        self.partition = partition
        self.owner = owner


@dataclass
class _Applied:
    """A pending request's commands as the round applied them, before the round's write."""

    pending: Pending
    status: int
    body: Any
    logged: list[Logged] = field(default_factory=list)
    outgoing: list[Message] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


class _Touched(Exception):
    """A request failed after changing memory: the partition is rebuilt from its log."""


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
        leases: Leases | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
        notifiers: Notifiers = NONE,
    ) -> None:
        self.store = store
        # The operator's notifiers (api/notifiers/): what people without the console open are sent.
        self.notifiers = notifiers
        self.sending: Sending | None = None
        # How long residents' phones and names are kept after their incident (api/store.py Store.purge).
        self.retention = retention
        # The operator's own profiles, found by name next to the shipped ones.
        self.profile_dir = profile_dir
        self.pubsub = pubsub
        self.maps = maps
        self.settings = settings or CoordinatorSettings()
        self.clock = clock
        self.hub = Hub()
        self.leases: Leases = leases or SoloLeases(None)
        self.snapshot_every = snapshot_every
        # Where other workers forward this one's partitions' commands (set before start).
        self.url = ""
        self.partitions: dict[str, Partition] = {}
        # Every board's coordinator by its key (a community's id, or a street pool's street key), and its partition.
        self.coordinators: dict[str, Coordinator] = {}
        self._home: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Rounds and ticks running, kept so that they are not collected half-way.
        self._running: set[asyncio.Task[None]] = set()
        # Partitions this worker gave up lately (monotonic time), not taken back on demand at once.
        self._released: dict[str, float] = {}
        # Partitions made and replays of their logs into the boards, from the event loop or a read's thread:
        # one at a time.
        self._folding = threading.RLock()

    # -- life cycle --------------------------------------------------------------------------------

    def load(self) -> None:
        """Rebuild every partition from its snapshots and the log after them (what a start does)."""
        self.store.keep_ids()
        self.store.fill_partitions()
        self.partitions, self.coordinators, self._home = {}, {}, {}
        for pid in self.store.partitions():
            self._load(self._partition(pid))

    async def start(self) -> None:
        await self.pubsub.connect()
        await asyncio.to_thread(self.leases.join, self.url)
        await asyncio.to_thread(self.load)
        # What the log rebuilt lives as long as the process: keep it out of the collector's full passes, whose
        # pauses over every board showed in the re-plans' p99.
        gc.collect()
        gc.freeze()
        await self._claim_share()
        self._tasks = [
            asyncio.create_task(self._timers()),
            asyncio.create_task(self._fan_out()),
            asyncio.create_task(self._purge()),
            asyncio.create_task(self._keep_leases()),
            asyncio.create_task(self._renew_leases()),
        ]
        if self.notifiers.all:
            self.sending = Sending(
                self.store.engine,
                self.notifiers,
                self.clock,
                lambda: sorted(p.id for p in self.partitions.values() if p.owned),
                self._notifier_changed,
            )
            self._tasks.append(asyncio.create_task(self.sending.run()))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._running]:
            task.cancel()
        for task in [*self._tasks, *self._running]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.leases.leave)
        await self.pubsub.disconnect()

    # -- reading -----------------------------------------------------------------------------------

    def board(self, community: str) -> Board | None:
        coordinator = self._fresh(community)
        return coordinator.board if coordinator is not None else None

    def boards(self) -> list[Board]:
        """Every community's board (the streets' own pools are not communities: see :meth:`street_board`)."""
        self._catch_up_all()
        return [c.board for _, c in sorted(self.coordinators.items()) if not c.board.is_street]

    def street_board(self, street: str) -> Board | None:
        """The street's own board (its pool), once the street is registered."""
        return self.board(street_key(street))

    def street_boards(self, street: str) -> list[Board]:
        """The boards of the street's communities."""
        part = self.partitions.get(street)
        if part is None:
            self._discover()
            part = self.partitions.get(street)
        if part is None:
            return []
        if not part.owned:
            self._catch_up(part)
        return [c.board for _, c in sorted(part.street.coordinators.items()) if not c.board.is_street]

    def seq(self, channel: str) -> int:
        """The channel's last seq, as stored (whichever worker wrote it)."""
        return self.store.last_seq(channel)

    def _fresh(self, key: str) -> Coordinator | None:
        """The board's coordinator, brought up to date from the log first when another worker owns it."""
        pid = self._home.get(key)
        if pid is None:
            self._catch_up_all()
            pid = self._home.get(key)
            if pid is None:
                return None
        part = self.partitions[pid]
        if not part.owned:
            self._catch_up(part)
        return self.coordinators.get(key)

    # -- partitions --------------------------------------------------------------------------------

    def _partition(self, pid: str) -> Partition:
        with self._folding:
            part = self.partitions.get(pid)
            if part is None:
                part = self.partitions[pid] = Partition(pid, Street(StreetId(pid), self.settings))
            return part

    def _discover(self) -> None:
        """Partitions another worker started since: loaded from the log."""
        if isinstance(self.leases, SoloLeases):
            return
        with self._folding:
            for pid in self.store.partitions():
                if pid not in self.partitions:
                    self._load(self._partition(pid))

    def _load(self, part: Partition) -> None:
        """The partition's boards anew: each community from its latest snapshot (if it loads) and its events
        after it."""
        with self._folding:
            for key in part.street.coordinators:
                self.coordinators.pop(key, None)
                self._home.pop(key, None)
            part.street = Street(StreetId(part.id), self.settings)
            part.last_event, part.snapshotted = 0, {}
            since: dict[str, int] = {}
            for snap in self.store.snapshots(part.id):
                try:
                    coordinator = snapshots.loads(snap.data, self.maps, self.settings)
                except snapshots.SnapshotMismatch as exc:
                    log.warning("snapshot of %s not used (%s): replaying its log", snap.community, exc)
                    continue
                self._keep(part, snap.community, coordinator)
                since[snap.community] = snap.event
                part.snapshotted[snap.community] = coordinator.board.events
            # The tail holds every event not in a snapshot, in order, whatever community it is of.
            self._fold(part, self.store.tail(part.id, 0, since))
            part.last_event = max([part.last_event, *since.values()])

    def _catch_up_all(self) -> None:
        """Every partition another worker owns brought up to date, those it started since included."""
        self._discover()
        for part in list(self.partitions.values()):
            if not part.owned:
                self._catch_up(part)

    def _catch_up(self, part: Partition) -> None:
        """Fold what the owner wrote since this copy was last brought up to date."""
        tail = self.store.tail(part.id, part.last_event)
        with self._folding:
            self._fold(part, tail)

    def _fold(self, part: Partition, tail: list[Tail]) -> None:
        for item in tail:
            if item.id <= part.last_event:
                continue
            coordinator = self.coordinators.get(item.community)
            if coordinator is None:
                coordinator = Coordinator(self.maps, self.settings)
                self._keep(part, item.community, coordinator)
            coordinator.board.evolve(item.event)
            part.last_event = item.id

    def _keep(self, part: Partition, key: str, coordinator: Coordinator) -> None:
        self.coordinators[key] = coordinator
        self._home[key] = part.id
        part.street.add(key, coordinator)

    def _partition_of(self, commands: Sequence[tuple[str, Order]]) -> str:
        """The partition all the commands are for (a request never spans two streets)."""
        homes = set()
        for community, order in commands:
            home = self._home_of(community)
            if home is None:
                if isinstance(order, RegisterCommunity):
                    home = order.community.street
                elif isinstance(order, RegisterStreet):
                    home = order.street
                else:
                    raise Rejected("not_found", "community", f"no community {community!r}")
            homes.add(home)
        if len(homes) != 1:
            raise Rejected("invalid", "community", "one request may change one street's communities only")
        return homes.pop()

    def _home_of(self, community: str) -> str | None:
        home = self._home.get(community)
        if home is None:
            self._fresh(community)
            home = self._home.get(community)
        return home

    async def own(self, community: str) -> None:
        """Make sure this worker owns ``community``'s partition (taking it if nobody does), else raise
        :class:`NotOwner`: for work to be done once, by the owner, before its command (a resident's rate limit,
        counted where the appeal is written and not again where it is forwarded)."""
        home = self._home_of(community)
        if home is None:
            raise Rejected("not_found", "community", f"no community {community!r}")
        await self._owned(home)

    async def _owned(self, pid: str) -> Partition:
        """The partition, if this worker owns it or can take it now; else :class:`NotOwner`."""
        part = self._partition(pid)
        if part.owned:
            return part
        owner = await asyncio.to_thread(self.leases.owner, pid)
        if owner is None and not self._recently_released(pid):
            token = await asyncio.to_thread(self.leases.claim, pid)
            if token is not None:
                await self._take(part, token)
                return part
            owner = await asyncio.to_thread(self.leases.owner, pid)
        raise NotOwner(pid, owner)

    def _recently_released(self, pid: str) -> bool:
        released = self._released.get(pid)
        return released is not None and asyncio.get_running_loop().time() - released < 3 * RENEW_S

    async def _take(self, part: Partition, token: int) -> None:
        """Become the partition's owner: the lease is ours (every write of the last owner is committed, as the
        claim waited for its fence), so the log read now is all there is."""
        async with part.lock:
            await asyncio.to_thread(self._catch_up, part)
            part.token = token
            # What changed while another worker held it may not have been planned: the street plans once.
            part.street.touch(self.clock())
        log.info("took partition %s (token %d)", part.id, token)
        self._wake.set()

    def _lost(self, part: Partition) -> None:
        if part.token is None:
            return
        log.warning("lost partition %s: another worker holds it now", part.id)
        part.token = None
        for pending in part.queue:
            if not pending.done.done():
                pending.done.set_exception(NotOwner(part.id, None))
        part.queue = []

    async def _claim_share(self) -> None:
        """Take free partitions until this worker holds its share; give one back when it holds more."""
        held = [p for p in self.partitions.values() if p.owned]
        share = await asyncio.to_thread(self.leases.share, len(self.partitions))
        if len(held) < share:
            known = sorted(p for p, part in self.partitions.items() if not part.owned)
            for pid in await asyncio.to_thread(self.leases.free, known):
                if len(held) >= share:
                    break
                token = await asyncio.to_thread(self.leases.claim, pid)
                if token is not None:
                    part = self._partition(pid)
                    await self._take(part, token)
                    held.append(part)
        elif len(held) > share:
            await self._release(max(held, key=lambda p: p.id))

    async def _release(self, part: Partition) -> None:
        """Hand the partition over: after the round in flight, nothing more is taken for it here."""
        async with part.lock:
            token, part.token = part.token, None
            self._released[part.id] = asyncio.get_running_loop().time()
            for pending in part.queue:
                if not pending.done.done():
                    pending.done.set_exception(NotOwner(part.id, None))
            part.queue = []
        if token is not None:
            await asyncio.to_thread(self.leases.release, part.id, token)
            log.info("gave partition %s up to even the load", part.id)

    async def _renew_leases(self) -> None:
        """Renew this worker's leases every second and drop the ones lost, on a thread of its own: under a burst
        the shared thread pool queues every store call, and a renewal waiting behind them let the lease run out
        (benchmarks/residents.py, 500 appeals at once on PostgreSQL)."""
        loop = asyncio.get_running_loop()
        renewing = ThreadPoolExecutor(1, thread_name_prefix="leases")
        try:
            while True:
                await asyncio.sleep(RENEW_S)
                try:
                    held = {p.id: p.token for p in self.partitions.values() if p.token is not None}
                    kept = await loop.run_in_executor(renewing, self.leases.renew, held)
                    for pid in set(held) - kept:
                        self._lost(self.partitions[pid])
                except Exception:
                    log.exception("renewing leases failed; trying again")
        finally:
            # Stopping must not wait for a renewal stuck on an unreachable database.
            renewing.shutdown(wait=False, cancel_futures=True)

    async def _keep_leases(self) -> None:
        """Even the load; keep the other partitions' copies close to their logs, so that a takeover has little
        to catch up."""
        while True:
            await asyncio.sleep(RENEW_S)
            try:
                await asyncio.to_thread(self._discover)
                await self._claim_share()
                for part in list(self.partitions.values()):
                    if not part.owned:
                        await asyncio.to_thread(self._catch_up, part)
            except Exception:
                log.exception("keeping leases failed; trying again")

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
        """Apply commands to communities of one street (a street task for each), all of them or none, in the
        partition's next round; answered once they are durable."""
        if not commands:
            # Nothing to change (an import that changes nothing): nothing to write, nowhere to go.
            return respond([], [])
        part = await self._owned(self._partition_of(commands))
        done: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        part.queue.append(Pending(commands, principal, respond, idempotency, photos, done))
        if not part.draining:
            part.draining = True
            self._spawn(self._drain(part))
        return await done

    async def apply(
        self,
        board: Board,
        command: Order,
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

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _drain(self, part: Partition) -> None:
        """Rounds until the queue is empty: what arrives while one is written waits for the next."""
        try:
            while part.queue:
                async with part.lock:
                    batch, part.queue = part.queue, []
                    if not part.owned:
                        owner = await asyncio.to_thread(self.leases.owner, part.id)
                        for pending in batch:
                            if not pending.done.done():
                                pending.done.set_exception(NotOwner(part.id, owner))
                        continue
                    await self._round(part, batch)
        finally:
            part.draining = False

    async def _round(self, part: Partition, batch: list[Pending]) -> None:
        keys = [(p.principal.owner, p.idempotency.key) for p in batch if p.idempotency is not None]
        earlier = await asyncio.to_thread(self.store.remembered_many, keys) if keys else {}
        now = self.clock()
        applied: list[_Applied] = []
        later: list[Pending] = []
        seen: set[tuple[str, str]] = set()
        for i, pending in enumerate(batch):
            if pending.done.done():
                continue
            if pending.idempotency is not None:
                key = (pending.principal.owner, pending.idempotency.key)
                first = earlier.get(key)
                if first is not None:
                    if first.request_hash != pending.idempotency.request_hash:
                        pending.done.set_exception(IdempotencyConflict(pending.idempotency.key))
                    else:
                        pending.done.set_result((first.status, first.response))
                    continue
                if key in seen:
                    # The same key twice in one round: answered from the first's record, next round.
                    later.append(pending)
                    continue
                seen.add(key)
            try:
                applied.append(self._apply(part, pending, now))
            except _Touched as touched:
                # Memory may be ahead of the log: rebuild it; the requests applied before it go again.
                self._load(part)
                pending.done.set_exception(touched.__cause__ or touched)
                part.queue[:0] = [a.pending for a in applied] + later + batch[i + 1 :]
                return
            except Exception as exc:
                pending.done.set_exception(exc)
        part.queue[:0] = later
        if not applied:
            return
        remembered = [
            Remembered(
                a.pending.principal.owner,
                a.pending.idempotency.key,
                a.pending.idempotency.request_hash,
                a.status,
                a.body,
            )
            for a in applied
            if a.pending.idempotency is not None
        ]
        try:
            await self._write(
                part,
                [item for a in applied for item in a.logged],
                [m for a in applied for m in a.outgoing],
                remembered,
                now,
                tuple(photo for a in applied for photo in a.pending.photos),
                [n for a in applied for n in a.notices],
            )
        except Exception as exc:
            for a in applied:
                if not a.pending.done.done():
                    a.pending.done.set_exception(exc)
            return
        for a in applied:
            if not a.pending.done.done():
                a.pending.done.set_result((a.status, a.body))

    def _apply(self, part: Partition, pending: Pending, now: datetime) -> _Applied:
        """Decide one request's commands on the boards; raises what refused it (:class:`_Touched` when it
        had already changed memory)."""
        done: Changes = []
        new = False
        try:
            for community, order in pending.commands:
                coordinator = self.coordinators.get(community)
                command = order(coordinator.board) if callable(order) and coordinator else order
                assert not callable(command), "a command made from a board needs the community's board"
                if coordinator is None:
                    assert isinstance(command, RegisterCommunity | RegisterStreet)
                    coordinator = Coordinator(self.maps, self.settings)
                    # In memory before it is applied, so that a failure below drops it again.
                    self._keep(part, community, coordinator)
                    new = True
                done.append((community, coordinator, []))
                done[-1][2].extend(coordinator.handle(command, now, pending.principal.subject))
                part.street.touch(now)
            status, body = pending.respond([c.board for _, c, _ in done], [steps for _, _, steps in done])
        except Exception as exc:
            if new or any(steps for _, _, steps in done) or not isinstance(exc, Rejected):
                raise _Touched() from exc
            raise
        applied = _Applied(pending, status, body)
        applied.logged, applied.outgoing, applied.notices = self._record(done)
        return applied

    @staticmethod
    def _record(changes: Changes) -> tuple[list[Logged], list[Message], list[Notice]]:
        """The log rows, channel messages and notices (api/notifiers/rules.py) of applied steps, made from the
        boards as they are right after them (a later request of the round changes them again). Seqs are given
        by the write."""
        logged: list[Logged] = []
        outgoing: list[Message] = []
        told: list[Notice] = []
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
                for name, kind, data in messages(board, step):
                    named(board, data)
                    outgoing.append(Message(name, 0, kind, event.at, data))
                told += notices(board, step)
        return logged, outgoing, told

    async def _write(
        self,
        part: Partition,
        logged: list[Logged],
        outgoing: list[Message],
        remembered: list[Remembered],
        now: datetime,
        photos: tuple[Photo, ...] = (),
        told: Sequence[Notice] = (),
    ) -> None:
        """Write a round (or a tick) of the partition, fenced by its lease, with the outbox rows of its notices;
        then publish. On failure memory is rebuilt from the log."""
        if part.token is None:
            raise NotOwner(part.id, None)
        fence = self.leases.fence(part.id, part.token)
        outbox = route(self.notifiers, part.id, told, now) if told else []
        try:
            written = await asyncio.to_thread(
                self.store.write, part.id, logged, outgoing, remembered, now, photos, fence, outbox
            )
        except StaleOwner as exc:
            log.warning("%s", exc)
            self._lost(part)
            self._load(part)
            owner = await asyncio.to_thread(self.leases.owner, part.id)
            raise NotOwner(part.id, owner) from exc
        except Exception:
            log.exception("write failed; rebuilding partition %s from the log", part.id)
            self._load(part)
            raise
        part.last_event = max(part.last_event, written.last_event)
        if outbox and self.sending is not None:
            self.sending.wake.set()
        for message in written.messages:
            # The text every websocket client gets as it is (api/hub.py): compact, as a send_json would be.
            await self.pubsub.publish(json.dumps(message.wire(), ensure_ascii=False, separators=(",", ":")))
        self._wake.set()
        await self._snapshot(part, now)

    async def _snapshot(self, part: Partition, now: datetime) -> None:
        """Snapshot the boards that took many events since their last one (called under the partition's lock,
        right after a write: the boards are exactly the log up to ``part.last_event``)."""
        for key, coordinator in sorted(part.street.coordinators.items()):
            events = coordinator.board.events
            if events - part.snapshotted.get(key, 0) < self.snapshot_every:
                continue
            data = await asyncio.to_thread(snapshots.dumps, coordinator)
            part.snapshotted[key] = events
            self._spawn(
                asyncio.to_thread(self.store.save_snapshot, Snapshot(key, part.last_event, data), now)
            )

    async def _write_changes(self, part: Partition, changes: dict[str, list[Step]], now: datetime) -> None:
        logged, outgoing, told = self._record(
            [(key, part.street.coordinators[key], steps) for key, steps in sorted(changes.items()) if steps]
        )
        if logged:
            await self._write(part, logged, outgoing, [], now, told=told)

    async def _notifier_changed(self, street: str, notifier: str) -> None:
        """A notifier of the street failed, works again, or gave a message up: the street's console reads its
        notifiers again (GET /streets/{street}/notifiers)."""
        part = self.partitions.get(street)
        if part is None:
            return
        now = self.clock()
        data = {"exercise": False, "notifier": notifier, "reload": ["notifiers"]}
        async with part.lock:
            if part.owned:
                await self._write(
                    part, [], [Message(channel.street(street), 0, "notifier", now, data)], [], now
                )

    # -- background --------------------------------------------------------------------------------

    async def _timers(self) -> None:
        """Wake at the next deadline of any partition this worker owns (or when a change may have made one)."""
        while True:
            self._wake.clear()
            now = self.clock()
            later: list[datetime] = []
            for part in list(self.partitions.values()):
                if not part.owned or part.ticking:
                    continue
                due = part.street.due()
                if due is None:
                    continue
                if due <= now:
                    part.ticking = True
                    self._spawn(self._tick(part))
                else:
                    later.append(due)
            wait = (min(later) - now).total_seconds() if later else None
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that comes just after the wake was set,
            # and this loop went on for ever (stop() hung, its leases never left).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def _tick(self, part: Partition) -> None:
        """Time-outs, then the street's re-plan solved on a copy while commands go on, then escalations."""
        try:
            for attempt in range(SOLVE_TRIES):
                async with part.lock:
                    if not part.owned:
                        return
                    now = self.clock()
                    await self._write_changes(part, part.street.expire(now), now)
                    versions = part.versions()
                    if attempt == SOLVE_TRIES - 1:
                        # Commands kept changing the boards: this once they wait for the solve.
                        proposals = await asyncio.to_thread(part.street.proposals, now)
                        await self._adopt(part, proposals, now)
                        return
                    copy = part.street.fork()
                proposals = await asyncio.to_thread(copy.proposals, now)
                async with part.lock:
                    if part.owned and part.versions() == versions:
                        part.street.learn_from(copy)
                        await self._adopt(part, proposals, now)
                        return
        except NotOwner:
            return
        except Exception:
            log.exception("tick failed for partition %s", part.id)
            await asyncio.sleep(1)
        finally:
            part.ticking = False
            self._wake.set()

    async def _adopt(self, part: Partition, proposals: dict[str, PlanProposed], now: datetime) -> None:
        steps = part.street.adopt(proposals, now)
        for key, more in part.street.escalate(now).items():
            steps.setdefault(key, []).extend(more)
        await self._write_changes(part, steps, now)

    async def _purge(self) -> None:
        """Purge personal data past its time: at start, then a few times per retention period (at most
        hourly). The partitions whose log changed are rebuilt, so memory forgets it too."""
        every = min(3600.0, max(1.0, self.retention.total_seconds() / 4))
        while True:
            try:
                changed = await asyncio.to_thread(self.store.purge, self.clock() - self.retention)
                for pid in sorted({self._home[c] for c in changed if c in self._home}):
                    part = self.partitions[pid]
                    async with part.lock:
                        self._load(part)
                if changed:
                    log.info("purged residents' contacts past retention in %s", ", ".join(sorted(changed)))
            except Exception:
                log.exception("purging personal data failed; trying again later")
            await asyncio.sleep(every)

    async def _fan_out(self) -> None:
        """Every worker's messages to this worker's websockets. A lost subscription (Redis restarted) is made
        again: otherwise no live message would reach anyone here until the worker restarts."""
        while True:
            try:
                async for raw in self.pubsub.listen():
                    self.hub.deliver(raw)
            except Exception:
                log.exception("listening for live messages failed; subscribing again in 1 s")
            await asyncio.sleep(1)
