"""Each test module gets its own server process, database and world."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from api.db.database import connect
from tests.api.server import Server, build_world
from tests.isolation import made_database, own_url

# Made on this PostgreSQL server, named for the xdist worker (tests/isolation.py), when first reached.
SHARED_POSTGRES_URL = os.environ.get("PINGZHAN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
POSTGRES_URL = own_url(SHARED_POSTGRES_URL)


def postgres_reachable() -> bool:
    try:
        engine = connect(made_database(POSTGRES_URL, admin=SHARED_POSTGRES_URL))
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def reset_postgres() -> None:
    engine = connect(made_database(POSTGRES_URL, admin=SHARED_POSTGRES_URL))
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(Path(tmp_path_factory.mktemp("serve"))).start()
    build_world(s)
    yield s
    s.stop()
