"""One partition (a street) as a worker holds it: its coordinators, the lock its changes take, and, while the
worker owns it, the fencing token its writes carry and the commands waiting for the next group commit."""

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.auth import Principal
from api.store import Photo
from engine.coordinator import Board, Command, Step
from engine.coordinator.street import Street

# A command, or how to make one from the board as it is when its turn comes: ids the server gives (the next need
# or incident number) are worked out then, so two requests at once can never be given the same one.
Order = Command | Callable[[Board], Command]
RespondMany = Callable[[list[Board], list[list[Step]]], tuple[int, Any]]


@dataclass(frozen=True)
class Idempotency:
    key: str
    request_hash: str

    @classmethod
    def of(cls, key: str, method: str, path: str, body: bytes) -> "Idempotency":
        digest = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
        return cls(key, digest)


@dataclass(eq=False)
class Pending:
    """A person's commands (one or several communities of the street, all or none) waiting for their round."""

    commands: Sequence[tuple[str, Order]]
    principal: Principal
    respond: RespondMany
    idempotency: Idempotency | None
    photos: tuple[Photo, ...]
    # Answered once the round's transaction is durable (or with why it failed).
    done: asyncio.Future[tuple[int, Any]]


@dataclass(eq=False)
class Partition:
    id: str
    street: Street
    # Taken by each round of commands and by each step of a tick; a solve runs without it.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The fencing token of this worker's lease; None while another worker owns the partition (this one keeps a
    # copy it brings up to date from the log before reading it).
    token: int | None = None
    # The last event row folded into the boards.
    last_event: int = 0
    queue: list[Pending] = field(default_factory=list)
    draining: bool = False
    ticking: bool = False
    # The boards' event counts when each community was last snapshotted (api/service.py).
    snapshotted: dict[str, int] = field(default_factory=dict)

    @property
    def owned(self) -> bool:
        return self.token is not None

    def versions(self) -> dict[str, int]:
        """Every board's event count: unchanged, nothing happened to the partition."""
        return {k: c.board.events for k, c in self.street.coordinators.items()}
