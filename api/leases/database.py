"""Leases held in PostgreSQL: a row per partition with its owner, a fencing token and an expiry.

The database's clock is the only judge. A worker renews its leases every second or so; one that dies (or hangs, or
loses its network) stops renewing, and once ``expires_at`` passes another worker takes the row over, raising the
token. Every write transaction for the partition first locks the row (``FOR UPDATE``) and checks that the owner
and token are still the writer's and the lease still live: a takeover waits for a write in flight to commit, and
a write that comes after the takeover is refused. No clock of the workers' own is trusted.
"""

import math
import uuid

from sqlalchemy import Engine, text
from sqlmodel import Session

from api.leases.base import Fence, Owner, StaleOwner

# A lease lives this long unless renewed; workers renew every RENEW_S. A dead worker's partitions are taken over
# within LEASE_S + the takeover scan (the service's, every RENEW_S) + the time to catch up: under 10 s.
LEASE_S = 5.0
RENEW_S = 1.0

# The statements that lock a lease row read the clock as it is when they hold the lock (clock_timestamp()), not
# when their transaction began (now()): a claim that waited for a hung owner's transaction would otherwise take a
# lease already run out, and a fence that waited would judge the lease by the time before it waited.
_CLAIM = text(
    """
    INSERT INTO lease (partition, owner, token, expires_at)
    VALUES (:partition, :worker, 1, clock_timestamp() + make_interval(secs => :ttl))
    ON CONFLICT (partition) DO UPDATE
        SET owner = excluded.owner, token = lease.token + 1,
            expires_at = clock_timestamp() + make_interval(secs => :ttl)
        WHERE lease.expires_at < clock_timestamp()
    RETURNING token
    """
)
_RENEW = text(
    """
    UPDATE lease SET expires_at = clock_timestamp() + make_interval(secs => :ttl)
    WHERE owner = :worker AND expires_at >= clock_timestamp() AND partition = ANY(:partitions)
    RETURNING partition, token
    """
)
_FENCE = text(
    "SELECT owner, token, expires_at >= clock_timestamp() AS live FROM lease WHERE partition = :partition FOR UPDATE"
)


class DatabaseLeases:
    def __init__(self, engine: Engine, ttl_s: float = LEASE_S) -> None:
        self.worker = uuid.uuid4().hex
        self._engine = engine
        self._ttl = ttl_s

    def _bounded(self, session: Session) -> None:
        """A transaction that locks lease rows holds them until it ends: a worker that hangs inside one (stopped,
        swapped out, cut off without a reset) would hold every takeover of them back for as long as it hangs. The
        database ends such a transaction once it is idle for the lease's length; what it was writing never lands."""
        session.execute(
            text(f"SET LOCAL idle_in_transaction_session_timeout = {math.ceil(self._ttl * 1000)}")
        )

    def join(self, url: str) -> None:
        with Session(self._engine) as session:
            session.execute(
                text(
                    "INSERT INTO worker (id, url, seen_at) VALUES (:id, :url, now()) "
                    "ON CONFLICT (id) DO UPDATE SET url = excluded.url, seen_at = now()"
                ),
                {"id": self.worker, "url": url},
            )
            session.commit()

    def leave(self) -> None:
        with Session(self._engine) as session:
            self._bounded(session)
            session.execute(
                text("UPDATE lease SET expires_at = now() - interval '1 second' WHERE owner = :w"),
                {"w": self.worker},
            )
            session.execute(text("DELETE FROM worker WHERE id = :w"), {"w": self.worker})
            session.commit()

    def claim(self, partition: str) -> int | None:
        with Session(self._engine) as session:
            self._bounded(session)
            token = session.execute(
                _CLAIM, {"partition": partition, "worker": self.worker, "ttl": self._ttl}
            ).scalar_one_or_none()
            session.commit()
        return None if token is None else int(token)

    def renew(self, held: dict[str, int]) -> set[str]:
        with Session(self._engine) as session:
            self._bounded(session)
            session.execute(text("UPDATE worker SET seen_at = now() WHERE id = :w"), {"w": self.worker})
            rows = session.execute(
                _RENEW, {"worker": self.worker, "ttl": self._ttl, "partitions": list(held)}
            ).all()
            session.commit()
        # A lease renewed under another token was lost and taken back meanwhile: not the tenure we hold.
        return {p for p, token in rows if held.get(p) == token}

    def release(self, partition: str, token: int) -> None:
        with Session(self._engine) as session:
            self._bounded(session)
            session.execute(
                text(
                    "UPDATE lease SET expires_at = now() - interval '1 second' "
                    "WHERE partition = :p AND owner = :w AND token = :t"
                ),
                {"p": partition, "w": self.worker, "t": token},
            )
            session.commit()

    def owner(self, partition: str) -> Owner | None:
        with Session(self._engine) as session:
            row = session.execute(
                text(
                    "SELECT w.id, w.url FROM lease l JOIN worker w ON w.id = l.owner "
                    "WHERE l.partition = :p AND l.expires_at >= now()"
                ),
                {"p": partition},
            ).first()
        return None if row is None else Owner(row[0], row[1])

    def free(self, known: list[str]) -> list[str]:
        with Session(self._engine) as session:
            rows = session.execute(
                text(
                    "SELECT partition FROM lease WHERE expires_at < now() "
                    "UNION SELECT k FROM unnest(CAST(:known AS text[])) AS k "
                    "WHERE NOT EXISTS (SELECT 1 FROM lease WHERE partition = k) ORDER BY 1"
                ),
                {"known": known},
            ).all()
        return [r[0] for r in rows]

    def share(self, known: int) -> int:
        with Session(self._engine) as session:
            partitions, workers = session.execute(
                text(
                    "SELECT (SELECT count(*) FROM lease), "
                    "(SELECT count(*) FROM worker WHERE seen_at >= now() - make_interval(secs => :ttl))"
                ),
                {"ttl": self._ttl},
            ).one()
        return math.ceil(max(int(partitions), known) / max(1, int(workers)))

    def fence(self, partition: str, token: int) -> Fence:
        def check(session: Session) -> None:
            self._bounded(session)
            row = session.execute(_FENCE, {"partition": partition}).first()
            if row is None or row.owner != self.worker or row.token != token:
                raise StaleOwner(partition, "the lease passed to another worker; nothing written")
            if not row.live:
                raise StaleOwner(partition, "the lease ran out before this write; nothing written")

        return check
