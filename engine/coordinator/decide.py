"""Commands become events here, after every check against the board; nothing here changes the board."""

from datetime import datetime

# Governance's rules read the board too: imported as a module, used when called, so that either package may be
# the first a program imports.
import engine.coordinator.decide_warnings as warnings
import engine.governance.decide as governance
from engine.coordinator.board import Board, Dispatch, NeedStatus
from engine.coordinator.commands import (
    AcceptWarning,
    Advance,
    AnswerEscalation,
    Approve,
    Assign,
    CancelNeed,
    CancelWarning,
    ChangeLevel,
    ChangeProfile,
    CloseIncident,
    CloseRoad,
    Command,
    DismissWarning,
    Escalate,
    OpenAttention,
    Override,
    ReceiveWarning,
    RegisterCommunity,
    RegisterOrganisation,
    RegisterStreet,
    RelaxRule,
    ReopenRoad,
    ReportNeed,
    SaveResource,
    TriggerIncident,
    UpdateNeed,
    UpdateOrganisation,
)
from engine.coordinator.events import (
    AttentionOpened,
    CommunityRegistered,
    DispatchCreated,
    DispatchId,
    DispatchStatus,
    DispatchStatusChanged,
    EscalationAnswer,
    EscalationAnswered,
    Event,
    IncidentClosed,
    IncidentLevelChanged,
    IncidentTriggered,
    NeedCancelled,
    NeedEscalated,
    NeedReported,
    NeedUpdated,
    OrganisationRegistered,
    OrganisationUpdated,
    ProfileChanged,
    ResourceSaved,
    RoadClosed,
    RoadReopened,
    StreetRegistered,
)
from engine.coordinator.rejected import Rejected
from engine.model.entities import Need, Resource, ResourceStatus
from engine.model.ids import Capability, NeedId, NodeId, ResourceId
from engine.model.plan import ESCALATE

S = DispatchStatus
# Where a dispatch may go from where it is. Declined, timed out and cancelled end it.
TRANSITIONS: dict[DispatchStatus, frozenset[DispatchStatus]] = {
    S.CONFIRMED: frozenset({S.PROPOSED}),
    S.ACKNOWLEDGED: frozenset({S.NOTIFIED}),
    S.DECLINED: frozenset({S.NOTIFIED, S.ACKNOWLEDGED}),
    # Setting off counts as acknowledging: one tap fewer for a responder in a hurry.
    S.EN_ROUTE: frozenset({S.NOTIFIED, S.ACKNOWLEDGED}),
    S.ON_SITE: frozenset({S.EN_ROUTE}),
    S.DONE: frozenset({S.EN_ROUTE, S.ON_SITE}),
    S.NO_ROAD: frozenset({S.NOTIFIED, S.ACKNOWLEDGED, S.EN_ROUTE}),
}
STATUS_ZH = {
    S.PROPOSED: "待确认",
    S.CONFIRMED: "已确认",
    S.NOTIFIED: "已通知",
    S.ACKNOWLEDGED: "已接单",
    S.EN_ROUTE: "在途",
    S.ON_SITE: "到场",
    S.DONE: "完成",
    S.DECLINED: "已拒绝",
    S.TIMED_OUT: "超时未响应",
    S.NO_ROAD: "无路可达",
    S.CANCELLED: "已取消",
}


def decide(board: Board, command: Command, at: datetime, actor: str) -> list[Event]:
    """The events that ``command`` causes now, or :class:`Rejected` naming the field at fault."""
    if board.community is None and not isinstance(command, RegisterCommunity | RegisterStreet):
        raise Rejected("not_found", "community", "the community is not registered")
    if board.is_street and not isinstance(command, STREET_COMMANDS):
        # The street's own board holds its pool; needs, incidents and dispatches are the communities'.
        raise Rejected("invalid", "community", "the street's own pool takes organisations and resources only")
    match command:
        case RegisterCommunity():
            if board.community is not None:
                raise Rejected("conflict", "community.id", f"{command.community.id!r} is already registered")
            _check_map(board, command)
            return [CommunityRegistered(at=at, actor=actor, **_fields(command))]
        case RegisterStreet():
            if board.community is not None:
                raise Rejected("conflict", "street", f"the street {command.street!r} is already registered")
            _check_map(board, command)
            return [StreetRegistered(at=at, actor=actor, **_fields(command))]
        case ChangeProfile():
            return [ProfileChanged(at=at, actor=actor, profile=command.profile)]
        case RegisterOrganisation():
            return [_organisation(board, command, at, actor)]
        case UpdateOrganisation():
            old = board.organisations.get(command.organisation.id)
            if old is None:
                raise Rejected(
                    "not_found", "organisation.id", f"unknown organisation {command.organisation.id!r}"
                )
            if command.organisation.community != old.community:
                raise Rejected("invalid", "organisation.community", "an organisation stays in its community")
            return [OrganisationUpdated(at=at, actor=actor, organisation=command.organisation)]
        case SaveResource():
            return [_resource(board, command, at, actor)]
        case ReportNeed():
            _check_need(board, command.need, new=True)
            return [NeedReported(at=at, actor=actor, need=command.need, contact_phone=command.contact_phone)]
        case UpdateNeed():
            _check_need(board, command.need, new=False)
            return [NeedUpdated(at=at, actor=actor, need=command.need)]
        case CancelNeed():
            _open_need(board, command.need, "need")
            return [NeedCancelled(at=at, actor=actor, need=command.need, reason=command.reason)]
        case CloseRoad() | ReopenRoad():
            return [_road(board, command, at, actor)]
        case TriggerIncident():
            if board.incident is not None:
                raise Rejected("conflict", "incident", f"incident {board.incident.id!r} is still open")
            if any(i.id == command.incident for i in board.incidents):
                raise Rejected("conflict", "incident", f"incident id {command.incident!r} was used before")
            return [
                IncidentTriggered(at=at, actor=actor, **_fields(command)),
                *governance.checks_for_incident(board, at),
            ]
        case ChangeLevel():
            incident = _incident(board)
            return [IncidentLevelChanged(at=at, actor=actor, incident=incident, level=command.level)]
        case CloseIncident():
            return [IncidentClosed(at=at, actor=actor, incident=_incident(board))]
        case Override():
            return _override(board, command, at, actor)
        case Advance():
            return _advance(board, command, at, actor)
        case Escalate():
            return [_escalate(board, command, at, actor)]
        case Approve():
            return _approve(board, command, at, actor)
        case Assign():
            return _assign(board, command, at, actor)
        case AnswerEscalation():
            return [_answer(board, command, at, actor)]
        case RelaxRule():
            return [_relax(board, command, at, actor)]
        case OpenAttention():
            return _open_attention(board, command, at, actor)
        case ReceiveWarning():
            return warnings.receive(board, command, at, actor)
        case CancelWarning():
            return warnings.cancel(board, command, at, actor)
        case AcceptWarning():
            return warnings.accept(board, command, at, actor)
        case DismissWarning():
            return warnings.dismiss(board, command, at, actor)
        case _:
            return governance.decide_governance(board, command, at, actor)


STREET_COMMANDS = (RegisterOrganisation, UpdateOrganisation, SaveResource, ChangeProfile)


def _check_map(board: Board, command: RegisterCommunity | RegisterStreet) -> None:
    """Build the map once before it is logged: a map that cannot be read must never reach the event log,
    where it would stop every later rebuild."""
    try:
        graph = board.maps(command.map)
    except (ValueError, OSError, RuntimeError) as exc:
        raise Rejected("invalid", "map", f"the map cannot be read: {exc}") from None
    try:
        # The places it lists (an extract's own names are read later, and never refused).
        command.map.gazetteer(graph)
    except ValueError as exc:
        raise Rejected("invalid", "map.places", str(exc)) from None


def _fields(command: RegisterCommunity | RegisterStreet | TriggerIncident) -> dict[str, object]:
    return {name: getattr(command, name) for name in type(command).model_fields}


def _incident(board: Board) -> str:
    if board.incident is None:
        raise Rejected("conflict", "incident", "no incident is open")
    return board.incident.id


def _organisation(board: Board, command: RegisterOrganisation, at: datetime, actor: str) -> Event:
    organisation = command.organisation
    assert board.community is not None
    if organisation.id in board.organisations:
        raise Rejected("conflict", "organisation.id", f"{organisation.id!r} is already registered")
    if board.is_street and organisation.community is not None:
        raise Rejected("invalid", "organisation.community", "the street's own pool belongs to no community")
    if organisation.community not in (None, board.community.id):
        raise Rejected(
            "invalid", "organisation.community", f"{organisation.community!r} is not {board.community.id!r}"
        )
    return OrganisationRegistered(at=at, actor=actor, organisation=organisation)


def _resource(board: Board, command: SaveResource, at: datetime, actor: str) -> Event:
    resource = command.resource
    if resource.organisation not in board.organisations:
        raise Rejected(
            "not_found", "resource.organisation", f"unknown organisation {resource.organisation!r}"
        )
    old = board.resources.get(resource.id)
    if old is not None and old.organisation != resource.organisation:
        raise Rejected("invalid", "resource.organisation", f"{resource.id!r} belongs to {old.organisation!r}")
    _on_map(board, resource.location, "resource.location")
    # Units lent and committed on another community's board count too.
    committed = board.units_committed(resource.id)
    if resource.quantity < committed:
        raise Rejected(
            "conflict",
            "resource.quantity",
            f"{committed} units of {resource.id!r} are already dispatched; got {resource.quantity}",
        )
    return ResourceSaved(at=at, actor=actor, resource=resource)


def _check_need(board: Board, need: Need, *, new: bool) -> None:
    assert board.community is not None
    if new and need.id in board.needs:
        raise Rejected("conflict", "need.id", f"{need.id!r} was reported before")
    if not new:
        _open_need(board, need.id, "need.id")
        committed = board.committed_units(need.id, None)
        if need.quantity < committed:
            raise Rejected(
                "conflict", "need.quantity", f"{committed} units are already dispatched; got {need.quantity}"
            )
    if need.community not in (None, board.community.id):
        raise Rejected("invalid", "need.community", f"{need.community!r} is not {board.community.id!r}")
    _on_map(board, need.location, "need.location")


def _open_need(board: Board, need_id: str, field: str) -> None:
    record = board.needs.get(need_id)  # type: ignore[call-overload]
    if record is None:
        raise Rejected("not_found", field, f"unknown need {need_id!r}")
    if record.status is not NeedStatus.OPEN:
        raise Rejected("conflict", field, f"need {need_id!r} is {record.status.value}")


def _on_map(board: Board, node: NodeId, field: str) -> None:
    if not board.graph.has_node(node):
        raise Rejected("invalid", field, f"{node!r} is not on the community's map")


def _road(board: Board, command: CloseRoad | ReopenRoad, at: datetime, actor: str) -> Event:
    _on_map(board, command.source, "source")
    _on_map(board, command.target, "target")
    u, v = command.source, command.target
    graph = board.graph
    try:
        graph.open_graph().edge_seconds(u, v)
    except ValueError:
        raise Rejected("invalid", "target", f"there is no road {u}–{v} on the map") from None
    closed = (u, v) in graph.closures
    if isinstance(command, CloseRoad):
        if closed:
            raise Rejected("conflict", "target", f"the road {u}–{v} is already closed")
        return RoadClosed(at=at, actor=actor, source=u, target=v, one_way=command.one_way)
    if not closed:
        raise Rejected("conflict", "target", f"the road {u}–{v} is not closed")
    # Reopen the road as it was closed: an undirected road may have been closed from the other end.
    closed_here = board.closed_roads | board.closed_one_way
    if (u, v) not in closed_here and (v, u) in closed_here:
        u, v = v, u
    return RoadReopened(at=at, actor=actor, source=u, target=v)


def _dispatch(board: Board, dispatch_id: DispatchId) -> Dispatch:
    dispatch = board.dispatches.get(dispatch_id)
    if dispatch is None:
        raise Rejected("not_found", "dispatch", f"no dispatch {dispatch_id!r} is in play")
    return dispatch


def _advance(board: Board, command: Advance, at: datetime, actor: str) -> list[Event]:
    dispatch = _dispatch(board, command.dispatch)
    allowed = TRANSITIONS.get(command.to)
    if allowed is None:
        raise Rejected("invalid", "to", f"a person cannot set a dispatch to {command.to.value!r}")
    if dispatch.status not in allowed:
        raise Rejected(
            "conflict",
            "dispatch",
            f"dispatch {dispatch.id} is {STATUS_ZH[dispatch.status]} ({dispatch.status.value}); "
            f"it cannot become {command.to.value}",
        )
    if command.to is S.CONFIRMED:
        if dispatch.approval:
            raise Rejected(
                "conflict",
                "dispatch",
                f"dispatch {dispatch.id} sends another community's units: the street approves it "
                "(须街道批准)",
            )
        _check_free(board, dispatch)
    if command.to is S.CONFIRMED:
        return _send(dispatch.id, at, actor, command.note, command.occurred_at)
    return [
        DispatchStatusChanged(
            at=at,
            actor=actor,
            dispatch=dispatch.id,
            status=command.to,
            note=command.note,
            occurred_at=command.occurred_at,
        )
    ]


def _check_free(board: Board, dispatch: Dispatch) -> None:
    resource = _known_resource(board, dispatch.resource, "dispatch")
    if resource.status is not ResourceStatus.AVAILABLE:
        raise Rejected(
            "conflict",
            "dispatch",
            f"{dispatch.resource!r} is {resource.status.value} now; wait for the next plan",
        )
    free = resource.quantity - board.units_committed(dispatch.resource)
    if free < dispatch.quantity:
        # The pool changed since the plan was made; the next plan (due shortly) will say what is possible.
        raise Rejected(
            "conflict",
            "dispatch",
            f"{dispatch.resource!r} has {free} units free now, the proposal needs {dispatch.quantity}; "
            "wait for the next plan",
        )


def _known_resource(board: Board, ref: ResourceId, field: str) -> Resource:
    resource = board.resource(ref)
    if resource is None:
        raise Rejected("not_found", field, f"没有这个资源 (unknown resource {ref!r})")
    return resource


def _approve(board: Board, command: Approve, at: datetime, actor: str) -> list[Event]:
    dispatch = _dispatch(board, command.dispatch)
    if not dispatch.approval:
        raise Rejected(
            "conflict",
            "dispatch",
            f"这条派单不需要街道批准 (dispatch {dispatch.id} does not wait for the street's approval)",
        )
    if dispatch.status is not S.PROPOSED or dispatch.after is not None:
        raise Rejected(
            "conflict",
            "dispatch",
            f"这条派单已处理或力量还在执行上一项任务 (dispatch {dispatch.id} is {dispatch.status.value}"
            + ("; its units are still on another job" if dispatch.after is not None else "")
            + ")",
        )
    _check_free(board, dispatch)
    return [
        *_send(dispatch.id, at, actor, command.note or "street_approved"),
        *_answered(board, dispatch.need, EscalationAnswer.APPROVED, at, actor, command.note),
    ]


def _send(
    dispatch: DispatchId, at: datetime, actor: str, note: str, occurred_at: datetime | None = None
) -> list[Event]:
    """Confirming sends it: the organisation is notified at once and the acknowledgement clock starts."""
    return [
        DispatchStatusChanged(
            at=at, actor=actor, dispatch=dispatch, status=S.CONFIRMED, note=note, occurred_at=occurred_at
        ),
        DispatchStatusChanged(at=at, dispatch=dispatch, status=S.NOTIFIED),
    ]


def _answered(
    board: Board, need: NeedId, answer: EscalationAnswer, at: datetime, actor: str, note: str
) -> list[Event]:
    """Units the street sends to an escalated need answer the escalation too (the cadre sees it)."""
    if not board.needs[need].escalated:
        return []
    return [EscalationAnswered(at=at, actor=actor, need=need, answer=answer, note=note)]


def _assign(board: Board, command: Assign, at: datetime, actor: str) -> list[Event]:
    _open_need(board, command.need, "need")
    need = board.needs[command.need].need
    if command.part is not None and command.part not in {p.capability for p in need.team}:
        raise Rejected(
            "invalid", "part", f"这项需求没有这一部分 (need {need.id!r} has no team part {command.part!r})"
        )
    resource = _known_resource(board, command.resource, "resource")
    if resource.status is not ResourceStatus.AVAILABLE:
        raise Rejected(
            "conflict",
            "resource",
            f"这个资源现在不可用 ({command.resource!r} is {resource.status.value} now)",
        )
    per_unit = next((p.per_unit for p in need.team if p.capability == command.part), 1)
    missing = need.quantity * per_unit - board.committed_units(need.id, command.part)
    if command.quantity > missing:
        raise Rejected(
            "conflict",
            "quantity",
            f"这项需求只差 {max(0, missing)} 个，不能再派 {command.quantity} 个 "
            f"(need {need.id!r} still lacks {max(0, missing)} units; got {command.quantity})",
        )
    held = board.units_committed(command.resource)
    return [
        *_by_hand(
            board,
            need.id,
            command.part,
            command.resource,
            command.quantity,
            held,
            at,
            actor,
            command.note or "assigned",
        ),
        *_answered(board, need.id, EscalationAnswer.ASSIGNED, at, actor, command.note),
    ]


def _by_hand(
    board: Board,
    need: NeedId,
    part: Capability | None,
    ref: ResourceId,
    quantity: int,
    held: int,
    at: datetime,
    actor: str,
    note: str,
    replaces: DispatchId | None = None,
) -> list[Event]:
    """A person sends ``quantity`` units of ``ref`` (``held`` of them taken elsewhere): created and sent at
    once, so the plan keeps it as a pin."""
    resource = _known_resource(board, ref, "resource")
    record = board.needs[need].need
    wanted: Capability = part if part is not None else record.capability
    if resource.capability != wanted:
        raise Rejected(
            "invalid",
            "resource",
            f"这个资源做不了这件事 ({ref!r} offers {resource.capability!r}; the need asks {wanted!r})",
        )
    if resource.quantity - held < quantity:
        raise Rejected(
            "conflict",
            "quantity",
            f"这个资源只有 {resource.quantity - held} 个空闲 ({ref!r} has {resource.quantity - held} units free; "
            f"got {quantity})",
        )
    new_id = board.next_dispatch_id()
    created = DispatchCreated(
        at=at,
        actor=actor,
        dispatch=new_id,
        need=need,
        part=part,
        resource=ref,
        quantity=quantity,
        replaces=replaces,
    )
    return [created, *_send(new_id, at, actor, note)]


def _answer(board: Board, command: AnswerEscalation, at: datetime, actor: str) -> Event:
    _open_need(board, command.need, "need")
    if not board.needs[command.need].escalated:
        raise Rejected(
            "conflict",
            "need",
            f"这项需求没有上报街道 (need {command.need!r} has not been escalated to the street)",
        )
    if command.answer not in (EscalationAnswer.ASKED, EscalationAnswer.NO_HELP):
        raise Rejected(
            "invalid",
            "answer",
            f"批准或派出力量请用对应的操作 ({command.answer.value!r}: approving or assigning sends units)",
        )
    if command.answer is EscalationAnswer.ASKED:
        if command.community is None:
            raise Rejected("invalid", "community", "请选择请哪个社区支援 (name the community asked to help)")
        if board.community is not None and command.community == board.community.id:
            raise Rejected(
                "invalid", "community", "请选择别的社区 (ask another community than the need's own)"
            )
    elif not command.note.strip():
        raise Rejected("invalid", "note", "请写明原因，社区干部会看到 (say why no help is available)")
    return EscalationAnswered(
        at=at,
        actor=actor,
        need=command.need,
        answer=command.answer,
        note=command.note,
        community=command.community if command.answer is EscalationAnswer.ASKED else None,
        community_name=board.name_of(command.community)
        if command.answer is EscalationAnswer.ASKED and command.community
        else "",
    )


def _override(board: Board, command: Override, at: datetime, actor: str) -> list[Event]:
    old = _dispatch(board, command.dispatch)
    if old.status not in (S.PROPOSED, S.CONFIRMED, S.NOTIFIED):
        raise Rejected(
            "conflict",
            "dispatch",
            f"dispatch {old.id} is already {old.status.value}; it can no longer be changed",
        )
    # Units already committed elsewhere stay there; the replaced dispatch's own units are freed by it.
    held = board.units_committed(command.resource) - (
        old.quantity if old.resource == command.resource and old.committed else 0
    )
    quantity = command.quantity or old.quantity
    return _by_hand(
        board, old.need, old.part, command.resource, quantity, held, at, actor, "override", replaces=old.id
    )


def _escalate(board: Board, command: Escalate, at: datetime, actor: str) -> Event:
    _open_need(board, command.need, "need")
    record = board.needs[command.need]
    if record.escalated:
        raise Rejected("conflict", "need", f"need {command.need!r} was already escalated to the street")
    unmet = next((u for u in board.plan.unmet if u.need == command.need), None) if board.plan else None
    missing = max(0, record.need.quantity - board.committed_units(command.need, None))
    return NeedEscalated(
        at=at,
        actor=actor,
        need=command.need,
        missing=missing,
        suggestion=unmet.suggestion if unmet is not None else ESCALATE,
        detail=unmet.detail if unmet is not None else "社区干部上报街道",
    )


def _relax(board: Board, command: RelaxRule, at: datetime, actor: str) -> Event:
    assert board.profile is not None
    names = [r.name for r in board.profile.rules]
    if command.rule not in names:
        raise Rejected("not_found", "rule", f"profile {board.profile.name!r} has no rule {command.rule!r}")
    kept = tuple(r for r in board.profile.rules if r.name != command.rule)
    return ProfileChanged(at=at, actor=actor, profile=board.profile.model_copy(update={"rules": kept}))


def _open_attention(board: Board, command: OpenAttention, at: datetime, actor: str) -> list[Event]:
    item = board.attention.items.get(command.item)
    if item is None or command.audience not in item.audiences:
        raise Rejected("not_found", "item", f"没有这条提醒 (no attention item {command.item!r})")
    if item.opened_by(command.audience) is not None:
        return []  # opened before: the first to open it stands
    return [AttentionOpened(at=at, actor=actor, item=item.id, audience=command.audience)]
