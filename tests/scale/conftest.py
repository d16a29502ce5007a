"""The scale tests run real server processes on the machine's PostgreSQL and Redis; each module empties its own
database first. Anything a test leaves running is killed at the end of its module."""

from collections.abc import Iterator

import pytest

from tests.api.server import Server


@pytest.fixture(scope="module")
def started() -> Iterator[list[Server]]:
    """Servers a module started: killed when it ends, whatever state the tests left them in."""
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.kill()
