"""Real server processes on one PostgreSQL database and the machine's Redis, and what the scale tests read
straight from that database (who owns what, the log, the channels' seqs)."""

import itertools
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from api.db.database import connect
from api.pii import load_vault
from tests.api.server import MAP, Server
from tests.isolation import made_database, own

POSTGRES = "postgresql://127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
# Every command a client sends: what a real client would do when a worker dies under it.
RETRIED = {421, 500, 502, 503, 504}


def fresh_database(name: str) -> str:
    """The test's own database (made when missing; named for the xdist worker), emptied and with every table
    made anew."""
    url = made_database(f"{POSTGRES}/{own(name)}", admin=f"{POSTGRES}/test")
    engine = connect(url)
    SQLModel.metadata.drop_all(engine)
    engine.dispose()
    # Made again here, once, so that servers started at the same time do not race to make them.
    connect(url).dispose()
    return url


def workers(base: Path, url: str, count: int, profile: str = "", extra: Sequence[str] = ()) -> list[Server]:
    """``count`` servers on one database and Redis, each on its own port and data folder, with one personal-data
    key between them (each reads the others' residents' phones); started at the same time."""
    key = base / "pii.key"
    load_vault(key)
    servers = []
    for i in range(count):
        data = base / f"w{i}"
        (data / "profiles").mkdir(parents=True, exist_ok=True)
        shutil.copy(key, data / "pii.key")
        if profile:
            (data / "profiles" / "failover.yaml").write_text(profile, encoding="utf-8")
        servers.append(Server(data, url, ["--pubsub", REDIS, "--resume-limit", "1000000", *extra]))
    try:
        at_once([partial(patiently, s) for s in servers])
    except BaseException:
        for server in servers:
            server.kill()
        raise
    return servers


def patiently(server: Server, more_s: float = 60.0) -> Server:
    """Start the server, giving it longer than Server.start's 30 s when it is alive but slow: several starting
    at once on a loaded 2-core machine can take that long."""
    try:
        return server.start()
    except RuntimeError:
        if server.process is None or server.process.poll() is not None:
            raise
    deadline = time.monotonic() + more_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{server.url} did not start in {30 + more_s:.0f} s")


def at_once(jobs: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads; their results in order (the first exception raised again)."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def rows(engine: Engine, query: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(query), params).all())


def owners(engine: Engine) -> dict[str, str]:
    """Partition: the url of the worker holding a live lease on it."""
    return dict(
        rows(
            engine,
            "SELECT l.partition, w.url FROM lease l JOIN worker w ON w.id = l.owner WHERE l.expires_at >= now()",
        )
    )


class Writer:
    """A client of several workers: each command goes to one, and on a dead worker, a 5xx or a 421 it is sent
    again with the same Idempotency-Key to the next, until it is answered or its deadline passes."""

    def __init__(
        self, servers: Sequence[Server], token: str, deadline_s: float = 30.0, timeout_s: float = 10.0
    ) -> None:
        self.servers = list(servers)
        self.token = token
        self.deadline_s = deadline_s
        self.clients = {
            s.url: httpx.Client(
                base_url=s.url + "/api/v1",
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout_s,
                limits=httpx.Limits(keepalive_expiry=2),
            )
            for s in servers
        }
        # How many times a command was sent again, over the writer's life.
        self.retries = 0

    def post(self, first: int, path: str, body: Any, key: str) -> httpx.Response:
        deadline = time.monotonic() + self.deadline_s
        i = first
        while True:
            server = self.servers[i % len(self.servers)]
            try:
                response = self.clients[server.url].post(path, json=body, headers={"Idempotency-Key": key})
                if response.status_code not in RETRIED:
                    return response
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} {key}: no answer from any worker in {self.deadline_s} s")
            self.retries += 1
            i += 1
            time.sleep(0.2)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def need(note: str) -> dict[str, object]:
    """A life-safety need: in an incident it is dispatched at once and waits for its acknowledgement."""
    return {"capability": "rescue.boat", "quantity": 1, "location": "g1_1", "priority": 5, "note": note}


class Load:
    """Clients (threads) reporting life-safety needs round-robin over the partitions and the workers, each with a
    unique Idempotency-Key and note, sent again to the next worker until answered."""

    def __init__(
        self,
        servers: Sequence[Server],
        targets: Sequence[tuple[str, str]],
        clients: int,
        run: str,
        timeout_s: float = 10.0,
    ) -> None:
        # (community, token of someone who may report there) for each partition written to.
        self.servers, self.targets, self.run = servers, targets, run
        # How long a client waits for a worker's answer before it sends the request to the next one.
        self.timeout_s = timeout_s
        self.stop = threading.Event()
        self.acknowledged: list[tuple[str, str, str]] = []
        self.failures: list[str] = []
        self.retries = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, args=(t,)) for t in range(clients)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()

    def _client(self, t: int) -> None:
        try:
            self._reports(t)
        except Exception as exc:
            self.failures.append(f"client {t}: {exc!r}")

    def _reports(self, t: int) -> None:
        writers = [Writer(self.servers, token, timeout_s=self.timeout_s) for _, token in self.targets]
        try:
            for k in itertools.count():
                if self.stop.is_set():
                    return
                i = (t + k) % len(self.targets)
                note = f"{self.run}-{t}-{k}"
                try:
                    response = writers[i].post(
                        t + k, f"/communities/{self.targets[i][0]}/needs", need(note), note
                    )
                except Exception as exc:
                    self.failures.append(f"{note}: {exc!r}")
                    continue
                with self._lock:
                    if response.status_code < 300:
                        self.acknowledged.append((self.targets[i][0], note, response.json()["id"]))
                    else:
                        self.failures.append(f"{note}: {response.status_code} {response.text[:200]}")
        finally:
            for writer in writers:
                with self._lock:
                    self.retries += writer.retries
                writer.close()


def register(writer: Writer, first: int, community: str, street: str, profile: str) -> None:
    """A community on ``street`` with three boats and an incident, so that a life-safety need is dispatched and
    waits for its acknowledgement."""
    boats = f"{community}-boats"
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "/communities",
            {"id": community, "street": street, "name": f"{community}社区", "profile": profile, "map": MAP},
        ),
        (
            f"/communities/{community}/organisations",
            {"id": boats, "kind": "social_organisation", "name": "boats"},
        ),
        *(
            (
                f"/communities/{community}/resources",
                {
                    "id": f"{community}-boat{n}",
                    "organisation": boats,
                    "capability": "rescue.boat",
                    "quantity": 1,
                    "location": f"g{n}_{n}",
                },
            )
            for n in range(3)
        ),
        (f"/communities/{community}/incidents", {"kind": "flood", "level": 2, "exercise": True}),
    ]
    for path, body in steps:
        response = writer.post(first, path, body, uuid.uuid4().hex)
        assert response.status_code < 300, (path, response.status_code, response.text)
