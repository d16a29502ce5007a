"""Places people name: grids with and without street names, a hand-made OSM map, the real extract."""

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from engine.matching.document import Travel
from engine.travel import RoadGraph
from engine.travel.places import Gazetteer, PlaceKind, PlaceSpec, UnitSpec, key

PBF = Path(__file__).parent.parent / "data" / "test.osm.pbf"

DEMO = {
    "grid": {"rows": 4, "cols": 4, "row_streets": ["河滨路", "建设路"], "col_streets": ["光明街"]},
    "places": [
        {
            "id": "b7",
            "name": "7号楼",
            "node": "g1_2",
            "street": "建设路",
            "units": [{"name": "3", "doors": ["302"]}],
        },
        {"id": "b12", "name": "12栋", "node": "g2_2"},
        {"id": "b17", "name": "17栋", "node": "g2_3"},
        {"id": "centre", "name": "社区服务中心", "kind": "landmark", "node": "g0_0"},
        {"id": "market", "name": "菜市场", "kind": "landmark", "node": "g3_3"},
    ],
}

# Streets 1-2-3 (east-west) and 4-2-5 (north-south) cross at 2; a named shop and a numbered house.
HAND_MADE = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="pingzhan-tests">
 <node id="1" lat="0" lon="0"/>
 <node id="2" lat="0" lon="0.009"/>
 <node id="3" lat="0" lon="0.018"/>
 <node id="4" lat="0.009" lon="0.009"/>
 <node id="5" lat="-0.009" lon="0.009"/>
 <node id="6" lat="-0.009" lon="0.02"/>
 <node id="20" lat="0.0001" lon="0.0179"><tag k="shop" v="supermarket"/><tag k="name:zh" v="华联超市"/></node>
 <node id="21" lat="0.0081" lon="0.0091"/>
 <node id="22" lat="0.0081" lon="0.0095"/>
 <node id="23" lat="0.0085" lon="0.0095"/>
 <way id="101"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
  <tag k="name" v="滨江路"/></way>
 <way id="102"><nd ref="4"/><nd ref="2"/><nd ref="5"/><tag k="highway" v="residential"/>
  <tag k="name" v="人民路"/></way>
 <way id="103"><nd ref="5"/><nd ref="6"/><tag k="highway" v="service"/></way>
 <way id="201"><nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="21"/><tag k="building" v="yes"/>
  <tag k="addr:street" v="人民路"/><tag k="addr:housenumber" v="8"/></way>
</osm>
""".encode()


def demo() -> tuple[Travel, Gazetteer]:
    travel = Travel.model_validate(DEMO)
    return travel, travel.gazetteer(travel.road_graph())


@pytest.mark.parametrize(
    ("typed", "place_id"),
    [
        ("7号楼3单元302室", "b7-3-302"),
        ("７栋 三单元 ３０２", "b7-3-302"),
        ("7-3-302", "b7-3-302"),
        ("七号楼3单元", "b7-3"),
        ("清水社区7号楼5单元", "b7"),
        ("7幢", "b7"),
        ("12号楼", "b12"),
        ("17栋", "b17"),
        ("菜市场门口", "market"),
        ("河滨路与光明街交叉口", "x-0-0"),
        ("建设路", "row-1"),
    ],
)
def test_a_typed_address_is_matched_to_the_place_it_means(typed: str, place_id: str) -> None:
    _, places = demo()
    found = places.match(typed)
    assert found is not None and found.id == place_id


@pytest.mark.parametrize("typed", ["27栋", "7", "", "   ", "幸福小区"])
def test_an_address_naming_no_known_place_is_not_matched(typed: str) -> None:
    assert demo()[1].match(typed) is None


def test_nodes_are_named_by_their_place_their_crossing_or_a_plain_street_name() -> None:
    _, places = demo()
    assert places.name_of("g1_2") == "7号楼"
    assert places.name_of("g0_0") == "社区服务中心"
    assert places.name_of("g0_1") == "河滨路与纵2路交叉口"
    assert places.name_of("g3_0") == "横4路与光明街交叉口"
    assert places.name_of("g9_9") == "地图外的地点"


def test_search_lists_the_closest_fits_first_and_finds_what_match_finds() -> None:
    _, places = demo()
    assert [p.name for p in places.search("7号楼", limit=3)] == ["7号楼", "7号楼3单元", "7号楼3单元302室"]
    assert [p.name for p in places.search("市场")] == ["菜市场"]
    assert places.search("7-3-302")[0].id == "b7-3-302"
    assert len(places.search("", limit=4)) == 4


def test_an_unnamed_node_of_an_edges_map_is_near_the_closest_place_or_a_numbered_crossing() -> None:
    edges = [{"from": "gate", "to": "lane", "seconds": 60}, {"from": "lane", "to": "tower", "seconds": 30}]
    travel = Travel.model_validate(
        {"edges": edges, "places": [{"id": "t", "name": "1号楼", "node": "tower"}]}
    )
    places = travel.gazetteer(travel.road_graph())
    assert [places.name_of(n) for n in ("gate", "lane", "tower")] == ["1号楼附近", "1号楼附近", "1号楼"]
    bare = Travel.model_validate({"edges": edges})
    assert [bare.gazetteer(bare.road_graph()).name_of(n) for n in ("gate", "lane")] == ["路口1", "路口2"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"places": [{"id": "b9", "name": "9号楼", "node": "g9_9"}]},
            "place b9 (9号楼): node 'g9_9' is not on the map",
        ),
        ({"places": [{"id": "a", "name": "g1_1", "node": "g1_1"}]}, "name 'g1_1' is a map node id"),
        (
            {
                "places": [
                    {"id": "a", "name": "7号楼", "node": "g1_1"},
                    {"id": "b", "name": "7栋", "node": "g1_2"},
                ]
            },
            "place b (7栋): reads the same as place '7号楼'",
        ),
        ({"places": [{"id": "a", "name": "菜场", "lat": 30.1, "lon": 120.2}]}, "this map has no coordinates"),
        ({"places": [{"id": "a", "name": "河滨路", "node": "g1_1"}]}, "reads the same as place '河滨路'"),
    ],
)
def test_a_bad_place_is_refused_naming_the_place(change: dict[str, object], message: str) -> None:
    travel = Travel.model_validate({**DEMO, **change})
    with pytest.raises(ValueError, match=re.escape(message)):
        travel.gazetteer(travel.road_graph())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"id": "a", "name": "x"}, "give either node or both lat and lon"),
        (
            {"id": "a", "name": "x", "node": "g1_1", "lat": 1.0, "lon": 2.0},
            "give either node or both lat and lon",
        ),
        (
            {"id": "a", "name": "x", "kind": "landmark", "node": "n", "units": [{"name": "1"}]},
            "only a building",
        ),
    ],
)
def test_a_place_spec_needs_one_position(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        PlaceSpec.model_validate(spec)


def test_more_street_names_than_streets_are_refused() -> None:
    with pytest.raises(ValueError, match="row_streets: 3 names for 2 streets"):
        Travel.model_validate({"grid": {"rows": 2, "cols": 2, "row_streets": ["a", "b", "c"]}})


def test_an_osm_map_names_its_streets_crossings_shops_and_numbered_houses() -> None:
    travel = Travel.model_validate({"osm": {"path": "hand.osm"}})
    graph = travel.road_graph(HAND_MADE)
    places = travel.gazetteer(graph, HAND_MADE)
    assert places.name_of("2") == "滨江路与人民路交叉口"
    # The shop snapped to the road node next to it; the house (人民路8号) to node 4.
    assert places.name_of("3") == "华联超市"
    assert places.name_of("4") == "人民路8号"
    # A node on a street, a few minutes from named places; a node on an unnamed lane.
    assert places.name_of("1").startswith("滨江路，") and places.name_of("1").endswith("附近")
    assert places.name_of("6") in ("华联超市附近", "人民路8号附近")
    found = places.match("人民路8号门口")
    assert found is not None and found.node == "4" and found.kind == PlaceKind.BUILDING
    crossing = places.match("人民路和滨江路路口")
    assert crossing is not None and crossing.node == "2"
    assert dict(places.streets())["人民路"] == ["4", "2", "5"]


def test_a_place_given_by_latitude_and_longitude_snaps_to_the_nearest_road_node() -> None:
    spec = {"id": "clinic", "name": "社区卫生站", "kind": "landmark", "lat": -0.0085, "lon": 0.0093}
    travel = Travel.model_validate({"osm": {"path": "hand.osm"}, "places": [spec]})
    places = travel.gazetteer(travel.road_graph(HAND_MADE), HAND_MADE)
    clinic = places.place("clinic")
    assert clinic is not None and clinic.node == "5" and (clinic.lat, clinic.lon) == (-0.0085, 0.0093)
    assert places.name_of("5") == "社区卫生站"


def test_the_real_extract_names_every_node_without_a_node_id() -> None:
    data = PBF.read_bytes()
    travel = Travel.model_validate({"osm": {"path": "test.osm.pbf"}})
    graph = travel.road_graph(data)
    places = travel.gazetteer(graph, data)
    names = {places.name_of(node) for node in graph.nodes}
    assert not names & set(graph.nodes)
    assert not any(name.isdigit() for name in names)
    assert {"Kangaskatu 12", "Helilän koulu"} <= {p.name for p in places.places}
    found = places.match("kangaskatu 12")
    assert found is not None and found.name == "Kangaskatu 12"
    found = places.match("Kangaskatu 12, 2. kerros")
    assert found is not None and found.name == "Kangaskatu 12"


# -- invariants over generated maps -------------------------------------------------------------

# A name has something besides spaces (a blank one is refused by the spec, as a person would be asked again).
_names = st.text(
    alphabet="东西南北路街巷楼栋幢单元号室市场中心0123456789abcAB -", min_size=1, max_size=12
).filter(lambda name: name.strip() != "")


@cache
def _grid(rows: int, cols: int) -> RoadGraph:
    return RoadGraph.grid(rows, cols)


@st.composite
def gazetteers(draw: st.DrawFn) -> Gazetteer:
    rows, cols = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    graph = _grid(rows, cols)
    nodes = st.sampled_from(graph.nodes)
    specs: list[PlaceSpec] = []
    row_streets = draw(st.lists(_names, max_size=rows))
    col_streets = draw(st.lists(_names, max_size=cols))
    for i, name in enumerate(draw(st.lists(_names, max_size=6))):
        units = draw(st.lists(st.integers(1, 9).map(str), max_size=2, unique=True))
        specs.append(
            PlaceSpec(
                id=f"p{i}",
                name=name,
                kind=draw(st.sampled_from([PlaceKind.BUILDING, PlaceKind.LANDMARK]))
                if not units
                else PlaceKind.BUILDING,
                node=draw(nodes),
                units=tuple(UnitSpec(name=u) for u in units),
            )
        )
    try:
        return Gazetteer.build(
            graph, specs, grid=(rows, cols), row_streets=row_streets, col_streets=col_streets
        )
    except ValueError as err:
        # Names that read alike, or have nothing to search by, are refused by design: draw again.
        assert "reads the same" in str(err) or "no letters or digits" in str(err)
        reject()


@settings(max_examples=60, deadline=None)
@given(gazetteers())
def test_name_of_never_gives_a_node_id_and_every_place_matches_its_own_name(places: Gazetteer) -> None:
    nodes = set(places._graph.nodes)
    for node in nodes:
        assert places.name_of(node) not in nodes
    for place in places.places:
        assert places.match(place.name) == place
        assert place in places.search(place.name, limit=len(places.places) + 1)


@given(st.text(max_size=30))
def test_key_is_stable(text: str) -> None:
    assert key(key(text)) == key(text)
