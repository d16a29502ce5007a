"""The community's governance state, folded from its events like the rest of the board."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from engine.governance.checks import Check
from engine.governance.events import (
    BuildingSaved,
    CheckReported,
    ChecksIssued,
    GovernanceEvent,
    GridSaved,
    HouseholdRemoved,
    HouseholdSaved,
    MemberSaved,
    PartReturned,
    PartScored,
    PartSubmitted,
    TaskIssued,
    TaskOverdue,
    TaskSplit,
)
from engine.governance.ids import BuildingId, GridId, HouseholdId, MemberId, PartId, TaskId
from engine.governance.people import Building, Grid, Household, Member
from engine.governance.tasks import Evidence, Part, PartStatus, Review, Task, Verdict


@dataclass(frozen=True)
class PartRecord:
    part: Part
    status: PartStatus = PartStatus.ASSIGNED
    evidence: Evidence | None = None
    note: str = ""
    submitted_at: datetime | None = None
    review: Review | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    late_h: float = 0.0
    keep: float = 1.0
    awarded: float | None = None


@dataclass(frozen=True)
class TaskRecord:
    task: Task
    issued_at: datetime
    parts: dict[PartId, PartRecord] = field(default_factory=dict)
    overdue: bool = False
    split_at: datetime | None = None

    @property
    def awarded(self) -> float:
        return round(sum(p.awarded or 0.0 for p in self.parts.values()), 1)

    @property
    def finished(self) -> bool:
        return bool(self.parts) and all(p.status is PartStatus.SCORED for p in self.parts.values())

    def waiting(self) -> list[PartId]:
        """Parts still to be submitted (none while the task is not yet split)."""
        return [i for i, p in self.parts.items() if p.status in (PartStatus.ASSIGNED, PartStatus.RETURNED)]


@dataclass
class Ledger:
    members: dict[MemberId, Member] = field(default_factory=dict)
    grids: dict[GridId, Grid] = field(default_factory=dict)
    buildings: dict[BuildingId, Building] = field(default_factory=dict)
    households: dict[HouseholdId, Household] = field(default_factory=dict)
    tasks: dict[TaskId, TaskRecord] = field(default_factory=dict)
    # The open incident's checks (none between incidents: the log keeps earlier ones).
    checks: dict[HouseholdId, Check] = field(default_factory=dict)

    def grid_of(self, household: Household) -> GridId | None:
        building = self.buildings.get(household.building)
        return building.grid if building is not None else None

    def captains(self, building: BuildingId) -> list[Member]:
        return [m for m in self.members.values() if m.building == building]

    def evolve(self, event: GovernanceEvent) -> None:
        match event:
            case MemberSaved():
                self.members[event.member.id] = event.member
            case GridSaved():
                self.grids[event.grid.id] = event.grid
            case BuildingSaved():
                self.buildings[event.building.id] = event.building
            case HouseholdSaved():
                self.households[event.household.id] = event.household
                check = self.checks.get(event.household.id)
                grid = self.grid_of(event.household)
                # Moved during an incident: the check goes with it to its new grid and building.
                if check is not None and grid is not None:
                    self.checks[check.household] = check.model_copy(
                        update={"grid": grid, "building": event.household.building}
                    )
            case HouseholdRemoved():
                del self.households[event.household]
                self.checks.pop(event.household, None)
            case TaskIssued():
                self.tasks[event.task.id] = TaskRecord(event.task, event.at)
            case TaskSplit():
                record = self.tasks[event.task]
                parts = {p.id: PartRecord(p) for p in event.parts}
                self.tasks[event.task] = replace(record, parts=parts, split_at=event.at)
            case PartSubmitted():
                self._part(
                    event.task,
                    event.part,
                    status=PartStatus.SUBMITTED,
                    evidence=event.evidence,
                    note=event.note,
                    submitted_at=event.occurred_at or event.at,
                )
            case PartReturned():
                self._part(
                    event.task,
                    event.part,
                    status=PartStatus.RETURNED,
                    # The reason stays with the part: the member redoing it needs to read it.
                    review=Review(verdict=Verdict.RETURN, comment=event.comment),
                    reviewed_at=event.at,
                    reviewed_by=event.actor,
                )
            case PartScored():
                self._part(
                    event.task,
                    event.part,
                    status=PartStatus.SCORED,
                    review=event.review,
                    reviewed_at=event.at,
                    reviewed_by=event.actor,
                    late_h=event.late_h,
                    keep=event.keep,
                    awarded=event.awarded,
                )
            case TaskOverdue():
                self.tasks[event.task] = replace(self.tasks[event.task], overdue=True)
            case ChecksIssued():
                self.checks.update({c.household: c for c in event.checks})
            case CheckReported():
                check = self.checks[event.household]
                self.checks[event.household] = check.reported(
                    event.result, event.occurred_at or event.at, event.actor, event.note, event.need
                )

    def close_checks(self) -> None:
        """The incident is over: its checks are history."""
        self.checks = {}

    def _part(self, task: TaskId, part: PartId, **changes: object) -> None:
        record = self.tasks[task]
        parts = dict(record.parts)
        parts[part] = replace(parts[part], **changes)  # type: ignore[arg-type]
        self.tasks[task] = replace(record, parts=parts)
