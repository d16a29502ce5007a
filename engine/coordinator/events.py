"""What happened in a community, as facts: the event log holds these, and the board is their fold.

People's actions (a need reported, a dispatch acknowledged) and the coordinator's own decisions (a plan
proposed, a dispatch timed out) are events alike, so replaying the log rebuilds the state exactly, without
solving anything again.
"""

from enum import StrEnum
from typing import Annotated, Literal, NewType

from pydantic import AwareDatetime, Field

from engine.governance.events import GovernanceEvent
from engine.matching.document import Travel
from engine.model.entities import Community, Need, Organisation, Resource
from engine.model.event_base import EventBase
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
from engine.model.plan import Plan, Suggestion
from engine.model.warning import OfficialWarning, Withdrawn
from engine.rules.profile import Profile

DispatchId = NewType("DispatchId", str)


class DispatchStatus(StrEnum):
    """proposed → confirmed → notified → acknowledged → en_route → on_site → done; or it ends early."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    DONE = "done"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"
    # The responder found no open road there (at set-off or on the way): not a refusal.
    NO_ROAD = "no_road"
    CANCELLED = "cancelled"


# A person (or the profile's auto-confirmation) has committed these: the matcher keeps them as pins.
COMMITTED = frozenset(
    {
        DispatchStatus.CONFIRMED,
        DispatchStatus.NOTIFIED,
        DispatchStatus.ACKNOWLEDGED,
        DispatchStatus.EN_ROUTE,
        DispatchStatus.ON_SITE,
        DispatchStatus.DONE,
    }
)


class CommunityRegistered(EventBase):
    type: Literal["community_registered"] = "community_registered"
    community: Community
    profile: Profile
    map: Travel


class StreetRegistered(EventBase):
    """A street office's own board: its pool of organisations and resources, on the street's map; its
    profile says how that pool is planned (rest rules, dispatch settings of the street's own units)."""

    type: Literal["street_registered"] = "street_registered"
    street: StreetId
    name: str = ""
    profile: Profile
    map: Travel


class ProfileChanged(EventBase):
    type: Literal["profile_changed"] = "profile_changed"
    profile: Profile


class OrganisationRegistered(EventBase):
    type: Literal["organisation_registered"] = "organisation_registered"
    organisation: Organisation


class OrganisationUpdated(EventBase):
    """An organisation's name or kind changed (its id and community stay)."""

    type: Literal["organisation_updated"] = "organisation_updated"
    organisation: Organisation


class ResourceSaved(EventBase):
    """A resource registered, or changed (status, quantity, place, modes): the whole new record."""

    type: Literal["resource_saved"] = "resource_saved"
    resource: Resource


class NeedReported(EventBase):
    type: Literal["need_reported"] = "need_reported"
    need: Need
    # Personal data stays out of the engine's Need; only the cadre and the responder see it unmasked.
    contact_phone: str | None = None


class NeedUpdated(EventBase):
    type: Literal["need_updated"] = "need_updated"
    need: Need


class NeedCancelled(EventBase):
    type: Literal["need_cancelled"] = "need_cancelled"
    need: NeedId
    reason: str = ""


class NeedEscalated(EventBase):
    type: Literal["need_escalated"] = "need_escalated"
    need: NeedId
    missing: int
    suggestion: Suggestion
    detail: str


class EscalationAnswer(StrEnum):
    """What the street did about an escalated need."""

    # Approved a proposed dispatch of another community's (or the street's) units.
    APPROVED = "approved"
    # Sent units of the street's pool (or of another community) by hand.
    ASSIGNED = "assigned"
    # Asked another community to help.
    ASKED = "asked"
    # No help is available; the note says why (and what the cadre might do).
    NO_HELP = "no_help"


ANSWER_ZH = {
    EscalationAnswer.APPROVED: "街道已批准调派",
    EscalationAnswer.ASSIGNED: "街道已派出力量",
    EscalationAnswer.ASKED: "街道已请邻社区支援",
    EscalationAnswer.NO_HELP: "街道暂无可派力量",
}


class EscalationAnswered(EventBase):
    type: Literal["escalation_answered"] = "escalation_answered"
    need: NeedId
    answer: EscalationAnswer
    note: str = Field(default="", max_length=500)
    # The community asked to help (``asked``), and its name as people read it.
    community: CommunityId | None = None
    community_name: str = Field(default="", max_length=200)


class RoadClosed(EventBase):
    type: Literal["road_closed"] = "road_closed"
    source: NodeId
    target: NodeId
    # Closed in the direction source → target only; otherwise both ways.
    one_way: bool = False


class RoadReopened(EventBase):
    type: Literal["road_reopened"] = "road_reopened"
    source: NodeId
    target: NodeId


class IncidentTriggered(EventBase):
    type: Literal["incident_triggered"] = "incident_triggered"
    incident: IncidentId
    kind: str = Field(min_length=1, max_length=64)
    level: int = Field(ge=1, le=4)
    # A drill: everything that follows is marked as an exercise, end to end.
    exercise: bool = False
    # The warning whose proposal a cadre or the street accepted to start it (engine/model/warning.py).
    warning: WarningId | None = None


class IncidentLevelChanged(EventBase):
    type: Literal["incident_level_changed"] = "incident_level_changed"
    incident: IncidentId
    level: int = Field(ge=1, le=4)


class IncidentClosed(EventBase):
    type: Literal["incident_closed"] = "incident_closed"
    incident: IncidentId


class PlanProposed(EventBase):
    """The matcher's plan; its unpinned assignments become (or update) proposed dispatches."""

    type: Literal["plan_proposed"] = "plan_proposed"
    version: int = Field(ge=1)
    incident: IncidentId | None
    exercise: bool
    plan: Plan


class DispatchCreated(EventBase):
    """A cadre's override: the chosen resource goes, confirmed, whatever the plan said."""

    type: Literal["dispatch_created"] = "dispatch_created"
    dispatch: DispatchId
    need: NeedId
    part: Capability | None
    resource: ResourceId
    quantity: int = Field(ge=1)
    replaces: DispatchId | None = None


class DispatchStatusChanged(EventBase):
    type: Literal["dispatch_status_changed"] = "dispatch_status_changed"
    dispatch: DispatchId
    status: DispatchStatus
    # "auto" when the profile confirmed it; a decline's reason; an override's note.
    note: str = ""
    # When the person did it, if earlier than ``at`` (sent later from a phone that was offline).
    occurred_at: AwareDatetime | None = None


class Audience(StrEnum):
    """Who an item of the attention bar is for (engine/coordinator/attention.py): the community's cadres, the
    street's staff (a need sent to the street), or the organisation whose unit it was. Each opens it for itself."""

    COMMUNITY = "community"
    STREET = "street"
    ORGANISATION = "organisation"


class AttentionOpened(EventBase):
    """Someone of ``audience`` opened an item of the attention bar: it leaves the bar of all of them."""

    type: Literal["attention_opened"] = "attention_opened"
    item: str = Field(min_length=1, max_length=200)
    audience: Audience


class WarningReceived(EventBase):
    """A warning covers the community: its proposal (the kind and level this profile suggests) is open."""

    type: Literal["warning_received"] = "warning_received"
    warning: OfficialWarning
    kind: str = Field(min_length=1, max_length=64)
    level: int = Field(ge=1, le=4)


class WarningWithdrawn(EventBase):
    """The sender cancelled the warning, or an update replaced it (``by``: the Cancel's or the Update's id)."""

    type: Literal["warning_withdrawn"] = "warning_withdrawn"
    warning: WarningId
    why: Withdrawn
    by: WarningId


class WarningAccepted(EventBase):
    """A cadre or the street accepted the proposal: ``incident`` is the incident it started, or the one already
    open that it joins."""

    type: Literal["warning_accepted"] = "warning_accepted"
    warning: WarningId
    incident: IncidentId


class WarningDismissed(EventBase):
    """Not now (暂不启动): the proposal leaves the bar; the warning stays on the community's list."""

    type: Literal["warning_dismissed"] = "warning_dismissed"
    warning: WarningId
    note: str = Field(default="", max_length=500)


# What a warning's proposal goes through: the street hears of each (api/channels.py).
WarningEvent = WarningReceived | WarningWithdrawn | WarningAccepted | WarningDismissed

Event = Annotated[
    CommunityRegistered
    | StreetRegistered
    | ProfileChanged
    | OrganisationRegistered
    | OrganisationUpdated
    | ResourceSaved
    | NeedReported
    | NeedUpdated
    | NeedCancelled
    | NeedEscalated
    | EscalationAnswered
    | RoadClosed
    | RoadReopened
    | IncidentTriggered
    | IncidentLevelChanged
    | IncidentClosed
    | PlanProposed
    | DispatchCreated
    | DispatchStatusChanged
    | AttentionOpened
    | WarningReceived
    | WarningWithdrawn
    | WarningAccepted
    | WarningDismissed
    | GovernanceEvent,
    Field(discriminator="type"),
]
