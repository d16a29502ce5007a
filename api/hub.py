"""The websocket hub: which connection listens to which channel, and a bounded queue per connection.

It also closes connections whose token was revoked: the revoking process publishes a notice through the
pub/sub, beside the channel messages, so every server process hears it and closes its own connections.
"""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

# A client this far behind is cut off; it resumes from its last seq (or gets a snapshot) on reconnect,
# which costs far less than letting one slow phone hold memory for everyone.
QUEUE_LIMIT = 2000


def revocation_notice(token: int) -> str:
    """Published when a token is revoked. Channel messages always name a channel; a notice never does."""
    return json.dumps({"revoked_token": token})


@dataclass(eq=False)
class Listener:
    # The id of the token the connection signed in with: its revocation closes the connection.
    token: int
    channels: set[str] = field(default_factory=set)
    # Channel messages, None when cut off, and the connection's own requests in turn (see routes/ws.py).
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    overflowed: bool = False
    # Set when the token is revoked: the connection closes (routes/ws.py) and hears nothing more.
    revoked: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    def __init__(self) -> None:
        self._by_channel: dict[str, set[Listener]] = {}
        # Every open connection by token, subscribed to anything yet or not.
        self._by_token: dict[int, set[Listener]] = {}

    def join(self, listener: Listener) -> None:
        self._by_token.setdefault(listener.token, set()).add(listener)

    def leave(self, listener: Listener) -> None:
        self.remove(listener)
        connections = self._by_token.get(listener.token)
        if connections is not None:
            connections.discard(listener)
            if not connections:
                del self._by_token[listener.token]

    def revoke(self, token: int) -> None:
        """Close every connection of ``token`` in this process."""
        for listener in self._by_token.get(token, ()):
            self.remove(listener)
            listener.revoked.set()

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
        if "revoked_token" in message:
            self.revoke(message["revoked_token"])
            return
        for listener in list(self._by_channel.get(message["channel"], ())):
            if listener.queue.qsize() >= QUEUE_LIMIT:
                listener.overflowed = True
                listener.queue.put_nowait(None)
                self.remove(listener)
            else:
                listener.queue.put_nowait(message)
