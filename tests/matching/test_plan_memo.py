"""A plan memo changes which objects a plan is made of, never the plan."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.matching import MatchingProblem, SolveParams, solve
from engine.matching.memo import PlanMemo
from tests.matching.helpers import need, problem, resource
from tests.matching.strategies import problems

# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(problems(teams=True, soon=True), min_size=2, max_size=4))
def test_plans_made_with_one_memo_are_the_plans_made_without(cases: list[MatchingProblem]) -> None:
    memo = PlanMemo()
    for case in [*cases, cases[0]]:
        kept = solve(case, SolveParams(memo=memo))
        fresh = solve(case, SolveParams())
        assert kept.decision_json() == fresh.decision_json()


def test_an_unchanged_line_of_the_plan_is_the_same_object() -> None:
    case = problem([need("n1"), need("n2", location="d")], [resource("r1")])
    memo = PlanMemo()
    first, again = solve(case, SolveParams(memo=memo)), solve(case, SolveParams(memo=memo))
    assert first.assignments[0] is again.assignments[0]
    assert first.unmet[0] is again.unmet[0]
    assert solve(case, SolveParams()).assignments[0] is not first.assignments[0]
