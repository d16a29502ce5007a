"""The matcher is exact: on small random instances it reaches the optimum of an independent MILP."""

from hypothesis import HealthCheck, given, settings

from engine.matching import MatchingProblem, SolveParams, solve
from tests.matching.reference import solve_reference
from tests.matching.strategies import problems

# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_matches_reference(problem: MatchingProblem, params: SolveParams) -> None:
    plan = solve(problem, params)
    ref = solve_reference(problem)
    got = plan.objective
    assert got.served_by_priority == ref.served_by_priority
    assert got.cost == ref.cost
    assert got.kept == ref.kept


@SETTINGS
@given(problems())
def test_min_cost_flow_is_exact(problem: MatchingProblem) -> None:
    _assert_matches_reference(problem, SolveParams())


@SETTINGS
@given(problems())
def test_two_phase_flow_is_exact(problem: MatchingProblem) -> None:
    _assert_matches_reference(problem, SolveParams(flow_strategy="two_phase"))


@SETTINGS
@given(problems(soon=True))
def test_exact_with_units_free_soon(problem: MatchingProblem) -> None:
    _assert_matches_reference(problem, SolveParams())


@SETTINGS
@given(problems(teams=True, soon=True))
def test_cp_sat_is_exact_for_teams_and_all_or_nothing(problem: MatchingProblem) -> None:
    _assert_matches_reference(problem, SolveParams())
