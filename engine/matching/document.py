"""The problem file that ``pingzhan match`` reads: JSON, with its JSON Schema, turned into a problem."""

from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator

from engine.matching.problem import MatchingProblem, Pin, ProblemBuilder
from engine.model.entities import Community, Mode, Need, Organisation, OrganisationKind, Resource
from engine.model.frozen import Frozen
from engine.model.ids import NodeId
from engine.rules.profile import Profile
from engine.travel import RoadGraph
from engine.travel.osm import osm_names
from engine.travel.places import Gazetteer, PlaceSpec


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
    # Street names people use, row 0 first and column 0 first; unnamed ones read 横3路 / 纵5路.
    row_streets: tuple[Annotated[str, Field(min_length=1, max_length=80)], ...] = ()
    col_streets: tuple[Annotated[str, Field(min_length=1, max_length=80)], ...] = ()

    @model_validator(mode="after")
    def _streets_fit(self) -> "Grid":
        for what, names, count in (
            ("row_streets", self.row_streets, self.rows),
            ("col_streets", self.col_streets, self.cols),
        ):
            if len(names) > count:
                raise ValueError(f"{what}: {len(names)} names for {count} streets")
        return self


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
    # The community's buildings (with units and door numbers) and landmarks (engine/travel/places.py).
    places: tuple[PlaceSpec, ...] = ()

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

    def gazetteer(self, graph: RoadGraph, osm_data: bytes | None = None) -> Gazetteer:
        """The places of this map on ``graph`` (its road graph); an extract's names come from ``osm_data``
        (without it, only the places the spec lists)."""
        names = None
        if self.osm is not None and osm_data is not None:
            names = osm_names(osm_data, fmt="osm" if self.osm.path.endswith(".osm") else "pbf")
        g = self.grid
        return Gazetteer.build(
            graph,
            self.places,
            grid=None if g is None else (g.rows, g.cols),
            row_streets=() if g is None else g.row_streets,
            col_streets=() if g is None else g.col_streets,
            osm=names,
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
