"""The profiles README documents every kind, field and operator, lists every shipped profile, and its
examples load."""

import re
import typing

import pytest

from engine.rules import load_profile
from engine.rules.conditions import INT_OPS, SET_OPS, STR_OPS, NeedField, ResourceField
from engine.rules.profile import Rule

from .factories import PROFILE_DIR, SHIPPED

README = (PROFILE_DIR / "README.md").read_text(encoding="utf-8")
ZH, EN = README.split("\n## English\n")
EXAMPLE_HEAD = "name: example\ntitle_zh: 例子\ntitle_en: Example\nrules:\n"
KINDS = sorted(
    typing.get_args(m.model_fields["kind"].annotation)[0] for m in typing.get_args(typing.get_args(Rule)[0])
)


def test_chinese_comes_first() -> None:
    assert "## 中文" in ZH
    assert re.search(r"[\u4e00-\u9fff]", ZH.split("## 中文", 1)[1][:200])


@pytest.mark.parametrize("part", [ZH, EN], ids=["zh", "en"])
def test_every_kind_field_and_operator_is_documented(part: str) -> None:
    assert KINDS == ["eligibility", "preference", "priority", "rest", "travel_limit"]
    for kind in KINDS:
        assert f"`{kind}`" in part
    for field in (*typing.get_args(NeedField), *typing.get_args(ResourceField)):
        assert f"| `{field}` |" in part, field
    for op in SET_OPS | INT_OPS | STR_OPS:
        assert f"| `{op}` |" in part, op
    for word in ("deny", "require", "same_community", "other_community", "own_community", "rotation"):
        assert re.search(rf"`[^`\n]*\b{word}\b[^`\n]*`", part), word
    for word in ("adjust", "limits_s", "penalty_s", "max_on_duty_s", "except_priority", "modes"):
        assert f"`{word}`" in part


@pytest.mark.parametrize("part", [ZH, EN], ids=["zh", "en"])
def test_the_table_lists_every_shipped_profile_with_its_rule_count(part: str) -> None:
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| (\d+) \|", part, flags=re.MULTILINE))
    assert {name: int(count) for name, count in rows.items()} == {n: len(p.rules) for n, p in SHIPPED.items()}


def test_the_examples_load() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
    rules = [block for block in blocks if block.startswith("  - name:")]
    assert len(rules) == 10  # one per kind, in each language
    for block in rules:
        assert load_profile(EXAMPLE_HEAD + block, "README.md").rules
    (head,) = [block for block in blocks if block.startswith("name:")]
    assert load_profile(head, "README.md").name == "grid_captains"


def test_condition_examples_in_the_tables_load() -> None:
    need_fields, resource_fields = typing.get_args(NeedField), typing.get_args(ResourceField)
    for part in (ZH, EN):
        rows = re.findall(r"^\| `(\w+)` \|.*\| `(\w+: [^`]+)` \|$", part, flags=re.MULTILINE)
        examples = [(field, example) for field, example in rows if example.startswith(f"{field}:")]
        assert {field for field, _ in examples} == {*need_fields, *resource_fields}
        for field, example in examples:
            for side, fields in (("need", need_fields), ("resource", resource_fields)):
                if field in fields:
                    rule = (
                        f"  - name: r\n    kind: eligibility\n    effect: deny\n    {side}: {{{example}}}\n"
                    )
                    load_profile(EXAMPLE_HEAD + rule, "README.md")
