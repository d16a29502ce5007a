"""A demo community for ``make run``: loaded once from a problem file (and, beside it, its people, grids,
buildings and households), with a token for each role."""

import json
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine

from api.appeal_codes import new_building_code
from api.auth import Principal, Role, create_token, principal_for
from api.errors import InputError, describe_validation
from api.private_files import private_dir, write_private
from api.profiles import named_profile
from api.service import Service
from engine.coordinator import Command, RegisterCommunity, RegisterOrganisation, SaveResource
from engine.governance.commands import IssueBuildingCodes, SaveBuilding, SaveGrid, SaveHousehold, SaveMember
from engine.governance.people import Building, Grid, Household, Member, MemberRole
from engine.matching.document import ProblemDocument
from engine.model import Organisation, OrganisationKind
from engine.model.frozen import Frozen

TOKENS_FILE = "demo-tokens.json"
# The printed name of each demo token; "head" is a cadre token whose roster entry makes them the head.
DEMO_ROLES = {
    "street": "街道工作人员",
    "head": "社区书记",
    "cadre": "社区干部",
    "organisation": "组织联络人",
    "grid_worker": "网格员",
    "captain": "楼栋长",
    "observer": "观察员",
}


class DemoPeople(Frozen):
    """``NAME.people.json`` beside a demo ``NAME.json``: who works in the community and who lives there."""

    grids: tuple[Grid, ...] = ()
    buildings: tuple[Building, ...] = ()
    members: tuple[Member, ...] = ()
    households: tuple[Household, ...] = ()


def people_path(path: Path) -> Path:
    return path.with_suffix(".people.json")


def read_people(path: Path) -> DemoPeople:
    """The demo's people file, or nobody when there is none."""
    people = people_path(path)
    if not people.exists():
        return DemoPeople()
    try:
        return DemoPeople.model_validate_json(people.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{people}: cannot read: {exc.strerror}") from None
    except ValidationError as exc:
        raise InputError(describe_validation(str(people), exc)) from None


def read_demo(path: Path) -> ProblemDocument:
    try:
        document = ProblemDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except ValidationError as exc:
        raise InputError(describe_validation(str(path), exc)) from None
    if document.community is None:
        raise InputError(f"{path}: community: a demo needs a community")
    return document


async def load_demo(service: Service, path: Path) -> None:
    """Register the file's community, organisations and resources, unless a restart finds them there."""
    document = read_demo(path)
    people = read_people(path)
    community = document.community
    assert community is not None
    if service.board(community.id) is not None:
        return
    setup = Principal(0, Role.STREET, community.street, None, None, None, "demo")
    profile = named_profile(community.profile, service.profile_dir)
    register = RegisterCommunity(community=community, profile=profile, map=document.travel)
    await service.execute(community.id, register, setup, _none)
    organisations = document.organisations or tuple(
        Organisation(id=o, kind=OrganisationKind.VOLUNTEER_TEAM, community=community.id)
        for o in sorted({r.organisation for r in document.resources})
    )
    commands: list[Command] = [
        *(
            RegisterOrganisation(organisation=o.model_copy(update={"community": community.id}))
            for o in organisations
        ),
        *(SaveResource(resource=r) for r in document.resources),
        *(SaveGrid(grid=g) for g in people.grids),
        *(SaveBuilding(building=b) for b in people.buildings),
        *(SaveMember(member=m) for m in people.members),
        *(SaveHousehold(household=h) for h in people.households),
    ]
    if people.buildings:
        # Every building's QR link, so the residents' page opens from the codes page at once.
        links = tuple((b.id, new_building_code()) for b in people.buildings)
        commands.append(IssueBuildingCodes(codes=links))
    # One transaction: a demo is loaded whole or (after a failure) not at all but its registration.
    await service.execute_many([(community.id, c) for c in commands], setup, _none)


def _none(*_: object) -> tuple[int, None]:
    return 200, None


def demo_tokens(engine: Engine, path: Path, data_dir: Path, at: datetime) -> dict[str, str]:
    """One token per role for the demo community, made on first start and kept in the data folder."""
    saved = data_dir / TOKENS_FILE
    if saved.exists():
        tokens: dict[str, str] = json.loads(saved.read_text(encoding="utf-8"))
        # The same folder may now point at another database: keep the tokens only if they still work.
        if set(tokens) == set(DEMO_ROLES) and all(
            principal_for(engine, t) is not None for t in tokens.values()
        ):
            return tokens
    document = read_demo(path)
    community = document.community
    assert community is not None
    organisations = document.organisations
    first_org = organisations[0].id if organisations else document.resources[0].organisation
    c = community.id
    members = read_people(path).members

    def named(role: MemberRole, fallback: str) -> str:
        # A staff token's name is their roster id: it makes the head a head and a grid worker theirs.
        return next((m.id for m in members if m.role is role), fallback)

    tokens = {
        "street": create_token(engine, role=Role.STREET, street=community.street, name="演示街道", at=at),
        "head": create_token(
            engine, role=Role.CADRE, community=c, name=named(MemberRole.HEAD, "演示书记"), at=at
        ),
        "cadre": create_token(
            engine, role=Role.CADRE, community=c, name=named(MemberRole.CADRE, "演示干部"), at=at
        ),
        "organisation": create_token(
            engine, role=Role.ORGANISATION, community=c, organisation=first_org, name="演示组织", at=at
        ),
        "grid_worker": create_token(
            engine,
            role=Role.GRID_WORKER,
            community=c,
            name=named(MemberRole.GRID_WORKER, "演示网格员"),
            at=at,
        ),
        "captain": create_token(
            engine, role=Role.CAPTAIN, community=c, name=named(MemberRole.CAPTAIN, "演示楼栋长"), at=at
        ),
        "observer": create_token(engine, role=Role.OBSERVER, community=c, name="演示观察员", at=at),
    }
    # The tokens in plain text: for the operator's eyes only.
    private_dir(data_dir)
    write_private(saved, json.dumps(tokens, ensure_ascii=False, indent=2) + "\n")
    return tokens
