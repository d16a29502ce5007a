"""A drill's events file: events.jsonl, or events.jsonl.gz with ``--compress`` (``zcat`` reads it line by line).

The lines are :mod:`engine.drill.eventlog`'s: compact JSON, each plan as its change from the last.
:func:`read_events` reads either file back one line at a time and gives every event with its whole plan.
"""

import gzip
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.drill.eventlog import events

PLAIN = "events.jsonl"
COMPRESSED = "events.jsonl.gz"
# gzip's default level 9 costs several times level 6's time for a few per cent of size on these lines.
LEVEL = 6


def events_name(compress: bool) -> str:
    return COMPRESSED if compress else PLAIN


def events_bytes(lines: Sequence[str], compress: bool) -> bytes:
    """The file's bytes: one line per event, UTF-8, gzip-compressed when asked."""
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    # mtime 0: the same drill gives the same bytes.
    return gzip.compress(data, compresslevel=LEVEL, mtime=0) if compress else data


def read_lines(path: Path) -> Iterator[str]:
    """The file's lines as written (plans as changes), one at a time; a ``.gz`` file is decompressed."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as file:
        yield from file


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """The file's events one line at a time, every plan whole again."""
    return events(read_lines(path))
