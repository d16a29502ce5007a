"""Places over a real server: the picker's list and search, needs and units placed by place id, by a typed
address (matched, or kept as a note with a map tap), every answer naming the place, never only the node."""

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.auth import Role
from tests.api.server import ROOT, Api, Server, api_for, wait_for

C = "/communities/p1"
NODE_ID = re.compile(r"\bg\d+_\d+\b")
MAP = {
    "grid": {
        "rows": 4,
        "cols": 4,
        "edge_s": 60,
        "row_streets": ["滨河路", "建设路"],
        "col_streets": ["人民路"],
    },
    "places": [
        {"id": "b7", "name": "7号楼", "node": "g3_3", "units": [{"name": "3", "doors": ["302"]}]},
        {"id": "market", "name": "菜市场", "kind": "landmark", "node": "g0_0"},
    ],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("places"))).start()
    street = Api(s, s.token(Role.STREET, street="s1"))
    street.ok("POST", "/communities", {"id": "p1", "street": "s1", "profile": "fast_test", "map": MAP})
    street.ok(
        "POST", f"{C}/organisations", {"id": "p1-boats", "kind": "social_organisation", "name": "救援队"}
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def cadre(server: Server) -> Api:
    return api_for(server, Role.CADRE, "p1")


def _need(**where: Any) -> dict[str, Any]:
    return {"capability": "rescue.boat", "quantity": 1, "priority": 3, **where}


def test_the_picker_lists_and_searches_places_for_whoever_reads_the_needs(server: Server, cadre: Api) -> None:
    organisation = api_for(server, Role.ORGANISATION, "p1", organisation="p1-boats")
    found = organisation.ok("GET", f"{C}/places?q=７号楼三单元&limit=5")
    assert found[0] == {"id": "b7-3", "name": "7号楼3单元", "kind": "unit", "node": "g3_3", "street": ""}
    assert [p["name"] for p in cadre.ok("GET", f"{C}/places?q=市场")] == ["菜市场"]
    assert len(cadre.ok("GET", f"{C}/places?limit=3")) == 3
    assert cadre.get(f"{C}/places?limit=0").status_code == 422
    other = Api(server, server.token(Role.CADRE, community="elsewhere"))
    assert other.get(f"{C}/places").status_code == 404


def test_a_typed_address_is_matched_and_kept_and_the_answer_names_the_place(cadre: Api) -> None:
    need = cadre.ok("POST", f"{C}/needs", _need(address="7号楼3单元302室 老人被困"))
    assert (need["location"], need["place"], need["address"]) == (
        "g3_3",
        "7号楼3单元302室",
        "7号楼3单元302室 老人被困",
    )
    again = cadre.ok("GET", f"{C}/needs/{need['id']}")
    assert again["place"] == "7号楼3单元302室" and again["address"] == "7号楼3单元302室 老人被困"


def test_an_unmatched_address_needs_a_map_tap_and_is_kept_as_the_note(cadre: Api) -> None:
    refused = cadre.post(f"{C}/needs", json=_need(address="幸福小区8栋"))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (
        problem["field"] == "address"
        and "幸福小区8栋" in problem["detail"]
        and "Traceback" not in refused.text
    )
    need = cadre.ok("POST", f"{C}/needs", _need(address="幸福小区8栋", location="g1_0"))
    assert (need["location"], need["address"], need["place"]) == (
        "g1_0",
        "幸福小区8栋",
        "建设路与人民路交叉口",
    )
    nowhere = cadre.post(f"{C}/needs", json=_need())
    assert nowhere.status_code == 422 and nowhere.json()["field"] == "location"
    unknown = cadre.post(f"{C}/needs", json=_need(place="b99"))
    assert (
        unknown.status_code == 422
        and unknown.json()["field"] == "place"
        and "b99" in unknown.json()["detail"]
    )


def test_units_and_their_dispatches_name_their_places(server: Server, cadre: Api) -> None:
    unit = cadre.ok(
        "POST",
        f"{C}/resources",
        {
            "id": "p1-boat",
            "organisation": "p1-boats",
            "capability": "rescue.boat",
            "quantity": 1,
            "place": "market",
        },
    )
    assert (unit["location"], unit["place"]) == ("g0_0", "菜市场")
    moved = cadre.ok("PATCH", f"{C}/resources/p1-boat", {"address": "建设路"})
    assert moved["place"] == "建设路与横2路交叉口" or moved["place"].startswith("建设路")
    need = cadre.ok("POST", f"{C}/needs", _need(place="b7-3-302", priority=4))
    dispatch = wait_for(
        lambda: next((d for d in cadre.ok("GET", f"{C}/assignments") if d["need"] == need["id"]), None)
    )
    assert dispatch["place"] == "7号楼3单元302室"
    plan = wait_for(lambda: cadre.ok("GET", f"{C}/plan"))
    assert any(
        a["place"] == "7号楼3单元302室" for a in plan["plan"]["assignments"] if a["need"] == need["id"]
    )


def test_a_map_with_a_place_off_the_map_is_refused_naming_the_place_and_the_node(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    bad = {**MAP, "places": [{"id": "b9", "name": "9号楼", "node": "g9_9"}]}
    response = street.post("/communities", {"id": "p2", "street": "s1", "profile": "fast_test", "map": bad})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "map.places"
    assert "9号楼" in response.json()["detail"] and "'g9_9'" in response.json()["detail"]


def test_the_street_lists_its_own_pools_places(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok("POST", "/streets", {"id": "s1", "name": "河西街道", "profile": "fast_test", "map": MAP})
    assert [p["id"] for p in street.ok("GET", "/streets/s1/places?q=菜市场")] == ["market"]
    cadre = api_for(server, Role.CADRE, "p1")
    assert cadre.get("/streets/s1/places").status_code == 403


def test_the_pool_sheet_names_places_and_reads_its_own_names_back(server: Server, cadre: Api) -> None:
    cadre.ok(
        "POST",
        f"{C}/resources",
        {
            "id": "p1-van",
            "organisation": "p1-boats",
            "capability": "transport.vehicle",
            "quantity": 1,
            "location": "g2_2",
            "name": "转运车",
        },
    )
    sheet = cadre.get(f"{C}/pool.csv").content.decode("utf-8-sig")
    [van] = [row for row in csv.reader(io.StringIO(sheet)) if "转运车" in row]
    assert "横3路与纵3路交叉口" in van and not NODE_ID.findall(sheet)
    # The sheet as written, and a row moved to a place typed by name: read back to the nodes they mean.
    moved = sheet.replace("横3路与纵3路交叉口", "7号楼")
    checked = cadre.client.post(
        f"{C}/pool/import?dry_run=1", content=moved.encode(), headers={"Content-Type": "text/csv"}
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["resources"]["changed"] == 1
    cadre.client.post(f"{C}/pool/import", content=moved.encode(), headers={"Content-Type": "text/csv"})
    assert cadre.ok("GET", f"{C}/resources/p1-van")["location"] == "g3_3"


def test_an_osm_communitys_places_are_its_extracts_streets_and_buildings(server: Server) -> None:
    shutil.copy(ROOT / "tests" / "data" / "test.osm.pbf", server.data_dir / "kotka.osm.pbf")
    street = Api(server, server.token(Role.STREET, street="s1"))
    town = {"id": "p3", "street": "s1", "profile": "fast_test", "map": {"osm": {"path": "kotka.osm.pbf"}}}
    street.ok("POST", "/communities", town)
    [house] = street.ok("GET", "/communities/p3/places?q=kangaskatu 12&limit=1")
    assert (house["name"], house["kind"], house["street"]) == ("Kangaskatu 12", "building", "Kangaskatu")
    need = street.ok("POST", "/communities/p3/needs", _need(address="Kangaskatu 12, 2. kerros"))
    assert (need["location"], need["place"]) == (house["node"], "Kangaskatu 12")
    names = street.ok("GET", "/communities/p3/map")["names"]
    assert names and not any(name.isdigit() or name in names for name in names.values())
