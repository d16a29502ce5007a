"""A street's fork plans as the street would, and nothing done to the street afterwards reaches it: a solve
reads the fork in another thread while the street takes commands, and its plans are adopted if nothing
changed meanwhile."""

import threading
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.coordinator import ReportNeed, Step
from engine.coordinator.events import PlanProposed
from engine.coordinator.street import Street
from engine.model import Need
from tests.coordinator.drill_logs import DrillLog, assert_same_board, drill_log

CASES = [
    ("village_typhoon", True),
    ("hexi_street_flood", False),
    ("donghu_typhoon_lend", False),
]
split_points = st.floats(0.05, 0.95)


def _street(case: tuple[str, bool], seed: int, share: float) -> tuple[DrillLog, int, Street, datetime]:
    """The street rebuilt from a share of a drill's log, a need just reported in each community (near one of
    its units, which it may ask for), and the moment its plans are due."""
    log = drill_log(case[0], seed, case[1])
    upto = max(1, int(len(log.events) * share))
    street = log.street(upto)
    last = log.events[upto - 1][1].at
    for key in log.keys:
        _report(street, key, f"fork-{key}", last)
    return log, upto, street, last + timedelta(minutes=1)


def _report(street: Street, key: str, ident: str, at: datetime) -> None:
    board = street.coordinators[key].board
    if board.is_street or not board.resources:
        return
    unit = next(iter(board.resources.values()))
    need = Need(id=ident, capability=unit.capability, quantity=1, location=unit.location, priority=4)
    street.handle(key, ReportNeed(need=need), at, "cadre")


def _decisions(proposals: dict[str, PlanProposed]) -> dict[str, Any]:
    return {k: p.model_dump(mode="json", exclude={"plan": {"solver"}}) for k, p in proposals.items()}


def _events(steps: dict[str, list[Step]]) -> dict[str, list[Any]]:
    return {
        k: [
            s.event.model_dump(mode="json", exclude={"plan": {"solver"}})
            if isinstance(s.event, PlanProposed)
            else s.event.model_dump(mode="json")
            for s in ss
        ]
        for k, ss in steps.items()
    }


@given(case=st.sampled_from(CASES), seed=st.integers(0, 1), share=split_points)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_fork_proposes_the_streets_plans(case: tuple[str, bool], seed: int, share: float) -> None:
    _, _, street, now = _street(case, seed, share)
    fork = street.fork()
    assert all(c.board.pool is fork for c in fork.coordinators.values())
    assert _decisions(fork.proposals(now)) == _decisions(street.proposals(now))


def test_the_forks_plans_are_the_streets_when_it_has_some() -> None:
    # The property above on a moment with plans due in every community of a street that lends.
    _, _, street, now = _street(("donghu_typhoon_lend", False), 0, 0.3)
    made = _decisions(street.fork().proposals(now))
    assert set(made) == {"laojie", "xincheng"}
    assert made == _decisions(street.proposals(now))


@given(case=st.sampled_from(CASES), seed=st.integers(0, 1), share=split_points)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_what_the_street_does_after_the_fork_leaves_the_fork_as_it_was(
    case: tuple[str, bool], seed: int, share: float
) -> None:
    log, upto, street, now = _street(case, seed, share)
    fork = street.fork()
    # The street goes on: the rest of the drill (every kind of event, in every board's containers), a plan of
    # its own and a new need.
    for key, event in log.events[upto:]:
        street.coordinators[key].board.evolve(event)
    street.tick(now + timedelta(days=1))
    for key in log.keys:
        _report(street, key, "after-fork", now + timedelta(days=1))
    for key in log.keys:
        before = log.street(upto)
        _report(before, key, f"fork-{key}", log.events[upto - 1][1].at)
        assert_same_board(fork.coordinators[key].board, before.coordinators[key].board)


@given(case=st.sampled_from(CASES), seed=st.integers(0, 1), share=split_points)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_adopting_a_forks_plans_is_the_streets_tick(case: tuple[str, bool], seed: int, share: float) -> None:
    # As the service does it: time-outs, then under the lock the boards' versions and a fork; the solve on
    # the fork in another thread; the plans adopted, as nothing changed meanwhile; escalations.
    _, _, ticked, now = _street(case, seed, share)
    _, _, street, _ = _street(case, seed, share)
    steps = street.expire(now)
    versions = {k: c.board.events for k, c in street.coordinators.items()}
    fork = street.fork()
    solved: dict[str, dict[str, PlanProposed]] = {}
    solve = threading.Thread(target=lambda: solved.update(made=fork.proposals(now)))
    solve.start()
    solve.join()
    assert versions == {k: c.board.events for k, c in street.coordinators.items()}
    for key, more in street.adopt(solved["made"], now).items():
        steps.setdefault(key, []).extend(more)
    for key, more in street.escalate(now).items():
        steps.setdefault(key, []).extend(more)
    assert _events(steps) == _events(ticked.tick(now))
    assert street._changed == ticked._changed
    for key in street.coordinators:
        want, got = ticked.coordinators[key].board, street.coordinators[key].board
        assert got.plan == want.plan or got.plan.decision_json() == want.plan.decision_json()  # type: ignore[union-attr]
        got.plan = want.plan  # the solver's timings aside
        assert_same_board(got, want)


def test_the_street_keeps_the_rule_facts_a_finished_solve_on_its_fork_compiled() -> None:
    _, _, street, due = _street(CASES[1], 0, 0.5)
    fork = street.fork()
    fork.proposals(due)
    planned = {k: c.board._rules for k, c in fork.coordinators.items() if c.board._rules is not None}
    assert planned, "the solve compiled no rules"
    assert all(street.coordinators[k].board._rules is not rules for k, rules in planned.items())
    street.learn_from(fork)
    assert all(street.coordinators[k].board._rules is rules for k, rules in planned.items())


def test_rule_facts_compiled_for_a_profile_the_board_no_longer_has_are_not_kept() -> None:
    _, _, street, due = _street(CASES[1], 0, 0.5)
    fork = street.fork()
    fork.proposals(due)
    board = next(c.board for c in street.coordinators.values() if c.board.profile is not None)
    assert board.profile is not None
    before = board._rules
    board.profile = board.profile.model_copy()
    street.learn_from(fork)
    assert board._rules is before
