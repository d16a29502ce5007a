"""Governance facts in the community's event log, beside the incident's: the same log, the same replay."""

from typing import Literal

from pydantic import AwareDatetime, Field

from engine.governance.appeals import Appeal, BuildingCode, Note, Receipt
from engine.governance.checks import Check, CheckResult
from engine.governance.ids import AppealId, BuildingId, HouseholdId, MemberId, PartId, PhotoId, TaskId
from engine.governance.people import Building, Grid, Household, Member
from engine.governance.tasks import Evidence, Part, Review, Task
from engine.model.event_base import EventBase
from engine.model.ids import NeedId


class MemberSaved(EventBase):
    type: Literal["member_saved"] = "member_saved"
    member: Member


class GridSaved(EventBase):
    type: Literal["grid_saved"] = "grid_saved"
    grid: Grid


class BuildingSaved(EventBase):
    type: Literal["building_saved"] = "building_saved"
    building: Building


class HouseholdSaved(EventBase):
    type: Literal["household_saved"] = "household_saved"
    household: Household


class HouseholdRemoved(EventBase):
    type: Literal["household_removed"] = "household_removed"
    household: HouseholdId


class TaskIssued(EventBase):
    type: Literal["task_issued"] = "task_issued"
    task: Task


class TaskSplit(EventBase):
    type: Literal["task_split"] = "task_split"
    task: TaskId
    parts: tuple[Part, ...]


class PartSubmitted(EventBase):
    type: Literal["part_submitted"] = "part_submitted"
    task: TaskId
    part: PartId
    evidence: Evidence
    note: str = ""
    occurred_at: AwareDatetime | None = None


class PartReturned(EventBase):
    type: Literal["part_returned"] = "part_returned"
    task: TaskId
    part: PartId
    comment: str = ""


class PartScored(EventBase):
    """The score is worked out once, under the profile of the day, and kept: later profile changes do not
    rewrite history."""

    type: Literal["part_scored"] = "part_scored"
    task: TaskId
    part: PartId
    review: Review
    late_h: float = Field(ge=0)
    keep: float = Field(ge=0, le=1)
    completion: float = Field(ge=0, le=1)
    awarded: float = Field(ge=0)


class TaskOverdue(EventBase):
    """The due time passed with parts not submitted (or the task not yet split): flagged and notified."""

    type: Literal["task_overdue"] = "task_overdue"
    task: TaskId
    parts: tuple[PartId, ...]


class ChecksIssued(EventBase):
    """A check for every vulnerable household, to its grid's worker and its building's captains."""

    type: Literal["checks_issued"] = "checks_issued"
    checks: tuple[Check, ...]


class CheckReported(EventBase):
    type: Literal["check_reported"] = "check_reported"
    household: HouseholdId
    result: CheckResult
    note: str = ""
    need: NeedId | None = None
    occurred_at: AwareDatetime | None = None


class BuildingCodeIssued(EventBase):
    """A building's QR link: the first, or a new one that replaces an abused one (the old link stops working)."""

    type: Literal["building_code_issued"] = "building_code_issued"
    building: BuildingId
    code: BuildingCode


class AppealReceived(EventBase):
    """A resident's appeal, from the building's page. The phone stays out of the appeal: only the cadres who
    handle it and the responder assigned see it unmasked."""

    type: Literal["appeal_received"] = "appeal_received"
    appeal: Appeal
    receipt: Receipt
    contact_phone: str | None = None


class AppealPlanned(EventBase):
    """Turned into a need the engine plans (the need's own event comes with it)."""

    type: Literal["appeal_planned"] = "appeal_planned"
    appeal: AppealId
    need: NeedId


class AppealAssigned(EventBase):
    """A work order (工单) for a grid worker."""

    type: Literal["appeal_assigned"] = "appeal_assigned"
    appeal: AppealId
    member: MemberId
    note: Note = ""


class AppealReplied(EventBase):
    """A cadre's answer to the resident; ``resolved`` says whether the answer settles it (or closes it
    unresolved: ``resolved`` false with ``close``)."""

    type: Literal["appeal_replied"] = "appeal_replied"
    appeal: AppealId
    text: Note
    resolved: bool = False
    close: bool = False


class AppealMerged(EventBase):
    """A likely duplicate handled with another appeal: it follows that one's story from now on."""

    type: Literal["appeal_merged"] = "appeal_merged"
    appeal: AppealId
    into: AppealId


class AppealCompleted(EventBase):
    """The work order is done (by the grid worker it went to, or a cadre)."""

    type: Literal["appeal_completed"] = "appeal_completed"
    appeal: AppealId
    note: Note = ""
    photo: PhotoId | None = None


class AppealRated(EventBase):
    type: Literal["appeal_rated"] = "appeal_rated"
    appeal: AppealId
    stars: int = Field(ge=1, le=5)
    comment: Note = ""


AppealEvent = (
    AppealReceived
    | AppealPlanned
    | AppealAssigned
    | AppealReplied
    | AppealMerged
    | AppealCompleted
    | AppealRated
)

GovernanceEvent = (
    MemberSaved
    | GridSaved
    | BuildingSaved
    | HouseholdSaved
    | HouseholdRemoved
    | TaskIssued
    | TaskSplit
    | PartSubmitted
    | PartReturned
    | PartScored
    | TaskOverdue
    | ChecksIssued
    | CheckReported
    | BuildingCodeIssued
    | AppealEvent
)
