"""Turn a profile into per-entity facts, evaluated once per entity, never once per need × resource pair."""

from collections.abc import Iterable
from dataclasses import dataclass

from engine.model.entities import Mode, Need, Organisation, Resource, ResourceStatus
from engine.model.ids import CommunityId, RuleName
from engine.model.priority import HIGHEST, LOWEST
from engine.rules.builtin import NEED_TRAVEL_LIMIT
from engine.rules.conditions import Value
from engine.rules.profile import (
    EligibilityRule,
    PreferenceRule,
    PriorityRule,
    Profile,
    RestRule,
    TravelLimitRule,
)


@dataclass(frozen=True, slots=True)
class NeedFacts:
    priority: int
    priority_rules: tuple[RuleName, ...]
    # The travel limit in force and the rule it comes from (None: no limit).
    limit_s: int | None
    limit_rule: RuleName | None
    community: CommunityId | None
    # Indices into ``CompiledProfile.eligibility`` whose need condition holds for this need.
    eligibility: frozenset[int]


@dataclass(frozen=True, slots=True)
class ResourceFacts:
    # Available and serving in the current mode.
    serves: bool
    community: CommunityId | None
    eligibility: frozenset[int]
    # The rest rule that keeps it back, if any.
    resting_by: RuleName | None
    rotation_s: int


# Entries the memos by value may hold beyond twice what is in play before they are rebuilt.
SLACK = 64


class CompiledProfile:
    """A profile's rules that apply in one mode, with memoised per-entity facts."""

    def __init__(self, profile: Profile | None, mode: Mode) -> None:
        rules = tuple(r for r in profile.rules if r.applies_in(mode)) if profile is not None else ()
        self.profile = profile
        self.mode = mode
        self.eligibility = tuple(r for r in rules if isinstance(r, EligibilityRule))
        self.priority_rules = tuple(r for r in rules if isinstance(r, PriorityRule))
        self.travel_limits = tuple(r for r in rules if isinstance(r, TravelLimitRule))
        self.own_community = tuple(
            r for r in rules if isinstance(r, PreferenceRule) and r.prefer == "own_community"
        )
        self.rotation = tuple(r for r in rules if isinstance(r, PreferenceRule) and r.prefer == "rotation")
        self.rest = tuple(r for r in rules if isinstance(r, RestRule))
        self._needs: dict[tuple[Need, CommunityId | None], NeedFacts] = {}
        self._resources: dict[tuple[Resource, Organisation], ResourceFacts] = {}
        # The same memos by the entities' identity, looked up first: a re-plan hands in mostly the very
        # objects of the last one, and hashing a model hashes every field. Each entry holds its objects, so
        # an id is never taken for another object's.
        self._need_ids: dict[int, tuple[Need, CommunityId | None, NeedFacts]] = {}
        self._resource_ids: dict[int, tuple[Resource, Organisation, ResourceFacts]] = {}
        self.evaluations = 0

    @property
    def own_community_penalty_s(self) -> int:
        return sum(r.penalty_s for r in self.own_community)

    def need_facts(self, need: Need, community: CommunityId | None) -> NeedFacts:
        community = need.community or community
        seen = self._need_ids.get(id(need))
        if seen is not None and seen[0] is need and seen[1] == community:
            return seen[2]
        key = (need, community)
        cached = self._needs.get(key)
        if cached is None:
            cached = self._needs[key] = self._evaluate_need(need, community)
        self._need_ids[id(need)] = (need, community, cached)
        return cached

    def resource_facts(self, resource: Resource, organisation: Organisation) -> ResourceFacts:
        # By the resource's identity; its organisation compared as it is, since a re-plan copies an
        # organisation whenever it counts its recent dispatches.
        seen = self._resource_ids.get(id(resource))
        if seen is not None and seen[0] is resource and (seen[1] is organisation or seen[1] == organisation):
            return seen[2]
        key = (resource, organisation)
        cached = self._resources.get(key)
        if cached is None:
            cached = self._resources[key] = self._evaluate_resource(resource, organisation)
        self._resource_ids[id(resource)] = (resource, organisation, cached)
        return cached

    def retain(
        self,
        needs: Iterable[tuple[Need, CommunityId | None]],
        resources: Iterable[tuple[Resource, Organisation]],
    ) -> None:
        """Forget the facts of entities no longer in play (needs closed, resources changed), so a profile
        compiled once for a weeks-long board holds little more than what its current problem uses.

        By identity at every call; the memos by value, which hash every field, only once they have grown to
        twice what is in play.
        """
        need_ids = {id(need) for need, _ in needs}
        resource_ids = {id(resource) for resource, _ in resources}
        self._need_ids = {k: v for k, v in self._need_ids.items() if k in need_ids}
        self._resource_ids = {k: v for k, v in self._resource_ids.items() if k in resource_ids}
        if len(self._needs) > 2 * len(need_ids) + SLACK:
            self._needs = {(need, c): facts for need, c, facts in self._need_ids.values()}
        if len(self._resources) > 2 * len(resource_ids) + SLACK:
            self._resources = {(r, o): facts for r, o, facts in self._resource_ids.values()}

    def _evaluate_need(self, need: Need, community: CommunityId | None) -> NeedFacts:
        self.evaluations += 1
        record: dict[str, Value] = {
            "capability": need.capability,
            "priority": need.priority,
            "quantity": need.quantity,
            "tags": frozenset(need.tags),
            "requires": frozenset(need.requires),
            "community": community,
            "reported_by": need.reported_by,
        }
        raised = [r for r in self.priority_rules if r.need.holds(record)]
        priority = min(HIGHEST, max(LOWEST, need.priority + sum(r.adjust for r in raised)))
        limit_s, limit_rule = need.max_travel_s, NEED_TRAVEL_LIMIT if need.max_travel_s else None
        for rule in self.travel_limits:
            cap = rule.limits_s.get(priority)
            if cap is not None and (limit_s is None or cap < limit_s):
                limit_s, limit_rule = cap, rule.name
        matched = frozenset(i for i, r in enumerate(self.eligibility) if r.need.holds(record))
        return NeedFacts(
            priority=priority,
            priority_rules=tuple(r.name for r in raised),
            limit_s=limit_s,
            limit_rule=limit_rule,
            community=community,
            eligibility=matched,
        )

    def _evaluate_resource(self, resource: Resource, organisation: Organisation) -> ResourceFacts:
        self.evaluations += 1
        record: dict[str, Value] = {
            "capability": resource.capability,
            "organisation": resource.organisation,
            "organisation_kind": organisation.kind.value,
            "community": organisation.community,
            "certifications": frozenset(resource.certifications),
            "modes": resource.modes.value,
            "quantity": resource.quantity,
            "on_duty_s": resource.on_duty_s,
        }
        # The rule hardest to waive keeps the resource back: one without exception, else the highest one.
        resting = sorted(
            (r for r in self.rest if resource.on_duty_s > r.max_on_duty_s),
            key=lambda r: HIGHEST + 1 if r.except_priority is None else r.except_priority,
            reverse=True,
        )
        return ResourceFacts(
            serves=resource.status is ResourceStatus.AVAILABLE and resource.modes.serves(self.mode),
            community=organisation.community,
            eligibility=frozenset(i for i, r in enumerate(self.eligibility) if r.resource.holds(record)),
            resting_by=resting[0].name if resting else None,
            rotation_s=sum(r.penalty_s for r in self.rotation) * organisation.recent_dispatches,
        )

    def rest_waived(self, rule: RuleName, priority: int) -> bool:
        """Whether a resting resource may still serve a need of this priority."""
        for r in self.rest:
            if r.name == rule:
                return r.except_priority is not None and priority >= r.except_priority
        return False
