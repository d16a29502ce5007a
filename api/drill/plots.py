"""The after-action report's figures (matplotlib, Agg), each engine against the closest-available baseline.

Labels are Chinese first in Noto Sans CJK (Debian's fonts-noto-cjk, which ``make system`` installs); a
machine without a CJK font gets English-only labels rather than boxes. Colours are Okabe–Ito's
colour-blind-safe set: engine blue, baseline orange, and five priority colours that are neither. A chart
with nothing to show is not drawn: the report says why instead (:class:`Left`).
"""

import base64
import io
from dataclasses import dataclass
from functools import cache
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from engine.drill.metrics import REASON_ZH

# Okabe & Ito (2008), "Color Universal Design": told apart with any common colour vision deficiency.
ENGINE, BASELINE, BOUND = "#0072B2", "#E69F00", "#999999"
PRIORITY_COLOURS = {"5": "#D55E00", "4": "#CC79A7", "3": "#009E73", "2": "#56B4E9", "1": "#000000"}
# Simplified Chinese first; any other Noto Sans CJK face draws the same Hanzi nearly alike.
PREFERRED_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR")


@dataclass(frozen=True)
class Left:
    """A chart left out, and why (said in the report where the chart would be)."""

    zh: str
    en: str


Chart = Figure | Left


@cache
def cjk_font() -> str | None:
    """The family name of an installed CJK sans font, if any.

    matplotlib caches the fonts it found on first use; a font installed after that (``make system`` on a
    machine where matplotlib already ran) is read from the system's font folders here.
    """
    for _ in range(2):
        names = {font.name for font in font_manager.fontManager.ttflist}
        for name in PREFERRED_FONTS:
            if name in names:
                return name
        for name in sorted(names):
            if "CJK" in name and "Sans" in name and "Mono" not in name:
                return name
        found = [p for p in font_manager.findSystemFonts() if "CJK" in p or "cjk" in p]
        if not found:
            break
        for path in found:
            font_manager.fontManager.addfont(path)
    return None


def label(zh: str, en: str) -> str:
    return f"{zh} {en}" if cjk_font() else en


def title(zh: str, en: str) -> str:
    """A title on two lines, so a long one is not cut at the figure's edge."""
    return f"{zh}\n{en}" if cjk_font() else en


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    font = cjk_font()
    if font is not None:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["font.size"] = 11
    # Reproducible images: no salt that changes from run to run.
    plt.rcParams["svg.hashsalt"] = "pingzhan"
    # One layout pass while drawing (bbox_inches="tight" would draw every figure twice).
    return plt.subplots(1, ncols, figsize=(width, height), layout="constrained")


def png(fig: Figure) -> str:
    """The figure as a base64 PNG (to embed in the HTML)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_zero(ax: Axes, top: float, axis: str = "y", integer: bool = False) -> None:
    """An axis from 0 with room above the data; never the ±0.04 matplotlib draws around all-zero data."""
    limit = max(top * 1.1, 1.0)
    (ax.set_ylim if axis == "y" else ax.set_xlim)(0, limit)
    if integer:
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


def coverage(report: dict[str, Any]) -> Chart:
    if not any(report[run]["coverage"] for run in ("engine", "baseline")):
        return Left(
            "没有需要覆盖的需求（全部取消或没有上报）", "no need to cover (none reported, or all cancelled)"
        )
    fig, ax = _figure(8, 4.2)
    for run, style, width in (("engine", "-", 2.0), ("baseline", "--", 1.4)):
        for p, points in report[run]["coverage"].items():
            xs = [x / 60 for x, _ in points] + [_minutes(report)]
            ys = [100 * y for _, y in points] + [100 * points[-1][1]]
            ax.step(
                xs,
                ys,
                where="post",
                linestyle=style,
                linewidth=width,
                color=PRIORITY_COLOURS[p],
                label=f"P{p} {_run(run)}",
            )
    ax.set_xlabel(label("演练时间（分钟）", "drill time (min)"))
    ax.set_ylabel(label("已到达需求占比 %", "needs reached %"))
    ax.set_title(
        title(
            "各优先级需求覆盖（实线引擎，虚线基线）", "coverage by priority (solid engine, dashed baseline)"
        )
    )
    ax.set_xlim(0, _minutes(report))
    ax.set_ylim(0, 105)
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def response_times(report: dict[str, Any]) -> Chart:
    times = {run: report[run]["response_times"] for run in ("engine", "baseline")}
    if not any(values for run in times.values() for values in run.values()):
        return Left("两次运行都没有任何需求等到人到场", "no need was reached in either run")
    fig, ax = _figure(8, 4.2)
    priorities = sorted(set(times["engine"]) | set(times["baseline"]), reverse=True)
    data, positions, colours = [], [], []
    for i, p in enumerate(priorities):
        for j, run in enumerate(("engine", "baseline")):
            values = [v / 60 for v in times[run].get(p, [])]
            if values:
                data.append(values)
                positions.append(i * 3 + j)
                colours.append(ENGINE if run == "engine" else BASELINE)
    parts = ax.boxplot(
        data,
        positions=positions,
        widths=0.8,
        patch_artist=True,
        showfliers=True,
        medianprops={"color": "black", "linewidth": 1.5},
    )
    for patch, colour in zip(parts["boxes"], colours, strict=True):
        patch.set_facecolor(colour)
        patch.set_alpha(0.8)
    ax.legend(
        handles=[Patch(color=ENGINE, label=_run("engine")), Patch(color=BASELINE, label=_run("baseline"))],
        fontsize=8,
    )
    ax.set_xticks([i * 3 + 0.5 for i in range(len(priorities))], [f"P{p}" for p in priorities])
    targets = report.get("targets_s", {})
    for i, p in enumerate(priorities):
        if p in targets:
            ax.hlines(targets[p] / 60, i * 3 - 0.5, i * 3 + 1.5, colors=BOUND, linestyles=":", linewidth=1.5)
    _from_zero(ax, max(max(d) for d in data))
    ax.set_ylabel(label("响应时间（分钟）", "response time (min)"))
    ax.set_title(
        title(
            "已到达需求的响应时间：引擎（蓝）与基线（橙），点线为目标",
            "response of needs reached: engine (blue), baseline (orange), dotted: target",
        ),
        fontsize=10,
    )
    ax.grid(alpha=0.3, axis="y")
    return fig


def late(report: dict[str, Any]) -> Chart:
    priorities = [
        p for p in report.get("targets_s", {}) if _late(report, "engine", p) or _late(report, "baseline", p)
    ]
    if not priorities:
        return Left(
            "两次运行都没有迟到：每条需求都在目标时间内到达",
            "nothing late in either run: every need reached in time",
        )
    fig, ax = _figure(8, 1.4 + 0.6 * len(priorities))
    ys = range(len(priorities))
    counts = {run: [_late(report, run, p) for p in priorities] for run in ("engine", "baseline")}
    ax.barh([y + 0.2 for y in ys], counts["engine"], 0.4, color=ENGINE, label=_run("engine"))
    ax.barh([y - 0.2 for y in ys], counts["baseline"], 0.4, color=BASELINE, label=_run("baseline"))
    targets = report["targets_s"]
    ax.set_yticks(list(ys), [f"P{p} ≤ {targets[p] // 60} min" for p in priorities])
    ax.invert_yaxis()
    _from_zero(ax, max(max(counts["engine"]), max(counts["baseline"])), axis="x", integer=True)
    ax.set_xlabel(label("迟到或未到的需求数", "needs late or never reached"))
    ax.set_title(title("超过响应目标的需求", "needs past their response target"))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return fig


def _late(report: dict[str, Any], run: str, priority: str) -> int:
    figures = report[run]["by_priority"].get(priority)
    return int(figures["late"]) if figures else 0


def unmet(report: dict[str, Any]) -> Chart:
    reasons = sorted({u["reason"] for run in ("engine", "baseline") for u in report[run]["unmet"]})
    if not reasons:
        return Left("两次运行都没有未满足的需求", "no need left unmet in either run")
    fig, ax = _figure(8, 1.4 + 0.6 * len(reasons))
    top = 0
    for k, (run, colour) in enumerate((("engine", ENGINE), ("baseline", BASELINE))):
        counts = [sum(1 for u in report[run]["unmet"] if u["reason"] == r) for r in reasons]
        top = max(top, *counts)
        ax.barh(
            [i + (0.2 if k == 0 else -0.2) for i in range(len(reasons))],
            counts,
            0.4,
            color=colour,
            label=_run(run),
        )
    ax.set_yticks(range(len(reasons)), [label(REASON_ZH.get(r, r), r) for r in reasons])
    _from_zero(ax, top, axis="x", integer=True)
    ax.set_xlabel(label("演练结束时未满足的需求数", "needs unmet at the end"))
    ax.set_title(title("未满足需求的原因", "unmet needs by reason"))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return fig


def churn(report: dict[str, Any]) -> Chart:
    totals = {run: report[run]["replans"]["churn"] for run in ("engine", "baseline")}
    if not any(totals.values()):
        return Left("两次运行的方案都没有改派过单位", "no unit was moved between needs in either run")
    fig, ax = _figure(8, 3.6)
    end = _minutes(report)
    for run, colour, style in (("engine", ENGINE, "-"), ("baseline", BASELINE, "--")):
        xs, ys, total = [0.0], [0], 0
        for at_s, moved in report[run]["replans"]["series"]:
            total += moved
            xs.append(at_s / 60)
            ys.append(total)
        ax.step([*xs, end], [*ys, total], where="post", color=colour, linestyle=style, label=_run(run))
    ax.set_xlim(0, end)
    _from_zero(ax, max(totals.values()), integer=True)
    ax.set_xlabel(label("演练时间（分钟）", "drill time (min)"))
    ax.set_ylabel(label("累计改派的单位", "units moved, cumulative"))
    ax.set_title(title("方案变动：改派到别的需求的单位", "plan churn: units moved to another need"))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def hindsight(report: dict[str, Any]) -> Chart:
    c = report["comparison"]
    gap = c["hindsight_gap"]
    units = [
        c["life_safety_units_reached"]["engine"] or 0,
        c["life_safety_units_reached"]["baseline"] or 0,
        gap["hindsight_units_served"] or 0,
    ]
    if not any(units):
        return Left(
            "本次演练没有生命安全单位到达，也没有可到达的", "no life-safety unit reached, nor reachable"
        )
    fig, (left, right) = _figure(8, 3.4, ncols=2)
    names = [_run("engine"), _run("baseline"), label("事后最优", "hindsight")]
    colours = [ENGINE, BASELINE, BOUND]
    travel = [
        c["life_safety_mean_travel_s"]["engine"],
        c["life_safety_mean_travel_s"]["baseline"],
        gap["hindsight_mean_travel_s"],
    ]
    travelled = [
        c["life_safety_travelled_units"]["engine"],
        c["life_safety_travelled_units"]["baseline"],
        gap["hindsight_units_served"],
    ]
    left.bar(names, units, color=colours)
    _from_zero(left, max(units), integer=True)
    left.set_title(title("生命安全单位（到达）", "life-safety units reached"), fontsize=10)
    minutes = [(t or 0) / 60 for t in travel]
    bars = right.bar(names, minutes, color=colours)
    # A mean travel is read with the units it is over.
    unit = "单位" if cjk_font() else "units"
    right.bar_label(
        bars,
        ["-" if t is None else f"× {n} {unit}" for n, t in zip(travelled, travel, strict=True)],
        fontsize=8,
    )
    _from_zero(right, max(minutes))
    right.set_title(title("每单位平均行程（分）", "mean travel per unit (min)"), fontsize=10)
    for ax in (left, right):
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(alpha=0.3, axis="y")
    return fig


FIGURES = {
    "coverage": coverage,
    "response": response_times,
    "late": late,
    "unmet": unmet,
    "churn": churn,
    "hindsight": hindsight,
}


def all_figures(report: dict[str, Any]) -> dict[str, str | Left]:
    """Each figure as a base64 PNG, or the reason it is left out."""
    out: dict[str, str | Left] = {}
    for key, draw in FIGURES.items():
        chart = draw(report)
        out[key] = chart if isinstance(chart, Left) else png(chart)
    return out


def seeds(aggregate: dict[str, Any]) -> Chart:
    """Per seed: late arrivals and life-safety p90, engine beside baseline."""
    m = aggregate["metrics"]
    seeds = aggregate["seeds"]
    fig, (left, right) = _figure(8, 3.4, ncols=2)
    # Engine just left of each seed, baseline just right: equal values stay visible as two marks.
    for run, colour, marker, shift in (("engine", ENGINE, "o", -0.12), ("baseline", BASELINE, "s", 0.12)):
        xs = [seed + shift for seed in seeds]
        left.plot(xs, m["late"][run]["values"], marker, color=colour, label=_run(run))
        p90 = [float("nan") if v is None else v / 60 for v in m["life_safety_p90_s"][run]["values"]]
        right.plot(xs, p90, marker, color=colour)
    late_top = max((v for run in ("engine", "baseline") for v in m["late"][run]["values"]), default=0)
    _from_zero(left, late_top, integer=True)
    p90_top = max(
        (
            v / 60
            for run in ("engine", "baseline")
            for v in m["life_safety_p90_s"][run]["values"]
            if v is not None
        ),
        default=0,
    )
    _from_zero(right, p90_top)
    if not m["life_safety_p90_s"]["engine"]["n"]:
        right.text(
            0.5, 0.5, label("没有生命安全需求", "no life-safety need"), ha="center", transform=right.transAxes
        )
    left.set_title(title("迟到的需求", "late arrivals"), fontsize=10)
    right.set_title(title("生命安全响应 p90（分）", "life-safety p90 (min)"), fontsize=10)
    for ax in (left, right):
        ax.set_xlabel(label("种子", "seed"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    return fig


def _run(run: str) -> str:
    return label("引擎", "engine") if run == "engine" else label("基线", "closest")


def _minutes(report: dict[str, Any]) -> float:
    h, m, s = (int(x) for x in report["scenario"]["duration"].split(":"))
    return (h * 3600 + m * 60 + s) / 60
