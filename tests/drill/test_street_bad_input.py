"""A street scenario with an error in its new fields gets one message naming the file, the line, the field
and the value; nothing runs. Ids are unique across the street and hold no '/', ':' or '+'."""

from pathlib import Path

import pytest

from api.drill.loader import ScenarioError, load_scenario
from engine.model.ids import CommunityId

GOOD = """\
name: tiny_street
title_zh: 小街道演练
title_en: Tiny street drill
street:
  id: s1
  name: 测试街道
  profile: grid_captains
communities:
  - {id: a, name: 甲社区, profile: grid_captains, sharing: {lend: incident}}
  - {id: b, name: 乙社区, profile: strong_social_orgs, disable_rules: [rotate_organisations]}
map:
  grid: {rows: 3, cols: 3, edge_s: 60}
settings:
  duration: "1:00:00"
  street_approve_after_s: 60
organisations:
  - {id: oa, kind: volunteer_team, community: a}
  - {id: ob, kind: volunteer_team, community: b}
  - {id: os, kind: public_unit, pool: street}
resources:
  - {id: ra, organisation: oa, capability: supply.water, quantity: 5, location: g0_0}
  - {id: rb, organisation: ob, capability: supply.water, quantity: 5, location: g2_2}
  - {id: rs, organisation: os, capability: supply.water, quantity: 5, location: g1_1}
timeline:
  - {at: 0, event: incident, kind: flood, level: 2}
  - {at: "0:05:00", event: need, community: a, need: {id: n1, capability: supply.water, location: g2_2, priority: 3}}
  - {at: "0:06:00", event: need, community: b, need: {id: n2, capability: supply.water, location: g0_2, priority: 3}}
  - {at: "0:10:00", event: offline, resource: rb}
  - {at: "0:12:00", event: cancel, need: n2, community: b}
  - {at: "0:20:00", event: close_road, from: g0_0, to: g0_1}
  - {at: "0:30:00", event: close_incident, community: a}
expectations:
  - {expect: street_ahead, priority: 3}
"""


def error(tmp_path: Path, old: str, new: str) -> str:
    assert old in GOOD, old
    path = tmp_path / "street.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_good_street_loads(tmp_path: Path) -> None:
    path = tmp_path / "street.yaml"
    path.write_text(GOOD, encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.scenario.is_street and [m.id for m in loaded.scenario.members()] == ["a", "b"]
    a, b = (loaded.profiles.communities[CommunityId(c)] for c in "ab")
    assert (a.name, b.name) == ("grid_captains", "strong_social_orgs")
    # A profile named twice is read once: the street's is the first community's.
    assert loaded.profile is a and loaded.profiles.street is a
    assert loaded.scenario.resource_home() == {"ra": "a", "rb": "b", "rs": None}


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        # ids hold no '/', ':' or '+', whatever they name
        ("  - {id: a, name", "  - {id: a/x, name", 9, ["communities[0].id", "'a/x'", "'/'"]),
        ("  id: s1", "  id: 's:1'", 5, ["street.id", "'s:1'", "':'"]),
        ("{id: oa, kind", "{id: o+a, kind", 17, ["organisations[0].id", "'o+a'", "'+'"]),
        ("{id: rb, organisation", "{id: r/b, organisation", 22, ["resources[1].id", "'r/b'"]),
        ("need: {id: n1,", "need: {id: 'n:1',", 26, ["timeline[1].need.id", "'n:1'", "':'"]),
        # ids are unique across the street
        ("  - {id: b, name", "  - {id: a, name", 10, ["communities[1].id", "community id 'a' is used twice"]),
        (
            "{id: rs, organisation",
            "{id: ra, organisation",
            23,
            ["resources[2].id", "resource id 'ra' is used twice"],
        ),
        ("need: {id: n2,", "need: {id: n1,", 27, ["timeline[2].need.id", "'n1' is already reported"]),
        # whose organisations are whose
        (
            "{id: ob, kind: volunteer_team, community: b}",
            "{id: ob, kind: volunteer_team}",
            18,
            ["organisations[1].community", "name the community", "a, b"],
        ),
        (
            "community: b}\n  - {id: os",
            "community: c}\n  - {id: os",
            18,
            ["organisations[1].community", "unknown community 'c'"],
        ),
        (
            "{id: os, kind: public_unit, pool: street}",
            "{id: os, kind: public_unit, pool: street, community: a}",
            19,
            ["organisations[2].community", "'a'", "belongs to no community"],
        ),
        # where events happen
        (
            "event: need, community: a,",
            "event: need,",
            26,
            ["timeline[1].community", "name the community the need is reported in"],
        ),
        (
            "event: need, community: a,",
            "event: need, community: z,",
            26,
            ["timeline[1].community", "unknown community 'z'"],
        ),
        (
            "event: cancel, need: n2, community: b}",
            "event: cancel, need: n2, community: a}",
            29,
            ["timeline[4].community", "'n2' is reported in 'b', not 'a'"],
        ),
        (
            "event: offline, resource: rb}",
            "event: offline, resource: rb, community: a}",
            28,
            ["timeline[3].community", "'rb'", "community 'b'"],
        ),
        (
            "event: close_incident, community: a}",
            "event: close_incident, community: q}",
            31,
            ["timeline[6].community", "unknown community 'q'"],
        ),
        # each community's incident
        (
            "  - {at: 0, event: incident, kind: flood, level: 2}",
            "  - {at: 0, event: incident, kind: flood, level: 2, community: a}",
            27,
            ["timeline[2].at", "community 'b' never starts its incident"],
        ),
        # the shape: one community, or a street and its communities
        (
            "street:\n  id: s1\n  name: 测试街道\n  profile: grid_captains\n",
            "",
            4,
            ["communities", "add street"],
        ),
        (
            "map:\n",
            "community: {id: c, street: s1, profile: grid_captains}\nmap:\n",
            4,
            ["street", "not both"],
        ),
        # the new settings and fields, checked against the schema
        (
            "sharing: {lend: incident}",
            "sharing: {lend: sometimes}",
            9,
            ["communities[0].sharing.lend", "'sometimes'"],
        ),
        (
            "sharing: {lend: incident}",
            "sharing: {lend: incident, never_lend: [Rescue]}",
            9,
            ["never_lend", "'Rescue'"],
        ),
        (
            "street_approve_after_s: 60",
            "street_approve_after_s: -5",
            15,
            ["settings.street_approve_after_s", "-5"],
        ),
        (
            "profile: strong_social_orgs",
            "profile: big_city",
            10,
            ["communities[1].profile", "no such profile"],
        ),
        (
            "disable_rules: [rotate_organisations]",
            "disable_rules: [no_rule]",
            10,
            ["communities[1].disable_rules[0]", "'no_rule'"],
        ),
        (
            "{expect: street_ahead, priority: 3}",
            "{expect: street_ahead, priority: 3, more: 0}",
            33,
            ["expectations[0].more", "0"],
        ),
    ],
)
def test_an_error_names_file_line_field_and_value(
    tmp_path: Path, old: str, new: str, line: int, words: list[str]
) -> None:
    message = error(tmp_path, old, new)
    assert message.startswith(f"{tmp_path / 'street.yaml'}:{line}:"), message
    for word in words:
        assert word in message, message


def test_street_ahead_needs_a_street(tmp_path: Path) -> None:
    from tests.drill.test_bad_input import GOOD as SINGLE

    path = tmp_path / "single.yaml"
    path.write_text(
        SINGLE.replace("  - {expect: max_unmet, count: 1}", "  - {expect: street_ahead}"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:24: expectations[0].expect: street_ahead compares a street")


def test_a_single_community_may_name_itself_and_nothing_else(tmp_path: Path) -> None:
    from tests.drill.test_bad_input import GOOD as SINGLE

    path = tmp_path / "single.yaml"
    path.write_text(
        SINGLE.replace("event: offline, resource: r1}", "event: offline, resource: r1, community: c1}"),
        encoding="utf-8",
    )
    assert load_scenario(path).scenario.where(load_scenario(path).scenario.timeline[2]) == ("c1",)
    path.write_text(
        SINGLE.replace("event: offline, resource: r1}", "event: offline, resource: r1, community: c2}"),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:20: timeline[2].community: unknown community 'c2'")
