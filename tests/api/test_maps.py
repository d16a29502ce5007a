"""Maps from OpenStreetMap files in the data folder: a good extract makes a community with a drawable map;
a file that cannot be read is refused at once, naming the map, and never reaches the event log."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.auth import Role
from tests.api.server import ROOT, Api, Server


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
