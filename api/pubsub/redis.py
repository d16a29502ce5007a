"""Redis pub/sub: several server processes push the same channel messages to their own websocket clients."""

from collections.abc import AsyncIterator

import redis.asyncio as aioredis

TOPIC = "pingzhan:messages"


class RedisPubSub:
    def __init__(self, url: str) -> None:
        self._url = url
        self._client: aioredis.Redis | None = None

    async def connect(self) -> None:
        self._client = aioredis.from_url(self._url)  # type: ignore[no-untyped-call]
        await self._client.ping()

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, message: str) -> None:
        assert self._client is not None, "connect() first"
        await self._client.publish(TOPIC, message)

    async def listen(self) -> AsyncIterator[str]:
        assert self._client is not None, "connect() first"
        pubsub = self._client.pubsub()
        await pubsub.subscribe(TOPIC)
        try:
            async for item in pubsub.listen():
                if item["type"] == "message":
                    data = item["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
