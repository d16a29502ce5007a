"""``make run``'s service: the demo community loads, every printed token works, and a restart over the same
data folder comes back with the same community and tokens (the demo's profile has conditions and its map a
closed road, so this also proves those survive the event log)."""

import re
from pathlib import Path

import httpx

from tests.api.server import ROOT, Server
from tests.console.demo import demo_codes, raw_codes

DEMO = ROOT / "api" / "examples" / "flood.json"


def _tokens(server: Server) -> dict[str, str]:
    log = (server.data_dir / "server.log").read_text(encoding="utf-8")
    return dict(
        re.findall(
            r"^\s+\S+\s+(street|head|cadre|organisation|grid_worker|captain|observer)\s+(pz_\S+)$", log, re.M
        )
    )


def _get(server: Server, token: str, path: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_demo_serves_prints_working_tokens_and_survives_a_restart(tmp_path: Path) -> None:
    server = Server(tmp_path, extra=["--demo", str(DEMO)]).start()
    try:
        tokens = _tokens(server)
        assert sorted(tokens) == [
            "cadre",
            "captain",
            "grid_worker",
            "head",
            "observer",
            "organisation",
            "street",
        ]
        # The people file beside the demo: the head token is the head, the grid worker sees their grid only.
        head = _get(server, tokens["head"], "/me").json()
        assert head["member"]["role"] == "head" and head["role_zh"] == "社区书记"
        assert _get(server, tokens["cadre"], "/me").json()["member"]["role"] == "cadre"
        assert len(_get(server, tokens["cadre"], "/communities/qingshui/households").json()) == 7
        mine = _get(server, tokens["grid_worker"], "/communities/qingshui/households").json()
        assert {h["grid"] for h in mine} == {"grid1"} and len(mine) == 4
        building = _get(server, tokens["captain"], "/communities/qingshui/households").json()
        assert {h["building"] for h in building} == {"b12"}
        community = _get(server, tokens["cadre"], "/communities/qingshui").json()
        assert community["name"] == "清水社区" and community["profile"] == "strong_social_orgs"
        assert len(_get(server, tokens["cadre"], "/communities/qingshui/resources").json()) == 8
        assert _get(server, tokens["organisation"], "/communities/qingshui/assignments").status_code == 200
        # The pool's sheet names organisations, units, certifications and places: none of the demo's codes.
        sheet = _get(server, tokens["head"], "/communities/qingshui/pool.csv").content.decode("utf-8-sig")
        assert "蓝天救援队,社会组织,冲锋舟,救生艇,2,水上救援," in sheet
        assert raw_codes(sheet, demo_codes()) == []
        closed = _get(server, tokens["cadre"], "/communities/qingshui/roads/closed").json()
        assert closed and httpx.get(server.url + "/", timeout=10).text.startswith("<!doctype html>")
        events = _get(server, tokens["cadre"], "/communities/qingshui/events").json()
        server.stop()
        server.start()
        assert _tokens(server) == tokens  # printed again, the same ones
        assert _get(server, tokens["cadre"], "/communities/qingshui").json() == community
        assert (
            _get(server, tokens["cadre"], "/communities/qingshui/events").json() == events
        )  # not loaded twice
    finally:
        server.stop()
