"""In-process pub/sub: one server process, nothing to install."""

import asyncio
from collections.abc import AsyncIterator


class MemoryPubSub:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, message: str) -> None:
        self._queue.put_nowait(message)

    async def listen(self) -> AsyncIterator[str]:
        while True:
            yield await self._queue.get()
