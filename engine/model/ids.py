"""Typed ids: a need id is never passed where a resource id is expected."""

from typing import NewType

NeedId = NewType("NeedId", str)
ResourceId = NewType("ResourceId", str)
OrganisationId = NewType("OrganisationId", str)
CommunityId = NewType("CommunityId", str)
StreetId = NewType("StreetId", str)
NodeId = NewType("NodeId", str)
RuleName = NewType("RuleName", str)
Capability = NewType("Capability", str)
IncidentId = NewType("IncidentId", str)
# A warning: its sender's and identifier's (engine/model/warning.py).
WarningId = NewType("WarningId", str)
