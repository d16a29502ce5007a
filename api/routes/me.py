"""Who the token belongs to: the console signs in with it and opens the right view."""

from typing import Any

from fastapi import APIRouter

from api.access import sees_community
from api.auth import ROLE_ZH
from api.deps import PrincipalDep, ServiceDep

router = APIRouter(tags=["me 当前用户"])


@router.get("/me")
def me(principal: PrincipalDep, service: ServiceDep) -> dict[str, Any]:
    return {
        "role": principal.role.value,
        "role_zh": ROLE_ZH[principal.role],
        "name": principal.name,
        "street": principal.street,
        "community": principal.community,
        "organisation": principal.organisation,
        "grid": principal.grid,
        "communities": [
            b.community.id
            for b in service.boards()
            if b.community is not None and sees_community(principal, b)
        ],
    }
