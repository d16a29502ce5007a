"""What each organisation gave: every job its units finished, and every call they declined or let time out.

The street reads this to thank and keep its partners, so it is kept as it happens: when a need closes, its
dispatches leave the board. It is part of the board (the fold of the log), so a replay rebuilds it exactly.

A job names its resource as the board does: a bare id for the board's own, ``home/id`` for another
community's or the street's unit (engine/coordinator/refs.py). Whose organisation that is gets looked up when
the record is read (:func:`tally`): a board never sees the other boards while it is being replayed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from engine.coordinator.events import DispatchId, DispatchStatus
from engine.coordinator.refs import home_of, split
from engine.model.entities import Mode
from engine.model.ids import OrganisationId, ResourceId

S = DispatchStatus
# A partner who does not come is worth knowing: these end a dispatch on the organisation's side.
MISSED = frozenset({S.DECLINED, S.TIMED_OUT})
# A dispatch that ends any other way than done was never a job: its set-off moment is dropped.
ENDED = frozenset({*MISSED, S.NO_ROAD, S.CANCELLED})


class Column(StrEnum):
    """Where a job counts: the board's mode when it ended. A drill's jobs are kept apart from real
    incidents' (an exercise is marked as one end to end)."""

    NORMAL = "normal"
    INCIDENT = "incident"
    DRILL = "drill"


def column_of(mode: Mode, exercise: bool) -> Column:
    if mode is Mode.NORMAL:
        return Column.NORMAL
    return Column.DRILL if exercise else Column.INCIDENT


@dataclass(frozen=True)
class Job:
    """One dispatch done: ``units`` of ``resource``, from when they set off to when they were done."""

    dispatch: DispatchId
    resource: ResourceId
    units: int
    column: Column
    # None when the dispatch was never acknowledged nor on its way (then no hours are counted).
    set_off: datetime | None
    done: datetime

    @property
    def seconds(self) -> float:
        return 0.0 if self.set_off is None else (self.done - self.set_off).total_seconds()


@dataclass(frozen=True)
class Miss:
    """A dispatch declined, or not answered in time."""

    dispatch: DispatchId
    resource: ResourceId
    status: DispatchStatus
    column: Column
    at: datetime


class Sent(Protocol):
    """What the record reads of a dispatch (the board's Dispatch)."""

    @property
    def id(self) -> DispatchId: ...

    @property
    def resource(self) -> ResourceId: ...

    @property
    def quantity(self) -> int: ...

    @property
    def notified_at(self) -> datetime | None: ...


@dataclass
class Contributions:
    """One board's record, oldest first. Change it only through :meth:`changed` and :meth:`forget`."""

    jobs: list[Job] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    # When each dispatch still in play set off: on its way, or acknowledged until it is on its way.
    set_off: dict[DispatchId, datetime] = field(default_factory=dict)

    def changed(
        self,
        d: Sent,
        status: DispatchStatus,
        at: datetime,
        occurred_at: datetime | None,
        mode: Mode,
        exercise: bool,
    ) -> None:
        """``d`` (as it was) became ``status``, received at ``at``; ``occurred_at`` is when the person did it
        if they sent it later (a phone that was offline)."""
        # Hours are what the street thanks people for: the moment a phone claims is believed only between
        # the call going out and the server hearing of it, so a wrong clock cannot make up hours.
        when = _between(occurred_at or at, d.notified_at, at)
        if status is S.EN_ROUTE or (status is S.ACKNOWLEDGED and d.id not in self.set_off):
            self.set_off[d.id] = when
        elif status is S.DONE:
            started = self.set_off.pop(d.id, None)
            done = when if started is None else max(when, started)
            self.jobs.append(Job(d.id, d.resource, d.quantity, column_of(mode, exercise), started, done))
        elif status in ENDED:
            self.set_off.pop(d.id, None)
            if status in MISSED:
                self.misses.append(Miss(d.id, d.resource, status, column_of(mode, exercise), when))

    def forget(self, dispatch: DispatchId) -> None:
        """The dispatch left the board without being done (its need closed)."""
        self.set_off.pop(dispatch, None)


def _between(moment: datetime, low: datetime | None, high: datetime) -> datetime:
    moment = min(moment, high)
    return moment if low is None or low > high else max(moment, low)


def contributions_json(c: Contributions) -> dict[str, object]:
    return {
        "jobs": [
            {
                "dispatch": j.dispatch,
                "resource": j.resource,
                "units": j.units,
                "column": j.column.value,
                "set_off": j.set_off.isoformat() if j.set_off else None,
                "done": j.done.isoformat(),
            }
            for j in c.jobs
        ],
        "misses": [
            {
                "dispatch": m.dispatch,
                "resource": m.resource,
                "status": m.status.value,
                "column": m.column.value,
                "at": m.at.isoformat(),
            }
            for m in c.misses
        ],
        "set_off": {d: at.isoformat() for d, at in sorted(c.set_off.items())},
    }


# -- reading: per organisation -------------------------------------------------------------------------


@dataclass
class Work:
    jobs: int = 0
    units: int = 0
    seconds: float = 0.0

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 2)


@dataclass
class Contribution:
    """One organisation's jobs per column, and the calls it missed, over a period."""

    work: dict[Column, Work] = field(default_factory=lambda: {c: Work() for c in Column})
    declined: int = 0
    timed_out: int = 0


# (home board's key, the resource's bare id) → its organisation, None for a resource no longer known.
Owner = Callable[[str, ResourceId], OrganisationId | None]
# (the home board's key, the organisation)
Whose = tuple[str, OrganisationId]


def tally(
    records: Iterable[tuple[str, Contributions]],
    owner: Owner,
    since: datetime | None = None,
    until: datetime | None = None,
    homes: Callable[[str], bool] = lambda _: True,
) -> dict[Whose, Contribution]:
    """Each organisation's contribution from ``records`` (board key, record) with jobs done and calls missed
    in [since, until), for the organisations of the homes ``homes`` keeps."""

    def whose(key: str, ref: ResourceId) -> Whose | None:
        home = home_of(ref, key)
        org = owner(home, ResourceId(split(ref)[1])) if homes(home) else None
        return None if org is None else (home, org)

    def within(moment: datetime) -> bool:
        return (since is None or moment >= since) and (until is None or moment < until)

    out: dict[Whose, Contribution] = {}
    for key, record in records:
        for job in record.jobs:
            if within(job.done) and (who := whose(key, job.resource)) is not None:
                work = out.setdefault(who, Contribution()).work[job.column]
                work.jobs += 1
                work.units += job.units
                work.seconds += job.seconds
        for miss in record.misses:
            if within(miss.at) and (who := whose(key, miss.resource)) is not None:
                c = out.setdefault(who, Contribution())
                if miss.status is S.DECLINED:
                    c.declined += 1
                else:
                    c.timed_out += 1
    return out
