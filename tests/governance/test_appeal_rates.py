"""The 接诉即办 rates: each count where it counts and where it does not, and the street's sum."""

from datetime import timedelta

from engine.governance.appeal_rates import appeal_row, summed
from engine.governance.appeals import AppealKind, AppealSettings
from engine.governance.commands import AssignAppeal, CompleteAppeal, RateAppeal, ReplyAppeal
from tests.governance.world import CADRE, WORKER, appeal, hours, people

# Repairs answered within 2 hours, help within 4 (the default profile).
SETTINGS = AppealSettings()


def test_answered_in_time_late_and_not_yet_due() -> None:
    c = people()
    on_time = appeal(c, "b1", AppealKind.REPAIR, "漏水", hours(0))
    late = appeal(c, "b1", AppealKind.REPAIR, "灯坏了", hours(0))
    waiting = appeal(c, "b2", AppealKind.HELP, "买菜", hours(2))
    unanswered = appeal(c, "b2", AppealKind.REPAIR, "门坏了", hours(0.5))
    c.handle(AssignAppeal(appeal=on_time, member=WORKER), hours(1.5), CADRE)
    c.handle(ReplyAppeal(appeal=late, text="明天修"), hours(2.5), CADRE)
    row = appeal_row("c1", c.board.ledger, SETTINGS, hours(-1), hours(24), now=hours(3))
    # waiting (help, due at 6 h) is not yet late and unanswered: it counts neither way; unanswered is late.
    assert (row.received, row.counted, row.responded) == (4, 3, 1)
    assert row.response_rate == round(1 / 3, 4)
    assert waiting and unanswered


def test_resolved_and_satisfied() -> None:
    c = people()
    ids = [appeal(c, "b1", AppealKind.REPAIR, f"漏水{n}", hours(n / 10)) for n in range(4)]
    for n, a in enumerate(ids[:3]):
        c.handle(AssignAppeal(appeal=a, member=WORKER), hours(1), CADRE)
        c.handle(CompleteAppeal(appeal=a), hours(2), WORKER)
        if n < 2:
            c.handle(RateAppeal(appeal=a, stars=(5, 3)[n]), hours(3), "resident:b1")
    row = appeal_row("c1", c.board.ledger, SETTINGS, hours(-1), hours(24), now=hours(4))
    assert (row.resolved, row.rated, row.satisfied, row.stars) == (3, 2, 1, 8)
    assert (row.resolution_rate, row.satisfaction_rate, row.mean_stars) == (0.75, 0.5, 4.0)


def test_only_the_period_counts_and_the_street_sums_counts() -> None:
    c = people()
    appeal(c, "b1", AppealKind.REPAIR, "漏水", hours(0))
    appeal(c, "b1", AppealKind.REPAIR, "灯", hours(30))
    first = appeal_row("c1", c.board.ledger, SETTINGS, hours(-1), hours(24), now=hours(40))
    empty = appeal_row("c2", c.board.ledger, SETTINGS, hours(100), hours(124), now=hours(140))
    assert first.received == 1 and empty.received == 0
    assert (empty.response_rate, empty.resolution_rate, empty.satisfaction_rate, empty.mean_stars) == (
        None,
        None,
        None,
        None,
    )
    street = summed("", [first, empty, first])
    assert (street.received, street.counted, street.response_rate) == (2, 2, 0.0)


def test_the_profile_sets_the_response_time_by_kind() -> None:
    c = people()
    appeal(c, "b1", AppealKind.DISPUTE, "吵架", hours(0))
    quick = AppealSettings(response_min={**SETTINGS.response_min, AppealKind.DISPUTE: 30})
    slow = appeal_row("c1", c.board.ledger, SETTINGS, hours(-1), hours(24), now=hours(0) + timedelta(hours=1))
    fast = appeal_row("c1", c.board.ledger, quick, hours(-1), hours(24), now=hours(0) + timedelta(hours=1))
    assert (slow.counted, fast.counted) == (0, 1)
