"""A plan as a table a person can read in a terminal, Chinese first."""

from api.labels import capability_name
from engine.matching.explain import Names, restate
from engine.model.plan import REASON_ZH, Plan

# The explanations name capabilities as people do; needs and resources keep the ids the problem file gave them.
NAMES = Names(capability=capability_name)


def _rows(header: list[str], rows: list[list[str]]) -> str:
    def width(text: str) -> int:
        # CJK characters take two columns in a terminal.
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    cols = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell + " " * (cols[i] - width(cell)) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def plan_table(plan: Plan) -> str:
    served = plan.objective.served_by_priority
    assigned = [
        [
            a.need + (f"/{a.part}" if a.part else ""),
            a.resource,
            str(a.quantity),
            "-" if a.travel_s is None else f"{a.travel_s / 60:.1f}",
            "已锁定" if a.pinned else "建议",
            ", ".join(a.rules),
        ]
        for a in plan.assignments
    ]
    out = [
        "调度方案 dispatch plan",
        _rows(["需求 need", "资源 resource", "数量 qty", "到达(分) min", "状态", "规则 rules"], assigned),
    ]
    if plan.unmet:
        unmet = [
            [
                u.need,
                str(u.priority),
                str(u.quantity),
                REASON_ZH[u.reason.value],
                restate(u.detail, "zh", NAMES),
                restate(u.suggestion.text, "zh", NAMES),
            ]
            for u in plan.unmet
        ]
        out += [
            "",
            "未满足 unmet",
            _rows(["需求 need", "优先级", "缺 short", "原因 reason", "说明", "建议 suggestion"], unmet),
        ]
    out += [
        "",
        "已满足单位（优先级5→1） served units by priority 5→1: " + " / ".join(str(s) for s in served),
        f"加权行程 weighted travel: {plan.objective.weighted_travel}  保留上次方案 kept: {plan.objective.kept}",
        f"求解 solver: {plan.solver.name} {'+'.join(plan.solver.methods)}  "
        + "  ".join(f"{k} {v:.1f} ms" for k, v in plan.solver.timings_ms.items()),
    ]
    return "\n".join(out)
