"""The notifiers (the operator's file, api/notifiers/) and how they are doing: a notifier that fails shows on the
street's console. The street's staff read all of the street's; a community's cadres those that speak for it."""

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from api.access import Forbidden, manages_community
from api.auth import Principal, Role
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.notifiers.outbox import State, states
from api.problems import NotFound
from api.service import Service

router = APIRouter(tags=["notifiers 通知"])


def _staff(principal: Principal, street: str) -> None:
    """The street's staff; another street's people are told nothing of this one, not even that it exists."""
    if principal.role is Role.STREET and principal.street == street:
        return
    if (
        principal.role in (Role.STREET, Role.OBSERVER)
        and principal.community is None
        and principal.street != street
    ):
        raise NotFound(f"街道 {street!r}")
    raise Forbidden("只有街道工作人员可以查看通知渠道 (the street's staff only)")


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _warning(label: str, state: State, failing: bool) -> tuple[str, str]:
    """What the street's console says of a notifier that is failing or gave messages up (zh, en); empty if fine."""
    if not (failing or state.failed):
        return "", ""
    why = state.last_error or "原因不明"
    zh = f"通知发送失败：{label}（{why}），{state.pending} 条待重发"
    en = f"Notifications failing: {label} ({why}), {state.pending} waiting to be sent again"
    if state.failed:
        zh += f"，{state.failed} 条已放弃"
        en += f", {state.failed} given up"
    return zh, en


@router.get("/streets/{street}/notifiers")
async def street_notifiers(street: str, service: ServiceDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Each notifier of the street: when it last delivered, its last failure and why in plain words, how many
    messages wait to be sent again and how many were given up; ``warning`` says so when it is failing now (its
    last try failed) or gave some up."""
    _staff(principal, street)
    return await _listed(service, service.notifiers.of_street(street))


@router.get("/communities/{community}/notifiers")
async def community_notifiers(
    board: BoardDep, service: ServiceDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """The notifiers that speak for the community's cadres or its organisations, as the street's route shows
    them: for its cadres and its street."""
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以查看通知渠道 (only the community's cadres or the street)")
    assert board.community is not None
    c = board.community.id
    mine = [
        n
        for n in service.notifiers.of_street(board.community.street)
        if c in n.to.cadres or any(ref.split("/", 1)[0] == c for ref in n.to.organisations)
    ]
    return await _listed(service, mine)


async def _listed(service: Service, mine: list[Any]) -> list[dict[str, Any]]:
    found = await asyncio.to_thread(states, service.store.engine, [n.id for n in mine])
    out = []
    for n in mine:
        state = found[n.id]
        failing = state.last_failure is not None and (
            state.last_delivered is None or state.last_failure > state.last_delivered
        )
        warning, warning_en = _warning(n.label, state, failing)
        out.append(
            {
                "id": n.id,
                "name": n.label,
                "kind": n.kind,
                "failing": failing,
                "pending": state.pending,
                "failed": state.failed,
                "last_delivered": _when(state.last_delivered),
                "last_failure": _when(state.last_failure),
                "last_error": state.last_error,
                "warning": warning,
                "warning_en": warning_en,
            }
        )
    return out
