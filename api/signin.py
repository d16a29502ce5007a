"""One-time sign-in links: street staff or a community's head make one for a person, who opens it (or scans its
QR code) and is signed in with a token of their own, with no token to type.

The code is short-lived (a day) and single-use, and only its hash is kept. Using it up and writing the token it
gives happen in one transaction, and the update that marks it used only succeeds for a code not yet used: two
phones opening the same link at once get one token between them.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from api.auth import Role, as_utc, check_binding, hash_secret, new_token
from api.db.tables import SigninCodeRow

# Long enough to hand out a printed QR code in the morning and have it scanned that evening.
LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Made:
    code: str
    expires_at: datetime


def make_code(
    engine: Engine,
    *,
    role: Role,
    at: datetime,
    made_by: str,
    street: str | None = None,
    community: str | None = None,
    organisation: str | None = None,
    grid: str | None = None,
    name: str = "",
) -> Made:
    """A new code for a token with this binding; the code is shown this once."""
    problem = check_binding(role, street, community, organisation)
    if problem is not None:
        raise ValueError(problem)
    # 16 random bytes: as hard to guess as a token, and short enough for a QR code a phone reads at arm's length.
    code = secrets.token_urlsafe(16)
    row = SigninCodeRow(
        code_hash=hash_secret(code),
        role=role.value,
        street=street,
        community=community,
        organisation=organisation,
        grid=grid,
        name=name,
        made_by=made_by,
        created_at=at,
        expires_at=at + LIFETIME,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
    return Made(code, at + LIFETIME)


def use_code(engine: Engine, code: str, at: datetime) -> str | None:
    """The new token the code gives, or None: no such code, used already, or expired."""
    with Session(engine) as session:
        row = session.exec(select(SigninCodeRow).where(SigninCodeRow.code_hash == hash_secret(code))).first()
        if row is None or row.used_at is not None or as_utc(row.expires_at) <= at:
            return None
        token, token_row = new_token(
            row.role, at, row.street, row.community, row.organisation, row.grid, row.name
        )
        session.add(token_row)
        session.flush()
        used = session.exec(
            update(SigninCodeRow)
            .where(col(SigninCodeRow.id) == row.id, col(SigninCodeRow.used_at).is_(None))
            .values(used_at=at, token_id=token_row.id)
        )
        if used.rowcount != 1:
            # Another request used it a moment ago: its token stands, this one is never written.
            session.rollback()
            return None
        session.commit()
    return token
