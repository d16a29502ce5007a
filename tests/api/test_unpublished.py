"""A message written but never published (its worker died between the commit and the publish) reaches the
clients listening on other workers all the same: the next message on its channel shows the gap, and the server
sends what it skipped from the database first, in order."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.auth import Role
from api.db.database import connect, default_url
from api.pii import load_vault
from api.store import Message, Store
from tests.api.server import Server, api_for, build_world
from tests.api.wsclient import Client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("unpublished"))).start()
    build_world(s)
    yield s
    s.stop()


def _write_unpublished(server: Server, channel: str, text: str) -> int:
    """What a worker's commit leaves when it dies before publishing: the row, and nothing on the pub/sub."""
    store = Store(connect(default_url(server.data_dir)), load_vault(server.data_dir / "pii.key"))
    try:
        at = datetime.now(UTC)
        [written] = store.write("s1", [], [Message(channel, 0, "note", at, {"text": text})], [], at).messages
        return written.seq
    finally:
        store.engine.dispose()


def test_a_message_never_published_is_sent_before_the_next_one_on_its_channel(server: Server) -> None:
    cadre = api_for(server, Role.CADRE)
    channel = "community:c1"

    async def scenario() -> None:
        client = await Client(server.ws_url, cadre.token).open()
        await client.subscribe(channel)
        await client.next()  # snapshot
        skipped = await asyncio.to_thread(_write_unpublished, server, channel, "never published")
        await asyncio.to_thread(
            cadre.ok,
            "POST",
            "/communities/c1/needs",
            {"capability": "supply.water", "quantity": 1, "location": "g1_1", "priority": 2},
        )
        await client.until(lambda m: m.get("channel") == channel and m.get("seq", 0) > skipped)
        seqs = [
            m["seq"] for m in client.received if m.get("channel") == channel and m.get("type") != "snapshot"
        ]
        assert seqs == list(range(seqs[0], seqs[-1] + 1)), seqs
        [note] = [m for m in client.received if m.get("type") == "note"]
        assert note["seq"] == skipped and note["data"] == {"text": "never published"}
        await client.close()

    asyncio.run(scenario())
