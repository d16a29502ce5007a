"""Seeded road graphs, resource pools and needs at the benchmark sizes."""

from dataclasses import dataclass

import numpy as np

from engine.model import Need, Organisation, OrganisationKind, Resource
from engine.model.ids import NodeId
from engine.model.priority import HIGHEST, LOWEST
from engine.travel import RoadGraph

CAPABILITIES = ("rescue.boat", "medical.first_aid", "supply.water", "transport.vehicle", "care.visit")
KINDS = tuple(OrganisationKind)
ORGANISATIONS = 40
COMMUNITIES = 4
EDGE_S = 60
JITTER = 0.3


@dataclass(frozen=True)
class Instance:
    graph: RoadGraph
    organisations: tuple[Organisation, ...]
    resources: tuple[Resource, ...]
    needs: tuple[Need, ...]


def road_graph(rows: int, cols: int, seed: int) -> RoadGraph:
    return RoadGraph.grid(rows, cols, edge_s=EDGE_S, jitter=JITTER, seed=seed)


def organisations() -> tuple[Organisation, ...]:
    return tuple(
        Organisation(id=f"o{i:03d}", kind=KINDS[i % len(KINDS)], community=f"c{i % COMMUNITIES}")
        for i in range(ORGANISATIONS)
    )


def resources(
    rng: np.random.Generator, nodes: tuple[NodeId, ...], units: int, *, unit: bool
) -> list[Resource]:
    """Resources of 1-7 units (1 each when ``unit``) adding up to ``units``."""
    result: list[Resource] = []
    left = units
    while left > 0:
        quantity = 1 if unit else min(left, int(rng.integers(1, 8)))
        result.append(
            Resource(
                id=f"r{len(result):06d}",
                organisation=f"o{int(rng.integers(ORGANISATIONS)):03d}",
                capability=CAPABILITIES[int(rng.integers(len(CAPABILITIES)))],
                quantity=quantity,
                location=nodes[int(rng.integers(len(nodes)))],
                certifications=("first_aid", "water_rescue") if rng.random() < 0.5 else (),
            )
        )
        left -= quantity
    return result


def need(rng: np.random.Generator, nodes: tuple[NodeId, ...], number: int, *, unit: bool) -> Need:
    """One need of 1-5 units (1 when ``unit``), priority 1-5, a travel limit of 15, 30 or 60 minutes."""
    return Need(
        id=f"n{number:06d}",
        capability=CAPABILITIES[int(rng.integers(len(CAPABILITIES)))],
        quantity=1 if unit else int(rng.integers(1, 6)),
        location=nodes[int(rng.integers(len(nodes)))],
        priority=int(rng.integers(LOWEST, HIGHEST + 1)),
        max_travel_s=int(rng.choice([900, 1800, 3600])),
        tags=("elderly_alone",) if rng.random() < 0.2 else (),
        community=f"c{number % COMMUNITIES}",
    )


def instance(
    graph: RoadGraph,
    *,
    needs: int,
    units: int | None = None,
    units_per_need_unit: float | None = None,
    seed: int,
    unit: bool = False,
) -> Instance:
    """Needs first, then a pool of ``units`` units, or of ``units_per_need_unit`` × the units needed."""
    rng = np.random.default_rng(seed)
    need_list = [need(rng, graph.nodes, j, unit=unit) for j in range(needs)]
    if units is None:
        if units_per_need_unit is None:
            raise ValueError("instance: give units or units_per_need_unit")
        units = round(units_per_need_unit * sum(n.quantity for n in need_list))
    pool = resources(np.random.default_rng(seed + 1), graph.nodes, units, unit=unit)
    return Instance(graph, organisations(), tuple(pool), tuple(need_list))
