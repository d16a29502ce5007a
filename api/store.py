"""Reading and writing the database. A command's events, plan versions, channel messages and idempotency
record are written in one transaction: all of them or none, and only by the partition's owner (its fence)."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine, and_, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.db.database import reading
from api.db.tables import (
    ChannelMessageRow,
    EventRow,
    IdempotencyRow,
    IdRow,
    OutboxRow,
    PhotoRow,
    PlanVersionRow,
    SnapshotRow,
)
from api.leases import Fence
from api.notifiers.outbox import PENDING
from api.pii import FIELDS, PREFIX, Vault
from engine.coordinator import Event, Rejected
from engine.coordinator.events import (
    CommunityRegistered,
    IncidentTriggered,
    NeedReported,
    OrganisationRegistered,
    PlanProposed,
)
from engine.governance.events import TaskIssued

EVENTS: TypeAdapter[Event] = TypeAdapter(Event)


@dataclass(frozen=True)
class Message:
    channel: str
    seq: int
    type: str
    at: datetime
    data: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        """The shape every client receives: ``{channel, seq, type, data, at}``."""
        return {
            "channel": self.channel,
            "seq": self.seq,
            "type": self.type,
            "data": self.data,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class Logged:
    community: str
    event: Event
    incident: str | None
    exercise: bool


@dataclass(frozen=True)
class Photo:
    community: str
    sha256: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Written:
    """What a write made: its messages with the seqs the transaction gave them, and its last event's row id."""

    messages: list[Message]
    last_event: int


@dataclass(frozen=True)
class Tail:
    """An event of a partition's log after some point, with its row id and community."""

    id: int
    community: str
    event: Event


@dataclass(frozen=True)
class Snapshot:
    community: str
    event: int
    data: bytes


@dataclass(frozen=True)
class Remembered:
    """An idempotent request's first response, kept to answer its retries."""

    principal: str
    key: str
    request_hash: str
    status: int
    response: Any


def introduced(community: str, event: Event) -> tuple[str, str] | None:
    """(kind, id) of the id ``event`` brings into ``community``, if it brings one."""
    match event:
        case CommunityRegistered():
            return "community", event.community.id
        case NeedReported():
            return "need", event.need.id
        case IncidentTriggered():
            return "incident", event.incident
        case OrganisationRegistered():
            return "organisation", event.organisation.id
        case TaskIssued():
            return "task", event.task.id
    return None


class Store:
    def __init__(self, engine: Engine, vault: Vault) -> None:
        self.engine = engine
        # Reads of one statement need no transaction: on PostgreSQL each would cost a BEGIN and a ROLLBACK
        # round trip beside its SELECT (a third of a command's database time, measured under load).
        self.reads = reading(engine)
        # Residents' phones and names are sealed on the way in and opened on the way out (api/pii.py).
        self.vault = vault

    def _event_data(self, event: Event) -> str:
        if event.type not in FIELDS:
            return event.model_dump_json(by_alias=True)
        data = self.vault.seal_event(event.type, event.model_dump(mode="json", by_alias=True))
        return json.dumps(data, ensure_ascii=False)

    def _opened(self, row: EventRow) -> str:
        """The row's event JSON with its personal fields opened."""
        if row.type not in FIELDS:
            return row.data
        return json.dumps(self.vault.open_event(row.type, json.loads(row.data)), ensure_ascii=False)

    def _event(self, row: EventRow) -> Event:
        return EVENTS.validate_json(self._opened(row))

    def check_key(self) -> None:
        """Open one stored personal field, so a wrong key stops the start instead of the first read.
        Raises :class:`api.pii.KeyProblem`."""
        with Session(self.engine) as session:
            row = session.exec(
                select(EventRow)
                .where(col(EventRow.type).in_(list(FIELDS)), col(EventRow.data).contains(PREFIX))
                .order_by(col(EventRow.id).desc())
            ).first()
        if row is not None:
            self._opened(row)

    def keep_ids(self) -> None:
        """Fill the id table from the log, for a database written before it existed."""
        with Session(self.engine) as session:
            if session.exec(select(IdRow.id).limit(1)).first() is not None:
                return
            for row in session.exec(select(EventRow).order_by(col(EventRow.id))):
                new = introduced(row.community, self._event(row))
                if new is not None:
                    session.add(IdRow(community=row.community, kind=new[0], entity=new[1]))
            session.commit()

    def write(
        self,
        partition: str,
        logged: list[Logged],
        messages: list[Message],
        remembered: Sequence[Remembered],
        at: datetime,
        photos: Sequence[Photo] = (),
        fence: Fence | None = None,
        outbox: Sequence[OutboxRow] = (),
    ) -> Written:
        """Write it all in one transaction, with the outbox rows of what it caused (api/notifiers/). ``fence``
        runs first, inside it (api/leases/): a writer that lost the partition writes nothing. Each message's seq is given here, one after its channel's last stored one:
        unique and gap-free whichever worker writes (``messages``' own seqs are ignored)."""
        with Session(self.engine) as session:
            if fence is not None:
                fence(session)
            added: list[EventRow] = []
            for photo in photos:
                # Content-addressed: the same photo sent twice is stored once.
                if self._photo_row(session, photo.community, photo.sha256) is None:
                    session.add(
                        PhotoRow(
                            community=photo.community,
                            sha256=photo.sha256,
                            content_type=photo.content_type,
                            data=photo.data,
                            at=at,
                        )
                    )
            for item in logged:
                event = item.event
                new = introduced(item.community, event)
                if new is not None:
                    session.add(IdRow(community=item.community, kind=new[0], entity=new[1]))
                row = EventRow(
                    community=item.community,
                    partition=partition,
                    type=event.type,
                    at=event.at,
                    actor=event.actor,
                    incident=item.incident,
                    exercise=item.exercise,
                    data=self._event_data(event),
                )
                added.append(row)
                session.add(row)
                if isinstance(event, PlanProposed):
                    session.add(
                        PlanVersionRow(
                            community=item.community,
                            version=event.version,
                            incident=event.incident,
                            exercise=event.exercise,
                            at=event.at,
                            plan=event.plan.model_dump_json(),
                        )
                    )
            seqs = self._last_seqs(session, {m.channel for m in messages})
            numbered = []
            for m in messages:
                seqs[m.channel] = seqs.get(m.channel, 0) + 1
                numbered.append(replace(m, seq=seqs[m.channel]))
                session.add(
                    ChannelMessageRow(
                        channel=m.channel,
                        seq=seqs[m.channel],
                        type=m.type,
                        at=m.at,
                        data=json.dumps(m.data, ensure_ascii=False),
                    )
                )
            session.add_all(outbox)
            for r in remembered:
                session.add(
                    IdempotencyRow(
                        principal=r.principal,
                        key=r.key,
                        request_hash=r.request_hash,
                        status=r.status,
                        response=self.vault.seal_json(r.response),
                        at=at,
                    )
                )
            try:
                # The event rows' ids, before the commit expires them (reading one after would query it).
                session.flush()
                last = max((row.id or 0 for row in added), default=0)
                session.commit()
            except IntegrityError as exc:
                if IdRow.__tablename__ not in str(exc.orig):
                    raise
                raise Rejected("conflict", "id", "this id was used before; choose another") from None
        return Written(numbered, last)

    @staticmethod
    def _last_seqs(session: Session, channels: set[str]) -> dict[str, int]:
        """Each channel's last seq, one channel at a time: each is one step down the (channel, seq) index
        (PostgreSQL: an index-only scan backward, limit 1), where a grouped max over several channels read every
        message they ever had (a bitmap heap scan and a hash aggregate), so that a write cost more the longer
        its channels were."""
        seqs: dict[str, int] = {}
        for channel in sorted(channels):
            last = session.exec(
                select(ChannelMessageRow.seq)
                .where(ChannelMessageRow.channel == channel)
                .order_by(col(ChannelMessageRow.seq).desc())
                .limit(1)
            ).first()
            if last is not None:
                seqs[channel] = int(last)
        return seqs

    def purge(self, cutoff: datetime) -> set[str]:
        """Residents' phones and names kept past their time are set to null, every event kept as it was
        otherwise (the log keeps its shape). Past its time: a need's contact when its incident closed before
        ``cutoff`` (a need outside an incident: when it was reported before it); a resident's appeal's phone
        when the appeal came before it; a household's contact and
        phone in a version of its record replaced or removed before ``cutoff``. Remembered answers to
        idempotent requests older than ``cutoff`` are dropped (they may hold a phone), and notifications sent
        or given up before it (they name where a need is, as typed). Returns the communities whose log changed."""
        changed: set[str] = set()
        with Session(self.engine) as session:
            closed = {
                (row.community, row.incident)
                for row in session.exec(
                    select(EventRow).where(EventRow.type == "incident_closed", col(EventRow.at) < cutoff)
                )
            }
            rows = session.exec(
                select(EventRow)
                .where(
                    col(EventRow.type).in_(
                        ["need_reported", "appeal_received", "household_saved", "household_removed"]
                    )
                )
                .order_by(col(EventRow.id))
            ).all()
            # When each version of a household's record stopped being current.
            current: dict[tuple[str, str], EventRow] = {}
            ended: list[EventRow] = []
            for row in rows:
                if row.type == "appeal_received":
                    if row.at < cutoff:
                        ended.append(row)
                    continue
                if row.type == "need_reported":
                    over = (row.community, row.incident) in closed if row.incident else row.at < cutoff
                    if over:
                        ended.append(row)
                    continue
                household = json.loads(row.data)["household"]
                key = (row.community, household["id"] if isinstance(household, dict) else household)
                before = current.pop(key, None)
                if before is not None and row.at < cutoff:
                    ended.append(before)
                if row.type == "household_saved":
                    current[key] = row
            for row in ended:
                data = json.loads(row.data)
                cleared = self._cleared(row.type, data)
                if cleared:
                    row.data = json.dumps(data, ensure_ascii=False)
                    session.add(row)
                    changed.add(row.community)
            for old in session.exec(select(IdempotencyRow).where(col(IdempotencyRow.at) < cutoff)):
                session.delete(old)
            session.execute(
                delete(OutboxRow).where(col(OutboxRow.state) != PENDING, col(OutboxRow.done_at) < cutoff)
            )
            # A snapshot holds what it was made from: made again from the purged log.
            for snapshot in session.exec(select(SnapshotRow).where(col(SnapshotRow.community).in_(changed))):
                session.delete(snapshot)
            session.commit()
        return changed

    @staticmethod
    def _cleared(kind: str, data: dict[str, Any]) -> bool:
        """Set the personal fields of an event's data to null; whether any of them held something."""
        held: list[object] = []
        # Each field becomes what the function returns (None), once what it held is noted.
        Vault.each(kind, data, lambda value: held.append(value))
        return any(value is not None for value in held)

    @staticmethod
    def _photo_row(session: Session, community: str, sha256: str) -> PhotoRow | None:
        return session.exec(
            select(PhotoRow).where(PhotoRow.community == community, PhotoRow.sha256 == sha256)
        ).first()

    def photo(self, community: str, sha256: str) -> Photo | None:
        with Session(self.reads) as session:
            row = self._photo_row(session, community, sha256)
            return Photo(row.community, row.sha256, row.content_type, row.data) if row is not None else None

    def fill_partitions(self) -> None:
        """Name the partition of every event written before partitions existed: its community's street, from
        the community's registration."""
        with Session(self.engine) as session:
            if (
                session.exec(select(EventRow.id).where(col(EventRow.partition).is_(None)).limit(1)).first()
                is None
            ):
                return
            rows = session.exec(
                select(EventRow).where(
                    col(EventRow.type).in_(["community_registered", "street_registered"]),
                    col(EventRow.partition).is_(None),
                )
            ).all()
            streets = {row.community: self._street_of(row) for row in rows}
            for community, street in sorted(streets.items()):
                session.execute(
                    update(EventRow)
                    .where(col(EventRow.community) == community, col(EventRow.partition).is_(None))
                    .values(partition=street)
                )
            session.commit()

    @staticmethod
    def _street_of(row: EventRow) -> str:
        data = json.loads(row.data)
        street: str = data["street"] if row.type == "street_registered" else data["community"]["street"]
        return street

    def partitions(self) -> list[str]:
        """Every partition the log names."""
        with Session(self.reads) as session:
            rows = session.exec(select(EventRow.partition).distinct())
            return sorted(p for p in rows if p is not None)

    def snapshots(self, partition: str) -> list[Snapshot]:
        """The latest snapshot of each of the partition's communities that has one."""
        with Session(self.reads) as session:
            members = select(EventRow.community).where(EventRow.partition == partition).distinct()
            rows = session.exec(select(SnapshotRow).where(col(SnapshotRow.community).in_(members)))
            return [Snapshot(r.community, r.event, r.data) for r in rows]

    def save_snapshot(self, snapshot: Snapshot, at: datetime) -> None:
        with Session(self.engine) as session:
            row = session.get(SnapshotRow, snapshot.community)
            if row is not None and row.event >= snapshot.event:
                return
            row = row or SnapshotRow(community=snapshot.community, event=0, at=at, data=b"")
            row.event, row.at, row.data = snapshot.event, at, snapshot.data
            session.add(row)
            session.commit()

    def tail(self, partition: str, after: int, since: Mapping[str, int] | None = None) -> list[Tail]:
        """The partition's events after row ``after`` (and, for a community in ``since``, after its row there),
        in the order they were written. Only the partition's owner writes them, one transaction after another
        (api/leases/), so their ids rise in commit order and nothing is committed later below one read."""
        query = select(EventRow).where(EventRow.partition == partition, col(EventRow.id) > after)
        if since:
            query = query.where(
                or_(
                    col(EventRow.community).not_in(sorted(since)),
                    *(
                        and_(col(EventRow.community) == c, col(EventRow.id) > e)
                        for c, e in sorted(since.items())
                    ),
                )
            )
        with Session(self.reads) as session:
            rows = session.exec(query.order_by(col(EventRow.id)))
            return [Tail(row.id or 0, row.community, self._event(row)) for row in rows]

    def last_seq(self, channel: str) -> int:
        with Session(self.reads) as session:
            return self._last_seqs(session, {channel}).get(channel, 0)

    def messages_after(self, channel: str, seq: int, limit: int) -> list[Message]:
        with Session(self.reads) as session:
            rows = session.exec(
                select(ChannelMessageRow)
                .where(ChannelMessageRow.channel == channel, ChannelMessageRow.seq > seq)
                .order_by(col(ChannelMessageRow.seq))
                .limit(limit)
            )
            return [Message(r.channel, r.seq, r.type, r.at, json.loads(r.data)) for r in rows]

    def remembered_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Remembered]:
        """The first answers kept for these (principal, key) pairs, in one query."""
        if not keys:
            return {}
        principals = sorted({p for p, _ in keys})
        with Session(self.reads) as session:
            rows = session.exec(
                select(IdempotencyRow).where(
                    col(IdempotencyRow.principal).in_(principals),
                    col(IdempotencyRow.key).in_(sorted({k for _, k in keys})),
                )
            ).all()
        wanted = set(keys)
        return {
            (r.principal, r.key): Remembered(
                r.principal, r.key, r.request_hash, r.status, self.vault.open_json(r.response)
            )
            for r in rows
            if (r.principal, r.key) in wanted
        }

    def remembered(self, principal: str, key: str) -> Remembered | None:
        with Session(self.reads) as session:
            row = session.exec(
                select(IdempotencyRow).where(IdempotencyRow.principal == principal, IdempotencyRow.key == key)
            ).first()
        if row is None:
            return None
        return Remembered(
            row.principal, row.key, row.request_hash, row.status, self.vault.open_json(row.response)
        )

    def event_rows(
        self, community: str, *, types: list[str], after: int, limit: int, incident: str | None
    ) -> list[EventRow]:
        with Session(self.reads) as session:
            query = select(EventRow).where(EventRow.community == community, col(EventRow.id) > after)
            if types:
                query = query.where(col(EventRow.type).in_(types))
            if incident is not None:
                query = query.where(EventRow.incident == incident)
            rows = list(session.exec(query.order_by(col(EventRow.id)).limit(limit)))
            session.expunge_all()
        # Detached copies with their personal fields opened: the audit log decides who sees them.
        for row in rows:
            row.data = self._opened(row)
        return rows

    def plan_versions(self, community: str, incident: str | None) -> list[PlanVersionRow]:
        with Session(self.reads) as session:
            query = select(PlanVersionRow).where(PlanVersionRow.community == community)
            if incident is not None:
                query = query.where(PlanVersionRow.incident == incident)
            return list(session.exec(query.order_by(col(PlanVersionRow.version))))

    def plan_version(self, community: str, version: int) -> PlanVersionRow | None:
        with Session(self.reads) as session:
            return session.exec(
                select(PlanVersionRow).where(
                    PlanVersionRow.community == community, PlanVersionRow.version == version
                )
            ).first()
