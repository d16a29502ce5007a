"""What each pytest-xdist worker keeps to itself when the suite runs in parallel (``-n``, set in pyproject.toml).

The machine's PostgreSQL databases are named per worker (``test_gw0``, ``scale_fence_gw1``), so that a module
emptying its database never drops tables under another worker's servers. A run without xdist uses the plain
names, as before.
"""

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# "gw0", "gw1", … in an xdist worker; absent in a plain run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def own(name: str) -> str:
    """``name`` for this worker alone."""
    return f"{name}_{WORKER}" if WORKER else name


def own_url(url: str) -> str:
    """A PostgreSQL ``url`` whose database is renamed for this worker alone."""
    parsed = make_url(url)
    return parsed.set(database=own(parsed.database or "")).render_as_string(hide_password=False)


def made_database(url: str, admin: str) -> str:
    """``url``, its database made first when missing, through ``admin`` (a database that exists on the same
    server: CREATE DATABASE cannot run inside the database it makes)."""
    name = make_url(url).database
    engine = create_engine(admin.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            known = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if known.first() is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url
