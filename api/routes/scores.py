"""The task board: scores per member and per community over a period, as JSON or as CSV for Excel."""

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.access import Forbidden
from api.csv_cells import to_csv
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.people_access import reads_tasks
from api.routes.street_tasks import street_boards
from engine.coordinator import Board, Rejected
from engine.governance.appeal_rates import AppealRow, appeal_row, summed
from engine.governance.appeals import AppealSettings
from engine.governance.scoreboard import CommunityRow, MemberRow, due_in, score
from engine.governance.views import task_json

router = APIRouter(tags=["scores 积分榜"])

# Periods are calendar days where the communities are.
LOCAL = ZoneInfo("Asia/Shanghai")
# People and communities by their names, as a sheet's reader knows them (the JSON keeps the ids for machines).
MEMBER_HEAD = ("社区", "姓名", "分项数", "已提交", "按时", "逾期提交", "已评分", "应得分", "得分")
COMMUNITY_HEAD = ("社区", "任务数", "总分值", "得分", "逾期任务", "分项数", "已提交", "已评分", "逾期提交")
# Residents' appeals received in the period, measured as 接诉即办 is (engine/governance/appeal_rates.py).
APPEAL_HEAD = (
    "社区",
    "诉求数",
    "应响应数",
    "按时响应",
    "已解决",
    "已评价",
    "满意",
    "星数合计",
    "响应率",
    "解决率",
    "满意率",
    "平均星级",
)
Start = Annotated[date | None, Query(description="起始日期 YYYY-MM-DD（含），默认本月1日")]
End = Annotated[date | None, Query(description="结束日期 YYYY-MM-DD（含），默认本月末")]


def _period(service: ServiceDep, start: date | None, end: date | None) -> tuple[date, date]:
    """The dates asked for, by default this month in China."""
    first = service.clock().astimezone(LOCAL).date().replace(day=1)
    start = start or first
    end = end or (
        first.replace(month=first.month % 12 + 1, year=first.year + first.month // 12) - timedelta(1)
    )
    if end < start:
        raise Rejected("invalid", "end", f"{end.isoformat()} is before start {start.isoformat()}")
    return start, end


def _board(boards: list[Board], start: date, end: date, now: datetime) -> dict[str, Any]:
    lo = datetime.combine(start, time(), LOCAL)
    hi = datetime.combine(end + timedelta(days=1), time(), LOCAL)
    appeals: list[AppealRow] = []
    communities: list[CommunityRow] = []
    members: list[MemberRow] = []
    tasks: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for board in boards:
        assert board.community is not None
        names[board.community.id] = board.community.name or ""
        due = due_in(board.ledger, lo, hi)
        total, rows = score(board.community.id, board.ledger, due)
        communities.append(total)
        members.extend(rows)
        tasks.extend({"community": board.community.id, **task_json(r)} for r in due)
        settings = board.profile.appeals if board.profile is not None else AppealSettings()
        appeals.append(appeal_row(board.community.id, board.ledger, settings, lo, hi, now))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "communities": [asdict(c) for c in communities],
        "members": [asdict(m) for m in members],
        "tasks": tasks,
        "appeals": [asdict(a) for a in appeals],
        "appeals_total": asdict(summed("", appeals)),
        "community_names": names,
    }


def _csv(result: dict[str, Any]) -> Response:
    names = result["community_names"]

    def named(row: dict[str, Any], *ids: str) -> list[object]:
        # The community's name where its id was, the member's id left out (their name follows it).
        return [names.get(row["community"], ""), *(v for k, v in row.items() if k not in ("community", *ids))]

    rows: list[Iterable[object]] = [
        MEMBER_HEAD,
        *(named(m, "member") for m in result["members"]),
        (),
        COMMUNITY_HEAD,
        *(named(c) for c in result["communities"]),
        (),
        APPEAL_HEAD,
        *(_appeal_cells(named(a)) for a in result["appeals"]),
        _appeal_cells(["合计", *list(result["appeals_total"].values())[1:]]),
    ]
    name = f"pingzhan-scores-{result['start']}-{result['end']}.csv"
    # With a byte-order mark, Excel opens the Chinese headers as UTF-8.
    return Response(
        "\ufeff" + to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _appeal_cells(cells: list[object]) -> list[object]:
    """Rates as percentages a reader takes in at a glance ("" where nothing was counted)."""
    counts, rates = cells[:8], cells[8:11]
    stars = cells[11]
    shares = [f"{r:.1%}" if isinstance(r, float | int) else "" for r in rates]
    return [*counts, *shares, "" if stars is None else stars]


def _community(
    board: Board, principal: PrincipalDep, service: ServiceDep, start: date | None, end: date | None
) -> dict[str, Any]:
    if not reads_tasks(principal, board):
        raise Forbidden("积分榜只对街道、社区干部和观察员开放 (street, cadres and observers)")
    return _board([board], *_period(service, start, end), service.clock())


def _street(
    street: str, principal: PrincipalDep, service: ServiceDep, start: date | None, end: date | None
) -> dict[str, Any]:
    boards = street_boards(service, principal, street, issue=False)
    return _board(boards, *_period(service, start, end), service.clock())


@router.get("/communities/{community}/scores")
def community_scores(
    board: BoardDep, principal: PrincipalDep, service: ServiceDep, start: Start = None, end: End = None
) -> dict[str, Any]:
    return _community(board, principal, service, start, end)


@router.get("/communities/{community}/scores.csv", response_class=Response)
def community_scores_csv(
    board: BoardDep, principal: PrincipalDep, service: ServiceDep, start: Start = None, end: End = None
) -> Response:
    return _csv(_community(board, principal, service, start, end))


@router.get("/streets/{street}/scores")
def street_scores(
    street: str, principal: PrincipalDep, service: ServiceDep, start: Start = None, end: End = None
) -> dict[str, Any]:
    return _street(street, principal, service, start, end)


@router.get("/streets/{street}/scores.csv", response_class=Response)
def street_scores_csv(
    street: str, principal: PrincipalDep, service: ServiceDep, start: Start = None, end: End = None
) -> Response:
    return _csv(_street(street, principal, service, start, end))
