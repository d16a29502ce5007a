"""The problem file that ``pingzhan match`` reads: JSON, with its JSON Schema, turned into a problem."""

from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator

from engine.matching.problem import MatchingProblem, Pin, ProblemBuilder
from engine.model.entities import Community, Mode, Need, Organisation, OrganisationKind, Resource
from engine.model.frozen import Frozen
from engine.model.ids import NodeId
from engine.rules.profile import Profile
from engine.travel import RoadGraph


class Edge(Frozen):
    source: NodeId = Field(alias="from", min_length=1)
    target: NodeId = Field(alias="to", min_length=1)
    seconds: int = Field(gt=0)


class Road(Frozen):
    """A closed road: both ways unless ``one_way`` (then from → to only)."""

    source: NodeId = Field(alias="from", min_length=1)
    target: NodeId = Field(alias="to", min_length=1)
    one_way: bool = False


class Grid(Frozen):
    """A generated grid of streets; node ids are ``g{row}_{col}``."""

    rows: int = Field(ge=1, le=2000)
    cols: int = Field(ge=1, le=2000)
    edge_s: int = Field(default=60, gt=0)
    jitter: float = Field(default=0.0, ge=0.0, lt=1.0)
    seed: int = 0


class Osm(Frozen):
    """An OpenStreetMap extract (``.osm.pbf`` or ``.osm``), relative to the problem file."""

    path: Annotated[str, Field(pattern=r"\.(osm|osm\.pbf|pbf)$")]
    speeds_kmh: dict[str, Annotated[float, Field(gt=0)]] | None = None


class Travel(Frozen):
    """The road network: exactly one of ``edges``, ``grid`` or ``osm``; ``closed`` lists roads closed now."""

    edges: tuple[Edge, ...] | None = None
    grid: Grid | None = None
    osm: Osm | None = None
    directed: bool = False
    closed: tuple[Road, ...] = ()

    @model_validator(mode="after")
    def _one_source(self) -> "Travel":
        given = [name for name in ("edges", "grid", "osm") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of edges, grid or osm; got {given or 'none'}")
        return self

    def road_graph(self, osm_data: bytes | None = None) -> RoadGraph:
        """The road graph with closures applied; OSM data is read by the caller (the engine does no I/O)."""
        if self.edges is not None:
            graph = RoadGraph.from_edges(
                ((e.source, e.target, e.seconds) for e in self.edges), directed=self.directed
            )
        elif self.grid is not None:
            g = self.grid
            graph = RoadGraph.grid(g.rows, g.cols, edge_s=g.edge_s, jitter=g.jitter, seed=g.seed)
        else:
            assert self.osm is not None and osm_data is not None, "the caller reads osm.path"
            graph = RoadGraph.from_osm(
                osm_data,
                fmt="osm" if self.osm.path.endswith(".osm") else "pbf",
                speeds_kmh=self.osm.speeds_kmh,
            )
        return graph.with_closures((r.source, r.target) for r in self.closed if not r.one_way).with_closures(
            ((r.source, r.target) for r in self.closed if r.one_way), one_way=True
        )


class ProblemDocument(Frozen):
    """Needs, the resource pool and the road network. Organisations not listed count as volunteer teams."""

    mode: Mode = Mode.INCIDENT
    community: Community | None = None
    needs: tuple[Need, ...]
    resources: tuple[Resource, ...]
    organisations: tuple[Organisation, ...] | None = None
    travel: Travel
    pinned: tuple[Pin, ...] = ()
    previous: tuple[Pin, ...] = ()
    # The moment of the plan, with a time zone: needs' waiting (from their reported_at) counts to it.
    at: AwareDatetime | None = None

    def road_graph(self, osm_data: bytes | None = None) -> RoadGraph:
        return self.travel.road_graph(osm_data)

    def problem(self, graph: RoadGraph, profile: Profile | None) -> MatchingProblem:
        organisations = self.organisations
        if organisations is None:
            named = sorted({r.organisation for r in self.resources})
            organisations = tuple(Organisation(id=o, kind=OrganisationKind.VOLUNTEER_TEAM) for o in named)
        return (
            ProblemBuilder(graph, mode=self.mode)
            .at(self.at)
            .use_profile(profile, self.community.id if self.community else None)
            .add_needs(self.needs)
            .add_resources(self.resources)
            .add_organisations(organisations)
            .pin(self.pinned)
            .keep(self.previous)
            .build()
        )
