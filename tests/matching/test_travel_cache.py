"""A travel cache changes how fast a plan comes, never what it says."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.matching import ClosestAvailable, MatchingProblem, OptimalMatcher, ProblemBuilder, SolveParams
from engine.travel import TravelCache
from tests.matching.strategies import problems


def _variant(problem: MatchingProblem, closed: bool) -> MatchingProblem:
    """The same needs and pool on the graph with one more road closed (or the open graph)."""
    graph = problem.graph.with_closures([("g0_0", "g1_0")]) if closed else problem.graph.open_graph()
    return (
        ProblemBuilder(graph, mode=problem.mode)
        .add_needs(problem.needs)
        .add_resources(problem.resources)
        .add_organisations(problem.organisations.values())
        .pin(problem.pinned)
        .keep(problem.previous)
        .build()
    )


# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
@settings(max_examples=40, deadline=None)
@given(problem=problems(teams=True), closed=st.booleans(), max_cells=st.sampled_from([0, 3, 1_000_000]))
def test_plans_are_byte_identical_with_or_without_a_cache(
    problem: MatchingProblem, closed: bool, max_cells: int
) -> None:
    cache = TravelCache(max_cells=max_cells)
    other = _variant(problem, closed)
    # Warm the cache on another version of the roads first, as a re-plan after a closure would find it.
    for first, then in ((other, problem), (problem, other)):
        for solver in (OptimalMatcher(), ClosestAvailable()):
            for subject in (first, then):
                cold = solver.solve(subject, SolveParams())
                warm = solver.solve(subject, SolveParams(travel_cache=cache))
                assert warm.decision_json() == cold.decision_json()
