"""Checks on vulnerable households: issued per grid when an incident starts, reported by grid workers and
building captains; "needs help" becomes a need for the engine."""

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime

from engine.governance.ids import BuildingId, GridId, HouseholdId
from engine.model.frozen import Frozen
from engine.model.ids import NeedId


class CheckResult(StrEnum):
    PENDING = "pending"  # 待核查
    SAFE = "safe"  # 平安
    NEEDS_HELP = "needs_help"  # 需要帮助
    ABSENT = "absent"  # 无人应答


class CheckState(StrEnum):
    """Where a check stands: nobody answering is not an answer, so the household waits for another visit."""

    PENDING = "pending"  # 待核查
    FOLLOW_UP = "follow_up"  # 待跟进: nobody answered; check again later
    DONE = "done"  # 已核查: safe, or its need reported


class Check(Frozen):
    household: HouseholdId
    grid: GridId
    building: BuildingId
    result: CheckResult = CheckResult.PENDING
    issued_at: AwareDatetime
    reported_at: AwareDatetime | None = None
    reported_by: str | None = None
    note: str = ""
    # The need reported for this household when the check found it needs help.
    need: NeedId | None = None

    @property
    def state(self) -> CheckState:
        """Derived from the last result, so event logs written before follow-ups existed replay as they were:
        a later report of the same household (safe, or needs help) closes a follow-up."""
        if self.result is CheckResult.PENDING:
            return CheckState.PENDING
        return CheckState.FOLLOW_UP if self.result is CheckResult.ABSENT else CheckState.DONE

    def reported(self, result: CheckResult, at: datetime, by: str, note: str, need: NeedId | None) -> "Check":
        return self.model_copy(
            update={"result": result, "reported_at": at, "reported_by": by, "note": note, "need": need}
        )
