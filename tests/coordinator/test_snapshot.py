"""A board snapshot is a cache of the fold of its log: a snapshot of any prefix, with the rest of the log
applied, is the board the whole log makes; bytes of another format or state shape are refused, precisely."""

import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.coordinator import Board, Coordinator
from engine.coordinator.events import PlanProposed
from engine.coordinator.refs import SEPARATOR
from engine.coordinator.snapshot import MAGIC, VERSION, SnapshotMismatch, dumps, fingerprint, loads
from engine.governance.events import CheckReported, HouseholdRemoved, PartReturned, PartScored
from engine.matching.document import Grid, Travel
from tests.coordinator.drill_logs import DrillLog, assert_same_board, drill_log

ROOT = Path(__file__).resolve().parents[2]
# (scenario, with a ledger kept): a community with governance, a street with its pool, a street that lends.
CASES = [
    ("village_typhoon", True),
    ("hexi_street_flood", False),
    ("donghu_typhoon_lend", False),
    ("oldtown_heatwave", True),
]


def restored(log: DrillLog, key: str, split: int) -> Coordinator:
    """The board of ``key`` from a snapshot of its first ``split`` events, the rest applied after it."""
    events = log.of(key)
    coordinator = loads(dumps(Coordinator.replay(events[:split], log.loaded.maps)), log.loaded.maps)
    for event in events[split:]:
        coordinator.board.evolve(event)
    return coordinator


def test_the_logs_hold_a_street_pool_lending_and_governance() -> None:
    street = drill_log("hexi_street_flood", 0)
    pool = Coordinator.replay(street.of("street:hexi"), street.loaded.maps).board
    assert pool.is_street and pool.resources
    plans = [e for _, e in street.events if isinstance(e, PlanProposed)]
    assert any(SEPARATOR in a.resource for p in plans for a in p.plan.assignments)
    kinds = {type(e) for _, e in drill_log("village_typhoon", 0, True).events}
    assert {PartScored, PartReturned, CheckReported, HouseholdRemoved} <= kinds


@given(case=st.sampled_from(CASES), seed=st.integers(0, 2), data=st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_snapshot_of_a_prefix_and_the_tail_is_the_whole_replay(
    case: tuple[str, bool], seed: int, data: st.DataObject
) -> None:
    name, governance = case
    log = drill_log(name, seed, governance)
    key = data.draw(st.sampled_from(log.keys))
    split = data.draw(st.integers(0, len(log.of(key))))
    whole = Coordinator.replay(log.of(key), log.loaded.maps)
    assert_same_board(restored(log, key, split).board, whole.board)


def test_every_split_point_of_a_governance_log() -> None:
    log = drill_log("village_typhoon", 0, True)
    (key,) = log.keys
    events = log.of(key)
    whole = Coordinator.replay(events, log.loaded.maps).board
    prefix = Coordinator(log.loaded.maps)
    for split in range(len(events) + 1):
        if split:
            prefix.board.evolve(events[split - 1])
        board = loads(dumps(prefix), log.loaded.maps).board
        assert board.pool is None and board._graph is None
        for event in events[split:]:
            board.evolve(event)
        assert_same_board(board, whole)


def test_a_restored_board_plans_as_the_live_one() -> None:
    # A plan is due at the end of the prefix: the restored board makes the same one (its graph rebuilt).
    log = drill_log("oldtown_heatwave", 1, True)
    (key,) = log.keys
    events = log.of(key)
    split = next(i for i in range(len(events) // 2, len(events)) if isinstance(events[i], PlanProposed))
    live = Coordinator.replay(events[:split], log.loaded.maps)
    back = loads(dumps(live), log.loaded.maps)
    now = events[split].at
    made, remade = live.proposal(now), back.proposal(now)
    assert made is not None and remade is not None
    assert made.plan.decision_json() == remade.plan.decision_json() == events[split].plan.decision_json()  # type: ignore[attr-defined]


CHANGES: list[tuple[str, Callable[[Board], None]]] = [
    ("needs", lambda b: b.needs.popitem()),
    ("_open", lambda b: b._open.update({"nobody": None})),
    ("dispatch_count", lambda b: setattr(b, "dispatch_count", b.dispatch_count + 1)),
    ("events", lambda b: setattr(b, "events", b.events + 1)),
    ("closed_roads", lambda b: b.closed_roads.add(("a", "b"))),
    ("plan", lambda b: setattr(b, "plan", None)),
    ("incidents", lambda b: b.incidents.append(replace(b.incidents[0], level=9))),
    ("base_graph", lambda b: setattr(b, "base_graph", Travel(grid=Grid(rows=2, cols=2)).road_graph())),
    ("ledger.households", lambda b: b.ledger.households.popitem()),
    ("ledger.tasks", lambda b: b.ledger.tasks.popitem()),
    ("contributions.jobs", lambda b: b.contributions.jobs.pop()),
    ("attention._told_unmet", lambda b: b.attention._told_unmet.add("n")),
    (
        "attention._count",
        lambda b: b.attention._count.update({("n", next(iter(b.attention.items.values())).kind): 1}),
    ),
]


@pytest.mark.parametrize(("field", "change"), CHANGES, ids=[c[0] for c in CHANGES])
def test_a_changed_board_compares_unequal(field: str, change: Callable[[Board], None]) -> None:
    log = drill_log("village_typhoon", 0, True)
    (key,) = log.keys
    want = Coordinator.replay(log.of(key), log.loaded.maps).board
    got = restored(log, key, len(log.of(key)) // 2).board
    assert_same_board(got, want)
    change(got)
    with pytest.raises(AssertionError, match=field.replace(".", r"\.")):
        assert_same_board(got, want)


def _snapshot() -> bytes:
    log = drill_log("donghu_typhoon_lend", 0)
    return dumps(Coordinator.replay(log.of("laojie"), log.loaded.maps))


def test_another_magic_version_or_fingerprint_is_refused_precisely() -> None:
    data = _snapshot()
    assert data.startswith(MAGIC + VERSION.to_bytes(2, "big") + fingerprint())
    with pytest.raises(
        SnapshotMismatch,
        match=re.escape(f"not a board snapshot: it starts with b'{{\"events', not {MAGIC!r}"),
    ):
        loads(b'{"events": []}', lambda spec: spec.road_graph())
    at = len(MAGIC)
    newer = data[:at] + (VERSION + 1).to_bytes(2, "big") + data[at + 2 :]
    with pytest.raises(
        SnapshotMismatch, match=f"format version {VERSION + 1}; this engine reads version {VERSION}$"
    ):
        loads(newer, lambda spec: spec.road_graph())
    other = bytes(16)
    shape = data[: at + 2] + other + data[at + 18 :]
    with pytest.raises(
        SnapshotMismatch, match=f"fingerprint {other.hex()}, this engine's {fingerprint().hex()}"
    ):
        loads(shape, lambda spec: spec.road_graph())
    assert isinstance(SnapshotMismatch("x"), ValueError)


def test_a_damaged_or_foreign_payload_is_refused() -> None:
    data = _snapshot()
    header = data[: len(MAGIC) + 18]
    with pytest.raises(SnapshotMismatch, match="payload unreadable: "):
        loads(data[: len(data) // 2], lambda spec: spec.road_graph())
    # A payload that names anything but the board's own records is not unpickled.
    with pytest.raises(SnapshotMismatch, match=r"payload names builtins\.eval, which a board never holds"):
        loads(header + pickle.dumps(eval), lambda spec: spec.road_graph())


def test_the_fingerprint_is_the_same_in_another_process() -> None:
    # Made from names and types only: no addresses or hash seeds, so a service restarted reads its snapshots.
    code = "from engine.coordinator.snapshot import fingerprint; print(fingerprint().hex())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == fingerprint().hex()


def test_a_graph_never_goes_into_a_snapshot() -> None:
    # The board's graphs are made again from its map on load; one found among the state is refused, not kept.
    log = drill_log("hexi_street_flood", 0)
    coordinator = Coordinator.replay(log.of("liuan"), log.loaded.maps)
    data = dumps(coordinator)
    assert coordinator.board.base_graph is not None and coordinator.board.graph is not None
    back = loads(data, log.loaded.maps).board
    assert (
        back.base_graph is not None
        and back.base_graph.fingerprint == coordinator.board.base_graph.fingerprint
    )
    coordinator.board.recent = [coordinator.board.graph]  # type: ignore[list-item]
    with pytest.raises(TypeError, match="a board snapshot does not store RoadGraph objects"):
        dumps(coordinator)
