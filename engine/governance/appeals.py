"""Residents' own appeals (诉求, 接诉即办): made from a building's page without an account, triaged by the
community's cadres into a need, a work order for a grid worker, a reply or a merge, followed by the resident
with a receipt code, and rated once it is done."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, StringConstraints, field_validator

from engine.governance.ids import AppealId, BuildingId, MemberId, PhotoId
from engine.governance.people import Key
from engine.model.frozen import Frozen
from engine.model.ids import NeedId

# A receipt: what the resident keeps to follow the appeal. Letters and digits that cannot be misread.
RECEIPT_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH: Final = 10
Receipt = Annotated[str, StringConstraints(pattern=rf"^[{RECEIPT_ALPHABET}]{{{RECEIPT_LENGTH}}}$")]
# A building's code in its QR link: long and random, so that a link cannot be guessed from another.
BUILDING_CODE_PATTERN: Final = r"^[A-Za-z0-9_-]{16,64}$"
BuildingCode = Annotated[str, StringConstraints(pattern=BUILDING_CODE_PATTERN)]
Note = Annotated[str, StringConstraints(max_length=500)]


class AppealKind(StrEnum):
    HELP = "help"  # 生活求助
    REPAIR = "repair"  # 报修
    DISPUTE = "dispute"  # 邻里纠纷
    EMERGENCY = "emergency"  # 紧急情况


class Urgency(StrEnum):
    NORMAL = "normal"  # 一般
    URGENT = "urgent"  # 较急
    VERY_URGENT = "very_urgent"  # 很急


# The queue's order: the most urgent first (a rescue before everything).
URGENCY_RANK: Final = {Urgency.VERY_URGENT: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


class Appeal(Frozen):
    """What a resident asked, as they said it. ``rescue``: the incident page's "我需要救援" button."""

    id: AppealId
    building: Annotated[BuildingId, Key]
    kind: AppealKind
    urgency: Urgency = Urgency.NORMAL
    note: Note = ""
    photo: Annotated[PhotoId, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    rescue: bool = False


class AppealStatus(StrEnum):
    """What the resident's page says: received → handling → resolved (or closed without being resolved)."""

    RECEIVED = "received"  # 已受理，等待处理
    HANDLING = "handling"  # 正在处理
    RESOLVED = "resolved"  # 已解决
    CLOSED = "closed"  # 已关闭（未能解决，见回复）


class Handling(StrEnum):
    """What a cadre turned the appeal into."""

    NEED = "need"  # 派给应急/资源力量 (the engine plans it)
    ORDER = "order"  # 派给网格员办理
    REPLY = "reply"  # 直接答复
    MERGE = "merge"  # 与同类诉求合并


class AppealSettings(Frozen):
    """Residents' appeals under this profile.

    ``response_min``: minutes by kind within which a cadre should respond (turn it into a need, a work order,
    a reply or a merge): what the response rate counts. ``duplicate_min``: appeals of one building closer in
    time than this, with similar words, are shown as likely duplicates. ``rescue_capability``: what a
    resident's "我需要救援" in incident mode asks the engine for. ``hotline``: the community's number, shown on
    the residents' page in incident mode.
    """

    response_min: dict[AppealKind, Annotated[int, Field(gt=0, le=10080, strict=True)]] = Field(
        default_factory=lambda: {
            AppealKind.EMERGENCY: 30,
            AppealKind.REPAIR: 120,
            AppealKind.HELP: 240,
            AppealKind.DISPUTE: 240,
        }
    )
    duplicate_min: int = Field(default=180, gt=0, le=10080, strict=True)
    rescue_capability: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")] = "rescue.crew"
    hotline: Annotated[str, StringConstraints(pattern=r"^[0-9 \-]{0,20}$")] = ""

    @field_validator("response_min")
    @classmethod
    def _every_kind(cls, minutes: dict[AppealKind, int]) -> dict[AppealKind, int]:
        missing = sorted(k.value for k in AppealKind if k not in minutes)
        if missing:
            raise ValueError(f"give a response time for every kind; missing {missing}")
        return minutes

    def response_due(self, kind: AppealKind, received_at: datetime) -> datetime:
        return received_at + timedelta(minutes=self.response_min[kind])


@dataclass(frozen=True)
class Step:
    """One line of the appeal's story as the resident reads it."""

    at: datetime
    text: str


@dataclass(frozen=True)
class AppealRecord:
    appeal: Appeal
    receipt: str
    received_at: datetime
    contact_phone: str | None = None
    status: AppealStatus = AppealStatus.RECEIVED
    handling: Handling | None = None
    # When a cadre first acted on it (what the response rate measures), and who.
    responded_at: datetime | None = None
    handled_by: str | None = None
    resolved_at: datetime | None = None
    need: NeedId | None = None
    assignee: MemberId | None = None
    merged_into: AppealId | None = None
    reply: str = ""
    done_note: str = ""
    done_photo: PhotoId | None = None
    rating: int | None = None
    rating_comment: str = ""
    rated_at: datetime | None = None
    steps: tuple[Step, ...] = ()

    @property
    def open(self) -> bool:
        return self.status in (AppealStatus.RECEIVED, AppealStatus.HANDLING)

    @property
    def rateable(self) -> bool:
        """Rated once, after it is done (resolved or closed)."""
        return not self.open and self.rating is None


def queue_key(r: AppealRecord) -> tuple[int, datetime, int]:
    """The triage queue's order: a rescue first, then by urgency (an emergency is very urgent whatever the
    resident chose), the longest waiting first within each."""
    if r.appeal.rescue:
        urgency = -1
    elif r.appeal.kind is AppealKind.EMERGENCY:
        urgency = URGENCY_RANK[Urgency.VERY_URGENT]
    else:
        urgency = URGENCY_RANK[r.appeal.urgency]
    return (urgency, r.received_at, int(r.appeal.id))
