"""The after-action report as a short terminal summary, Chinese first."""

from typing import Any

from api.drill import rows as r
from api.table import _rows

# A terminal shows this many unmet needs per run; the HTML report lists them all.
SHOWN_UNMET = 8


def summary(report: dict[str, Any], wall_s: float | None = None) -> str:
    s = report["scenario"]
    needs = report["engine"]["needs"]
    out = [
        f"【演练 EXERCISE】{s['title_zh']} — {s['title_en']}",
        f"社区 {s['community_name'] or s['community']} · 配置 profile {s['profile']} · 种子 seed {s['seed']} · "
        f"时长 {s['duration']} · 事件 {s['events']} events · 需求 {s['needs']} needs",
        "",
        _rows(
            ["指标 figure", "引擎 engine", "基线 closest", "事后最优 hindsight"],
            [[f"{zh} {en}", *cells] for zh, en, *cells in r.comparison_rows(report)],
        ),
        "",
        _rows(r.PRIORITY_HEADER, r.priority_rows(report)),
        f"（{report['censoring']['zh']}; {report['censoring']['en']}）",
        "",
        f"需求去向 needs (engine): 上报 {needs['reported']} = 完成 {needs['served']} + 未满足 {needs['unmet']} + "
        f"取消 {needs['cancelled']}",
        "",
        "预期 expectations:",
    ]
    for e in report["expectations"]:
        mark = "✓ 达成" if e["engine"]["holds"] else "✗ 未达成"
        base = "✓" if e["baseline"]["holds"] else "✗"
        out.append(
            f"  {mark}  {e['name']}: {e['engine']['detail']}  (基线 baseline {base} {e['baseline']['detail']})"
        )
    if not report["expectations"]:
        out.append("  (无 none)")
    for run, zh in (("engine", "引擎"), ("baseline", "基线")):
        unmet = report[run]["unmet"]
        if not unmet:
            continue
        out += ["", f"未满足的需求 unmet needs ({zh} {run}):"]
        for u in unmet[:SHOWN_UNMET]:
            out.append(
                f"  {u['need']} (优先级 {u['priority']}, {u['capability']}): {u['reason_zh']} {u['reason']} "
                f"— {u['suggestion']}"
            )
        if len(unmet) > SHOWN_UNMET:
            more = len(unmet) - SHOWN_UNMET
            out.append(f"  … 另有 {more} 条 and {more} more")
    if "alone" in report:
        sharing = {run: report[run]["street"] for run in r.RUNS}
        out += ["", *street_lines(r.street_rows(report), report["street"], sharing, r.cell)]
    if wall_s is not None:
        out += ["", f"用时 wall time: {wall_s:.1f} s"]
    return "\n".join(out)


def street_lines(
    rows: list[r.StreetRow], street: dict[str, Any], sharing: dict[str, Any], value: Any, summed: str = ""
) -> list[str]:
    """A street's drill: with the street beside each community alone, what crossed between communities and
    what the escalations brought. ``sharing``: each run's street figures (one seed's, or over seeds);
    ``value`` writes one figure (a count, or a spread)."""
    names = "、".join(c["name"] or c["id"] for c in street["communities"])
    out = [
        f"街道统筹与各社区单独 street vs each community alone — {street['name'] or street['id']}: {names}",
        _rows(r.STREET_HEADER, [[f"{zh} {en}", *cells] for zh, en, *cells in rows]),
    ]
    for run, zh in (("engine", "引擎"), ("baseline", "基线")):
        figures = sharing[run]
        out.append(
            f"跨社区调派 cross-community dispatches ({zh} {run}): {r.cross_text(figures['cross_community'], street, value)}"
        )
        out.append(
            f"上报街道的回应 answers to escalations ({zh} {run}){summed}: {r.answers_text(figures['escalation_answers'])}"
        )
    return out


def seeds_summary(aggregate: dict[str, Any], wall_s: float | None = None) -> str:
    """The drill over seeds: mean (min–max) engine beside baseline, and each expectation on every seed."""
    s = aggregate["scenario"]
    seeds = aggregate["seeds"]
    listed = ", ".join(map(str, seeds)) if len(seeds) <= 12 else f"{seeds[0]} … {seeds[-1]}"
    out = [
        f"【演练 EXERCISE】{s['title_zh']} — {s['title_en']}",
        f"社区 {s['community_name'] or s['community']} · 配置 profile {s['profile']} · "
        f"{aggregate['n']} 个种子 seeds (n={aggregate['n']}): {listed}",
        "",
        _rows(
            ["指标 figure（均值 (最小–最大) mean (min–max)）", "引擎 engine", "基线 closest"],
            [[f"{zh} {en}", engine, baseline] for zh, en, engine, baseline in r.seed_rows(aggregate)],
        ),
        f"（{aggregate['censoring']['zh']}; {aggregate['censoring']['en']}）",
        "",
        "预期（每个种子都要达成）expectations, judged on every seed:",
    ]
    lines = r.expectation_lines(aggregate)
    out += [f"  {text}" for _, text in lines] or ["  (无 none)"]
    if "sharing" in aggregate:
        rows = r.street_seed_rows(aggregate)
        n = aggregate["n"]
        summed = f"（{n} 个种子合计 summed over {n} seeds）"
        out += [
            "",
            *street_lines(rows, aggregate["street"], aggregate["sharing"]["street"], r.spread_text, summed),
        ]
    if wall_s is not None:
        out += ["", f"用时 wall time: {wall_s:.1f} s"]
    return "\n".join(out)
