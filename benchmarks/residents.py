"""500 residents submitting appeals at once against one community (issue 17): all accepted or rate-limited, none
lost, and the cadre's queue updates live.

Run: ``python -m benchmarks.residents [--residents 500] [--buildings 20] [--out DIR]`` (``--quick``: 40 residents,
SQLite only, for the smoke test). Each database (SQLite by default; PostgreSQL ``residents_bench`` on
127.0.0.1:5432, emptied first, with ``--pubsub redis://127.0.0.1:6379``) gets a real ``pingzhan serve`` (started
as benchmarks/scale.py starts its servers) and one community registered through the REST API with a street token:
``--buildings`` buildings in grids of five plus one more building, each given its link by ``POST
/communities/{c}/codes {}``. A cadre's websocket is subscribed to ``appeals:{c}`` and stamps every
``appeal_received`` message as it arrives. Then, one after another:

1. ``spread``: every resident submits at once (asyncio + httpx, each over its own connection from its own
   loopback address, 127.a.b.c, so that the per-address limit counts them as so many phones), spread round-robin
   over the buildings;
2. ``one_building``: as many residents again (other addresses) all at the extra building's link: its
   per-building limit (30 in 10 minutes) takes the first ones, the others are answered 429;
3. ``staff``: the baseline, the same number of need reports (``POST /communities/{c}/needs``) by a cadre, at the
   same concurrency, over connections of their own too.

Every submission carries an Idempotency-Key and is sent again with it after a connection error, and after a
502/503/504 as the residents' page does (five times, 1, 2, 4, 8, 16 s later; counted apart: a worker whose lease
renewal waited too long behind the burst loses its own partition and answers 503 until it takes it back, counted
from its log as ``partition_lost``). Per phase: the final statuses (201 / 429 / other, other must be 0), latency
min/p50/p99/max (from a request's start, its connection's opening included, to its final answer), the server's
and the clients' CPU per request, and for residents the time from the first submit until the cadre's websocket
held every accepted appeal. "None lost": every 201's receipt is in ``GET /communities/{c}/appeals?state=all`` and
``GET /public/appeals/{receipt}`` answers it (each looked up from its resident's own address), the websocket got
exactly one ``appeal_received`` per 201; after the server is stopped and started again on the same data, every
receipt is still in both. The page weight of ``/r/{code}`` (the html and every script and style sheet it loads,
ES-module imports followed) is recorded, as sent and gzipped, when the page exists. Writes residents.json and
residents.md to benchmarks/results (or ``--out``).
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import ssl
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.console_load import cpu_s
from benchmarks.harness.machine import machine
from benchmarks.scale import PROFILE, SMALL_MAP, Running, Spawn, _empty, _server, _spawn_here, _tokens

# This run's part of every Idempotency-Key.
RUN = uuid.uuid4().hex

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parents[1]
DATABASES = ("sqlite", "postgresql")
PHASES = ("spread", "one_building", "staff")
COMMUNITY = "c1"
STREET = "s1"
GRID_OF = 5  # buildings to a grid
KINDS = ("help", "repair", "dispute")
NOTES = ("楼道灯坏了，晚上看不见", "家里老人需要帮忙买药", "楼上漏水到我家天花板", "邻居装修噪音太大")
TRIES = 20  # a submission sent again after a connection error, with the same key
# ...and after a 502/503/504 (a server busy, or its community moving), as the residents' page does
# (api/console/resident.js, post()): five times, 1, 2, 4, 8 and 16 s later.
BUSY = (502, 503, 504)
BUSY_RESENDS = 5
# One context for every client: httpx makes one for each (loading the CA store, ~70 ms of CPU) even for http://.
SSL = ssl.create_default_context()


def _client(base: str, address: str, **kwargs: Any) -> httpx.AsyncClient:
    """A client over a connection of its own from ``address``."""
    transport = httpx.AsyncHTTPTransport(local_address=address, verify=SSL)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=120, trust_env=False, **kwargs)


@dataclass
class Answer:
    status: int  # 0: no answer after TRIES connection errors
    latency_s: float
    started: float
    retries: int  # after a connection error
    busy: int = 0  # resent after a 502/503/504
    receipt: str | None = None
    retry_after: str | None = None


@dataclass
class Queue:
    """The cadre's websocket on ``appeals:{c}``: when each appeal_received arrived, by receipt."""

    ws: ClientConnection
    arrived: dict[str, float] = field(default_factory=dict)
    received: int = 0  # appeal_received messages, duplicates included

    async def listen(self) -> None:
        async for raw in self.ws:
            m = json.loads(raw)
            if m.get("type") == "appeal_received":
                self.received += 1
                self.arrived.setdefault(m["data"]["appeal"]["receipt"], time.perf_counter())

    async def until(self, receipts: set[str], timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while not receipts <= self.arrived.keys():
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True


def addresses(n: int, block: int) -> list[str]:
    """``n`` loopback addresses of their own, 127.block.x.y (Linux routes all of 127/8 to lo)."""
    return [f"127.{block}.{i // 250}.{i % 250 + 1}" for i in range(n)]


async def _send(
    base: str, address: str, path: str, body: dict[str, Any], headers: dict[str, str], go: asyncio.Event
) -> Answer:
    """One submission over a connection of its own from ``address``, once ``go`` is set; sent again with the
    same Idempotency-Key after a connection error, and after a busy answer as the residents' page does."""
    async with _client(base, address) as client:
        await go.wait()
        started = time.perf_counter()
        retries = busy = 0
        while retries < TRIES:
            try:
                response = await client.post(path, json=body, headers=headers)
            except httpx.TransportError:
                retries += 1
                await asyncio.sleep(0.05 * retries)
                continue
            if response.status_code in BUSY and busy < BUSY_RESENDS:
                await asyncio.sleep(2**busy)
                busy += 1
                continue
            answer = Answer(response.status_code, time.perf_counter() - started, started, retries, busy)
            if response.status_code == 201:
                answer.receipt = response.json().get("receipt")
            answer.retry_after = response.headers.get("Retry-After")
            return answer
        return Answer(0, time.perf_counter() - started, started, TRIES, busy)


async def _burst(sends: Sequence[Callable[[asyncio.Event], Awaitable[Answer]]], pid: int) -> dict[str, Any]:
    """Every client made ready (its own transport, waiting for ``go``), then all released at once; the answers'
    figures, with the CPU the server (process ``pid``) and these clients spent until the last answer."""
    go = asyncio.Event()
    tasks = [asyncio.ensure_future(send(go)) for send in sends]
    # Each task makes its client and waits at ``go`` the first time it runs.
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    server, client = cpu_s(pid), time.process_time()
    go.set()
    answers = list(await asyncio.gather(*tasks))
    per = 1000 / len(answers)
    return {
        **_stats(answers),
        "server_cpu_ms_per_request": round((cpu_s(pid) - server) * per, 2),
        "client_cpu_ms_per_request": round((time.process_time() - client) * per, 2),
        "_answers": answers,
    }


def _stats(answers: list[Answer]) -> dict[str, Any]:
    statuses = [a.status for a in answers]
    ms = np.array([a.latency_s for a in answers]) * 1000
    return {
        "sent": len(answers),
        "201": statuses.count(201),
        "429": statuses.count(429),
        "other": len(statuses) - statuses.count(201) - statuses.count(429),
        "other_statuses": sorted({s for s in statuses if s not in (201, 429)}),
        "retried_after_connection_error": sum(a.retries for a in answers),
        # Busy answers (503 while the worker had lost its partition's lease), each sent again.
        "resent_after_busy": sum(a.busy for a in answers),
        "requests_resent_after_busy": sum(1 for a in answers if a.busy),
        "min_ms": round(float(ms.min()), 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
        "wall_s": round(max(a.started + a.latency_s for a in answers) - min(a.started for a in answers), 2),
    }


def _appeal(i: int) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": KINDS[i % 3], "urgency": "normal", "note": f"{NOTES[i % 4]}（{i}号）"}
    if i % 2:
        body["phone"] = f"138{i:08d}"
    return body


async def _residents(
    base: str, pid: int, codes: list[str], n: int, block: int, queue: Queue, tag: str
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``n`` residents at once, resident i at ``codes[i % len]``; the phase's figures, the 201s' receipts and the
    addresses that got them."""
    before = queue.received
    sent_from = addresses(n, block)
    sends = [
        (
            lambda go, i=i: _send(
                base,
                sent_from[i],
                f"/public/buildings/{codes[i % len(codes)]}/appeals",
                _appeal(i),
                # Random per run, as the page's crypto.randomUUID: Redis (the limits' store) outlives the database.
                {"Idempotency-Key": f"{tag}-{i}-{RUN}"},
                go,
            )
        )
        for i in range(n)
    ]
    stats = await _burst(sends, pid)
    answers: list[Answer] = stats.pop("_answers")
    accepted = {a.receipt: sent_from[i] for i, a in enumerate(answers) if a.status == 201 and a.receipt}
    first = min(a.started for a in answers)
    live = await queue.until(set(accepted), 60)
    # Anything late (a duplicate message) would come now.
    await asyncio.sleep(0.3)
    stats["retry_after_on_429"] = all(a.retry_after for a in answers if a.status == 429)
    stats["queue_live_s"] = (
        round(max((queue.arrived[r] for r in accepted), default=first) - first, 3) if live else None
    )
    stats["appeal_received_messages"] = queue.received - before
    return stats, list(accepted), list(accepted.values())


async def _staff(base: str, pid: int, token: str, n: int, block: int, tag: str) -> dict[str, Any]:
    sent_from = addresses(n, block)
    headers = {"Authorization": f"Bearer {token}"}
    sends = [
        (
            lambda go, i=i: _send(
                base,
                sent_from[i],
                f"/communities/{COMMUNITY}/needs",
                {
                    "capability": "supply.water",
                    "quantity": 1,
                    "location": f"g{i % 5}_{i // 5 % 5}",
                    "priority": 3,
                },
                {**headers, "Idempotency-Key": f"{tag}-{i}-{RUN}"},
                go,
            )
        )
        for i in range(n)
    ]
    stats = await _burst(sends, pid)
    del stats["_answers"]
    return stats


async def _none_lost(base: str, cadre: str, receipts: list[str], sent_from: list[str]) -> dict[str, Any]:
    """Every receipt in the cadres' queue, and answered to its resident (from the address that sent it)."""
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {cadre}"}, timeout=120
    ) as c:
        started = time.perf_counter()
        response = await c.get(f"/communities/{COMMUNITY}/appeals", params={"state": "all"})
        queue_ms = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        listed = {a["receipt"] for a in response.json()["appeals"]}

    async def look_up(receipt: str, address: str) -> bool:
        async with _client(base, address) as c:
            r = await c.get(f"/public/appeals/{receipt}")
            return r.status_code == 200 and r.json()["receipt"] == receipt

    answered = await asyncio.gather(*(look_up(r, a) for r, a in zip(receipts, sent_from, strict=True)))
    return {
        "accepted": len(receipts),
        "in_queue": len(set(receipts) & listed),
        "queue_size": len(listed),
        # Written, but its sender holds no receipt (answered something other than 201 every time it tried).
        "in_queue_without_receipt": len(listed - set(receipts)),
        "queue_read_ms": round(queue_ms, 1),
        "receipts_answered": sum(answered),
        "none_lost": set(receipts) <= listed and all(answered),
    }


# -- the community ------------------------------------------------------------------------------------


def _ok(client: httpx.Client, method: str, path: str, body: dict[str, Any]) -> Any:
    response = client.request(method, path, json=body)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
    return response.json()


def _community(server: Running, buildings: int) -> tuple[str, list[str]]:
    """The community, its grids and ``buildings`` + 1 buildings, made through the API with a street token; a
    cadre's token and the buildings' codes (the extra building's last)."""
    [street] = _tokens(server, [{"role": "street", "street": STREET}])
    with httpx.Client(
        base_url=server.base + "/api/v1", headers={"Authorization": f"Bearer {street}"}, timeout=60
    ) as c:
        _ok(
            c,
            "POST",
            "/communities",
            {"id": COMMUNITY, "street": STREET, "profile": PROFILE, "map": SMALL_MAP},
        )
        for g in range(-(-(buildings + 1) // GRID_OF)):
            _ok(c, "PUT", f"/communities/{COMMUNITY}/grids/g{g}", {"name": f"{g + 1}网格"})
        for b in range(buildings + 1):
            body = {"name": f"{b + 1}号楼", "grid": f"g{b // GRID_OF}", "location": f"g{b % 5}_{b // 5 % 5}"}
            _ok(c, "PUT", f"/communities/{COMMUNITY}/buildings/b{b}", body)
        cadre = _ok(c, "POST", f"/communities/{COMMUNITY}/tokens", {"role": "cadre", "name": "王书记"})[
            "token"
        ]
        issued = _ok(c, "POST", f"/communities/{COMMUNITY}/codes", {})["codes"]
    by_building = {row["building"]: row["link"].rsplit("/", 1)[1] for row in issued}
    return cadre, [by_building[f"b{b}"] for b in range(buildings + 1)]


async def _open_queue(port: int, cadre: str) -> Queue:
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {cadre}"}, max_queue=None
    )
    await ws.send(json.dumps({"type": "subscribe", "channels": {f"appeals:{COMMUNITY}": None}}))
    while json.loads(await ws.recv()).get("type") != "snapshot":
        pass
    return Queue(ws)


IMPORTS = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+\.(?:js|mjs))["']""")
ASSETS = re.compile(r"""<(?:script[^>]*\bsrc|link[^>]*\bhref)=["']([^"']+)["']""")


def page_weight(base: str, code: str) -> dict[str, Any] | None:
    """``/r/{code}``'s html and every script and style sheet it loads (module imports followed): bytes as sent
    plain and gzipped. None when the page is not there (yet)."""
    with httpx.Client(base_url=base, timeout=30) as c:
        first = c.get(f"/r/{code}", headers={"Accept-Encoding": "identity"})
        if first.status_code != 200 or "html" not in first.headers.get("content-type", ""):
            return None
        page = f"{base}/r/{code}"
        todo, seen, files = [page], set[str](), []
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            plain = c.get(url, headers={"Accept-Encoding": "identity"})
            if plain.status_code != 200:
                continue
            zipped = c.get(url, headers={"Accept-Encoding": "gzip"})
            kind = plain.headers.get("content-type", "").split(";")[0]
            files.append(
                {
                    "path": "/r/{code}" if url == page else url.removeprefix(base),
                    "type": kind,
                    "bytes": len(plain.content),
                    "gzip_bytes": zipped.num_bytes_downloaded,
                }
            )
            text = plain.text
            found = (
                ASSETS.findall(text)
                if "html" in kind
                else IMPORTS.findall(text)
                if "javascript" in kind
                else []
            )
            for ref in found:
                target = urljoin(url, ref)
                if target.startswith(base) and not target.endswith((".png", ".svg", ".webmanifest", ".ico")):
                    todo.append(target)
    return {
        "files": sorted(files, key=lambda f: f["path"]),
        "bytes": sum(f["bytes"] for f in files),
        "gzip_bytes": sum(f["gzip_bytes"] for f in files),
    }


@contextlib.contextmanager
def _serving(data_dir: Path, url: str | None, tries: int = 3) -> Iterator[Running]:
    """benchmarks/scale.py's server, started again when it did not answer in its 60 s: on a machine loaded by
    other work (load average 15 on two cores) a start alone took 18 s."""
    with contextlib.ExitStack() as stack:
        for attempt in range(tries):
            try:
                server = stack.enter_context(_server(ROOT, data_dir, url))
                break
            except RuntimeError:
                if attempt == tries - 1:
                    raise
        yield server


# -- a run ------------------------------------------------------------------------------------------


def _run(
    database: str, n: int, buildings: int, pg_database: str, restart: bool, quiet: bool
) -> dict[str, Any]:
    url = _empty(pg_database) if database == "postgresql" else None
    # Blocks of 127/8 of this run's own: with Redis the limits' windows (10 minutes) outlive a server.
    blocks = random.Random().sample(range(1, 255), 3)
    with tempfile.TemporaryDirectory(prefix="residents-") as tmp:
        data_dir = Path(tmp)
        with _serving(data_dir, url) as server:
            cadre, codes = _community(server, buildings)
            weight = page_weight(server.base, codes[0])
            out = asyncio.run(_phases(server, cadre, codes, n, blocks, quiet))
        if restart:
            with _serving(data_dir, url) as server:
                out["after_restart"] = asyncio.run(
                    _none_lost(server.base + "/api/v1", cadre, out.pop("_receipts"), out.pop("_from"))
                )
        out.pop("_receipts", None)
        out.pop("_from", None)
        # A worker whose lease renewal came too late under the burst lost its own partition (then 503s).
        logs = "".join(p.read_text(errors="replace") for p in data_dir.glob("server-*.log"))
        out["partition_lost"] = logs.count("lost partition")
    return {
        "database": database,
        "pubsub": "redis" if url else None,
        "residents": n,
        "buildings": buildings,
        "page_weight": weight,
        **out,
    }


async def _phases(
    server: Running, cadre: str, codes: list[str], n: int, blocks: list[int], quiet: bool
) -> dict[str, Any]:
    base = server.base + "/api/v1"
    queue = await _open_queue(server.port, cadre)
    listening = asyncio.create_task(queue.listen())
    try:
        spread, receipts, sent_from = await _residents(
            base, server.process.pid, codes[:-1], n, blocks[0], queue, "spread"
        )
        _say(quiet, f"spread: {spread}")
        one, more, more_from = await _residents(
            base, server.process.pid, codes[-1:], n, blocks[1], queue, "one"
        )
        _say(quiet, f"one_building: {one}")
        staff = await _staff(base, server.process.pid, cadre, n, blocks[2], "staff")
        _say(quiet, f"staff: {staff}")
    finally:
        listening.cancel()
        await queue.ws.close()
    receipts, sent_from = receipts + more, sent_from + more_from
    lost = await _none_lost(base, cadre, receipts, sent_from)
    _say(quiet, f"none lost: {lost}")
    return {
        "spread": spread,
        "one_building": one,
        "staff": staff,
        "ratios_residents_over_staff": {
            key: round(spread[key] / staff[key], 2) if staff[key] else None for key in ("p50_ms", "p99_ms")
        },
        "none_lost": {
            **lost,
            "appeal_received_messages": spread["appeal_received_messages"] + one["appeal_received_messages"],
        },
        "_receipts": receipts,
        "_from": sent_from,
    }


def _say(quiet: bool, text: str) -> None:
    if not quiet:
        sys.stderr.write(text + "\n")


# -- the table ----------------------------------------------------------------------------------------


def _table(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"# {result['residents']} residents at once against one community",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, shared with other work (load average at the start of each "
        "run below); clients (asyncio + httpx, one connection and one loopback address per resident) on the same "
        "machine. Latency: a request's start, its connection's opening included, to its answer (after any resends: "
        "a 503 is sent again 1, 2, 4, 8, 16 s later, as the residents' page does). Live queue: the "
        "first submit until the cadre's websocket held every accepted appeal. Staff: the same number of need "
        "reports by a cadre at the same concurrency (the baseline).",
        "",
        "| database | load avg | phase | sent | 201 | 429 | other | resent after 503 | min ms | p50 ms | p99 ms | "
        "max ms | wall s | server CPU ms / request | clients' CPU ms / request | live queue s | appeal_received |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        for phase in PHASES:
            p = run[phase]
            live = p.get("queue_live_s", "–")
            messages = p.get("appeal_received_messages", "–")
            lines.append(
                f"| {run['database']} | {run['load_average_at_start'][0]} | {phase} | {p['sent']} | {p['201']} | "
                f"{p['429']} | {p['other']} | {p['requests_resent_after_busy']} | {p['min_ms']} | {p['p50_ms']} | {p['p99_ms']} | {p['max_ms']} | {p['wall_s']} | "
                f"{p['server_cpu_ms_per_request']} | {p['client_cpu_ms_per_request']} | "
                f"{live if live is not None else 'not all'} | {messages} |"
            )
    lines += [
        "",
        "| database | residents / staff p50 | p99 | accepted | in queue | receipts answered | queue read ms | "
        "after restart: in queue | answered | partition lost |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        r, lost = run["ratios_residents_over_staff"], run["none_lost"]
        after = run.get("after_restart") or {"in_queue": "–", "receipts_answered": "–"}
        lines.append(
            f"| {run['database']} | {r['p50_ms']}× | {r['p99_ms']}× | {lost['accepted']} | {lost['in_queue']} | "
            f"{lost['receipts_answered']} | {lost['queue_read_ms']} | {after['in_queue']} | "
            f"{after['receipts_answered']} | {run['partition_lost']} |"
        )
    for run in result["runs"]:
        if run["partition_lost"]:
            lines += ["", _lost_note(run)]
    weight = next((run["page_weight"] for run in result["runs"] if run["page_weight"]), None)
    lines += [
        "",
        "Page weight of `/r/{code}`: "
        + (
            f"{weight['bytes']:,} bytes, {weight['gzip_bytes']:,} gzipped ("
            + ", ".join(
                f"{'html' if f['type'] == 'text/html' else f['path'].rsplit('/', 1)[-1]} "
                f"{f['bytes']:,}/{f['gzip_bytes']:,}"
                for f in weight["files"]
            )
            + ")."
            if weight
            else "not measured (the page was not there)."
        ),
    ]
    return "\n".join(lines) + "\n"


def _lost_note(run: dict[str, Any]) -> str:
    busy = {phase: run[phase]["requests_resent_after_busy"] for phase in PHASES}
    return (
        f"**{run['database']}: the worker lost its own partition's lease {run['partition_lost']} time(s) during the "
        "bursts** (its renewal, every second with a 5 s TTL, runs in the process the burst keeps busy): every "
        f"submission waiting to be written was answered 503 (requests resent by phase: {busy}). The resends, "
        "with the same Idempotency-Key, were counted against the limits again (the first try had been counted "
        "before it was refused), so the building's limit refused residents whose first try was never written: "
        "429 where they should have had 201. Appeals in the queue whose "
        f"sender holds no receipt: {run['none_lost']['in_queue_without_receipt']}."
    )


def main(argv: Sequence[str] | None = None, spawn: Spawn | None = None) -> int:
    """``spawn``: how servers start (benchmarks/scale.py's ``Spawn``); by default each its own Python."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument(
        "--buildings", type=int, default=20, help="spread over these, plus one for one_building"
    )
    parser.add_argument("--databases", type=lambda v: v.split(","), default=list(DATABASES))
    parser.add_argument("--pg-database", default="residents_bench", help="emptied before use")
    parser.add_argument("--no-restart", action="store_true", help="skip the check after a restart")
    parser.add_argument("--quick", action="store_true", help="40 residents, 4 buildings, SQLite (smoke test)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.residents, args.buildings, args.databases = 40, 4, ["sqlite"]
    result: dict[str, Any] = {
        "machine": machine(),
        "quick": args.quick,
        "residents": args.residents,
        "buildings": args.buildings,
        "runs": [],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    _spawn_here[:] = [spawn] if spawn is not None else []
    try:
        for database in args.databases:
            load = [round(x, 2) for x in os.getloadavg()]
            run = _run(
                database, args.residents, args.buildings, args.pg_database, not args.no_restart, args.quiet
            )
            result["runs"].append({"load_average_at_start": load, **run})
            (args.out / "residents.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            table = _table(result)
            (args.out / "residents.md").write_text(table, encoding="utf-8")
    finally:
        _spawn_here.clear()
    if not args.quiet:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    # A stop (SIGTERM) unwinds, so that the servers started are stopped too.
    signal.signal(signal.SIGTERM, lambda _s, _f: sys.exit(1))
    sys.exit(main())
