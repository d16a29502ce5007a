"""Server CPU per update with 1, 100 and 1,000 open console pages.

Run: ``python -m benchmarks.console_load [--pages 1,100,1000] [--updates 10] [--old-updates 3]``. Starts a real
``pingzhan serve`` on a free port with a fresh SQLite file and loads the instance of
benchmarks/service_latency.py (141×141 street grid, 1,000 resource units, 200 open needs, incident mode). Then,
for each number of pages N, opens N simulated console pages: websocket clients subscribed to the community's
channel as a cadre's console is, each making exactly the REST reads a cadre's page on the emergency tab makes
for each message it receives, under one of two read policies:

- ``diffs`` (the console now, api/console/live.js): the page applies the message and reads again only the parts
  the message names in ``reload`` (api/channels.py, RELOAD, and api/people_channels.py, GOVERNANCE_RELOAD: the
  read policy, one table for the console and this benchmark) that a cadre's emergency page holds; everything
  after a snapshot. Plain diffs read nothing.
- ``refresh`` (the console before): every message (60 ms debounce per page) re-reads everything the emergency
  tab shows, the ``CADRE_READS`` below.

A stream of updates is sent: each a need reported over REST, which the server answers with ``need_reported`` and,
after its debounce, the ``plan_proposed`` diff that serves it. An update ends when every page holds the plan diff
and has made its reads. Server CPU is the server process's utime + stime from /proc/<pid>/stat over the updates,
less what it spends idle over the same time, per update. Writes benchmarks/results/console_load.json and .md.
What the server does with each message (its fan-out to sockets, api/hub.py and api/routes/ws.py) is measured as
the tree has it when the benchmark runs.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from api.channels import RELOAD
from api.people_channels import GOVERNANCE_RELOAD
from benchmarks.harness.machine import machine
from benchmarks.service_latency import ROWS, loaded_server

RESULTS = Path(__file__).parent / "results"
COMMUNITY = "/api/v1/communities/bench"
# What a cadre's page on the emergency tab holds during an incident, by part (its state.data key), and the GET
# that reads each (api/console/refresh.js, readers(); the map is read once, on the first load only).
CADRE_READS = {
    "community": COMMUNITY,
    "me": "/api/v1/me",
    "needs": f"{COMMUNITY}/needs",
    "dispatches": f"{COMMUNITY}/assignments",
    "resources": f"{COMMUNITY}/resources",
    "organisations": f"{COMMUNITY}/organisations",
    "plan": f"{COMMUNITY}/plan",
    "requests": f"{COMMUNITY}/requests",
    "checks": f"{COMMUNITY}/checks",
    # Its warnings' proposals (api/console/warnings.js), read again when one comes or is decided.
    "warnings": f"{COMMUNITY}/warnings?pending=true",
}
DEBOUNCE_S = 0.06  # the page's own, before it reads (live.js)
CONNECTIONS = 64  # keep-alive connections the pages' reads share
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Http:
    """A few keep-alive HTTP/1.1 connections over raw asyncio: the client's own cost per GET stays small."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self.gets = 0

    async def open(self) -> None:
        for _ in range(CONNECTIONS):
            self.idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))

    async def get(self, path: str) -> int:
        reader, writer = await self.idle.get()
        try:
            request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {self.token}\r\n\r\n"
            writer.write(request.encode("latin-1"))
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            length = next(
                (int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0
            )
            if length:
                await reader.readexactly(length)
            self.gets += 1
            return int(head[0].split(" ", 2)[1])
        finally:
            self.idle.put_nowait((reader, writer))

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()


@dataclass(eq=False)
class Page:
    """One open console page: a websocket and the reads its policy makes for each message."""

    ws: ClientConnection
    http: Http
    policy: str
    seen: set[str] = field(default_factory=set)  # needs whose plan diff arrived
    busy: int = 0  # reads under way, or waiting for the debounce
    timer: asyncio.TimerHandle | None = None
    messages: int = 0
    reads: set[asyncio.Task[None]] = field(default_factory=set)

    async def listen(self) -> None:
        async for raw in self.ws:
            m = json.loads(raw)
            if "seq" not in m or m.get("type") == "subscribed":
                continue
            self.messages += 1
            data = m.get("data", {})
            if m["type"] == "plan_proposed":
                self.seen.update(d["need"] for d in data["changed"])
                self.seen.update(u["need"] for u in data["event"]["unmet"])
            if self.policy == "refresh":
                self._debounce()
            elif m["type"] == "snapshot":
                self._read(list(CADRE_READS))
            else:
                self._read([p for p in data.get("reload", []) if p in CADRE_READS])

    def _debounce(self) -> None:
        if self.timer is None:
            self.busy += 1
        else:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(DEBOUNCE_S, self._fire)

    def _fire(self) -> None:
        self.timer = None
        self.busy -= 1
        self._read(list(CADRE_READS))

    def _read(self, parts: list[str]) -> None:
        if parts:
            self.busy += 1
            task = asyncio.ensure_future(self._gets(parts))
            self.reads.add(task)
            task.add_done_callback(self.reads.discard)

    async def _gets(self, parts: list[str]) -> None:
        try:
            await asyncio.gather(*(self.http.get(CADRE_READS[p]) for p in parts))
        finally:
            self.busy -= 1


async def _page(url: str, token: str, http: Http, policy: str) -> Page:
    ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None)
    await ws.send(json.dumps({"type": "subscribe", "channels": {"community:bench": None}}))
    # The first load (and the snapshot's reads) is not an update: the pages start with what they hold.
    while json.loads(await ws.recv()).get("type") != "snapshot":
        pass
    return Page(ws, http, policy)


async def _run(
    port: int, pid: int, cadre: str, pages: int, policy: str, updates: int, seed: int
) -> dict[str, Any]:
    http = Http(port, cadre)
    await http.open()
    opened: list[Page] = []
    for k in range(0, pages, 50):
        opened += await asyncio.gather(
            *(_page(f"ws://127.0.0.1:{port}/ws", cadre, http, policy) for _ in range(min(50, pages - k)))
        )
    listeners = [asyncio.create_task(p.listen()) for p in opened]
    await asyncio.sleep(1.0)
    # What the server spends doing nothing (its timers, the sockets' keep-alive), to take off each update.
    start = cpu_s(pid)
    await asyncio.sleep(2.0)
    idle_rate = (cpu_s(pid) - start) / 2.0
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {cadre}"}
    ) as post:
        per_update, walls, messages = [], [], []
        gets = http.gets
        for u in range(updates):
            need = f"probe-{policy}-{pages}-{u}"
            before_cpu, before_wall = cpu_s(pid), time.perf_counter()
            received = sum(p.messages for p in opened)
            response = await post.post(
                "/communities/bench/needs",
                json={
                    "id": need,
                    "capability": "supply.water",
                    "quantity": 1,
                    "location": f"g{(seed + 37 * u) % ROWS}_{(seed * 3 + 11 * u) % ROWS}",
                    "priority": 5,
                },
            )
            response.raise_for_status()
            while not all(need in p.seen and not p.busy for p in opened):
                await asyncio.sleep(0.02)
            # Anything the update still sets off (a late message, a page's reads) belongs to it.
            await asyncio.sleep(0.3)
            while any(p.busy for p in opened):
                await asyncio.sleep(0.02)
            wall = time.perf_counter() - before_wall
            per_update.append(((cpu_s(pid) - before_cpu) - idle_rate * wall) * 1000)
            walls.append(wall)
            messages.append((sum(p.messages for p in opened) - received) / pages)
            await asyncio.sleep(0.2)
    for task in listeners:
        task.cancel()
    for p in opened:
        await p.ws.close()
    http.close()
    return {
        "pages": pages,
        "policy": policy,
        "updates": updates,
        "cpu_ms_per_update": round(sum(per_update) / updates, 1),
        "cpu_ms_min": round(min(per_update), 1),
        "cpu_ms_max": round(max(per_update), 1),
        "idle_cpu_ms_per_s": round(idle_rate * 1000, 1),
        "wall_s_per_update": round(sum(walls) / updates, 2),
        "messages_per_page_per_update": round(sum(messages) / updates, 2),
        "gets_per_update": round((http.gets - gets) / updates, 1),
    }


def _markdown(result: dict[str, Any]) -> str:
    runs = {(r["policy"], r["pages"]): r for r in result["runs"]}
    pages = sorted({r["pages"] for r in result["runs"]})
    lines = [
        "# Server CPU per update with open console pages",
        "",
        f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores (shared with other work; "
        "figures are CPU time of the server process, not wall time). Instance: the one of "
        "benchmarks/service_latency.py (141×141 grid, 1,000 units, 200 open needs, incident). One update: a need "
        "reported and the plan diff that serves it. Server idle CPU over the same time taken off.",
        "",
        "| pages | policy | CPU ms / update | min | max | GETs / update | messages / page | wall s / update |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for policy in ("diffs", "refresh"):
        for n in pages:
            r = runs.get((policy, n))
            if r:
                lines.append(
                    f"| {n} | {policy} | {r['cpu_ms_per_update']} | {r['cpu_ms_min']} | {r['cpu_ms_max']} | "
                    f"{r['gets_per_update']} | {r['messages_per_page_per_update']} | {r['wall_s_per_update']} |"
                )
    lines += ["", "Ratio of CPU per update, most pages to one page (target ≤ 20× with diffs):", ""]
    for policy, ratio in result["ratios"].items():
        lines.append(f"- {policy}: {ratio}×")
    lines += [
        "",
        "Read policy (api/channels.py, RELOAD, and api/people_channels.py, GOVERNANCE_RELOAD; a cadre's "
        "emergency page holds: "
        + ", ".join(sorted(CADRE_READS))
        + "): a message names in `reload` the parts a page holding them reads again; a cadre's page reads "
        "nothing for any other message. Message types with a reload a cadre's emergency page holds:",
        "",
    ]
    for kind, parts in sorted({**RELOAD, **GOVERNANCE_RELOAD}.items()):
        held = [p for p in parts if p in CADRE_READS]
        if held:
            lines.append(f"- `{kind}`: {', '.join(held)}")
    uncommitted = ", ".join(result["uncommitted"]) or "none"
    lines += [
        "",
        f"The server as the working tree had it: commit {result['commit']}, with changes not yet committed in "
        f"{uncommitted} (the websocket fan-out, api/hub.py and api/routes/ws.py, among them when listed).",
    ]
    return "\n".join(lines) + "\n"


def _tree() -> dict[str, Any]:
    """The commit the tree was at, and the files changed in it and not committed yet (measured as they were)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "uncommitted": changed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", default="1,100,1000")
    parser.add_argument("--updates", type=int, default=10, help="updates per number of pages, diffs policy")
    parser.add_argument(
        "--old-updates", type=int, default=3, help="updates per number of pages, refresh policy"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    counts = [int(n) for n in args.pages.split(",")]
    runs = []
    with loaded_server(args.seed) as server:
        for policy, updates in (("diffs", args.updates), ("refresh", args.old_updates)):
            for n in counts:
                run = asyncio.run(
                    _run(server.port, server.pid, server.cadre, n, policy, updates, args.seed + n)
                )
                sys.stderr.write(json.dumps(run) + "\n")
                runs.append(run)
    by = {(r["policy"], r["pages"]): r["cpu_ms_per_update"] for r in runs}
    low, high = min(counts), max(counts)
    ratios = {
        policy: round(by[(policy, high)] / by[(policy, low)], 1)
        for policy in ("diffs", "refresh")
        if (policy, high) in by and (policy, low) in by and by[(policy, low)] > 0
    }
    result = {"machine": machine(), **_tree(), "ratios": ratios, "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console_load.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "console_load.md").write_text(_markdown(result), encoding="utf-8")
    sys.stdout.write(_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
