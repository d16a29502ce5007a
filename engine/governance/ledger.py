"""The community's governance state, folded from its events like the rest of the board."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from engine.governance.appeals import AppealRecord, AppealStatus, Handling, Step
from engine.governance.checks import Check
from engine.governance.events import (
    AppealAssigned,
    AppealCompleted,
    AppealEvent,
    AppealMerged,
    AppealPlanned,
    AppealRated,
    AppealReceived,
    AppealReplied,
    BuildingCodeIssued,
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
from engine.governance.ids import AppealId, BuildingId, GridId, HouseholdId, MemberId, PartId, TaskId
from engine.governance.people import Building, Grid, Household, Member
from engine.governance.tasks import Evidence, Part, PartStatus, Review, Task, Verdict
from engine.model.ids import NeedId


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
    # Each building's QR link code (the latest: an earlier one no longer opens the page).
    codes: dict[BuildingId, str] = field(default_factory=dict)
    # The other way round, for the page a link opens; and the codes replaced, which answer "replaced".
    code_buildings: dict[str, BuildingId] = field(default_factory=dict)
    retired_codes: set[str] = field(default_factory=set)
    appeals: dict[AppealId, AppealRecord] = field(default_factory=dict)
    # A receipt is how a resident finds their appeal again.
    receipts: dict[str, AppealId] = field(default_factory=dict)
    # The appeal each need made of an appeal serves, to resolve it when the need is served.
    appeal_of_need: dict[NeedId, AppealId] = field(default_factory=dict)

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
            case BuildingCodeIssued():
                old = self.codes.get(event.building)
                if old is not None:
                    del self.code_buildings[old]
                    self.retired_codes.add(old)
                self.codes[event.building] = event.code
                self.code_buildings[event.code] = event.building
            case _:
                self._appeal(event)

    def next_appeal_id(self) -> AppealId:
        return AppealId(str(len(self.appeals) + 1))

    def need_closed(self, need: NeedId, served: bool, at: datetime) -> None:
        """A need made of an appeal was served (the appeal is resolved) or cancelled (closed)."""
        appeal = self.appeal_of_need.get(need)
        if appeal is None or not self.appeals[appeal].open:
            return
        if served:
            self._settle(appeal, AppealStatus.RESOLVED, at, "救援或服务力量已处置完毕")
        else:
            self._settle(
                appeal, AppealStatus.CLOSED, at, "这项安排已取消；如仍需帮助，请再次提交或拨打社区电话"
            )

    def _appeal(self, event: AppealEvent) -> None:
        match event:
            case AppealReceived():
                self.receipts[event.receipt] = event.appeal.id
                self.appeals[event.appeal.id] = AppealRecord(
                    event.appeal,
                    event.receipt,
                    event.at,
                    contact_phone=event.contact_phone,
                    steps=(Step(event.at, f"已收到您的诉求，受理编号 {event.receipt}"),),
                )
            case AppealPlanned():
                self.appeal_of_need[event.need] = event.appeal
                self._handled(
                    event.appeal,
                    Handling.NEED,
                    event.at,
                    event.actor,
                    "社区已安排力量前往处理",
                    need=event.need,
                )
            case AppealAssigned():
                self._handled(
                    event.appeal,
                    Handling.ORDER,
                    event.at,
                    event.actor,
                    "社区已派网格员处理",
                    assignee=event.member,
                )
            case AppealReplied():
                said = f"社区回复：{event.text}"
                if event.resolved or event.close:
                    self._respond(event.appeal, event.at, event.actor, Handling.REPLY)
                    status = AppealStatus.RESOLVED if event.resolved else AppealStatus.CLOSED
                    self._settle(event.appeal, status, event.at, said, reply=event.text)
                else:
                    self._handled(event.appeal, Handling.REPLY, event.at, event.actor, said, reply=event.text)
            case AppealMerged():
                into = self.appeals[event.into]
                self._handled(
                    event.appeal,
                    Handling.MERGE,
                    event.at,
                    event.actor,
                    "您反映的问题与同楼栋的相同问题合并办理",
                    merged_into=event.into,
                    # Handled with one already done: done with it.
                    status=AppealStatus.HANDLING if into.open else into.status,
                    resolved_at=into.resolved_at,
                )
            case AppealCompleted():
                self._settle(
                    event.appeal,
                    AppealStatus.RESOLVED,
                    event.at,
                    f"已处理完毕：{event.note}" if event.note else "已处理完毕",
                    done_note=event.note,
                    done_photo=event.photo,
                )
            case AppealRated():
                record = self.appeals[event.appeal]
                self.appeals[event.appeal] = replace(
                    record,
                    rating=event.stars,
                    rating_comment=event.comment,
                    rated_at=event.at,
                    steps=(*record.steps, Step(event.at, f"您的评价：{event.stars} 星，谢谢")),
                )

    def _respond(self, appeal: AppealId, at: datetime, actor: str, handling: Handling) -> None:
        """The first answer is the response the response rate counts; later ones do not move it."""
        record = self.appeals[appeal]
        if record.responded_at is None:
            record = replace(record, responded_at=at, handled_by=actor)
        # A reply that keeps the appeal open leaves how it is handled to the cadre's next step.
        if handling is not Handling.REPLY or record.handling is None:
            record = replace(record, handling=handling)
        self.appeals[appeal] = record

    def _handled(
        self, appeal: AppealId, handling: Handling, at: datetime, actor: str, said: str, **changes: object
    ) -> None:
        self._respond(appeal, at, actor, handling)
        record = self.appeals[appeal]
        status = changes.pop("status", AppealStatus.HANDLING)
        self.appeals[appeal] = replace(
            record,
            status=status,  # type: ignore[arg-type]
            steps=(*record.steps, Step(at, said)),
            **changes,  # type: ignore[arg-type]
        )

    def _settle(
        self, appeal: AppealId, status: AppealStatus, at: datetime, said: str, **changes: object
    ) -> None:
        """The appeal is done, and so is every appeal merged into it."""
        for i in (appeal, *(a for a, r in self.appeals.items() if r.merged_into == appeal)):
            record = self.appeals[i]
            self.appeals[i] = replace(
                record,
                status=status,
                resolved_at=at if status is AppealStatus.RESOLVED else None,
                steps=(*record.steps, Step(at, said)),
                **(changes if i == appeal else {}),  # type: ignore[arg-type]
            )

    def close_checks(self) -> None:
        """The incident is over: its checks are history."""
        self.checks = {}

    def _part(self, task: TaskId, part: PartId, **changes: object) -> None:
        record = self.tasks[task]
        parts = dict(record.parts)
        parts[part] = replace(parts[part], **changes)  # type: ignore[arg-type]
        self.tasks[task] = replace(record, parts=parts)
