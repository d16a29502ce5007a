"""Tokens and who holds them: a role, and the street, community, organisation or grid it is bound to."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.db.database import reading
from api.db.tables import TokenRow


class Role(StrEnum):
    STREET = "street"  # 街道工作人员
    CADRE = "cadre"  # 社区干部
    ORGANISATION = "organisation"  # 组织联络人
    GRID_WORKER = "grid_worker"  # 网格员
    CAPTAIN = "captain"  # 楼栋长
    OBSERVER = "observer"  # 观察员（只读）
    # A resident on their building's page: no token, ever (see TOKEN_ROLES); their appeal names the building.
    RESIDENT = "resident"  # 居民
    # Another system that sends official warnings in (api/routes/warnings.py), and nothing else: it sees no
    # community. With --street, its warnings reach that street's communities only.
    SYSTEM = "system"  # 对接系统


# The roles a token may be made for.
TOKEN_ROLES = tuple(r for r in Role if r is not Role.RESIDENT)

ROLE_ZH = {
    Role.STREET: "街道工作人员",
    Role.CADRE: "社区干部",
    Role.ORGANISATION: "组织联络人",
    Role.GRID_WORKER: "网格员",
    Role.CAPTAIN: "楼栋长",
    Role.OBSERVER: "观察员",
    Role.RESIDENT: "居民",
    Role.SYSTEM: "对接系统",
}


@dataclass(frozen=True)
class Principal:
    id: int
    role: Role
    street: str | None
    community: str | None
    organisation: str | None
    grid: str | None
    name: str

    @property
    def owner(self) -> str:
        """Whose idempotency keys these are: a token's id; for residents, who share no token, their building's
        link (a key is random per submission, and the request's hash must match too)."""
        return f"resident:{self.community}:{self.name}" if self.role is Role.RESIDENT else str(self.id)

    @property
    def subject(self) -> str:
        """How the event log names this person."""
        return f"{self.role.value}:{self.name or self.id}"


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_binding(
    role: Role, street: str | None, community: str | None, organisation: str | None
) -> str | None:
    """What is missing for ``role`` (None: the binding is complete)."""
    if role is Role.STREET and not street:
        return "a street token needs --street"
    if role in (Role.CADRE, Role.GRID_WORKER, Role.CAPTAIN) and not community:
        return f"a {role.value} token needs --community"
    if role is Role.ORGANISATION and not (organisation and (community or street)):
        return (
            "an organisation token needs --organisation and --community "
            "(or --street for an organisation of the street's own pool)"
        )
    if role is Role.OBSERVER and not (community or street):
        return "an observer token needs --community or --street"
    return None


def create_token(
    engine: Engine,
    *,
    role: Role,
    at: datetime,
    street: str | None = None,
    community: str | None = None,
    organisation: str | None = None,
    grid: str | None = None,
    name: str = "",
) -> str:
    """A new random token; only its hash is stored, so this is the one time it can be shown."""
    problem = check_binding(role, street, community, organisation)
    if problem is not None:
        raise ValueError(problem)
    token, row = new_token(role.value, at, street, community, organisation, grid, name)
    with Session(engine) as session:
        session.add(row)
        session.commit()
    return token


def new_token(
    role: str,
    at: datetime,
    street: str | None,
    community: str | None,
    organisation: str | None,
    grid: str | None,
    name: str,
) -> tuple[str, TokenRow]:
    """A random token and the row that keeps its hash, for the caller to write (a sign-in link writes it in
    the transaction that uses the link up)."""
    token = "pz_" + secrets.token_urlsafe(24)
    row = TokenRow(
        token_hash=hash_secret(token),
        role=role,
        street=street,
        community=community,
        organisation=organisation,
        grid=grid,
        name=name,
        created_at=at,
    )
    return token, row


_TOKENS = TokenRow.__table__  # type: ignore[attr-defined]
# Every request reads its token (a revocation counts at once): one plain row, not an ORM object, costs a
# fifth as much.
_PRINCIPAL = sa_select(
    _TOKENS.c.id,
    _TOKENS.c.role,
    _TOKENS.c.street,
    _TOKENS.c.community,
    _TOKENS.c.organisation,
    _TOKENS.c.grid,
    _TOKENS.c.name,
    _TOKENS.c.revoked_at,
).where(_TOKENS.c.token_hash == bindparam("token_hash"))


def principal_for(engine: Engine, token: str) -> Principal | None:
    with reading(engine).connect() as connection:
        row = connection.execute(_PRINCIPAL, {"token_hash": hash_secret(token)}).first()
    if row is None or row.revoked_at is not None or row.id is None:
        return None
    return Principal(row.id, Role(row.role), row.street, row.community, row.organisation, row.grid, row.name)


# -- listing and revoking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPublic:
    """What ``pingzhan token list`` and the tokens API show of a token: never the token, nor its hash."""

    id: int
    role: Role
    street: str | None
    community: str | None
    organisation: str | None
    grid: str | None
    name: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None


@dataclass(frozen=True)
class TokenScope:
    """The tokens one street gives out to its own staff and observers, or the tokens of one community.

    A street-level token is known by its role, as :func:`api.access.sees_community` knows it: a street token,
    or an observer bound to no community. Every other token belongs to the community on it.
    """

    street: str | None = None
    community: str | None = None

    def holds(self, row: TokenRow) -> bool:
        street_level = row.role == Role.STREET or (row.role == Role.OBSERVER and row.community is None)
        if self.street is not None:
            return street_level and row.street == self.street
        return not street_level and row.community == self.community


def as_utc(at: datetime) -> datetime:
    # SQLite and a plain TIMESTAMP column hand back the stored UTC time without its zone.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _public(row: TokenRow) -> TokenPublic:
    assert row.id is not None
    return TokenPublic(
        id=row.id,
        role=Role(row.role),
        street=row.street,
        community=row.community,
        organisation=row.organisation,
        grid=row.grid,
        name=row.name,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at is not None else None,
        revoked_by=row.revoked_by,
    )


def list_tokens(engine: Engine, scope: TokenScope | None = None) -> list[TokenPublic]:
    """Every token (of ``scope``), revoked ones included, oldest first."""
    query = select(TokenRow).order_by(col(TokenRow.id))
    if scope is not None:
        query = query.where(
            TokenRow.street == scope.street
            if scope.street is not None
            else TokenRow.community == scope.community
        )
    with Session(engine) as session:
        rows = session.exec(query).all()
    return [_public(row) for row in rows if scope is None or scope.holds(row)]


def revoke_token(
    engine: Engine, token_id: int, *, by: str, at: datetime, scope: TokenScope | None = None
) -> TokenPublic | None:
    """Revoke a token (of ``scope``; None: there is no such token there). Revoking it again changes nothing:
    the first revocation's time and author stand, even when two arrive at once."""
    with Session(engine) as session:
        row = session.get(TokenRow, token_id)
        if row is None or (scope is not None and not scope.holds(row)):
            return None
        session.exec(
            update(TokenRow)
            .where(col(TokenRow.id) == token_id, col(TokenRow.revoked_at).is_(None))
            .values(revoked_at=at, revoked_by=by)
        )
        session.commit()
        session.refresh(row)
        return _public(row)


def token_revoked(engine: Engine, token_id: int) -> bool:
    with Session(engine) as session:
        row = session.get(TokenRow, token_id)
    return row is None or row.revoked_at is not None
