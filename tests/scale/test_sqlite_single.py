"""Embedded SQLite has one server: a second ``serve`` on the same data folder refuses to start, saying which
database in one line, and the first keeps serving."""

from pathlib import Path

from api.auth import Role
from tests.api.server import MAP, Api, Server, free_port
from tests.launcher import launcher


def test_a_second_server_on_one_sqlite_file_refuses_to_start(tmp_path: Path, started: list[Server]) -> None:
    first = Server(tmp_path)
    started.append(first)
    first.start()
    second = launcher.call(["serve", "--port", str(free_port()), "--data-dir", str(tmp_path)], timeout=120)
    assert second.returncode == 2, (second.returncode, second.stdout, second.stderr)
    [said] = second.stderr.strip().splitlines()
    database = tmp_path / "pingzhan.db"
    assert said.startswith(f"pingzhan: {database}: another pingzhan serve already uses this database"), said
    # The first is untouched: it still reads and writes.
    street = Api(first, first.token(Role.STREET, street="s1"))
    street.ok(
        "POST",
        "/communities",
        {"id": "c1", "street": "s1", "name": "c1社区", "profile": "fast_test", "map": MAP},
    )
    assert [c["id"] for c in street.ok("GET", "/communities")] == ["c1"]
