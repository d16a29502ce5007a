"""Official warnings (预警) that cover a community: each becomes a proposal to switch to incident mode, which a
cadre or the street accepts or sets aside. A warning never switches a community by itself.

A warning is what a CAP 1.2 / GB/T 35965.1 alert says that a community acts on (api/cap/ reads the XML); its
id is its sender's and identifier's, so the same alert received twice (POSTed again, polled again) is one.
An ``Update`` names the warnings it replaces; a ``Cancel`` withdraws them.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, StringConstraints, field_validator

from engine.model.frozen import Frozen
from engine.model.ids import IncidentId, WarningId

# Between a warning's sender and its identifier in its id: CAP forbids it in both (they may hold no spaces,
# commas or "<" "&"; "|" is allowed by CAP but not by GB/T 35965.1's identifier rule, and refused by api/cap/).
ID_SEPARATOR: Final = "|"
Kind = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Level = Annotated[int, Field(ge=1, le=4)]


def warning_id(sender: str, identifier: str) -> WarningId:
    return WarningId(f"{sender}{ID_SEPARATOR}{identifier}")


class Severity(StrEnum):
    """CAP's severity; GB/T 35965.1 gives the colours of China's warnings by it."""

    EXTREME = "Extreme"  # 红色
    SEVERE = "Severe"  # 橙色
    MODERATE = "Moderate"  # 黄色
    MINOR = "Minor"  # 蓝色
    UNKNOWN = "Unknown"


COLOUR_ZH: Final = {
    Severity.EXTREME: "红色",
    Severity.SEVERE: "橙色",
    Severity.MODERATE: "黄色",
    Severity.MINOR: "蓝色",
    Severity.UNKNOWN: "",
}


class OfficialWarning(Frozen):
    """The parts of one alert a community acts on. ``exercise``: the alert's status is Exercise (a drill's
    warning): accepting it starts an exercise incident. ``replaces``: the warnings an Update supersedes."""

    id: WarningId = Field(min_length=3, max_length=400)
    sent: datetime
    event: str = Field(min_length=1, max_length=200)
    event_code: str = Field(default="", max_length=100)
    severity: Severity
    urgency: str = Field(default="", max_length=20)
    certainty: str = Field(default="", max_length=20)
    headline: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=4000)
    instruction: str = Field(default="", max_length=4000)
    sender_name: str = Field(default="", max_length=200)
    area: str = Field(default="", max_length=1000)
    onset: datetime | None = None
    expires: datetime | None = None
    exercise: bool = False
    replaces: tuple[WarningId, ...] = ()

    @property
    def title_zh(self) -> str:
        """暴雨红色预警: the event and its colour, as warnings are named in China."""
        event = self.event.removesuffix("预警")
        return f"{event}{COLOUR_ZH[self.severity]}预警"


class WarningSettings(Frozen):
    """How this profile reads a warning: ``kinds`` maps an event code (exact) or a word of the event
    (contained in it, longest word first) to an incident kind, ``default_kind`` where none matches; ``levels``
    maps a severity to the incident level suggested (1 the highest, as China's response levels Ⅰ–Ⅳ)."""

    kinds: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Kind] = Field(
        default_factory=lambda: {
            "暴雨": "flood",
            "洪水": "flood",
            "内涝": "flood",
            "风暴潮": "flood",
            "台风": "typhoon",
            "大风": "typhoon",
            "高温": "heat",
            "森林火险": "fire",
            "火险": "fire",
            "地震": "earthquake",
            "rain": "flood",
            "flood": "flood",
            "typhoon": "typhoon",
            "heat": "heat",
        }
    )
    default_kind: Kind = "other"
    levels: dict[Severity, Level] = Field(
        default_factory=lambda: {
            Severity.EXTREME: 1,
            Severity.SEVERE: 2,
            Severity.MODERATE: 3,
            Severity.MINOR: 4,
            Severity.UNKNOWN: 4,
        }
    )

    @field_validator("levels")
    @classmethod
    def _every_severity(cls, levels: dict[Severity, int]) -> dict[Severity, int]:
        missing = sorted(s.value for s in Severity if s not in levels)
        if missing:
            raise ValueError(f"give a level for every severity; missing {missing}")
        return levels

    def kind_of(self, warning: OfficialWarning) -> str:
        if warning.event_code and warning.event_code in self.kinds:
            return self.kinds[warning.event_code]
        event = warning.event.casefold()
        for word in sorted(self.kinds, key=len, reverse=True):
            if word.casefold() in event:
                return self.kinds[word]
        return self.default_kind

    def level_of(self, warning: OfficialWarning) -> int:
        return self.levels[warning.severity]


class WarningStatus(StrEnum):
    OPEN = "open"  # 待决定: in front of the cadres and the street
    ACCEPTED = "accepted"  # 已启动应急
    DISMISSED = "dismissed"  # 暂不启动
    CANCELLED = "cancelled"  # 发布方已解除
    SUPERSEDED = "superseded"  # 已被更新的预警取代


class Withdrawn(StrEnum):
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class WarningRecord:
    warning: OfficialWarning
    kind: str
    level: int
    received_at: datetime
    status: WarningStatus = WarningStatus.OPEN
    decided_at: datetime | None = None
    decided_by: str = ""
    note: str = ""
    incident: IncidentId | None = None


@dataclass
class Warnings:
    """The community's warnings, newest last; kept as they come and are decided."""

    records: dict[WarningId, WarningRecord] = field(default_factory=dict)

    def open(self) -> list[WarningRecord]:
        return [r for r in self.records.values() if r.status is WarningStatus.OPEN]

    def received(self, warning: OfficialWarning, kind: str, level: int, at: datetime) -> None:
        self.records[warning.id] = WarningRecord(warning, kind, level, at)

    def decided(
        self,
        warning: WarningId,
        status: WarningStatus,
        at: datetime,
        by: str,
        note: str = "",
        incident: IncidentId | None = None,
    ) -> None:
        old = self.records[warning]
        self.records[warning] = replace(
            old, status=status, decided_at=at, decided_by=by, note=note, incident=incident or old.incident
        )
