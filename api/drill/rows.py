"""The report's figures as plain text cells, shared by the terminal summary and the HTML page so both say
the same thing in the same words: counts beside shares ("17/25 按时"), a mean travel beside the units it is
over, escalations with what became of them."""

from typing import Any

RUNS = ("engine", "baseline")
# (zh, en) of each figure row: label, then one cell for engine, baseline and hindsight.
Row = tuple[str, str, str, str, str]


def minutes(value: Any) -> str:
    return "-" if value is None else f"{value / 60:.1f} 分 min"


def cell(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


def out_of(part: Any, whole: Any, zh: str) -> str:
    """``17/25 按时``: never a share alone, so 100% cannot hide how many there were."""
    return "-" if part is None or whole is None else f"{part}/{whole} {zh}"


def travel(mean_s: Any, units: Any) -> str:
    """A mean travel with the units it is over ("9.0 分 min × 11 单位 units")."""
    return "-" if mean_s is None else f"{mean_s / 60:.1f} 分 min × {units} 单位 units"


def escalations(escalated: dict[str, int]) -> str:
    """``6 条：4 后来完成，1 仍未满足，1 取消``: what became of the needs passed to the street."""
    if not escalated["needs"]:
        return "0"
    parts = [
        f"{escalated['served']} 后来完成 later served",
        f"{escalated['unmet']} 仍未满足 still unmet",
        f"{escalated['cancelled']} 取消 cancelled",
    ]
    return f"{escalated['needs']} 条 needs: " + ", ".join(p for p in parts if not p.startswith("0 "))


def comparison_rows(report: dict[str, Any]) -> list[Row]:
    c = report["comparison"]
    gap = c["hindsight_gap"]
    target = report["targets_s"].get("5")
    within = f"（目标 {target // 60} 分内 within {target // 60} min）" if target else ""

    def pair(key: str, fmt: Any = cell) -> tuple[str, str]:
        return fmt(c[key]["engine"]), fmt(c[key]["baseline"])

    def counts(part: str, whole: str, zh: str) -> tuple[str, str]:
        return out_of(c[part]["engine"], c[whole]["engine"], zh), out_of(
            c[part]["baseline"], c[whole]["baseline"], zh
        )

    return [
        (
            "生命安全需求 到达",
            "life-safety needs reached",
            *counts("life_safety_reached", "life_safety_needs", "到达"),
            "-",
        ),
        (
            f"生命安全需求 按时{within}",
            "life-safety needs reached in time",
            *counts("life_safety_in_time", "life_safety_needs", "按时"),
            "-",
        ),
        ("生命安全响应 p90", "life-safety p90 response", *pair("life_safety_p90_s", minutes), "-"),
        (
            "生命安全单位 到达",
            "life-safety units reached",
            *pair("life_safety_units_reached"),
            cell(gap["hindsight_units_served"]),
        ),
        (
            "生命安全每单位行程",
            "life-safety travel per unit",
            travel(c["life_safety_mean_travel_s"]["engine"], c["life_safety_travelled_units"]["engine"]),
            travel(c["life_safety_mean_travel_s"]["baseline"], c["life_safety_travelled_units"]["baseline"]),
            travel(gap["hindsight_mean_travel_s"], gap["hindsight_units_served"]),
        ),
        ("全部需求 到达", "all needs reached", *counts("reached", "counted", "到达"), "-"),
        ("全部需求 按时", "all needs reached in time", *counts("in_time", "counted", "按时"), "-"),
        ("迟到（超过目标或未到）", "late (past target or never)", *pair("late"), "-"),
        ("响应时间中位数", "median response", *pair("median_response_s", minutes), "-"),
        ("响应时间 p90", "p90 response", *pair("p90_response_s", minutes), "-"),
        ("完成", "served", *pair("served"), "-"),
        ("未满足", "unmet", *pair("unmet"), "-"),
        ("上报街道", "escalated", *pair("escalated", escalations), "-"),
        ("重新规划", "re-plans", *pair("replans"), "-"),
        ("方案变动（改派的单位）", "plan churn (units moved)", *pair("churn"), "-"),
    ]


def priority_rows(report: dict[str, Any]) -> list[list[str]]:
    """Per priority: its target, then reached, in time and p90 for engine and baseline."""
    rows = []
    for p, target in report["targets_s"].items():
        runs = [report[run]["by_priority"].get(p) for run in RUNS]
        if not any(runs):
            continue
        row = [f"P{p}", minutes(target)]
        for figures in runs:
            if figures is None:
                row += ["-", "-", "-"]
                continue
            row += [
                out_of(figures["reached"], figures["counted"], "到达"),
                out_of(figures["in_time"], figures["counted"], "按时"),
                minutes(figures["p90_response_s"]),
            ]
        rows.append(row)
    return rows


PRIORITY_HEADER = [
    "优先级 priority",
    "目标 target",
    "引擎 到达 reached",
    "引擎 按时 in time",
    "引擎 p90",
    "基线 到达 reached",
    "基线 按时 in time",
    "基线 p90",
]


def unmet_rows(report: dict[str, Any], run: str) -> list[list[str]]:
    return [
        [
            u["need"],
            str(u["priority"]),
            u["capability"],
            f"{u['reason_zh']} {u['reason']}",
            u["detail"],
            u["suggestion"],
        ]
        for u in report[run]["unmet"]
    ]


UNMET_HEADER = ["需求 need", "优先级", "能力 capability", "原因 reason", "说明 detail", "建议 suggestion"]


# -- over seeds -------------------------------------------------------------------------------------------


def spread_text(stats: dict[str, Any], fmt: str = "count") -> str:
    """``3.2 (1–5)``: mean, then min–max over the seeds."""
    if stats["mean"] is None:
        return "-"

    def one(value: float) -> str:
        if fmt == "minutes":
            return f"{value / 60:.1f}"
        return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"

    low, high = one(stats["min"]), one(stats["max"])
    return f"{one(stats['mean'])} ({low}–{high})" if low != high else one(stats["mean"])


def seed_rows(aggregate: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Mean (min–max) over seeds, engine beside baseline."""
    m = aggregate["metrics"]
    needs = m["life_safety_needs"]["engine"]["max"]
    rows = [
        ("迟到（超过目标或未到）", "late arrivals", "count", m["late"]),
        (
            f"生命安全需求 到达（共 {needs}）",
            f"life-safety reached (of {needs})",
            "count",
            m["life_safety_reached"],
        ),
        (
            f"生命安全需求 按时（共 {needs}）",
            f"life-safety in time (of {needs})",
            "count",
            m["life_safety_in_time"],
        ),
        ("生命安全单位 到达", "life-safety units reached", "count", m["life_safety_units_reached"]),
        *(
            (f"P{p} 响应 p90（分）", f"P{p} p90 response (min)", "minutes", stats)
            for p, stats in m["p90_by_priority"].items()
        ),
        ("全部响应 p90（分）", "all needs p90 response (min)", "minutes", m["p90_response_s"]),
        ("未满足", "unmet at the end", "count", m["unmet"]),
        ("方案变动（改派的单位）", "plan churn (units moved)", "count", m["churn"]),
    ]
    return [
        (zh, en, spread_text(s["engine"], fmt), spread_text(s["baseline"], fmt)) for zh, en, fmt, s in rows
    ]


def expectation_lines(aggregate: dict[str, Any]) -> list[tuple[bool, str]]:
    """One line per expectation: on how many seeds it holds, and the seeds where it fails."""
    n = aggregate["n"]
    out = []
    for e in aggregate["expectations"]:
        base = f"（基线 baseline {e['baseline_held']}/{n}）"
        if e["failed_seeds"]:
            seeds = ", ".join(str(s) for s in e["failed_seeds"])
            text = f"✗ {e['name']}: {e['held']}/{n} 种子达成 seeds hold; 未达成的种子 fails on seeds {seeds} {base}"
        else:
            text = f"✓ {e['name']}: {n}/{n} 种子达成 seeds hold {base}"
        out.append((not e["failed_seeds"], text))
    return out


# -- a street: with its pool and lending, beside each community alone -------------------------------------

# Six cells: label zh, label en, then engine with the street, engine alone, baseline with the street, alone.
StreetRow = tuple[str, str, str, str, str, str]
STREET_HEADER = [
    "指标 figure",
    "引擎 街道统筹 engine, street",
    "引擎 各社区单独 engine, alone",
    "基线 街道统筹 closest, street",
    "基线 各社区单独 closest, alone",
]
BY_HAND = {"by_hand": "街道或干部指定"}
ANSWERS_ZH = {"covered": "街道处理前已派出", "unanswered": "演练结束时未回应"}


SIDES = ("street", "alone")


def _four(cells: list[str]) -> tuple[str, str, str, str]:
    first, second, third, fourth = cells
    return first, second, third, fourth


def street_rows(report: dict[str, Any]) -> list[StreetRow]:
    """One seed: the figures with the street (its pool, what communities lend) and with each alone."""
    c = report["comparison"]["street_vs_alone"]

    def four(key: str, fmt: Any = cell) -> tuple[str, str, str, str]:
        return _four([fmt(c[key][run][side]) for run in RUNS for side in SIDES])

    def counts(part: str, whole: str, zh: str) -> tuple[str, str, str, str]:
        return _four([out_of(c[part][run][side], c[whole][run][side], zh) for run in RUNS for side in SIDES])

    return [
        (
            "生命安全需求 按时",
            "life-safety needs reached in time",
            *counts("life_safety_in_time", "life_safety_needs", "按时"),
        ),
        (
            "生命安全需求 到达",
            "life-safety needs reached",
            *counts("life_safety_reached", "life_safety_needs", "到达"),
        ),
        ("生命安全响应 p90", "life-safety p90 response", *four("life_safety_p90_s", minutes)),
        ("全部需求 按时", "all needs reached in time", *counts("in_time", "counted", "按时")),
        ("迟到（超过目标或未到）", "late (past target or never)", *four("late")),
        ("未满足", "unmet", *four("unmet")),
        ("上报街道", "escalated", *four("escalated")),
    ]


def street_seed_rows(aggregate: dict[str, Any]) -> list[StreetRow]:
    """Over seeds: mean (min–max) with the street and with each community alone."""
    m = aggregate["metrics"]
    sides = {"street": m, "alone": m["alone"]}
    needs = m["life_safety_needs"]["engine"]["max"]
    rows = (
        (
            f"生命安全需求 按时（共 {needs}）",
            f"life-safety in time (of {needs})",
            "life_safety_in_time",
            "count",
        ),
        (
            f"生命安全需求 到达（共 {needs}）",
            f"life-safety reached (of {needs})",
            "life_safety_reached",
            "count",
        ),
        ("生命安全响应 p90（分）", "life-safety p90 response (min)", "life_safety_p90_s", "minutes"),
        ("迟到（超过目标或未到）", "late arrivals", "late", "count"),
        ("未满足", "unmet at the end", "unmet", "count"),
    )
    return [
        (zh, en, *_four([spread_text(sides[side][key][run], fmt) for run in RUNS for side in SIDES]))
        for zh, en, key, fmt in rows
    ]


def owner_name(street: dict[str, Any] | None, owner: str) -> str:
    """A lender as people name it: a community's name, or the street's pool."""
    if owner.startswith("street:"):
        return "街道资源库 street pool"
    names = {c["id"]: c["name"] for c in (street or {}).get("communities", [])}
    return f"{names[owner]} {owner}" if names.get(owner) else owner


def cross_text(cross: dict[str, Any], street: dict[str, Any] | None, value: Any = cell) -> str:
    """``4 次 dispatches, 4 单位 units (3 生命安全): by owner …; by rule …``. ``value`` writes one figure
    (a count, or a spread over seeds)."""
    from engine.model.plan import SHARED_BY

    labels = {**SHARED_BY, **BY_HAND}
    owners = ", ".join(f"{owner_name(street, o)} {value(n)}" for o, n in cross["by_owner"].items())
    rules = ", ".join(f"{labels.get(r, r)} {r} {value(n)}" for r, n in cross["by_rule"].items())
    head = (
        f"{value(cross['dispatches'])} 次 dispatches, {value(cross['units'])} 单位 units "
        f"({value(cross['life_safety'])} 生命安全 life-safety)"
    )
    return head + (f" — 出借方 by owner: {owners}; 规则 by rule: {rules}" if owners else "")


def answers_text(answers: dict[str, dict[str, int]]) -> str:
    """``街道已批准调派 approved 3: 3 到达, 2 按时, 3 完成; …``: what each kind of answer brought."""
    from engine.coordinator.events import ANSWER_ZH

    if not answers:
        return "0"
    labels = {**{k.value: v for k, v in ANSWER_ZH.items()}, **ANSWERS_ZH}
    return "; ".join(
        f"{labels.get(kind, kind)} {kind} {n['needs']}: {n['reached']} 到达 reached, {n['in_time']} 按时 in time, "
        f"{n['served']} 完成 served"
        for kind, n in answers.items()
    )
