"""Scale-out (issue 16) on real server processes, PostgreSQL and Redis: throughput, group commit against the code
before it, an idle partition's latency beside a big re-plan, and start and takeover against the log's length.

Run: ``python -m benchmarks.scale [--runs 3] [--seconds 5] [--out DIR]`` (``--quick``: every section at a tiny
size, for the smoke test). Every server is ``python -m api.cli serve`` in a child process, started in the code's
own folder so that it imports that code: this worktree's, and, for "before", commit 78457c9 (one global lock, seqs
in memory) checked out as a git worktree (``--old-tree``, added when missing). PostgreSQL databases of their own
(``scale_bench``, ``scale_bench_old``; emptied before each server) and the machine's Redis. Sections:

1. ``throughput``: commands/s (POST a need, each with its own Idempotency-Key, answered 201) at 1, 10 and 50
   concurrent keep-alive clients, spread round-robin over 10 partitions (one community per street), for one
   worker and for ``serve --workers 2`` (one port; the kernel spreads the connections, and a command reaching the
   worker that does not own its street is forwarded to the owner); p50/p99 latency, ratios 2 workers / 1.
2. the same load on today's code (78457c9) on PostgreSQL and on SQLite, and on this code on SQLite: the group
   commit ratio (this code / 78457c9, one worker, 50 clients). Configurations are taken in turn within each run,
   so that a change in the machine's load weighs on all of them alike.
3. ``replan``: a command's latency in an idle partition (one client, a need every 50 ms) while another partition
   re-plans a board of 2,000 open needs and 2,000 resource units (a need reported there every second, so that its
   debounce fires again as soon as a re-plan is adopted), against the same with that partition quiet.
4. ``takeover``: a partition whose log holds 1,000 / 10,000 / 100,000 events (with a snapshot every
   ``SNAPSHOT_EVERY`` = 1,000), made in-process by ``api.service.Service`` on a real ``Store`` on PostgreSQL, as
   a unit's quantity edited by the street's staff again and again, 200 at a time (so a round writes 200; the board
   stays the same size, only the log grows): the time from spawning a worker until it answers a command for it
   (Python's start and imports included; a row with the partition as made, a handful of events, is that floor),
   the same in-process (``Service.start()`` until loaded and claimed, and until a command is written), and the
   time from SIGKILL of its owner until a second worker, running beside it, answers one (the lease's TTL is part
   of it; also given without it: negative when the lease was last renewed up to a second before the kill).

Writes scale.json and scale.md to benchmarks/results (or ``--out``).
"""

import argparse
import asyncio
import contextlib
import io
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np
from sqlalchemy import Engine, create_engine, text

from api.auth import Principal, Role, create_token
from api.db.database import connect as connect_db
from api.db.database import default_url
from api.leases import LEASE_S, leases_for
from api.pii import load_vault
from api.pubsub import pubsub_for
from api.service import SNAPSHOT_EVERY, FileMaps, Service
from api.store import Store
from benchmarks.get_throughput import _get
from benchmarks.harness.machine import machine
from benchmarks.service_latency import CAPABILITIES, free_port
from engine.coordinator import Board
from engine.coordinator.commands import SaveResource
from engine.model import Resource
from engine.model.ids import ResourceId

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "78457c9"
SECTIONS = ("throughput", "replan", "takeover")
POINT = ("per_s", "p50_ms", "p99_ms", "server_cpu_ms_per_command", "client_cpu_ms_per_command")
TIMED = (
    "in_process_load_s",
    "in_process_first_command_s",
    "start_s",
    "takeover_s",
    "takeover_after_ttl_s",
    "takeover_after_expiry_s",
)
POSTGRES = "postgresql://127.0.0.1:5432"
DATABASES = {"new": "scale_bench", "old": "scale_bench_old"}
REDIS = "redis://127.0.0.1:6379"
STREETS = 10
PROFILE = "strong_social_orgs"
SMALL_MAP = {"grid": {"rows": 5, "cols": 5, "edge_s": 60}}
# The benchmark sends thousands of requests from one address: never throttled as failed sign-ins.
SERVE_FLAGS = ("--auth-failures-per-minute", "1000000")
# Makes tokens with the code of the folder it runs in.
MINT = """
import json, sys
from datetime import UTC, datetime
from api.auth import Role, create_token
from pathlib import Path
from api.db.database import connect, default_url
# A database URL, or the data folder whose SQLite file (named as this code names it) the server uses.
engine = connect(sys.argv[1] if "://" in sys.argv[1] else default_url(Path(sys.argv[1])))
specs = json.loads(sys.stdin.read())
now = datetime.now(UTC)
out = [create_token(engine, role=Role(s.pop("role")), at=now, name="bench", **s) for s in specs]
sys.stdout.write(json.dumps(out))
"""


@dataclass(frozen=True)
class Config:
    """A server set-up the load runs against."""

    name: str
    code: str  # "new" (this worktree) or "old" (78457c9)
    database: str  # "postgresql" or "sqlite"
    workers: int


CONFIGS = (
    Config("new_pg_1w", "new", "postgresql", 1),
    Config("new_pg_2w", "new", "postgresql", 2),
    Config("old_pg_1w", "old", "postgresql", 1),
    Config("new_sqlite_1w", "new", "sqlite", 1),
    Config("old_sqlite_1w", "old", "sqlite", 1),
)


class Process(Protocol):
    """A server process: subprocess.Popen's, or one a ``spawn`` hook started."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


# Starts ``python -m api.cli ARGS`` of this worktree's code with its output to LOG (main's ``spawn``). None: a
# process of its own, Python's start and imports included (what start_s measures). The smoke test forks them from
# its launcher, which made the imports once (tests/launcher.py); 78457c9's servers always start their own.
Spawn = Callable[[list[str], Path], Process]
_spawn_here: list[Spawn] = []


@dataclass
class Running:
    process: Process
    port: int
    data_dir: Path
    url: str | None  # the database URL; None: the data folder's SQLite file
    code: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# -- databases and servers ------------------------------------------------------------------------


def _empty(name: str) -> str:
    """The database ``name`` (created if missing) with nothing in it; its URL."""
    admin = create_engine(f"postgresql+psycopg://{POSTGRES.removeprefix('postgresql://')}/test")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        if not c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(f"postgresql+psycopg://{POSTGRES.removeprefix('postgresql://')}/{name}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return f"{POSTGRES}/{name}"


def _old_tree(path: Path) -> Path:
    if not (path / "api" / "cli.py").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", str(path), OLD_COMMIT], check=True)
    return path


def _spawn(code: Path, data_dir: Path, url: str | None, workers: int = 1) -> tuple[Process, int]:
    """``serve`` of the code in ``code`` on a free port (PostgreSQL with Redis, or the folder's SQLite file)."""
    port = free_port()
    args = ["serve", "--port", str(port), "--data-dir", str(data_dir), *SERVE_FLAGS]
    if url is not None:
        args += ["--database", url, "--pubsub", REDIS]
    if workers > 1:
        args += ["--workers", str(workers)]
    path = data_dir / f"server-{port}.log"
    if _spawn_here and code == ROOT:
        return _spawn_here[0](args, path), port
    with path.open("ab") as log:
        command = [sys.executable, "-m", "api.cli", *args]
        return subprocess.Popen(command, cwd=code, stdout=log, stderr=subprocess.STDOUT), port


def _wait_healthy(process: Process, port: int, data_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(data_dir / f'server-{port}.log').read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError("server did not start in 60 s")


def _stop(process: Process) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def _server(code: Path, data_dir: Path, url: str | None, workers: int = 1) -> Iterator[Running]:
    process, port = _spawn(code, data_dir, url, workers)
    try:
        _wait_healthy(process, port, data_dir)
        yield Running(process, port, data_dir, url, code)
    finally:
        _stop(process)


def _tokens(server: Running, specs: list[dict[str, str]]) -> list[str]:
    """Tokens made by the server's own code (today's and 78457c9's tables are each their own): this worktree's
    in this process, 78457c9's by a Python started in its folder."""
    if server.code == ROOT:
        engine = connect_db(server.url or default_url(server.data_dir))
        try:
            now = datetime.now(UTC)
            return [
                create_token(engine, role=Role(s["role"]), at=now, name="bench", **_binding(s)) for s in specs
            ]
        finally:
            engine.dispose()
    done = subprocess.run(
        [sys.executable, "-c", MINT, server.url or str(server.data_dir)],
        cwd=server.code,
        input=json.dumps(specs),
        check=True,
        capture_output=True,
        text=True,
    )
    tokens: list[str] = json.loads(done.stdout)
    return tokens


def _binding(spec: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in spec.items() if key != "role"}


def _post_ok(client: httpx.Client, path: str, body: dict[str, Any]) -> Any:
    """``body`` posted; a 503 (the street between owners: a lease can run out on a busy machine) sent again with
    the same Idempotency-Key for up to 30 s, as clients are told to."""
    key = secrets.token_hex(8)
    deadline = time.monotonic() + 30
    while True:
        response = client.post(path, json=body, headers={"Idempotency-Key": key})
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if response.status_code >= 300:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
    return response.json()


# -- load ---------------------------------------------------------------------------------------------


@dataclass
class Load:
    """What clients sent and how it went."""

    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    # 503s answered with Retry-After, sent again with the same Idempotency-Key.
    retried: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        done = len(self.latencies_s)
        ms = np.array(self.latencies_s) * 1000 if done else np.zeros(1)
        return {
            "commands": done,
            "per_s": round(done / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "statuses": dict(self.statuses),
            "retried": self.retried,
        }


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str
    body: bytes

    def raw(self, key: str) -> bytes:
        head = (
            f"{self.method} {self.path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {self.token}\r\n"
            f"Idempotency-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {len(self.body)}\r\n\r\n"
        )
        return head.encode("latin-1") + self.body


class Client:
    """One keep-alive connection sending commands one after another, over raw HTTP/1.1 (get_throughput.py's:
    the clients' own cost per request is small, and they share the two cores with the servers); a 503 (no owner
    yet) or a dropped connection is sent again with the same Idempotency-Key, as clients are told to."""

    def __init__(self, port: int, load: Load, retry_s: float = 0.05) -> None:
        self.port = port
        self.load = load
        self.retry_s = retry_s
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, request: Request, key: str) -> bool:
        """True once answered 2xx (its latency recorded, from the first try)."""
        started = time.perf_counter()
        raw = request.raw(key)
        for _ in range(200):
            try:
                if self.streams is None:
                    self.streams = await asyncio.open_connection("127.0.0.1", self.port)
                status, _, _ = await _get(*self.streams, raw)
            except (OSError, asyncio.IncompleteReadError):
                self.close()
                await asyncio.sleep(self.retry_s)
                continue
            self.load.statuses[str(status)] = self.load.statuses.get(str(status), 0) + 1
            if status == 503:
                self.load.retried += 1
                await asyncio.sleep(self.retry_s)
                continue
            if status < 300:
                self.load.latencies_s.append(time.perf_counter() - started)
                return True
            return False
        return False

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _need(location: str = "g0_0", capability: str = "supply.water", priority: int = 3) -> bytes:
    body = {"capability": capability, "quantity": 1, "location": location, "priority": priority}
    return json.dumps(body).encode()


async def _drive(port: int, requests: Sequence[Request], clients: int, seconds: float, tag: str) -> Load:
    """``clients`` connections send commands for ``seconds``, client i's n-th being ``requests[(i + n) % len]``
    (round-robin over the partitions); each with its own Idempotency-Key."""
    load = Load()
    stop = time.perf_counter() + seconds

    async def one(i: int) -> None:
        client = Client(port, load)
        n = 0
        try:
            while time.perf_counter() < stop:
                await client.send(requests[(i + n) % len(requests)], f"{tag}-{i}-{n}")
                n += 1
        finally:
            client.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(clients)))
    load.seconds = time.perf_counter() - started
    return load


# -- 1 and 2: throughput ----------------------------------------------------------------------------


def _streets(server: Running, prefix: str) -> list[Request]:
    """STREETS streets of one community each (a partition each), made through the API; a POST need for each."""
    specs = [{"role": "street", "street": f"{prefix}s{k}"} for k in range(STREETS)]
    requests = []
    for k, token in enumerate(_tokens(server, specs)):
        community = f"{prefix}c{k}"
        with httpx.Client(
            base_url=server.base + "/api/v1", headers={"Authorization": f"Bearer {token}"}
        ) as c:
            _post_ok(
                c,
                "/communities",
                {"id": community, "street": f"{prefix}s{k}", "profile": PROFILE, "map": SMALL_MAP},
            )
        requests.append(Request("POST", f"/api/v1/communities/{community}/needs", token, _need()))
    return requests


def _balanced(url: str, workers: int, timeout_s: float = 20.0) -> dict[str, int]:
    """Wait until ``workers`` workers hold all the streets' leases evenly (they even out one a second)."""
    engine = connect_db(url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as c:
                rows = c.execute(
                    text("SELECT owner, count(*) FROM lease WHERE expires_at >= now() GROUP BY owner")
                ).all()
            held = {str(owner)[:8]: int(n) for owner, n in rows}
            even = len(held) == workers and max(held.values()) - min(held.values()) <= 1
            if even and sum(held.values()) == STREETS:
                return held
            if time.monotonic() > deadline:
                return held
            time.sleep(0.5)
    finally:
        engine.dispose()


def _throughput_run(
    config: Config, trees: dict[str, Path], clients: Sequence[int], seconds: float, warmup_s: float
) -> dict[str, Any]:
    """One server set-up, fresh: the load at each client count, after a warm-up."""
    prefix = f"t{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory() as tmp:
        url = _empty(DATABASES[config.code]) if config.database == "postgresql" else None
        with _server(trees[config.code], Path(tmp), url, config.workers) as server:
            requests = _streets(server, prefix)
            leases = _balanced(url, config.workers) if url and config.workers > 1 else None
            result: dict[str, Any] = {"leases_by_worker": leases}
            for n in clients:
                asyncio.run(_drive(server.port, requests, n, warmup_s, f"{prefix}-w{n}"))
                cpu = _cpu_s(server.process.pid), time.process_time()
                load = asyncio.run(_drive(server.port, requests, n, seconds, f"{prefix}-{n}"))
                result[str(n)] = load.summary()
                # Where the two cores went: the server's processes, and the clients (this process).
                done = max(1, result[str(n)]["commands"])
                result[str(n)]["server_cpu_ms_per_command"] = round(
                    (_cpu_s(server.process.pid) - cpu[0]) * 1000 / done, 2
                )
                result[str(n)]["client_cpu_ms_per_command"] = round(
                    (time.process_time() - cpu[1]) * 1000 / done, 2
                )
    return result


def _cpu_s(pid: int) -> float:
    """CPU seconds (user and system) of the process and its children (the workers of ``--workers 2``)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # After the command's name in parentheses: state, ppid, ..., utime and stime are fields 14 and 15.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) == pid or int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _spread(values: list[float], digits: int = 1) -> dict[str, float]:
    return {
        key: round(f(values), digits)
        for key, f in (("median", statistics.median), ("min", min), ("max", max))
    }


def _throughput(
    trees: dict[str, Path], clients: Sequence[int], runs: int, seconds: float, warmup_s: float, quiet: bool
) -> dict[str, Any]:
    raw: dict[str, list[dict[str, Any]]] = {c.name: [] for c in CONFIGS}
    for run in range(runs):
        for config in CONFIGS:
            cs = clients if config.code == "new" and config.database == "postgresql" else (clients[-1],)
            raw[config.name].append(_throughput_run(config, trees, cs, seconds, warmup_s))
            _say(quiet, f"throughput run {run + 1} {config.name}: {_brief(raw[config.name][-1])}")
    summary: dict[str, Any] = {}
    for config in CONFIGS:
        rows = raw[config.name]
        summary[config.name] = {
            n: {key: _spread([r[n][key] for r in rows], 2) for key in POINT}
            for n in rows[0]
            if n != "leases_by_worker"
        }
    top = str(clients[-1])

    def ratio(a: str, b: str, n: str) -> float:
        return round(float(summary[a][n]["per_s"]["median"] / summary[b][n]["per_s"]["median"]), 2)

    ratios = {
        "two_workers_over_one": {str(n): ratio("new_pg_2w", "new_pg_1w", str(n)) for n in clients},
        "group_commit_pg": ratio("new_pg_1w", "old_pg_1w", top),
        "group_commit_sqlite": ratio("new_sqlite_1w", "old_sqlite_1w", top),
        # Per run (configurations taken in turn within a run): the spread of the ratio itself.
        "group_commit_pg_by_run": [
            round(n[top]["per_s"] / o[top]["per_s"], 2)
            for n, o in zip(raw["new_pg_1w"], raw["old_pg_1w"], strict=True)
        ],
    }
    return {"clients": list(clients), "seconds": seconds, "runs": raw, "summary": summary, "ratios": ratios}


def _brief(run: dict[str, Any]) -> str:
    return ", ".join(
        f"{n}: {r['per_s']}/s p99 {r['p99_ms']} ms" for n, r in run.items() if n != "leases_by_worker"
    )


def _say(quiet: bool, line: str) -> None:
    if not quiet:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


# -- 3: an idle partition beside a big re-plan ---------------------------------------------------


def _big(server: Running, prefix: str, needs: int, units: int, rows: int, seed: int) -> tuple[str, str]:
    """A community of ``needs`` open needs and ``units`` resource units on a ``rows`` × ``rows`` grid, in
    incident mode; made through the API (many POSTs, 20 at once). Its cadre's token and its id."""
    community, street = f"{prefix}big", f"{prefix}sbig"
    street_token, cadre = _tokens(
        server, [{"role": "street", "street": street}, {"role": "cadre", "community": community}]
    )
    rng = np.random.default_rng(seed)

    def node() -> str:
        return f"g{rng.integers(rows)}_{rng.integers(rows)}"

    grid = {"grid": {"rows": rows, "cols": rows, "edge_s": 30, "jitter": 0.3, "seed": seed}}
    with httpx.Client(
        base_url=server.base + "/api/v1", headers={"Authorization": f"Bearer {street_token}"}, timeout=120
    ) as c:
        _post_ok(c, "/communities", {"id": community, "street": street, "profile": PROFILE, "map": grid})
    base = f"/api/v1/communities/{community}"
    orgs = max(1, units // 50)
    made: list[Request] = [
        Request(
            "POST",
            f"{base}/organisations",
            cadre,
            json.dumps({"id": f"o{i}", "kind": "volunteer_team"}).encode(),
        )
        for i in range(orgs)
    ]
    asyncio.run(_each(server.port, made))
    resources: list[Request] = []
    total = 0
    while total < units:
        quantity = min(units - total, int(rng.integers(1, 8)))
        i = len(resources)
        body = {
            "id": f"r{i}",
            "organisation": f"o{i % orgs}",
            "capability": CAPABILITIES[i % len(CAPABILITIES)],
            "quantity": quantity,
            "location": node(),
        }
        resources.append(Request("POST", f"{base}/resources", cadre, json.dumps(body).encode()))
        total += quantity
    asyncio.run(_each(server.port, resources))
    reports = [
        Request(
            "POST",
            f"{base}/needs",
            cadre,
            _need(node(), CAPABILITIES[int(rng.integers(len(CAPABILITIES)))], int(rng.integers(1, 5))),
        )
        for _ in range(needs)
    ]
    asyncio.run(_each(server.port, reports))
    # Incident mode last: one re-plan of the whole board, not one per need on the way.
    with httpx.Client(
        base_url=server.base + "/api/v1", headers={"Authorization": f"Bearer {cadre}"}, timeout=120
    ) as c:
        _post_ok(c, f"/communities/{community}/incidents", {"kind": "flood", "level": 2, "exercise": True})
    return cadre, community


async def _each(port: int, requests: Sequence[Request], connections: int = 20) -> None:
    """Every request once, ``connections`` at a time; all must succeed."""
    load = Load()
    queue = list(enumerate(requests))

    async def one() -> None:
        client = Client(port, load)
        try:
            while queue:
                i, request = queue.pop()
                if not await client.send(request, f"each-{secrets.token_hex(8)}-{i}"):
                    raise RuntimeError(f"{request.method} {request.path} refused: {load.statuses}")
        finally:
            client.close()

    await asyncio.gather(*(one() for _ in range(connections)))


def _plan_version(server: Running, token: str, community: str) -> int:
    response = httpx.get(
        f"{server.base}/api/v1/communities/{community}/plan",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    return int(response.json()["version"]) if response.status_code == 200 else 0


def _settle(server: Running, token: str, community: str, quiet_s: float, timeout_s: float = 300) -> float:
    """Wait until the community's plan version stays the same for ``quiet_s``; how long it took."""
    started = last_change = time.monotonic()
    version = _plan_version(server, token, community)
    while time.monotonic() - last_change < quiet_s and time.monotonic() - started < timeout_s:
        time.sleep(0.2)
        now = _plan_version(server, token, community)
        if now != version:
            version, last_change = now, time.monotonic()
    return time.monotonic() - started


def _first_plan(server: Running, token: str, community: str, timeout_s: float = 600) -> float:
    """Seconds until the community's first plan is adopted."""
    started = time.monotonic()
    while _plan_version(server, token, community) == 0:
        if time.monotonic() - started > timeout_s:
            raise RuntimeError(f"no plan for {community} in {timeout_s} s")
        time.sleep(0.2)
    return time.monotonic() - started


def _replan_latency(server: Running, token: str, community: str, location: str) -> float:
    """Seconds from a need reported in the big community until the plan that includes it is adopted."""
    before = _plan_version(server, token, community)
    started = time.monotonic()
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        c.post(
            f"/api/v1/communities/{community}/needs",
            content=_need(location),
            headers={"Content-Type": "application/json", "Idempotency-Key": secrets.token_hex(8)},
        ).raise_for_status()
    while _plan_version(server, token, community) == before:
        time.sleep(0.05)
    return time.monotonic() - started


async def _probe(port: int, request: Request, seconds: float, every_s: float, tag: str) -> Load:
    """One client sending a command every ``every_s`` for ``seconds``."""
    load = Load()
    client = Client(port, load)
    started = time.perf_counter()
    n = 0
    try:
        while time.perf_counter() - started < seconds:
            sent = time.perf_counter()
            await client.send(request, f"{tag}-{n}")
            n += 1
            await asyncio.sleep(max(0.0, every_s - (time.perf_counter() - sent)))
    finally:
        client.close()
    load.seconds = time.perf_counter() - started
    return load


async def _while_replanning(
    port: int, probe: Request, big: Request, seconds: float, every_s: float, tag: str
) -> tuple[Load, Load]:
    """The probe while a need is reported in the big community every second."""
    pushed = Load()
    stop = time.perf_counter() + seconds

    async def push() -> None:
        client = Client(port, pushed)
        n = 0
        try:
            while time.perf_counter() < stop:
                sent = time.perf_counter()
                await client.send(big, f"{tag}-big-{n}")
                n += 1
                await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - sent)))
        finally:
            client.close()

    probed, _ = await asyncio.gather(_probe(port, probe, seconds, every_s, tag), push())
    return probed, pushed


def _replan(
    tree: Path, runs: int, seconds: float, needs: int, units: int, rows: int, seed: int, quiet: bool
) -> dict[str, Any]:
    prefix = f"r{secrets.token_hex(3)}"
    every_s = 0.05
    with tempfile.TemporaryDirectory() as tmp, _server(tree, Path(tmp), _empty(DATABASES["new"])) as server:
        started = time.monotonic()
        cadre, community = _big(server, prefix, needs, units, rows, seed)
        build_s = time.monotonic() - started
        first_plan_s = _first_plan(server, cadre, community)
        replan_s = [_replan_latency(server, cadre, community, f"g{i}_{i}") for i in range(3)]
        # Quiet for longer than a re-plan takes: none is running any more.
        quiet_s = max(2.0, 1.5 * max(replan_s))
        _say(quiet, f"replan: built in {build_s:.0f} s, re-plan {replan_s} s")
        idle = _streets(server, prefix)[0]
        big = Request("POST", f"/api/v1/communities/{community}/needs", cadre, _need("g1_1"))
        out: list[dict[str, Any]] = []
        for run in range(runs):
            _settle(server, cadre, community, quiet_s)
            quiet_load = asyncio.run(_probe(server.port, idle, seconds, every_s, f"{prefix}-q{run}"))
            before = _plan_version(server, cadre, community)
            busy, pushed = asyncio.run(
                _while_replanning(server.port, idle, big, seconds, every_s, f"{prefix}-b{run}")
            )
            replans = _plan_version(server, cadre, community) - before
            row: dict[str, Any] = {
                "idle": quiet_load.summary(),
                "replanning": busy.summary(),
                "big_needs_reported": len(pushed.latencies_s),
                "replans_adopted": replans,
            }
            row["p99_ratio"] = round(row["replanning"]["p99_ms"] / row["idle"]["p99_ms"], 2)
            out.append(row)
            _say(
                quiet,
                f"replan run {run + 1}: idle p99 {row['idle']['p99_ms']} ms, while re-planning "
                f"{row['replanning']['p99_ms']} ms ({replans} re-plans)",
            )
    return {
        "instance": {"open_needs": needs, "resource_units": units, "grid": f"{rows}x{rows}"},
        "probe_every_s": every_s,
        "seconds": seconds,
        "build_s": round(build_s, 1),
        "first_plan_s": round(first_plan_s, 1),
        "replan_latency_s": [round(s, 2) for s in replan_s],
        "runs": out,
        "summary": {
            "idle_p99_ms": _spread([r["idle"]["p99_ms"] for r in out]),
            "replanning_p99_ms": _spread([r["replanning"]["p99_ms"] for r in out]),
            "idle_p50_ms": _spread([r["idle"]["p50_ms"] for r in out]),
            "replanning_p50_ms": _spread([r["replanning"]["p50_ms"] for r in out]),
            "p99_ratio": _spread([r["p99_ratio"] for r in out]),
        },
    }


# -- 4: start and takeover against the log's length -----------------------------------------------


def _service(data_dir: Path, url: str) -> tuple[Engine, Service]:
    """The service as a worker builds it (api/app.py), in this process, without HTTP."""
    engine = connect_db(url)
    store = Store(engine, load_vault(data_dir / "pii.key"))
    service = Service(store, pubsub_for(None), FileMaps(data_dir), leases=leases_for(engine))
    # Never reached: nothing else runs while it does.
    service.url = "http://127.0.0.1:9"
    return engine, service


def _principal(street: str) -> Principal:
    return Principal(0, Role.STREET, street, None, None, None, "bench")


async def _start_in_process(data_dir: Path, url: str, community: str, street: str) -> tuple[float, float]:
    """What a worker's start costs without the process (Python and its imports): seconds until the service has
    loaded the partition and claimed it, and until it has then written a command for it."""
    _no_live_lease(url)
    engine, service = _service(data_dir, url)
    started = time.perf_counter()
    await _within(service, service.start(), "start")
    try:
        loaded = time.perf_counter()
        order = SaveResource(resource=_unit(service, community))
        await _within(
            service,
            service.execute(community, order, _principal(street), lambda _b, _s: (200, None)),
            "command",
        )
        return loaded - started, time.perf_counter() - started
    finally:
        await _within(service, service.stop(), "stop")
        engine.dispose()


async def _within(service: Service, step: Any, name: str, timeout_s: float = 60) -> Any:
    """``step``, or a RuntimeError naming it and what the service still had running when it hung."""
    try:
        return await asyncio.wait_for(step, timeout_s)
    except TimeoutError:
        stacks = io.StringIO()
        for task in [*service._tasks, *service._running]:
            if not task.done():
                task.print_stack(file=stacks)
        raise RuntimeError(
            f"the service's {name} hung for {timeout_s} s; its tasks:\n{stacks.getvalue()}"
        ) from None


def _start_in_process_again(
    data_dir: Path, url: str, community: str, street: str, row: dict[str, Any], quiet: bool
) -> tuple[float, float]:
    """:func:`_start_in_process`, once more if the service hung (kept in ``row["hangs"]`` with its tasks)."""
    try:
        return asyncio.run(_start_in_process(data_dir, url, community, street))
    except RuntimeError as exc:
        row.setdefault("hangs", []).append(str(exc))
        _say(quiet, str(exc))
        return asyncio.run(_start_in_process(data_dir, url, community, street))


def _unit(service: Service, community: str) -> Resource:
    board = service.board(community)
    assert board is not None
    return board.resources[ResourceId("r0")]


async def _pump(data_dir: Path, url: str, community: str, street: str, target: int, batch: int = 200) -> int:
    """Resource edits through the service in-process until the community's board has folded ``target``
    events; ``batch`` at once, so that each round writes them in one transaction. The events it holds."""
    engine, service = _service(data_dir, url)
    principal = _principal(street)
    await service.start()
    try:
        board = service.board(community)
        assert board is not None

        def edit(n: int) -> SaveResource:
            def order(now: Board) -> SaveResource:
                return SaveResource(
                    resource=now.resources[ResourceId("r0")].model_copy(update={"quantity": 1 + n % 3})
                )

            return order  # type: ignore[return-value]

        n = 0
        while board.events < target:
            k = min(batch, target - board.events)
            await asyncio.gather(
                *(
                    service.execute(community, edit(n + i), principal, lambda _b, _s: (200, None))
                    for i in range(k)
                )
            )
            n += k
            board = service.board(community)
            assert board is not None
        return board.events
    finally:
        await service.stop()
        engine.dispose()


def _command(port: int, request: Request, key: str, deadline_s: float) -> float:
    """Send the command (the same key each time) until it is answered 2xx; when (perf_counter)."""
    end = time.perf_counter() + deadline_s
    while time.perf_counter() < end:
        with contextlib.suppress(httpx.TransportError):
            response = httpx.request(
                request.method,
                f"http://127.0.0.1:{port}{request.path}",
                content=request.body,
                headers={
                    "Authorization": f"Bearer {request.token}",
                    "Idempotency-Key": key,
                    "Content-Type": "application/json",
                },
                timeout=30,
            )
            if response.status_code < 300:
                return time.perf_counter()
            if response.status_code != 503:
                raise RuntimeError(f"{request.path}: {response.status_code} {response.text[:300]}")
        time.sleep(0.02)
    raise RuntimeError(f"no answer in {deadline_s} s")


def _owner(url: str, street: str) -> tuple[int, float]:
    """The port of the street's owner, and the seconds its lease has left (by the database's clock)."""
    engine = connect_db(url)
    try:
        with engine.connect() as c:
            row = c.execute(
                text(
                    "SELECT w.url, EXTRACT(EPOCH FROM l.expires_at - now()) FROM lease l "
                    "JOIN worker w ON w.id = l.owner WHERE l.partition = :p AND l.expires_at >= now()"
                ),
                {"p": street},
            ).one()
    finally:
        engine.dispose()
    return int(row[0].rsplit(":", 1)[1]), float(row[1])


def _no_live_lease(url: str) -> None:
    engine = connect_db(url)
    try:
        for _ in range(100):
            with engine.connect() as c:
                if not c.execute(text("SELECT 1 FROM lease WHERE expires_at >= now()")).first():
                    return
            time.sleep(0.1)
    finally:
        engine.dispose()


def _start_once(tree: Path, data_dir: Path, url: str, request: Request, tag: str) -> float:
    """Spawn a worker; seconds until it answers the command."""
    _no_live_lease(url)
    spawned = time.perf_counter()
    process, port = _spawn(tree, data_dir, url)
    try:
        return _command(port, request, tag, 120) - spawned
    finally:
        _stop(process)


def _takeover_once(
    tree: Path, data_dir: Path, url: str, street: str, request: Request, tag: str
) -> tuple[float, float]:
    """Two workers; SIGKILL the partition's owner; seconds until the other answers the command, and the seconds
    of that after the dead owner's lease ran out."""
    _no_live_lease(url)
    first, p1 = _spawn(tree, data_dir, url)
    processes = [first]
    try:
        _wait_healthy(first, p1, data_dir)
        _command(p1, request, f"{tag}-own", 60)
        second, p2 = _spawn(tree, data_dir, url)
        processes.append(second)
        _wait_healthy(second, p2, data_dir)
        # The second's copy caught up from the log (it does so every second).
        time.sleep(2.0)
        owner, left = _owner(url, street)
        victim, survivor = (first, p2) if owner == p1 else (second, p1)
        killed = time.perf_counter()
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        took = _command(survivor, request, tag, 60) - killed
        return took, took - left
    finally:
        for process in processes:
            _stop(process)


def _takeover(tree: Path, runs: int, lengths: Sequence[int], quiet: bool) -> dict[str, Any]:
    prefix = f"k{secrets.token_hex(3)}"
    community, street = f"{prefix}log", f"{prefix}slog"
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = _empty(DATABASES["new"])
        with _server(tree, data_dir, url) as server:
            (token,) = _tokens(server, [{"role": "street", "street": street}])
            with httpx.Client(
                base_url=server.base + "/api/v1", headers={"Authorization": f"Bearer {token}"}
            ) as c:
                _post_ok(
                    c,
                    "/communities",
                    {"id": community, "street": street, "profile": PROFILE, "map": SMALL_MAP},
                )
                _post_ok(c, f"/communities/{community}/organisations", {"id": "o0", "kind": "volunteer_team"})
                body = {
                    "id": "r0",
                    "organisation": "o0",
                    "capability": "supply.water",
                    "quantity": 1,
                    "location": "g0_0",
                }
                _post_ok(c, f"/communities/{community}/resources", body)
        request = Request("POST", f"/api/v1/communities/{community}/needs", token, _need())
        # First the partition as made (a handful of events): the floor of a start, the process's own cost.
        for length in (0, *lengths):
            started = time.monotonic()
            events = asyncio.run(_pump(data_dir, url, community, street, length))
            pump_s = time.monotonic() - started
            row: dict[str, Any] = {"events": events, "made_in_s": round(pump_s, 1)}
            for run in range(runs):
                loaded, answered = _start_in_process_again(data_dir, url, community, street, row, quiet)
                row.setdefault("in_process_load_s", []).append(round(loaded, 3))
                row.setdefault("in_process_first_command_s", []).append(round(answered, 3))
                spawned = _start_once(tree, data_dir, url, request, f"{prefix}-{length}-s{run}")
                row.setdefault("start_s", []).append(round(spawned, 2))
                took, after = _takeover_once(
                    tree, data_dir, url, street, request, f"{prefix}-{length}-t{run}"
                )
                row.setdefault("takeover_s", []).append(round(took, 2))
                row.setdefault("takeover_after_ttl_s", []).append(round(took - LEASE_S, 2))
                row.setdefault("takeover_after_expiry_s", []).append(round(after, 2))
            row["summary"] = {key: _spread(row[key], 3) for key in TIMED}
            out.append(row)
            _say(quiet, f"takeover {events} events: start {row['start_s']} s, takeover {row['takeover_s']} s")
    return {"snapshot_every": SNAPSHOT_EVERY, "lease_s": LEASE_S, "lengths": out}


# -- report ----------------------------------------------------------------------------------------


def _m(cell: dict[str, float], digits: int = 0) -> str:
    return f"{cell['median']:.{digits}f} ({cell['min']:.{digits}f}–{cell['max']:.{digits}f})"


def _table(result: dict[str, Any]) -> str:
    m = result["machine"]
    loads = ", ".join(f"{k} {result[k]['load_average_at_start']}" for k in SECTIONS if k in result)
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores (shared with other engineers' runs; load average at start "
        f"by section: {loads}), "
        f"Python {m['python']}. Median (min–max) of {result['runs']} runs; the "
        "clients run on the same machine. PostgreSQL and Redis on the machine; `before` is 78457c9 (one global "
        "lock), run in the same runs.",
    ]
    for name, table in (
        ("throughput", _throughput_table),
        ("replan", _replan_table),
        ("takeover", _takeover_table),
    ):
        if name in result:
            lines += ["", *table(result[name])]
    return "\n".join(lines) + "\n"


def _throughput_table(t: dict[str, Any]) -> list[str]:
    lines = [
        f"### Commands/s (POST need, own Idempotency-Key), {t['seconds']} s per point, 10 streets round-robin",
        "",
        "| set-up | clients | commands/s | p50 ms | p99 ms | server CPU ms/command | clients' CPU ms/command |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by_clients in t["summary"].items():
        for n, row in by_clients.items():
            cells = [_m(row["per_s"]), _m(row["p50_ms"], 1), _m(row["p99_ms"], 1)]
            cells += [_m(row["server_cpu_ms_per_command"], 2), _m(row["client_cpu_ms_per_command"], 2)]
            lines.append(f"| {name} | {n} | {' | '.join(cells)} |")
    r = t["ratios"]
    lines += [
        "",
        "2 workers (`serve --workers 2`, one port, forwarded to the owner) / 1 worker: "
        + ", ".join(f"{n} clients {v}×" for n, v in r["two_workers_over_one"].items()),
        "",
        f"Group commit, one worker at {t['clients'][-1]} clients, this code / 78457c9: PostgreSQL "
        f"**{r['group_commit_pg']}×** (by run {r['group_commit_pg_by_run']}), SQLite {r['group_commit_sqlite']}×.",
    ]
    return lines


def _replan_table(p: dict[str, Any]) -> list[str]:
    s = p["summary"]
    return [
        f"### An idle partition while another re-plans {p['instance']['open_needs']} needs × "
        f"{p['instance']['resource_units']} units ({p['instance']['grid']} grid)",
        "",
        f"Re-plan (a need reported until its plan is adopted): {p['replan_latency_s']} s. A need every "
        f"{p['probe_every_s'] * 1000:.0f} ms in the idle partition, {p['seconds']} s per phase.",
        "",
        "| phase | p50 ms | p99 ms |",
        "|---|---:|---:|",
        f"| big partition quiet | {_m(s['idle_p50_ms'], 1)} | {_m(s['idle_p99_ms'], 1)} |",
        f"| big partition re-planning | {_m(s['replanning_p50_ms'], 1)} | {_m(s['replanning_p99_ms'], 1)} |",
        "",
        f"p99 ratio (re-planning / quiet): **{_m(s['p99_ratio'], 2)}×**; re-plans adopted per phase: "
        f"{[r['replans_adopted'] for r in p['runs']]}.",
    ]


def _takeover_table(k: dict[str, Any]) -> list[str]:
    lines = [
        f"### Start and takeover against the partition's log (snapshot every {k['snapshot_every']} events, "
        f"lease TTL {k['lease_s']:.0f} s)",
        "",
        "| events | in-process: start() s | start() + first command s | process: spawn → first command s | "
        "takeover: SIGKILL → first command s | takeover − TTL s | lease ran out → first command s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in k["lengths"]:
        cells = " | ".join(_m(row["summary"][key], 2) for key in TIMED)
        lines.append(f"| {row['events']:,} | {cells} |")
    return lines


def main(argv: Sequence[str] | None = None, spawn: Spawn | None = None) -> int:
    """``spawn``: how servers of this worktree's code start (see ``Spawn``); by default each its own Python."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput point")
    parser.add_argument("--replan-seconds", type=float, default=15.0, help="per phase of the re-plan section")
    parser.add_argument("--quick", action="store_true", help="every section at a tiny size (smoke test)")
    parser.add_argument("--old-tree", type=Path, default=Path(tempfile.gettempdir()) / "oldpz")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--lengths",
        type=lambda v: [int(x) for x in v.split(",")],
        help="log lengths (default 1000,10000,100000)",
    )
    parser.add_argument(
        "--sections",
        type=lambda v: v.split(","),
        default=list(SECTIONS),
        help=f"some of {','.join(SECTIONS)}",
    )
    parser.add_argument(
        "--databases",
        type=lambda v: v.split(","),
        default=[DATABASES["new"], DATABASES["old"]],
        help="PostgreSQL databases for this code and 78457c9, emptied before use (default %(default)s)",
    )
    args = parser.parse_args(argv)
    DATABASES.update(zip(("new", "old"), args.databases, strict=True))
    trees = {"new": ROOT, "old": _old_tree(args.old_tree)}
    clients: tuple[int, ...]
    lengths: tuple[int, ...]
    if args.quick:
        clients, runs, seconds, warmup = (1, 4), 1, 0.5, 0.2
        big, lengths, replan_s = (60, 60, 10), (), 2.0
    else:
        clients, runs, seconds, warmup = (1, 10, 50), args.runs, args.seconds, 1.0
        big, lengths, replan_s = (2000, 2000, 100), (1000, 10_000, 100_000), args.replan_seconds
    # A section run alone (--sections) replaces its part of an earlier run's results.
    earlier = args.out / "scale.json"
    result: dict[str, Any] = (
        json.loads(earlier.read_text(encoding="utf-8"))
        if set(args.sections) != set(SECTIONS) and earlier.exists()
        else {}
    )
    result.update(machine=machine(), runs=runs, quick=args.quick)
    sections = {
        "throughput": lambda: _throughput(trees, clients, runs, seconds, warmup, args.quiet),
        "replan": lambda: _replan(ROOT, runs, replan_s, *big, args.seed, args.quiet),
        "takeover": lambda: _takeover(ROOT, runs, args.lengths or lengths, args.quiet),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    _spawn_here[:] = [spawn] if spawn is not None else []
    try:
        for name in args.sections:
            load = [round(x, 2) for x in os.getloadavg()]
            result[name] = {"load_average_at_start": load, **sections[name]()}
            # Written after each section: a later one failing keeps the earlier ones.
            (args.out / "scale.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            table = _table(result)
            (args.out / "scale.md").write_text(table, encoding="utf-8")
    finally:
        _spawn_here.clear()
    if not args.quiet:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    # A stop (SIGTERM) unwinds, so that the servers started are stopped too.
    signal.signal(signal.SIGTERM, lambda _s, _f: sys.exit(1))
    sys.exit(main())
