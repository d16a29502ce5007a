"""Problems at the largest quantities the engine takes solve exactly, on both solver paths, with no overflow.

Beyond the maximum these were crashes: 10**20 units did not fit numpy's int64, and 10**12 crew per boat made
a CP-SAT domain of 10**24.
"""

from typing import Literal

import pytest

from engine.matching import OptimalMatcher, Pin, ProblemBuilder, SolveParams
from engine.model import NeedId, ResourceId, TeamPart
from engine.model.quantity import MAX_QUANTITY
from engine.travel import RoadGraph
from tests.matching.helpers import need, org, resource

# Four hours less a little, the longest travel the matcher considers by default: the largest unit costs.
FAR = RoadGraph.from_edges([("a", "b", 14_000), ("b", "c", 300)])


@pytest.mark.parametrize("strategy", ["single", "two_phase"])
def test_min_cost_flow_at_the_maximum(strategy: Literal["single", "two_phase"]) -> None:
    needs = [
        need("life", location="a", priority=5, quantity=MAX_QUANTITY),
        need("water", location="a", priority=1, quantity=MAX_QUANTITY),
        need("later", location="c", priority=3, quantity=MAX_QUANTITY),
    ]
    resources = [
        resource("far", location="a", quantity=MAX_QUANTITY),
        resource("near", location="c", quantity=MAX_QUANTITY),
    ]
    # A previous plan scales every travel cost by the node count: the largest costs the flow sees.
    kept = Pin(need=NeedId("water"), resource=ResourceId("far"), quantity=MAX_QUANTITY)
    problem = (
        ProblemBuilder(FAR)
        .add_needs(needs)
        .add_resources(resources)
        .add_organisations([org("o1")])
        .keep([kept])
        .build()
    )
    plan = OptimalMatcher().solve(problem, SolveParams(flow_strategy=strategy))
    assert plan.solver.methods == ("min_cost_flow",) and plan.solver.optimal
    assert plan.solver.counts["flow_solves"] == (1 if strategy == "single" else 2)
    # Priority 5 first, then 3; each takes the whole of the resource at its own place.
    assert plan.objective.served_by_priority == (MAX_QUANTITY, 0, MAX_QUANTITY, 0, 0)
    assert {(a.need, a.resource, a.quantity) for a in plan.assignments} == {
        ("life", "far", MAX_QUANTITY),
        ("later", "near", MAX_QUANTITY),
    }
    assert [(u.need, u.quantity) for u in plan.unmet] == [("water", MAX_QUANTITY)]


def test_cp_sat_at_the_maximum() -> None:
    crew = TeamPart.model_validate({"capability": "rescue.crew", "per_unit": MAX_QUANTITY})
    needs = [
        # Each boat goes with the largest crew there can be: MAX_QUANTITY × MAX_QUANTITY crew wanted.
        need("boats", "rescue.boat", location="a", priority=5, quantity=MAX_QUANTITY, team=[crew]),
        need("all", location="c", priority=4, quantity=MAX_QUANTITY, all_or_nothing=True),
    ]
    resources = [
        resource("boat", "rescue.boat", location="b", quantity=MAX_QUANTITY),
        resource("crew_a", "rescue.crew", location="a", quantity=MAX_QUANTITY),
        resource("crew_c", "rescue.crew", location="c", quantity=MAX_QUANTITY),
        resource("water", location="a", quantity=MAX_QUANTITY),
    ]
    problem = (
        ProblemBuilder(FAR).add_needs(needs).add_resources(resources).add_organisations([org("o1")]).build()
    )
    plan = OptimalMatcher().solve(problem, SolveParams())
    assert "cp_sat" in plan.solver.methods and plan.solver.optimal
    # Two crews of MAX_QUANTITY make two teams; the all-or-nothing need takes every unit, four hours away.
    assert plan.objective.served_by_priority == (2, MAX_QUANTITY, 0, 0, 0)
    sent = {(a.need, a.resource): a.quantity for a in plan.assignments}
    assert sent == {
        ("boats", "boat"): 2,
        ("boats", "crew_a"): MAX_QUANTITY,
        ("boats", "crew_c"): MAX_QUANTITY,
        ("all", "water"): MAX_QUANTITY,
    }
