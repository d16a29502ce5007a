"""Likely duplicates: the rule's parts each where they group and where they do not, and hypothesis invariants
(groups are disjoint, each of one building and kind, linked within the window, whatever the input order)."""

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from engine.governance.appeals import Appeal, AppealKind, AppealRecord, AppealStatus
from engine.governance.duplicates import likely_duplicates, similar
from engine.governance.ids import AppealId
from tests.governance.world import hours

WINDOW = timedelta(hours=3)


def record(
    n: int,
    note: str,
    when: float,
    building: str = "b1",
    kind: AppealKind = AppealKind.REPAIR,
    status: AppealStatus = AppealStatus.RECEIVED,
    merged_into: str | None = None,
) -> AppealRecord:
    appeal = Appeal(id=AppealId(str(n)), building=building, kind=kind, note=note)
    return AppealRecord(
        appeal,
        f"R{n:0>9}",
        hours(when),
        status=status,
        merged_into=AppealId(merged_into) if merged_into else None,
    )


def test_similar_words_group() -> None:
    assert similar("楼上漏水，天花板在滴水", "我家漏水了")
    assert similar("", "")
    assert not similar("楼道灯坏了", "门口堆了很多杂物")
    assert not similar("", "楼道灯坏了")


def test_one_building_one_kind_close_in_time_similar_words_are_grouped() -> None:
    records = [record(1, "楼上漏水", 0), record(2, "我家也漏水了", 1), record(3, "楼道灯坏了", 1.5)]
    assert likely_duplicates(records, WINDOW) == [("1", "2")]


def test_another_building_another_kind_or_too_far_apart_are_not() -> None:
    assert likely_duplicates([record(1, "漏水", 0), record(2, "漏水", 1, building="b2")], WINDOW) == []
    assert likely_duplicates([record(1, "漏水", 0), record(2, "漏水", 1, kind=AppealKind.HELP)], WINDOW) == []
    assert likely_duplicates([record(1, "漏水", 0), record(2, "漏水", 3.5)], WINDOW) == []


def test_done_and_merged_appeals_are_not_grouped_again() -> None:
    records = [
        record(1, "漏水", 0, status=AppealStatus.RESOLVED),
        record(2, "漏水", 1, status=AppealStatus.HANDLING, merged_into="4"),
        record(3, "漏水", 1.2),
    ]
    assert likely_duplicates(records, WINDOW) == []


def test_a_chain_within_the_window_is_one_group_named_by_its_first() -> None:
    # 1 and 3 are 4 hours apart, but each is close to 2.
    records = [record(3, "漏水", 4), record(2, "漏水", 2), record(1, "漏水", 0)]
    assert likely_duplicates(records, WINDOW) == [("1", "2", "3")]


NOTES = st.sampled_from(["漏水", "楼上漏水", "我家漏水了", "灯坏了", "楼道灯不亮", "", "噪音扰民"])
RECORDS = st.lists(
    st.tuples(NOTES, st.floats(0, 10), st.sampled_from(["b1", "b2"]), st.sampled_from(list(AppealKind))),
    max_size=14,
)


@given(RECORDS, st.randoms(use_true_random=False))
def test_groups_are_disjoint_alike_linked_and_independent_of_order(
    made: list[tuple[str, float, str, AppealKind]], shuffle: object
) -> None:
    records = [record(n + 1, note, when, b, kind) for n, (note, when, b, kind) in enumerate(made)]
    groups = likely_duplicates(records, WINDOW)
    shuffled = list(records)
    shuffle.shuffle(shuffled)  # type: ignore[attr-defined]
    assert likely_duplicates(shuffled, WINDOW) == groups
    by_id = {r.appeal.id: r for r in records}
    seen: set[str] = set()
    for group in groups:
        assert len(group) >= 2 and not seen & set(group)
        seen |= set(group)
        members = [by_id[i] for i in group]
        assert len({(r.appeal.building, r.appeal.kind) for r in members}) == 1
        assert [r.received_at for r in members] == sorted(r.received_at for r in members)
        # Every member is linked to an earlier one of its group.
        for n, r in enumerate(members[1:], 1):
            assert any(
                r.received_at - e.received_at <= WINDOW and similar(r.appeal.note, e.appeal.note)
                for e in members[:n]
            )
    # Nothing left out that a group's first would have taken in.
    for r in records:
        if r.appeal.id in seen:
            continue
        for group in groups:
            first = by_id[group[0]]
            linked = (
                (first.appeal.building, first.appeal.kind) == (r.appeal.building, r.appeal.kind)
                and abs(first.received_at - r.received_at) <= WINDOW
                and similar(first.appeal.note, r.appeal.note)
            )
            assert not linked
