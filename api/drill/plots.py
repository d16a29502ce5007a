"""The after-action report's figures (matplotlib, Agg), each engine against the closest-available baseline.

Labels are Chinese first when a CJK font (Noto CJK) is installed, English only otherwise, so a machine
without the font still gets readable figures rather than boxes.
"""

import base64
import io
from functools import cache
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

ENGINE, BASELINE, BOUND = "#1f6feb", "#d9822b", "#6e7781"
PRIORITY_COLOURS = {"5": "#cf222e", "4": "#d9822b", "3": "#bf8700", "2": "#1a7f37", "1": "#57606a"}


@cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font, if any."""
    for font in font_manager.fontManager.ttflist:
        if "CJK" in font.name or font.name in ("Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC"):
            return str(font.name)
    return None


def label(zh: str, en: str) -> str:
    return f"{zh} {en}" if cjk_font() else en


def _setup() -> None:
    font = cjk_font()
    if font is not None:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["font.size"] = 11
    # Reproducible PNGs: no creation time in the metadata.
    plt.rcParams["svg.hashsalt"] = "pingzhan"


def png(fig: Figure) -> str:
    """The figure as a base64 PNG (to embed in the HTML)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def coverage(report: dict[str, Any]) -> str:
    _setup()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for run, style in (("engine", "-"), ("baseline", "--")):
        for p, points in report[run]["coverage"].items():
            xs = [x / 60 for x, _ in points] + [_minutes(report)]
            ys = [100 * y for _, y in points] + [100 * points[-1][1]]
            ax.step(
                xs, ys, where="post", linestyle=style, color=PRIORITY_COLOURS[p], label=f"P{p} {_run(run)}"
            )
    ax.set_xlabel(label("演练时间（分钟）", "drill time (min)"))
    ax.set_ylabel(label("已到达需求占比 %", "needs reached %"))
    ax.set_title(label("各优先级需求覆盖随时间变化", "coverage of needs over time, by priority"))
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    ax.grid(alpha=0.3)
    return png(fig)


def response_times(report: dict[str, Any]) -> str:
    _setup()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    priorities = sorted(
        set(report["engine"]["response_times"]) | set(report["baseline"]["response_times"]), reverse=True
    )
    data, positions, colours = [], [], []
    for i, p in enumerate(priorities):
        for j, run in enumerate(("engine", "baseline")):
            values = [v / 60 for v in report[run]["response_times"].get(p, [])]
            data.append(values or [float("nan")])
            positions.append(i * 3 + j)
            colours.append(ENGINE if run == "engine" else BASELINE)
    parts = ax.boxplot(data, positions=positions, widths=0.8, patch_artist=True, showfliers=True)
    for patch, colour in zip(parts["boxes"], colours, strict=True):
        patch.set_facecolor(colour)
        patch.set_alpha(0.6)
    ax.set_xticks([i * 3 + 0.5 for i in range(len(priorities))], [f"P{p}" for p in priorities])
    ax.set_ylabel(label("响应时间（分钟）", "response time (min)"))
    ax.set_title(
        label("响应时间分布：引擎（蓝）与基线（橙）", "response times: engine (blue) vs baseline (orange)")
    )
    ax.grid(alpha=0.3, axis="y")
    return png(fig)


def late(report: dict[str, Any]) -> str:
    _setup()
    expectations = [e for e in report["expectations"] if "reached within" in e["engine"]["detail"]]
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.7 * max(1, len(expectations))))
    names = [_short(e["name"]) for e in expectations]
    ys = range(len(expectations))
    ax.barh(
        [y + 0.2 for y in ys],
        [len(e["engine"]["late"]) for e in expectations],
        0.4,
        color=ENGINE,
        label=_run("engine"),
    )
    ax.barh(
        [y - 0.2 for y in ys],
        [len(e["baseline"]["late"]) for e in expectations],
        0.4,
        color=BASELINE,
        label=_run("baseline"),
    )
    ax.set_yticks(list(ys), names)
    ax.set_xlabel(label("迟到或未到的需求数", "needs late or never reached"))
    ax.set_title(label("对照预期的迟到", "late arrivals against the expectations"))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return png(fig)


def unmet(report: dict[str, Any]) -> str:
    _setup()
    reasons = sorted({u["reason"] for run in ("engine", "baseline") for u in report[run]["unmet"]}) or ["-"]
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.6 * max(1, len(reasons))))
    for k, (run, colour) in enumerate((("engine", ENGINE), ("baseline", BASELINE))):
        counts = [sum(1 for u in report[run]["unmet"] if u["reason"] == r) for r in reasons]
        ax.barh(
            [i + (0.2 if k == 0 else -0.2) for i in range(len(reasons))],
            counts,
            0.4,
            color=colour,
            label=_run(run),
        )
    ax.set_yticks(range(len(reasons)), reasons)
    ax.set_xlabel(label("演练结束时未满足的需求数", "needs unmet at the end"))
    ax.set_title(label("未满足需求的原因", "unmet needs by reason"))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return png(fig)


def churn(report: dict[str, Any]) -> str:
    _setup()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for run, colour, marker in (("engine", ENGINE, "o"), ("baseline", BASELINE, "x")):
        series = report[run]["replans"]["series"]
        ax.plot(
            [s[0] / 60 for s in series],
            [s[1] for s in series],
            marker,
            color=colour,
            label=_run(run),
            alpha=0.7,
        )
    ax.set_xlabel(label("演练时间（分钟）", "drill time (min)"))
    ax.set_ylabel(label("收回的建议数", "proposals taken back"))
    ax.set_title(label("每次重新规划的方案变动", "plan churn per re-plan"))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return png(fig)


def hindsight(report: dict[str, Any]) -> str:
    _setup()
    gap = report["comparison"]["hindsight_gap"]
    ls = report["comparison"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4))
    names = [_run("engine"), _run("baseline"), label("事后最优", "hindsight")]
    colours = [ENGINE, BASELINE, BOUND]
    units = [
        ls["life_safety_units_reached"]["engine"],
        ls["life_safety_units_reached"]["baseline"],
        gap["hindsight_units_served"],
    ]
    travel = [
        (ls["life_safety_mean_travel_s"]["engine"] or 0) / 60,
        (ls["life_safety_mean_travel_s"]["baseline"] or 0) / 60,
        (gap["hindsight_mean_travel_s"] or 0) / 60,
    ]
    left.bar(names, [u or 0 for u in units], color=colours)
    left.set_title(label("生命安全单位", "life-safety units reached"), fontsize=10)
    right.bar(names, travel, color=colours)
    right.set_title(label("每单位平均行程（分）", "mean travel per unit (min)"), fontsize=10)
    for ax in (left, right):
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(alpha=0.3, axis="y")
    return png(fig)


def all_figures(report: dict[str, Any]) -> dict[str, str]:
    return {
        "coverage": coverage(report),
        "response": response_times(report),
        "late": late(report),
        "unmet": unmet(report),
        "churn": churn(report),
        "hindsight": hindsight(report),
    }


def _run(run: str) -> str:
    return label("引擎", "engine") if run == "engine" else label("基线", "closest")


def _minutes(report: dict[str, Any]) -> float:
    h, m, s = (int(x) for x in report["scenario"]["duration"].split(":"))
    return (h * 3600 + m * 60 + s) / 60


def _short(name: str) -> str:
    if cjk_font():
        return name if len(name) <= 28 else name[:27] + "…"
    # Without a CJK font keep the English half of a bilingual name.
    ascii_part = "".join(ch for ch in name if ord(ch) < 0x2E80).strip()
    return ascii_part if len(ascii_part) <= 40 else ascii_part[:39] + "…"
