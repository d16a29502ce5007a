"""Maps from OpenStreetMap files in the data folder: a good extract makes a community with a drawable map;
a file that cannot be read is refused at once, naming the map, and never reaches the event log."""

import itertools
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.auth import Role
from api.routes.maps import tile_layer
from tests.api.server import ROOT, Api, Server, wait_for
from tests.launcher import launcher


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("maps"))).start()
    yield s
    s.stop()


def test_an_osm_extract_makes_a_community_with_a_drawable_map(server: Server) -> None:
    shutil.copy(ROOT / "tests" / "data" / "test.osm.pbf", server.data_dir / "town.osm.pbf")
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok(
        "POST",
        "/communities",
        {"id": "town", "street": "s1", "profile": "fast_test", "map": {"osm": {"path": "town.osm.pbf"}}},
    )
    drawn = street.ok("GET", "/communities/town/map")
    assert drawn["nodes"] and drawn["closed"] == []
    lon, neg_lat = next(iter(drawn["nodes"].values()))
    # Real places: longitude east, latitude north (drawn downwards, so negated).
    assert -180 <= lon <= 180 and -90 <= -neg_lat <= 90


def test_a_map_file_that_cannot_be_read_is_refused_and_nothing_is_logged(server: Server) -> None:
    (server.data_dir / "broken.osm.pbf").write_bytes(b"this is not an OpenStreetMap file")
    street = Api(server, server.token(Role.STREET, street="s1"))
    response = street.post(
        "/communities",
        {"id": "broken", "street": "s1", "profile": "fast_test", "map": {"osm": {"path": "broken.osm.pbf"}}},
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["field"] == "map" and "cannot be read" in body["detail"] and "Traceback" not in response.text
    assert street.get("/communities/broken").status_code == 404
    # The server still starts from its log: the refused map never reached it.
    server.stop()
    server.start()
    assert street.get("/communities/broken").status_code == 404
    assert street.ok("GET", "/communities/town")["id"] == "town"


GRID = {"grid": {"rows": 4, "cols": 4, "edge_s": 60}}
# The same with street names and places people know.
NAMED = {
    "grid": {
        **GRID["grid"],
        "row_streets": ["北街", "中街", "南街", "滨河路"],
        "col_streets": ["西路", "人民路", "文化路", "东路"],
    },
    "places": [
        {"id": "b1", "name": "1栋", "node": "g1_1", "units": [{"name": "1"}]},
        {"id": "market", "name": "菜市场", "kind": "landmark", "node": "g2_2"},
    ],
}


def test_routes_follow_the_open_roads_and_go_round_a_closed_one(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok("POST", "/communities", {"id": "routes", "street": "s1", "profile": "fast_test", "map": NAMED})
    street.ok(
        "POST", "/communities/routes/organisations", {"id": "o", "kind": "volunteer_team", "name": "水站"}
    )
    street.ok(
        "POST",
        "/communities/routes/resources",
        {"id": "w", "organisation": "o", "capability": "supply.water", "quantity": 5, "location": "g0_0"},
    )
    cadre = Api(server, server.token(Role.CADRE, community="routes"))
    cadre.ok("POST", "/communities/routes/roads/close", {"from": "g0_1", "to": "g0_2"})
    need = cadre.ok(
        "POST",
        "/communities/routes/needs",
        {"capability": "supply.water", "quantity": 1, "location": "g0_3", "priority": 3},
    )
    drawn = cadre.ok("GET", "/communities/routes/map")
    assert drawn["crs"] == "plane" and drawn["tiles"] is None and drawn["closed"] == [["g0_1", "g0_2"]]
    # Every node has the name people use, no name is a node id; the streets and the places to label.
    assert set(drawn["names"]) == set(drawn["nodes"]) and not any(
        n.startswith("g") for n in drawn["names"].values()
    )
    assert (drawn["names"]["g1_1"], drawn["names"]["g2_2"]) == ("1栋", "菜市场")
    assert {"name": "北街", "nodes": ["g0_0", "g0_1", "g0_2", "g0_3"]} in drawn["streets"]
    assert drawn["places"] == [
        {"name": "1栋", "kind": "building", "node": "g1_1"},
        {"name": "菜市场", "kind": "landmark", "node": "g2_2"},
    ]
    [route] = wait_for(lambda: cadre.ok("GET", "/communities/routes/map/routes")["routes"], timeout=5)
    assert (route["need"], route["resource"], route["status"]) == (need["id"], "w", "proposed")
    points = [tuple(p) for p in route["path"]]
    at = {tuple(p): n for n, p in drawn["nodes"].items()}
    path = [at[p] for p in points]
    roads = {tuple(r) for r in drawn["roads"]}
    # Along roads, from the unit to the need, never over the closed road: round it, so longer than the 3 steps.
    assert path[0] == "g0_0" and path[-1] == "g0_3" and len(path) > 4, path
    assert all(tuple(sorted(pair)) in roads for pair in itertools.pairwise(path)), path
    assert ("g0_1", "g0_2") not in set(itertools.pairwise(path)), path
    # The road open again: the straight way.
    cadre.ok("POST", "/communities/routes/roads/reopen", {"from": "g0_1", "to": "g0_2"})
    straight = wait_for(
        lambda: [
            r for r in cadre.ok("GET", "/communities/routes/map/routes")["routes"] if len(r["path"]) == 4
        ],
        timeout=5,
    )
    assert [at[tuple(p)] for p in straight[0]["path"]] == ["g0_0", "g0_1", "g0_2", "g0_3"]


def test_a_tile_url_with_numbered_hosts_is_allowed_from_all_of_them() -> None:
    layer = tile_layer("https://t{s}.tiles.example.cn/{z}/{x}/{y}.png?tk=KEY", "© 测绘", "01234567")
    assert layer == {
        "url": "https://t{s}.tiles.example.cn/{z}/{x}/{y}.png?tk=KEY",
        "attribution": "© 测绘",
        "subdomains": "01234567",
        "origin": "https://*.tiles.example.cn",
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://tiles.example.cn/{z}/{x}/{y}.png", "not an http(s) URL"),
        ("https://tiles.example.cn/{z}/{x}.png", "lacks {y}"),
        ("https://a.{s}.example.cn/{z}/{x}/{y}.png", "only the first label"),
        ("https://{s}.example.cn/{z}/{x}/{y}.png", "subdomains must be letters or digits (got 'a,b')"),
    ],
)
def test_a_bad_tile_url_is_refused_naming_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        tile_layer(url, subdomains="a,b")


def test_the_server_does_not_start_with_a_bad_tile_url(tmp_path: Path) -> None:
    url = "https://tiles.example.cn/{z}/{x}.png"
    done = launcher.call(["serve", "--data-dir", str(tmp_path), "--tiles", url], timeout=60)
    assert done.returncode != 0 and f"--tiles: {url!r} lacks {{y}}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
