"""Each organisation's contribution: jobs, units and hours per mode, and the calls it declined or let time
out, kept on the board as dispatches end and rebuilt exactly by a replay."""

from datetime import timedelta

from engine.coordinator import Advance, Coordinator, DispatchStatus, TriggerIncident
from engine.coordinator.board import Board, snapshot
from engine.coordinator.contributions import (
    Column,
    Contribution,
    Contributions,
    Job,
    Whose,
    tally,
)
from engine.coordinator.events import DispatchId
from engine.model import Mode, ResourceId
from engine.model.ids import OrganisationId
from tests.coordinator.street_world import StreetWorld
from tests.coordinator.world import Recorder, at, community, maps, report, run_until

S = DispatchStatus
HOUR = 3600


def _only(c: Coordinator, need: str) -> DispatchId:
    [d] = [d.id for d in c.board.dispatches.values() if d.need == need]
    return d


def _advance(c: Coordinator, need: str, *steps: tuple[DispatchStatus, float]) -> None:
    dispatch = _only(c, need)
    for status, when in steps:
        c.handle(Advance(dispatch=dispatch, to=status), at(when), "o")


def _by_organisation(boards: list[Board]) -> dict[tuple[str, str], Contribution]:
    by_key = {b.key: b for b in boards}

    def owner(home: str, rid: ResourceId) -> OrganisationId | None:
        resource = by_key[home].resources.get(rid)
        return resource.organisation if resource is not None else None

    counted: dict[Whose, Contribution] = tally([(b.key, b.contributions) for b in boards], owner)
    return {(home, str(org)): c for (home, org), c in counted.items()}


def _served_in_both_modes() -> Recorder:
    """n1 is served by "near" (o1) in normal times, 1.5 h from setting off; n2 by "near" again in an incident,
    2 h from setting off (after 10 min on site)."""
    c = community()
    report(c, "n1", 10, priority=3)
    run_until(c, 11)
    _advance(
        c, "n1", (S.CONFIRMED, 100), (S.ACKNOWLEDGED, 200), (S.EN_ROUTE, 300), (S.DONE, 300 + 1.5 * HOUR)
    )
    run_until(c, 3 * HOUR)
    c.handle(TriggerIncident(incident="i1", kind="flood", level=2), at(3 * HOUR), "cadre")
    report(c, "n2", 3 * HOUR + 10, priority=5)
    run_until(c, 3 * HOUR + 11)
    start = 3 * HOUR + 100
    _advance(c, "n2", (S.EN_ROUTE, start), (S.ON_SITE, start + 600), (S.DONE, start + 2 * HOUR))
    return c


def test_a_job_in_normal_times_and_one_in_an_incident_count_in_their_columns_with_their_hours() -> None:
    c = _served_in_both_modes()
    # Both needs are served: their dispatches have left the board, the record stays.
    assert c.board.dispatches == {}
    normal, incident = c.board.contributions.jobs
    assert (normal.resource, normal.column, normal.units, normal.seconds) == ("near", Column.NORMAL, 1, 5400)
    assert (incident.column, incident.seconds, incident.set_off) == (
        Column.INCIDENT,
        7200,
        at(3 * HOUR + 100),
    )
    [(who, o1)] = _by_organisation([c.board]).items()
    assert who == ("c1", "o1")
    assert [(w.jobs, w.units, w.hours) for w in o1.work.values()] == [(1, 1, 1.5), (1, 1, 2.0), (0, 0, 0.0)]
    assert (o1.declined, o1.timed_out) == (0, 0)
    assert c.board.contributions.set_off == {}


def test_a_drill_counts_apart_from_real_incidents() -> None:
    c = community()
    c.handle(TriggerIncident(incident="d1", kind="flood", level=2, exercise=True), at(1), "cadre")
    report(c, "n1", 10, priority=5)
    run_until(c, 11)
    _advance(c, "n1", (S.EN_ROUTE, 100), (S.DONE, 100 + HOUR))
    [job] = c.board.contributions.jobs
    assert job.column is Column.DRILL and job.seconds == HOUR


def test_a_declined_and_a_timed_out_dispatch_are_counted_for_their_organisations() -> None:
    c = community()
    c.handle(TriggerIncident(incident="i1", kind="flood", level=2), at(1), "cadre")
    report(c, "n1", 10, priority=4)
    run_until(c, 11)
    _advance(c, "n1", (S.CONFIRMED, 20), (S.DECLINED, 30))
    # The plan passes n1 to "far" (o2), which is sent and never answers.
    run_until(c, 31)
    _advance(c, "n1", (S.CONFIRMED, 40))
    run_until(c, 40 + 301)
    declined, timed_out = c.board.contributions.misses
    assert (declined.resource, declined.status, declined.at) == ("near", S.DECLINED, at(30))
    assert (timed_out.resource, timed_out.status, timed_out.at) == ("far", S.TIMED_OUT, at(340))
    assert declined.column is timed_out.column is Column.INCIDENT
    counted = _by_organisation([c.board])
    assert (counted[("c1", "o1")].declined, counted[("c1", "o1")].timed_out) == (1, 0)
    assert (counted[("c1", "o2")].declined, counted[("c1", "o2")].timed_out) == (0, 1)
    assert all(w.jobs == 0 for x in counted.values() for w in x.work.values())


def test_replaying_the_log_rebuilds_the_same_record() -> None:
    c = _served_in_both_modes()
    # And a miss, and a dispatch on its way when the log ends (its set-off moment is part of the record).
    t = 6 * HOUR
    report(c, "n3", t, priority=4)
    run_until(c, t + 1)
    _advance(c, "n3", (S.CONFIRMED, t + 20), (S.DECLINED, t + 30))
    run_until(c, t + 31)
    _advance(c, "n3", (S.CONFIRMED, t + 40), (S.EN_ROUTE, t + 50))
    record = c.board.contributions
    assert len(record.jobs) == 2 and len(record.misses) == 1 and list(record.set_off.values()) == [at(t + 50)]
    rebuilt = Coordinator.replay(c.log, maps)
    assert rebuilt.board.contributions == record
    assert snapshot(rebuilt.board) == snapshot(c.board)


def test_a_lent_unit_is_counted_for_the_lending_organisation() -> None:
    w = StreetWorld()
    w.community("a", sharing="{lend: always, own_first: false}")
    w.community("b")
    w.unit("a", "boat", "g0_0")
    w.incident("b", 1)
    w.need("b", "n1", 2)
    w.tick(10)
    [d] = w.board("b").dispatches.values()
    assert d.resource == "a/boat" and d.status is S.NOTIFIED
    for status, when in ((S.ACKNOWLEDGED, 20), (S.EN_ROUTE, 30), (S.DONE, 30 + HOUR)):
        w.handle("b", Advance(dispatch=d.id, to=status), when, "a-org")
    # Kept on the board that asked for it, under the ref that board gives the unit.
    [job] = w.board("b").contributions.jobs
    assert job.resource == "a/boat" and w.board("a").contributions.jobs == []
    counted = _by_organisation([w.board("a"), w.board("b")])
    assert list(counted) == [("a", "a-org")]
    assert counted[("a", "a-org")].work[Column.INCIDENT].hours == 1.0
    # The lending community's log alone knows nothing of it; the borrower's rebuilds it.
    rebuilt = Coordinator.replay(w.logs["b"], maps)
    assert rebuilt.board.contributions == w.board("b").contributions


def test_a_moment_sent_later_is_believed_within_what_the_server_saw() -> None:
    c = community()
    report(c, "n1", 10, priority=3)
    run_until(c, 11)
    _advance(c, "n1", (S.CONFIRMED, 100))
    dispatch = _only(c, "n1")
    # The phone was offline: on the way at 200, done at 1000, both sent at 5000.
    c.handle(Advance(dispatch=dispatch, to=S.EN_ROUTE, occurred_at=at(200)), at(5000), "o1")
    c.handle(Advance(dispatch=dispatch, to=S.DONE, occurred_at=at(1000)), at(5000), "o1")
    # A clock far ahead cannot make up hours: nothing happens after the server hears of it.
    report(c, "n2", 6000, priority=3)
    run_until(c, 6001)
    _advance(c, "n2", (S.CONFIRMED, 6100))
    dispatch = _only(c, "n2")
    c.handle(Advance(dispatch=dispatch, to=S.EN_ROUTE, occurred_at=at(6000 - HOUR)), at(6200), "o1")
    c.handle(Advance(dispatch=dispatch, to=S.DONE, occurred_at=at(99 * HOUR)), at(6300), "o1")
    first, second = c.board.contributions.jobs
    assert (first.set_off, first.done) == (at(200), at(1000))
    # Not before it was sent (6100), not after the server heard (6300).
    assert (second.set_off, second.done) == (at(6100), at(6300))


def test_without_setting_off_acknowledging_starts_the_clock_and_a_period_filters_by_the_end() -> None:
    record = Contributions()

    class Sent:
        id, resource, quantity, notified_at = DispatchId("d1"), ResourceId("near"), 3, at(0)

    record.changed(Sent(), S.ACKNOWLEDGED, at(60), None, Mode.NORMAL, False)
    record.changed(Sent(), S.DONE, at(60 + HOUR), None, Mode.NORMAL, False)
    assert record.jobs == [Job(DispatchId("d1"), ResourceId("near"), 3, Column.NORMAL, at(60), at(60 + HOUR))]

    def owner(home: str, rid: ResourceId) -> OrganisationId:
        return OrganisationId("o1")

    ended = at(60 + HOUR)
    assert tally([("c1", record)], owner, since=ended, until=ended + timedelta(seconds=1)) != {}
    assert tally([("c1", record)], owner, until=ended) == {}
    assert tally([("c1", record)], owner, homes=lambda home: home != "c1") == {}
