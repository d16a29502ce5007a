"""What people ask the coordinator to do. Each is checked against the board before it becomes an event."""

from pydantic import AwareDatetime, Field

from engine.coordinator.events import Audience, DispatchId, DispatchStatus, EscalationAnswer
from engine.governance.commands import GovernanceCommand
from engine.matching.document import Travel
from engine.model.entities import Community, Need, Organisation, Resource
from engine.model.frozen import Frozen
from engine.model.ids import (
    Capability,
    CommunityId,
    IncidentId,
    NeedId,
    NodeId,
    ResourceId,
    StreetId,
    WarningId,
)
from engine.model.warning import OfficialWarning
from engine.rules.profile import Profile


class RegisterCommunity(Frozen):
    community: Community
    profile: Profile
    map: Travel


class RegisterStreet(Frozen):
    """The street office's own board, for its pool: on the street's map, under the street's profile."""

    street: StreetId
    name: str = ""
    profile: Profile
    map: Travel


class ChangeProfile(Frozen):
    profile: Profile


class RegisterOrganisation(Frozen):
    organisation: Organisation


class UpdateOrganisation(Frozen):
    """The whole new record of a registered organisation: its name or kind may change, not its community."""

    organisation: Organisation


class SaveResource(Frozen):
    resource: Resource


class ReportNeed(Frozen):
    need: Need
    contact_phone: str | None = Field(default=None, pattern=r"^\+?[0-9 \-]{5,20}$")


class UpdateNeed(Frozen):
    need: Need


class CancelNeed(Frozen):
    need: NeedId
    reason: str = ""


class CloseRoad(Frozen):
    """Close a road, both ways unless ``one_way`` (then source → target only)."""

    source: NodeId
    target: NodeId
    one_way: bool = False


class ReopenRoad(Frozen):
    source: NodeId
    target: NodeId


class TriggerIncident(Frozen):
    incident: IncidentId
    kind: str = Field(min_length=1, max_length=64)
    level: int = Field(ge=1, le=4)
    exercise: bool = False


class ChangeLevel(Frozen):
    level: int = Field(ge=1, le=4)


class CloseIncident(Frozen):
    pass


class Override(Frozen):
    """Send ``resource`` instead of the dispatch's resource (``quantity`` defaults to the dispatch's)."""

    dispatch: DispatchId
    resource: ResourceId
    quantity: int | None = Field(default=None, ge=1)


class Advance(Frozen):
    """Move a dispatch on: confirm, acknowledge, decline, en route, on site, done."""

    dispatch: DispatchId
    to: DispatchStatus
    note: str = ""
    # When the person did it, if that was earlier (an action queued on a phone while offline).
    occurred_at: AwareDatetime | None = None


class Escalate(Frozen):
    """A cadre sends a need to the street now, without waiting for its escalation time."""

    need: NeedId


class Approve(Frozen):
    """The street approves a proposed dispatch of another community's units (the lender's sharing rules ask
    for it): it is sent at once."""

    dispatch: DispatchId
    note: str = Field(default="", max_length=500)


class Assign(Frozen):
    """Send units by hand to a need (street staff: from the street's pool or a community that lends);
    the plan keeps it as a pin. ``resource`` is a ref (``home/id``) for units not of the need's community."""

    need: NeedId
    resource: ResourceId
    quantity: int = Field(ge=1)
    part: Capability | None = None
    note: str = Field(default="", max_length=500)


class AnswerEscalation(Frozen):
    """The street's answer to an escalated need that sends nothing itself: another community is asked to
    help (``community``), or no help is available (``note`` says why)."""

    need: NeedId
    answer: EscalationAnswer
    note: str = Field(default="", max_length=500)
    community: CommunityId | None = None


class RelaxRule(Frozen):
    """A cadre stops applying one rule of the community's profile (the plan's suggestion to relax it)."""

    rule: str = Field(min_length=1)


class OpenAttention(Frozen):
    """Someone of ``audience`` opens an item of the attention bar (engine/coordinator/attention.py); opening
    it again changes nothing: the first to open it, and when, stand."""

    item: str = Field(min_length=1, max_length=200)
    audience: Audience


class ReceiveWarning(Frozen):
    """A warning covering this community came in (api/cap/ read it and found the community in its area)."""

    warning: OfficialWarning


class CancelWarning(Frozen):
    """The sender's Cancel (``cancel``, its own id) withdraws the warnings it references."""

    cancel: WarningId
    references: tuple[WarningId, ...] = Field(min_length=1)


class AcceptWarning(Frozen):
    """Start incident mode on the warning's proposal, as the profile suggests or with the cadre's own kind
    and level; with an incident already open, the warning joins it."""

    warning: WarningId
    incident: IncidentId
    kind: str | None = Field(default=None, min_length=1, max_length=64)
    level: int | None = Field(default=None, ge=1, le=4)


class DismissWarning(Frozen):
    warning: WarningId
    note: str = Field(default="", max_length=500)


Command = (
    RegisterCommunity
    | RegisterStreet
    | ChangeProfile
    | RegisterOrganisation
    | UpdateOrganisation
    | SaveResource
    | ReportNeed
    | UpdateNeed
    | CancelNeed
    | CloseRoad
    | ReopenRoad
    | TriggerIncident
    | ChangeLevel
    | CloseIncident
    | Override
    | Advance
    | Escalate
    | Approve
    | Assign
    | AnswerEscalation
    | RelaxRule
    | OpenAttention
    | ReceiveWarning
    | CancelWarning
    | AcceptWarning
    | DismissWarning
    | GovernanceCommand
)
