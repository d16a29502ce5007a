"""Frozen, validated domain types. A bad value raises ``ValueError`` naming the field and the value."""

from engine.model.entities import (
    Community,
    Mode,
    Need,
    Organisation,
    OrganisationKind,
    Resource,
    ResourceStatus,
    ServiceModes,
    TeamPart,
)
from engine.model.ids import (
    Capability,
    CommunityId,
    NeedId,
    NodeId,
    OrganisationId,
    ResourceId,
    RuleName,
    StreetId,
)
from engine.model.plan import Assignment, Objective, Plan, SolverStats, Suggestion, Unmet, UnmetReason

__all__ = [
    "Assignment",
    "Capability",
    "Community",
    "CommunityId",
    "Mode",
    "Need",
    "NeedId",
    "NodeId",
    "Objective",
    "Organisation",
    "OrganisationId",
    "OrganisationKind",
    "Plan",
    "Resource",
    "ResourceId",
    "ResourceStatus",
    "RuleName",
    "ServiceModes",
    "SolverStats",
    "StreetId",
    "Suggestion",
    "TeamPart",
    "Unmet",
    "UnmetReason",
]
