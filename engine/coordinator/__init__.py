"""Live incident state: events in, re-plans and deadlines on an injected clock, dispatch changes out."""

from engine.coordinator.board import Board, Dispatch, Incident, NeedRecord, NeedStatus
from engine.coordinator.commands import (
    Advance,
    CancelNeed,
    ChangeLevel,
    ChangeProfile,
    CloseIncident,
    CloseRoad,
    Command,
    Escalate,
    Override,
    RegisterCommunity,
    RegisterOrganisation,
    RelaxRule,
    ReopenRoad,
    ReportNeed,
    SaveResource,
    TriggerIncident,
    UpdateNeed,
)
from engine.coordinator.coordinator import Coordinator
from engine.coordinator.events import DispatchId, DispatchStatus, Event
from engine.coordinator.ports import MapLoader
from engine.coordinator.rejected import Rejected
from engine.coordinator.settings import CoordinatorSettings
from engine.coordinator.step import Step
from engine.model.ids import IncidentId

__all__ = [
    "Advance",
    "Board",
    "CancelNeed",
    "ChangeLevel",
    "ChangeProfile",
    "CloseIncident",
    "CloseRoad",
    "Command",
    "Coordinator",
    "CoordinatorSettings",
    "Dispatch",
    "DispatchId",
    "DispatchStatus",
    "Escalate",
    "Event",
    "Incident",
    "IncidentId",
    "MapLoader",
    "NeedRecord",
    "NeedStatus",
    "Override",
    "RegisterCommunity",
    "RegisterOrganisation",
    "Rejected",
    "RelaxRule",
    "ReopenRoad",
    "ReportNeed",
    "SaveResource",
    "Step",
    "TriggerIncident",
    "UpdateNeed",
]
