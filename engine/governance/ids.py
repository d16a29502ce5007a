"""Typed ids of governance records."""

from typing import NewType

MemberId = NewType("MemberId", str)
GridId = NewType("GridId", str)
BuildingId = NewType("BuildingId", str)
HouseholdId = NewType("HouseholdId", str)
TaskId = NewType("TaskId", str)
PartId = NewType("PartId", str)
PhotoId = NewType("PhotoId", str)
AppealId = NewType("AppealId", str)
