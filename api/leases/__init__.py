"""Who owns which partition: PostgreSQL's lease rows for several workers, a file lock for embedded SQLite."""

from pathlib import Path

from sqlalchemy import Engine, create_engine

from api.leases.base import Fence, Leases, Owner, PartitionId, StaleOwner
from api.leases.database import LEASE_S, RENEW_S, DatabaseLeases
from api.leases.solo import SoloLeases


def leases_for(engine: Engine) -> Leases:
    """PostgreSQL (and compatible databases) share partitions among workers; SQLite has one worker."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        return SoloLeases(Path(database) if database else None)
    # A pool of their own: a burst of requests holding every connection of the service's pool must not keep a
    # renewal waiting until the lease runs out (seen in benchmarks/residents.py: 500 appeals at once).
    return DatabaseLeases(create_engine(engine.url, pool_size=2, max_overflow=2))


__all__ = [
    "LEASE_S",
    "RENEW_S",
    "DatabaseLeases",
    "Fence",
    "Leases",
    "Owner",
    "PartitionId",
    "SoloLeases",
    "StaleOwner",
    "leases_for",
]
