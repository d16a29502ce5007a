"""Request bodies (Create / Update families, unknown fields refused) and public views of board objects."""

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.places import need_place
from engine.coordinator import Board, Dispatch
from engine.coordinator.board import dispatch_json, incident_json
from engine.coordinator.refs import home_of
from engine.matching.document import Travel
from engine.model.entities import (
    CapabilityName,
    Labels,
    OrganisationKind,
    ResourceStatus,
    ServiceModes,
    TeamPart,
)
from engine.model.priority import Priority
from engine.model.quantity import MAX_QUANTITY, Quantity, Stock

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$")]
Node = Annotated[str, Field(min_length=1, max_length=128)]
# One request sets what a person typed, so the live service keeps tighter bounds than the engine's maximum:
# a slip of a few zeros is refused, not planned. They narrow the engine's types, so they can never pass it.
StockUnits = Annotated[
    Stock,
    Field(
        le=MAX_QUANTITY // 10,
        description=f"units the resource holds, 0 to {MAX_QUANTITY // 10:,} "
        f"(the engine takes at most {MAX_QUANTITY:,})",
    ),
]
NeedUnits = Annotated[
    Quantity,
    Field(
        le=MAX_QUANTITY // 100,
        description=f"units needed, 1 to {MAX_QUANTITY // 100:,} (the engine takes at most {MAX_QUANTITY:,})",
    ),
]
PerUnit = Annotated[
    Quantity,
    Field(
        le=MAX_QUANTITY // 1000,
        description=f"units of this part per unit of the need, 1 to {MAX_QUANTITY // 1000:,}",
    ),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CommunityCreate(Body):
    id: Id
    street: Id
    name: str = Field(default="", max_length=200)
    profile: str = Field(min_length=1, description="shipped profile name, e.g. strong_social_orgs")
    map: Travel


class StreetCreate(Body):
    """The street office's own pool board, on the street's map (its communities plan on the same map)."""

    id: Id
    name: str = Field(default="", max_length=200)
    profile: str = Field(min_length=1, description="the profile the street's own units are planned under")
    map: Travel


class ProfileUpdate(Body):
    profile: str = Field(min_length=1)


class OrganisationCreate(Body):
    id: Id
    kind: OrganisationKind
    name: str = Field(default="", max_length=200)


class OrganisationUpdate(Body):
    kind: OrganisationKind | None = None
    name: str | None = Field(default=None, max_length=200)


# Where a need or a unit is: a place of the community's list (its id), a typed address matched to one, or a
# map node (a tap on the map), which an address that matches no place needs (api/places.py locate).
PLACE = "a place id from GET .../places; else address or location"
ADDRESS = "a typed address (7号楼3单元302); matched to a known place, else kept as a note with location"
LOCATION = "a map node (a tap on the map); needed when neither place nor a matched address gives one"
Address = Annotated[str, Field(min_length=1, max_length=200, description=ADDRESS)]
PlaceId = Annotated[str, Field(min_length=1, max_length=200, description=PLACE)]


class ResourceCreate(Body):
    id: Id
    organisation: Id
    capability: CapabilityName
    quantity: StockUnits
    location: Node | None = Field(default=None, description=LOCATION)
    place: PlaceId | None = None
    address: Address | None = None
    certifications: Labels = ()
    modes: ServiceModes = ServiceModes.BOTH
    status: ResourceStatus = ResourceStatus.AVAILABLE
    name: str = Field(default="", max_length=200)


class ResourceUpdate(Body):
    quantity: StockUnits | None = None
    location: Node | None = Field(default=None, description=LOCATION)
    place: PlaceId | None = None
    address: Address | None = None
    status: ResourceStatus | None = None
    modes: ServiceModes | None = None
    certifications: Labels | None = None
    name: str | None = Field(default=None, max_length=200)


class TeamPartBody(TeamPart):
    per_unit: PerUnit


class NeedCreate(Body):
    id: Id | None = Field(default=None, description="left out: the server gives one")
    capability: CapabilityName
    quantity: NeedUnits
    location: Node | None = Field(default=None, description=LOCATION)
    place: PlaceId | None = None
    address: Address | None = None
    priority: Priority = Field(
        description="as reported, 1-5 (5: life-safety); the profile's priority rules may raise or lower it, "
        "and a need read back has the result as `priority` and this value as `reported_priority`"
    )
    requires: Labels = ()
    max_travel_s: int | None = Field(default=None, gt=0)
    tags: Labels = ()
    team: tuple[TeamPartBody, ...] = ()
    all_or_nothing: bool = False
    note: str = Field(default="", max_length=1000)
    contact_phone: str | None = Field(default=None, pattern=r"^\+?[0-9 \-]{5,20}$")
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when it was reported, if sent later (a queued offline action)"
    )


class NeedUpdate(Body):
    quantity: NeedUnits | None = None
    priority: Priority | None = Field(default=None, description="sets `reported_priority` (see NeedCreate)")
    location: Node | None = Field(default=None, description=LOCATION)
    place: PlaceId | None = None
    address: Address | None = None
    requires: Labels | None = None
    tags: Labels | None = None
    max_travel_s: int | None = Field(default=None, gt=0)
    note: str | None = Field(default=None, max_length=1000)


class NeedCancel(Body):
    reason: str = Field(default="", max_length=500)


class IncidentCreate(Body):
    id: Id | None = None
    kind: str = Field(min_length=1, max_length=64, description="flood, typhoon, fire, outage, epidemic, ...")
    level: int = Field(ge=1, le=4, description="1 (most severe) to 4")
    exercise: bool = Field(default=False, description="a drill: marked as an exercise everywhere")


class LevelChange(Body):
    level: int = Field(ge=1, le=4)


class OverrideBody(Body):
    resource: Id
    quantity: Quantity | None = Field(default=None, description="default: the dispatch's units")


class DispatchAction(Body):
    note: str = Field(default="", max_length=500)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when it was done, if sent later (a queued offline action)"
    )


class ConfirmMany(Body):
    """全部确认: every proposal the cadre sees, confirmed at once (all of them or none)."""

    assignments: list[Id] = Field(min_length=1, max_length=500, description="派单编号 (dispatch ids)")


class RoadChange(Body):
    source: Node = Field(alias="from")
    target: Node = Field(alias="to")


class RoadClose(RoadChange):
    one_way: bool = Field(
        default=False, description="close only the direction from → to (otherwise both ways: 双向封闭)"
    )


# -- public views ---------------------------------------------------------------------------------


def plan_travel(board: Board) -> dict[tuple[str, str | None, str], int | None]:
    """The current plan's travel time of each (need, part, resource), to look dispatches up in."""
    index: dict[tuple[str, str | None, str], int | None] = {}
    if board.plan is not None:
        for a in board.plan.assignments:
            index.setdefault((a.need, a.part, a.resource), a.travel_s)
    return index


def dispatch_public(
    board: Board, d: Dispatch, travel: dict[tuple[str, str | None, str], int | None] | None = None
) -> dict[str, Any]:
    """``travel``: :func:`plan_travel` of the board, when many dispatches are shown at once."""
    data = dispatch_json(d)
    index = plan_travel(board) if travel is None else travel
    resource = board.resource(d.resource)
    # Whose unit it is, by the names people use: the community's own, or a neighbour's or the street's.
    home = home_of(d.resource, board.key)
    owner = None if home == board.key else board.name_of(home)
    need = board.needs.get(d.need)
    return {
        **data,
        "travel_s": index.get((d.need, d.part, d.resource)),
        "organisation": resource.organisation if resource else None,
        "resource_name": resource.name if resource else "",
        "owner": None if home == board.key else home,
        "owner_name": owner,
        # Where the unit goes: its need's place, by the name people use.
        "place": need_place(board, need.need) if need is not None else "",
    }


def community_public(board: Board) -> dict[str, Any]:
    assert board.community is not None and board.profile is not None
    return {
        **board.community.model_dump(mode="json"),
        "profile": board.profile.name,
        "mode": board.mode.value,
        "incident": incident_json(board.incident) if board.incident else None,
        "exercise": board.exercise,
        "plan_version": board.plan_version,
    }


class ApprovalBody(Body):
    note: str = Field(default="", max_length=500)


class AssignBody(Body):
    """Units sent by hand: ``resource`` is the street's (``street:{id}/res``) or another community's
    (``c2/res``) as the need's community names it, or one of its own by id."""

    resource: str = Field(
        min_length=1, max_length=260, pattern=r"^(street:)?[A-Za-z0-9_\-.]+(/[A-Za-z0-9_\-.]+)?$"
    )
    quantity: Quantity
    part: CapabilityName | None = None
    note: str = Field(default="", max_length=500)


class OfferBody(Body):
    """One of the community's own units (by id) for a need the street asked it to help with."""

    resource: Id
    quantity: Quantity
    note: str = Field(default="", max_length=500)


class AnswerBody(Body):
    answer: Literal["asked", "no_help"]
    note: str = Field(default="", max_length=500)
    community: Id | None = Field(default=None, description="the community asked to help (answer asked)")


class RuleRelax(Body):
    rule: str = Field(min_length=1, max_length=128)
