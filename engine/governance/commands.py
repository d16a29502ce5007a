"""What people ask of the community's governance records; checked against the board like every command."""

from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from engine.governance.appeals import Appeal, BuildingCode, Note, Receipt
from engine.governance.checks import CheckResult
from engine.governance.ids import AppealId, BuildingId, HouseholdId, MemberId, PartId, PhotoId, TaskId
from engine.governance.people import Building, Grid, Household, Member, Phone
from engine.governance.tasks import Evidence, Part, Review, Task, Text
from engine.model.entities import CapabilityName
from engine.model.frozen import Frozen
from engine.model.priority import Priority


class SaveMember(Frozen):
    member: Member


class SaveGrid(Frozen):
    grid: Grid


class SaveBuilding(Frozen):
    building: Building


class SaveHousehold(Frozen):
    household: Household


class RemoveHousehold(Frozen):
    """The family moved or asked to be forgotten: the record goes (the log keeps that it was removed)."""

    household: HouseholdId


class IssueTask(Frozen):
    task: Task


class SplitTask(Frozen):
    """The community head divides a task into parts for members; the parts' points add up to the task's."""

    task: TaskId
    parts: tuple[Part, ...] = Field(min_length=1, max_length=50)


class SubmitPart(Frozen):
    task: TaskId
    part: PartId
    evidence: Evidence
    note: Text = ""
    # When the member finished, if earlier (sent later from a phone that was offline).
    occurred_at: AwareDatetime | None = None


class ReviewPart(Frozen):
    task: TaskId
    part: PartId
    review: Review


class ReportCheck(Frozen):
    """The result of checking on a vulnerable household during an incident.

    ``needs_help`` also reports a need for the engine: ``capability`` × ``quantity`` at the household's
    building, with the household's tags, at ``priority`` (raised by the profile's rules as for any need).
    """

    household: HouseholdId
    result: CheckResult
    note: Text = ""
    capability: CapabilityName | None = None
    quantity: int = Field(default=1, ge=1, le=100)
    priority: Priority = 4
    occurred_at: AwareDatetime | None = None


class IssueBuildingCodes(Frozen):
    """QR links for buildings: the first for each, or new ones replacing abused ones. The codes are made by
    the caller (random, unguessable); the engine only checks and records them."""

    codes: tuple[tuple[BuildingId, BuildingCode], ...] = Field(min_length=1, max_length=2000)


class SubmitAppeal(Frozen):
    """A resident's appeal. ``appeal.id`` is left empty: the board numbers appeals. A ``rescue`` in incident
    mode becomes a life-safety need at once, at the building, for the profile's rescue capability."""

    appeal: Appeal
    receipt: Receipt
    contact_phone: Phone | None = None


class PlanAppeal(Frozen):
    """Make the appeal a need for the engine: ``capability`` × ``quantity`` at the building, at ``priority``."""

    appeal: AppealId
    capability: CapabilityName
    quantity: int = Field(default=1, ge=1, le=100)
    priority: Priority = 3


class AssignAppeal(Frozen):
    """A work order for a grid worker (the building's own, or another the cadre picks)."""

    appeal: AppealId
    member: MemberId
    note: Note = ""


class ReplyAppeal(Frozen):
    appeal: AppealId
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    resolved: bool = False
    close: bool = False


class MergeAppeal(Frozen):
    appeal: AppealId
    into: AppealId


class CompleteAppeal(Frozen):
    appeal: AppealId
    note: Note = ""
    photo: PhotoId | None = None


class RateAppeal(Frozen):
    """The resident's rating (by receipt, checked by the caller), once, after it is done."""

    appeal: AppealId
    stars: int = Field(ge=1, le=5, strict=True)
    comment: Note = ""


AppealCommand = (
    IssueBuildingCodes
    | SubmitAppeal
    | PlanAppeal
    | AssignAppeal
    | ReplyAppeal
    | MergeAppeal
    | CompleteAppeal
    | RateAppeal
)

GovernanceCommand = (
    SaveMember
    | SaveGrid
    | SaveBuilding
    | SaveHousehold
    | RemoveHousehold
    | IssueTask
    | SplitTask
    | SubmitPart
    | ReviewPart
    | ReportCheck
    | AppealCommand
)
