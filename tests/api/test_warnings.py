"""Official warnings in: CAP 1.2 alerts (shaped as GB/T 35965.1 publishes them) by polygon, circle and
administrative code reach the communities they cover as proposals; Update replaces, Cancel withdraws,
accepting starts incident mode with the warning named; bad documents get a clear 422; a feed is polled."""

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.auth import Role
from api.cap.areas import AreaCodes, AreaCodesProblem
from api.cap.read import read_alert
from tests.api.server import ROOT, Api, Server, api_for, build_world, wait_for
from tests.cap_samples import MEDIA, SENDER, alert, geocode, warning_id

# The operator's table: street s1 by its code, c1 by its own, street s2.
CODES = "code,street,community,name\n440106001,s1,,一街道\n440106001001,s1,c1,一社区\n440106002,s2,,二街道\n"
# Around the OSM extract of community k1 (Kotka, 26.93–26.97 E, 60.52–60.54 N).
KOTKA_POLYGON = "<polygon>60.52,26.93 60.52,26.97 60.54,26.97 60.54,26.93 60.52,26.93</polygon>"
FAR_POLYGON = "<polygon>23.1,113.3 23.1,113.4 23.2,113.4 23.2,113.3 23.1,113.3</polygon>"


def ref(identifier: str) -> str:
    return f"<references>{SENDER},{identifier},2026-12-01T08:00:00+08:00</references>"


# What the webhook receiver was sent (the notifiers' JSON bodies), in order.
HOOKED: list[tuple[str, dict[str, Any]]] = []


@pytest.fixture(scope="module")
def feed_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A warning feed on 127.0.0.1 (the files of a folder, served as they are) and a webhook receiver."""
    folder = Path(tmp_path_factory.mktemp("feed"))
    (folder / "feed.xml").write_text('<feed xmlns="http://www.w3.org/2005/Atom"></feed>', encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, directory=str(folder), **kw)

        def do_POST(self) -> None:
            HOOKED.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, feed_dir: tuple[Path, str]) -> Iterator[Server]:
    data = Path(tmp_path_factory.mktemp("serve"))
    (data / "codes.csv").write_text(CODES, encoding="utf-8")
    shutil.copy(ROOT / "tests" / "data" / "test.osm.pbf", data / "kotka.osm.pbf")
    # c2's cadres and street s1's staff hear of proposals by a signed webhook (api/notifiers/).
    hooks = [
        {
            "id": f"{who}-hook",
            "street": "s1",
            "kind": "webhook",
            "url": f"{feed_dir[1]}/hook/{who}",
            "secret": "s",
            "to": to,
        }
        for who, to in (("cadres", {"cadres": ["c2"]}), ("street", {"street_staff": True}))
    ]
    (data / "notifiers.json").write_text(json.dumps({"notifiers": hooks}), encoding="utf-8")
    extra = [
        *("--area-codes", str(data / "codes.csv"), "--notifiers", str(data / "notifiers.json")),
        *("--cap-feed", f"{feed_dir[1]}/feed.xml", "--cap-poll-s", "1"),
    ]
    s = Server(data, extra=extra).start()
    build_world(s)
    town = {
        "id": "k1",
        "street": "s2",
        "name": "港口社区",
        "profile": "fast_test",
        "map": {"osm": {"path": "kotka.osm.pbf"}},
    }
    Api(s, s.token(Role.STREET, street="s2")).ok("POST", "/communities", town)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def system(server: Server) -> Api:
    return Api(server, server.token(Role.SYSTEM, name="预警平台"))


def send(api: Api, body: bytes) -> httpx.Response:
    return api.post("/warnings", content=body, headers=MEDIA)


def pending(api: Api, community: str) -> list[dict[str, Any]]:
    return api.ok("GET", f"/communities/{community}/warnings?pending=true")  # type: ignore[no-any-return]


def reached(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {c["community"] for c in answer.json()["communities"]}


def test_a_geocode_reaches_the_communities_of_its_code_as_a_proposal(server: Server, system: Api) -> None:
    answer = send(system, alert("geo-1", geocode("440106001001")))
    assert reached(answer) == {"c1"}
    cadre = api_for(server, Role.CADRE, "c1")
    [proposal] = pending(cadre, "c1")
    assert proposal["id"] == warning_id("geo-1")
    assert proposal["proposal"] == "暴雨红色预警覆盖本社区 — 启动应急模式？"
    assert proposal["suggested"] == {"kind": "flood", "level": 1, "level_zh": "Ⅰ级"}
    assert pending(api_for(server, Role.CADRE, "c2"), "c2") == []
    # The street's inbox holds it too, with its community.
    street = Api(server, server.token(Role.STREET, street="s1"))
    inbox = street.ok("GET", "/streets/s1/warnings?pending=true")
    assert [(w["community"], w["id"]) for w in inbox] == [("c1", warning_id("geo-1"))]
    # A street's code reaches every community of that street; the same alert again changes nothing.
    assert reached(send(system, alert("geo-2", geocode("440106001")))) == {"c1", "c2"}
    again = send(system, alert("geo-2", geocode("440106001")))
    assert reached(again) == {"c1", "c2"}
    assert [w["id"] for w in pending(cadre, "c1")] == [warning_id("geo-2"), warning_id("geo-1")]


def test_a_polygon_or_a_circle_reaches_a_community_whose_map_lies_in_it(server: Server, system: Api) -> None:
    assert reached(send(system, alert("poly-1", KOTKA_POLYGON))) == {"k1"}
    assert reached(send(system, alert("circle-1", "<circle>60.53,26.95 1.5</circle>"))) == {"k1"}
    # Far away (Guangzhou; a circle 5 km around Beijing): nobody. Grid maps have no places: only codes reach them.
    assert reached(send(system, alert("poly-far", FAR_POLYGON))) == set()
    assert reached(send(system, alert("circle-far", "<circle>39.9,116.4 5</circle>"))) == set()
    ids = [w["id"] for w in pending(Api(server, server.token(Role.STREET, street="s2")), "k1")]
    assert ids == [warning_id("circle-1"), warning_id("poly-1")]


def test_an_update_replaces_and_a_cancel_withdraws(server: Server, system: Api) -> None:
    cadre = api_for(server, Role.CADRE, "c2")
    send(system, alert("upd-1", geocode("440106001")))
    updated = send(
        system,
        alert("upd-2", geocode("440106001"), msg_type="Update", references=ref("upd-1"), severity="Severe"),
    )
    assert reached(updated) == {"c1", "c2"}
    listed = {w["id"]: w for w in cadre.ok("GET", "/communities/c2/warnings")}
    assert listed[warning_id("upd-1")]["status"] == "superseded"
    assert (
        listed[warning_id("upd-2")]["status"] == "open"
        and listed[warning_id("upd-2")]["title"] == "暴雨橙色预警"
    )
    assert listed[warning_id("upd-2")]["suggested"]["level"] == 2 and listed[warning_id("upd-2")][
        "replaces"
    ] == [warning_id("upd-1")]
    cancel = alert("upd-3", geocode("440106001"), msg_type="Cancel", references=ref("upd-2"))
    assert reached(send(system, cancel)) == {"c1", "c2"}
    listed = {w["id"]: w for w in cadre.ok("GET", "/communities/c2/warnings")}
    assert listed[warning_id("upd-2")]["status"] == "cancelled" and not listed[warning_id("upd-2")]["pending"]
    assert warning_id("upd-2") not in {w["id"] for w in pending(cadre, "c2")}


def test_accepting_starts_incident_mode_with_the_warning_named(server: Server, system: Api) -> None:
    send(system, alert("acc-1", geocode("440106002")))
    cadre = api_for(server, Role.CADRE, "c3")
    path = f"/communities/c3/warnings/{quote(warning_id('acc-1'), safe='')}"
    # An organisation may neither read nor decide; an observer reads but does not decide.
    assert api_for(server, Role.ORGANISATION, "c3").post(f"{path}/accept", json={}).status_code == 403
    assert api_for(server, Role.OBSERVER, "c3").post(f"{path}/accept", json={}).status_code == 403
    accepted = cadre.ok("POST", f"{path}/accept", {})
    assert accepted["status"] == "accepted" and accepted["incident"]
    incident = cadre.ok("GET", f"/communities/c3/incidents/{accepted['incident']}")
    assert (incident["kind"], incident["level"], incident["warning"]) == ("flood", 1, warning_id("acc-1"))
    assert incident["closed_at"] is None
    logged = cadre.ok("GET", "/communities/c3/events")
    started = [e for e in logged if e["type"] == "incident_triggered"]
    assert started[-1]["data"]["warning"] == warning_id("acc-1")
    # Decided once: a second answer is a conflict and changes nothing.
    assert cadre.post(f"{path}/dismiss", json={}).status_code == 409
    cadre.ok("POST", f"/communities/c3/incidents/{accepted['incident']}/close")


def test_dismissing_takes_the_proposal_off_the_bar(server: Server, system: Api) -> None:
    send(system, alert("dis-1", geocode("440106001001")))
    cadre = api_for(server, Role.CADRE, "c1")
    path = f"/communities/c1/warnings/{quote(warning_id('dis-1'), safe='')}"
    done = cadre.ok("POST", f"{path}/dismiss", {"note": "雨已转小"})
    assert (done["status"], done["status_zh"], done["note"]) == ("dismissed", "暂不启动", "雨已转小")
    assert warning_id("dis-1") not in {w["id"] for w in pending(cadre, "c1")}
    assert cadre.ok("GET", "/communities/c1")["incident"] is None


def test_who_may_send_a_warning(server: Server) -> None:
    body = alert("who-1", geocode("440106001"))
    assert send(api_for(server, Role.CADRE, "c1"), body).status_code == 403
    # Street staff of s2 reach s2 only, even with a code of s1.
    s2 = Api(server, server.token(Role.STREET, street="s2"))
    assert reached(send(s2, body)) == set()
    assert send(s2, body).status_code == 200
    # A system token is refused everywhere else.
    system = Api(server, server.token(Role.SYSTEM, name="预警平台"))
    assert system.get("/communities/c1").status_code == 404
    assert system.get("/streets/s1/warnings").status_code in (403, 404)


@pytest.mark.parametrize(
    ("body", "place", "words"),
    [
        (
            b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>x</identifier>",
            "line",
            "not well-formed",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'>&lol2;</alert>",
            "DOCTYPE",
            "DTD",
        ),
        (
            alert("ns-1", geocode("440106001")).replace(b"emergency:cap:1.2", b"emergency:cap:1.1"),
            "line",
            "expected 'alert' in namespace",
        ),
        (
            alert("exp-1", geocode("440106001"), expires="2020-01-01T08:00:00+08:00"),
            "info/expires",
            "expired",
        ),
        (alert("sch-1", geocode("440106001"), severity="Catastrophic"), "line", "severity"),
        (alert("poly-bad", "<polygon>60.52,26.93 60.52,26.97</polygon>"), "polygon", "≥4 points"),
    ],
    ids=["bad-xml", "entity-expansion", "wrong-namespace", "expired", "schema", "polygon"],
)
def test_a_bad_document_is_a_clear_422(system: Api, body: bytes, place: str, words: str) -> None:
    answer = send(system, body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert place in problem["field"] and words in problem["detail"], problem


def test_a_test_alert_is_recorded_as_ignored(system: Api) -> None:
    answer = send(system, alert("t-1", geocode("440106001"), status="Test"))
    assert answer.status_code == 200 and answer.json()["ignored"].startswith("status Test")
    assert answer.json()["communities"] == []


def test_the_feed_is_polled_and_its_new_alerts_delivered(server: Server, feed_dir: tuple[Path, str]) -> None:
    """An Atom feed: one entry links an alert, one carries an alert inline, one links an expired alert (refused,
    and the others still delivered)."""
    folder, _ = feed_dir
    (folder / "a1.xml").write_bytes(alert("feed-1", geocode("440106002")))
    (folder / "old.xml").write_bytes(
        alert("feed-old", geocode("440106002"), expires="2020-01-01T08:00:00+08:00")
    )
    inline = alert("feed-2", geocode("440106002")).decode().split("?>", 1)[1]
    (folder / "feed.xml").write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        '<entry><id>0</id><link href="old.xml"/></entry>'
        '<entry><id>1</id><link href="a1.xml"/></entry>'
        f'<entry><id>2</id><content type="application/cap+xml">{inline}</content></entry></feed>',
        encoding="utf-8",
    )
    cadre = api_for(server, Role.CADRE, "c3")
    wanted = {warning_id("feed-1"), warning_id("feed-2")}
    wait_for(lambda: wanted <= {w["id"] for w in pending(cadre, "c3")}, timeout=15)
    assert warning_id("feed-old") not in {w["id"] for w in cadre.ok("GET", "/communities/c3/warnings")}


def test_a_proposal_reaches_the_cadres_and_the_street_by_their_notifiers(server: Server, system: Api) -> None:
    # Blue (Minor) and yellow (Moderate) only here: no other test's notices can be taken for these.
    send(system, alert("note-0", geocode("440106001"), severity="Moderate", status="Test"))
    send(system, alert("note-1", geocode("440106001"), severity="Minor"))

    def told(path: str, colour: str) -> list[dict[str, Any]]:
        return [
            b for p, b in HOOKED if p == path and b["kind"] == "warning_proposed" and colour in b["title"]
        ]

    # c2's cadres (their webhook is c2's only), and the street for each of c1 and c2.
    [cadres] = wait_for(lambda: told("/hook/cadres", "蓝色"), timeout=15)
    assert (cadres["title"], cadres["community"]) == ("暴雨蓝色预警覆盖本社区 — 启动应急模式？", "c2")
    assert cadres["link"].endswith("#c=c2") and "天河区气象台" in cadres["text"]
    street = wait_for(
        lambda: len(told("/hook/street", "蓝色")) == 2 and told("/hook/street", "蓝色"), timeout=15
    )
    assert sorted(b["title"] for b in street) == [
        "暴雨蓝色预警覆盖c1社区 — 启动应急模式？",
        "暴雨蓝色预警覆盖c2社区 — 启动应急模式？",
    ]
    # The test alert, sent first, recorded nothing and told nobody.
    assert told("/hook/cadres", "黄色") == told("/hook/street", "黄色") == []


def test_the_demos_warning_reads_and_its_code_is_the_demos_community() -> None:
    """`make run` serves the demo with api/examples/area-codes.csv; the README sends it
    api/examples/rainstorm-warning.xml."""
    examples = ROOT / "api" / "examples"
    alert = read_alert((examples / "rainstorm-warning.xml").read_bytes(), datetime.now(UTC))
    assert alert.warning is not None and alert.warning.expires is None
    codes = AreaCodes.read(examples / "area-codes.csv")
    [(_, value)] = alert.areas[0].geocodes
    assert [(r.street, r.community) for r in codes.matching(value)] == [("hexi", "qingshui")]
    demo = json.loads((examples / "flood.json").read_text(encoding="utf-8"))["community"]
    assert (demo["street"], demo["id"]) == ("hexi", "qingshui")


def test_a_bad_area_codes_table_names_its_line() -> None:
    with pytest.raises(AreaCodesProblem, match=r"codes\.csv:3: code must be digits \(got '44x'\)"):
        AreaCodes.parse("code,street,community,name\n4401,s1,,\n44x,s1,,\n", "codes.csv")
    with pytest.raises(AreaCodesProblem, match=r"codes\.csv:1: the header must be"):
        AreaCodes.parse("code,street\n", "codes.csv")
