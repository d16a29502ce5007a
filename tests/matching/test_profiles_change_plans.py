"""The same needs and pool give different plans under different community profiles.

Each difference is traced to a named rule: the rule is named in the plan, and taking only that rule out of
the profile undoes the difference.
"""

from collections.abc import Callable

import pytest

from api.profiles import bundled_names, find_profile
from engine.matching import SolveParams, solve
from engine.model import Plan
from engine.rules import Profile
from engine.travel import RoadGraph
from tests.matching.helpers import need, org, problem, resource

GRAPH = RoadGraph.from_edges(
    [
        ("home", "near", 300),
        ("home", "fire", 600),
        ("home", "vis", 800),
        ("home", "far", 3000),
        ("near", "near2", 60),
    ]
)
NEEDS = [
    need("boat", "rescue.boat", priority=5, location="home"),
    need("visit", "care.visit", priority=2, location="home", tags=["elderly_alone"]),
    need("water", "supply.water", priority=3, quantity=5, location="home"),
    need("medicine_infant", "supply.medicine", priority=3, location="home", tags=["infant"]),
    need("medicine_other", "supply.medicine", priority=3, location="near2"),
]
POOL = [
    resource("boat_ngo", "rescue.boat", organisation="blue_sky", location="near"),
    resource(
        "boat_fire",
        "rescue.boat",
        organisation="fire_station",
        location="fire",
        certifications=["water_rescue"],
    ),
    resource("captain", "care.visit", organisation="building_7", location="near"),
    resource("visitor", "care.visit", organisation="volunteers", location="vis"),
    resource("water_far", "supply.water", organisation="market", location="far", quantity=5),
    resource("medicine", "supply.medicine", organisation="clinic", location="near"),
]
ORGS = [
    org("blue_sky", "social_organisation", "c1"),
    org("fire_station", "public_unit", "c2"),
    org("building_7", "self_organised_group", "c2"),
    org("volunteers", "volunteer_team", "c1"),
    org("market", "enterprise", "c1"),
    org("clinic", "public_unit", "c1"),
]


def plan_under(profile: Profile | None) -> Plan:
    return solve(problem(NEEDS, POOL, ORGS, graph=GRAPH, profile=profile), SolveParams())


def without(profile: Profile, rule: str) -> Profile:
    return profile.model_copy(update={"rules": tuple(r for r in profile.rules if r.name != rule)})


def sent_to(plan: Plan, need_id: str) -> set[str]:
    return {a.resource for a in plan.assignments if a.need == need_id}


def relaxes(plan: Plan, need_id: str) -> str | None:
    return next((u.suggestion.rule for u in plan.unmet if u.need == need_id), None)


# (profile, rule, what the rule does to the plan, the same check without the rule)
TRACES: list[tuple[str, str, Callable[[Plan], bool], Callable[[Plan], bool]]] = [
    (
        "urban_admin_rich",
        "rescue_by_public_or_party",
        lambda p: sent_to(p, "boat") == {"boat_fire"},
        lambda p: sent_to(p, "boat") == {"boat_ngo"},
    ),
    (
        "urban_admin_rich",
        "tight_travel_limits",
        lambda p: relaxes(p, "water") == "tight_travel_limits",
        lambda p: sent_to(p, "water") == {"water_far"},
    ),
    (
        "strong_social_orgs",
        "water_rescue_certified",
        lambda p: sent_to(p, "boat") == {"boat_fire"},
        lambda p: sent_to(p, "boat") == {"boat_ngo"},
    ),
    (
        "strong_social_orgs",
        "prefer_own_community",
        lambda p: sent_to(p, "visit") == {"visitor"},
        lambda p: sent_to(p, "visit") == {"captain"},
    ),
    (
        "grid_captains",
        "grid_travel_limits",
        lambda p: relaxes(p, "water") == "grid_travel_limits",
        lambda p: sent_to(p, "water") == {"water_far"},
    ),
    (
        "remote_village",
        "mothers_and_infants_first",
        lambda p: sent_to(p, "medicine_infant") == {"medicine"},
        lambda p: sent_to(p, "medicine_other") == {"medicine"},
    ),
]


def test_four_profiles_give_four_different_plans() -> None:
    assert set(bundled_names()) >= {
        "urban_admin_rich",
        "remote_village",
        "strong_social_orgs",
        "grid_captains",
    }
    plans = {name: plan_under(find_profile(name)).decision_json() for name in bundled_names()}
    plans["(no profile)"] = plan_under(None).decision_json()
    assert len(set(plans.values())) == len(plans), "two profiles gave the same plan"


@pytest.mark.parametrize(
    "profile_name, rule, with_rule, without_rule", TRACES, ids=[f"{p}:{r}" for p, r, *_ in TRACES]
)
def test_each_difference_is_traced_to_a_named_rule(
    profile_name: str, rule: str, with_rule: Callable[[Plan], bool], without_rule: Callable[[Plan], bool]
) -> None:
    profile = find_profile(profile_name)
    plan = plan_under(profile)
    assert with_rule(plan)
    named = {r for a in plan.assignments for r in a.rules} | {u.suggestion.rule for u in plan.unmet}
    assert rule in named, f"the plan does not name {rule}"
    assert without_rule(plan_under(without(profile, rule)))


def test_rules_are_evaluated_once_per_entity_not_per_pair() -> None:
    profile = find_profile("strong_social_orgs")
    p = problem(NEEDS, POOL, ORGS, graph=GRAPH, profile=profile)
    solve(p, SolveParams())
    assert p.rules.evaluations == len(NEEDS) + len(POOL)
    solve(p, SolveParams())  # a re-plan with unchanged entities evaluates nothing again
    assert p.rules.evaluations == len(NEEDS) + len(POOL)


def test_a_replan_reusing_the_rules_evaluates_only_the_changed_entity() -> None:
    from engine.matching import ProblemBuilder

    profile = find_profile("strong_social_orgs")
    first = problem(NEEDS, POOL, ORGS, graph=GRAPH, profile=profile)
    solve(first, SolveParams())
    changed = [NEEDS[0].model_copy(update={"quantity": 2}), *NEEDS[1:]]
    second = (
        ProblemBuilder(GRAPH)
        .use_profile(profile, "c1")
        .reuse_rules(first.rules)
        .add_needs(changed)
        .add_resources(POOL)
        .add_organisations(ORGS)
        .build()
    )
    solve(second, SolveParams())
    assert second.rules is first.rules
    assert second.rules.evaluations == len(NEEDS) + len(POOL) + 1
