"""The shipped profiles load, keep to the project's vocabulary, and decide differently on the same pool."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.model.entities import Mode
from engine.rules import CompiledProfile, EligibilityRule, PriorityRule, Profile, conditions, load_profile

from .factories import (
    CAPABILITIES,
    CAPABILITY_PREFIXES,
    CERTIFICATIONS,
    ELSEWHERE,
    EXPECTED_PROFILES,
    HOME,
    ORGANISATION_KINDS,
    PROFILE_FILES,
    SHIPPED,
    SHIPPED_ERRORS,
    TAGS,
    need,
    organisation,
    own_community_cost,
    pair_blocked_by,
    resource,
)

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.name)
def test_shipped_profile_loads(path: Path) -> None:
    profile = load_profile(path.read_text(encoding="utf-8"), str(path))
    assert profile.name == path.stem
    assert profile.rules


def test_the_four_profiles_are_shipped() -> None:
    assert SHIPPED_ERRORS == {}
    assert set(SHIPPED) >= EXPECTED_PROFILES


def _chinese_first(text: str) -> bool:
    return bool(text) and HAN.search(text.splitlines()[0]) is not None


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_descriptions_are_chinese_first(name: str) -> None:
    profile = SHIPPED[name]
    assert HAN.search(profile.title_zh)
    assert _chinese_first(profile.description)
    for rule in profile.rules:
        assert _chinese_first(rule.description), rule.name


def _tests(
    condition: conditions.NeedCondition | conditions.ResourceCondition,
) -> Iterator[tuple[str, str, object]]:
    # conditions.Test is imported through its module: a class called Test in a test module is collected.
    for field, test in condition.root.items():
        ((op, arg),) = test.operators().items()
        for value in arg if isinstance(arg, tuple) else (arg,):
            yield field, op, value


def _known(field: str, op: str, value: object) -> bool:
    if field == "capability":
        return value in (CAPABILITY_PREFIXES if op in ("prefix", "not_prefix") else CAPABILITIES)
    if field == "tags":
        return value in TAGS
    if field in ("certifications", "requires"):
        return value in CERTIFICATIONS
    if field == "organisation_kind":
        return value in ORGANISATION_KINDS
    if field == "modes":
        return value in ("normal", "incident", "both")
    if field == "priority":
        return isinstance(value, int) and 1 <= value <= 5
    return True  # quantities, durations, free ids


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_conditions_use_the_project_vocabulary(name: str) -> None:
    # The loader does not check values against the vocabulary: a misspelt kind or tag would silently
    # never match. Keep the shipped profiles honest here.
    for rule in SHIPPED[name].rules:
        conditions = [getattr(rule, side) for side in ("need", "resource") if hasattr(rule, side)]
        for condition in conditions:
            for field, op, value in _tests(condition):
                assert _known(field, op, value), (
                    f"{name}.{rule.name}: {field} {op} {value!r} is not a known value"
                )


# A small pool and a few needs, the same for every profile: who may serve whom, and at what cost.
NEEDS = {
    "boat_p5": need("rescue.boat", 5),
    "evacuation_p4": need("rescue.evacuation", 4),
    "doctor_p3": need("medical.doctor", 3, ("pregnant",)),
    "visit_elderly_p2": need("care.visit", 2, ("elderly_alone",)),
    "routine_visit_p2": need("care.visit", 2),
    "food_disabled_p3": need("supply.food", 3, ("disabled",)),
    "vehicle_p3": need("transport.vehicle", 3, ("bedridden",)),
    "visit_next_door_p2": need("care.visit", 2, community=ELSEWHERE),
}
POOL = {
    "volunteer_boat": (resource("rescue.boat", ("water_rescue",)), organisation("volunteer_team", HOME)),
    "captains_boat": (resource("rescue.boat"), organisation("self_organised_group", HOME, 2)),
    "public_boat": (resource("rescue.boat", ("water_rescue",)), organisation("public_unit", None)),
    "party_evacuation": (resource("rescue.evacuation"), organisation("party_organisation", ELSEWHERE)),
    "captains_evacuation": (resource("rescue.evacuation"), organisation("self_organised_group", HOME, 1)),
    "clinic_doctor": (resource("medical.doctor", ("medical_license",)), organisation("public_unit", HOME)),
    "barefoot_doctor": (
        resource("medical.doctor", ("first_aid",)),
        organisation("self_organised_group", HOME),
    ),
    "care_org_visit": (resource("care.visit"), organisation("social_organisation", ELSEWHERE, 3)),
    "captain_visit": (resource("care.visit", on_duty_s=40000), organisation("self_organised_group", HOME)),
    "shop_visit": (resource("care.visit"), organisation("enterprise", HOME)),
    "shop_food": (resource("supply.food"), organisation("enterprise", HOME)),
    "logistics_vehicle": (
        resource("transport.vehicle", ("driver",)),
        organisation("enterprise", ELSEWHERE, 1),
    ),
}


def decisions(profile: Profile, mode: Mode) -> dict[str, object]:
    compiled = CompiledProfile(profile, mode)
    out: dict[str, object] = {}
    for need_name, n in NEEDS.items():
        nf = compiled.need_facts(n, HOME)
        out[need_name] = (nf.priority, nf.limit_s)
        for res_name, (r, o) in POOL.items():
            if r.capability != n.capability:
                continue
            rf = compiled.resource_facts(r, o)
            resting = rf.resting_by is not None and not compiled.rest_waived(rf.resting_by, nf.priority)
            cost = own_community_cost(compiled, nf, rf) + rf.rotation_s
            out[f"{need_name}<-{res_name}"] = (pair_blocked_by(compiled, nf, rf), resting, cost)
    return out


@pytest.mark.parametrize("mode", list(Mode))
def test_profiles_decide_differently_on_the_same_pool(mode: Mode) -> None:
    table = {name: decisions(SHIPPED[name], mode) for name in sorted(EXPECTED_PROFILES)}
    names = sorted(table)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert table[a] != table[b], f"{a} and {b} make the same decisions in {mode} mode"


def _allowed(profile: str, mode: Mode, need_name: str, res_name: str) -> bool:
    compiled = CompiledProfile(SHIPPED[profile], mode)
    r, o = POOL[res_name]
    return not pair_blocked_by(
        compiled, compiled.need_facts(NEEDS[need_name], HOME), compiled.resource_facts(r, o)
    )


@pytest.mark.parametrize(
    ("mode", "need_name", "res_name", "allowed_in"),
    [
        # An uncertified self-organised boat in a flood: only the remote village takes every hand.
        (Mode.INCIDENT, "boat_p5", "captains_boat", {"remote_village"}),
        # A certified volunteer boat: not in the top-down city, where rescue is for public units and party.
        (
            Mode.INCIDENT,
            "boat_p5",
            "volunteer_boat",
            {"remote_village", "strong_social_orgs", "grid_captains"},
        ),
        (Mode.INCIDENT, "boat_p5", "public_boat", set(EXPECTED_PROFILES)),
        # A doctor with first aid only: the city accepts first aid for medical needs; a licence elsewhere.
        (Mode.NORMAL, "doctor_p3", "barefoot_doctor", {"urban_admin_rich", "grid_captains"}),
        # An enterprise visiting a resident: not in the city (supply only), nor in normal times where social
        # organisations do care.
        (Mode.NORMAL, "routine_visit_p2", "shop_visit", {"remote_village", "grid_captains"}),
        (
            Mode.INCIDENT,
            "routine_visit_p2",
            "shop_visit",
            {"remote_village", "strong_social_orgs", "grid_captains"},
        ),
        (
            Mode.INCIDENT,
            "vehicle_p3",
            "logistics_vehicle",
            {"remote_village", "strong_social_orgs", "grid_captains"},
        ),
        # A building captain visiting the next community: only where captains stay home is it refused.
        (
            Mode.NORMAL,
            "visit_next_door_p2",
            "captain_visit",
            {"urban_admin_rich", "remote_village"},
        ),
    ],
)
def test_who_may_serve_whom(mode: Mode, need_name: str, res_name: str, allowed_in: set[str]) -> None:
    assert {p for p in sorted(EXPECTED_PROFILES) if _allowed(p, mode, need_name, res_name)} == allowed_in


def test_the_same_need_gets_different_priorities_and_limits() -> None:
    mode = Mode.INCIDENT
    facts = {
        p: CompiledProfile(SHIPPED[p], mode).need_facts(NEEDS["visit_elderly_p2"], HOME)
        for p in EXPECTED_PROFILES
    }
    assert {p: (f.priority, f.limit_s) for p, f in facts.items()} == {
        "urban_admin_rich": (3, 2400),  # +1, tight limits
        "remote_village": (3, 7200),  # +1, loose limits
        "strong_social_orgs": (3, 3600),  # +1 for care of the elderly living alone
        "grid_captains": (4, None),  # +2, and high priorities have no grid limit
    }


def test_profiles_use_every_rule_kind_between_them() -> None:
    kinds = {(r.kind, getattr(r, "prefer", None)) for p in SHIPPED.values() for r in p.rules}
    assert kinds >= {
        ("eligibility", None),
        ("priority", None),
        ("travel_limit", None),
        ("preference", "own_community"),
        ("preference", "rotation"),
        ("rest", None),
    }
    effects = {r.effect for p in SHIPPED.values() for r in p.rules if isinstance(r, EligibilityRule)}
    assert effects == {"deny", "require"}
    assert any(r.adjust < 0 for p in SHIPPED.values() for r in p.rules if isinstance(r, PriorityRule))
