"""The machine a run was made on, as the README shows it."""

import os
import platform
from importlib.metadata import version
from pathlib import Path


def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine() -> dict[str, object]:
    memory = _first("/proc/meminfo", "MemTotal")
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory.split()[0]) / 2**20, 1) if memory else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: version(name) for name in ("ortools", "numpy", "scipy", "networkx")},
    }
