"""A database written by the version before token revocation and the id table starts under this one."""

import hashlib
import sqlite3
from pathlib import Path

from api.auth import principal_for
from api.db.database import connect

OLD_TOKENS = """CREATE TABLE api_token (
    id INTEGER NOT NULL PRIMARY KEY, token_hash VARCHAR(64) NOT NULL UNIQUE, role VARCHAR(32) NOT NULL,
    street VARCHAR(128), community VARCHAR(128), organisation VARCHAR(128), grid VARCHAR(128),
    name VARCHAR(200) NOT NULL, created_at DATETIME NOT NULL, revoked BOOLEAN NOT NULL)"""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_an_old_database_keeps_its_revoked_tokens_revoked_and_its_others_working(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute(OLD_TOKENS)
        for token, revoked in (("pz_kept", 0), ("pz_gone", 1)):
            old.execute(
                "INSERT INTO api_token (token_hash, role, street, name, created_at, revoked)"
                " VALUES (?, 'street', 's1', 'x', '2026-01-01 00:00:00', ?)",
                (_hash(token), revoked),
            )
    engine = connect(f"sqlite:///{path}")
    kept = principal_for(engine, "pz_kept")
    assert kept is not None and kept.street == "s1"
    assert principal_for(engine, "pz_gone") is None
    # Starting again changes nothing more.
    engine.dispose()
    engine = connect(f"sqlite:///{path}")
    assert principal_for(engine, "pz_gone") is None and principal_for(engine, "pz_kept") is not None
    engine.dispose()
