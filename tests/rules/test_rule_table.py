"""Every rule of every shipped profile, at the facts level: examples where it fires and where it does not.

A rule *fires* when it changes what the engine would do:

- priority: the need's priority moves by ``adjust`` and ``priority_rules`` names the rule;
- travel_limit: the rule sets ``limit_s`` and ``limit_rule`` names it;
- eligibility: the rule keeps the resource from the need (``deny`` matches, or ``require`` is not met);
- preference: the pair costs ``penalty_s`` more (own community), or ``penalty_s`` per recent dispatch
  (rotation);
- rest: ``resting_by`` names the rule.

Each effect is measured against the same profile with that one rule taken out, so the examples do not
depend on what the profile's other rules do. A profile that gains a rule without a row here fails
``test_every_rule_has_a_row``.
"""

from dataclasses import dataclass, field

import pytest
from _pytest.mark.structures import ParameterSet

from engine.model.entities import Mode, Need, Organisation, Resource
from engine.rules import (
    CompiledProfile,
    EligibilityRule,
    PreferenceRule,
    PriorityRule,
    Profile,
    RestRule,
    Rule,
    TravelLimitRule,
)
from engine.rules.builtin import NEED_TRAVEL_LIMIT

from .factories import (
    ELSEWHERE,
    HOME,
    SHIPPED,
    need,
    organisation,
    own_community_cost,
    pair_blocked_by,
    resource,
    without,
)


class Unchecked:
    """No number to check for this example (eligibility and rest rules)."""


@dataclass(frozen=True)
class Case:
    label: str
    need: Need = field(default_factory=need)
    resource: Resource = field(default_factory=resource)
    organisation: Organisation = field(default_factory=organisation)
    # What the facts should say where the rule applies: the adjusted priority (priority rules), ``limit_s``
    # (travel limits, None for no limit), or the seconds the rule adds to the pair's cost (preferences).
    expect: int | type[Unchecked] | None = Unchecked


def needing(
    label: str,
    capability: str,
    priority: int,
    *tags: str,
    max_travel_s: int | None = None,
    expect: int | type[Unchecked] | None = Unchecked,
) -> Case:
    return Case(label, need=need(capability, priority, tags, max_travel_s=max_travel_s), expect=expect)


def pair(
    label: str,
    capability: str,
    kind: str,
    *certifications: str,
    need_community: str | None = None,
    org_community: str | None = HOME,
) -> Case:
    return Case(
        label,
        need=need(capability, 3, community=need_community),
        resource=resource(capability, certifications),
        organisation=organisation(kind, org_community),
    )


def on_duty(label: str, seconds: int) -> Case:
    return Case(label, resource=resource(on_duty_s=seconds))


def dispatched(label: str, times: int, expect: int) -> Case:
    return Case(label, organisation=organisation(recent_dispatches=times), expect=expect)


def from_community(label: str, community: str | None, expect: int) -> Case:
    return Case(
        label, need=need(community=HOME), organisation=organisation(community=community), expect=expect
    )


@dataclass(frozen=True)
class Row:
    fires: tuple[Case, ...]
    quiet: tuple[Case, ...]


# One row per (profile, rule). Needs are evaluated for a community called ``HOME`` unless they name their own.
TABLE: dict[tuple[str, str], Row] = {
    # ---- urban_admin_rich 行政资源丰富的城市社区 ----
    ("urban_admin_rich", "tight_travel_limits"): Row(
        fires=(
            needing("p5_15min", "rescue.evacuation", 5, expect=900),
            needing("p1_90min", "care.visit", 1, expect=5400),
            needing("p3_raised_to_4", "supply.food", 3, "elderly_alone", expect=1500),
        ),
        quiet=(needing("need_own_limit_stricter", "rescue.evacuation", 5, max_travel_s=600, expect=600),),
    ),
    ("urban_admin_rich", "elderly_alone_first"): Row(
        fires=(needing("elderly_alone", "supply.food", 2, "elderly_alone", expect=3),),
        quiet=(needing("chronic_illness", "supply.food", 2, "chronic_illness", expect=2),),
    ),
    ("urban_admin_rich", "disabled_first"): Row(
        fires=(needing("disabled", "transport.vehicle", 3, "disabled", expect=4),),
        quiet=(needing("elderly_alone", "transport.vehicle", 3, "elderly_alone", expect=4),),
    ),
    ("urban_admin_rich", "rescue_by_public_or_party"): Row(
        fires=(
            pair("boat_from_volunteers", "rescue.boat", "volunteer_team", "water_rescue"),
            pair("evacuation_by_enterprise", "rescue.evacuation", "enterprise"),
        ),
        quiet=(
            pair("boat_from_public_unit", "rescue.boat", "public_unit"),
            pair("crew_from_party_org", "rescue.crew", "party_organisation"),
            pair("water_by_volunteers", "supply.water", "volunteer_team"),
        ),
    ),
    ("urban_admin_rich", "medical_certified"): Row(
        fires=(
            pair("first_aid_uncertified", "medical.first_aid", "public_unit"),
            pair("doctor_with_driver_cert", "medical.doctor", "public_unit", "driver"),
        ),
        quiet=(
            pair("first_aid_certified", "medical.first_aid", "volunteer_team", "first_aid"),
            pair("doctor_licensed", "medical.doctor", "public_unit", "medical_license"),
            pair("not_medical", "supply.medicine", "public_unit"),
        ),
    ),
    ("urban_admin_rich", "electrician_certified"): Row(
        fires=(pair("uncertified", "repair.electrical", "public_unit"),),
        quiet=(
            pair("electrician", "repair.electrical", "public_unit", "electrician"),
            pair("generator", "power.generator", "public_unit"),
        ),
    ),
    ("urban_admin_rich", "enterprises_supply_only"): Row(
        fires=(
            pair("enterprise_vehicle", "transport.vehicle", "enterprise", "driver"),
            pair("enterprise_shelter", "shelter.bed", "enterprise"),
        ),
        quiet=(
            pair("enterprise_food", "supply.food", "enterprise"),
            pair("public_unit_vehicle", "transport.vehicle", "public_unit", "driver"),
        ),
    ),
    ("urban_admin_rich", "rest_after_six_hours"): Row(
        fires=(on_duty("six_hours_and_a_second", 21601),),
        quiet=(on_duty("exactly_six_hours", 21600), on_duty("fresh", 0)),
    ),
    # ---- remote_village 资源匮乏的偏远村庄 ----
    ("remote_village", "long_travel_limits"): Row(
        fires=(
            needing("p5_1h", "rescue.evacuation", 5, expect=3600),
            needing("p1_4h", "care.visit", 1, expect=14400),
        ),
        quiet=(needing("need_own_limit_stricter", "rescue.evacuation", 5, max_travel_s=1800, expect=1800),),
    ),
    ("remote_village", "elderly_alone_first"): Row(
        fires=(needing("elderly_alone", "care.visit", 3, "elderly_alone", expect=4),),
        quiet=(needing("no_tags", "care.visit", 3, expect=3),),
    ),
    ("remote_village", "mothers_and_infants_first"): Row(
        fires=(
            needing("pregnant", "transport.vehicle", 3, "pregnant", expect=4),
            needing("infant", "supply.food", 2, "infant", expect=3),
        ),
        quiet=(needing("disabled", "transport.vehicle", 3, "disabled", expect=3),),
    ),
    ("remote_village", "doctor_licensed"): Row(
        fires=(pair("doctor_with_first_aid_only", "medical.doctor", "self_organised_group", "first_aid"),),
        quiet=(
            pair("village_doctor", "medical.doctor", "self_organised_group", "medical_license"),
            pair("first_aid_by_notable", "medical.first_aid", "self_organised_group"),
        ),
    ),
    ("remote_village", "slight_own_village_preference"): Row(
        fires=(from_community("other_village", ELSEWHERE, 120), from_community("street_pool", None, 120)),
        quiet=(from_community("own_village", HOME, 0),),
    ),
    ("remote_village", "light_rotation"): Row(
        fires=(dispatched("three_recent", 3, 180),),
        quiet=(dispatched("none_recent", 0, 0),),
    ),
    ("remote_village", "rest_after_twelve_hours"): Row(
        fires=(on_duty("twelve_hours_and_a_second", 43201),),
        quiet=(on_duty("exactly_twelve_hours", 43200),),
    ),
    # ---- strong_social_orgs 社会组织发达的社区 ----
    ("strong_social_orgs", "moderate_travel_limits"): Row(
        fires=(
            needing("p5_20min", "rescue.crew", 5, expect=1200),
            needing("p3_1h", "supply.water", 3, expect=3600),
        ),
        quiet=(
            needing("p2_no_limit", "supply.water", 2, expect=None),
            needing("need_own_limit_stricter", "rescue.crew", 5, max_travel_s=600, expect=600),
        ),
    ),
    ("strong_social_orgs", "bedridden_first"): Row(
        fires=(needing("bedridden", "medical.doctor", 3, "bedridden", expect=4),),
        quiet=(needing("disabled", "medical.doctor", 3, "disabled", expect=3),),
    ),
    ("strong_social_orgs", "elderly_alone_care_first"): Row(
        fires=(
            needing("visit", "care.visit", 2, "elderly_alone", expect=3),
            needing("elderly_care", "care.elderly", 3, "elderly_alone", expect=4),
        ),
        quiet=(
            needing("not_care", "supply.food", 2, "elderly_alone", expect=2),
            needing("care_no_tags", "care.elderly", 2, expect=2),
        ),
    ),
    ("strong_social_orgs", "routine_visits_later"): Row(
        fires=(
            needing("routine_visit", "care.visit", 3, expect=2),
            needing("chronic_only", "care.visit", 2, "chronic_illness", expect=1),
        ),
        quiet=(
            needing("visit_elderly_alone", "care.visit", 3, "elderly_alone", expect=4),
            needing("elderly_care_not_visit", "care.elderly", 3, expect=3),
        ),
    ),
    ("strong_social_orgs", "water_rescue_certified"): Row(
        fires=(
            pair("crew_uncertified", "rescue.crew", "volunteer_team"),
            pair("boat_with_driver_only", "rescue.boat", "enterprise", "driver"),
        ),
        quiet=(
            pair("crew_certified", "rescue.crew", "volunteer_team", "water_rescue"),
            pair("evacuation_uncertified", "rescue.evacuation", "self_organised_group"),
        ),
    ),
    ("strong_social_orgs", "doctor_licensed"): Row(
        fires=(pair("doctor_unlicensed", "medical.doctor", "social_organisation"),),
        quiet=(pair("doctor_licensed", "medical.doctor", "social_organisation", "medical_license"),),
    ),
    ("strong_social_orgs", "care_by_social_organisations"): Row(
        fires=(
            pair("visit_by_enterprise", "care.visit", "enterprise"),
            pair("care_by_captains", "care.elderly", "self_organised_group"),
        ),
        quiet=(
            pair("visit_by_social_org", "care.visit", "social_organisation"),
            pair("care_by_volunteers", "care.elderly", "volunteer_team"),
            pair("food_by_enterprise", "supply.food", "enterprise"),
        ),
    ),
    ("strong_social_orgs", "prefer_own_community"): Row(
        fires=(from_community("other_community", ELSEWHERE, 600),),
        quiet=(from_community("own_community", HOME, 0),),
    ),
    ("strong_social_orgs", "rotate_organisations"): Row(
        fires=(dispatched("two_recent", 2, 1800),),
        quiet=(dispatched("none_recent", 0, 0),),
    ),
    ("strong_social_orgs", "rotate_organisations_in_incident"): Row(
        fires=(dispatched("two_recent", 2, 240),),
        quiet=(dispatched("none_recent", 0, 0),),
    ),
    ("strong_social_orgs", "rest_after_four_hours"): Row(
        fires=(on_duty("four_hours_and_a_second", 14401),),
        quiet=(on_duty("exactly_four_hours", 14400),),
    ),
    # ---- grid_captains 依靠网格员和楼道长的社区 ----
    ("grid_captains", "grid_travel_limits"): Row(
        fires=(
            needing("p1_10min", "supply.water", 1, expect=600),
            needing("p3_30min", "supply.food", 3, expect=1800),
            needing("p1_care_raised_to_3", "care.visit", 1, "elderly_alone", expect=1800),
        ),
        quiet=(
            needing("p4_no_limit", "transport.vehicle", 4, expect=None),
            needing("p2_care_raised_to_4", "care.visit", 2, "elderly_alone", expect=None),
            needing("need_own_limit_stricter", "supply.water", 1, max_travel_s=300, expect=300),
        ),
    ),
    ("grid_captains", "elderly_alone_care_first"): Row(
        fires=(
            needing("visit", "care.visit", 2, "elderly_alone", expect=4),
            needing("elderly_care", "care.elderly", 1, "elderly_alone", expect=3),
        ),
        quiet=(
            needing("not_care", "supply.food", 2, "elderly_alone", expect=2),
            needing("care_bedridden", "care.visit", 2, "bedridden", expect=3),
        ),
    ),
    ("grid_captains", "bedridden_first"): Row(
        fires=(needing("bedridden", "supply.medicine", 3, "bedridden", expect=4),),
        quiet=(needing("elderly_alone", "supply.medicine", 3, "elderly_alone", expect=3),),
    ),
    ("grid_captains", "captains_stay_in_community"): Row(
        fires=(
            pair(
                "captain_to_other_community", "care.visit", "self_organised_group", need_community=ELSEWHERE
            ),
            pair("captain_of_no_community", "care.visit", "self_organised_group", org_community=None),
        ),
        quiet=(
            pair("captain_at_home", "care.visit", "self_organised_group", need_community=HOME),
            pair("volunteers_to_other_community", "care.visit", "volunteer_team", need_community=ELSEWHERE),
        ),
    ),
    ("grid_captains", "captains_no_water_rescue"): Row(
        fires=(
            pair("captain_boat", "rescue.boat", "self_organised_group"),
            pair("captain_crew", "rescue.crew", "self_organised_group", "water_rescue"),
        ),
        quiet=(
            pair("captain_evacuation", "rescue.evacuation", "self_organised_group"),
            pair("public_unit_boat", "rescue.boat", "public_unit"),
        ),
    ),
    ("grid_captains", "prefer_own_community"): Row(
        fires=(from_community("other_community", ELSEWHERE, 900), from_community("street_pool", None, 900)),
        quiet=(from_community("own_community", HOME, 0),),
    ),
    ("grid_captains", "rotate_captains"): Row(
        fires=(dispatched("one_recent", 1, 300),),
        quiet=(dispatched("none_recent", 0, 0),),
    ),
    ("grid_captains", "rest_after_ten_hours"): Row(
        fires=(on_duty("ten_hours_and_a_second", 36001),),
        quiet=(on_duty("exactly_ten_hours", 36000),),
    ),
}


def _expect(case: Case, rule: Rule, mode: Mode, value: int | None) -> None:
    # ``expect`` pins the numbers written in the profile, where the rule applies.
    if case.expect is not Unchecked and rule.applies_in(mode):
        assert value == case.expect, f"{case.label}: got {value}, expected {case.expect}"


def fires(profile: Profile, rule: Rule, mode: Mode, case: Case) -> bool:
    """Whether ``rule`` changes the facts of ``case`` in ``mode``; asserts the change is the right kind."""
    compiled, base = CompiledProfile(profile, mode), CompiledProfile(without(profile, rule.name), mode)
    nf, nf0 = compiled.need_facts(case.need, HOME), base.need_facts(case.need, HOME)
    rf = compiled.resource_facts(case.resource, case.organisation)
    rf0 = base.resource_facts(case.resource, case.organisation)
    if isinstance(rule, PriorityRule):
        named = rule.name in nf.priority_rules
        # Examples stay clear of the 1..5 bounds, so a rule that holds moves the priority by exactly adjust.
        assert nf.priority - nf0.priority == (rule.adjust if named else 0)
        _expect(case, rule, mode, nf.priority)
        return named
    if isinstance(rule, TravelLimitRule):
        _expect(case, rule, mode, nf.limit_s)
        if nf.limit_rule != rule.name:
            assert (nf.limit_s, nf.limit_rule) == (nf0.limit_s, nf0.limit_rule)
            return False
        assert nf.limit_s == rule.limits_s[nf.priority]
        assert nf0.limit_s is None or nf0.limit_s > nf.limit_s
        return True
    if isinstance(rule, EligibilityRule):
        others = pair_blocked_by(base, nf0, rf0)
        blocked = pair_blocked_by(compiled, nf, rf)
        assert tuple(name for name in blocked if name != rule.name) == others
        if rule.name not in blocked:
            return False
        index = compiled.eligibility.index(rule)
        assert index in nf.eligibility
        if rule.effect == "deny":
            assert index in rf.eligibility
        elif rule.relation is None:
            assert index not in rf.eligibility
        return True
    if isinstance(rule, PreferenceRule) and rule.prefer == "own_community":
        extra = own_community_cost(compiled, nf, rf) - own_community_cost(base, nf0, rf0)
        assert extra in (0, rule.penalty_s)
        _expect(case, rule, mode, extra)
        return extra == rule.penalty_s
    if isinstance(rule, PreferenceRule):
        extra = rf.rotation_s - rf0.rotation_s
        assert extra == (rule.penalty_s * case.organisation.recent_dispatches if rule.applies_in(mode) else 0)
        _expect(case, rule, mode, extra)
        return extra > 0
    assert isinstance(rule, RestRule)
    if rf.resting_by != rule.name:
        return False
    assert case.resource.on_duty_s > rule.max_on_duty_s
    for priority in range(1, 6):
        waived = rule.except_priority is not None and priority >= rule.except_priority
        assert compiled.rest_waived(rule.name, priority) == waived
    return True


def _examples(which: str) -> list[ParameterSet]:
    params = []
    for (profile, name), row in TABLE.items():
        if profile not in SHIPPED or name not in {r.name for r in SHIPPED[profile].rules}:
            continue  # reported by test_every_rule_has_a_row
        rule = SHIPPED[profile].rule(name)
        for case in getattr(row, which):
            for mode in rule.modes:
                params.append(
                    pytest.param(profile, name, mode, case, id=f"{profile}.{name}.{case.label}.{mode}")
                )
    return params


def test_every_rule_has_a_row() -> None:
    shipped = {(p.name, r.name) for p in SHIPPED.values() for r in p.rules}
    assert set(TABLE) == shipped
    for key, row in TABLE.items():
        assert row.fires and row.quiet, f"{key}: give at least one example where it fires and one where not"


@pytest.mark.parametrize(("profile", "name", "mode", "case"), _examples("fires"))
def test_rule_fires(profile: str, name: str, mode: Mode, case: Case) -> None:
    assert fires(SHIPPED[profile], SHIPPED[profile].rule(name), mode, case)


@pytest.mark.parametrize(("profile", "name", "mode", "case"), _examples("quiet"))
def test_rule_stays_quiet(profile: str, name: str, mode: Mode, case: Case) -> None:
    assert not fires(SHIPPED[profile], SHIPPED[profile].rule(name), mode, case)


def _single_mode_examples() -> list[ParameterSet]:
    params = []
    for (profile, name), row in TABLE.items():
        if profile not in SHIPPED or name not in {r.name for r in SHIPPED[profile].rules}:
            continue
        rule = SHIPPED[profile].rule(name)
        for mode in set(Mode) - set(rule.modes):
            for case in row.fires:
                params.append(
                    pytest.param(profile, name, mode, case, id=f"{profile}.{name}.{case.label}.{mode}")
                )
    return params


def test_single_mode_rules_exist() -> None:
    # The modes tests below are only worth something if the shipped profiles use modes in both directions.
    modes = {r.modes for p in SHIPPED.values() for r in p.rules}
    assert (Mode.NORMAL,) in modes
    assert (Mode.INCIDENT,) in modes


@pytest.mark.parametrize(("profile", "name", "mode", "case"), _single_mode_examples())
def test_rule_is_silent_outside_its_modes(profile: str, name: str, mode: Mode, case: Case) -> None:
    rule = SHIPPED[profile].rule(name)
    assert not rule.applies_in(mode)
    assert not fires(SHIPPED[profile], rule, mode, case)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("profile", sorted(SHIPPED))
def test_compiled_profile_keeps_exactly_the_rules_of_its_mode(profile: str, mode: Mode) -> None:
    compiled = CompiledProfile(SHIPPED[profile], mode)
    kept = [
        *compiled.eligibility,
        *compiled.priority_rules,
        *compiled.travel_limits,
        *compiled.own_community,
        *compiled.rotation,
        *compiled.rest,
    ]
    assert sorted(r.name for r in kept) == sorted(r.name for r in SHIPPED[profile].rules if mode in r.modes)


def test_no_profile_means_no_rules() -> None:
    compiled = CompiledProfile(None, Mode.INCIDENT)
    nf = compiled.need_facts(need("care.visit", 3, ("elderly_alone",), max_travel_s=700), HOME)
    assert (nf.priority, nf.priority_rules, nf.limit_s, nf.limit_rule) == (3, (), 700, NEED_TRAVEL_LIMIT)
    rf = compiled.resource_facts(resource(on_duty_s=10**6), organisation(recent_dispatches=9))
    assert (rf.eligibility, rf.resting_by, rf.rotation_s) == (frozenset(), None, 0)
    assert compiled.own_community_penalty_s == 0
