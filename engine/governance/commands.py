"""What people ask of the community's governance records; checked against the board like every command."""

from pydantic import AwareDatetime, Field

from engine.governance.checks import CheckResult
from engine.governance.ids import HouseholdId, PartId, TaskId
from engine.governance.people import Building, Grid, Household, Member
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
)
