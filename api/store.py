"""Reading and writing the database. A command's events, plan versions, channel messages and idempotency
record are written in one transaction: all of them or none."""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.db.tables import ChannelMessageRow, EventRow, IdempotencyRow, IdRow, PhotoRow, PlanVersionRow
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
        logged: list[Logged],
        messages: list[Message],
        remembered: Remembered | None,
        at: datetime,
        photos: tuple[Photo, ...] = (),
    ) -> None:
        with Session(self.engine) as session:
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
                session.add(
                    EventRow(
                        community=item.community,
                        type=event.type,
                        at=event.at,
                        actor=event.actor,
                        incident=item.incident,
                        exercise=item.exercise,
                        data=self._event_data(event),
                    )
                )
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
            for m in messages:
                session.add(
                    ChannelMessageRow(
                        channel=m.channel,
                        seq=m.seq,
                        type=m.type,
                        at=m.at,
                        data=json.dumps(m.data, ensure_ascii=False),
                    )
                )
            if remembered is not None:
                session.add(
                    IdempotencyRow(
                        principal=remembered.principal,
                        key=remembered.key,
                        request_hash=remembered.request_hash,
                        status=remembered.status,
                        response=self.vault.seal_json(remembered.response),
                        at=at,
                    )
                )
            try:
                session.commit()
            except IntegrityError as exc:
                if IdRow.__tablename__ not in str(exc.orig):
                    raise
                raise Rejected("conflict", "id", "this id was used before; choose another") from None

    def purge(self, cutoff: datetime) -> set[str]:
        """Residents' phones and names kept past their time are set to null, every event kept as it was
        otherwise (the log keeps its shape). Past its time: a need's contact when its incident closed before
        ``cutoff`` (a need outside an incident: when it was reported before it); a household's contact and
        phone in a version of its record replaced or removed before ``cutoff``. Remembered answers to
        idempotent requests older than ``cutoff`` are dropped (they may hold a phone). Returns the
        communities whose log changed."""
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
                .where(col(EventRow.type).in_(["need_reported", "household_saved", "household_removed"]))
                .order_by(col(EventRow.id))
            ).all()
            # When each version of a household's record stopped being current.
            current: dict[tuple[str, str], EventRow] = {}
            ended: list[EventRow] = []
            for row in rows:
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
        with Session(self.engine) as session:
            row = self._photo_row(session, community, sha256)
            return Photo(row.community, row.sha256, row.content_type, row.data) if row is not None else None

    def events_by_community(self) -> dict[str, list[Event]]:
        result: dict[str, list[Event]] = defaultdict(list)
        with Session(self.engine) as session:
            for row in session.exec(select(EventRow).order_by(col(EventRow.id))):
                result[row.community].append(self._event(row))
        return dict(result)

    def events_of(self, community: str) -> list[Event]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(EventRow).where(EventRow.community == community).order_by(col(EventRow.id))
            )
            return [self._event(row) for row in rows]

    def last_seqs(self) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(ChannelMessageRow.channel, func.max(ChannelMessageRow.seq)).group_by(
                    ChannelMessageRow.channel
                )
            )
            return {channel: int(seq) for channel, seq in rows}

    def messages_after(self, channel: str, seq: int, limit: int) -> list[Message]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(ChannelMessageRow)
                .where(ChannelMessageRow.channel == channel, ChannelMessageRow.seq > seq)
                .order_by(col(ChannelMessageRow.seq))
                .limit(limit)
            )
            return [Message(r.channel, r.seq, r.type, r.at, json.loads(r.data)) for r in rows]

    def remembered(self, principal: str, key: str) -> Remembered | None:
        with Session(self.engine) as session:
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
        with Session(self.engine) as session:
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
        with Session(self.engine) as session:
            query = select(PlanVersionRow).where(PlanVersionRow.community == community)
            if incident is not None:
                query = query.where(PlanVersionRow.incident == incident)
            return list(session.exec(query.order_by(col(PlanVersionRow.version))))

    def plan_version(self, community: str, version: int) -> PlanVersionRow | None:
        with Session(self.engine) as session:
            return session.exec(
                select(PlanVersionRow).where(
                    PlanVersionRow.community == community, PlanVersionRow.version == version
                )
            ).first()
