"""A database written by the version before token revocation and the id table starts under this one, on
SQLite and on PostgreSQL."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from api.auth import principal_for
from api.db.database import connect
from tests.api.conftest import POSTGRES_URL, postgres_reachable

OLD_TOKENS = """CREATE TABLE api_token (
    id {serial} PRIMARY KEY, token_hash VARCHAR(64) NOT NULL UNIQUE, role VARCHAR(32) NOT NULL,
    street VARCHAR(128), community VARCHAR(128), organisation VARCHAR(128), grid VARCHAR(128),
    name VARCHAR(200) NOT NULL, created_at TIMESTAMP NOT NULL, revoked BOOLEAN NOT NULL)"""
# A schema of its own on the shared test database, so other modules' tables are not touched.
SCHEMA = "pingzhan_upgrade_test"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{SCHEMA}"
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_an_old_database_keeps_its_revoked_tokens_revoked_and_its_others_working(old_url: str) -> None:
    raw = create_engine(old_url.replace("postgresql://", "postgresql+psycopg://"))
    sqlite = old_url.startswith("sqlite")
    with raw.begin() as old:
        old.execute(text(OLD_TOKENS.format(serial="INTEGER" if sqlite else "SERIAL")))
        for token, revoked in (("pz_kept", False), ("pz_gone", True)):
            old.execute(
                text(
                    "INSERT INTO api_token (token_hash, role, street, name, created_at, revoked)"
                    " VALUES (:h, 'street', 's1', 'x', '2026-01-01 00:00:00', :r)"
                ),
                {"h": _hash(token), "r": revoked},
            )
    raw.dispose()
    for _ in range(2):  # starting again changes nothing more
        engine = connect(old_url)
        kept = principal_for(engine, "pz_kept")
        assert kept is not None and kept.street == "s1"
        assert principal_for(engine, "pz_gone") is None
        engine.dispose()
