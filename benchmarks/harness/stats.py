"""Percentiles of latency samples, rounded for the report."""

from collections.abc import Sequence

import numpy as np


def percentiles(samples_ms: Sequence[float]) -> dict[str, float | int]:
    values = np.asarray(samples_ms, dtype=np.float64)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "samples": len(values),
    }


def medians(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """The median of each key over rows that share their keys."""
    return {key: round(float(np.median([row[key] for row in rows])), 3) for key in rows[0]} if rows else {}
