"""Request bodies for residents' appeals: the resident's own (no account) and the cadres' handling."""

from pydantic import Field

from api.people_schemas import Phone, PhotoUpload
from api.schemas import Body, Id
from engine.governance.appeals import AppealKind, Urgency
from engine.model.entities import CapabilityName
from engine.model.priority import Priority


class AppealCreate(Body):
    """What a resident sends from the building's page."""

    kind: AppealKind
    urgency: Urgency = Urgency.NORMAL
    note: str = Field(default="", max_length=500)
    # Resized on the phone before it is sent; at most 2 MB once decoded.
    photo: PhotoUpload | None = None
    phone: Phone | None = None
    # The incident page's "我需要救援".
    rescue: bool = False


class RatingCreate(Body):
    stars: int = Field(ge=1, le=5, strict=True)
    comment: str = Field(default="", max_length=500)


class AppealPlan(Body):
    capability: CapabilityName
    quantity: int = Field(default=1, ge=1, le=100)
    priority: Priority = 3


class AppealAssign(Body):
    member: Id
    note: str = Field(default="", max_length=500)


class AppealReply(Body):
    text: str = Field(min_length=1, max_length=500)
    # The answer settles it (resolved), or closes it unresolved (close); neither: it stays open.
    resolved: bool = False
    close: bool = False


class AppealMerge(Body):
    into: Id


class AppealDone(Body):
    note: str = Field(default="", max_length=500)
    photo: PhotoUpload | None = None
