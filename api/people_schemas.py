"""Request bodies for the community's people, households, checks and tasks (unknown fields refused)."""

from typing import Annotated

from pydantic import AwareDatetime, Field

from api.schemas import Body, Id, Node
from engine.governance.checks import CheckResult
from engine.governance.people import MemberRole, Vulnerability
from engine.governance.tasks import EvidenceKind, Verdict
from engine.model.entities import CapabilityName
from engine.model.priority import Priority

Name = Annotated[str, Field(min_length=1, max_length=64)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 \-]{5,20}$")]


class MemberSave(Body):
    name: Name
    role: MemberRole
    grid: Id | None = None
    building: Id | None = None


class GridSave(Body):
    name: Name


class BuildingSave(Body):
    name: Name
    grid: Id
    location: Node


class HouseholdSave(Body):
    building: Id
    address: Annotated[str, Field(min_length=1, max_length=64)]
    tags: list[Vulnerability] = Field(default_factory=list, max_length=5)
    people: int = Field(default=1, ge=1, le=50)
    contact: Name | None = None
    phone: Phone | None = None
    note: str = Field(default="", max_length=200)


class CheckReport(Body):
    result: CheckResult
    note: str = Field(default="", max_length=2000)
    capability: CapabilityName | None = None
    quantity: int = Field(default=1, ge=1, le=100)
    priority: Priority = 4
    occurred_at: AwareDatetime | None = None


class TaskCreate(Body):
    title: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = Field(default="", max_length=2000)
    due_at: AwareDatetime
    points: int = Field(ge=0, le=1000)
    evidence: list[EvidenceKind] = Field(default_factory=list, max_length=3)
    communities: list[Id] = Field(min_length=1, max_length=100)


class PartCreate(Body):
    id: Id | None = None
    title: Annotated[str, Field(min_length=1, max_length=100)]
    assignee: Id
    points: int = Field(ge=0, le=1000)


class TaskSplitBody(Body):
    parts: list[PartCreate] = Field(min_length=1, max_length=50)


class PhotoUpload(Body):
    content_type: str = Field(pattern=r"^image/(jpeg|png|webp)$")
    # Base64; at most 5 MB once decoded (checked on decoding, with the field named).
    data: str = Field(min_length=1, max_length=7_000_000)


class Submission(Body):
    text: str | None = Field(default=None, max_length=2000)
    number: float | None = Field(default=None, allow_inf_nan=False)
    photo: PhotoUpload | None = None
    note: str = Field(default="", max_length=2000)
    occurred_at: AwareDatetime | None = None


class ReviewBody(Body):
    verdict: Verdict
    completion: float | None = Field(default=None, ge=0, le=1)
    comment: str = Field(default="", max_length=2000)
