"""The after-action report as one self-contained HTML page: plain words, Chinese first, figures embedded.

:func:`report_html` is one seed's report; :func:`seeds_html` the drill over seeds, linking to each seed's.
"""

from html import escape
from typing import Any

from api.drill import plots
from api.drill import rows as r

STYLE = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 18px;
       max-width: 960px; margin: 0 auto; padding: 1em; color: #1f2328; line-height: 1.5; }
.banner { background: #9a6700; color: white; font-size: 22px; font-weight: bold; padding: .5em 1em; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border: 1px solid #d0d7de; padding: .35em .6em; text-align: left; vertical-align: top; }
th small, td small { color: #57606a; }
li.ok { color: #1a7f37; } li.bad { color: #cf222e; font-weight: bold; }
figure { margin: 1em 0; } img { max-width: 100%; } figcaption { color: #57606a; font-size: 15px; }
p.left-out { color: #57606a; border-left: 4px solid #d0d7de; padding-left: .6em; }
"""
BANNER = (
    '<div class="banner">演练 EXERCISE — 本报告来自演练，不是真实事件 This report comes from a drill, '
    "not a real incident</div>"
)
ENGINE_AND_BASELINE = """<p>“引擎”是平战的最优匹配；“基线”是今天的做法：按优先级、按上报先后，每条需求找最近的空闲资源。
两者经历同样的事件、同样的人（同一种子）。“事后最优”是一个知道所有需求的调度员一次排出的方案。
The engine is Pingzhan's optimal matching; the baseline is today's practice: by priority, then by report
time, each need takes the nearest free resource. Both meet the same events and the same people (same seed).
Hindsight is the plan of a dispatcher who knew every need from the start.</p>"""


def _head(title: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="pingzhan-exercise" content="true">
<title>【演练 EXERCISE】{escape(title)} — 复盘报告</title>
<style>{STYLE}</style></head><body>
{BANNER}"""


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _figure(chart: str | plots.Left, zh: str, en: str) -> str:
    if isinstance(chart, plots.Left):
        return f"<p class='left-out'>图略 chart left out — {escape(zh)}: {escape(chart.zh)}. {escape(chart.en)}.</p>"
    return (
        f"<figure><img alt='{escape(en)}' src='data:image/png;base64,{chart}'>"
        f"<figcaption>{escape(zh)} · {escape(en)}</figcaption></figure>"
    )


def _targets(report: dict[str, Any]) -> str:
    targets = " · ".join(f"P{p} {int(t) // 60} 分 min" for p, t in report["targets_s"].items())
    c = report["censoring"]
    return (
        f"<p><small>响应目标 response targets（上报到第一个人到场 report to first unit on site）: {targets}。"
        f"按时 = 在目标内到达；迟到 = 超过目标或始终未到。{escape(c['zh'])}。"
        f" In time = reached within the target; late = past it or never reached; {escape(c['en'])}.</small></p>"
    )


def _unmet(report: dict[str, Any], run: str) -> str:
    rows = r.unmet_rows(report, run)
    if not rows:
        return "<p>没有未满足的需求。No need is left unmet.</p>"
    return _table(r.UNMET_HEADER, rows)


STREET_AND_ALONE = """<p>同一条街道再跑两遍：各社区只用自己的资源库，没有街道资源库，也不向邻社区借（同一种子、同样的人）。
两者之差就是街道统筹带来的。
The same street is run again with each community alone: its own pool only, no street pool, no lending (same
seed, same people). The difference is what planning the street together brought.</p>"""


def _street(
    rows: list[r.StreetRow], street: dict[str, Any], sharing: dict[str, Any], value: Any, summed: str
) -> str:
    """The street beside each community alone; cross-community dispatches and answers to escalations."""
    communities = "、".join(
        f"{c['name'] or c['id']}（{c['profile']}，出借 lend: {c['sharing']['lend']}）"
        for c in street["communities"]
    )
    lines = "".join(
        f"<li>{zh} {run}: 跨社区调派 cross-community dispatches — {escape(r.cross_text(sharing[run]['cross_community'], street, value))}"
        f"<br>上报街道的回应 answers to escalations{summed} — {escape(r.answers_text(sharing[run]['escalation_answers']))}</li>"
        for run, zh in (("engine", "引擎"), ("baseline", "基线"))
    )
    return f"""<h2>街道统筹与各社区单独 The street and each community alone</h2>
<p>街道 street: {escape(street["name"] or street["id"])} · 社区 communities: {escape(communities)}</p>
{STREET_AND_ALONE}
{_table(r.STREET_HEADER, [[f"{zh} {en}", *cells] for zh, en, *cells in rows])}
<ul>{lines}</ul>"""


def report_html(report: dict[str, Any], wall_s: float | None = None) -> str:
    s = report["scenario"]
    figures = plots.all_figures(report)
    table = "".join(
        f"<tr><th>{zh}<br><small>{en}</small></th><td>{escape(a)}</td><td>{escape(b)}</td><td>{escape(h)}</td></tr>"
        for zh, en, a, b, h in r.comparison_rows(report)
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
    notes = "".join(
        f"<li>{escape(n['at'])} 第 {n['event']} 条事件 event #{n['event']}: {escape(n['text'])}</li>"
        for n in report["engine"]["notes"]
    )
    needs = report["engine"]["needs"]
    counts = report["engine"]["counts"]
    hindsight = report["hindsight"]
    wall = f" · 用时 wall time {wall_s:.1f} s" if wall_s is not None else ""
    return f"""{_head(s["title_zh"])}
<h1>{escape(s["title_zh"])}<br><small>{escape(s["title_en"])}</small></h1>
<p>社区 community: {escape(s["community_name"] or s["community"])} · 治理配置 profile: {escape(s["profile"])}
· 种子 seed {s["seed"]} · 开始 start {escape(s["start"])} · 时长 duration {escape(s["duration"])}
· 事件 {s["events"]} events · 需求 {s["needs"]} needs · 组织 {s["organisations"]} organisations{wall}</p>

<h2>结论 In short</h2>
<ul>{expectations}</ul>
<p>需求去向 where the needs went (engine): 上报 reported {needs["reported"]} = 完成 served {needs["served"]}
+ 未满足 unmet {needs["unmet"]} + 取消 cancelled {needs["cancelled"]}.
超时未接单 timed out {counts.get("timeouts", 0)} · 拒绝 declined {counts.get("declines", 0)}
· 上报街道 escalated {escape(r.escalations(report["engine"]["escalated"]))} · 干部改派 overrides {counts.get("overrides", 0)}.</p>

<h2>引擎与今天的做法 Engine and today's practice</h2>
{ENGINE_AND_BASELINE}
<table><tr><th></th><th>引擎 engine</th><th>基线 closest available</th><th>事后最优 hindsight</th></tr>{table}</table>
{_targets(report)}
<h3>各优先级 By priority</h3>
{_table(r.PRIORITY_HEADER, r.priority_rows(report))}
<p><small>事后最优的含义 what hindsight bounds: {escape(str(hindsight["what"]))}.</small></p>

<h2>图 Figures</h2>
{_figure(figures["coverage"], "各优先级需求覆盖随时间变化（实线引擎，虚线基线）", "coverage over time by priority (solid engine, dashed baseline)")}
{_figure(figures["response"], "已到达需求的响应时间（上报到第一个人到场）", "response time of needs reached (report to first unit on site)")}
{_figure(figures["late"], "超过响应目标的需求", "needs past their response target")}
{_figure(figures["unmet"], "演练结束时未满足需求的原因", "unmet needs at the end, by reason")}
{_figure(figures["churn"], "方案变动：改派到别的需求的单位", "plan churn: units moved to another need")}
{_figure(figures["hindsight"], "与事后最优的差距", "distance to the hindsight bound")}
{_street(r.street_rows(report), report["street"], {run: report[run]["street"] for run in r.RUNS}, r.cell, "") if "alone" in report else ""}

<h2>未满足的需求 Unmet needs — 引擎 engine</h2>
{_unmet(report, "engine")}
<h2>未满足的需求 Unmet needs — 基线 baseline</h2>
{_unmet(report, "baseline")}
{"<h2>未能执行的事件 Events that could not apply</h2><ul>" + notes + "</ul>" if notes else ""}
<p><small>平战 Pingzhan · 演练复盘报告 drill after-action report · exercise=true</small></p>
</body></html>
"""


def seeds_html(aggregate: dict[str, Any], wall_s: float | None = None) -> str:
    """The drill over seeds: mean (min–max) engine beside baseline, expectations on every seed, links."""
    s = aggregate["scenario"]
    n = aggregate["n"]
    table = "".join(
        f"<tr><th>{zh}<br><small>{en}</small></th><td>{escape(a)}</td><td>{escape(b)}</td></tr>"
        for zh, en, a, b in r.seed_rows(aggregate)
    )
    expectations = (
        "".join(
            f"<li class='{'ok' if ok else 'bad'}'>{escape(text)}</li>"
            for ok, text in r.expectation_lines(aggregate)
        )
        or "<li>（无 none）</li>"
    )
    failures = "".join(
        f"<li>{escape(e['name'])} — 种子 seed {f['seed']}: {escape(f['detail'])}</li>"
        for e in aggregate["expectations"]
        for f in e["failures"]
    )
    links = " · ".join(
        f"<a href='seed-{seed}/report.html'>种子 seed {seed}</a>" for seed in aggregate["seeds"]
    )
    wall = f" · 用时 wall time {wall_s:.1f} s" if wall_s is not None else ""
    chart = plots.seeds(aggregate)
    figure = _figure(
        chart if isinstance(chart, plots.Left) else plots.png(chart),
        "每个种子的迟到与生命安全 p90",
        "late arrivals and life-safety p90, seed by seed",
    )
    return f"""{_head(s["title_zh"])}
<h1>{escape(s["title_zh"])}<br><small>{escape(s["title_en"])} — {n} 个种子 over {n} seeds</small></h1>
<p>社区 community: {escape(s["community_name"] or s["community"])} · 治理配置 profile: {escape(s["profile"])}
· 种子 seeds {escape(", ".join(map(str, aggregate["seeds"])))} (n={n}) · 时长 duration {escape(s["duration"])}
· 需求 {s["needs"]} needs{wall}</p>
<p>每个种子是响应者行为的一次抽样（谁拒绝、谁不回应、多快回应）。下表是 {n} 个种子的均值，括号里是最小–最大。
Each seed is one draw of how responders behave (who declines, who stays silent, how fast they answer).
The table gives the mean over {n} seeds, with min–max in brackets.</p>

<h2>预期（每个种子都要达成）Expectations, judged on every seed</h2>
<ul>{expectations}</ul>
{"<ul>" + failures + "</ul>" if failures else ""}

<h2>引擎与今天的做法 Engine and today's practice</h2>
{ENGINE_AND_BASELINE}
<table><tr><th>均值 (最小–最大)<br><small>mean (min–max)</small></th><th>引擎 engine</th><th>基线 closest available</th></tr>{table}</table>
{_targets(aggregate)}
<p><small>事后最优的生命安全单位 hindsight life-safety units: {aggregate["hindsight_life_safety_units_served"]}</small></p>
{figure}
{_street(r.street_seed_rows(aggregate), aggregate["street"], aggregate["sharing"]["street"], r.spread_text, f"（{n} 个种子合计 summed over {n} seeds）") if "sharing" in aggregate else ""}

<h2>每个种子的报告 Each seed's report</h2>
<p>{links}</p>
<p><small>平战 Pingzhan · 多种子演练汇总 drill over seeds · exercise=true</small></p>
</body></html>
"""
