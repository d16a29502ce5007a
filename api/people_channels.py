"""Governance events on channels.

Tasks go to ``community:{id}`` and to the street that issued them (``street:{id}``). Households and checks
carry personal data, so ``community:{id}`` (which every grid worker of the community may read) gets them
without address, name or phone; the full record, names and phones masked, goes to
``grid:{community}:{grid}`` (the grid's worker) and ``building:{community}:{building}`` (its captains).

A task's message carries the task as ``GET .../tasks`` shows it: a console applies it as it is. Rosters,
households and checks are shown to each reader with the names and phones that reader may see, which no one
message can carry: their messages name in ``reload`` the parts of a page that read them again (see
api/channels.py, RELOAD).
"""

from typing import Any

from api import channel
from engine.coordinator import Board
from engine.governance.events import (
    AppealAssigned,
    AppealCompleted,
    AppealEvent,
    AppealMerged,
    AppealPlanned,
    AppealRated,
    AppealReceived,
    AppealReplied,
    BuildingCodeIssued,
    BuildingSaved,
    CheckReported,
    ChecksIssued,
    GovernanceEvent,
    GridSaved,
    HouseholdRemoved,
    HouseholdSaved,
    MemberSaved,
    TaskIssued,
)
from engine.governance.ids import BuildingId, GridId, HouseholdId
from engine.governance.views import appeal_json, check_json, household_json, task_json

Data = dict[str, Any]
Out = list[tuple[str, str, Data]]


def governance_messages(board: Board, event: GovernanceEvent, exercise: bool) -> Out:
    assert board.community is not None
    community = board.community.id
    base: Data = {"exercise": exercise, "reload": list(governance_reload(event.type))}
    match event:
        case MemberSaved() | GridSaved() | BuildingSaved():
            return [
                (channel.community(community), event.type, {**base, "event": event.model_dump(mode="json")})
            ]
        case HouseholdSaved() | HouseholdRemoved() | CheckReported():
            household = event.household.id if isinstance(event, HouseholdSaved) else event.household
            return _per_place(board, event, base, [household])
        case ChecksIssued():
            return _per_place(board, event, base, [c.household for c in event.checks])
        case BuildingCodeIssued():
            # The code itself is read by the cadres who print it, not sent round.
            data = {"type": event.type, "at": event.at.isoformat(), "building": event.building}
            return [(channel.appeals(community), event.type, {**base, "event": data})]
        case (
            AppealReceived()
            | AppealPlanned()
            | AppealAssigned()
            | AppealReplied()
            | AppealMerged()
            | AppealCompleted()
            | AppealRated()
        ):
            return _appeal_messages(board, event, base)
    task = board.ledger.tasks[event.task.id if isinstance(event, TaskIssued) else event.task]
    body = {**base, "event": event.model_dump(mode="json"), "task": task_json(task)}
    return [
        (channel.community(community), event.type, body),
        (channel.street(board.community.street), event.type, {**body, "community": community}),
    ]


def _appeal_messages(board: Board, event: AppealEvent, base: Data) -> Out:
    """The appeal as the queue shows it (phone masked: a cadre reads it in clear by opening the appeal), to
    the community's cadres and street; a work order also to its grid worker's grid."""
    assert board.community is not None
    community = board.community.id
    ledger = board.ledger
    record = ledger.appeals[event.appeal.id if isinstance(event, AppealReceived) else event.appeal]
    appeal = appeal_json(record, ledger, phone=False)
    body = {**base, "event": {"type": event.type, "at": event.at.isoformat()}, "appeal": appeal}
    out: Out = [(channel.appeals(community), event.type, body)]
    assignee = ledger.members.get(record.assignee) if record.assignee is not None else None
    if assignee is not None and assignee.grid is not None:
        out.append((channel.grid(community, assignee.grid), event.type, body))
    return out


# The parts of a console page a governance message cannot carry (see api/channels.py, RELOAD).
GOVERNANCE_RELOAD: dict[str, tuple[str, ...]] = {
    "member_saved": ("me", "members", "people", "street"),
    "grid_saved": ("grids", "people"),
    "building_saved": ("buildings", "people", "editor"),
    "household_saved": ("checks",),
    "household_removed": ("checks",),
    "checks_issued": ("checks",),
    "check_reported": ("checks",),
    "task_issued": ("scores",),
    "task_split": ("scores",),
    "part_submitted": ("scores",),
    "part_returned": ("scores",),
    "part_scored": ("scores",),
    "task_overdue": ("scores",),
    "building_code_issued": ("codes",),
    # The queue's duplicate groups and the rates move with every appeal.
    "appeal_received": ("appeals",),
    "appeal_planned": ("appeals", "scores"),
    "appeal_assigned": ("appeals", "scores"),
    "appeal_replied": ("appeals", "scores"),
    "appeal_merged": ("appeals", "scores"),
    "appeal_completed": ("appeals", "scores"),
    "appeal_rated": ("appeals", "scores"),
}


def governance_reload(event_type: str) -> tuple[str, ...]:
    return GOVERNANCE_RELOAD.get(event_type, ())


# Events naming a household: the community channel and the audit log carry them as their summary only.
PRIVATE = frozenset({"household_saved", "household_removed", "checks_issued", "check_reported"})


def summary(event: GovernanceEvent) -> Data:
    """What every reader of the community channel may know: which household, what happened, no address."""
    data: Data = {"type": event.type, "at": event.at.isoformat(), "actor": event.actor}
    if isinstance(event, HouseholdSaved):
        data.update(household=event.household.id, building=event.household.building)
    elif isinstance(event, HouseholdRemoved):
        data.update(household=event.household)
    elif isinstance(event, CheckReported):
        data.update(household=event.household, result=event.result.value, need=event.need)
    elif isinstance(event, ChecksIssued):
        data.update(checks=[{"household": c.household, "grid": c.grid} for c in event.checks])
    return data


def _per_place(board: Board, event: GovernanceEvent, base: Data, households: list[HouseholdId]) -> Out:
    """The community gets the summary; each grid and each building one message with its own households."""
    assert board.community is not None
    community = board.community.id
    out: Out = [(channel.community(community), event.type, {**base, "event": summary(event)})]
    grids: dict[GridId, list[HouseholdId]] = {}
    buildings: dict[BuildingId, list[HouseholdId]] = {}
    for household_id in households:
        household = board.ledger.households.get(household_id)
        check = board.ledger.checks.get(household_id)
        if household is not None:
            grid, building = board.ledger.grid_of(household), household.building
        elif check is not None:
            grid, building = check.grid, check.building
        else:
            continue  # removed, and no check: no place to tell
        if grid is not None:
            grids.setdefault(grid, []).append(household_id)
        buildings.setdefault(building, []).append(household_id)
    for name, places in ((channel.grid, grids), (channel.building, buildings)):
        for place, ids in sorted(places.items()):
            out.append((name(community, place), event.type, _place_data(board, event, base, ids)))
    return out


def _place_data(board: Board, event: GovernanceEvent, base: Data, ids: list[HouseholdId]) -> Data:
    ledger = board.ledger
    if isinstance(event, ChecksIssued):
        # Only this place's checks: a message per place must not grow with the whole community.
        data: Data = {"type": event.type, "at": event.at.isoformat(), "actor": event.actor}
        data["checks"] = [{"household": h, "grid": ledger.checks[h].grid} for h in ids if h in ledger.checks]
    else:
        data = summary(event)
    return {
        **base,
        "event": data,
        "households": [
            household_json(ledger.households[h], ledger, contact=False) for h in ids if h in ledger.households
        ],
        "checks": [check_json(ledger.checks[h]) for h in ids if h in ledger.checks],
    }


def place_snapshot(board: Board, kind: str, place: str) -> Data:
    """A ``grid:`` or ``building:`` channel's whole state: its households (contacts masked) and checks."""
    ledger = board.ledger

    def here(grid: str | None, building: str) -> bool:
        return grid == place if kind == "grid" else building == place

    return {
        "exercise": board.exercise,
        "households": [
            household_json(h, ledger, contact=False)
            for _, h in sorted(ledger.households.items())
            if here(ledger.grid_of(h), h.building)
        ],
        "checks": [check_json(c) for _, c in sorted(ledger.checks.items()) if here(c.grid, c.building)],
    }
