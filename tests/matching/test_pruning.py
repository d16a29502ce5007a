"""Candidate pruning keeps tier 1 exact: a certificate where it holds, more arcs where it does not."""

from hypothesis import HealthCheck, given, settings

from engine.matching import MatchingProblem, SolveParams, solve
from tests.matching.helpers import need, problem, resource
from tests.matching.strategies import problems

# Every problem pruned, each slot down to its one cheapest arc: the certificate is tested hardest.
PRUNE_HARD = SolveParams(prune_k=1, prune_above_arcs=0)


def test_a_pruned_plan_that_serves_everyone_is_certified_as_it_is() -> None:
    # Each need's cheapest unit is its own: the pruned plan serves both, and no path could do better.
    case = problem(
        [need("n1", location="a"), need("n2", location="d")],
        [resource("r1", location="b"), resource("r2", location="d")],
    )
    plan = solve(case, PRUNE_HARD)
    assert plan.solver.counts["pruned_arcs"] == 2
    assert plan.solver.counts["flow_solves"] == 1
    # Certified on tier 1 only: the plan does not claim to be optimal.
    assert not plan.solver.optimal
    assert {(a.need, a.resource) for a in plan.assignments} == {("n1", "r1"), ("n2", "r2")}


def test_the_certificate_fails_when_an_idle_unit_could_serve_a_need_and_the_arcs_come_back() -> None:
    # Both needs' cheapest unit is r1: pruned, one is left out while the far r2 idles.
    case = problem(
        [need("n1", location="a"), need("n2", location="a")],
        [resource("r1", location="b"), resource("r2", location="d")],
    )
    plan = solve(case, PRUNE_HARD)
    assert plan.solver.counts["flow_solves"] == 2
    assert plan.solver.counts["pruned_arcs"] == 0
    assert plan.solver.optimal
    assert plan.objective.served_by_priority == solve(case).objective.served_by_priority
    assert not plan.unmet


def test_the_certificate_fails_when_a_lower_priority_need_holds_the_only_near_unit() -> None:
    # The P1 need's cheapest (and only) arc is r1; the P5 need's cheapest is r1 too, its other arc r2 is
    # pruned. The pruned plan gives r1 to P5 and leaves P1 open with r2 idle: a path r2 -> P5, r1 -> P1.
    case = problem(
        [need("p5", location="a", priority=5), need("p1", location="a", priority=1, max_travel_s=100)],
        [resource("r1", location="b"), resource("r2", location="d")],
    )
    plan = solve(case, PRUNE_HARD)
    assert plan.objective.served_by_priority == solve(case).objective.served_by_priority == (1, 0, 0, 0, 1)


# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_pruning_never_changes_tier_one(case: MatchingProblem) -> None:
    pruned = solve(case, PRUNE_HARD)
    full = solve(case, SolveParams(prune_k=None))
    assert pruned.objective.served_by_priority == full.objective.served_by_priority
    # With tier 1 the same, tier 2 can only be as good as the full solve's, never better.
    assert pruned.objective.cost >= full.objective.cost


@SETTINGS
@given(problems())
def test_pruning_is_off_below_its_threshold(case: MatchingProblem) -> None:
    plan = solve(case)
    assert plan.solver.counts["pruned_arcs"] == 0
