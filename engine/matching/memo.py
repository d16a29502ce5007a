"""Plan parts one re-plan hands the next: an assignment or unmet need that comes out the same is the same object.

A re-plan after one event changes a few lines of the plan; the rest would be built and validated again, one
model per line (at 2,000 needs, a third of the read-back). Parts are kept by every field they hold, so the
plan is identical with or without a memo, only made of fewer new objects. One memo per incident, like the
travel cache; it keeps the last plan's parts only.
"""

from collections.abc import Callable

from engine.model.ids import Capability, NeedId, ResourceId, RuleName
from engine.model.plan import Assignment, Suggestion, Unmet, UnmetReason

AssignmentKey = tuple[
    NeedId, ResourceId, int, Capability | None, int | None, tuple[RuleName, ...], bool, NeedId | None, int
]
UnmetKey = tuple[NeedId, int, int, UnmetReason, str, Suggestion]


class PlanMemo:
    def __init__(self) -> None:
        self._assignments: dict[AssignmentKey, Assignment] = {}
        self._unmet: dict[UnmetKey, Unmet] = {}
        self._next_assignments: dict[AssignmentKey, Assignment] = {}
        self._next_unmet: dict[UnmetKey, Unmet] = {}
        # The rule names of a pair, by the identity of its need's and resource's facts (kept with them).
        self._rules: dict[tuple[int, int, bool], tuple[object, object, tuple[RuleName, ...]]] = {}
        self._next_rules: dict[tuple[int, int, bool], tuple[object, object, tuple[RuleName, ...]]] = {}

    def copy(self) -> "PlanMemo":
        """A memo holding the same parts (shared: a part never changes); what either learns later the other
        does not."""
        twin = PlanMemo()
        twin._assignments = dict(self._assignments)
        twin._unmet = dict(self._unmet)
        twin._rules = dict(self._rules)
        return twin

    def rules(
        self, need: object, resource: object, certified: bool, make: Callable[[], tuple[RuleName, ...]]
    ) -> tuple[RuleName, ...]:
        """The rule names of a pair whose need and resource have these facts (``make`` when not kept)."""
        key = (id(need), id(resource), certified)
        held = self._rules.get(key) or self._next_rules.get(key)
        if held is None or held[0] is not need or held[1] is not resource:
            held = (need, resource, make())
        self._next_rules[key] = held
        return held[2]

    def assignment(self, key: AssignmentKey) -> Assignment:
        made = self._assignments.get(key) or self._next_assignments.get(key)
        if made is None:
            need, resource, quantity, part, travel_s, rules, pinned, after, ready_in_s = key
            made = Assignment(
                need=need,
                resource=resource,
                quantity=quantity,
                part=part,
                travel_s=travel_s,
                rules=rules,
                pinned=pinned,
                after=after,
                ready_in_s=ready_in_s,
            )
        self._next_assignments[key] = made
        return made

    def unmet(self, key: UnmetKey) -> Unmet:
        made = self._unmet.get(key) or self._next_unmet.get(key)
        if made is None:
            need, quantity, priority, reason, detail, suggestion = key
            made = Unmet(
                need=need,
                quantity=quantity,
                priority=priority,
                reason=reason,
                detail=detail,
                suggestion=suggestion,
            )
        self._next_unmet[key] = made
        return made

    def plan_done(self) -> None:
        """The plan is made: what it used is what the next one may reuse; the rest is forgotten."""
        self._assignments, self._next_assignments = self._next_assignments, {}
        self._unmet, self._next_unmet = self._next_unmet, {}
        self._rules, self._next_rules = self._next_rules, {}
