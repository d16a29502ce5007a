"""The community's people and places: members (head, cadres, grid workers, building captains), grids,
buildings and households. Households are identified by address and tags; names and phones are optional."""

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from engine.governance.ids import BuildingId, GridId, HouseholdId, MemberId
from engine.model.frozen import Frozen
from engine.model.ids import NodeId

Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 \-]{5,20}$")]


class MemberRole(StrEnum):
    HEAD = "head"  # 社区书记/主任: splits and assigns street tasks
    CADRE = "cadre"  # 社区干部
    GRID_WORKER = "grid_worker"  # 网格员
    CAPTAIN = "captain"  # 楼栋长


class Member(Frozen):
    """A person with a part in the community's work. ``id`` is the name on their sign-in token."""

    id: Annotated[MemberId, Key]
    name: Name
    role: MemberRole
    grid: Annotated[GridId, Key] | None = None
    building: Annotated[BuildingId, Key] | None = None

    @model_validator(mode="after")
    def _bound(self) -> "Member":
        if self.role is MemberRole.GRID_WORKER and self.grid is None:
            raise ValueError("grid: a grid worker needs the grid they look after")
        if self.role is MemberRole.CAPTAIN and self.building is None:
            raise ValueError("building: a building captain needs their building")
        return self


class Grid(Frozen):
    id: Annotated[GridId, Key]
    name: Name


class Building(Frozen):
    id: Annotated[BuildingId, Key]
    name: Name
    grid: Annotated[GridId, Key]
    # Where responders go: a node of the community's map.
    location: NodeId = Field(min_length=1)


class Vulnerability(StrEnum):
    ELDERLY_ALONE = "elderly_alone"  # 独居老人
    DISABLED = "disabled"  # 残疾
    BEDRIDDEN = "bedridden"  # 卧床
    INFANT = "infant"  # 婴幼儿
    PREGNANT = "pregnant"  # 孕妇


def _sorted_tags(tags: tuple[Vulnerability, ...]) -> tuple[Vulnerability, ...]:
    return tuple(sorted(set(tags)))


class Household(Frozen):
    """A household by address and vulnerability tags; ``contact``/``phone`` only if the family agrees."""

    id: Annotated[HouseholdId, Key]
    building: Annotated[BuildingId, Key]
    # Unit and room within the building, e.g. 3单元502.
    address: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    tags: Annotated[tuple[Vulnerability, ...], AfterValidator(_sorted_tags)] = ()
    people: int = Field(default=1, ge=1, le=50)
    contact: Name | None = None
    phone: Phone | None = None
    note: Annotated[str, StringConstraints(max_length=200)] = ""

    @property
    def vulnerable(self) -> bool:
        return bool(self.tags)
