"""Tokens and who holds them: a role, and the street, community, organisation or grid it is bound to."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, select

from api.db.tables import TokenRow


class Role(StrEnum):
    STREET = "street"  # 街道工作人员
    CADRE = "cadre"  # 社区干部
    ORGANISATION = "organisation"  # 组织联络人
    GRID_WORKER = "grid_worker"  # 网格员
    CAPTAIN = "captain"  # 楼栋长
    OBSERVER = "observer"  # 观察员（只读）


ROLE_ZH = {
    Role.STREET: "街道工作人员",
    Role.CADRE: "社区干部",
    Role.ORGANISATION: "组织联络人",
    Role.GRID_WORKER: "网格员",
    Role.CAPTAIN: "楼栋长",
    Role.OBSERVER: "观察员",
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
    def subject(self) -> str:
        """How the event log names this person."""
        return f"{self.role.value}:{self.name or self.id}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_binding(
    role: Role, street: str | None, community: str | None, organisation: str | None
) -> str | None:
    """What is missing for ``role`` (None: the binding is complete)."""
    if role is Role.STREET and not street:
        return "a street token needs --street"
    if role in (Role.CADRE, Role.GRID_WORKER, Role.CAPTAIN) and not community:
        return f"a {role.value} token needs --community"
    if role is Role.ORGANISATION and not (community and organisation):
        return "an organisation token needs --community and --organisation"
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
    token = "pz_" + secrets.token_urlsafe(24)
    row = TokenRow(
        token_hash=_hash(token),
        role=role.value,
        street=street,
        community=community,
        organisation=organisation,
        grid=grid,
        name=name,
        created_at=at,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
    return token


def principal_for(engine: Engine, token: str) -> Principal | None:
    with Session(engine) as session:
        row = session.exec(select(TokenRow).where(TokenRow.token_hash == _hash(token))).first()
    if row is None or row.revoked or row.id is None:
        return None
    return Principal(row.id, Role(row.role), row.street, row.community, row.organisation, row.grid, row.name)
