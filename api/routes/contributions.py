"""Each organisation's contribution (jobs, units sent and hours, in normal times, in incidents and in drills;
calls declined or let time out): the record a street uses to thank and keep its partners. As JSON, and for
the street as CSV for Excel.

The street sees every organisation of its communities and of its own pool. A community's cadres see their
own organisations (all they did anywhere in the street: lending to a neighbour is theirs too) and the
organisations of other communities or of the street's pool that worked for them (only that work).
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.access import Forbidden
from api.csv_cells import to_csv
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.labels import KINDS
from api.people_access import reads_tasks
from api.routes.street_tasks import street_boards
from api.service import Service
from engine.coordinator import Board, Rejected
from engine.coordinator.contributions import Column, Contribution, Contributions, Whose, tally
from engine.coordinator.refs import street_key
from engine.model.ids import OrganisationId, ResourceId

router = APIRouter(tags=["contributions 组织贡献"])

# Periods are calendar days where the communities are.
LOCAL = ZoneInfo("Asia/Shanghai")
COLUMNS_ZH = {Column.NORMAL: "常态", Column.INCIDENT: "应急", Column.DRILL: "演练"}
# Organisations by their names, as a sheet's reader knows them (the JSON keeps the ids for machines).
HEAD = (
    "社区",
    "组织名称",
    "组织类型",
    *(f"{COLUMNS_ZH[c]}{what}" for c in Column for what in ("完成次数", "派出数量", "服务时长(小时)")),
    "拒绝次数",
    "超时未响应次数",
)
# The street's own pool is no community: the table names it so.
POOL_ZH = "街道资源库"
From = Annotated[date | None, Query(alias="from", description="起始日期 YYYY-MM-DD（含，按任务完成日）")]
To = Annotated[date | None, Query(alias="to", description="结束日期 YYYY-MM-DD（含）")]


def _period(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    if start is not None and end is not None and end < start:
        raise Rejected("invalid", "to", f"{end.isoformat()} is before from {start.isoformat()}")
    since = datetime.combine(start, time(), LOCAL) if start is not None else None
    until = datetime.combine(end + timedelta(days=1), time(), LOCAL) if end is not None else None
    return since, until


def _owner(service: Service) -> Callable[[str, ResourceId], OrganisationId | None]:
    def owner(home: str, rid: ResourceId) -> OrganisationId | None:
        # Resources are never removed from a board: only a board no longer served leaves a job unattributed.
        board = service.board(home)
        resource = board.resources.get(rid) if board is not None else None
        return resource.organisation if resource is not None else None

    return owner


def _records(boards: Iterable[Board]) -> list[tuple[str, Contributions]]:
    return [(b.key, b.contributions) for b in boards]


def _members(service: Service, street: str) -> list[Board]:
    """The boards of the street's communities, then its own pool's."""
    boards = [
        b
        for b in service.boards()
        if b.community is not None and b.community.street == street and not b.is_street
    ]
    pool = service.board(street_key(street))
    return [*boards, *([pool] if pool is not None else [])]


def _row(service: Service, who: Whose, c: Contribution) -> dict[str, Any]:
    home, org_id = who
    board = service.board(home)
    assert board is not None and board.community is not None
    org = board.organisations.get(org_id)
    kind = org.kind.value if org is not None else None
    return {
        "community": home,
        "community_name": POOL_ZH if board.is_street else board.community.name or home,
        "organisation": org_id,
        "organisation_name": (org.name if org is not None else "") or KINDS.get(kind or "", "") or "其他组织",
        "kind": kind,
        "kind_zh": KINDS.get(kind, "") if kind is not None else "",
        **{col.value: {"jobs": w.jobs, "units": w.units, "hours": w.hours} for col, w in c.work.items()},
        "declined": c.declined,
        "timed_out": c.timed_out,
    }


def _rows(service: Service, members: list[Board], counted: dict[Whose, Contribution]) -> list[dict[str, Any]]:
    """A row for every organisation of ``members`` (nothing done is worth knowing too), then one for each
    other organisation ``counted`` names."""
    listed = [(b.key, o) for b in members for o in sorted(b.organisations)]
    others = sorted(set(counted) - set(listed))
    return [_row(service, who, counted.get(who, Contribution())) for who in [*listed, *others]]


def _table(street: str, start: date | None, end: date | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "street": street,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "rows": rows,
    }


def _street(
    street: str, principal: PrincipalDep, service: ServiceDep, start: date | None, end: date | None
) -> dict[str, Any]:
    # The street's staff and observers of this street (another street's: not found; anyone else: forbidden).
    street_boards(service, principal, street, issue=False)
    members = _members(service, street)
    counted = tally(_records(members), _owner(service), *_period(start, end))
    return _table(street, start, end, _rows(service, members, counted))


def _csv(table: dict[str, Any]) -> Response:
    body = [
        HEAD,
        *(
            (
                r["community_name"],
                r["organisation_name"],
                r["kind_zh"],
                *(r[c.value][what] for c in Column for what in ("jobs", "units", "hours")),
                r["declined"],
                r["timed_out"],
            )
            for r in table["rows"]
        ),
    ]
    period = f"-{table['from'] or ''}-{table['to'] or ''}" if table["from"] or table["to"] else ""
    name = f"pingzhan-contributions-{table['street']}{period}.csv"
    # With a byte-order mark, Excel opens the Chinese headers as UTF-8.
    return Response(
        "\ufeff" + to_csv(body),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/streets/{street}/contributions")
def street_contributions(
    street: str, principal: PrincipalDep, service: ServiceDep, start: From = None, end: To = None
) -> dict[str, Any]:
    """One row per organisation of the street's communities and of its own pool."""
    return _street(street, principal, service, start, end)


@router.get("/streets/{street}/contributions.csv", response_class=Response)
def street_contributions_csv(
    street: str, principal: PrincipalDep, service: ServiceDep, start: From = None, end: To = None
) -> Response:
    return _csv(_street(street, principal, service, start, end))


@router.get("/communities/{community}/contributions")
def community_contributions(
    board: BoardDep, principal: PrincipalDep, service: ServiceDep, start: From = None, end: To = None
) -> dict[str, Any]:
    """The community's own organisations (their work anywhere in the street), then the others' that worked
    for it (that work only)."""
    # The same readers as the community's task scores: the street, its cadres, observers.
    if not reads_tasks(principal, board):
        raise Forbidden("组织贡献只对街道、社区干部和观察员开放 (street, cadres and observers)")
    assert board.community is not None
    here, street = board.key, board.community.street
    since, until = _period(start, end)
    everywhere = _records(_members(service, street))
    counted = {
        **tally(everywhere, _owner(service), since, until, homes=lambda home: home == here),
        **tally(_records([board]), _owner(service), since, until, homes=lambda home: home != here),
    }
    return _table(street, start, end, _rows(service, [board], counted))
