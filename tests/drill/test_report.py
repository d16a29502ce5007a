"""The after-action report reads right: counts beside shares, escalations with their outcome, both runs' unmet
needs, no chart without data, reasons in Chinese, colours that stay apart for colour-blind readers.

Most tests build the runs by hand (a RunRecord is what the runner hands over), so each figure is known."""

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from api.drill import plots
from api.drill.loader import load_scenario
from api.drill.report_html import report_html
from api.drill.summary import summary
from engine.coordinator import NeedStatus
from engine.drill import effective_profile, run_drill
from engine.drill.metrics import View, run_metrics
from engine.drill.report import build_report
from engine.drill.runner import NeedTrack, Replan, RunRecord
from engine.model.ids import NeedId
from engine.model.plan import REASON_ZH
from tests.drill.test_bad_input import GOOD

TARGETS = {5: 900, 4: 1800, 3: 3600, 2: 7200, 1: 14400}
END = 3600.0
BOUND = {"what": "hand-made", "life_safety": {"units_served": 3, "mean_travel_s": 300.0}}


def track(
    need: str, reported: float, reached: float | None, *, escalated: bool = False, travel: int = 420
) -> NeedTrack:
    t = NeedTrack(NeedId(need), "rescue.boat", 1, 5, reported, reached_s=reached, escalated=escalated)
    if reached is not None:
        t.units_reached = 1
        t.arrivals.append((1, travel))
    return t


def record(solver: str, tracks: dict[str, tuple[NeedTrack, NeedStatus]], churn: int = 0) -> RunRecord:
    run = RunRecord(solver=solver, end_s=END, exercise=True)
    for need, (t, status) in tracks.items():
        run.needs[NeedId(need)] = t
        run.final_status[NeedId(need)] = status
    run.replans.append(Replan(60.0, 1, churn, 1, 0, (1, 0, 0, 0, 0)))
    return run


def engine_run() -> RunRecord:
    """Four life-safety needs: one in time, one late, one never reached, one cancelled."""
    return record(
        "optimal",
        {
            "a": (track("a", 0, 600), NeedStatus.SERVED),
            "b": (track("b", 0, 1500, escalated=True), NeedStatus.SERVED),
            "c": (track("c", 600, None, escalated=True), NeedStatus.OPEN),
            "d": (track("d", 0, None, escalated=True), NeedStatus.CANCELLED),
        },
    )


def baseline_run(churn: int = 0) -> RunRecord:
    """The same needs; the baseline reaches a, b and c in time, each unit after 5 minutes' travel."""
    return record(
        "closest_available",
        {
            "a": (track("a", 0, 300, travel=300), NeedStatus.SERVED),
            "b": (track("b", 0, 800, travel=300), NeedStatus.SERVED),
            "c": (track("c", 600, 1000, travel=300), NeedStatus.SERVED),
            "d": (track("d", 0, None), NeedStatus.CANCELLED),
        },
        churn=churn,
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(GOOD, encoding="utf-8")
    return load_scenario(path)


def hand_report(tiny: Any, engine: RunRecord, baseline: RunRecord) -> dict[str, Any]:
    profile = effective_profile(tiny.profile, tiny.scenario)
    profile = profile.model_copy(
        update={"dispatch": profile.dispatch.model_copy(update={"response_target_s": TARGETS})}
    )
    priority = {NeedId(n): 5 for n in "abcd"}
    return build_report(tiny.scenario, profile, 0, engine, baseline, BOUND, priority)


# -- figures -----------------------------------------------------------------------------------------------


def test_reached_and_in_time_are_counted_apart_and_a_need_never_reached_is_censored() -> None:
    view = View(engine_run(), {NeedId(n): 5 for n in "abcd"}, TARGETS)
    figures = run_metrics(view, None)  # type: ignore[arg-type]
    ls = figures["life_safety"]
    assert isinstance(ls, dict)
    # d is cancelled: not counted. a in time; b late (1500 s > 900 s); c never reached: late.
    assert (ls["needs"], ls["reached"], ls["in_time"], ls["late"]) == (3, 2, 1, 2)
    assert figures["late"] == 2
    # c waited from 600 s to the end (3600 s): 3000 s, the longest, so the p90 of three.
    assert ls["p90_response_s"] == 3000.0
    by_priority = figures["by_priority"]
    assert isinstance(by_priority, dict)
    assert by_priority["5"]["censored"] == 1 and by_priority["5"]["p90_response_s"] == 3000.0


def test_escalations_say_what_became_of_them() -> None:
    view = View(engine_run(), {NeedId(n): 5 for n in "abcd"}, TARGETS)
    assert run_metrics(view, None)["escalated"] == {  # type: ignore[arg-type]
        "needs": 3,
        "served": 1,
        "unmet": 1,
        "cancelled": 1,
    }


def test_summary_and_page_show_counts_not_a_share_that_hides_late_arrivals(tiny: Any) -> None:
    report = hand_report(tiny, engine_run(), baseline_run())
    text = summary(report)
    # Engine: 2 of 3 reached, 1 in time; baseline: 3 of 3 reached, all in time.
    [row] = [line for line in text.splitlines() if "life-safety needs reached in time" in line]
    assert re.search(r"1/3 按时\s+3/3 按时", row), row
    [row] = [
        line for line in text.splitlines() if "life-safety needs reached " in line and "in time" not in line
    ]
    assert re.search(r"2/3 到达\s+3/3 到达", row), row
    assert "%" not in row
    html = report_html(report)
    assert "1/3 按时" in html and "2/3 到达" in html and "3/3 按时" in html
    # Travel per unit stands beside the units it is over.
    assert "7.0 分 min × 2 单位 units" in html and "5.0 分 min × 3 单位 units" in html


def test_escalated_line_gives_the_outcomes(tiny: Any) -> None:
    report = hand_report(tiny, engine_run(), baseline_run())
    expected = "3 条 needs: 1 后来完成 later served, 1 仍未满足 still unmet, 1 取消 cancelled"
    assert expected in summary(report)
    assert expected in report_html(report)


def test_the_baselines_unmet_needs_are_listed_too(tiny: Any) -> None:
    engine = engine_run()
    baseline = baseline_run()
    baseline.final_status[NeedId("b")] = NeedStatus.OPEN  # b unmet in the baseline only
    report = hand_report(tiny, engine, baseline)
    assert [u["need"] for u in report["engine"]["unmet"]] == ["c"]
    assert [u["need"] for u in report["baseline"]["unmet"]] == ["b"]
    html = report_html(report)
    baseline_part = html.split("Unmet needs — 基线 baseline")[1]
    assert "<td>b</td>" in baseline_part and "<td>c</td>" not in baseline_part
    assert "未满足的需求 unmet needs (基线 baseline):" in summary(report)
    assert "  b (优先级 5" in summary(report)


# -- charts --------------------------------------------------------------------------------------------------


def value_spans(fig: Figure) -> list[float]:
    """The span of every numeric axis: matplotlib's empty default is ±0.04 (a span of 0.08)."""
    spans = []
    for ax in fig.axes:
        low, high = ax.get_ylim()
        spans.append(abs(high - low))
        low, high = ax.get_xlim()
        spans.append(abs(high - low))
    return spans


def test_a_chart_with_nothing_to_show_is_left_out_with_a_reason(tiny: Any) -> None:
    report = hand_report(tiny, engine_run(), baseline_run(churn=0))
    report["engine"]["replans"]["churn"] = 0
    report["engine"]["unmet"] = []
    figures = plots.all_figures(report)
    assert isinstance(figures["churn"], plots.Left) and isinstance(figures["unmet"], plots.Left)
    html = report_html(report)
    drawn = [k for k, v in figures.items() if not isinstance(v, plots.Left)]
    assert html.count("<img ") == len(drawn)
    assert "no unit was moved between needs in either run" in html
    assert "no need left unmet in either run" in html
    assert html.count("class='left-out'") == len(figures) - len(drawn)


@pytest.mark.parametrize("churn", [0, 3])
def test_every_drawn_chart_has_a_real_axis(tiny: Any, churn: int) -> None:
    report = hand_report(tiny, engine_run(), baseline_run(churn=churn))
    for name, draw in plots.FIGURES.items():
        chart = draw(report)
        if isinstance(chart, plots.Left):
            continue
        try:
            assert min(value_spans(chart)) >= 0.5, name
            # Counts and times start at zero (bars on their side count along x).
            value_from = [
                ax.get_xlim()[0] if name in ("late", "unmet") else ax.get_ylim()[0] for ax in chart.axes
            ]
            assert all(v == 0 for v in value_from), (name, value_from)
        finally:
            plots.plt.close(chart)


def test_churn_is_drawn_when_there_is_some(tiny: Any) -> None:
    report = hand_report(tiny, engine_run(), baseline_run(churn=3))
    chart = plots.churn(report)
    assert isinstance(chart, Figure)
    assert chart.axes[0].get_ylim()[1] >= 3
    plots.plt.close(chart)


def test_unmet_reasons_are_labelled_in_chinese_from_the_plans_table(tiny: Any) -> None:
    report = hand_report(tiny, engine_run(), baseline_run())
    reasons = sorted(REASON_ZH)
    report["engine"]["unmet"] = [{"reason": r} for r in reasons]
    chart = plots.unmet(report)
    assert isinstance(chart, Figure)
    labels = [t.get_text() for t in chart.axes[0].get_yticklabels()]
    plots.plt.close(chart)
    if plots.cjk_font():
        assert labels == [f"{REASON_ZH[r]} {r}" for r in reasons]
    else:
        assert labels == reasons


def test_a_real_unmet_need_carries_its_chinese_reason(tmp_path: Path) -> None:
    # r1, the only water, goes offline before n1 is served: n1 ends unmet in both runs.
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD.replace('at: "0:10:00", event: offline', 'at: "0:05:00", event: offline'), "utf-8")
    loaded = load_scenario(path)
    report = run_drill(loaded.scenario, loaded.profile, loaded.maps, seed=0).report
    for run in ("engine", "baseline"):
        [unmet] = report[run]["unmet"]
        assert unmet["need"] == "n1"
        assert unmet["reason_zh"] and unmet["reason_zh"] != unmet["reason"]
        assert re.search("[\u4e00-\u9fff]", unmet["reason_zh"])
    html = report_html(report)
    assert html.count(f"<td>{report['engine']['unmet'][0]['reason_zh']}") >= 2  # engine and baseline


# -- fonts and colours ---------------------------------------------------------------------------------------


def test_chinese_labels_use_noto_sans_cjk_when_installed(tiny: Any) -> None:
    if not any("NotoSansCJK" in p for p in font_manager.findSystemFonts()):
        pytest.skip("fonts-noto-cjk is not installed (make system installs it)")
    assert (plots.cjk_font() or "").startswith("Noto Sans CJK")
    chart = plots.late(hand_report(tiny, engine_run(), baseline_run()))
    assert isinstance(chart, Figure)
    title = chart.axes[0].title
    plots.plt.close(chart)
    assert "超过响应目标" in title.get_text()
    # The file matplotlib draws the title with is Noto Sans CJK, not DejaVu with boxes for the Hanzi.
    assert "NotoSansCJK" in font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)


# Machado, Oliveira & Fernandes (2009), full severity, applied in linear RGB.
VISION = {
    "normal": np.eye(3),
    "protan": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deutan": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritan": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}


def lab(colour: str, vision: str) -> np.ndarray:
    srgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(VISION[vision] @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ seen
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours: list[str]) -> float:
    return min(
        float(np.linalg.norm(lab(a, v) - lab(b, v)))
        for i, a in enumerate(colours)
        for b in colours[i + 1 :]
        for v in VISION
    )


def test_engine_baseline_and_priorities_stay_apart_in_every_colour_vision() -> None:
    runs = [plots.ENGINE, plots.BASELINE, plots.BOUND]
    priorities = list(plots.PRIORITY_COLOURS.values())
    # No colour means two things across the report's charts.
    assert len({c.lower() for c in runs + priorities}) == len(runs) + len(priorities)
    # ΔE (CIE76) of at least 12 between any two colours that share a chart, for normal, protan, deutan and
    # tritan vision (the old palette had priorities 3 and 4 at 5.6 for protans).
    assert closest_pair(runs) >= 12
    assert closest_pair(priorities) >= 12
