"""Travel times over road graphs: building graphs, closing roads, and bounded shortest-path backends."""

from engine.travel.backend import UNREACHABLE, TravelBackend
from engine.travel.cache import TravelCache
from engine.travel.graph import RoadGraph
from engine.travel.matrix import choose_backend, travel_matrix
from engine.travel.networkx_backend import NetworkxDijkstra
from engine.travel.osm import DEFAULT_SPEEDS_KMH
from engine.travel.scipy_backend import ScipyDijkstra
from engine.travel.table import TravelTable

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "UNREACHABLE",
    "NetworkxDijkstra",
    "RoadGraph",
    "ScipyDijkstra",
    "TravelBackend",
    "TravelCache",
    "TravelTable",
    "choose_backend",
    "travel_matrix",
]
