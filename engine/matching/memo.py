"""Plan parts one re-plan hands the next: an assignment or unmet need that comes out the same is the same object.

A re-plan after one event changes a few lines of the plan; the rest would be built and validated again, one
model per line (at 2,000 needs, a third of the read-back). Parts are kept by every field they hold, so the
plan is identical with or without a memo, only made of fewer new objects. One memo per incident, like the
travel cache; it keeps the last plan's parts only.
"""

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from engine.model.ids import Capability, NeedId, ResourceId, RuleName
from engine.model.plan import Assignment, Suggestion, Unmet, UnmetReason

AssignmentKey = tuple[
    NeedId, ResourceId, int, Capability | None, int | None, tuple[RuleName, ...], bool, NeedId | None, int
]
UnmetKey = tuple[NeedId, int, int, UnmetReason, str, Suggestion]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Kept(Generic[K, V]):
    """Values by key from the last plan, and those the plan being made has used so far."""

    def __init__(self, last: dict[K, V] | None = None) -> None:
        self._last: dict[K, V] = last or {}
        self._next: dict[K, V] = {}

    def get(self, key: K, make: Callable[[], V], valid: Callable[[V], bool] = lambda _: True) -> V:
        value = self._last.get(key) or self._next.get(key)
        if value is None or not valid(value):
            value = make()
        self._next[key] = value
        return value

    def copy(self) -> "_Kept[K, V]":
        return _Kept(dict(self._last))

    def done(self) -> None:
        self._last, self._next = self._next, {}


class PlanMemo:
    def __init__(self) -> None:
        self._assignments: _Kept[AssignmentKey, Assignment] = _Kept()
        self._unmet: _Kept[UnmetKey, Unmet] = _Kept()
        # The rule names of a pair, by the identity of its need's and resource's facts (kept with them).
        self._rules: _Kept[tuple[int, int, bool], tuple[object, object, tuple[RuleName, ...]]] = _Kept()

    def copy(self) -> "PlanMemo":
        """A memo holding the same parts (shared: a part never changes); what either learns later the other
        does not."""
        twin = PlanMemo()
        twin._assignments, twin._unmet, twin._rules = (
            self._assignments.copy(),
            self._unmet.copy(),
            self._rules.copy(),
        )
        return twin

    def rules(
        self, need: object, resource: object, certified: bool, make: Callable[[], tuple[RuleName, ...]]
    ) -> tuple[RuleName, ...]:
        """The rule names of a pair whose need and resource have these facts (``make`` when not kept)."""
        held = self._rules.get(
            (id(need), id(resource), certified),
            lambda: (need, resource, make()),
            lambda held: held[0] is need and held[1] is resource,
        )
        return held[2]

    def assignment(self, key: AssignmentKey) -> Assignment:
        return self._assignments.get(key, lambda: _assignment(key))

    def unmet(self, key: UnmetKey) -> Unmet:
        return self._unmet.get(key, lambda: _unmet(key))

    def plan_done(self) -> None:
        """The plan is made: what it used is what the next one may reuse; the rest is forgotten."""
        self._assignments.done()
        self._unmet.done()
        self._rules.done()


def _assignment(key: AssignmentKey) -> Assignment:
    need, resource, quantity, part, travel_s, rules, pinned, after, ready_in_s = key
    return Assignment(
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


def _unmet(key: UnmetKey) -> Unmet:
    need, quantity, priority, reason, detail, suggestion = key
    return Unmet(
        need=need, quantity=quantity, priority=priority, reason=reason, detail=detail, suggestion=suggestion
    )
