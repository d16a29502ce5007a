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

    def reported(self, result: CheckResult, at: datetime, by: str, note: str, need: NeedId | None) -> "Check":
        return self.model_copy(
            update={"result": result, "reported_at": at, "reported_by": by, "note": note, "need": need}
        )
