"""What the coordinator needs from outside, as small protocols (the engine does no I/O itself)."""

from typing import Protocol

from engine.matching.document import Travel
from engine.travel import RoadGraph


class MapLoader(Protocol):
    """Builds a community's road graph from its map description (an OSM extract is read by the caller)."""

    def __call__(self, spec: Travel) -> RoadGraph: ...
