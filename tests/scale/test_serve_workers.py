"""``serve --workers 2``: one port, two worker processes that share the partitions. Writes to several
partitions through the one port succeed; a worker killed outright is started again by the supervisor, and
writes keep succeeding (sent again with their Idempotency-Key while its partitions move)."""

import contextlib
import json
import os
import signal
import time
import uuid
from collections import Counter
from pathlib import Path

from api.auth import Role
from api.db.database import connect
from tests.api.server import Api, Server
from tests.scale.cluster import REDIS, Writer, fresh_database, need, patiently, register, rows

STREETS = 4


def _workers(server: Server) -> set[int]:
    """The supervisor's worker processes (multiprocessing's spawned children)."""
    assert server.process is not None
    pids: set[int] = set()
    for task in Path(f"/proc/{server.process.pid}/task").iterdir():
        pids |= {int(p) for p in (task / "children").read_text().split()}
    return {p for p in pids if _is_worker(p)}


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _two_workers(server: Server) -> set[int]:
    deadline = time.monotonic() + 30
    while len(pids := _workers(server)) < 2:
        assert time.monotonic() < deadline, f"the supervisor runs {pids}, not two workers"
        time.sleep(0.2)
    return pids


def _report(writers: list[Writer], communities: list[str], notes: list[str]) -> None:
    """A need in every community (each partition), through the one port; each must be acknowledged."""
    for i, community in enumerate(communities):
        note = f"{community}-{len(notes)}"
        response = writers[i].post(0, f"/communities/{community}/needs", need(note), note)
        assert response.status_code == 201, (community, response.status_code, response.text)
        notes.append(note)


def test_two_workers_on_one_port_and_one_killed_is_started_again(
    tmp_path: Path, started: list[Server]
) -> None:
    url = fresh_database("scale_fence")
    server = Server(tmp_path, url, ["--workers", "2", "--pubsub", REDIS])
    started.append(server)
    pids: set[int] = set()
    engine = connect(url)
    try:
        patiently(server)
        pids = _two_workers(server)
        run = uuid.uuid4().hex[:6]
        communities = [f"w{i}-{run}" for i in range(STREETS)]
        writers = [Writer([server], server.token(Role.STREET, street=f"ws{i}")) for i in range(STREETS)]
        for i, community in enumerate(communities):
            register(writers[i], 0, community, f"ws{i}", "fast_test")
        notes: list[str] = []
        for _ in range(2):
            _report(writers, communities, notes)
        # Both workers hold some of the partitions behind the one port: a worker that took them all (one
        # client connection reaches one worker) gives the extra back within a few seconds, the other takes it.
        deadline = time.monotonic() + 20
        while True:
            held = Counter(
                owner for (owner,) in rows(engine, "SELECT owner FROM lease WHERE expires_at >= now()")
            )
            if len(held) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(held) == 2, held
        killed = min(pids)
        os.kill(killed, signal.SIGKILL)
        for _ in range(3):
            _report(writers, communities, notes)
        pids = _two_workers(server)
        assert killed not in pids
        reported = Counter(
            json.loads(data)["need"]["note"]
            for (data,) in rows(engine, "SELECT data FROM event WHERE type = 'need_reported'")
        )
        assert reported == Counter(notes)
        for i, community in enumerate(communities):
            listed = Api(server, writers[i].token).ok("GET", f"/communities/{community}/needs")
            assert sorted(n["note"] for n in listed) == sorted(
                n for n in notes if n.startswith(f"{community}-")
            )
    finally:
        engine.dispose()
        server.stop()
        for pid in pids:
            if _is_worker(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
