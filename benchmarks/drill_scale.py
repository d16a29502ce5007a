"""A drill at scale: 2,000 needs over six hours in one community on a 100 × 100 street grid, run as a user
runs it (``pingzhan drill`` in a child process), with its wall time, peak resident memory and events file.

Run: ``python -m benchmarks.drill_scale`` (options: ``--needs 2000``, ``--rows 100``, ``--units 300``,
``--seed 0``, ``--compress`` to also run with ``--compress``, ``--keep DIR`` to keep the scenario and the
drill's files, ``--out DIR``). Writes drill_scale.json and drill_scale.md to benchmarks/results.

The scenario is generated, seeded and written to a temporary folder (nothing of it is shipped): a grid of
``rows`` × ``rows`` nodes (20 s a block, a little jitter), a few hundred resources of eight capabilities
spread over it, needs of every priority arriving at random over the six hours (trapped households with a
boat and two crew, injuries, elderly people to move or visit, water, food and beds in batches), some
cancelled, roads closing and reopening, an organisation declining for a while and one unreachable, a boat
going offline and coming back; the responders decline and stay silent now and then, as drills draw them.
"""

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from api.drill.events_file import LEVEL

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
DURATION_S = 6 * 3600

# (capability, share of the resources, units each (low, high), certifications, organisations it comes from)
CAPABILITIES: tuple[tuple[str, float, tuple[int, int], list[str], tuple[str, ...]], ...] = (
    ("rescue.boat", 0.08, (1, 2), ["water_rescue"], ("blue_sky", "fire_brigade")),
    ("rescue.crew", 0.12, (2, 4), ["water_rescue"], ("blue_sky", "fire_brigade", "red_cross")),
    ("medical.first_aid", 0.15, (1, 3), ["first_aid"], ("red_cross", "health_centre")),
    ("transport.vehicle", 0.12, (1, 2), ["driver"], ("party_branch", "volunteers", "taxi_coop")),
    ("care.visit", 0.25, (2, 5), [], ("volunteers", "captains", "social_workers")),
    ("supply.water", 0.10, (100, 300), [], ("supermarket", "water_plant")),
    ("supply.food", 0.10, (100, 250), [], ("supermarket", "canteen")),
    ("shelter.bed", 0.08, (40, 120), [], ("school", "gym")),
)
ORGANISATIONS = (
    ("blue_sky", "social_organisation", "蓝天救援队", {"ack_s": [20, 90], "setoff_s": [0, 60]}),
    ("fire_brigade", "public_unit", "消防救援站", {"ack_s": [10, 60], "setoff_s": [0, 30]}),
    ("red_cross", "social_organisation", "区红十字会", {"decline": 0.08}),
    ("health_centre", "public_unit", "社区卫生服务中心", None),
    ("party_branch", "party_organisation", "社区党支部", None),
    ("volunteers", "volunteer_team", "志愿者服务队", {"silent": 0.08}),
    ("taxi_coop", "enterprise", "出租车合作社", {"ack_s": [60, 300], "decline": 0.1}),
    ("captains", "self_organised_group", "楼道长", None),
    ("social_workers", "social_organisation", "社工站", None),
    ("supermarket", "enterprise", "惠民超市", {"ack_s": [60, 300], "setoff_s": [60, 300], "silent": 0.05}),
    ("water_plant", "public_unit", "自来水厂", None),
    ("canteen", "enterprise", "中心食堂", None),
    ("school", "public_unit", "实验小学（安置点）", None),
    ("gym", "public_unit", "区体育馆（安置点）", None),
)
# (kind, share of the needs, capability, priority, quantity (low, high), tags drawn from, team)
NEEDS: tuple[tuple[str, float, str, int, tuple[int, int], tuple[str, ...], bool], ...] = (
    ("trapped", 0.08, "rescue.boat", 5, (1, 1), ("elderly_alone", "disabled", ""), True),
    ("injured", 0.14, "medical.first_aid", 4, (1, 1), ("", ""), False),
    ("injured_bad", 0.04, "medical.first_aid", 5, (1, 1), ("",), False),
    ("move", 0.14, "transport.vehicle", 3, (1, 1), ("elderly_alone", "bedridden", ""), False),
    ("visit", 0.30, "care.visit", 2, (1, 2), ("elderly_alone", "", "", ""), False),
    ("water", 0.12, "supply.water", 3, (5, 40), ("",), False),
    ("food", 0.10, "supply.food", 2, (5, 30), ("",), False),
    ("beds", 0.08, "shelter.bed", 3, (2, 20), ("",), False),
)
REQUIRES = {
    "rescue.boat": ["water_rescue"],
    "medical.first_aid": ["first_aid"],
    "transport.vehicle": ["driver"],
}
SERVICE_S = {
    "rescue.boat": 1500,
    "rescue.crew": 1500,
    "medical.first_aid": 900,
    "transport.vehicle": 1500,
    "care.visit": 1200,
    "supply.water": 600,
    "supply.food": 600,
    "shelter.bed": 600,
}


def clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _flow(data: dict[str, Any]) -> str:
    """One YAML flow mapping on one line (JSON is YAML)."""
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))


def scenario_yaml(needs: int = 2000, rows: int = 100, units: int = 300, seed: int = 0) -> str:
    """The scenario file's text: the same arguments give the same text."""
    rng = random.Random(seed)

    def node() -> str:
        return f"g{rng.randrange(rows)}_{rng.randrange(rows)}"

    lines = [
        f"# Generated by benchmarks/drill_scale.py (needs={needs}, rows={rows}, units={units}, seed={seed}).",
        "name: drill_scale",
        "title_zh: 大规模演练（生成）",
        "title_en: Drill at scale (generated)",
        f"description: {needs} needs over six hours in one community on a {rows}x{rows} grid.",
        "community: {id: dachang, street: hexi, name: 大场社区, profile: strong_social_orgs}",
        f"map:\n  grid: {{rows: {rows}, cols: {rows}, edge_s: 20, jitter: 0.3, seed: {seed + 11}}}",
        "settings:",
        '  start: "2026-07-21T08:00:00+08:00"',
        f'  duration: "{clock(DURATION_S)}"',
        "  confirm_after_s: 90",
        "  default_service_s: 900",
        f"  service_s: {_flow(SERVICE_S)}",
        "  responders: {ack_s: [30, 180], setoff_s: [0, 120], decline: 0.04, silent: 0.03}",
        "organisations:",
    ]
    for oid, kind, name, responds in ORGANISATIONS:
        org: dict[str, Any] = {"id": oid, "kind": kind, "name": name}
        if responds:
            org["responds"] = responds
        lines.append(f"  - {_flow(org)}")
    lines.append("resources:")
    resources: dict[str, list[str]] = {}
    boats: list[str] = []
    for capability, share, (low, high), certs, owners in CAPABILITIES:
        for k in range(max(1, round(units * share))):
            rid = f"{capability.split('.')[1]}_{k:03d}"
            res: dict[str, Any] = {
                "id": rid,
                "organisation": owners[k % len(owners)],
                "capability": capability,
                "quantity": rng.randint(low, high),
                "location": node(),
            }
            if certs:
                res["certifications"] = certs
            if capability.startswith("rescue."):
                res["modes"] = "incident"
            resources.setdefault(capability, []).append(rid)
            if capability == "rescue.boat":
                boats.append(rid)
            lines.append(f"  - {_flow(res)}")
    timeline: list[tuple[int, int, dict[str, Any]]] = []
    order = 0

    def at(t: int, event: dict[str, Any]) -> None:
        nonlocal order
        order += 1
        timeline.append((t, order, event))

    at(0, {"event": "incident", "kind": "flood", "level": 2, "note": "暴雨红色预警 red rainstorm warning"})
    at(3600, {"event": "level", "level": 3})
    at(4 * 3600, {"event": "level", "level": 2})
    kinds = [k for k in NEEDS]
    weights = [k[1] for k in NEEDS]
    reported: list[tuple[int, str]] = []
    for i in range(needs):
        kind, _, capability, priority, (low, high), tags, team = rng.choices(kinds, weights)[0]
        t = rng.randrange(60, DURATION_S - 600)
        need: dict[str, Any] = {
            "id": f"{kind}_{i:04d}",
            "capability": capability,
            "quantity": rng.randint(low, high),
            "location": node(),
            "priority": priority,
        }
        if capability in REQUIRES:
            need["requires"] = REQUIRES[capability]
        tag = rng.choice(tags)
        if tag:
            need["tags"] = [tag]
        if team:
            need["team"] = [{"capability": "rescue.crew", "per_unit": 2, "requires": ["water_rescue"]}]
        at(t, {"event": "need", "need": need})
        reported.append((t, need["id"]))
    # A few needs are cancelled some minutes after they are reported.
    for t, nid in rng.sample(reported, max(1, needs // 50)):
        at(t + rng.randrange(300, 1800), {"event": "cancel", "need": nid, "reason": "已自行解决 resolved"})
    # Roads under water for a while.
    for _ in range(max(1, rows // 5)):
        r, c = rng.randrange(rows - 1), rng.randrange(rows)
        start = rng.randrange(600, DURATION_S - 3600)
        road = {"from": f"g{r}_{c}", "to": f"g{r + 1}_{c}"}
        at(start, {"event": "close_road", **road, "note": "积水过深 under water"})
        at(start + rng.randrange(1800, 5400), {"event": "reopen_road", **road})
    # A boat torn and repaired; more crew arrive; the Red Cross called away; the volunteers unreachable.
    at(5400, {"event": "offline", "resource": boats[0], "note": "船被划破 boat torn"})
    at(9000, {"event": "online", "resource": boats[0], "note": "修好 repaired"})
    crew = resources["rescue.crew"][0]
    at(7200, {"event": "quantity", "resource": crew, "quantity": 8, "note": "队员到岗 more crew"})
    at(3 * 3600, {"event": "declines", "organisation": "red_cross", "for_s": 1200})
    at(2 * 3600, {"event": "silent", "organisation": "volunteers", "for_s": 1800})
    timeline.sort()
    events = [{"at": clock(t), **event} for t, _, event in timeline]
    # In time order, events of one second in the order written (the incident first).
    lines.append("timeline:")
    lines += [f"  - {_flow(e)}" for e in events]
    lines += [
        "expectations:",
        "  - {expect: reach_within, name: 生命安全需求一小时内有人到 life-safety reached within an hour, "
        'priority: 5, within: "1:00:00", share: 0.5}',
    ]
    return "\n".join(lines) + "\n"


def run(scenario: Path, out: Path, compress: bool) -> dict[str, Any]:
    """``pingzhan drill`` on the scenario in a child process: wall time, the child's peak RSS, its files."""
    command = [sys.executable, "-m", "api.cli", "drill", str(scenario), "--seed", "0", "--out", str(out)]
    if compress:
        command.append("--compress")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "stdout.txt", "wb") as stdout, open(out / "stderr.txt", "wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=stderr)
        # wait4 reaps this child with its own resource use: ru_maxrss is its peak RSS (KiB on Linux).
        _, status, usage = os.wait4(child.pid, 0)
        wall_s = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise RuntimeError(f"drill failed ({child.returncode}): {(out / 'stderr.txt').read_text()[-2000:]}")
    name = "events.jsonl.gz" if compress else "events.jsonl"
    events = out / name
    result: dict[str, Any] = {
        "compress": compress,
        "wall_s": round(wall_s, 1),
        # On a shared machine the CPU time says more than the wall time.
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "events_file": name,
        "events_bytes": events.stat().st_size,
    }
    data = gzip.decompress(events.read_bytes()) if compress else events.read_bytes()
    result["events_lines"] = data.count(b"\n")
    if not compress:
        result["events_gzip_bytes"] = len(gzip.compress(data, compresslevel=LEVEL))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    engine = report["engine"]
    result["report"] = {
        "replans": engine["replans"]["count"],
        "served": engine["needs"]["served"],
        "unmet": engine["needs"]["unmet"],
        "expectations_hold": child.returncode == 0,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.drill_scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=100, help="grid rows and columns (default 100)")
    parser.add_argument("--units", type=int, default=300, help="resources, about (default 300)")
    parser.add_argument(
        "--seed", type=int, default=0, help="the scenario's generator seed (the drill runs seed 0)"
    )
    parser.add_argument("--compress", action="store_true", help="also run with --compress (events.jsonl.gz)")
    parser.add_argument("--keep", type=Path, help="keep the scenario and the drill's files here")
    parser.add_argument(
        "--scenario-only", type=Path, metavar="FILE", help="write the scenario there and stop"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="where to write (default benchmarks/results)"
    )
    args = parser.parse_args(argv)
    text = scenario_yaml(args.needs, args.rows, args.units, args.seed)
    if args.scenario_only:
        args.scenario_only.write_text(text, encoding="utf-8")
        return 0
    with tempfile.TemporaryDirectory(prefix="drill_scale-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        scenario = folder / "drill_scale.yaml"
        scenario.write_text(text, encoding="utf-8")
        runs = [run(scenario, folder / "plain", compress=False)]
        if args.compress:
            runs.append(run(scenario, folder / "compressed", compress=True))
    from benchmarks.harness.machine import machine

    data = {
        "what": "pingzhan drill on a generated scenario (engine and closest-available runs, hindsight, report)",
        "scenario": {
            "needs": args.needs,
            "grid": f"{args.rows}x{args.rows}",
            "resources": sum(max(1, round(args.units * c[1])) for c in CAPABILITIES),
            "duration_s": DURATION_S,
            "generator_seed": args.seed,
            "drill_seed": 0,
        },
        "runs": runs,
        "machine": machine(),
        "measured": time.strftime("%Y-%m-%d %H:%M %Z"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "drill_scale.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    markdown = table(data)
    (args.out / "drill_scale.md").write_text(markdown, encoding="utf-8")
    sys.stdout.write(markdown)
    return 0


def table(data: dict[str, Any]) -> str:
    """Markdown: the scenario and machine in a line, then one row per run."""
    s = data["scenario"]
    m = data["machine"]
    lines = [
        f"Drill at scale: {s['needs']} needs over {s['duration_s'] // 3600} h, {s['grid']} grid, "
        f"{s['resources']} resources (generated, seed {s['generator_seed']}); `pingzhan drill --seed 0` in a "
        f"child process on {m['cpu']} ({m['cores']} cores), Python {m['python']}.",
        "",
        "| events file | wall s | CPU s | peak RSS MB | events file MB | gzip MB | lines | re-plans |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["runs"]:
        gz = r.get("events_gzip_bytes")
        lines.append(
            f"| {r['events_file']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']} | "
            f"{r['events_bytes'] / 1e6:.1f} | "
            f"{'' if gz is None else f'{gz / 1e6:.1f}'} | {r.get('events_lines', '')} | {r['report']['replans']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
