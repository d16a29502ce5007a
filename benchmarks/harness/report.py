"""The run as JSON and as Markdown tables."""

from collections.abc import Mapping, Sequence
from typing import Any


def _ms(value: Any) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def _get(figures: Mapping[str, Any], *keys: str) -> Any:
    value: Any = figures
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _served(objective: Mapping[str, Any]) -> str:
    return "/".join(str(v) for v in objective["served_by_priority"])


def markdown(report: Mapping[str, Any]) -> str:
    sizes: Sequence[Mapping[str, Any]] = report["sizes"]
    m = report["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + f". Seed {report['settings']['seed']}.",
        "",
        "| size | needs × units | road nodes | full p50 / p99 ms | incremental p50 / p99 ms "
        "| new need / offline / road closed p99 ms | bare solve p50 ms | ratio | cold first plan ms | events |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        by = s["incremental"].get("by_event", {})
        per_kind = " / ".join(
            _ms(_get(by, kind, "p99_ms")) for kind in ("new_need", "resource_offline", "road_closed")
        )
        lines.append(
            f"| {s['size']} | {s['needs']:,} × {s['resource_units']:,} | {s['road_nodes']:,} "
            f"| {_ms(s['full']['p50_ms'])} / {_ms(s['full']['p99_ms'])} "
            f"| {_ms(s['incremental']['p50_ms'])} / {_ms(s['incremental']['p99_ms'])} | {per_kind} "
            f"| {_ms(s['bare_solve']['p50_ms'])} | {s['ratio_to_bare_solve']}× | {_ms(s['first_plan_cold_ms'])} "
            f"| {s['events']['count']} |"
        )
    lines += [
        "",
        "Breakdown of a full re-plan, p50 ms (problem build is outside the matcher's latency):",
        "",
        "| size | travel | rules | screening | model build | solve | read-back | problem build | peak traced MB | cache MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        b = s["full"]["breakdown_p50_ms"]
        lines.append(
            f"| {s['size']} | {_ms(b['travel'])} | {_ms(b['rules'])} | {_ms(b['screening'])} "
            f"| {_ms(b['model_build'])} | {_ms(b['solve'])} | {_ms(b['read_back'])} "
            f"| {_ms(s['full']['problem_build_p50_ms'])} | {s['memory']['replan_peak_full_mb']} "
            f"| {s['memory']['travel_cache_mb']} |"
        )
    pruned = [(s["size"], s["pruning"]) for s in sizes if s.get("pruning")]
    if pruned:
        lines += [
            "",
            "Pruned re-plans (each slot's cheapest arcs, certified for tier 1) against the same problems solved "
            "with every candidate arc:",
            "",
            "| size | re-plans | tier 1 equal | tier-2 gap max / mean | arcs kept | pruned p50 / p99 ms "
            "| unpruned p50 / p99 ms |",
            "|---|---:|:-:|---:|---:|---:|---:|",
        ]
        for name, p in pruned:
            lines.append(
                f"| {name} | {p['replans']} | {'yes' if p['tier1_equal'] else '**no**'} "
                f"| {p['tier2_gap_pct_max']:.4f}% / {p['tier2_gap_pct_mean']:.4f}% | {p['arcs_kept_share']:.0%} "
                f"| {_ms(p['pruned']['p50_ms'])} / {_ms(p['pruned']['p99_ms'])} "
                f"| {_ms(p['unpruned']['p50_ms'])} / {_ms(p['unpruned']['p99_ms'])} |"
            )
    lines += [
        "",
        "Baselines on the same first-plan instance (served units by priority 5/4/3/2/1, priority-weighted "
        "travel, late arrivals among the units sent, and units not on site in time: late or never sent):",
        "",
        "| size | solver | p50 ms | p99 ms | runs | served 5/4/3/2/1 | weighted travel | late | not in time "
        "| optimal |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|:-:|",
    ]
    for s in sizes:
        for group in ("baselines", "one_to_one"):
            for name, b in s.get(group, {}).items():
                label = f"{name} (one-to-one)" if group == "one_to_one" else name
                o = b["objective"]
                lines.append(
                    f"| {s['size']} | {label} | {_ms(b['p50_ms'])} | {_ms(b['p99_ms'])} | {b['samples']} "
                    f"| {_served(o)} | {o['weighted_travel']:,} | {o['late_units']} | {o['not_in_time']} "
                    f"| {'' if b['optimal'] is None else ('yes' if b['optimal'] else 'no')} |"
                )
    lines += [
        "",
        "Greedy (closest available) against the optimum, resources plentiful (5× the units needed) and scarce (equal):",
        "",
        "| size | pool | units left unserved by greedy 5/4/3/2/1 | extra weighted travel | extra late units |",
        "|---|---|---|---:|---:|",
    ]
    for s in sizes:
        for pool, g in s.get("greedy_excess", {}).items():
            e = g["greedy_excess"]
            lines.append(
                f"| {s['size']} | {pool} ({g['resource_units']:,} for {g['needed_units']:,}) "
                f"| {'/'.join(str(v) for v in e['unserved_by_priority'])} "
                f"| {e['weighted_travel']:+,} ({e['weighted_travel_pct']:+.1f}%) | {e['late_units']:+} |"
            )
    flat = report.get("memory_flatness")
    if flat:
        lines += [
            "",
            f"Memory over {flat['replans']:,} consecutive re-plans on {flat['size']}: RSS {flat['rss_first_mb']} → "
            f"{flat['rss_last_mb']} MiB (max {flat['rss_max_mb']}), fitted slope "
            f"{flat['slope_kb_per_1000_replans']} KB per 1,000 re-plans.",
        ]
    lines += ["", "| target | measured | met |", "|---|---:|:-:|"]
    for t in report["targets"]:
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        measured = "—" if t["measured"] is None else f"{t['measured']:,.2f}"
        lines.append(f"| {t['target']} | {measured} | {met} |")
    return "\n".join(lines) + "\n"
