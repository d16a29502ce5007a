"""The pub/sub interface every backend fills."""

from collections.abc import AsyncIterator
from typing import Protocol


class PubSub(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, message: str) -> None:
        """Send one serialised channel message to every listener, in every process."""

    def listen(self) -> AsyncIterator[str]:
        """Messages in the order they were published."""
        ...
