"""Facts are computed once per entity, never once per need × resource pair."""

import pytest

from engine.model.entities import Mode, ResourceStatus, ServiceModes
from engine.rules import CompiledProfile
from engine.rules.facts import SLACK

from .factories import ELSEWHERE, HOME, SHIPPED, need, organisation, resource


@pytest.fixture
def compiled() -> CompiledProfile:
    return CompiledProfile(SHIPPED["strong_social_orgs"], Mode.INCIDENT)


def test_need_facts_are_evaluated_once_per_need(compiled: CompiledProfile) -> None:
    n = need("care.visit", 2, ("elderly_alone",))
    first = compiled.need_facts(n, HOME)
    assert compiled.evaluations == 1
    assert compiled.need_facts(n, HOME) is first
    assert compiled.evaluations == 1


def test_an_equal_need_shares_the_facts(compiled: CompiledProfile) -> None:
    first = compiled.need_facts(need("care.visit", 2, ("elderly_alone",)), HOME)
    # Built again, tags in another order: the same need, so the same facts.
    assert compiled.need_facts(need("care.visit", 2, ("elderly_alone", "elderly_alone")), HOME) is first
    assert compiled.evaluations == 1


@pytest.mark.parametrize(
    "update",
    [
        {"priority": 4},
        {"tags": ("bedridden",)},
        {"capability": "care.elderly"},
        {"max_travel_s": 300},
        {"community": ELSEWHERE},
        {"note": "邻居说老人两天没出门"},
    ],
    ids=lambda u: next(iter(u)),
)
def test_a_changed_need_is_evaluated_again(compiled: CompiledProfile, update: dict[str, object]) -> None:
    n = need("care.visit", 2, ("elderly_alone",))
    compiled.need_facts(n, HOME)
    changed = n.model_copy(update=update)
    compiled.need_facts(changed, HOME)
    assert compiled.evaluations == 2
    compiled.need_facts(changed, HOME)
    compiled.need_facts(n, HOME)
    assert compiled.evaluations == 2


def test_a_changed_need_gets_its_new_facts(compiled: CompiledProfile) -> None:
    n = need("care.visit", 3)
    assert compiled.need_facts(n, HOME).priority == 2  # routine visit, later in an incident
    assert compiled.need_facts(n.model_copy(update={"tags": ("bedridden",)}), HOME).priority == 4


def test_the_default_community_is_part_of_the_key(compiled: CompiledProfile) -> None:
    n = need("care.visit", 2)
    assert compiled.need_facts(n, HOME).community == HOME
    assert compiled.need_facts(n, ELSEWHERE).community == ELSEWHERE
    assert compiled.evaluations == 2
    # A need that names its community ignores the default, so the default is not part of its key.
    own = need("care.visit", 2, community=HOME)
    assert compiled.need_facts(own, ELSEWHERE) is compiled.need_facts(own, HOME)
    assert compiled.evaluations == 3


def test_resource_facts_are_evaluated_once_per_resource_and_organisation(compiled: CompiledProfile) -> None:
    r, o = resource("care.visit", on_duty_s=20000), organisation("social_organisation", HOME, 2)
    first = compiled.resource_facts(r, o)
    assert compiled.resource_facts(r, o) is first
    assert compiled.evaluations == 1
    assert (first.resting_by, first.rotation_s) == ("rest_after_four_hours", 240)


@pytest.mark.parametrize(
    ("resource_update", "organisation_update"),
    [
        ({"on_duty_s": 100}, {}),
        ({"status": ResourceStatus.BUSY}, {}),
        ({"modes": ServiceModes.NORMAL}, {}),
        ({"certifications": ("water_rescue",)}, {}),
        ({}, {"recent_dispatches": 5}),
        ({}, {"community": ELSEWHERE}),
    ],
)
def test_a_changed_resource_or_organisation_is_evaluated_again(
    compiled: CompiledProfile, resource_update: dict[str, object], organisation_update: dict[str, object]
) -> None:
    r, o = resource("care.visit", on_duty_s=20000), organisation("social_organisation", HOME, 2)
    before = compiled.resource_facts(r, o)
    r2, o2 = r.model_copy(update=resource_update), o.model_copy(update=organisation_update)
    after = compiled.resource_facts(r2, o2)
    assert compiled.evaluations == 2
    assert after != before
    compiled.resource_facts(r2, o2)
    assert compiled.evaluations == 2


def test_pairs_cost_one_evaluation_per_entity(compiled: CompiledProfile) -> None:
    needs = [need("care.visit", p, id=f"n{p}") for p in range(1, 6)]
    pool = [
        (resource("care.visit", id=f"r{i}"), organisation(id=f"o{i}", recent_dispatches=i)) for i in range(7)
    ]
    for n in needs:
        for r, o in pool:
            compiled.need_facts(n, HOME)
            compiled.resource_facts(r, o)
    assert compiled.evaluations == len(needs) + len(pool)


def test_each_compiled_profile_keeps_its_own_memo() -> None:
    n = need("care.visit", 3)
    normal = CompiledProfile(SHIPPED["strong_social_orgs"], Mode.NORMAL)
    incident = CompiledProfile(SHIPPED["strong_social_orgs"], Mode.INCIDENT)
    assert normal.need_facts(n, HOME).priority == 3
    assert incident.need_facts(n, HOME).priority == 2
    assert (normal.evaluations, incident.evaluations) == (1, 1)


def test_facts_of_entities_no_longer_in_play_are_forgotten(compiled: CompiledProfile) -> None:
    # A board lives for weeks: what closed needs or changed resources left behind must not pile up. The
    # memos by identity keep exactly what is in play; those by value at most twice that, plus SLACK.
    org = organisation()
    kept_need, kept_resource = need("care.visit", 2, ()), resource("care.visit")
    gone_needs = [need("care.visit", 3, ("bedridden",), id=f"g{i}") for i in range(SLACK + 3)]
    gone_resources = [resource("care.visit", quantity=9, id=f"g{i}") for i in range(SLACK + 3)]
    first = compiled.need_facts(kept_need, HOME)
    compiled.resource_facts(kept_resource, org)
    for gone_need, gone_resource in zip(gone_needs, gone_resources, strict=True):
        compiled.need_facts(gone_need, HOME)
        compiled.resource_facts(gone_resource, org)
    evaluated = compiled.evaluations
    compiled.retain([(kept_need, HOME)], [(kept_resource, org)])
    assert len(compiled._need_ids) == 1 and len(compiled._resource_ids) == 1
    assert len(compiled._needs) == 1 and len(compiled._resources) == 1
    assert compiled.need_facts(kept_need, HOME) is first and compiled.evaluations == evaluated
    compiled.need_facts(gone_needs[0], HOME)
    assert compiled.evaluations == evaluated + 1


def test_a_few_entities_gone_stay_in_the_memo_by_value_until_it_grows(compiled: CompiledProfile) -> None:
    kept, gone = need("care.visit", 2, ()), need("care.visit", 3, ("bedridden",))
    compiled.need_facts(kept, HOME)
    compiled.need_facts(gone, HOME)
    compiled.retain([(kept, HOME)], [])
    assert len(compiled._need_ids) == 1
    # An equal need built again (a re-plan that copied it) is found by value, not evaluated again.
    compiled.need_facts(gone.model_copy(), HOME)
    assert compiled.evaluations == 2
