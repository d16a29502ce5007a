"""Event-to-push latency of the live service: a need reported over REST until websocket clients hold it.

Run: ``python -m benchmarks.service_latency [--clients 100,1000] [--events 30]``. Starts a real
``pingzhan serve`` on a free port with a fresh SQLite file, loads a community with a 141×141 street grid
(19,881 nodes), 1,000 resource units and 200 open needs, connects N websocket clients to its channel, then
reports needs one at a time and records, per client, when two messages arrive: ``need_reported`` (the
event pipeline: validate, log, publish, push) and the ``plan_proposed`` diff that serves the need (the same
plus the 100 ms debounce and the re-plan). Writes benchmarks/results/service_latency.json and .md.
"""

import argparse
import asyncio
import gc
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from api.auth import Role, create_token
from api.db.database import connect as connect_db
from api.db.database import default_url
from benchmarks.harness.machine import machine

RESULTS = Path(__file__).parent / "results"
ROWS = COLS = 141
CAPABILITIES = ("rescue.boat", "medical.first_aid", "supply.water", "transport.vehicle", "care.visit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_dir: Path, port: int, extra: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    log = (data_dir / "server.log").open("ab")
    args = [
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *extra,
    ]
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _load(base: str, street: str, cadre: str, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def node() -> str:
        return f"g{rng.integers(ROWS)}_{rng.integers(COLS)}"

    s = httpx.Client(base_url=base + "/api/v1", headers={"Authorization": f"Bearer {street}"}, timeout=60)
    c = httpx.Client(base_url=base + "/api/v1", headers={"Authorization": f"Bearer {cadre}"}, timeout=60)
    s.post(
        "/communities",
        json={
            "id": "bench",
            "street": "s1",
            "profile": "strong_social_orgs",
            "map": {"grid": {"rows": ROWS, "cols": COLS, "edge_s": 30, "jitter": 0.3, "seed": seed}},
        },
    ).raise_for_status()
    for i in range(40):
        c.post(
            "/communities/bench/organisations", json={"id": f"o{i}", "kind": "volunteer_team"}
        ).raise_for_status()
    units, i = 0, 0
    while units < 1000:
        quantity = min(1000 - units, int(rng.integers(1, 8)))
        c.post(
            "/communities/bench/resources",
            json={
                "id": f"r{i}",
                "organisation": f"o{i % 40}",
                "capability": CAPABILITIES[i % 5],
                "quantity": quantity,
                "location": node(),
            },
        ).raise_for_status()
        units += quantity
        i += 1
    # Incident mode: re-plans follow each change (normal times match on a schedule instead).
    c.post(
        "/communities/bench/incidents", json={"kind": "flood", "level": 2, "exercise": True}
    ).raise_for_status()
    for _ in range(200):
        c.post(
            "/communities/bench/needs",
            json={
                "capability": CAPABILITIES[int(rng.integers(5))],
                "quantity": int(rng.integers(1, 4)),
                "location": node(),
                "priority": int(rng.integers(1, 5)),
                "max_travel_s": 1800,
            },
        ).raise_for_status()


@dataclass(frozen=True)
class Loaded:
    port: int
    street: str
    cadre: str
    load_s: float
    # The server process, for benchmarks that read its CPU time.
    pid: int


@contextmanager
def loaded_server(seed: int, extra: tuple[str, ...] = ()) -> Iterator[Loaded]:
    """A real server on a free port with a fresh SQLite file and the instance loaded, its last re-plan
    settled, and a street's and a cadre's token; stopped on the way out. ``extra``: more serve options."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        engine = connect_db(default_url(data_dir))
        now = datetime.now(UTC)
        street = create_token(engine, role=Role.STREET, street="s1", at=now)
        cadre = create_token(engine, role=Role.CADRE, community="bench", at=now)
        engine.dispose()
        port = free_port()
        process = _start(data_dir, port, extra)
        try:
            started = time.perf_counter()
            _load(f"http://127.0.0.1:{port}", street, cadre, seed)
            load_s = time.perf_counter() - started
            time.sleep(1.0)
            yield Loaded(port, street, cadre, load_s, process.pid)
        finally:
            process.terminate()
            process.wait(10)


async def _client(url: str, token: str, compression: str | None) -> ClientConnection:
    ws = await connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        max_queue=None,
        compression=compression,
    )
    await ws.send(json.dumps({"type": "subscribe", "channels": {"community:bench": None}}))
    while json.loads(await ws.recv()).get("type") != "snapshot":
        pass
    return ws


async def _measure(
    base: str, ws_url: str, cadre: str, clients: int, events: int, seed: int, compression: str | None
) -> dict[str, Any]:
    sockets = []
    for k in range(0, clients, 50):
        sockets += await asyncio.gather(
            *(_client(ws_url, cadre, compression) for _ in range(min(50, clients - k)))
        )
    rng = np.random.default_rng(seed + clients)
    # The clients' own garbage collections would stop all 1,000 of them at once: not the server's latency.
    gc.collect()
    gc.freeze()
    gc.disable()
    reported: list[float] = []
    planned: list[float] = []
    slowest: list[list[float]] = []
    async with httpx.AsyncClient(
        base_url=base + "/api/v1", headers={"Authorization": f"Bearer {cadre}"}
    ) as http:
        for e in range(events):
            need_id = f"probe-{clients}-{e}"

            async def wait(ws: ClientConnection, start: float, need_id: str) -> tuple[float, float]:
                got_report = got_plan = 0.0
                mark = need_id.encode()
                while not (got_report and got_plan):
                    raw = await ws.recv(decode=False)
                    now = time.perf_counter()
                    # Only the messages naming the need are read: the clients share the server's cores, and
                    # parsing every message in 1,000 clients would weigh on what is measured.
                    if mark not in raw:
                        continue
                    m = json.loads(raw)
                    data = m.get("data", {})
                    if m.get("type") == "need_reported" and data["event"]["need"]["id"] == need_id:
                        got_report = now - start
                    elif m.get("type") == "plan_proposed" and (
                        # The plan that takes the need into account: a dispatch for it, or its unmet entry.
                        any(d["need"] == need_id for d in data["changed"])
                        or any(u["need"] == need_id for u in data["event"]["unmet"])
                    ):
                        got_plan = now - start
                return got_report, got_plan

            start = time.perf_counter()
            waits = [asyncio.create_task(wait(ws, start, need_id)) for ws in sockets]
            response = await http.post(
                "/communities/bench/needs",
                json={
                    "id": need_id,
                    "capability": "supply.water",
                    "quantity": 1,
                    "location": f"g{rng.integers(ROWS)}_{rng.integers(COLS)}",
                    "priority": 5,
                },
            )
            response.raise_for_status()
            got = await asyncio.wait_for(asyncio.gather(*waits), 60)
            for got_report, got_plan in got:
                reported.append(got_report * 1000)
                planned.append(got_plan * 1000)
            # The slowest client of each probe: whether a tail is one probe or all of them.
            slowest.append([round(max(g[i] for g in got) * 1000, 1) for i in (0, 1)])
            await asyncio.sleep(0.3)  # let the re-plan settle, so each probe starts from a quiet service
    gc.enable()
    gc.unfreeze()
    for ws in sockets:
        await ws.close()
    return {
        "clients": clients,
        "events": events,
        "need_reported_ms": _stats(reported),
        "plan_diff_ms": _stats(planned),
        "slowest_per_probe_ms": slowest,
    }


def _stats(values: list[float]) -> dict[str, float]:
    array = np.array(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 1),
        "p99": round(float(np.percentile(array, 99)), 1),
        "max": round(float(array.max()), 1),
        "samples": len(values),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", default="100,1000")
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--compression",
        choices=("deflate", "none"),
        default="deflate",
        help="what the clients offer: permessage-deflate as browsers do (default), or none",
    )
    parser.add_argument("--ws-deflate", action="store_true", help="serve with pingzhan serve --ws-deflate")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    compression = None if args.compression == "none" else args.compression
    with loaded_server(args.seed, ("--ws-deflate",) if args.ws_deflate else ()) as server:
        base, ws_url = f"http://127.0.0.1:{server.port}", f"ws://127.0.0.1:{server.port}/ws"
        runs = [
            asyncio.run(_measure(base, ws_url, server.cadre, int(n), args.events, args.seed, compression))
            for n in args.clients.split(",")
        ]
    machine_info = machine()
    result = {
        "machine": machine_info,
        "instance": {
            "road_nodes": ROWS * COLS,
            "resource_units": 1000,
            "open_needs": 200,
            "load_s": round(server.load_s, 1),
        },
        "compression": args.compression,
        "server_deflate": args.ws_deflate,
        "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "service_latency.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    m: dict[str, Any] = machine_info
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; the clients run on it too), Python {m['python']}. "
        f"{args.events} needs reported one at a time; latency from the POST until each client holds the message; "
        f"clients offer compression: {args.compression}; server --ws-deflate: {args.ws_deflate}.",
        "",
        "| clients | need_reported p50 ms | p99 ms | plan diff p50 ms | p99 ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        r, p = run["need_reported_ms"], run["plan_diff_ms"]
        lines.append(f"| {run['clients']} | {r['p50']} | {r['p99']} | {p['p50']} | {p['p99']} |")
    table = "\n".join([*lines, ""])
    (args.out / "service_latency.md").write_text(table, encoding="utf-8")
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
