"""Random streams of commands on simulated time: the invariants hold after every step, and replaying the
event log rebuilds exactly the live board, deadlines included."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.coordinator import (
    Advance,
    CancelNeed,
    CloseIncident,
    CloseRoad,
    Coordinator,
    DispatchStatus,
    Override,
    Rejected,
    ReopenRoad,
    SaveResource,
    Step,
    TriggerIncident,
)
from engine.coordinator.board import snapshot
from engine.model import Resource
from engine.model.entities import ResourceStatus
from tests.coordinator.world import Recorder, at, community, maps, report

S = DispatchStatus
NODES = [f"g{r}_{c}" for r in range(4) for c in range(4)]

action = st.one_of(
    st.tuples(st.just("report"), st.sampled_from(NODES), st.integers(1, 5), st.integers(1, 2)),
    st.tuples(
        st.just("advance"),
        st.integers(0, 9),
        st.sampled_from([S.CONFIRMED, S.ACKNOWLEDGED, S.DECLINED, S.EN_ROUTE, S.ON_SITE, S.DONE]),
    ),
    st.tuples(st.just("override"), st.integers(0, 9), st.sampled_from(["near", "far", "extra"])),
    st.tuples(st.just("cancel"), st.integers(0, 9)),
    st.tuples(st.just("offline"), st.sampled_from(["near", "far", "extra"]), st.booleans()),
    st.tuples(st.just("road"), st.sampled_from([("g0_0", "g0_1"), ("g1_1", "g1_2"), ("g2_2", "g3_2")])),
    st.tuples(st.just("incident"), st.booleans()),
)


def _run(actions: list[tuple], gaps: list[int]) -> Recorder:  # type: ignore[type-arg]
    c = community()
    c.handle(
        SaveResource(
            resource=Resource(
                id="extra", organisation="o2", capability="supply.water", quantity=3, location="g2_0"
            )
        ),
        at(0),
        "setup",
    )
    now = 1.0
    needs = 0
    for act, gap in zip(actions, gaps, strict=False):
        now += gap
        # Deadlines first, as the live service's timer would have fired them.
        while (due := c.due()) is not None and due <= at(now):
            c.tick(due)
        dispatches = sorted(c.board.dispatches)
        try:
            match act:
                case ("report", node, priority, quantity):
                    needs += 1
                    steps = report(c, f"n{needs}", now, priority=priority, quantity=quantity, location=node)
                case ("advance", k, to) if dispatches:
                    steps = c.handle(Advance(dispatch=dispatches[k % len(dispatches)], to=to), at(now), "o")
                case ("override", k, resource) if dispatches:
                    steps = c.handle(
                        Override(dispatch=dispatches[k % len(dispatches)], resource=resource),
                        at(now),
                        "cadre",
                    )
                case ("cancel", k) if needs:
                    steps = c.handle(CancelNeed(need=f"n{k % needs + 1}"), at(now), "cadre")
                case ("offline", rid, off):
                    r = c.board.resources[rid]
                    status = ResourceStatus.OFFLINE if off else ResourceStatus.AVAILABLE
                    steps = c.handle(
                        SaveResource(resource=r.model_copy(update={"status": status})), at(now), "o"
                    )
                case ("road", (u, v)):
                    road = CloseRoad if (u, v) not in c.board.closed_roads else ReopenRoad
                    steps = c.handle(road(source=u, target=v), at(now), "cadre")
                case ("incident", True) if c.board.incident is None:
                    steps = c.handle(
                        TriggerIncident(incident=f"i{len(c.board.incidents)}", kind="flood", level=2),
                        at(now),
                        "cadre",
                    )
                case ("incident", False) if c.board.incident is not None:
                    steps = c.handle(CloseIncident(), at(now), "cadre")
                case _:
                    steps = []
        except Rejected:
            steps = []
        _check_invariants(c)
        _check_steps(c, steps)
    return c


def _check_steps(c: Coordinator, steps: list[Step]) -> None:
    # Following the steps' reported changes in order ends at what the board holds.
    latest: dict[str, object] = {}
    for step in steps:
        latest.update({d.id: d for d in step.changed})
        latest.update(dict.fromkeys(d.id for d in step.removed))
    for dispatch_id, d in latest.items():
        assert c.board.dispatches.get(dispatch_id) == d  # type: ignore[call-overload]


def _check_invariants(c: Coordinator) -> None:
    board = c.board
    committed: dict[str, int] = {}
    for d in board.dispatches.values():
        # No proposal to a pair ruled out while it was in force, unless a cadre chose it since.
        ruled_out = board.excluded.get((d.need, d.resource))
        if ruled_out is not None and ruled_out.since <= d.since < ruled_out.until:
            assert d.committed and d.confirmed_by != "system"
        if d.committed:
            committed[d.resource] = committed.get(d.resource, 0) + d.quantity
    for rid, units in committed.items():
        assert units <= board.resources[rid].quantity, "a resource is over-committed"
    if board.plan is not None:
        pinned = {(a.need, a.resource) for a in board.plan.assignments if a.pinned}
        # Every committed dispatch that the current plan saw is kept as a pin.
        for d in board.dispatches.values():
            if d.committed and d.since < (board.plan_at or d.since):
                assert (d.need, d.resource) in pinned


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=5, max_size=30), st.lists(st.integers(0, 400), min_size=30, max_size=30))
def test_replaying_the_log_rebuilds_the_live_board(actions: list[tuple], gaps: list[int]) -> None:  # type: ignore[type-arg]
    live = _run(actions, gaps)
    rebuilt = Coordinator.replay(live.log, maps)
    assert snapshot(rebuilt.board) == snapshot(live.board)
    # Deadlines are read off the board, so they survive a restart too.
    assert rebuilt.due() == live.due()
