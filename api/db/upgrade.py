"""A database made by an earlier version, brought up to the tables of this one when the service starts.

``create_all`` makes missing tables but never changes one that exists. The changes so far are new nullable
columns, which are added here, and the token's ``revoked`` flag becoming ``revoked_at``/``revoked_by``: a token
revoked under the old flag stays revoked.
"""

from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel


def upgrade(engine: Engine) -> None:
    found = inspect(engine)
    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            have = {c["name"] for c in found.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    connection.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
        tokens = {c["name"] for c in found.get_columns("api_token")}
        if "revoked" in tokens:
            connection.execute(
                text(
                    "UPDATE api_token SET revoked_at = created_at, revoked_by = 'revoked before upgrade' "
                    "WHERE revoked AND revoked_at IS NULL"
                )
            )
            connection.execute(text('ALTER TABLE api_token DROP COLUMN "revoked"'))
