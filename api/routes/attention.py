"""The attention bar: what must not be missed, for the caller's audience, and opening an item (api/attention.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.access import Forbidden
from api.attention import audience_of, find, item_json, opens, visible
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.problems import NotFound
from engine.coordinator.commands import OpenAttention

router = APIRouter(prefix="/communities/{community}/attention", tags=["attention 提醒"])

Item = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_\-.]+$")]


@router.get("")
def list_attention(
    board: BoardDep,
    principal: PrincipalDep,
    opened: Annotated[
        bool, Query(description="也列出已打开的 (opened ones too, with who opened them)")
    ] = False,
) -> list[dict[str, Any]]:
    """The items not yet opened by anyone of the caller's audience, newest first: the community's for its
    cadres and observers (a grid worker: those about the needs they reported), the street's concerns for its
    staff, an organisation's own jobs taken back."""
    audience = audience_of(principal)
    if audience is None:
        return []
    return [item_json(b, item, audience) for b, item in visible(principal, board, opened=opened)]


@router.post("/{item}/open")
async def open_item(
    item: Item, board: BoardDep, service: ServiceDep, principal: PrincipalDep, idempotency: IdempotencyDep
) -> dict[str, Any]:
    """Opened: the item leaves the bar of everyone of the caller's audience. Opening it again changes nothing
    (the first to open it, and when, stand)."""
    audience = audience_of(principal)
    if audience is None:
        raise Forbidden("楼栋长没有提醒栏 (building captains have no attention bar)")
    found = find(principal, board, item)
    if found is None:
        raise NotFound(f"提醒 {item!r}")
    if not opens(principal):
        raise Forbidden(
            "观察员和网格员只能查看提醒 (observers and grid workers read the bar; they do not open items)"
        )
    where, _ = found
    assert where.community is not None

    def respond(b: Any, _: Any) -> tuple[int, Any]:
        return 200, item_json(b, b.attention.items[item], audience)

    _, body = await service.execute(
        where.community.id, OpenAttention(item=item, audience=audience), principal, respond, idempotency
    )
    return body  # type: ignore[no-any-return]
