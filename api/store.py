"""Reading and writing the database. A command's events, plan versions, channel messages and idempotency
record are written in one transaction: all of them or none."""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.db.tables import ChannelMessageRow, EventRow, IdempotencyRow, PhotoRow, PlanVersionRow
from engine.coordinator import Event
from engine.coordinator.events import PlanProposed

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


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
                session.add(
                    EventRow(
                        community=item.community,
                        type=event.type,
                        at=event.at,
                        actor=event.actor,
                        incident=item.incident,
                        exercise=item.exercise,
                        data=event.model_dump_json(by_alias=True),
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
                        response=json.dumps(remembered.response, ensure_ascii=False),
                        at=at,
                    )
                )
            session.commit()

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
                result[row.community].append(EVENTS.validate_json(row.data))
        return dict(result)

    def events_of(self, community: str) -> list[Event]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(EventRow).where(EventRow.community == community).order_by(col(EventRow.id))
            )
            return [EVENTS.validate_json(row.data) for row in rows]

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
        return Remembered(row.principal, row.key, row.request_hash, row.status, json.loads(row.response))

    def event_rows(
        self, community: str, *, types: list[str], after: int, limit: int, incident: str | None
    ) -> list[EventRow]:
        with Session(self.engine) as session:
            query = select(EventRow).where(EventRow.community == community, col(EventRow.id) > after)
            if types:
                query = query.where(col(EventRow.type).in_(types))
            if incident is not None:
                query = query.where(EventRow.incident == incident)
            return list(session.exec(query.order_by(col(EventRow.id)).limit(limit)))

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
