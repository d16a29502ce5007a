"""What must not be missed: the items of a community's attention bar, kept as the events that cause them are applied.

A life-safety dispatch withdrawn (not acknowledged in time, or declined), a life-safety need the plan finds no one
for, the street's answer to an escalation: the community's cadres are told. A job taken back from an organisation
(not acknowledged in time, sent to another unit instead, its need cancelled): that organisation is told. Each item
stays until someone of its audience opens it (an ``attention_opened`` event), so who opened it and when is in the
log with everything else. It is part of the board (the fold of the log): a replay rebuilds it exactly.

An item names what it is about by ids (need, dispatch, resource as the board names it); names and places are
looked up when it is read, as a board never sees the other boards while it is replayed.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from engine.coordinator.events import Audience, DispatchId, DispatchStatus, EscalationAnswer
from engine.model.ids import NeedId, ResourceId

S = DispatchStatus


class AttentionKind(StrEnum):
    DISPATCH_WITHDRAWN = "dispatch_withdrawn"
    LIFE_SAFETY_UNMET = "life_safety_unmet"
    ESCALATION_ANSWERED = "escalation_answered"
    JOB_WITHDRAWN = "job_withdrawn"


class Taken(StrEnum):
    """Why a job was taken back from an organisation, or a life-safety dispatch withdrawn."""

    TIMED_OUT = "timed_out"
    DECLINED = "declined"
    OVERRIDE = "override"
    NEED_CANCELLED = "need_cancelled"


# The statuses that withdraw a life-safety dispatch behind the cadre's back (an override is the cadre's own).
WITHDRAWN = {S.TIMED_OUT: Taken.TIMED_OUT, S.DECLINED: Taken.DECLINED}


@dataclass(frozen=True)
class Opened:
    at: datetime
    by: str


@dataclass(frozen=True)
class AttentionItem:
    id: str
    kind: AttentionKind
    at: datetime
    need: NeedId
    dispatch: DispatchId | None = None
    resource: ResourceId | None = None
    why: Taken | None = None
    answer: EscalationAnswer | None = None
    # A decline's reason, or the street's note.
    note: str = ""
    # Made in a drill: said so wherever it is shown, so that nobody takes it for a real one.
    exercise: bool = False
    # Who of each audience opened it first, and when.
    opened: tuple[tuple[Audience, Opened], ...] = ()

    @property
    def audiences(self) -> tuple[Audience, ...]:
        if self.kind is AttentionKind.JOB_WITHDRAWN:
            return (Audience.ORGANISATION,)
        if self.kind is AttentionKind.ESCALATION_ANSWERED:
            return (Audience.COMMUNITY,)
        return (Audience.COMMUNITY, Audience.STREET)

    def opened_by(self, audience: Audience) -> Opened | None:
        return next((o for a, o in self.opened if a is audience), None)


@dataclass
class Attention:
    """One board's items, oldest first. Changed only by the board as it applies events."""

    items: dict[str, AttentionItem] = field(default_factory=dict)
    # Life-safety needs told of as unmet and not met since: told once until someone is sent.
    _told_unmet: set[NeedId] = field(default_factory=set)
    # How many items each need has had of a kind: the next item's number.
    _count: dict[tuple[NeedId, AttentionKind], int] = field(default_factory=dict)

    def dispatch_ended(
        self,
        dispatch: DispatchId,
        need: NeedId,
        resource: ResourceId,
        committed: bool,
        why: Taken,
        at: datetime,
        note: str,
        life_safety: bool,
        exercise: bool,
    ) -> None:
        """A dispatch left the board other than done. Only one that was sent can be taken back: an
        organisation never heard of a mere proposal."""
        if not committed:
            return
        if life_safety and why in (Taken.TIMED_OUT, Taken.DECLINED):
            self._add(
                AttentionItem(
                    f"{dispatch}-withdrawn",
                    AttentionKind.DISPATCH_WITHDRAWN,
                    at,
                    need,
                    dispatch,
                    resource,
                    why,
                    note=note,
                    exercise=exercise,
                )
            )
        if why is not Taken.DECLINED:  # the organisation said no itself
            self._add(
                AttentionItem(
                    f"{dispatch}-job",
                    AttentionKind.JOB_WITHDRAWN,
                    at,
                    need,
                    dispatch,
                    resource,
                    why,
                    exercise=exercise,
                )
            )

    def met(self, need: NeedId) -> None:
        """Someone was sent to ``need``: should it be left with no one again, that is news again."""
        self._told_unmet.discard(need)

    def unmet(self, need: NeedId, at: datetime, exercise: bool) -> None:
        """A plan found no one for the life-safety need ``need``, which has no one going."""
        if need in self._told_unmet:
            return
        self._told_unmet.add(need)
        self._add(
            AttentionItem(
                self._next_id(need, AttentionKind.LIFE_SAFETY_UNMET),
                AttentionKind.LIFE_SAFETY_UNMET,
                at,
                need,
                exercise=exercise,
            )
        )

    def answered(
        self, need: NeedId, answer: EscalationAnswer, at: datetime, note: str, exercise: bool
    ) -> None:
        kind = AttentionKind.ESCALATION_ANSWERED
        self._add(
            AttentionItem(
                self._next_id(need, kind), kind, at, need, answer=answer, note=note, exercise=exercise
            )
        )

    def open(self, item: str, audience: Audience, at: datetime, by: str) -> None:
        found = self.items[item]
        if found.opened_by(audience) is None:
            self.items[item] = replace(found, opened=(*found.opened, (audience, Opened(at, by))))

    def _next_id(self, need: NeedId, kind: AttentionKind) -> str:
        n = self._count.get((need, kind), 0) + 1
        self._count[(need, kind)] = n
        suffix = "unmet" if kind is AttentionKind.LIFE_SAFETY_UNMET else "answer"
        return f"{need}-{suffix}{n}"

    def _add(self, item: AttentionItem) -> None:
        self.items[item.id] = item
