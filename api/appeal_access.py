"""Who may see and handle residents' appeals. No appeal is ever shown to another resident: building captains
are residents, and observers read the community's work, not its residents' words."""

from api.access import manages_community
from api.auth import Principal, Role
from api.people_access import member_of
from engine.coordinator import Board
from engine.governance.appeals import AppealRecord


def handles_appeals(p: Principal, board: Board) -> bool:
    """The community's cadres, and its street's staff: every appeal, phones in clear."""
    return p.role in (Role.CADRE, Role.STREET) and manages_community(p, board)


def carries_appeal(p: Principal, board: Board, record: AppealRecord) -> bool:
    """The member a work order went to (a grid worker, or a cadre picked for it)."""
    member = member_of(p, board)
    return member is not None and record.assignee == member.id


def sees_appeal(p: Principal, board: Board, record: AppealRecord) -> bool:
    """Its phone in clear too; and who may mark a work order done (its assignee, or a cadre for them)."""
    return handles_appeals(p, board) or carries_appeal(p, board, record)
