"""Object-level authorisation: who may see and change what, decided per object on every route and channel.

An object in a community a principal cannot see is reported as not found (its existence is not leaked);
an object they can see but not change is refused as forbidden.
"""

from api.auth import Principal, Role
from engine.coordinator import Board, Dispatch, DispatchStatus
from engine.coordinator.refs import home_of, street_key

S = DispatchStatus
ORGANISATION_ACTIONS = frozenset({S.ACKNOWLEDGED, S.DECLINED, S.EN_ROUTE, S.ON_SITE, S.DONE, S.NO_ROAD})
# A cadre may record progress a responder phoned in; acknowledging or declining is the organisation's word.
CADRE_RECORDS = frozenset({S.EN_ROUTE, S.ON_SITE, S.DONE, S.NO_ROAD})


class Forbidden(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def sees_community(p: Principal, board: Board) -> bool:
    """A community's cadres, grid workers and organisations see it; the street's staff see every community of
    the street. An organisation also sees another community of its street while one of its units is sent
    there (only that dispatch and its need: see :func:`sees_dispatch`)."""
    assert board.community is not None
    if p.role is Role.STREET or (p.role is Role.OBSERVER and p.community is None):
        return board.community.street == p.street
    if p.community == board.community.id or home_key(p) == board.community.id:
        return True
    return p.role is Role.ORGANISATION and any(
        d.committed and owns_resource(p, board, d.resource) for d in board.dispatches.values()
    )


def manages_community(p: Principal, board: Board) -> bool:
    return p.role in (Role.STREET, Role.CADRE) and sees_community(p, board)


def reports_needs(p: Principal, board: Board) -> bool:
    return p.role in (Role.STREET, Role.CADRE, Role.GRID_WORKER) and sees_community(p, board)


def reads_everything(p: Principal, board: Board) -> bool:
    """Every need, resource and dispatch of the community (an organisation sees only its own share)."""
    return p.role is not Role.ORGANISATION and sees_community(p, board)


def check_reads_everything(p: Principal, board: Board) -> None:
    """Raises :class:`Forbidden` unless ``p`` reads the whole community (the plan, its exports)."""
    if not reads_everything(p, board):
        raise Forbidden("组织只能查看派给自己的任务 (an organisation sees only its own assignments)")


def home_key(p: Principal) -> str | None:
    """The board an organisation's units are kept on: its community's, or the street's own pool's."""
    if p.role is not Role.ORGANISATION:
        return None
    return p.community if p.community is not None else street_key(p.street) if p.street else None


def owns_resource(p: Principal, board: Board, resource_id: str) -> bool:
    """The unit is the organisation's own: on its community's board by id, on another's by ref (home/id)."""
    if p.role is not Role.ORGANISATION or board.community is None:
        return False
    resource = board.resource(resource_id)  # type: ignore[arg-type]
    return (
        resource is not None
        and home_of(resource_id, board.community.id) == home_key(p)
        and resource.organisation == p.organisation
    )


def sees_dispatch(p: Principal, board: Board, d: Dispatch) -> bool:
    if p.role is Role.ORGANISATION:
        # An organisation is told of a dispatch once it is sent, never of mere proposals.
        return d.committed and owns_resource(p, board, d.resource)
    return sees_community(p, board)


def sees_need(p: Principal, board: Board, need_id: str) -> bool:
    if p.role is Role.ORGANISATION:
        return any(sees_dispatch(p, board, d) for d in board.dispatches_of(need_id))  # type: ignore[arg-type]
    return sees_community(p, board)


def sees_phone(p: Principal, board: Board, need_id: str) -> bool:
    """Residents' phone numbers: the community's cadres and the responders assigned to them only."""
    if p.role is Role.CADRE:
        return sees_community(p, board)
    return p.role is Role.ORGANISATION and sees_need(p, board, need_id)


def check_dispatch_action(p: Principal, board: Board, d: Dispatch, to: DispatchStatus | None) -> None:
    """``to`` is the status asked for; None for an override. Raises :class:`Forbidden`."""
    if to is None or to is S.CONFIRMED:
        if not manages_community(p, board):
            raise Forbidden("只有本社区干部或街道可以确认或改派 (only the community's cadres or the street)")
        return
    if owns_resource(p, board, d.resource) and to in ORGANISATION_ACTIONS:
        return
    if to in CADRE_RECORDS and manages_community(p, board):
        return
    raise Forbidden(f"你不能把这条派单设为 {to.value} (not allowed for role {p.role.value})")
