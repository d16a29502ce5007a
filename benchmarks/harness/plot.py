"""Latency against size, log-log, as a PNG."""

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend
from matplotlib import font_manager

# Labels are English; a CJK font is only asked for so that any Chinese text would still render.
for _path in font_manager.findSystemFonts():
    if "NotoSansCJK-Regular" in _path:
        font_manager.fontManager.addfont(_path)
        plt.rcParams["font.sans-serif"] = [font_manager.FontProperties(fname=_path).get_name(), "DejaVu Sans"]
        break


def plot(sizes: Sequence[Mapping[str, Any]], path: Path) -> None:
    x = [s["needs"] + s["resource_units"] for s in sizes]
    series: list[tuple[str, Callable[[Mapping[str, Any]], Any], str]] = [
        ("full re-plan p50", lambda s: s["full"]["p50_ms"], "o-"),
        ("full re-plan p99", lambda s: s["full"]["p99_ms"], "o--"),
        ("incremental p99", lambda s: s["incremental"]["p99_ms"], "s--"),
        (
            "one new need p99",
            lambda s: s["incremental"].get("by_event", {}).get("new_need", {}).get("p99_ms"),
            "^:",
        ),
        ("bare OR-Tools solve p50", lambda s: s["bare_solve"]["p50_ms"], "d-"),
        ("greedy closest p50", lambda s: s["baselines"]["greedy_closest"]["p50_ms"], "x-"),
        ("first plan, cold cache", lambda s: s["first_plan_cold_ms"], "v:"),
    ]
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for label, read, style in series:
        points = [(xi, read(s)) for xi, s in zip(x, sizes, strict=True) if read(s)]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label)
    for xi, s in zip(x, sizes, strict=True):
        ax.annotate(s["size"], (xi, s["full"]["p50_ms"]), textcoords="offset points", xytext=(4, -12))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("needs + resource units")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Pingzhan re-plan latency against size (2-core machine)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
