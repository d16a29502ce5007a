"""Appeals measured the way 接诉即办 is: response rate, resolution rate and satisfaction over a period."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from engine.governance.appeals import AppealSettings
from engine.governance.ledger import Ledger

# Rated 4 or 5 of 5: satisfied (满意); 3 and below is not.
SATISFIED_FROM = 4


@dataclass
class AppealRow:
    """One community's (or the street's) appeals received in the period.

    ``responded``: a cadre responded within the profile's time for the kind. ``counted``: appeals whose
    response time has run out or which were answered (one still inside its time, unanswered, is not yet
    late and does not count either way). ``resolved``: resolved by now. ``satisfied``: rated 4 or 5.
    """

    community: str
    received: int = 0
    counted: int = 0
    responded: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    stars: int = 0
    response_rate: float | None = field(default=None)
    resolution_rate: float | None = field(default=None)
    satisfaction_rate: float | None = field(default=None)
    mean_stars: float | None = field(default=None)

    def rated_shares(self) -> "AppealRow":
        """Work out the rates from the counts (None where nothing is counted)."""
        self.response_rate = _share(self.responded, self.counted)
        self.resolution_rate = _share(self.resolved, self.received)
        self.satisfaction_rate = _share(self.satisfied, self.rated)
        self.mean_stars = round(self.stars / self.rated, 2) if self.rated else None
        return self


def appeal_row(
    community: str, ledger: Ledger, settings: AppealSettings, start: datetime, end: datetime, now: datetime
) -> AppealRow:
    """Appeals received in [start, end), as they stand at ``now``."""
    row = AppealRow(community)
    for r in ledger.appeals.values():
        if not start <= r.received_at < end:
            continue
        due = settings.response_due(r.appeal.kind, r.received_at)
        row.received += 1
        answered_in_time = r.responded_at is not None and r.responded_at <= due
        row.counted += int(r.responded_at is not None or now > due)
        row.responded += int(answered_in_time)
        row.resolved += int(r.resolved_at is not None)
        if r.rating is not None:
            row.rated += 1
            row.stars += r.rating
            row.satisfied += int(r.rating >= SATISFIED_FROM)
    return row.rated_shares()


def summed(name: str, rows: Iterable[AppealRow]) -> AppealRow:
    """The street's row: the communities' counts added, the rates worked out again from them."""
    out = AppealRow(name)
    for row in rows:
        for count in ("received", "counted", "responded", "resolved", "rated", "satisfied", "stars"):
            setattr(out, count, getattr(out, count) + getattr(row, count))
    return out.rated_shares()


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
