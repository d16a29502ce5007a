"""What the service needs from partition ownership: one interface, one backend per file."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import NewType, Protocol

from sqlmodel import Session

# A partition is a street: its communities and its own pool are planned together (engine/coordinator/street.py).
PartitionId = NewType("PartitionId", str)

# Checked inside a write transaction, before anything is written: raises StaleOwner when the writer no longer
# holds the partition's lease with the token it was given.
Fence = Callable[[Session], None]


class StaleOwner(Exception):
    """A write for a partition this worker no longer owns: refused, nothing written."""

    def __init__(self, partition: str, detail: str) -> None:
        super().__init__(f"partition {partition!r}: {detail}")
        self.partition = partition


@dataclass(frozen=True)
class Owner:
    worker: str
    # Where the owner takes forwarded requests (http://host:port).
    url: str


class Leases(Protocol):
    """Ownership of partitions. Blocking calls (they talk to the database): the service runs them in a thread."""

    # This worker's id, unique for the life of the process.
    worker: str

    def join(self, url: str) -> None:
        """Announce this worker, reachable at ``url`` for forwarded requests."""

    def leave(self) -> None:
        """Release every lease this worker holds and stop being counted as live."""

    def claim(self, partition: str) -> int | None:
        """Take the partition if nobody holds it (or its lease ran out): its new fencing token, else None."""

    def renew(self, held: dict[str, int]) -> set[str]:
        """Extend the leases of ``held`` (partition: token); the ones still this worker's."""

    def release(self, partition: str, token: int) -> None:
        """Give the partition up now, so another worker may take it at once."""

    def owner(self, partition: str) -> Owner | None:
        """The worker holding a live lease on the partition."""

    def free(self, known: list[str]) -> list[str]:
        """Partitions nobody holds a live lease on: of those with a lease row, and of ``known`` (the ones the
        log names) those without one yet."""

    def share(self, known: int) -> int:
        """How many partitions this worker should own: all of them (at least ``known``) spread evenly over the
        live workers."""

    def fence(self, partition: str, token: int) -> Fence:
        """The check a write for ``partition`` makes in its transaction."""
