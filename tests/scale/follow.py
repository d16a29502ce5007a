"""A websocket client that follows community channels through a worker's death: when its connection drops it
connects to the next worker and subscribes again with the last seq it got on each channel, as a console does."""

import asyncio
import contextlib
import threading
from collections.abc import Sequence

from websockets.exceptions import ConnectionClosed

from tests.api.server import Server
from tests.api.wsclient import Client


class Follower:
    def __init__(self, servers: Sequence[Server], first: int, token: str, channels: Sequence[str]) -> None:
        self.servers = list(servers)
        self.at = first
        self.token = token
        # Every seq received per channel, in the order received: resumed without loss, exactly 1..N.
        self.seqs: dict[str, list[int]] = {c: [] for c in channels}
        self.snapshots = 0
        self.reconnects = 0

    @property
    def server(self) -> Server:
        return self.servers[self.at % len(self.servers)]

    def last(self, channel: str) -> int:
        return self.seqs[channel][-1] if self.seqs[channel] else 0

    async def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            client = Client(self.server.ws_url, self.token)
            seen = 0
            try:
                await client.open()
                for channel in self.seqs:
                    reply = await client.subscribe(channel, self.last(channel))
                    assert reply["type"] == "subscribed", reply
                while not stop.is_set():
                    seen = self._take(client, seen)
                    with contextlib.suppress(TimeoutError):
                        await client.next(0.2)
                self._take(client, seen)
            except (ConnectionClosed, OSError):
                self._take(client, seen)
                self.reconnects += 1
                self.at += 1
                await asyncio.sleep(0.1)
            finally:
                with contextlib.suppress(Exception):
                    await client.close()

    def _take(self, client: Client, seen: int) -> int:
        for message in client.received[seen:]:
            if message.get("type") == "snapshot":
                self.snapshots += 1
            elif (
                message.get("channel") in self.seqs
                and "seq" in message
                and message.get("type") != "subscribed"
            ):
                self.seqs[message["channel"]].append(message["seq"])
        return len(client.received)


def follow_all(followers: Sequence[Follower], stop: threading.Event) -> threading.Thread:
    """The followers on an event loop of their own in a thread, until ``stop`` is set (then join the thread)."""

    async def run() -> None:
        await asyncio.gather(*(f.run(stop) for f in followers))

    thread = threading.Thread(target=asyncio.run, args=(run(),))
    thread.start()
    return thread
