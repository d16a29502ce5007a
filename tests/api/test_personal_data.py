"""Residents' phones and names at rest: encrypted in the database with the operator's key, purged after the
retention period with the event log keeping its shape, and a wrong key stops the start with one line."""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.auth import Role
from tests.api.server import Api, Server, api_for, build_world, wait_for
from tests.launcher import launcher

PHONE, NAME = "13687654321", "李秀英"
REPORT = {
    "capability": "supply.water",
    "quantity": 1,
    "location": "g2_2",
    "priority": 2,
    "contact_phone": PHONE,
}
HOUSEHOLD = {
    "building": "b1",
    "address": "3单元502",
    "tags": ["elderly_alone"],
    "contact": NAME,
    "phone": PHONE,
}


def _on_disk(data_dir: Path) -> bytes:
    """Every byte SQLite keeps: the database file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in data_dir.glob("pingzhan.db*"))


def _setup(server: Server) -> tuple[Api, Api]:
    build_world(server)
    street = Api(server, server.token(Role.STREET, street="s1"))
    street.ok("PUT", "/communities/c1/grids/g1", {"name": "一网格"})
    street.ok("PUT", "/communities/c1/buildings/b1", {"name": "1号楼", "grid": "g1", "location": "g1_1"})
    street.ok("PUT", "/communities/c1/members/gw", {"name": "钱网格", "role": "grid_worker", "grid": "g1"})
    street.ok("PUT", "/communities/c1/households/hh1", HOUSEHOLD)
    return street, api_for(server, Role.CADRE)


def _grid_worker(server: Server) -> Api:
    """The one who visits hh1: the only one who sees its contact in clear."""
    return api_for(server, Role.GRID_WORKER, name="gw")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "data").start()
    yield server
    server.stop()


@pytest.fixture
def forgetful(tmp_path: Path) -> Iterator[Server]:
    """Keeps residents' contacts about 2.6 s past their time."""
    server = Server(tmp_path / "data", extra=["--pii-retention-days", "0.00003"]).start()
    yield server
    server.stop()


def test_the_database_holds_no_phone_or_name_in_clear_yet_cadres_read_them(served: Server) -> None:
    _, cadre = _setup(served)
    need = cadre.client.post(
        "/communities/c1/needs",
        json=REPORT,
        headers={"Idempotency-Key": "report-1"},
    )
    assert need.status_code == 201 and need.json()["contact_phone"] == PHONE
    assert PHONE.encode() not in _on_disk(served.data_dir)
    assert NAME.encode() not in _on_disk(served.data_dir)
    # Read back through the key, after a crash as well: nothing is lost by sealing it.
    served.kill()
    served.start()
    assert cadre.ok("GET", f"/communities/c1/needs/{need.json()['id']}")["contact_phone"] == PHONE
    visitor = _grid_worker(served).ok("GET", "/communities/c1/households/hh1")
    assert (visitor["phone"], visitor["contact"]) == (PHONE, NAME)
    again = cadre.client.post(
        "/communities/c1/needs",
        json=REPORT,
        headers={"Idempotency-Key": "report-1"},
    )
    assert again.json() == need.json()
    assert (served.data_dir / "pii.key").stat().st_mode & 0o777 == 0o600


def test_phones_and_names_are_purged_after_retention_and_the_log_keeps_its_events(forgetful: Server) -> None:
    served = forgetful
    street, cadre = _setup(served)
    incident = cadre.ok("POST", "/communities/c1/incidents", {"kind": "flood", "level": 2})["id"]
    need = cadre.ok("POST", "/communities/c1/needs", REPORT)["id"]
    # A resident's appeal with a phone for a call back: kept for the retention period after it came.
    [code] = cadre.ok("POST", "/communities/c1/codes", {})["codes"]
    sent = httpx.post(
        f"{served.url}/api/v1/public/buildings/{code['link'].rsplit('/r/', 1)[1]}/appeals",
        json={"kind": "repair", "note": "漏水", "phone": PHONE},
    )
    assert sent.status_code == 201, sent.text
    [appeal] = cadre.ok("GET", "/communities/c1/appeals")["appeals"]
    assert appeal["contact_phone"] == PHONE
    # Retention runs from the incident's close, not from the report: still there while the incident is open.
    assert cadre.ok("GET", f"/communities/c1/needs/{need}")["contact_phone"] == PHONE
    cadre.ok("POST", f"/communities/c1/incidents/{incident}/close")
    street.ok("DELETE", "/communities/c1/households/hh1")
    wait_for(lambda: cadre.ok("GET", f"/communities/c1/needs/{need}")["contact_phone"] is None, timeout=15)
    wait_for(
        lambda: cadre.ok("GET", f"/communities/c1/appeals/{appeal['id']}")["contact_phone"] is None,
        timeout=15,
    )
    log = cadre.ok("GET", "/communities/c1/events?type=need_reported")
    [reported] = [e for e in log if e["data"]["need"]["id"] == need]
    assert reported["data"]["contact_phone"] is None
    # The household's record is gone from the board; its saved event is still in the log, emptied of them.
    assert len(cadre.ok("GET", "/communities/c1/events?type=household_saved")) == 1
    # A restart rebuilds from the purged log: the phone does not come back.
    served.kill()
    served.start()
    assert cadre.ok("GET", f"/communities/c1/needs/{need}")["contact_phone"] is None
    assert cadre.ok("GET", f"/communities/c1/appeals/{appeal['id']}")["contact_phone"] is None
    text = _on_disk(served.data_dir)
    assert PHONE.encode() not in text and NAME.encode() not in text


def test_a_wrong_key_stops_the_start_with_one_line(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    _setup(server)
    server.stop()
    run = launcher.call(
        ["serve", "--data-dir", str(server.data_dir), "--port", "1"],
        env={**os.environ, "PINGZHAN_PII_KEY": "bm90LWEta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMtISE="},
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "PINGZHAN_PII_KEY" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
