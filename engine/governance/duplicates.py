"""Likely duplicates among open appeals: the same building, the same kind, close in time, similar words.

Residents of one building often report the same leak or the same noise. The cadre sees them grouped and may
merge them, so one work order answers all and every resident hears the outcome.
"""

import re
from collections.abc import Iterable
from datetime import timedelta

from engine.governance.appeals import AppealRecord
from engine.governance.ids import AppealId

# Share of the shorter note's character pairs found in the other's. Notes are short and the building, kind
# and time already agree: "我家也漏水了" and "楼上漏水，天花板在滴水" share 漏水 (all of the first, once its
# small words are gone), enough; "门口堆了很多杂物" and "楼道灯坏了" share nothing. The cadre decides.
SIMILAR: float = 0.3
# Punctuation, spaces, and the small words that say who and how, not what is wrong (我家也漏水了 -> 漏水).
_NOT_WORDS = re.compile(r"[\s\W_我你他她它们家也了的地得在是有很都又还就被把啊呀吧呢吗嘛哦请]+", re.UNICODE)


def pairs(text: str) -> frozenset[str]:
    """The note's adjacent character pairs, punctuation and spaces left out (Chinese has no word breaks)."""
    letters = _NOT_WORDS.sub("", text.lower())
    if len(letters) == 1:
        return frozenset({letters})
    return frozenset(letters[i : i + 2] for i in range(len(letters) - 1))


def similar(a: str, b: str) -> bool:
    """Notes that likely say the same; two empty notes do (the same kind from one building, close in time)."""
    left, right = pairs(a), pairs(b)
    if not left or not right:
        return not left and not right
    return len(left & right) / min(len(left), len(right)) >= SIMILAR


def likely_duplicates(records: Iterable[AppealRecord], window: timedelta) -> list[tuple[AppealId, ...]]:
    """Groups of two or more open appeals, each linked to another of its group by building, kind, time and
    words; each group and the list in order of first arrival. Merged appeals are not grouped again."""
    candidates = sorted(
        (r for r in records if r.open and r.merged_into is None),
        key=lambda r: (r.received_at, int(r.appeal.id)),
    )
    root = {r.appeal.id: r.appeal.id for r in candidates}
    position = {r.appeal.id: n for n, r in enumerate(candidates)}

    def find(i: AppealId) -> AppealId:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for n, a in enumerate(candidates):
        for b in candidates[n + 1 :]:
            if b.received_at - a.received_at > window:
                break
            if (
                a.appeal.building == b.appeal.building
                and a.appeal.kind == b.appeal.kind
                and similar(a.appeal.note, b.appeal.note)
            ):
                ra, rb = find(a.appeal.id), find(b.appeal.id)
                if ra != rb:
                    # The earliest stays the root, so a group is named by its first appeal.
                    first, later = sorted((ra, rb), key=position.__getitem__)
                    root[later] = first
    groups: dict[AppealId, list[AppealId]] = {}
    for r in candidates:
        groups.setdefault(find(r.appeal.id), []).append(r.appeal.id)
    return [tuple(g) for g in groups.values() if len(g) > 1]
