"""The hindsight bound: the plan an all-knowing dispatcher would make, knowing every need from the start.

One matching problem, solved exactly by the engine's matcher: every need of the scenario that is not
cancelled, known at the start; every resource available at the largest quantity the timeline ever gives it;
the map as drawn (roads the timeline closes stay open); the profile's rules in incident mode; no exclusions
from declines or silence, no pins. A unit in a drill can serve again once a job is done, and each job keeps
it on site for at least the capability's service time, so within a drill of D seconds one unit reaches at
most ``D // service_s + 1`` needs: each resource offers that many jobs per unit here.

What it bounds, precisely: no dispatcher, however well informed, gets a first unit to more need units of
priority 5 (after the profile's adjustments) than ``life_safety.units_served`` while the community is in
incident mode, since every arrival in a drill is a job this problem could also have assigned. Its travel per
life-safety unit is the least the matcher finds for that service (from each resource's base, on open
roads): a reference for how far the engine's units travelled, and a lower bound when both serve the same.
"""

from engine.drill.scenario import Profiles, ResourceQuantity, Scenario
from engine.matching import OptimalMatcher, ProblemBuilder, SolveParams
from engine.model.entities import Mode, Resource, ResourceStatus
from engine.model.ids import NeedId, ResourceId
from engine.model.priority import LIFE_SAFETY
from engine.rules.profile import Profile
from engine.travel import RoadGraph


def hindsight(
    scenario: Scenario, profile: Profile | Profiles, graph: RoadGraph, priority: dict[NeedId, int]
) -> dict[str, object]:
    profiles = Profiles.of(scenario, profile)
    cancelled = scenario.cancelled()
    homes = scenario.need_community()
    resources = _resources(scenario)
    organisations = [o.organisation(scenario.home(o)) for o in scenario.organisations]
    served_by_priority = [0] * 5
    weighted_travel = 0
    ls_needs: dict[NeedId, int] = {}
    served: dict[NeedId, int] = {}
    travel_units = travel_sum = 0
    # A street: each community's bound with every unit of the street, summed (no community reaches more
    # than it could with all of them; together they reach no more than the sum).
    for member in scenario.members():
        needs = [
            n.need(member.id, scenario.settings.start)
            for need_id, n in sorted(scenario.needs().items())
            if need_id not in cancelled and homes.get(need_id, member.id) == member.id
        ]
        problem = (
            ProblemBuilder(graph, mode=Mode.INCIDENT)
            .use_profile(profiles.communities[member.id], member.id)
            .add_needs(needs)
            .add_resources(resources)
            .add_organisations(organisations)
            .build()
        )
        plan = OptimalMatcher().solve(problem, SolveParams())
        served_by_priority = [
            a + b for a, b in zip(served_by_priority, plan.objective.served_by_priority, strict=True)
        ]
        weighted_travel += plan.objective.weighted_travel
        ls_needs.update({n.id: n.quantity for n in needs if priority[n.id] == LIFE_SAFETY})
        for a in plan.assignments:
            if a.part is None and a.need in ls_needs:
                served[a.need] = served.get(a.need, 0) + a.quantity
                if a.travel_s is not None:
                    travel_units += a.quantity
                    travel_sum += a.quantity * a.travel_s
    street = (
        "; a street: each community's bound with every unit of the street, summed"
        if scenario.is_street
        else ""
    )
    return {
        "what": (
            "every non-cancelled need known at the start, every resource available (each unit as many jobs as "
            "its service time allows in the drill), roads as drawn: an upper bound on life-safety units "
            f"reached, and the matcher's least travel for that service{street}"
        ),
        "needs": sum(1 for need_id in scenario.needs() if need_id not in cancelled),
        "served_by_priority": served_by_priority,
        "weighted_travel": weighted_travel,
        "life_safety": {
            "needs": len(ls_needs),
            "reached": len(served),
            "units": sum(ls_needs.values()),
            "units_served": sum(served.values()),
            "mean_travel_s": round(travel_sum / travel_units, 1) if travel_units else None,
        },
    }


def _resources(scenario: Scenario) -> list[Resource]:
    most: dict[ResourceId, int] = {}
    for event in scenario.timeline:
        if isinstance(event, ResourceQuantity):
            most[event.resource] = max(most.get(event.resource, 0), event.quantity)
    return [
        r.model_copy(
            update={
                "status": ResourceStatus.AVAILABLE,
                "quantity": max(r.quantity, most.get(r.id, 0)) * jobs_per_unit(scenario, r),
                "on_duty_s": 0,
            }
        )
        for r in scenario.resources
    ]


def jobs_per_unit(scenario: Scenario, resource: Resource) -> int:
    """The most jobs one unit can start in the drill: each keeps it on site for its service time."""
    return scenario.end // scenario.service_s(resource.capability) + 1
