"""The outbox: notices routed to the notifiers that carry them, as rows written with the events that caused
them (api/store.py Store.write), then claimed, sent, and marked delivered, retried later, or failed."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from api.db.database import reading
from api.db.tables import OutboxRow
from api.notifiers.config import AnyNotifier, Notifiers, Retry
from api.notifiers.rules import Notice, To

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def carries(n: AnyNotifier, notice: Notice) -> bool:
    """Whether notifier ``n`` speaks for the notice's recipient."""
    if notice.to is To.ORGANISATION:
        return notice.who in n.to.organisations
    if notice.to is To.CADRES:
        return notice.who in n.to.cadres
    return n.to.street_staff and notice.who == n.street


def route(notifiers: Notifiers, street: str, notices: Iterable[Notice], at: datetime) -> list[OutboxRow]:
    """A row for each notifier of ``street`` that carries each notice."""
    mine = notifiers.of_street(street)
    return [
        OutboxRow(
            delivery=uuid.uuid4().hex,
            partition=street,
            notifier=n.id,
            kind=notice.kind,
            community=notice.community,
            exercise=notice.exercise,
            title=notice.title,
            text=notice.text,
            link=notice.link,
            at=at,
            due_at=at,
        )
        for notice in notices
        for n in mine
        if carries(n, notice)
    ]


def aware(at: datetime) -> datetime:
    """SQLite gives back the UTC times it was given without their zone."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def due(engine: Engine, partitions: list[str], now: datetime, limit: int = 100) -> list[OutboxRow]:
    """Pending rows of ``partitions`` due by ``now``, oldest first."""
    if not partitions:
        return []
    with Session(reading(engine)) as session:
        return list(
            session.exec(
                select(OutboxRow)
                .where(
                    col(OutboxRow.partition).in_(partitions),
                    col(OutboxRow.state) == PENDING,
                    col(OutboxRow.due_at) <= now,
                )
                .order_by(col(OutboxRow.due_at), col(OutboxRow.id))
                .limit(limit)
            )
        )


def next_due(engine: Engine, partitions: list[str]) -> datetime | None:
    if not partitions:
        return None
    with Session(reading(engine)) as session:
        at = session.exec(
            select(func.min(OutboxRow.due_at)).where(
                col(OutboxRow.partition).in_(partitions), col(OutboxRow.state) == PENDING
            )
        ).first()
    return aware(at) if at is not None else None


def backoff(retry: Retry, tries: int) -> float:
    """Seconds before try ``tries + 1``: ``first_s`` doubling, at most ``max_s``."""
    return float(min(retry.max_s, retry.first_s * 2 ** (tries - 1)))


@dataclass(frozen=True)
class Outcome:
    row: int
    state: str
    tries: int
    due_at: datetime
    error: str | None
    at: datetime


def judged(row: OutboxRow, error: str | None, retry: Retry, now: datetime) -> Outcome:
    """What a try's result makes of the row: delivered; or failed again, tried later or given up."""
    tries = row.tries + 1
    assert row.id is not None
    if error is None:
        return Outcome(row.id, DELIVERED, tries, aware(row.due_at), None, now)
    later = now + timedelta(seconds=backoff(retry, tries))
    given_up = tries >= retry.tries or later - aware(row.at) > timedelta(hours=retry.hours)
    return Outcome(row.id, FAILED if given_up else PENDING, tries, later, error, now)


def record(engine: Engine, outcomes: list[Outcome]) -> None:
    with Session(engine) as session:
        for o in outcomes:
            values: dict[str, object] = {"state": o.state, "tries": o.tries, "due_at": o.due_at}
            if o.state != PENDING:
                values["done_at"] = o.at
            if o.error is not None:
                values |= {"failed_at": o.at, "error": o.error}
            # A row another worker finished meanwhile (a takeover in between) is left as it was.
            session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == o.row, col(OutboxRow.state) == PENDING)
                .values(values)
            )
        session.commit()


@dataclass(frozen=True)
class State:
    """A notifier's state as the street's console shows it."""

    pending: int
    failed: int
    last_delivered: datetime | None
    last_failure: datetime | None
    last_error: str | None


def states(engine: Engine, notifiers: list[str]) -> dict[str, State]:
    if not notifiers:
        return {}
    with Session(reading(engine)) as session:
        counts = {
            (n, s): int(c)
            for n, s, c in session.exec(
                select(OutboxRow.notifier, OutboxRow.state, func.count())
                .where(col(OutboxRow.notifier).in_(notifiers))
                .group_by(col(OutboxRow.notifier), col(OutboxRow.state))
            )
        }
        delivered = dict(
            session.exec(
                select(OutboxRow.notifier, func.max(OutboxRow.done_at))
                .where(col(OutboxRow.notifier).in_(notifiers), OutboxRow.state == DELIVERED)
                .group_by(col(OutboxRow.notifier))
            ).all()
        )
        failures: dict[str, tuple[datetime, str]] = {}
        for name in notifiers:
            row = session.exec(
                select(OutboxRow)
                .where(OutboxRow.notifier == name, col(OutboxRow.failed_at).is_not(None))
                .order_by(col(OutboxRow.failed_at).desc(), col(OutboxRow.id).desc())
                .limit(1)
            ).first()
            if row is not None and row.failed_at is not None and row.error is not None:
                failures[name] = (aware(row.failed_at), row.error)
    out: dict[str, State] = {}
    for name in notifiers:
        last = delivered.get(name)
        failure = failures.get(name)
        out[name] = State(
            pending=counts.get((name, PENDING), 0),
            failed=counts.get((name, FAILED), 0),
            last_delivered=aware(last) if last is not None else None,
            last_failure=failure[0] if failure else None,
            last_error=failure[1] if failure else None,
        )
    return out
