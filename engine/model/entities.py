"""Organisations, their resources, residents' needs and the communities that run incidents."""

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from engine.model.frozen import Frozen
from engine.model.ids import Capability, CommunityId, NeedId, NodeId, OrganisationId, ResourceId, StreetId
from engine.model.priority import Priority
from engine.model.quantity import Quantity, Stock

# A capability is a dotted lower-case name such as ``rescue.boat`` or ``supply.water``.
CapabilityName = Annotated[Capability, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Label = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


def _sorted_unique(values: tuple[str, ...]) -> tuple[str, ...]:
    # Sets are kept as sorted tuples so that equal entities hash and serialise identically.
    return tuple(sorted(set(values)))


Labels = Annotated[tuple[Label, ...], AfterValidator(_sorted_unique)]


class Mode(StrEnum):
    """The community's state: normal times (常态) or incident mode (应急模式)."""

    NORMAL = "normal"
    INCIDENT = "incident"


class ServiceModes(StrEnum):
    """The modes a resource serves in."""

    NORMAL = "normal"
    INCIDENT = "incident"
    BOTH = "both"

    def serves(self, mode: Mode) -> bool:
        return self is ServiceModes.BOTH or self.value == mode.value


class OrganisationKind(StrEnum):
    SOCIAL_ORGANISATION = "social_organisation"
    ENTERPRISE = "enterprise"
    PARTY_ORGANISATION = "party_organisation"
    PUBLIC_UNIT = "public_unit"
    VOLUNTEER_TEAM = "volunteer_team"
    SELF_ORGANISED_GROUP = "self_organised_group"


class ResourceStatus(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    OFFLINE = "offline"


class Community(Frozen):
    """A community (社区) or village (村) under a street office; its profile names its governance rules."""

    id: CommunityId = Field(min_length=1)
    street: StreetId = Field(min_length=1)
    profile: str = Field(min_length=1)
    name: str = ""


class Organisation(Frozen):
    """A member of the resource pool: social organisation, enterprise, party organisation, ..."""

    id: OrganisationId = Field(min_length=1)
    kind: OrganisationKind
    community: CommunityId | None = None
    name: str = ""
    # Dispatches in the recent window, kept by the coordinator; the rotation preference reads it.
    recent_dispatches: int = Field(default=0, ge=0)


class Resource(Frozen):
    """What an organisation can send: ``quantity`` interchangeable units of one capability at one place."""

    id: ResourceId = Field(min_length=1)
    organisation: OrganisationId = Field(min_length=1)
    capability: CapabilityName
    quantity: Stock
    location: NodeId = Field(min_length=1)
    certifications: Labels = ()
    modes: ServiceModes = ServiceModes.BOTH
    status: ResourceStatus = ResourceStatus.AVAILABLE
    # Seconds on duty in the current incident; the profile's rest rule reads it.
    on_duty_s: int = Field(default=0, ge=0)
    name: str = ""


class TeamPart(Frozen):
    """A companion that must go with each unit of a team need, e.g. two water-rescue crew per boat."""

    capability: CapabilityName
    per_unit: Quantity
    requires: Labels = ()


class Need(Frozen):
    """What residents or the situation require: a capability, a quantity, a place and a priority.

    ``priority`` runs from 1 to 5; 5 is life-safety. With ``team`` parts, every unit of the need is a team:
    one unit of ``capability`` plus ``per_unit`` units of each part, sent together. ``all_or_nothing``
    needs are served in full or not at all.
    """

    id: NeedId = Field(min_length=1)
    capability: CapabilityName
    quantity: Quantity
    location: NodeId = Field(min_length=1)
    priority: Priority
    requires: Labels = ()
    max_travel_s: int | None = Field(default=None, gt=0)
    tags: Labels = ()
    community: CommunityId | None = None
    reported_by: Ident | None = None
    # With a time zone, so that 'earliest reported' means the same on every machine.
    reported_at: AwareDatetime | None = None
    team: tuple[TeamPart, ...] = ()
    all_or_nothing: bool = False
    note: str = ""
    # The address as the reporter typed it (7号楼3单元302), kept beside the place it was matched or tapped to,
    # and the id of that place in the community's gazetteer (engine/travel/places.py), when one was chosen.
    address: str = ""
    place_id: str = ""

    @model_validator(mode="after")
    def _team_parts_differ(self) -> "Need":
        names = [self.capability, *(p.capability for p in self.team)]
        if len(set(names)) != len(names):
            raise ValueError(f"team: each part needs its own capability, got {names}")
        return self

    @property
    def combinatorial(self) -> bool:
        """Whether min-cost flow cannot express this need (teams, all-or-nothing)."""
        return bool(self.team) or (self.all_or_nothing and self.quantity > 1)
