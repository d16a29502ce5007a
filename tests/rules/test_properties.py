"""Invariants of the facts, for any need, any tags and any profile the loader accepts."""

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.entities import Mode
from engine.rules import CompiledProfile, PriorityRule, Profile, RestRule, TravelLimitRule
from engine.rules.builtin import NEED_TRAVEL_LIMIT

from .factories import CAPABILITIES, HOME, SHIPPED, TAGS, need, organisation, resource

tags = st.lists(st.sampled_from(TAGS), max_size=len(TAGS), unique=True).map(tuple)
priorities = st.integers(1, 5)
capabilities = st.sampled_from(CAPABILITIES)
modes = st.sampled_from(list(Mode))
shipped = st.sampled_from(sorted(SHIPPED)).map(SHIPPED.__getitem__)


@given(profile=shipped, mode=modes, capability=capabilities, priority=priorities, tags=tags)
def test_shipped_profiles_keep_priority_within_1_to_5(
    profile: Profile, mode: Mode, capability: str, priority: int, tags: tuple[str, ...]
) -> None:
    facts = CompiledProfile(profile, mode).need_facts(need(capability, priority, tags), HOME)
    assert 1 <= facts.priority <= 5


# Any set of priority rules the loader accepts: tag conditions, adjust -4..4 but not 0.
adjusts = st.integers(-4, 4).filter(bool)
priority_rules = st.lists(
    st.builds(
        lambda i, tag, adjust: PriorityRule(
            name=f"rule_{i}", kind="priority", need={"tags": {"has": tag}}, adjust=adjust
        ),
        st.integers(0, 10**6),
        st.sampled_from(TAGS),
        adjusts,
    ),
    max_size=8,
    unique_by=lambda r: r.name,
)


@given(rules=priority_rules, priority=priorities, tags=tags)
def test_any_adjustments_keep_priority_within_1_to_5(
    rules: list[PriorityRule], priority: int, tags: tuple[str, ...]
) -> None:
    profile = Profile(name="generated", title_zh="生成", title_en="Generated", rules=tuple(rules))
    facts = CompiledProfile(profile, Mode.INCIDENT).need_facts(need("care.visit", priority, tags), HOME)
    held = [r for r in rules if r.need.root["tags"].has in tags]
    assert 1 <= facts.priority <= 5
    assert facts.priority == min(5, max(1, priority + sum(r.adjust for r in held)))
    assert facts.priority_rules == tuple(r.name for r in held)


@given(
    profile=shipped,
    mode=modes,
    capability=capabilities,
    priority=priorities,
    tags=tags,
    own_limit=st.none() | st.integers(1, 20000),
)
def test_the_travel_limit_is_the_strictest_in_force(
    profile: Profile,
    mode: Mode,
    capability: str,
    priority: int,
    tags: tuple[str, ...],
    own_limit: int | None,
) -> None:
    compiled = CompiledProfile(profile, mode)
    facts = compiled.need_facts(need(capability, priority, tags, max_travel_s=own_limit), HOME)
    caps = {
        r.name: r.limits_s[facts.priority] for r in compiled.travel_limits if facts.priority in r.limits_s
    }
    if own_limit is not None:
        caps[NEED_TRAVEL_LIMIT] = own_limit
    if not caps:
        assert (facts.limit_s, facts.limit_rule) == (None, None)
    else:
        assert facts.limit_s == min(caps.values())
        assert facts.limit_rule is not None
        assert caps[facts.limit_rule] == facts.limit_s
    assert all(isinstance(r, TravelLimitRule) for r in compiled.travel_limits)


@given(profile=shipped, mode=modes, on_duty_s=st.integers(0, 48 * 3600), recent=st.integers(0, 50))
@settings(max_examples=200)
def test_resource_facts_follow_rest_and_rotation(
    profile: Profile, mode: Mode, on_duty_s: int, recent: int
) -> None:
    compiled = CompiledProfile(profile, mode)
    facts = compiled.resource_facts(resource(on_duty_s=on_duty_s), organisation(recent_dispatches=recent))
    tired = [r for r in compiled.rest if on_duty_s > r.max_on_duty_s]
    assert facts.resting_by == (tired[0].name if tired else None)
    assert facts.rotation_s == recent * sum(r.penalty_s for r in compiled.rotation)
    assert facts.rotation_s >= 0
    assert all(isinstance(r, RestRule) for r in compiled.rest)


@given(profile=shipped, mode=modes, capability=capabilities, priority=priorities, tags=tags)
def test_facts_do_not_depend_on_the_order_of_questions(
    profile: Profile, mode: Mode, capability: str, priority: int, tags: tuple[str, ...]
) -> None:
    n = need(capability, priority, tags)
    warm = CompiledProfile(profile, mode)
    for other in ("supply.water", "care.visit", "rescue.boat"):
        warm.need_facts(need(other, 5, ("elderly_alone",), id="other"), HOME)
    assert warm.need_facts(n, HOME) == CompiledProfile(profile, mode).need_facts(n, HOME)
