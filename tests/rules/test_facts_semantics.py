"""How the facts combine rules, pinned with small hand-written profiles (the README documents the same)."""

from engine.model.entities import Mode
from engine.model.ids import RuleName
from engine.rules import CompiledProfile, load_profile
from engine.rules.builtin import NEED_TRAVEL_LIMIT

from .factories import ELSEWHERE, HOME, need, organisation, resource

HEAD = "name: sample\ntitle_zh: 示例\ntitle_en: Sample\nrules:\n"


def compiled(rules: str, mode: Mode = Mode.INCIDENT) -> CompiledProfile:
    return CompiledProfile(load_profile(HEAD + rules, "sample.yaml"), mode)


PRIORITY_RULES = """\
  - name: plus_two_for_elderly
    kind: priority
    need: {tags: {has: elderly_alone}}
    adjust: 2
  - name: plus_one_for_disabled
    kind: priority
    need: {tags: {has: disabled}}
    adjust: 1
  - name: minus_one_at_four_or_more
    kind: priority
    need: {priority: {gte: 4}}
    adjust: -1
"""


def test_adjustments_add_up_and_are_clamped() -> None:
    c = compiled(PRIORITY_RULES)
    assert c.need_facts(need(priority=2, tags=("elderly_alone", "disabled")), HOME).priority == 5
    facts = c.need_facts(need(priority=4, tags=("elderly_alone", "disabled")), HOME)
    # 4 + 2 + 1 - 1 = 6, clamped to 5; every rule whose condition held is still named.
    assert facts.priority == 5
    assert facts.priority_rules == (
        "plus_two_for_elderly",
        "plus_one_for_disabled",
        "minus_one_at_four_or_more",
    )


def test_priority_conditions_see_the_reported_priority() -> None:
    # plus_two lifts 3 to 5, but minus_one_at_four_or_more looks at the reported 3 and does not hold.
    facts = compiled(PRIORITY_RULES).need_facts(need(priority=3, tags=("elderly_alone",)), HOME)
    assert (facts.priority, facts.priority_rules) == (5, ("plus_two_for_elderly",))


def test_travel_limits_use_the_adjusted_priority_and_the_strictest_wins() -> None:
    c = compiled(
        PRIORITY_RULES
        + """\
  - name: street_limits
    kind: travel_limit
    limits_s: {5: 1200, 3: 3000}
  - name: grid_limits
    kind: travel_limit
    limits_s: {5: 1800, 3: 2400}
"""
    )
    assert c.need_facts(need(priority=3, tags=("elderly_alone",)), HOME).limit_s == 1200
    facts = c.need_facts(need(priority=3), HOME)
    assert (facts.limit_s, facts.limit_rule) == (2400, "grid_limits")
    own = c.need_facts(need(priority=3, max_travel_s=2400), HOME)
    assert (own.limit_s, own.limit_rule) == (2400, NEED_TRAVEL_LIMIT)  # a tie keeps the need's own limit
    assert c.need_facts(need(priority=2), HOME).limit_s is None


def test_preferences_add_up() -> None:
    c = compiled(
        """\
  - name: own_a
    kind: preference
    prefer: own_community
    penalty_s: 100
  - name: own_b
    kind: preference
    prefer: own_community
    penalty_s: 50
  - name: rotate
    kind: preference
    prefer: rotation
    penalty_s: 30
  - name: rotate_in_normal_times
    kind: preference
    modes: [normal]
    prefer: rotation
    penalty_s: 1000
"""
    )
    assert c.own_community_penalty_s == 150
    assert c.resource_facts(resource(), organisation(recent_dispatches=3)).rotation_s == 90


def test_facts_carry_the_communities_that_relations_compare() -> None:
    c = compiled(
        """\
  - name: captains_stay_home
    kind: eligibility
    effect: deny
    resource: {organisation_kind: self_organised_group}
    relation: other_community
"""
    )
    nf = c.need_facts(need(), HOME)
    assert nf.community == HOME and nf.eligibility == {0}
    assert c.need_facts(need(community=ELSEWHERE), HOME).community == ELSEWHERE
    assert c.need_facts(need(), None).community is None
    rf = c.resource_facts(resource(), organisation("self_organised_group", ELSEWHERE))
    assert rf.community == ELSEWHERE and rf.eligibility == {0}
    assert c.resource_facts(resource(), organisation("volunteer_team", ELSEWHERE)).eligibility == set()


def test_conditions_on_resources() -> None:
    c = compiled(
        """\
  - name: fresh_certified_boats
    kind: eligibility
    effect: require
    need: {capability: {prefix: rescue.}, quantity: {lte: 3}, requires: {has_none: [driver]}}
    resource:
      capability: [rescue.boat, rescue.crew]
      certifications: {has_any: [water_rescue]}
      organisation: {ne: o_blacklisted}
      organisation_kind: {not_in: [enterprise]}
      community: {prefix: ho}
      modes: {in: [incident, both]}
      quantity: {gte: 1}
      on_duty_s: {lte: 3600}
"""
    )
    assert c.need_facts(need("rescue.crew", quantity=3), HOME).eligibility == {0}
    assert c.need_facts(need("rescue.crew", quantity=4), HOME).eligibility == set()
    assert c.need_facts(need("rescue.crew", requires=("driver",)), HOME).eligibility == set()
    good = resource("rescue.boat", ("water_rescue",), on_duty_s=3600)
    assert c.resource_facts(good, organisation("public_unit", HOME)).eligibility == {0}
    for r, o in [
        (resource("rescue.boat", ("first_aid",)), organisation("public_unit", HOME)),
        (resource("rescue.boat", ("water_rescue",), on_duty_s=3601), organisation("public_unit", HOME)),
        (
            resource("rescue.boat", ("water_rescue",), organisation="o_blacklisted"),
            organisation("public_unit", HOME),
        ),
        (good, organisation("enterprise", HOME)),
        (good, organisation("public_unit", ELSEWHERE)),
        (good, organisation("public_unit", None)),
        (resource("rescue.boat", ("water_rescue",), quantity=0), organisation("public_unit", HOME)),
        (resource("transport.vehicle", ("water_rescue",)), organisation("public_unit", HOME)),
    ]:
        assert c.resource_facts(r, o).eligibility == set(), (r, o)


def test_rest_waiver() -> None:
    c = compiled(
        """\
  - name: rest_unless_urgent
    kind: rest
    max_on_duty_s: 3600
    except_priority: 4
"""
    )
    assert c.resource_facts(resource(on_duty_s=3601), organisation()).resting_by == "rest_unless_urgent"
    assert [c.rest_waived(RuleName("rest_unless_urgent"), p) for p in range(1, 6)] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert not c.rest_waived(RuleName("no_such_rule"), 5)


TWO_REST_RULES = """\
  - name: rest_unless_urgent
    kind: rest
    max_on_duty_s: 3600
    except_priority: 4
  - name: must_sleep
    kind: rest
    max_on_duty_s: 7200
"""


def test_a_stricter_rest_rule_is_not_waived_by_a_looser_one() -> None:
    c = compiled(TWO_REST_RULES)
    rf = c.resource_facts(resource(on_duty_s=10000), organisation())
    # Past must_sleep, which has no exception: no need may take this resource, whatever its priority.
    assert rf.resting_by is not None
    assert not c.rest_waived(rf.resting_by, 5)
