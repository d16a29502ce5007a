"""A drill's event log as compact JSON Lines: one event a line, each plan written as its change from the last.

Each line is ``{"seq", "exercise", "offset", "type", ["community"], "event"}``: the coordinator's event as the
service publishes it (``event``, its plan without the solver's statistics), where it happened on the street
(``community``, a street of several only) and when (``offset`` from the drill's start). A re-plan changes few
of a plan's assignments and unmet needs, so a ``plan_proposed`` event carries ``plan_diff`` in place of
``plan``: its ``objective``, and its ``assignments`` and ``unmet`` each as a list whose entries are either a
pair ``[i, j]`` (the previous plan's entries ``i`` to ``j - 1`` of the same community, in order) or an entry
written out (an object). :func:`expand` gives the events back with their whole plans; a line stays readable
with ``head``, ``grep`` or ``zcat`` and each line is JSON on its own.
"""

import json
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from typing import Any

PLAN_PROPOSED = "plan_proposed"
DIFF = "plan_diff"
# The parts of a plan kept as lists (entries copied from the previous plan where unchanged).
LISTS = ("assignments", "unmet")


def dumps(line: dict[str, Any]) -> str:
    """One line's JSON text: no spaces, Chinese as written (no newline at the end)."""
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class Compactor:
    """Turns each full log line into its compact form, remembering each community's last plan."""

    def __init__(self) -> None:
        # Per community (None: a single community): the last plan's entries, as JSON text, per list.
        self._last: dict[str | None, dict[str, list[str]]] = {}

    def line(self, line: dict[str, Any]) -> dict[str, Any]:
        """``line`` as written: a plan replaced by its change from the same community's previous plan."""
        event = line["event"]
        if line["type"] != PLAN_PROPOSED:
            return line
        key = line.get("community")
        plan = event["plan"]
        last = self._last.get(key, {})
        diff: dict[str, Any] = {"objective": plan["objective"]}
        texts: dict[str, list[str]] = {}
        for part in LISTS:
            items = plan[part]
            texts[part] = [dumps(item) for item in items]
            diff[part] = _runs(last.get(part, []), texts[part], items)
        self._last[key] = texts
        compact = {k: v for k, v in event.items() if k != "plan"} | {DIFF: diff}
        return {**line, "event": compact}


def _runs(old: list[str], new: list[str], items: list[Any]) -> list[Any]:
    """``new`` as runs of ``old`` (``[i, j]``) and entries written out."""
    if not old:
        return list(items)
    out: list[Any] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append([i1, i2])
        elif tag != "delete":
            out.extend(items[j1:j2])
    return out


def events(texts: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Lines of JSON text (a run's ``log``, or a file read line by line) as events with their whole plans."""
    return expand(json.loads(text) for text in texts if text.strip())


def expand(lines: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The log's lines with every plan whole again (as the coordinator proposed it, without solver stats)."""
    last: dict[str | None, dict[str, list[Any]]] = {}
    for line in lines:
        event = line.get("event")
        if line.get("type") != PLAN_PROPOSED or not isinstance(event, dict) or DIFF not in event:
            yield line
            continue
        key = line.get("community")
        diff = event[DIFF]
        before = last.get(key, {})
        plan: dict[str, Any] = {}
        for part in LISTS:
            old = before.get(part, [])
            entries: list[Any] = []
            for run in diff[part]:
                if isinstance(run, list):
                    entries.extend(old[run[0] : run[1]])
                else:
                    entries.append(run)
            plan[part] = entries
        plan["objective"] = diff["objective"]
        last[key] = {part: plan[part] for part in LISTS}
        whole = {k: v for k, v in event.items() if k != DIFF} | {"plan": plan}
        yield {**line, "event": whole}
