"""A database made by an earlier version, brought up to the tables of this one when the service starts.

``create_all`` makes missing tables (the outbox of notifications, api/notifiers/, among them) but never changes
one that exists. The changes so far are new nullable
columns, which are added here with their indexes, and the token's ``revoked`` flag becoming ``revoked_at``/``revoked_by``: a token
revoked under the old flag stays revoked.
"""

from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel


def upgrade(engine: Engine) -> None:
    # Read and change on one connection: reading the catalogue on another would wait, on PostgreSQL, for the
    # lock this transaction's first ALTER TABLE holds.
    with engine.begin() as connection:
        found = inspect(connection)
        columns = {
            t.name: {c["name"] for c in found.get_columns(t.name)} for t in SQLModel.metadata.sorted_tables
        }
        for table in SQLModel.metadata.sorted_tables:
            have = columns[table.name]
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    connection.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
            # The index of a column added above (EventRow.partition): create_all makes indexes of new tables only.
            for index in table.indexes:
                index.create(connection, checkfirst=True)
        if "revoked" in columns["api_token"]:
            connection.execute(
                text(
                    "UPDATE api_token SET revoked_at = created_at, revoked_by = 'revoked before upgrade' "
                    "WHERE revoked AND revoked_at IS NULL"
                )
            )
            connection.execute(text('ALTER TABLE api_token DROP COLUMN "revoked"'))
