"""Invariants of every plan, for the matcher and the closest-available baseline alike."""

import random
from collections import defaultdict

from hypothesis import HealthCheck, given, settings

from engine.matching import (
    ClosestAvailable,
    MatchingProblem,
    OptimalMatcher,
    ProblemBuilder,
    SolveParams,
    Solver,
)
from engine.model import Plan
from tests.matching.reference import eligible, travel_seconds
from tests.matching.strategies import problems

# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOLVERS: list[Solver] = [OptimalMatcher(), ClosestAvailable()]


def _check_plan(problem: MatchingProblem, plan: Plan) -> None:
    times = travel_seconds(problem)
    per_resource: dict[str, int] = defaultdict(int)
    per_slot: dict[tuple[str, str | None], int] = defaultdict(int)
    pins_left = defaultdict(int)
    for pin in problem.pinned:
        pins_left[(pin.need, pin.part, pin.resource)] += pin.quantity
    for a in plan.assignments:
        per_resource[a.resource] += a.quantity
        per_slot[(a.need, a.part)] += a.quantity
        if a.pinned:
            pins_left[(a.need, a.part, a.resource)] -= a.quantity
        else:
            # No ineligible pair: every unit the matcher added passes the plain rules.
            i, j = problem.need_index[a.need], problem.resource_index[a.resource]
            assert eligible(problem, times, i, a.part, j), a
    # Pins kept, exactly.
    assert all(v == 0 for v in pins_left.values()), pins_left
    # No resource over its capacity.
    for r in problem.resources:
        assert per_resource[r.id] <= r.quantity, r.id
    # No need over-served beyond what its pins already forced.
    for n in problem.needs:
        for part, per_unit in [(None, 1), *((p.capability, p.per_unit) for p in n.team)]:
            pinned = sum(p.quantity for p in problem.pinned if p.need == n.id and p.part == part)
            assert per_slot[(n.id, part)] <= max(n.quantity * per_unit, pinned), (n.id, part)
    # Every unit not served is accounted for, with a reason.
    served = sum(plan.objective.served_by_priority)
    unmet = sum(u.quantity for u in plan.unmet)
    assert served + unmet == sum(n.quantity for n in problem.needs)


@SETTINGS
@given(problems(teams=True))
def test_plans_respect_capacity_eligibility_and_pins(problem: MatchingProblem) -> None:
    for solver in SOLVERS:
        _check_plan(problem, solver.solve(problem, SolveParams()))


@SETTINGS
@given(problems())
def test_never_worse_than_closest_available(problem: MatchingProblem) -> None:
    best = OptimalMatcher().solve(problem, SolveParams()).objective
    greedy = ClosestAvailable().solve(problem, SolveParams()).objective
    # Lexicographic: units served by priority 5 down to 1, then the tier-2 cost (lateness, travel, churn).
    assert (best.served_by_priority, -best.cost) >= (greedy.served_by_priority, -greedy.cost)


@SETTINGS
@given(problems(teams=True))
def test_deterministic_whatever_the_input_order(problem: MatchingProblem) -> None:
    first = OptimalMatcher().solve(problem, SolveParams())
    again = OptimalMatcher().solve(problem, SolveParams())
    assert first.decision_json() == again.decision_json()
    shuffled = list(problem.needs), list(problem.resources), list(problem.organisations.values())
    for items in shuffled:
        random.Random(7).shuffle(items)
    rebuilt = (
        ProblemBuilder(problem.graph, mode=problem.mode)
        .at(problem.at)
        .add_needs(shuffled[0])
        .add_resources(shuffled[1])
        .add_organisations(shuffled[2])
        .pin(problem.pinned)
        .keep(problem.previous)
        .build()
    )
    assert OptimalMatcher().solve(rebuilt, SolveParams()).decision_json() == first.decision_json()


@SETTINGS
@given(problems())
def test_previous_plan_is_kept_when_it_is_still_optimal(problem: MatchingProblem) -> None:
    plan = OptimalMatcher().solve(problem, SolveParams())
    from engine.matching import Pin

    previous = [
        Pin(need=a.need, resource=a.resource, quantity=a.quantity, part=a.part) for a in plan.assignments
    ]
    again = (
        ProblemBuilder(problem.graph, mode=problem.mode)
        .at(problem.at)
        .add_needs(problem.needs)
        .add_resources(problem.resources)
        .add_organisations(problem.organisations.values())
        .pin(problem.pinned)
        .keep(previous)
        .build()
    )
    replanned = OptimalMatcher().solve(again, SolveParams())
    # Nothing changed, so the re-plan keeps every unit: no churn.
    assert replanned.objective.kept == sum(a.quantity for a in plan.assignments)
    assert replanned.objective.served_by_priority == plan.objective.served_by_priority
    assert replanned.objective.weighted_travel == plan.objective.weighted_travel
