"""Street tasks: issued to a community with points and the evidence completion needs, split by the
community head into parts assigned to members, submitted with evidence, reviewed and scored."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from engine.governance.ids import MemberId, PartId, PhotoId, TaskId
from engine.governance.people import Key
from engine.model.frozen import Frozen

Text = Annotated[str, StringConstraints(max_length=2000)]


class EvidenceKind(StrEnum):
    TEXT = "text"  # 文字说明
    NUMBER = "number"  # 数字（如走访户数）
    PHOTO = "photo"  # 照片


def _kinds(kinds: tuple[EvidenceKind, ...]) -> tuple[EvidenceKind, ...]:
    return tuple(sorted(set(kinds)))


class Task(Frozen):
    id: Annotated[TaskId, Key]
    title: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    description: Text = ""
    due_at: AwareDatetime
    points: int = Field(ge=0, le=1000)
    evidence: Annotated[tuple[EvidenceKind, ...], AfterValidator(_kinds)] = ()
    issued_by: str = ""


class Part(Frozen):
    """One member's share of a task and the points it carries."""

    id: Annotated[PartId, Key]
    title: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    assignee: Annotated[MemberId, Key]
    points: int = Field(ge=0, le=1000)


class Evidence(Frozen):
    text: Text | None = None
    number: float | None = Field(default=None, allow_inf_nan=False)
    photo: Annotated[PhotoId, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None

    def missing(self, wanted: tuple[EvidenceKind, ...]) -> list[EvidenceKind]:
        given = {
            EvidenceKind.TEXT: bool(self.text and self.text.strip()),
            EvidenceKind.NUMBER: self.number is not None,
            EvidenceKind.PHOTO: self.photo is not None,
        }
        return [kind for kind in wanted if not given[kind]]


class Verdict(StrEnum):
    ACCEPT = "accept"  # 合格
    PARTIAL = "partial"  # 部分完成
    RETURN = "return"  # 退回重做


class Review(Frozen):
    verdict: Verdict
    # The share done, for a partial verdict (an accepted part is all done).
    completion: float | None = Field(default=None, ge=0, le=1)
    comment: Text = ""

    @model_validator(mode="after")
    def _completion(self) -> "Review":
        if self.verdict is Verdict.PARTIAL and self.completion is None:
            raise ValueError("completion: a partial verdict needs the share done (0–1)")
        if self.verdict is not Verdict.PARTIAL and self.completion is not None:
            raise ValueError(f"completion: only a partial verdict has one, not {self.verdict.value!r}")
        return self


class PartStatus(StrEnum):
    ASSIGNED = "assigned"  # 待完成
    SUBMITTED = "submitted"  # 待审核
    RETURNED = "returned"  # 退回重做
    SCORED = "scored"  # 已评分


def hours_late(due_at: datetime, done_at: datetime) -> float:
    return max(0.0, (done_at - due_at).total_seconds() / 3600)
