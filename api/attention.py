"""The attention bar as each reader sees it: the items of engine/coordinator/attention.py in plain words.

Who sees what: a community's cadres and its observers the community's items; the street's staff (and the
street's observers) those that concern the street (a need sent to the street, or a unit not of the community:
lent or the street's own); an organisation the jobs taken back from its own units, in every community of the
street; a grid worker those about the needs they reported (they may be the one beside the resident). Building
captains have none. Observers and grid workers read, never open.

An item is read as it is now: the organisation's and the unit's names, the need's place, and what became of
the need since (another unit sent and on its way, done, cancelled), so an item that no longer holds says so.
No item carries a resident's phone, so nothing here is masked per reader.
"""

from typing import Any

from api import channel
from api.access import owns_resource
from api.auth import Principal, Role
from api.labels import capability_name
from api.places import need_place
from engine.coordinator import Board, Step
from engine.coordinator.attention import AttentionItem, AttentionKind, Taken
from engine.coordinator.board import NeedStatus
from engine.coordinator.events import (
    ANSWER_ZH,
    AttentionOpened,
    Audience,
    DispatchCreated,
    DispatchStatus,
    DispatchStatusChanged,
    EscalationAnswer,
    EscalationAnswered,
    NeedCancelled,
    NeedEscalated,
    PlanProposed,
)
from engine.coordinator.refs import SEPARATOR, home_of
from engine.model.ids import NeedId

S = DispatchStatus
Data = dict[str, Any]

ANSWER_EN = {
    EscalationAnswer.APPROVED: "the street approved a dispatch",
    EscalationAnswer.ASSIGNED: "the street sent units",
    EscalationAnswer.ASKED: "the street asked a neighbouring community to help",
    EscalationAnswer.NO_HELP: "the street has no units to send",
}
# Why a job was taken back, in the organisation's words (it never is for a decline: that was its own word).
TAKEN_ZH = {
    Taken.TIMED_OUT: "未在时限内接单",
    Taken.OVERRIDE: "已改派其他力量",
    Taken.NEED_CANCELLED: "需求已取消",
}
TAKEN_EN = {
    Taken.TIMED_OUT: "not accepted in time",
    Taken.OVERRIDE: "sent to another unit instead",
    Taken.NEED_CANCELLED: "the need was cancelled",
}
ON_THE_WAY = frozenset({S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SITE, S.DONE})
# The kinds whose text says what became of the need since (:func:`_since`).
FOLLOWED = frozenset({AttentionKind.DISPATCH_WITHDRAWN, AttentionKind.LIFE_SAFETY_UNMET})


def audience_of(p: Principal) -> Audience | None:
    """The bar ``p`` reads (None: none)."""
    if p.role is Role.ORGANISATION:
        return Audience.ORGANISATION
    if p.role is Role.STREET or (p.role is Role.OBSERVER and p.community is None):
        return Audience.STREET
    if p.role in (Role.CADRE, Role.OBSERVER, Role.GRID_WORKER):
        return Audience.COMMUNITY
    return None


def opens(p: Principal) -> bool:
    """Observers and grid workers read the bar; only those who act on it open its items."""
    return p.role in (Role.CADRE, Role.STREET, Role.ORGANISATION)


def concerns_street(board: Board, item: AttentionItem) -> bool:
    """The street follows a need sent to it, and units it lent or sent (not of the need's community)."""
    record = board.needs.get(item.need)
    return (record is not None and record.escalated) or (
        item.resource is not None and SEPARATOR in item.resource
    )


def _sees(p: Principal, board: Board, item: AttentionItem, audience: Audience) -> bool:
    if audience is Audience.ORGANISATION:
        return item.resource is not None and owns_resource(p, board, item.resource)
    if audience is Audience.STREET:
        return concerns_street(board, item)
    if p.role is Role.GRID_WORKER:
        record = board.needs.get(item.need)
        return record is not None and record.need.reported_by == p.subject
    return True


def visible(p: Principal, board: Board, *, opened: bool = False) -> list[tuple[Board, AttentionItem]]:
    """The items ``p`` sees from ``board`` (an organisation: from every board of the street), newest first;
    ``opened`` keeps those opened already too."""
    audience = audience_of(p)
    if audience is None:
        return []
    boards = board.pool.boards() if audience is Audience.ORGANISATION and board.pool is not None else [board]
    found = [
        (b, item)
        for b in boards
        if not b.is_street
        for item in b.attention.items.values()
        if audience in item.audiences
        and (opened or item.opened_by(audience) is None)
        and _sees(p, b, item, audience)
    ]
    return sorted(found, key=lambda x: (x[1].at, x[1].id), reverse=True)


def find(p: Principal, board: Board, item_id: str) -> tuple[Board, AttentionItem] | None:
    return next(((b, i) for b, i in visible(p, board, opened=True) if i.id == item_id), None)


# -- in words -------------------------------------------------------------------------------------


def need_where(board: Board, need: NeedId) -> str:
    """Where the need is, as people name it (api/places.py), and the address typed for it if it says more."""
    record = board.needs.get(need)
    if record is None:
        return ""
    place, note = need_place(board, record.need), record.need.note.strip()
    if place and note and note not in place:
        return f"{place}（{note}）"
    return place or note


def unit_names(board: Board, ref: str | None) -> tuple[str | None, str, str]:
    """(organisation id, organisation name, unit name) of the resource ``ref`` as ``board`` names it."""
    resource = board.resource(ref) if ref is not None else None  # type: ignore[arg-type]
    if resource is None:
        return None, "", ""
    home = home_of(ref or "", board.key)
    boards = board.pool.boards() if board.pool is not None else [board]
    owner = next((b for b in boards if b.community is not None and b.key == home), board)
    organisation = owner.organisations.get(resource.organisation)
    return resource.organisation, (organisation.name if organisation else "") or resource.name, resource.name


def _since(board: Board, item: AttentionItem) -> tuple[str, str]:
    """What became of the need since the item was made, when it no longer holds (zh, en)."""
    if item.kind not in FOLLOWED:
        return "", ""
    record = board.needs.get(item.need)
    if record is None:
        return "", ""
    if record.status is NeedStatus.SERVED:
        return "此后：已完成", "Since: done"
    if record.status is NeedStatus.CANCELLED:
        return "此后：需求已取消", "Since: the need was cancelled"
    sent = [d for d in board.dispatches_of(item.need) if d.committed and d.since >= item.at]
    going = [d for d in sent if d.status in ON_THE_WAY]
    if going:
        _, name, _ = unit_names(board, going[0].resource)
        return f"此后：{name} 已接单", f"Since: {name} accepted"
    if sent:
        _, name, _ = unit_names(board, sent[0].resource)
        return f"此后：已另派 {name}，等待接单", f"Since: {name} sent, waiting to accept"
    return "", ""


def _texts(board: Board, item: AttentionItem, place: str, org_name: str, unit_name: str) -> tuple[str, str]:
    zh, en = _said(board, item, place, org_name, unit_name)
    return (f"演练 · {zh}", f"Drill · {en}") if item.exercise else (zh, en)


def _said(board: Board, item: AttentionItem, place: str, org_name: str, unit_name: str) -> tuple[str, str]:
    at_zh = f" · {place}" if place else ""
    if item.kind is AttentionKind.DISPATCH_WITHDRAWN:
        if item.why is Taken.DECLINED:
            why_zh = "拒绝接单" + (f"（{item.note}）" if item.note else "")
            why_en = "declined" + (f" ({item.note})" if item.note else "")
        else:
            why_zh, why_en = "未在时限内接单", "did not accept in time"
        return (
            f"生命安全派单已撤回：{org_name} {why_zh}{at_zh}",
            f"Life-safety dispatch withdrawn: {org_name} {why_en}{at_zh}",
        )
    if item.kind is AttentionKind.LIFE_SAFETY_UNMET:
        record = board.needs.get(item.need)
        code = record.need.capability if record is not None else ""
        return (
            f"生命安全需求无人前往：{capability_name(code)}{at_zh}",
            f"Life-safety need, no one going: {capability_name(code, 'en')}{at_zh}",
        )
    if item.kind is AttentionKind.ESCALATION_ANSWERED:
        assert item.answer is not None
        note = f"：{item.note}" if item.note else ""
        return (
            f"街道已答复上报：{ANSWER_ZH[item.answer]}{note}{at_zh}",
            f"The street answered: {ANSWER_EN[item.answer]}{': ' + item.note if item.note else ''}{at_zh}",
        )
    assert item.why is not None
    return (
        f"任务已撤回：{unit_name}{at_zh}（{TAKEN_ZH[item.why]}），无需前往",
        f"Job withdrawn: {unit_name}{at_zh} ({TAKEN_EN[item.why]}); no need to go",
    )


def item_json(board: Board, item: AttentionItem, audience: Audience) -> Data:
    assert board.community is not None
    organisation, org_name, unit_name = unit_names(board, item.resource)
    place = need_where(board, item.need)
    text, text_en = _texts(board, item, place, org_name, unit_name)
    since, since_en = _since(board, item)
    record = board.needs.get(item.need)
    opened = item.opened_by(audience)
    return {
        "id": item.id,
        "kind": item.kind.value,
        "community": board.community.id,
        "community_name": board.community.name or board.community.id,
        "at": item.at.isoformat(),
        "need": item.need,
        "priority": record.priority if record is not None else None,
        # Who reported the need: a grid worker's page keeps only the items about theirs.
        "reported_by": record.need.reported_by if record is not None else None,
        "dispatch": item.dispatch,
        "organisation": organisation,
        "organisation_name": org_name,
        "resource_name": unit_name,
        "place": place,
        "why": item.why.value if item.why else None,
        "answer": item.answer.value if item.answer else None,
        "note": item.note,
        "exercise": item.exercise,
        "text": text,
        "text_en": text_en,
        "since": since,
        "since_en": since_en,
        "opened_at": opened.at.isoformat() if opened else None,
        "opened_by": opened.by if opened else None,
    }


# -- live -----------------------------------------------------------------------------------------


def _made_by(board: Board, step: Step) -> list[AttentionItem]:
    """The items ``step`` made (each item's id says what made it: engine/coordinator/attention.py)."""
    event = step.event
    items = board.attention.items
    ids: list[str] = []
    if isinstance(event, DispatchStatusChanged):
        ids = [f"{event.dispatch}-withdrawn", f"{event.dispatch}-job"]
    elif isinstance(event, DispatchCreated) and event.replaces is not None:
        ids = [f"{event.replaces}-job"]
    elif isinstance(event, NeedCancelled):
        ids = [f"{d.id}-job" for d in step.removed]
    elif isinstance(event, PlanProposed | EscalationAnswered):
        needs = {u.need for u in event.plan.unmet} if isinstance(event, PlanProposed) else {event.need}
        kind = (
            AttentionKind.LIFE_SAFETY_UNMET
            if isinstance(event, PlanProposed)
            else AttentionKind.ESCALATION_ANSWERED
        )
        ids = [i.id for i in items.values() if i.kind is kind and i.at == event.at and i.need in needs]
    return [items[i] for i in ids if i in items]


def _followed(board: Board, step: Step, made: list[AttentionItem]) -> list[AttentionItem]:
    """Items not yet opened whose need ``step`` moved on (another unit sent, on its way, done, cancelled, sent to
    the street): sent again, as their ``since`` now says something else (or the street now follows them)."""
    needs = {d.need for d in (*step.changed, *step.removed)}
    # Cancelled, it is over; sent to the street, the street's staff are told of it too.
    if isinstance(step.event, NeedCancelled | NeedEscalated):
        needs.add(step.event.need)
    if not needs:
        return []
    fresh = {i.id for i in made}
    return [
        i
        for i in board.attention.items.values()
        if i.need in needs and i.id not in fresh and i.kind in FOLLOWED and len(i.opened) < len(i.audiences)
    ]


def _channels(board: Board, item: AttentionItem, audience: Audience) -> list[str]:
    assert board.community is not None
    if audience is Audience.COMMUNITY:
        return [channel.community(board.key)]
    if audience is Audience.STREET:
        return [channel.street(board.community.street)] if concerns_street(board, item) else []
    resource = board.resource(item.resource) if item.resource is not None else None
    if resource is None:
        return []
    return [channel.organisation(home_of(item.resource or "", board.key), resource.organisation)]


def attention_messages(board: Board, step: Step, exercise: bool) -> list[tuple[str, str, Data]]:
    """``attention`` messages for one step: the items it made and those whose need it moved on (``items``, each
    as a read would show it now), or the item it opened (``opened``), each on the channel of the audience it is
    for, in that audience's words."""
    if board.is_street:
        return []
    event = step.event
    if isinstance(event, AttentionOpened):
        changes = [(board.attention.items[event.item], event.audience, "opened")]
    else:
        made = _made_by(board, step)
        changes = [
            (item, audience, "items")
            for item in (*made, *_followed(board, step, made))
            for audience in item.audiences
            if item.opened_by(audience) is None
        ]
    out: list[tuple[str, str, Data]] = []
    for item, audience, key in changes:
        body = {"exercise": exercise, "audience": audience.value, key: [item_json(board, item, audience)]}
        out += [(name, "attention", body) for name in _channels(board, item, audience)]
    return out
