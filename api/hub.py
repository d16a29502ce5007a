"""The websocket hub: which connection listens to which channel, and a bounded queue per connection.

A channel message arrives once per process (from the pub/sub) and is parsed once into a :class:`Delivery`,
the one object every listener's queue holds. Each connection's own task sends it (routes/ws.py): the text as
published to everyone who sees it as stored, and one text per class of subscribers who see more (a phone in
clear, api/masking.py), made by the first of them to send it and shared by the rest; uncompressed unless the
server runs with --ws-deflate, which compresses once per client. A connection that falls too far behind is cut
off without waiting for it: the others never wait on its socket.

It also closes connections whose token was revoked: the revoking process publishes a notice through the
pub/sub, beside the channel messages, so every server process hears it and closes its own connections.
"""

import asyncio
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

# A client this far behind is cut off; it resumes from its last seq (or gets a snapshot) on reconnect,
# which costs far less than letting one slow phone hold memory for everyone (pingzhan serve --ws-queue-limit).
QUEUE_LIMIT = 2000

# Why the hub closes a connection: the websocket close code and reason the client is sent.
REVOKED = (4401, "token revoked 令牌已吊销")
TOO_SLOW = (4008, "too slow; reconnect and resume")


def revocation_notice(token: int) -> str:
    """Published when a token is revoked. Channel messages always name a channel; a notice never does."""
    return json.dumps({"revoked_token": token})


@dataclass(eq=False)
class Delivery:
    """One channel message (``{channel, seq, type, data, at}``) as published, parsed once per process."""

    raw: str
    message: dict[str, Any]
    _texts: dict[Hashable, str] = field(default_factory=dict)

    @property
    def channel(self) -> str:
        channel: str = self.message["channel"]
        return channel

    @property
    def seq(self) -> int:
        seq: int = self.message["seq"]
        return seq

    def text(self, view: Hashable | None, make: Callable[[], str]) -> str:
        """The text for subscribers of ``view`` (None: the message as published), made once per view."""
        if view is None:
            return self.raw
        text = self._texts.get(view)
        if text is None:
            text = self._texts[view] = make()
        return text


@dataclass(eq=False)
class Listener:
    # The id of the token the connection signed in with: its revocation closes the connection.
    token: int
    channels: set[str] = field(default_factory=set)
    # Deliveries and the connection's own requests in turn (see routes/ws.py).
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    # Set, with why (REVOKED, TOO_SLOW), when the hub drops the connection: it closes (routes/ws.py) and
    # hears nothing more.
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    why: tuple[int, str] | None = None

    def close(self, why: tuple[int, str]) -> None:
        if self.why is None:
            self.why = why
        self.closing.set()


class Hub:
    def __init__(self, queue_limit: int = QUEUE_LIMIT) -> None:
        self.queue_limit = queue_limit
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
            listener.close(REVOKED)

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
        delivery = Delivery(raw, message)
        for listener in list(self._by_channel.get(delivery.channel, ())):
            if listener.queue.qsize() >= self.queue_limit:
                self.remove(listener)
                listener.close(TOO_SLOW)
            else:
                listener.queue.put_nowait(delivery)
