"""The after-action report as one self-contained HTML page: plain words, Chinese first, figures embedded."""

from html import escape
from typing import Any

from api.drill import plots


def _minutes(value: Any) -> str:
    return "-" if value is None else f"{value / 60:.1f} 分 min"


def _cell(value: Any, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def report_html(report: dict[str, Any], wall_s: float | None = None) -> str:
    s = report["scenario"]
    c = report["comparison"]
    gap = c["hindsight_gap"]
    figures = plots.all_figures(report)
    rows = [
        (
            "生命安全覆盖",
            "life-safety coverage",
            _cell(c["life_safety_coverage_pct"]["engine"], "%"),
            _cell(c["life_safety_coverage_pct"]["baseline"], "%"),
            "-",
        ),
        (
            "生命安全单位（到达）",
            "life-safety units reached",
            _cell(c["life_safety_units_reached"]["engine"]),
            _cell(c["life_safety_units_reached"]["baseline"]),
            _cell(gap["hindsight_units_served"]),
        ),
        (
            "生命安全每单位行程",
            "life-safety travel per unit",
            _minutes(c["life_safety_mean_travel_s"]["engine"]),
            _minutes(c["life_safety_mean_travel_s"]["baseline"]),
            _minutes(gap["hindsight_mean_travel_s"]),
        ),
        (
            "响应时间中位数",
            "median response",
            _minutes(c["median_response_s"]["engine"]),
            _minutes(c["median_response_s"]["baseline"]),
            "-",
        ),
        (
            "响应时间 p90",
            "p90 response",
            _minutes(c["p90_response_s"]["engine"]),
            _minutes(c["p90_response_s"]["baseline"]),
            "-",
        ),
        ("迟到（对照预期）", "late arrivals", _cell(c["late"]["engine"]), _cell(c["late"]["baseline"]), "-"),
        ("完成", "served", _cell(c["served"]["engine"]), _cell(c["served"]["baseline"]), "-"),
        ("未满足", "unmet", _cell(c["unmet"]["engine"]), _cell(c["unmet"]["baseline"]), "-"),
        ("方案变动", "plan churn", _cell(c["churn"]["engine"]), _cell(c["churn"]["baseline"]), "-"),
    ]
    table = "".join(
        f"<tr><th>{zh}<br><small>{en}</small></th><td>{escape(a)}</td><td>{escape(b)}</td><td>{escape(h)}</td></tr>"
        for zh, en, a, b, h in rows
    )
    expectations = (
        "".join(
            f"<li class='{'ok' if e['engine']['holds'] else 'bad'}'>{'✓ 达成 met' if e['engine']['holds'] else '✗ 未达成 not met'}"
            f" — <b>{escape(e['name'])}</b>: {escape(e['engine']['detail'])}"
            f" <small>（基线 baseline: {'✓' if e['baseline']['holds'] else '✗'} {escape(e['baseline']['detail'])}）</small></li>"
            for e in report["expectations"]
        )
        or "<li>（无 none）</li>"
    )
    unmet = "".join(
        f"<tr><td>{escape(u['need'])}</td><td>{u['priority']}</td><td>{escape(u['capability'])}</td>"
        f"<td>{escape(u['reason_zh'])}<br><small>{escape(u['reason'])}</small></td><td>{escape(u['detail'])}</td>"
        f"<td>{escape(u['suggestion'])}</td></tr>"
        for u in report["engine"]["unmet"]
    )
    unmet_block = (
        "<table><tr><th>需求 need</th><th>优先级</th><th>能力 capability</th><th>原因 reason</th>"
        f"<th>说明 detail</th><th>建议 suggestion</th></tr>{unmet}</table>"
        if unmet
        else "<p>没有未满足的需求。No need is left unmet.</p>"
    )
    notes = "".join(
        f"<li>{escape(n['at'])} 第 {n['event']} 条事件 event #{n['event']}: {escape(n['text'])}</li>"
        for n in report["engine"]["notes"]
    )
    needs = report["engine"]["needs"]
    counts = report["engine"]["counts"]
    hindsight = report["hindsight"]
    wall = f" · 用时 wall time {wall_s:.1f} s" if wall_s is not None else ""

    def figure(key: str, zh: str, en: str) -> str:
        return (
            f"<figure><img alt='{escape(en)}' src='data:image/png;base64,{figures[key]}'>"
            f"<figcaption>{escape(zh)} · {escape(en)}</figcaption></figure>"
        )

    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="pingzhan-exercise" content="true">
<title>【演练 EXERCISE】{escape(s["title_zh"])} — 复盘报告</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 18px;
       max-width: 960px; margin: 0 auto; padding: 1em; color: #1f2328; line-height: 1.5; }}
.banner {{ background: #9a6700; color: white; font-size: 22px; font-weight: bold; padding: .5em 1em; border-radius: 6px; }}
table {{ border-collapse: collapse; width: 100%; margin: .5em 0 1em; }}
th, td {{ border: 1px solid #d0d7de; padding: .35em .6em; text-align: left; vertical-align: top; }}
th small, td small {{ color: #57606a; }}
li.ok {{ color: #1a7f37; }} li.bad {{ color: #cf222e; font-weight: bold; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }} figcaption {{ color: #57606a; font-size: 15px; }}
</style></head><body>
<div class="banner">演练 EXERCISE — 本报告来自演练，不是真实事件 This report comes from a drill, not a real incident</div>
<h1>{escape(s["title_zh"])}<br><small>{escape(s["title_en"])}</small></h1>
<p>社区 community: {escape(s["community_name"] or s["community"])} · 治理配置 profile: {escape(s["profile"])}
· 种子 seed {s["seed"]} · 开始 start {escape(s["start"])} · 时长 duration {escape(s["duration"])}
· 事件 {s["events"]} events · 需求 {s["needs"]} needs · 组织 {s["organisations"]} organisations{wall}</p>

<h2>结论 In short</h2>
<ul>{expectations}</ul>
<p>需求去向 where the needs went (engine): 上报 reported {needs["reported"]} = 完成 served {needs["served"]}
+ 未满足 unmet {needs["unmet"]} + 取消 cancelled {needs["cancelled"]}.
超时未接单 timed out {counts.get("timeouts", 0)} · 拒绝 declined {counts.get("declines", 0)}
· 上报街道 escalated {counts.get("escalations", 0)} · 干部改派 overrides {counts.get("overrides", 0)}.</p>

<h2>引擎与今天的做法 Engine and today's practice</h2>
<p>“引擎”是平战的最优匹配；“基线”是今天的做法：按优先级、按上报先后，每条需求找最近的空闲资源。
两者经历同样的事件、同样的人（同一种子）。“事后最优”是一个知道所有需求的调度员一次排出的方案。
The engine is Pingzhan's optimal matching; the baseline is today's practice: by priority, then by report
time, each need takes the nearest free resource. Both meet the same events and the same people (same seed).
Hindsight is the plan of a dispatcher who knew every need from the start.</p>
<table><tr><th></th><th>引擎 engine</th><th>基线 closest available</th><th>事后最优 hindsight</th></tr>{table}</table>
<p><small>事后最优的含义 what hindsight bounds: {escape(str(hindsight["what"]))}.</small></p>

<h2>图 Figures</h2>
{figure("coverage", "各优先级需求覆盖随时间变化（实线引擎，虚线基线）", "coverage over time by priority (solid engine, dashed baseline)")}
{figure("response", "各优先级响应时间（上报到第一个人到场）", "response time (report to first unit on site) by priority")}
{figure("late", "对照预期的迟到", "late arrivals against the expectations")}
{figure("unmet", "演练结束时未满足需求的原因", "unmet needs at the end, by reason")}
{figure("churn", "每次重新规划收回的建议", "proposals taken back at each re-plan")}
{figure("hindsight", "与事后最优的差距", "distance to the hindsight bound")}

<h2>未满足的需求 Unmet needs (engine)</h2>
{unmet_block}
{"<h2>未能执行的事件 Events that could not apply</h2><ul>" + notes + "</ul>" if notes else ""}
<p><small>平战 Pingzhan · 演练复盘报告 drill after-action report · exercise=true</small></p>
</body></html>
"""
