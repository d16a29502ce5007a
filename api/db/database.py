"""One SQLAlchemy engine for SQLite (the embedded default) or PostgreSQL, chosen by URL."""

from pathlib import Path

from sqlalchemy import Engine, event
from sqlmodel import SQLModel, create_engine

from api.db import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from api.db.upgrade import upgrade
from api.private_files import private_dir, private_file


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'pingzhan.db').as_posix()}"


def connect(url: str) -> Engine:
    """The engine for ``url``, with every table created when missing."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        _private_sqlite(Path(url.removeprefix("sqlite:///")))
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # No ping before each use (a round trip each time, a sixth of a command's database time under load): a
        # connection the server dropped fails its statement, and SQLAlchemy then drops the whole pool.
        engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    upgrade(engine)
    return engine


def reading(engine: Engine) -> Engine:
    """The same pool, for reads of one statement: each statement its own transaction, with no BEGIN and
    ROLLBACK around it. Never for a write that must be whole."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _private_sqlite(path: Path) -> None:
    """The database file made mode 600 before SQLite opens it: SQLite gives its -wal and -shm files the
    database file's mode, so they are private too. Left over ones from a looser past are tightened."""
    private_dir(path.parent)
    private_file(path)
    for leftover in (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")):
        if leftover.exists():
            private_file(leftover)


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL keeps readers off the writer's back; FULL sync so that an acknowledged write survives a power cut.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
