"""A bad profile fails at load time, and the message says where (file:line), which rule, and why.

Each example marks the line the message must point at with ``# <-``.
"""

import pytest

from engine.rules import ProfileError, load_profile

SOURCE = "profiles/broken.yaml"

HEAD = """\
name: broken
title_zh: 坏的配置
title_en: Broken
rules:
  - name: fine
    kind: rest
    max_on_duty_s: 3600
"""


# What pytest.raises raises when the call does not raise.


def marked_line(text: str) -> int:
    (line,) = [i for i, row in enumerate(text.splitlines(), start=1) if "# <-" in row]
    return line


def load_error(text: str) -> str:
    with pytest.raises(ProfileError) as caught:
        load_profile(text, SOURCE)
    return str(caught.value)


# (id, rule text appended to HEAD, the reason the message must give)
BAD_RULES = [
    (
        "unknown_need_field",
        """\
  - name: bad_rule
    kind: priority
    need:
      colour: red  # <-
    adjust: 1
""",
        "need.colour: Input should be 'capability', 'priority'",
    ),
    (
        "resource_field_in_need",
        """\
  - name: bad_rule
    kind: eligibility
    effect: deny
    need:
      organisation_kind: enterprise  # <-
""",
        "need.organisation_kind: Input should be",
    ),
    (
        "unknown_resource_field",
        """\
  - name: bad_rule
    kind: eligibility
    effect: require
    need:
      capability: rescue.boat
    resource:
      licence: {has: water_rescue}  # <-
""",
        "resource.licence: Input should be 'capability', 'organisation'",
    ),
    (
        "string_operator_on_int_field",
        """\
  - name: bad_rule
    kind: priority
    need:  # <-
      priority: {prefix: "4"}
    adjust: 1
""",
        "need: priority: operator 'prefix' does not apply; use one of ['eq', 'gte', 'in', 'lte', 'ne',",
    ),
    (
        "bare_value_on_set_field",
        """\
  - name: bad_rule
    kind: eligibility
    effect: require
    need:
      capability: rescue.crew
    resource:  # <-
      certifications: water_rescue
""",
        "resource: certifications: operator 'eq' does not apply; use one of ['has', 'has_any', 'has_none']",
    ),
    (
        "int_operator_on_string_field",
        """\
  - name: bad_rule
    kind: eligibility
    effect: deny
    resource:  # <-
      organisation_kind: {gte: 3}
""",
        "resource: organisation_kind: operator 'gte' does not apply",
    ),
    (
        "two_operators",
        """\
  - name: bad_rule
    kind: priority
    need:
      priority: {gte: 2, lte: 4}  # <-
    adjust: 1
""",
        "need.priority: give exactly one operator, got ['gte', 'lte']",
    ),
    (
        "unknown_kind",
        """\
  - name: bad_rule  # <-
    kind: bonus
    adjust: 1
""",
        "kind: Input tag 'bonus' found using 'kind' does not match any of the expected tags",
    ),
    (
        "adjust_zero",
        """\
  - name: bad_rule
    kind: priority
    need: {tags: {has: elderly_alone}}
    adjust: 0  # <-
""",
        "adjust: 0 changes nothing; give -4..-1 or 1..4",
    ),
    (
        "adjust_out_of_range",
        """\
  - name: bad_rule
    kind: priority
    need: {tags: {has: elderly_alone}}
    adjust: 5  # <-
""",
        "adjust: Input should be less than or equal to 4 (got 5)",
    ),
    (
        "adjust_not_a_number",
        """\
  - name: bad_rule
    kind: priority
    need: {tags: {has: elderly_alone}}
    adjust: high  # <-
""",
        "adjust: Input should be a valid integer",
    ),
    (
        "adjust_fraction",
        """\
  - name: bad_rule
    kind: priority
    need: {tags: {has: elderly_alone}}
    adjust: 1.5  # <-
""",
        "adjust: Input should be a valid integer",
    ),
    (
        "int_value_for_string_field",
        """\
  - name: bad_rule
    kind: priority
    need:  # <-
      capability: 5
    adjust: 1
""",
        "need: capability: eq needs str values, got 5",
    ),
    (
        "string_value_for_int_field",
        """\
  - name: bad_rule
    kind: priority
    need:  # <-
      priority: [4, high]
    adjust: 1
""",
        "need: priority: in needs int values, got 'high'",
    ),
    (
        "string_for_tuple",
        """\
  - name: bad_rule
    kind: priority
    need:
      tags: {has_any: elderly_alone}  # <-
    adjust: 1
""",
        "need.tags.has_any: Input should be a valid tuple (got 'elderly_alone')",
    ),
    (
        "travel_limit_not_a_number",
        """\
  - name: bad_rule
    kind: travel_limit
    limits_s:
      4: 1800
      5: soon  # <-
""",
        "limits_s.5: Input should be a valid integer",
    ),
    (
        "travel_limit_priority_6",
        """\
  - name: bad_rule
    kind: travel_limit
    limits_s:
      6: 600  # <-
""",
        "limits_s.6: Input should be less than or equal to 5 (got 6)",
    ),
    (
        "penalty_not_a_number",
        """\
  - name: bad_rule
    kind: preference
    prefer: rotation
    penalty_s: lots  # <-
""",
        "penalty_s: Input should be a valid integer",
    ),
    (
        "unknown_preference",
        """\
  - name: bad_rule
    kind: preference
    prefer: nearest  # <-
    penalty_s: 60
""",
        "prefer: Input should be 'own_community' or 'rotation' (got 'nearest')",
    ),
    (
        "unknown_mode",
        """\
  - name: bad_rule
    kind: rest
    max_on_duty_s: 60
    modes: [peacetime]  # <-
""",
        "modes.0: Input should be 'normal' or 'incident' (got 'peacetime')",
    ),
    (
        "no_modes",
        """\
  - name: bad_rule
    kind: rest
    max_on_duty_s: 60
    modes: []  # <-
""",
        "modes: Tuple should have at least 1 item",
    ),
    (
        "unknown_effect",
        """\
  - name: bad_rule
    kind: eligibility
    effect: allow  # <-
""",
        "effect: Input should be 'deny' or 'require' (got 'allow')",
    ),
    (
        "unknown_relation",
        """\
  - name: bad_rule
    kind: eligibility
    effect: deny
    relation: same_street  # <-
""",
        "relation: Input should be 'same_community' or 'other_community' (got 'same_street')",
    ),
    (
        "field_of_another_kind",
        """\
  - name: bad_rule
    kind: preference
    prefer: rotation
    penalty_s: 60
    need: {tags: {has: elderly_alone}}  # <-
""",
        "need: Extra inputs are not permitted",
    ),
    (
        "rest_exception_out_of_range",
        """\
  - name: bad_rule
    kind: rest
    max_on_duty_s: 60
    except_priority: 6  # <-
""",
        "except_priority: Input should be less than or equal to 5 (got 6)",
    ),
]


@pytest.mark.parametrize(("text", "reason"), [pytest.param(t, r, id=i) for i, t, r in BAD_RULES])
def test_bad_rule_names_file_line_rule_and_reason(text: str, reason: str) -> None:
    document = HEAD + text
    message = load_error(document)
    assert message.startswith(f"{SOURCE}:{marked_line(document)}: rule 'bad_rule': "), message
    assert reason in message


def test_bad_rule_name_is_quoted_as_written() -> None:
    document = HEAD + "  - name: Bad Rule  # <-\n    kind: rest\n    max_on_duty_s: 60\n"
    message = load_error(document)
    assert message.startswith(f"{SOURCE}:{marked_line(document)}: rule 'Bad Rule': name: String should match")


def test_rule_without_a_name_is_named_by_its_position() -> None:
    document = HEAD + "  - kind: rest  # <-\n    max_on_duty_s: 60\n"
    assert load_error(document).startswith(f"{SOURCE}:{marked_line(document)}: rule #2: ")


def test_missing_kind() -> None:
    document = HEAD + "  - name: bad_rule  # <-\n    adjust: 1\n"
    message = load_error(document)
    assert message.startswith(f"{SOURCE}:{marked_line(document)}: rule 'bad_rule': ")
    assert "discriminator 'kind'" in message


DUPLICATE = (
    HEAD
    + """\
  - name: twice
    kind: rest
    max_on_duty_s: 60
  - name: twice  # <-
    kind: rest
    max_on_duty_s: 120
"""
)


def test_duplicate_rule_name() -> None:
    message = load_error(DUPLICATE)
    assert message.startswith(f"{SOURCE}:")
    assert "'twice'" in message
    assert "used" in message


def test_duplicate_rule_name_points_at_the_second_rule() -> None:
    message = load_error(DUPLICATE)
    assert message.startswith(f"{SOURCE}:{marked_line(DUPLICATE)}: rule 'twice': ")


def test_adjust_zero_points_at_adjust() -> None:
    document = (
        HEAD + "  - name: bad_rule\n    kind: priority\n    need: {tags: {has: x}}\n    adjust: 0  # <-\n"
    )
    assert load_error(document).startswith(f"{SOURCE}:{marked_line(document)}: rule 'bad_rule': adjust: ")


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            HEAD + "  - name: bad_rule\n    kind: priority\n    adjust: 1\n",
            "'bad_rule': need: Field required",
        ),
        ("name: broken\ntitle_en: B\n", "title_zh: Field required"),
    ],
)
def test_missing_field_is_named(document: str, reason: str) -> None:
    assert reason in load_error(document)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            HEAD + "  - name: bad_rule\n    kind: priority\n    need: {tags: [a\n    adjust: 1  # <-\n",
            id="unclosed",
        ),
        pytest.param(HEAD + "  - name: bad_rule\n\tkind: rest  # <-\n", id="tab"),
        pytest.param(HEAD + "  - name: bad_rule\n    kind: rest\n   max_on_duty_s: 60  # <-\n", id="indent"),
    ],
)
def test_invalid_yaml_names_file_and_line(document: str) -> None:
    message = load_error(document)
    assert message.startswith(f"{SOURCE}:{marked_line(document)}: not valid YAML: "), message


@pytest.mark.parametrize("document", ["", "- a\n- b\n", "just words\n"])
def test_a_profile_is_a_mapping(document: str) -> None:
    assert (
        load_error(document) == f"{SOURCE}:1: a profile is a mapping with name, title_zh, title_en and rules"
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("name: Broken\ntitle_zh: 坏\ntitle_en: B\n", "name: String should match pattern"),
        ("name: broken\ntitle_en: B\n", "Field required"),
        ("name: broken\ntitle_zh: 坏\ntitle_en: B\nrules: {a: 1}\n", "rules: Input should be a valid tuple"),
        ("name: broken\ntitle_zh: 坏\ntitle_en: B\nowner: me\n", "owner: Extra inputs are not permitted"),
    ],
)
def test_bad_profile_fields(document: str, reason: str) -> None:
    message = load_error(document)
    assert message.startswith(f"{SOURCE}:")
    assert reason in message


def test_profile_error_is_a_value_error() -> None:
    assert issubclass(ProfileError, ValueError)


# Silently accepted today; each would let a typo through. See the report for the proposed patches.
def test_duplicate_yaml_key_is_refused() -> None:
    load_error(HEAD + "  - name: bad_rule\n    kind: rest\n    max_on_duty_s: 60\n    max_on_duty_s: 6000\n")


def test_boolean_adjust_is_refused() -> None:
    load_error(
        HEAD + "  - name: bad_rule\n    kind: priority\n    need: {tags: {has: x}}\n    adjust: true\n"
    )


def test_unknown_organisation_kind_is_refused() -> None:
    rule = "  - name: bad_rule\n    kind: eligibility\n    effect: deny\n"
    load_error(HEAD + rule + "    resource: {organisation_kind: enterprize}\n")


def test_bad_dispatch_setting_names_its_line_and_value() -> None:
    text = "name: broken\ntitle_zh: 坏\ntitle_en: Broken\ndispatch:\n  ack_timeout_s: -5  # <-\nrules: []\n"
    message = load_error(text)
    assert (
        message.startswith(f"{SOURCE}:{marked_line(text)}:")
        and "ack_timeout_s" in message
        and "-5" in message
    )


def test_dispatch_settings_default_when_left_out() -> None:
    profile = load_profile("name: plain\ntitle_zh: 简\ntitle_en: Plain\nrules: []\n", SOURCE)
    assert profile.dispatch.auto_confirm_priority is None and profile.dispatch.ack_timeout_s == 600
