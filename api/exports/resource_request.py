"""The printable resource request (资源请求单), after the ICS-213RR form: one A4 page per open need of the
incident, Chinese first. Who asks for what, how many, how urgent and where to; what has been sent so far; a
block for the community's and the street's signatures and one for logistics to fill in by hand.

A plain HTML page with a stylesheet of the console's (``resource-request.css``, print rules included): the
server's policy allows no inline style. Times are Beijing time, as the people reading the sheet keep it. A
resident's phone and the note a reporter wrote are not on it.
"""

from datetime import datetime, timedelta, timezone
from html import escape
from typing import Final

from api.exports.scope import asked, incident_words
from api.labels import PRIORITIES, PROGRESS, capability_name
from api.places import need_place
from api.problems import NotFound
from api.schemas import dispatch_public, plan_travel
from engine.coordinator import Board, Incident, NeedRecord, Rejected

BEIJING: Final = timezone(timedelta(hours=8), "北京时间")


def _when(at: datetime) -> str:
    return f"{at.astimezone(BEIJING):%Y-%m-%d %H:%M} 北京时间"


def _row(*cells: object, head: bool = False) -> str:
    tag = "th" if head else "td"
    return "<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def _sent(board: Board, record: NeedRecord, travel: dict[tuple[str, str | None, str], int | None]) -> str:
    """The units committed to the need, with when they should be there: a clock time once on the way, else
    the travel time the plan expects."""
    rows = []
    for d in sorted(board.dispatches_of(record.need.id), key=lambda d: d.id):
        if not d.committed:
            continue
        shown = dispatch_public(board, d, travel)
        travel_s = shown["travel_s"]
        if shown["status"] == "en_route" and travel_s:
            eta = "预计 " + _when(d.since + timedelta(seconds=travel_s))
        elif travel_s:
            eta = f"路程约 {max(1, round(travel_s / 60))} 分钟"
        else:
            eta = "-"
        rows.append(
            _row(
                d.id,
                shown["resource_name"] or capability_name(d.part or record.need.capability),
                shown["owner_name"] or shown["organisation"] or "",
                d.quantity,
                PROGRESS[d.status.value],
                eta,
            )
        )
    if not rows:
        return '<p class="rr-none">尚未派出 (nothing dispatched yet)</p>'
    head = _row("派单号 Dispatch", "单位 Unit", "所属 From", "数量 Qty", "状态 Status", "到达 ETA", head=True)
    return f'<table class="rr-table">{head}{"".join(rows)}</table>'


def _page(
    board: Board,
    incident: Incident,
    record: NeedRecord,
    travel: dict[tuple[str, str | None, str], int | None],
) -> str:
    need = record.need
    priority = f"{record.priority} {PRIORITIES.get(record.priority, '')}"
    # People read the sheet: the community by its name, no code beside it (capabilities likewise).
    assert board.community is not None
    requester = board.community.name or board.community.id
    place = need_place(board, need) or "-"
    # The need's own units, then each part of a team need: asked and sent.
    order = "".join(
        _row(
            quantity,
            capability_name(capability),
            sum(d.quantity for d in board.dispatches_of(need.id) if d.committed and d.part == part),
            priority,
            place,
        )
        for part, capability, quantity in asked(need)
    )
    lines = "".join(_row("", "", "", "", "") for _ in range(3))
    return f"""<section class="rr-page" data-need="{escape(need.id)}">
<h1>资源请求单 <small>Resource Request (ICS-213RR)</small></h1>
<table class="rr-table rr-head">
{_row("请求编号 Request No.", f"{incident.id}/{need.id}", "日期时间 Date/time", _when(record.reported_at))}
{_row("应急事件 Incident", f"{incident.id} · {incident_words(incident)}", "请求单位 Requested by", requester)}
</table>
<h2>一、需求 Order</h2>
<table class="rr-table">
{_row("数量 Qty", "种类 Kind", "已派出 Sent", "优先级 Priority", "送达地点 Deliver to", head=True)}
{order}
</table>
<h2>二、派单情况 Status of the order</h2>
{_sent(board, record, travel)}
<h2>三、审批 Approvals</h2>
<div class="rr-sign">
<div><b>社区 Community</b><span>签字 Signature</span><span>日期 Date</span></div>
<div><b>街道 Street office</b><span>签字 Signature</span><span>日期 Date</span></div>
</div>
<h2>四、物资后勤 Order / logistics</h2>
<table class="rr-table rr-blank">
{_row("订单号 Order No.", "供应单位 Supplier", "预计送达 ETA", "经办人 Handled by", "备注 Notes", head=True)}
{lines}
</table>
</section>"""


def sheet(board: Board, incident: Incident, at: datetime, need: str | None = None) -> str:
    """The whole document: every open need of the incident, or the one named ``need``."""
    records = sorted(board.open_needs(), key=lambda r: r.need.id)
    if need is not None:
        records = [r for r in records if r.need.id == need]
        if not records:
            raise NotFound(f"未满足的需求 {need!r}")
    if not records:
        raise Rejected(
            "conflict", "incident", f"应急事件 {incident.id!r} 没有未满足的需求 (no open need to request)"
        )
    travel = plan_travel(board)
    pages = "\n".join(_page(board, incident, r, travel) for r in records)
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>资源请求单 Resource Request · {escape(incident.id)}</title>
<link rel="stylesheet" href="/resource-request.css">
</head>
<body>
<main class="rr-sheet" data-incident="{escape(incident.id)}">
{pages}
<p class="rr-foot">平战 Pingzhan · 生成于 {escape(_when(at))} · 居民电话不在此单上 (no resident's phone on this sheet)</p>
</main>
</body>
</html>
"""
