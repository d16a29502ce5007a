"""Who may see and change the community's people, households, checks and tasks.

People are bound to the community's roster by the name on their token (``Member.id``): the roster, kept in
the event log, says who is the community head, which grid a grid worker looks after and which building a
captain. A grid worker sees only their grid's households and checks, a captain only their building's;
names and phones of households are shown only to them, masked to everyone else.
"""

from api.access import manages_community, sees_community
from api.auth import Principal, Role
from engine.coordinator import Board
from engine.governance.checks import Check
from engine.governance.ids import BuildingId, GridId
from engine.governance.ledger import PartRecord, TaskRecord
from engine.governance.people import Household, Member, MemberRole

STAFF = (Role.CADRE, Role.GRID_WORKER, Role.CAPTAIN)


def member_of(p: Principal, board: Board) -> Member | None:
    if p.role not in STAFF or not sees_community(p, board):
        return None
    member = board.ledger.members.get(p.name)  # type: ignore[call-overload]
    expected = {
        Role.CADRE: (MemberRole.HEAD, MemberRole.CADRE),
        Role.GRID_WORKER: (MemberRole.GRID_WORKER,),
        Role.CAPTAIN: (MemberRole.CAPTAIN,),
    }[p.role]
    # A roster entry of another kind (a captain's name on a cadre token) binds nothing.
    return member if member is not None and member.role in expected else None


def is_head(p: Principal, board: Board) -> bool:
    member = member_of(p, board)
    return member is not None and member.role is MemberRole.HEAD


def grid_of(p: Principal, board: Board) -> GridId | None:
    """The grid a grid worker looks after: the roster's word, else the grid on their token."""
    if p.role is not Role.GRID_WORKER or not sees_community(p, board):
        return None
    member = member_of(p, board)
    return member.grid if member is not None else GridId(p.grid) if p.grid else None


def building_of(p: Principal, board: Board) -> BuildingId | None:
    member = member_of(p, board) if p.role is Role.CAPTAIN else None
    return member.building if member is not None else None


def manages_people(p: Principal, board: Board) -> bool:
    """The roster, grids and buildings: the street, and the community head."""
    return (p.role is Role.STREET and sees_community(p, board)) or is_head(p, board)


def reads_households(p: Principal, board: Board) -> bool:
    """Every household of the community (names and phones masked)."""
    return p.role in (Role.STREET, Role.CADRE, Role.OBSERVER) and sees_community(p, board)


def visits(p: Principal, board: Board, grid: GridId | None, building: BuildingId) -> bool:
    """The grid worker of ``grid`` and the captains of ``building``: the people who knock on the door."""
    mine = grid_of(p, board)
    if mine is not None:
        return grid == mine
    captain_of = building_of(p, board)
    return captain_of is not None and building == captain_of


def sees_household(p: Principal, board: Board, household: Household) -> bool:
    return reads_households(p, board) or sees_contact(p, board, household)


def sees_contact(p: Principal, board: Board, household: Household) -> bool:
    """A household's name and phone: the grid worker and the building captains who visit it."""
    return visits(p, board, board.ledger.grid_of(household), household.building)


def edits_household(p: Principal, board: Board, household: Household) -> bool:
    """Cadres, the street, and the grid worker of the household's grid keep the records."""
    if manages_community(p, board):
        return True
    grid = grid_of(p, board)
    return grid is not None and board.ledger.grid_of(household) == grid


def sees_check(p: Principal, board: Board, check: Check) -> bool:
    return reads_households(p, board) or visits(p, board, check.grid, check.building)


def reports_check(p: Principal, board: Board, check: Check) -> bool:
    """The grid worker and building captains on the spot, and the community's cadres (by phone)."""
    if p.role is Role.CADRE and sees_community(p, board):
        return True
    return p.role in (Role.GRID_WORKER, Role.CAPTAIN) and sees_check(p, board, check)


def reads_tasks(p: Principal, board: Board) -> bool:
    """Every task of the community and its scores."""
    return p.role in (Role.STREET, Role.CADRE, Role.OBSERVER) and sees_community(p, board)


def sees_task(p: Principal, board: Board, record: TaskRecord) -> bool:
    if reads_tasks(p, board):
        return True
    # A grid worker given a part sees the task it belongs to.
    return p.role is Role.GRID_WORKER and any(carries(p, board, part) for part in record.parts.values())


def carries(p: Principal, board: Board, part: PartRecord) -> bool:
    member = member_of(p, board)
    return member is not None and member.id == part.part.assignee


def splits_tasks(p: Principal, board: Board) -> bool:
    return is_head(p, board)


def submits_part(p: Principal, board: Board, part: PartRecord) -> bool:
    """The member it is assigned to, or the head on their behalf."""
    return carries(p, board, part) or is_head(p, board)


def reviews_tasks(p: Principal, board: Board) -> bool:
    """The street, or the community head, as the community's profile says."""
    assert board.profile is not None
    if board.profile.tasks.reviewer == "head":
        return is_head(p, board)
    return p.role is Role.STREET and sees_community(p, board)


def sees_place(p: Principal, board: Board, kind: str, place: str) -> bool:
    """A ``grid:`` or ``building:`` channel: the community's readers, the grid's worker, the captains."""
    if kind == "grid":
        return place in board.ledger.grids and (reads_households(p, board) or grid_of(p, board) == place)
    return place in board.ledger.buildings and (reads_households(p, board) or building_of(p, board) == place)
