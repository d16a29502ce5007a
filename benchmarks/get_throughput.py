"""GET throughput of the hot board reads against ``/healthz``, in the same run on the same server.

Run: ``python -m benchmarks.get_throughput [--seconds 5] [--rounds 2] [--connections 10]``. Starts a real
``pingzhan serve`` on a free port with a fresh SQLite file and loads the instance of
benchmarks/service_latency.py (141×141 street grid, 1,000 resource units, 200 open needs, incident mode,
so a plan of about 200 needs), then, per round, drives the server with ``--connections`` keep-alive
connections on: ``/healthz``, GET plan, GET needs, GET assignments, GET plan and needs again with the
``If-None-Match`` of the first answer (what a browser sends when it holds that version), in turn, half a
second each, until each has had ``--seconds``. A cadre's token. Requests per second per target, and each as a ratio to ``/healthz`` of the same
round, since the machine is shared. The client is a few lines of asyncio over raw HTTP/1.1, so that its own
cost per request is small and alike for every target. Writes benchmarks/results/get_throughput.json and .md.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness.machine import machine
from benchmarks.service_latency import COLS, ROWS, loaded_server

RESULTS = Path(__file__).parent / "results"
BASE = "/api/v1/communities/bench"
TARGETS = {
    "healthz": "/healthz",
    "plan": f"{BASE}/plan",
    "needs": f"{BASE}/needs",
    "assignments": f"{BASE}/assignments",
}
# Read again with the ETag of the first answer: 304 and no body when the server knows the caller has it.
CONDITIONAL = ("plan", "needs")
SLICE = 0.5


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], int]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    length = int(headers.get("content-length", "0"))
    if length:
        await reader.readexactly(length)
    return status, headers, length


def _request(path: str, token: str, etag: str | None = None) -> bytes:
    extra = f"If-None-Match: {etag}\r\n" if etag else ""
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n{extra}\r\n".encode(
        "latin-1"
    )


async def _drive(port: int, request: bytes, connections: int, seconds: float, run: dict[str, Any]) -> None:
    """``connections`` clients send ``request`` for ``seconds``; counts added to ``run``."""
    statuses: dict[str, int] = run.setdefault("statuses", {})

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                status, _, length = await _get(reader, writer, request)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                run["body_bytes"] = run.get("body_bytes", 0) + length
        finally:
            writer.close()

    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(*(one() for _ in range(connections)))
    run["seconds"] = run.get("seconds", 0.0) + time.perf_counter() - start


async def _round(port: int, token: str, connections: int, seconds: float) -> dict[str, Any]:
    """Every target in turn, SLICE seconds each, until each has had ``seconds``: a change in what else runs
    on the machine weighs on every target alike."""
    requests = {name: _request(path, token) for name, path in TARGETS.items()}
    etags: dict[str, str | None] = {}
    for name in CONDITIONAL:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        _, headers, _ = await _get(reader, writer, requests[name])
        writer.close()
        etags[name] = headers.get("etag")
        requests[f"{name}_if_none_match"] = _request(TARGETS[name], token, etags[name])
    runs: dict[str, dict[str, Any]] = {name: {} for name in requests}
    for _ in range(max(1, round(seconds / SLICE))):
        for name, request in requests.items():
            await _drive(port, request, connections, SLICE, runs[name])
    for run in runs.values():
        done = sum(run["statuses"].values())
        run["requests"] = done
        run["per_s"] = round(done / run["seconds"], 1)
        run["mean_body_bytes"] = round(run.pop("body_bytes", 0) / done) if done else 0
        run["seconds"] = round(run["seconds"], 2)
    for name in CONDITIONAL:
        runs[f"{name}_if_none_match"]["etag"] = etags[name]
    healthz = runs["healthz"]["per_s"]
    for run in runs.values():
        run["ratio_to_healthz"] = round(run["per_s"] / healthz, 2)
    return runs


def _table(result: dict[str, Any]) -> str:
    rounds = result["rounds"]
    head = "| target | " + " | ".join(f"round {i + 1} req/s | ratio" for i in range(len(rounds))) + " |"
    rule = "|---|" + "---:|---:|" * len(rounds)
    rows = [
        f"| {name} | "
        + " | ".join(f"{r[name]['per_s']:.0f} | {r[name]['ratio_to_healthz']:.2f}×" for r in rounds)
        + " |"
        for name in rounds[0]
    ]
    m = result["machine"]
    note = (
        f"Machine: {m['cpu']}, {m['cores']} cores (shared), Python {m['python']}. {result['connections']} "
        f"keep-alive connections, {result['seconds']} s per target in slices of {SLICE} s taken in turn, a "
        "cadre's token; the board is not "
        "changing meanwhile (every reader of one version). `_if_none_match`: the same GET sending the ETag "
        "of the first answer (304, no body)."
    )
    return "\n".join([note, "", head, rule, *rows, ""])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with loaded_server(args.seed) as server:
        rounds = [
            asyncio.run(_round(server.port, server.cadre, args.connections, args.seconds))
            for _ in range(args.rounds)
        ]
    result = {
        "machine": machine(),
        "connections": args.connections,
        "seconds": args.seconds,
        "instance": {"road_nodes": ROWS * COLS, "resource_units": 1000, "open_needs": 200},
        "rounds": rounds,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "get_throughput.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    table = _table(result)
    (args.out / "get_throughput.md").write_text(table, encoding="utf-8")
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
