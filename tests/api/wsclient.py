"""A websocket client as a console or a phone would be: subscribe, collect, resume by seq."""

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class Client:
    def __init__(self, url: str, token: str, *, subprotocol: bool = False) -> None:
        self.url, self.token, self.subprotocol = url, token, subprotocol
        self.connection: ClientConnection | None = None
        self.received: list[dict[str, Any]] = []
        self.last: dict[str, int] = {}

    async def open(self) -> "Client":
        if self.subprotocol:
            self.connection = await connect(self.url, subprotocols=["pingzhan", f"bearer.{self.token}"])  # type: ignore[list-item]
        else:
            self.connection = await connect(
                self.url, additional_headers={"Authorization": f"Bearer {self.token}"}
            )
        return self

    async def subscribe(self, channel: str, last: int | None = None) -> dict[str, Any]:
        assert self.connection is not None
        await self.connection.send(json.dumps({"type": "subscribe", "channels": {channel: last}}))
        return await self.until(
            lambda m: m.get("type") in ("subscribed", "error") and m.get("channel") == channel
        )

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.connection is not None
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        self.received.append(message)
        # "subscribed" tells the channel's current seq, not one this client has seen.
        if "seq" in message and "channel" in message and message.get("type") != "subscribed":
            self.last[message["channel"]] = message["seq"]
        return message

    async def until(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.next(max(0.01, deadline - loop.time()))
            if predicate(message):
                return message

    async def drain(self, quiet: float = 0.5) -> list[dict[str, Any]]:
        """Everything that arrives until nothing has for ``quiet`` seconds."""
        got = []
        while True:
            try:
                got.append(await self.next(quiet))
            except TimeoutError:
                return got

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
