"""The websocket hub: which connection listens to which channel, and a bounded queue per connection."""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

# A client this far behind is cut off; it resumes from its last seq (or gets a snapshot) on reconnect,
# which costs far less than letting one slow phone hold memory for everyone.
QUEUE_LIMIT = 2000


@dataclass(eq=False)
class Listener:
    channels: set[str] = field(default_factory=set)
    # Channel messages, None when cut off, and the connection's own requests in turn (see routes/ws.py).
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    overflowed: bool = False


class Hub:
    def __init__(self) -> None:
        self._by_channel: dict[str, set[Listener]] = {}

    def add(self, listener: Listener, channel: str) -> None:
        listener.channels.add(channel)
        self._by_channel.setdefault(channel, set()).add(listener)

    def remove(self, listener: Listener) -> None:
        for channel in listener.channels:
            members = self._by_channel.get(channel)
            if members is not None:
                members.discard(listener)
                if not members:
                    del self._by_channel[channel]
        listener.channels.clear()

    def deliver(self, raw: str) -> None:
        message = json.loads(raw)
        for listener in list(self._by_channel.get(message["channel"], ())):
            if listener.queue.qsize() >= QUEUE_LIMIT:
                listener.overflowed = True
                listener.queue.put_nowait(None)
                self.remove(listener)
            else:
                listener.queue.put_nowait(message)

    @property
    def listeners(self) -> int:
        return len({id(m) for members in self._by_channel.values() for m in members})
