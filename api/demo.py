"""A demo community for ``make run``: loaded once from a problem file, with a token for each role."""

import json
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine

from api.auth import Principal, Role, create_token, principal_for
from api.errors import InputError, describe_validation
from api.profiles import named_profile
from api.service import Service
from engine.coordinator import RegisterCommunity, RegisterOrganisation, SaveResource
from engine.matching.document import ProblemDocument
from engine.model import Organisation, OrganisationKind

TOKENS_FILE = "demo-tokens.json"


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
    community = document.community
    assert community is not None
    if service.board(community.id) is not None:
        return
    setup = Principal(0, Role.STREET, community.street, None, None, None, "demo")
    profile = named_profile(community.profile, service.profile_dir)
    command = RegisterCommunity(community=community, profile=profile, map=document.travel)
    await service.execute(community.id, command, setup, _none)
    organisations = document.organisations or tuple(
        Organisation(id=o, kind=OrganisationKind.VOLUNTEER_TEAM, community=community.id)
        for o in sorted({r.organisation for r in document.resources})
    )
    for organisation in organisations:
        own = organisation.model_copy(update={"community": community.id})
        await service.execute(community.id, RegisterOrganisation(organisation=own), setup, _none)
    for resource in document.resources:
        await service.execute(community.id, SaveResource(resource=resource), setup, _none)


def _none(*_: object) -> tuple[int, None]:
    return 200, None


def demo_tokens(engine: Engine, path: Path, data_dir: Path, at: datetime) -> dict[str, str]:
    """One token per role for the demo community, made on first start and kept in the data folder."""
    saved = data_dir / TOKENS_FILE
    if saved.exists():
        tokens: dict[str, str] = json.loads(saved.read_text(encoding="utf-8"))
        # The same folder may now point at another database: keep the tokens only if they still work.
        if all(principal_for(engine, token) is not None for token in tokens.values()):
            return tokens
    document = read_demo(path)
    community = document.community
    assert community is not None
    organisations = document.organisations
    first_org = organisations[0].id if organisations else document.resources[0].organisation
    c = community.id
    tokens = {
        "street": create_token(engine, role=Role.STREET, street=community.street, name="演示街道", at=at),
        "cadre": create_token(engine, role=Role.CADRE, community=c, name="演示干部", at=at),
        "organisation": create_token(
            engine, role=Role.ORGANISATION, community=c, organisation=first_org, name="演示组织", at=at
        ),
        "grid_worker": create_token(engine, role=Role.GRID_WORKER, community=c, name="演示网格员", at=at),
        "observer": create_token(engine, role=Role.OBSERVER, community=c, name="演示观察员", at=at),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(tokens, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return tokens
