"""What the coordinator needs from outside, as small protocols (the engine does no I/O itself)."""

from collections import Counter
from typing import TYPE_CHECKING, Protocol

from engine.matching.document import Travel
from engine.model.entities import Resource
from engine.model.ids import ResourceId
from engine.travel import RoadGraph

if TYPE_CHECKING:
    from engine.coordinator.board import Board


class MapLoader(Protocol):
    """Builds a community's road graph from its map description (an OSM extract is read by the caller)."""

    def __call__(self, spec: Travel) -> RoadGraph: ...


class Pool(Protocol):
    """The street a board belongs to, as the board sees it: units of other communities and of the street's own
    pool, named by ref (``home/id``), and the units of ``home``'s resources committed anywhere in the street,
    by resource id."""

    def resource(self, ref: ResourceId) -> Resource | None: ...

    def committed(self, home: str) -> "Counter[str]": ...

    def boards(self) -> "list[Board]": ...
