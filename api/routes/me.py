"""Who the token belongs to: the console signs in with it and opens the right view."""

from typing import Any

from fastapi import APIRouter

from api import channel
from api.access import home_key, sees_community
from api.auth import ROLE_ZH, Role
from api.deps import PrincipalDep, ServiceDep
from api.people_access import member_of
from engine.governance.people import MemberRole

router = APIRouter(tags=["me 当前用户"])


@router.get("/me")
def me(principal: PrincipalDep, service: ServiceDep) -> dict[str, Any]:
    board = service.board(principal.community) if principal.community else None
    # Their entry in the community's roster: the console opens the head's, a grid worker's or a captain's view.
    member = member_of(principal, board) if board is not None else None
    return {
        "role": principal.role.value,
        # The community head holds a cadre token; the roster makes them the head.
        "role_zh": "社区书记"
        if member is not None and member.role is MemberRole.HEAD
        else ROLE_ZH[principal.role],
        "name": principal.name,
        "street": principal.street,
        # Its name, once the street registered its own pool: a page never shows the street by its id.
        "street_name": street.community.name or ""
        if principal.street and (street := service.street_board(principal.street)) and street.community
        else "",
        "community": principal.community,
        "organisation": principal.organisation,
        "grid": principal.grid,
        "member": member.model_dump(mode="json") if member is not None else None,
        # An organisation's own channel (its units' dispatches, wherever in the street they were sent).
        "organisation_channel": channel.organisation(key, principal.organisation)
        if principal.role is Role.ORGANISATION and principal.organisation and (key := home_key(principal))
        else None,
        "communities": [
            b.community.id
            for b in service.boards()
            if b.community is not None and sees_community(principal, b)
        ],
        # The names people use for them: a page never shows a community by its id.
        "community_names": {
            b.community.id: b.community.name or ""
            for b in service.boards()
            if b.community is not None and sees_community(principal, b)
        },
    }
