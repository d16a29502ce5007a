"""OpenStreetMap input: a real extract end to end, and a hand-made one for the exact tagging rules."""

import math
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.ids import NodeId
from engine.travel import (
    DEFAULT_SPEEDS_KMH,
    UNREACHABLE,
    NetworkxDijkstra,
    RoadGraph,
    ScipyDijkstra,
    travel_matrix,
)

PBF = Path(__file__).parent.parent / "data" / "test.osm.pbf"

# Nodes every 0.009 degrees of longitude along the equator: 1,000.75 m apart, so 100 s at 36 km/h.
HAND_MADE = b"""<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="pingzhan-tests">
 <node id="1" lat="0" lon="0"/>
 <node id="2" lat="0" lon="0.009"/>
 <node id="3" lat="0" lon="0.018"/>
 <node id="4" lat="0" lon="0.027"/>
 <node id="5" lat="0.009" lon="0"/>
 <node id="6" lat="0.009" lon="0.027"/>
 <node id="7" lat="0" lon="0.036"/>
 <node id="8" lat="0" lon="0.045"/>
 <node id="9" lat="0" lon="0.054"/>
 <node id="10" lat="0" lon="0.063"/>
 <way id="101"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
 <way id="102"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
 <way id="103"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="oneway" v="-1"/></way>
 <way id="104"><nd ref="1"/><nd ref="5"/><tag k="highway" v="footway"/></way>
 <way id="105"><nd ref="4"/><nd ref="6"/><tag k="highway" v="residential"/><tag k="access" v="no"/></way>
 <way id="106"><nd ref="4"/><nd ref="7"/><tag k="highway" v="motorway"/></way>
 <way id="107"><nd ref="7"/><nd ref="8"/><tag k="highway" v="motorway"/><tag k="oneway" v="no"/></way>
 <way id="108"><nd ref="8"/><nd ref="9"/><tag k="highway" v="residential"/>
  <tag k="motor_vehicle" v="no"/><tag k="emergency" v="yes"/></way>
 <way id="109"><nd ref="9"/><nd ref="10"/><tag k="highway" v="residential"/><tag k="junction" v="roundabout"/></way>
 <way id="110"><nd ref="10"/><nd ref="999"/><tag k="highway" v="residential"/></way>
 <way id="111"><nd ref="5"/><nd ref="6"/><tag k="building" v="yes"/></way>
</osm>
"""
TEN_M_PER_S = {"residential": 36.0, "motorway": 36.0}


@pytest.fixture(scope="module")
def extract() -> RoadGraph:
    return RoadGraph.from_osm(PBF.read_bytes(), fmt="pbf")


def test_hand_made_extract_keeps_exactly_the_drivable_directions() -> None:
    graph = RoadGraph.from_osm(HAND_MADE, fmt="osm", speeds_kmh=TEN_M_PER_S)
    assert graph.directed
    assert graph.nodes == ("1", "10", "2", "3", "4", "7", "8", "9")
    arcs = {(u, v): s for u, v, s in graph.networkx().edges(data="seconds")}
    assert arcs == {
        ("1", "2"): 100,
        ("2", "1"): 100,
        ("2", "3"): 100,
        ("4", "3"): 100,
        ("4", "7"): 100,
        ("7", "8"): 100,
        ("8", "7"): 100,
        ("8", "9"): 100,
        ("9", "8"): 100,
        ("9", "10"): 100,
    }
    assert travel_matrix(graph, ["1", "4"], ["3", "1"], 1000).tolist() == [[200, 0], [100, UNREACHABLE]]


def test_default_speeds_apply_per_highway_class() -> None:
    graph = RoadGraph.from_osm(HAND_MADE, fmt="osm")
    metres = 6_371_008.8 * math.radians(0.009)
    for (u, v), highway in {("1", "2"): "residential", ("4", "7"): "motorway"}.items():
        assert graph.edge_seconds(u, v) == round(metres / (DEFAULT_SPEEDS_KMH[highway] / 3.6))


def test_speed_table_also_chooses_the_classes_kept() -> None:
    graph = RoadGraph.from_osm(HAND_MADE, fmt="osm", speeds_kmh={"motorway": 36.0})
    assert graph.nodes == ("4", "7", "8")


@pytest.mark.parametrize(
    ("data", "fmt", "speeds", "message"),
    [
        (b"not a pbf", "pbf", None, r"OSM data \(pbf, 9 bytes\): unreadable"),
        (b"<osm", "osm", None, r"OSM data \(osm, 4 bytes\): unreadable"),
        (HAND_MADE, "xml", None, "OSM fmt 'xml': must be 'pbf' or 'osm'"),
        (HAND_MADE, "osm", {"residential": 0}, r"speeds_kmh\['residential'\] 0: must be a positive number"),
        (HAND_MADE, "osm", {"residential": math.nan}, r"speeds_kmh\['residential'\] nan: must be a positive"),
        (HAND_MADE, "osm", {"cycleway": 15.0}, "no way whose highway class is in speeds_kmh"),
    ],
)
def test_bad_osm_input_is_named(data: bytes, fmt: str, speeds: dict[str, float] | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoadGraph.from_osm(data, fmt=fmt, speeds_kmh=speeds)  # type: ignore[arg-type]


def test_real_extract_loads_as_a_directed_road_graph(extract: RoadGraph) -> None:
    assert extract.directed
    assert extract.num_nodes > 500
    assert extract.num_edges > 1000
    assert all(node.isdigit() for node in extract.nodes)
    routing = extract.networkx()
    one_way = [(u, v) for u, v in routing.edges if not routing.has_edge(v, u)]
    assert one_way, "the extract has oneway streets and motorways"


def test_nodes_are_their_own_nearest(extract: RoadGraph) -> None:
    for node in extract.nodes[::50]:
        assert extract.location(extract.nearest_node(*extract.location(node))) == extract.location(node)


@pytest.fixture(scope="module")
def places(extract: RoadGraph) -> npt.NDArray[np.float64]:
    return np.radians([extract.location(node) for node in extract.nodes])


@settings(max_examples=50, deadline=None)
@given(lat=st.floats(60.51, 60.55), lon=st.floats(26.92, 26.98))
def test_nearest_node_is_the_closest_by_great_circle(
    extract: RoadGraph, places: npt.NDArray[np.float64], lat: float, lon: float
) -> None:
    here = np.radians([lat, lon])
    # Spherical law of cosines: a different formula from the engine's, clipped against rounding past 1.
    cosines = np.sin(here[0]) * np.sin(places[:, 0]) + np.cos(here[0]) * np.cos(places[:, 0]) * np.cos(
        places[:, 1] - here[1]
    )
    angles = np.arccos(np.clip(cosines, -1.0, 1.0))
    found = angles[extract.index_of(extract.nearest_node(lat, lon))]
    assert found == pytest.approx(angles.min(), abs=1e-9)


def test_out_of_range_coordinates_are_refused(extract: RoadGraph) -> None:
    with pytest.raises(ValueError, match=r"nearest_node \(91.0, 0.0\)"):
        extract.nearest_node(91.0, 0.0)


def test_routes_cross_the_largest_component(extract: RoadGraph) -> None:
    routing = extract.networkx()
    largest = sorted(max(nx.strongly_connected_components(routing), key=len))
    assert len(largest) > 100
    a, b = NodeId(largest[0]), NodeId(largest[-1])
    expected = [
        [0, nx.dijkstra_path_length(routing, a, b, weight="seconds")],
        [nx.dijkstra_path_length(routing, b, a, weight="seconds"), 0],
    ]
    assert 0 < expected[0][1] < 3600
    for backend in (NetworkxDijkstra(), ScipyDijkstra()):
        assert travel_matrix(extract, [a, b], [a, b], 3600, backend).tolist() == expected
    sources = [NodeId(node) for node in largest[::40]]
    np.testing.assert_array_equal(
        NetworkxDijkstra().seconds_from(extract, sources, 600),
        ScipyDijkstra().seconds_from(extract, sources, 600),
    )


def test_closing_a_street_in_the_extract_lengthens_the_trip(extract: RoadGraph) -> None:
    routing = extract.networkx()
    largest = sorted(max(nx.strongly_connected_components(routing), key=len))
    a, b = NodeId(largest[0]), NodeId(largest[-1])
    path = nx.dijkstra_path(routing, a, b, weight="seconds")
    before = travel_matrix(extract, [a], [b], 7200)[0, 0]
    closed = extract.with_closures([(path[0], path[1])])
    after = travel_matrix(closed, [a], [b], 7200)[0, 0]
    assert after > before
    assert travel_matrix(closed.reopened([(path[0], path[1])]), [a], [b], 7200)[0, 0] == before


def test_closing_a_two_way_osm_street_closes_both_directions() -> None:
    graph = RoadGraph.from_osm(HAND_MADE, fmt="osm", speeds_kmh=TEN_M_PER_S)
    closed = graph.with_closures([("1", "2")])
    # 1–2 is two-way: closed from either end, nobody drives it.
    assert travel_matrix(closed, ["1", "2"], ["2", "1"], 1000).tolist() == [
        [UNREACHABLE, 0],
        [0, UNREACHABLE],
    ]
    # 2→3 is one-way: closing it closes that one arc, and one_way keeps 2→1 open on 1–2.
    assert graph.with_closures([("2", "3")]).closures == {("2", "3")}
    assert travel_matrix(graph.with_closures([("1", "2")], one_way=True), ["2"], ["1"], 1000).tolist() == [
        [100]
    ]
