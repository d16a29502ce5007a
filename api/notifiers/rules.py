"""What goes out to people who do not have the console open: each applied event becomes notices, by the rules
here, each for one recipient (an organisation, a community's cadres, a street's staff), in plain Chinese, with
the place in the console that opens the item.

A new kind of notice is one function decorated with :func:`rule`: it reads the step and the board as they are
right after it (as api/channels.py does) and returns its notices. Which notifiers carry a notice is the
operator's file's business (api/notifiers/outbox.py routes them).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from api.attention import TAKEN_ZH, need_where, unit_names
from api.labels import capability_name
from engine.coordinator import Board, Dispatch, Step
from engine.coordinator.attention import Taken
from engine.coordinator.events import DispatchStatus, DispatchStatusChanged, NeedEscalated, WarningReceived
from engine.coordinator.refs import home_of, qualify
from engine.model.ids import NeedId
from engine.model.warning import WarningStatus

S = DispatchStatus


class To(StrEnum):
    ORGANISATION = "organisation"
    CADRES = "cadres"
    STREET = "street"


@dataclass(frozen=True)
class Notice:
    kind: str
    # Whom: an organisation as ``home/organisation`` (engine/coordinator/refs.py), a community's id, a street's.
    to: To
    who: str
    community: str
    title: str
    text: str
    # The console's address of the item, after the console's own (api/console/app.js reads it).
    link: str
    exercise: bool


Rule = Callable[[Board, Step], list[Notice]]
RULES: list[Rule] = []


def rule(make: Rule) -> Rule:
    RULES.append(make)
    return make


def notices(board: Board, step: Step) -> list[Notice]:
    """Every rule's notices for one step, on the board as it is after it."""
    if board.community is None or board.is_street:
        return []
    return [n for make in RULES for n in make(board, step)]


def link(community: str, need: str | None = None) -> str:
    """The console's address of a community's page, at a need's card if one is named."""
    at = f"#c={quote(community, safe='')}"
    return f"{at}&need={quote(need, safe='')}" if need is not None else at


def notice(board: Board, kind: str, to: To, who: str, need: NeedId, title: str, text: str) -> Notice:
    """A notice about ``need`` of the board's community, its link opening it; a drill's says so."""
    assert board.community is not None
    title = f"【演练】{title}" if board.exercise else title
    c = board.community.id
    return Notice(kind, to, who, c, title, text, link(c, need), board.exercise)


def _became(board: Board, step: Step, status: DispatchStatus) -> tuple[Dispatch, str] | None:
    """The dispatch the step gave ``status``, and its organisation (``home/organisation``), if it did."""
    event = step.event
    if not isinstance(event, DispatchStatusChanged) or event.status is not status:
        return None
    d = next((d for d in (*step.changed, *step.removed) if d.id == event.dispatch), None)
    who = _organisation(board, d) if d is not None else None
    return (d, who) if d is not None and who is not None else None


def _what(board: Board, need: NeedId) -> tuple[str, str, str]:
    """(community name, need in words, place) of a need."""
    assert board.community is not None
    record = board.needs.get(need)
    words = capability_name(record.need.capability) if record is not None else "需求"
    if record is not None:
        words += f"（优先级 {record.priority}）"
    return board.community.name or board.community.id, words, need_where(board, need) or "见平战"


def _organisation(board: Board, d: Dispatch) -> str | None:
    assert board.community is not None
    organisation, _, _ = unit_names(board, d.resource)
    return qualify(home_of(d.resource, board.community.id), organisation) if organisation else None


@rule
def dispatch_sent(board: Board, step: Step) -> list[Notice]:
    """A dispatch sent to an organisation (confirmed, by a person or by the profile): its organisation is
    asked to accept it in the console."""
    found = _became(board, step, S.NOTIFIED)
    if found is None:
        return []
    d, who = found
    community, need, place = _what(board, d.need)
    unit = unit_names(board, d.resource)[2] or "力量"
    limit = board.profile.dispatch.ack_timeout_s // 60 if board.profile is not None else 0
    within = f"请在 {limit} 分钟内" if limit >= 1 else "请尽快"
    return [
        notice(
            board,
            "dispatch_sent",
            To.ORGANISATION,
            who,
            d.need,
            f"派单：{community} 需要 {unit} × {d.quantity}",
            f"{community}派单：请派出 {unit} × {d.quantity}，前往 {place}，处置{need}。{within}在平战中接单。",
        )
    ]


@rule
def job_timed_out(board: Board, step: Step) -> list[Notice]:
    """A job taken back because nobody accepted it in time: its organisation is told not to go, and the
    community's cadres that it is being sent elsewhere."""
    found = _became(board, step, S.TIMED_OUT)
    if found is None:
        return []
    d, who = found
    assert board.community is not None
    community, need, place = _what(board, d.need)
    _, org_name, unit = unit_names(board, d.resource)
    unit = unit or "力量"
    why = TAKEN_ZH[Taken.TIMED_OUT]
    return [
        notice(
            board,
            "job_timed_out",
            To.ORGANISATION,
            who,
            d.need,
            f"任务已收回：{unit}（{why}）",
            f"{community}的任务已收回：{unit} 前往 {place}（{need}），{why}，无需前往。",
        ),
        notice(
            board,
            "job_timed_out",
            To.CADRES,
            board.community.id,
            d.need,
            f"派单超时：{org_name or unit} {why}",
            f"{org_name or unit} {why}，派往 {place}（{need}）的任务已收回，系统将另行安排。",
        ),
    ]


@rule
def need_escalated(board: Board, step: Step) -> list[Notice]:
    """A need the community could not cover in time, sent to the street."""
    event = step.event
    if not isinstance(event, NeedEscalated) or event.need not in board.needs:
        return []
    assert board.community is not None
    community, need, place = _what(board, event.need)
    what = capability_name(board.needs[event.need].need.capability)
    return [
        notice(
            board,
            "need_escalated",
            To.STREET,
            board.community.street,
            event.need,
            f"上报街道：{community} 缺 {event.missing} 个{what}",
            f"{community}上报：{need}，地点 {place}，还缺 {event.missing}。{event.detail}".strip(),
        )
    ]


@rule
def warning_proposed(board: Board, step: Step) -> list[Notice]:
    """An official warning covers the community: its cadres and its street are asked whether to start
    incident mode (the link opens the community's page, the proposal at its top)."""
    event = step.event
    if not isinstance(event, WarningReceived):
        return []
    record = board.warnings.records.get(event.warning.id)
    if record is None or record.status is not WarningStatus.OPEN:
        return []  # an update that joined a running incident asks nothing
    assert board.community is not None
    w = event.warning
    community = board.community.name or board.community.id
    drill = "【演练】" if w.exercise else ""
    text = f"{w.sender_name or '预警发布方'}：{w.headline or w.title_zh}。{w.instruction}".strip()
    out = []
    for to, who, title in (
        (To.CADRES, board.community.id, f"{drill}{w.title_zh}覆盖本社区 — 启动应急模式？"),
        (To.STREET, board.community.street, f"{drill}{w.title_zh}覆盖{community} — 启动应急模式？"),
    ):
        c = board.community.id
        out.append(Notice("warning_proposed", to, who, c, title, text, link(c), w.exercise))
    return out
