"""The after-action report as a short terminal summary, Chinese first."""

from typing import Any

from api.table import _rows


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value}{unit}"


def _minutes(value: Any) -> str:
    return "-" if value is None else f"{value / 60:.1f} 分"


def summary(report: dict[str, Any], wall_s: float | None = None) -> str:
    s = report["scenario"]
    c = report["comparison"]
    gap = c["hindsight_gap"]
    rows = [
        [
            "生命安全覆盖 life-safety coverage",
            _fmt(c["life_safety_coverage_pct"]["engine"], "%"),
            _fmt(c["life_safety_coverage_pct"]["baseline"], "%"),
            "-",
        ],
        [
            "生命安全单位 life-safety units reached",
            _fmt(c["life_safety_units_reached"]["engine"]),
            _fmt(c["life_safety_units_reached"]["baseline"]),
            _fmt(gap["hindsight_units_served"]),
        ],
        [
            "生命安全平均行程 mean travel",
            _minutes(c["life_safety_mean_travel_s"]["engine"]),
            _minutes(c["life_safety_mean_travel_s"]["baseline"]),
            _minutes(gap["hindsight_mean_travel_s"]),
        ],
        [
            "响应时间中位数 median response",
            _minutes(c["median_response_s"]["engine"]),
            _minutes(c["median_response_s"]["baseline"]),
            "-",
        ],
        [
            "响应时间 p90 response",
            _minutes(c["p90_response_s"]["engine"]),
            _minutes(c["p90_response_s"]["baseline"]),
            "-",
        ],
        ["迟到 late arrivals", _fmt(c["late"]["engine"]), _fmt(c["late"]["baseline"]), "-"],
        ["完成 served", _fmt(c["served"]["engine"]), _fmt(c["served"]["baseline"]), "-"],
        ["未满足 unmet", _fmt(c["unmet"]["engine"]), _fmt(c["unmet"]["baseline"]), "-"],
        ["重新规划 re-plans", _fmt(c["replans"]["engine"]), _fmt(c["replans"]["baseline"]), "-"],
        ["方案变动 plan churn", _fmt(c["churn"]["engine"]), _fmt(c["churn"]["baseline"]), "-"],
    ]
    needs = report["engine"]["needs"]
    out = [
        f"【演练 EXERCISE】{s['title_zh']} — {s['title_en']}",
        f"社区 {s['community_name'] or s['community']} · 配置 profile {s['profile']} · 种子 seed {s['seed']} · "
        f"时长 {s['duration']} · 事件 {s['events']} events · 需求 {s['needs']} needs",
        "",
        _rows(["指标 figure", "引擎 engine", "基线 closest", "事后最优 hindsight"], rows),
        "",
        f"需求去向 needs: 上报 {needs['reported']} = 完成 {needs['served']} + 未满足 {needs['unmet']} + "
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
    unmet = report["engine"]["unmet"]
    if unmet:
        out += ["", "未满足的需求 unmet needs (engine):"]
        for u in unmet[:8]:
            out.append(
                f"  {u['need']} (优先级 {u['priority']}, {u['capability']}): {u['reason_zh']} — {u['suggestion']}"
            )
        if len(unmet) > 8:
            out.append(f"  … 另有 {len(unmet) - 8} 条 and {len(unmet) - 8} more")
    if wall_s is not None:
        out += ["", f"用时 wall time: {wall_s:.1f} s"]
    return "\n".join(out)
