"""Standard messages out (issue 18): an incident's open needs as an EDXL-RM 1.0 RequestResource message and its
committed dispatches as a CommitResource message, each validated against our transcription of the OASIS
schema (tests/data/edxl-rm); the board as GeoJSON, checked against RFC 7946's rules; the printable resource
request. One server: a community on an OpenStreetMap extract (coordinates) and one on a grid (none)."""

import json
import math
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from api import labels
from api.auth import Role
from tests.api.server import ROOT, Api, Server, api_for, wait_for

SCHEMA = ROOT / "tests" / "data" / "edxl-rm" / "rm-messages.xsd"
MSG = "urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg"
RM = "urn:oasis:names:tc:emergency:EDXL:RM:1.0"
GML = "http://www.opengis.net/gml"
NS = {"m": MSG, "rm": RM, "gml": GML}
PHONE = "13812345678"
GRID = {
    "grid": {"rows": 4, "cols": 4, "edge_s": 60},
    "places": [{"id": "b7", "name": "7号楼", "node": "g3_3"}],
}


@dataclass
class World:
    server: Server
    street: Api
    osm: Api  # a cadre of "port", on the OpenStreetMap extract
    grid: Api  # a cadre of "grid"
    incident: str
    grid_incident: str
    life: str  # port's life-safety need, which the profile confirms by itself
    water: str  # port's other need, left proposed
    nodes: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    server = Server(Path(tmp_path_factory.mktemp("exports"))).start()
    try:
        shutil.copy(ROOT / "tests" / "data" / "test.osm.pbf", server.data_dir / "port.osm.pbf")
        street = Api(server, server.token(Role.STREET, street="s1"))
        street.ok(
            "POST",
            "/communities",
            {
                "id": "port",
                "street": "s1",
                "name": "港湾社区",
                "profile": "fast_test",
                "map": {"osm": {"path": "port.osm.pbf"}},
            },
        )
        street.ok(
            "POST",
            "/communities",
            {"id": "grid", "street": "s1", "name": "网格社区", "profile": "fast_test", "map": GRID},
        )
        # Four nodes of the extract's biggest connected part, far enough apart to tell apart.
        drawn = sorted(street.ok("GET", "/communities/port/map")["nodes"])
        nodes = dict(
            zip(("boat", "water", "life", "thirsty"), drawn[:: max(1, len(drawn) // 4)], strict=False)
        )
        for c, at in (("port", nodes), ("grid", {"boat": "g0_0", "water": "g1_1"})):
            street.ok(
                "POST",
                f"/communities/{c}/organisations",
                {"id": f"{c}-o", "kind": "volunteer_team", "name": "蓝天救援队"},
            )
            for unit, capability, quantity in (("boat", "rescue.boat", 2), ("water", "supply.water", 10)):
                street.ok(
                    "POST",
                    f"/communities/{c}/resources",
                    {
                        "id": f"{c}-{unit}",
                        "organisation": f"{c}-o",
                        "capability": capability,
                        "quantity": quantity,
                        "location": at[unit],
                        "name": f"{unit}队",
                    },
                )
        osm, grid = api_for(server, Role.CADRE, "port"), api_for(server, Role.CADRE, "grid")
        incident = osm.ok("POST", "/communities/port/incidents", {"kind": "flood", "level": 2})["id"]
        grid_incident = grid.ok("POST", "/communities/grid/incidents", {"kind": "typhoon", "level": 1})["id"]
        report = {"note": f"请打 {PHONE}", "contact_phone": PHONE, "address": "王阿姨家 3单元"}
        life = osm.ok(
            "POST",
            "/communities/port/needs",
            {**report, "capability": "rescue.boat", "quantity": 1, "location": nodes["life"], "priority": 5},
        )["id"]
        water = osm.ok(
            "POST",
            "/communities/port/needs",
            {
                **report,
                "capability": "supply.water",
                "quantity": 3,
                "location": nodes["thirsty"],
                "priority": 3,
            },
        )["id"]
        grid.ok(
            "POST",
            "/communities/grid/needs",
            {**report, "capability": "supply.water", "quantity": 2, "place": "b7", "priority": 4},
        )
        # A team need: each boat goes with two crew.
        grid.ok(
            "POST",
            "/communities/grid/needs",
            {
                "id": "boat-team",
                "capability": "rescue.boat",
                "quantity": 2,
                "team": [{"capability": "rescue.crew", "per_unit": 2}],
                "place": "b7",
                "priority": 4,
            },
        )
        # The life-safety need's dispatch confirms itself (fast_test: auto_confirm_priority 5); the other stays
        # proposed.
        wait_for(
            lambda: (
                {d["need"]: d["status"] for d in dispatches(osm, "port")}.get(life, "proposed") != "proposed"
            ),
            timeout=15,
        )
        wait_for(lambda: water in {d["need"] for d in dispatches(osm, "port")}, timeout=15)
        yield World(server, street, osm, grid, incident, grid_incident, life, water, nodes)
    finally:
        server.stop()


def dispatches(api: Api, c: str) -> list[dict[str, Any]]:
    """The plan's dispatches; none before the first plan."""
    response = api.get(f"/communities/{c}/plan")
    return response.json()["dispatches"] if response.status_code == 200 else []


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def valid(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    checker = schema()
    assert checker.validate(root), checker.error_log
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [e.text for e in root.xpath(path, namespaces=NS)]


def get_xml(api: Api, c: str, incident: str, kind: str) -> bytes:
    response = api.get(f"/communities/{c}/incidents/{incident}/edxl-rm/{kind}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return response.content


# -- EDXL-RM -----------------------------------------------------------------------------------------------


def test_open_needs_go_out_as_one_valid_request_resource_message(world: World) -> None:
    document = get_xml(world.osm, "port", world.incident, "request-resource")
    root = valid(document)
    assert root.tag == f"{{{MSG}}}RequestResource"
    assert texts(root, "m:MessageContentType") == ["RequestResource"]
    assert texts(root, "m:IncidentInformation/rm:IncidentID") == [world.incident]
    assert "洪涝" in texts(root, "m:IncidentInformation/rm:IncidentDescription")[0]
    assert texts(root, "m:ContactInformation/rm:ContactRole") == ["Requester"]
    assert "港湾社区" in texts(root, "m:ContactInformation/rm:ContactDescription")[0]
    items = {
        i.findtext(f"{{{MSG}}}ResourceInfoElementID"): i
        for i in root.findall(f"{{{MSG}}}ResourceInformation")
    }
    assert set(items) == {world.life, world.water}
    water = items[world.water]
    assert texts(water, "m:Resource/m:TypeStructure/rm:ValueListURN") == ["urn:pingzhan:capability"]
    assert texts(water, "m:Resource/m:TypeStructure/rm:Value") == ["supply.water"]
    assert texts(water, "m:Resource/m:Keyword[rm:ValueListURN='urn:pingzhan:priority']/rm:Value") == ["3"]
    assert texts(water, "m:AssignmentInformation/m:Quantity/rm:MeasuredQuantity/rm:Amount") == ["3"]
    assert texts(water, "m:ScheduleInformation/m:ScheduleType") == ["RequestedArrival"]
    # Where: the gazetteer's name, and on this OpenStreetMap map the point, latitude first (GML's EPSG:4326).
    [place] = texts(water, "m:ScheduleInformation/m:Location/rm:LocationDescription")
    assert place and place != world.nodes["thirsty"]
    [pos] = texts(water, "m:ScheduleInformation/m:Location/rm:TargetArea/gml:Point/gml:pos")
    lat, lon = map(float, pos.split())
    [feature] = [f for f in geojson(world)["features"] if f["properties"].get("id") == world.water]
    assert [lon, lat] == feature["geometry"]["coordinates"]
    # What a resident or a reporter typed never leaves: phone, note, typed address.
    text = document.decode()
    assert PHONE not in text and "138****" not in text and "王阿姨" not in text and "请打" not in text


def test_committed_dispatches_go_out_as_a_commit_resource_message_answering_the_request(world: World) -> None:
    root = valid(get_xml(world.osm, "port", world.incident, "commit-resource"))
    assert texts(root, "m:MessageContentType") == ["CommitResource"]
    [origin] = texts(root, "m:OriginatingMessageID")
    assert re.fullmatch(rf"pingzhan:port:{world.incident}:RequestResource:v\d+", origin)
    plan = world.osm.ok("GET", "/communities/port/plan")["dispatches"]
    committed = {
        d["id"]: d
        for d in plan
        if d["status"] not in ("proposed", "declined", "timed_out", "no_road", "cancelled")
    }
    items = root.findall(f"{{{MSG}}}ResourceInformation")
    # Only what people (or the profile) committed: the proposal for the water need is not a commitment.
    assert {i.findtext(f"{{{MSG}}}ResourceInfoElementID") for i in items} == set(committed)
    for item in items:
        d = committed[item.findtext(f"{{{MSG}}}ResourceInfoElementID")]
        assert texts(item, "m:ResponseInformation/rm:PrecedingResourceInfoElementID") == [d["need"]]
        assert texts(item, "m:ResponseInformation/rm:ResponseType") == ["Accept"]
        assert texts(item, "m:Resource/m:ResourceID") == [d["resource"]]
        assert texts(item, "m:AssignmentInformation/m:Quantity/rm:MeasuredQuantity/rm:Amount") == [
            str(d["quantity"])
        ]
        assert texts(
            item, "m:Resource/m:Keyword[rm:ValueListURN='urn:pingzhan:dispatch-status']/rm:Value"
        ) == [d["status"]]
    assert world.life in {d["need"] for d in committed.values()}


def test_a_broken_message_fails_the_schema(world: World) -> None:
    """The check can fail: the same message with its MessageID taken out, in the wrong namespace, with another
    message's content type or an unknown schedule type is refused."""
    good = get_xml(world.osm, "port", world.incident, "request-resource")
    valid(good)
    checker = schema()

    def broken(change: Any) -> bool:
        root = etree.fromstring(good)
        change(root)
        return not checker.validate(root)

    def drop(path: str) -> Any:
        return lambda root: root.remove(root.find(path, NS))

    def set_text(path: str, value: str) -> Any:
        def change(root: etree._Element) -> None:
            root.xpath(path, namespaces=NS)[0].text = value

        return change

    assert broken(drop("m:MessageID"))
    assert broken(drop("m:ContactInformation"))
    assert broken(set_text("m:MessageContentType", "CommitResource"))
    assert broken(set_text("m:SentDateTime", "2026-12-01T08:00:00"))  # no offset from UTC
    assert broken(set_text("m:ResourceInformation/m:ScheduleInformation/m:ScheduleType", "Soon"))
    wrong = good.replace(MSG.encode(), b"urn:oasis:names:tc:emergency:EDXL:RM:2.0:msg")
    assert not checker.validate(etree.fromstring(wrong))


def test_a_grid_map_names_places_without_coordinates(world: World) -> None:
    root = valid(get_xml(world.grid, "grid", world.grid_incident, "request-resource"))
    assert texts(root, "//m:Location/rm:LocationDescription") == ["7号楼"] * 3
    assert root.xpath("//rm:TargetArea", namespaces=NS) == []
    # A team need asks for its parts too, each an item of its own: two boats, and two crew with each.
    amounts = {
        i.findtext(f"{{{MSG}}}ResourceInfoElementID"): (
            texts(i, "m:Resource/m:TypeStructure/rm:Value"),
            texts(i, "m:AssignmentInformation/m:Quantity/rm:MeasuredQuantity/rm:Amount"),
        )
        for i in root.findall(f"{{{MSG}}}ResourceInformation")
    }
    assert amounts["boat-team"] == (["rescue.boat"], ["2"])
    assert amounts["boat-team/rescue.crew"] == (["rescue.crew"], ["4"])
    page = world.grid.get(
        f"/communities/grid/incidents/{world.grid_incident}/resource-request.html",
        params={"need": "boat-team"},
    ).text
    assert "<tr><td>4</td><td>救援队员</td><td>0</td>" in page


def test_who_may_export_and_what_cannot_be(world: World) -> None:
    org = api_for(world.server, Role.ORGANISATION, "port", organisation="port-o")
    for path in (
        f"/communities/port/incidents/{world.incident}/edxl-rm/request-resource",
        f"/communities/port/incidents/{world.incident}/resource-request.html",
        "/communities/port/geojson",
    ):
        assert org.get(path).status_code == 403, path
        assert api_for(world.server, Role.OBSERVER, "port").get(path).status_code == 200, path
        assert api_for(world.server, Role.CADRE, "grid").get(path).status_code == 404, path
    unknown = world.osm.get("/communities/port/incidents/nope/edxl-rm/request-resource")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(
        "application/problem+json"
    )
    # No committed dispatch on the grid yet (priority 4 is not confirmed by itself): nothing to commit.
    none = world.grid.get(f"/communities/grid/incidents/{world.grid_incident}/edxl-rm/commit-resource")
    assert none.status_code == 409 and "没有确认的派单" in none.json()["detail"]


# -- GeoJSON -----------------------------------------------------------------------------------------------


def geojson(world: World) -> dict[str, Any]:
    response = world.osm.get("/communities/port/geojson")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    return json.loads(response.content)


def rfc7946_problems(doc: Any) -> list[str]:
    """What in ``doc`` breaks RFC 7946 (the rules a FeatureCollection of points and lines can break)."""
    found: list[str] = []

    def position(p: Any, where: str) -> None:
        if not (
            isinstance(p, list)
            and len(p) in (2, 3)
            and all(isinstance(x, int | float) and math.isfinite(x) for x in p)
        ):
            found.append(f"{where}: a position is 2 or 3 numbers, got {p!r}")
            return
        lon, lat = p[0], p[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            found.append(f"{where}: [longitude, latitude] out of range: {p!r}")

    def geometry(g: Any, where: str) -> None:
        if g is None:
            return
        kind = g.get("type") if isinstance(g, dict) else None
        if kind == "Point":
            position(g.get("coordinates"), where)
        elif kind == "LineString":
            line = g.get("coordinates")
            if not isinstance(line, list) or len(line) < 2:
                found.append(f"{where}: a LineString has two or more positions")
            else:
                for p in line:
                    position(p, where)
        else:
            found.append(f"{where}: unknown geometry {kind!r}")

    def bbox(value: Any, where: str) -> None:
        if value is not None and not (isinstance(value, list) and len(value) in (4, 6)):
            found.append(f"{where}: bbox has 2 x n numbers")

    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        return ["not a FeatureCollection with a features array"]
    if "crs" in doc:
        found.append("crs is not a member of RFC 7946 GeoJSON")
    bbox(doc.get("bbox"), "collection")
    for i, feature in enumerate(doc["features"]):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            found.append(f"{where}: not a Feature")
            continue
        if "geometry" not in feature or "properties" not in feature:
            found.append(f"{where}: a Feature has geometry and properties members")
        if "crs" in feature:
            found.append(f"{where}: crs")
        bbox(feature.get("bbox"), where)
        geometry(feature.get("geometry"), where)
    return found


def test_the_checker_can_fail() -> None:
    assert rfc7946_problems({"type": "FeatureCollection", "features": [], "crs": {}})
    assert rfc7946_problems(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [120.0, 95.0]},
                    "properties": {},
                }
            ],
        }
    )
    assert rfc7946_problems(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [[1, 2]]},
                    "properties": {},
                }
            ],
        }
    )
    assert rfc7946_problems(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}],
        }
    )


def test_the_board_as_geojson_keeps_rfc_7946(world: World) -> None:
    doc = geojson(world)
    assert rfc7946_problems(doc) == []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for f in doc["features"]:
        by_kind.setdefault(f["properties"]["kind"], []).append(f)
    needs = {f["properties"]["id"]: f["properties"] for f in by_kind["need"]}
    assert set(needs) == {world.life, world.water}
    assert needs[world.life]["capability_zh"] == "救生艇" and needs[world.life]["priority_zh"] == "生命安全"
    assert needs[world.life]["team_zh"] == ""
    assert {f["properties"]["id"] for f in by_kind["resource"]} == {"port-boat", "port-water"}
    # Each dispatch of the plan: a line from its unit's point to its need's point.
    points = {
        f["properties"]["id"]: f["geometry"]["coordinates"] for f in by_kind["need"] + by_kind["resource"]
    }
    for line in by_kind["dispatch"]:
        p = line["properties"]
        assert line["geometry"]["coordinates"] == [points[p["resource"]], points[p["need"]]]
        assert p["status_zh"]
    assert {f["properties"]["need"] for f in by_kind["dispatch"]} == {world.life, world.water}
    assert PHONE not in json.dumps(doc)


def test_a_grid_map_has_no_geojson_and_says_why(world: World) -> None:
    response = world.grid.get("/communities/grid/geojson")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "地图没有经纬度坐标 (grid map)" in response.json()["detail"]


# -- The printable resource request ---------------------------------------------------------------------


def test_the_resource_request_prints_one_page_per_open_need(world: World) -> None:
    response = world.osm.get(f"/communities/port/incidents/{world.incident}/resource-request.html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "资源请求单" in page and 'href="/resource-request.css"' in page
    assert re.findall(r'data-need="([^"]+)"', page) == sorted([world.life, world.water])
    assert "港湾社区" in page and "洪涝 2级响应" in page and "生命安全" in page and "救生艇" in page
    assert "社区 Community" in page and "街道 Street office" in page and "签字" in page
    # The life-safety need's unit is on its way or committed: its dispatch is listed; the proposal is not.
    # Asked, sent: the rows of each need's order.
    assert "<tr><td>1</td><td>救生艇</td><td>1</td>" in page
    assert "<tr><td>3</td><td>饮用水</td><td>0</td>" in page
    assert PHONE not in page and "王阿姨" not in page and "<script" not in page
    # People read it: no capability code, no map node.
    assert "rescue.boat" not in page and "supply.water" not in page
    assert not [n for n in world.nodes.values() if f">{n}<" in page]
    one = world.osm.get(
        f"/communities/port/incidents/{world.incident}/resource-request.html", params={"need": world.water}
    )
    assert re.findall(r'data-need="([^"]+)"', one.text) == [world.water]
    assert (
        world.osm.get(
            f"/communities/port/incidents/{world.incident}/resource-request.html", params={"need": "nope"}
        ).status_code
        == 404
    )
    css = world.osm.client.get(world.server.url + "/resource-request.css")
    assert css.status_code == 200 and "@page" in css.text and "A4" in css.text


def test_a_closed_incident_has_nothing_to_export(world: World) -> None:
    world.grid.ok("POST", f"/communities/grid/incidents/{world.grid_incident}/close")
    for suffix in ("edxl-rm/request-resource", "edxl-rm/commit-resource", "resource-request.html"):
        response = world.grid.get(f"/communities/grid/incidents/{world.grid_incident}/{suffix}")
        assert response.status_code == 409 and "已结束" in response.json()["detail"], suffix


# -- Labels ------------------------------------------------------------------------------------------------


def test_the_words_are_the_consoles() -> None:
    script = (ROOT / "api" / "console" / "i18n.js").read_text(encoding="utf-8").split("const EN", 1)[0]

    def table(name: str) -> dict[str, str]:
        match = re.search(rf"\b{name}:\s*\{{(.*?)\}}", script, re.S)
        assert match is not None, name
        return dict(re.findall(r'"?(\w+)"?:\s*"([^"]+)"', match.group(1)))

    assert table("priorities") == {str(k): v for k, v in labels.PRIORITIES.items()}
    assert table("kinds") == labels.INCIDENT_KINDS
    assert table("statuses") == labels.PROGRESS
