"""One worker owns everything: the embedded SQLite default.

SQLite lives in one process's folder, so there is nobody to share partitions with; what must never happen is a
second ``pingzhan serve`` on the same file, each believing it owns every community. An exclusive lock on a file
beside the database refuses the second one at start; the kernel drops it when the process dies, however it dies.
"""

import fcntl
import os
import uuid
from pathlib import Path

from sqlmodel import Session

from api.errors import InputError
from api.leases.base import Fence, Owner


def _unfenced(_: Session) -> None:
    return None


class SoloLeases:
    def __init__(self, database: Path | None) -> None:
        """Takes the lock at once, so that a second server stops before it starts (raises InputError). An
        in-memory database (None) is this process's alone anyway."""
        self.worker = uuid.uuid4().hex
        self._fd: int | None = None
        if database is None:
            return
        path = database.with_name(database.name + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                f"{database}: another pingzhan serve already uses this database. Run one server per SQLite "
                "file; for several workers use PostgreSQL (--database postgresql://… --pubsub redis://…) "
                "另一个服务已在使用此数据库"
            ) from None
        self._fd = fd

    def join(self, url: str) -> None:
        # Nobody forwards to the only worker.
        return None

    def leave(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def claim(self, partition: str) -> int | None:
        return 1

    def renew(self, held: dict[str, int]) -> set[str]:
        return set(held)

    def release(self, partition: str, token: int) -> None:
        return None

    def owner(self, partition: str) -> Owner | None:
        # Nobody else: a partition this worker does not hold yet is free for it to take.
        return None

    def free(self, known: list[str]) -> list[str]:
        return known

    def share(self, known: int) -> int:
        return known

    def fence(self, partition: str, token: int) -> Fence:
        return _unfenced
