"""The matcher's objective in its strict order, partial fills, teams and all-or-nothing needs."""

import pytest

from engine.matching import ClosestAvailable, Pin, SolveParams, solve
from engine.model import TeamPart
from tests.matching.helpers import need, org, problem, resource


def test_one_life_safety_unit_outranks_any_number_of_lower_units() -> None:
    # r1 can reach both; the greedy nearest choice would serve 5 units of priority 4 at b instead.
    p = problem(
        [need("urgent", priority=5, location="d"), need("many", priority=4, quantity=5, location="b")],
        [resource("r1", quantity=5, location="c")],
    )
    plan = solve(p, SolveParams())
    assert plan.objective.served_by_priority == (1, 4, 0, 0, 0)


def test_partial_fill_from_two_organisations() -> None:
    p = problem(
        [need("n1", quantity=10)],
        [
            resource("r1", quantity=4, organisation="o1"),
            resource("r2", quantity=6, organisation="o2", location="c"),
        ],
        [org("o1"), org("o2")],
    )
    plan = solve(p, SolveParams())
    assert {(a.resource, a.quantity) for a in plan.assignments} == {("r1", 4), ("r2", 6)}
    assert plan.unmet == ()


def test_travel_weighted_by_priority_decides_who_gets_the_near_unit() -> None:
    # One unit near (b), one far (d); the priority-5 need should get the near one.
    p = problem(
        [need("low", priority=1, location="a"), need("high", priority=5, location="a")],
        [resource("near", location="b"), resource("far", location="d")],
    )
    plan = solve(p, SolveParams())
    assert {a.need: a.resource for a in plan.assignments} == {"high": "near", "low": "far"}


def test_pins_are_kept_even_against_the_rules() -> None:
    # A cadre pinned the far resource for a need whose own limit it exceeds: the choice stands.
    p = problem(
        [need("n1", max_travel_s=100)],
        [resource("far", location="d"), resource("near")],
        pins=[Pin(need="n1", resource="far", quantity=1)],
    )
    plan = solve(p, SolveParams())
    (a,) = plan.assignments
    assert (a.resource, a.pinned, a.rules, a.travel_s) == ("far", True, ("pinned",), 720)


def _boat_team(**kw: object) -> list:  # type: ignore[type-arg]
    crew = TeamPart(capability="rescue.crew", per_unit=2, requires=("water_rescue",))
    return [need("flooded", "rescue.boat", priority=5, team=(crew,), **kw)]


def test_a_boat_goes_with_two_water_rescue_crew() -> None:
    pool = [
        resource("boat", "rescue.boat"),
        resource("crew_certified", "rescue.crew", quantity=1, certifications=["water_rescue"]),
        resource("crew_other", "rescue.crew", quantity=1, location="c", certifications=["water_rescue"]),
        resource("crew_untrained", "rescue.crew", quantity=5),
    ]
    plan = solve(problem(_boat_team(), pool), SolveParams())
    assert "cp_sat" in plan.solver.methods
    got = {(a.resource, a.part, a.quantity) for a in plan.assignments}
    assert got == {("boat", None, 1), ("crew_certified", "rescue.crew", 1), ("crew_other", "rescue.crew", 1)}


def test_no_boat_is_sent_without_its_crew() -> None:
    pool = [resource("boat", "rescue.boat"), resource("crew", "rescue.crew", certifications=["water_rescue"])]
    for solver_plan in (
        solve(problem(_boat_team(), pool), SolveParams()),
        ClosestAvailable().solve(problem(_boat_team(), pool), SolveParams()),
    ):
        assert solver_plan.assignments == ()
        (u,) = solver_plan.unmet
        assert u.need == "flooded" and "一整组" in u.detail


@pytest.mark.parametrize("all_or_nothing, served", [(True, 0), (False, 3)])
def test_all_or_nothing_needs_are_served_in_full_or_not_at_all(all_or_nothing: bool, served: int) -> None:
    p = problem([need("evacuate", quantity=4, all_or_nothing=all_or_nothing)], [resource("bus", quantity=3)])
    plan = solve(p, SolveParams())
    assert sum(a.quantity for a in plan.assignments) == served


def test_assignments_name_the_rules_that_made_them_eligible() -> None:
    p = problem(
        [need("n1", requires=["driver"], max_travel_s=300)], [resource("r1", certifications=["driver"])]
    )
    (a,) = solve(p, SolveParams()).assignments
    assert a.rules == ("capability_match", "service_mode", "certifications", "max_travel_s")
    assert a.travel_s == 60


def test_timings_only_when_given_a_clock() -> None:
    import time

    p = problem([need("n1")], [resource("r1")])
    assert solve(p, SolveParams()).solver.timings_ms == {}
    assert set(solve(p, SolveParams(stopwatch=time.perf_counter)).solver.timings_ms) >= {"prepare", "flow"}
