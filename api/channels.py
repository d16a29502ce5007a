"""Channels and what goes on them: each applied event becomes messages on the channels allowed to see it.

``community:{c}`` carries everything in a community; ``incident:{c}:{i}`` the same while the incident is open;
``organisation:{c}:{o}`` only the dispatches sent to that organisation, with the needs they serve;
``street:{s}`` incidents, escalations and the street's answers, loans waiting for its approval, and changes
to the street's own pool. Governance events: see api/people_channels.py. Names: api/channel.py.

Residents' phones are stored masked in every message; who sees one in clear is decided per subscriber when
the message is delivered (api/masking.py).

A need's priority in force is the board's (after the profile's rules): a report or an update carries the need
as the board now has it in ``need``, and a change of profile or mode, which may move every open need, carries
each open need's priority in ``priorities``. ``event`` is the event itself, with the priority as reported.

Each message carries what a console needs to apply it to what it shows without reading anything back (see
api/console/live.js): ``changed`` dispatches as ``GET .../assignments`` shows them (travel time, organisation,
unit's name, whose), ``need`` for any event that changed a need (a dispatch done may serve one), the plan's
version and unmet needs in ``event``, the travel time of every other dispatch in ``travel`` (a new plan may
time a kept dispatch anew), ``committed`` units of the community's own resources the dispatches touched,
``resource`` as ``GET .../resources`` shows it, and the community as ``GET /communities/{id}`` shows it in
``community_public`` when an incident or the profile changes it. What a message cannot carry is named in
``reload`` (:data:`RELOAD`): the parts of a page a console holding them reads again. That is the read policy
of the console and of benchmarks/console_load.py alike.
"""

from collections.abc import Iterable
from typing import Any

from api import channel
from api.attention import attention_messages
from api.channel import Channel, Kind
from api.labels import unmet_named
from api.masking import need_masked_json
from api.people_channels import governance_messages
from api.schemas import community_public, dispatch_public, plan_travel
from engine.coordinator import Board, Dispatch, Step
from engine.coordinator.board import (
    NeedRecord,
    NeedStatus,
    dispatch_json,
    incident_json,
    need_priority_json,
    snapshot,
)
from engine.coordinator.events import (
    AttentionOpened,
    CommunityRegistered,
    DispatchStatusChanged,
    EscalationAnswer,
    EscalationAnswered,
    IncidentClosed,
    IncidentLevelChanged,
    IncidentTriggered,
    NeedCancelled,
    NeedEscalated,
    NeedReported,
    NeedUpdated,
    PlanProposed,
    ProfileChanged,
    ResourceSaved,
    WarningEvent,
)
from engine.coordinator.refs import home_of, is_street_key, split
from engine.governance.events import GovernanceEvent
from engine.governance.views import mask_phone
from engine.model.ids import NeedId

Data = dict[str, Any]


def event_json(step: Step) -> Data:
    event = step.event
    if isinstance(event, PlanProposed):
        # The diff travels in changed/removed; the plan's own summary is enough here.
        return {
            "type": event.type,
            "at": event.at.isoformat(),
            "version": event.version,
            "incident": event.incident,
            "exercise": event.exercise,
            "objective": event.plan.objective.model_dump(mode="json"),
            "unmet": [u.model_dump(mode="json") for u in event.plan.unmet],
            "assignments": len(event.plan.assignments),
        }
    data = event.model_dump(mode="json")
    if isinstance(event, NeedReported):
        data["contact_phone"] = mask_phone(event.contact_phone)
    return data


# The parts of a console page (its ``state.data`` keys, api/console/refresh.js) a message cannot carry, by
# event type: a page that holds one of them reads it again; everything else it applies from the message.
# Street staff's inbox, pool and contributions are worked out across the street; checks and rosters carry
# names and phones the community's channel may not; a road map is read whole.
_STREET_INBOX = ("inbox",)
_STREET_POOL = ("pool", "contributions")
RELOAD: dict[str, tuple[str, ...]] = {
    "community_registered": ("me", "communityList"),
    "profile_changed": ("profile", "street", "inbox"),
    "organisation_registered": ("editor", "people", "pool"),
    "organisation_updated": ("editor", "people", "pool"),
    "resource_saved": ("editor", "pool"),
    "need_updated": _STREET_INBOX,
    "need_cancelled": (*_STREET_INBOX, *_STREET_POOL),
    "need_escalated": _STREET_INBOX,
    "escalation_answered": _STREET_INBOX,
    "road_closed": ("map", "streetMap"),
    "road_reopened": ("map", "streetMap"),
    "incident_triggered": (*_STREET_INBOX, "checks"),
    "incident_level_changed": (),
    "incident_closed": (*_STREET_INBOX, *_STREET_POOL, "checks"),
    "plan_proposed": _STREET_INBOX,
    "dispatch_created": (*_STREET_INBOX, *_STREET_POOL),
    "dispatch_status_changed": (*_STREET_INBOX, *_STREET_POOL),
    # A warning's proposal (api/console/warnings.js): the community's cadres and the street's inbox.
    "warning_received": ("warnings",),
    "warning_withdrawn": ("warnings",),
    "warning_accepted": ("warnings",),
    "warning_dismissed": ("warnings",),
}


def reload_of(event_type: str) -> list[str]:
    """The parts a page holding them reads again after a message of ``event_type`` (see :data:`RELOAD`; a
    governance event's: api/people_channels.py, GOVERNANCE_RELOAD)."""
    return list(RELOAD.get(event_type, ()))


def dispatches_public(board: Board, dispatches: Iterable[Dispatch]) -> list[Data]:
    """Each dispatch as ``GET .../assignments`` shows it, the plan's travel times looked up once for all."""
    travel = plan_travel(board)
    return [dispatch_public(board, d, travel) for d in dispatches]


def _touched_needs(board: Board, step: Step) -> list[NeedRecord]:
    """The needs whose record this step changed (what ``need`` carries): the event's own, or the need of the
    dispatch whose status changed (done with its last dispatch, it is served)."""
    event = step.event
    need: NeedId | None = None
    if isinstance(event, NeedReported | NeedUpdated):
        need = event.need.id
    elif isinstance(event, NeedCancelled | NeedEscalated | EscalationAnswered):
        need = event.need
    elif isinstance(event, DispatchStatusChanged):
        need = next((d.need for d in (*step.changed, *step.removed) if d.id == event.dispatch), None)
    record = board.needs.get(need) if need is not None else None
    return [record] if record is not None else []


def _moved(board: Board, step: Step, touched: list[NeedRecord]) -> list[NeedRecord]:
    """The needs whose record this step changed, every open need when the profile or the mode may have moved
    their priorities."""
    if isinstance(step.event, ProfileChanged | IncidentTriggered | IncidentClosed):
        return [r for _, r in sorted(board.needs.items()) if r.status is NeedStatus.OPEN]
    return touched


def _committed(board: Board, step: Step) -> tuple[Data, dict[str, Data]]:
    """Units committed anywhere in the street, of the resources the step's dispatches hold: this community's
    own by id, and other communities' (lent here) by their home community, as their own boards name them."""
    own: Data = {}
    lent: dict[str, Data] = {}
    for d in (*step.changed, *step.removed):
        home, ident = split(d.resource)
        if home is None or home == board.key:
            own[ident] = board.units_committed(d.resource)
        elif not is_street_key(home):
            lent.setdefault(home, {})[ident] = board.units_committed(d.resource)
    return own, lent


def messages(board: Board, step: Step) -> list[tuple[str, str, Data]]:
    """(channel, type, data) for one step, on the board as it is after the step."""
    assert board.community is not None
    event = step.event
    exercise = board.exercise or (
        isinstance(event, IncidentClosed) and bool(board.incidents) and board.incidents[-1].exercise
    )
    if isinstance(event, GovernanceEvent):
        return governance_messages(board, event, exercise)
    if isinstance(event, AttentionOpened):
        return attention_messages(board, step, exercise)
    body: Data = {
        "exercise": exercise,
        "event": event_json(step),
        "changed": dispatches_public(board, step.changed),
        "removed": [dispatch_json(d) for d in step.removed],
        "reload": reload_of(event.type),
    }
    touched = _touched_needs(board, step)
    if touched:
        body["need"] = need_masked_json(touched[0])
    if isinstance(event, ProfileChanged | IncidentTriggered | IncidentClosed):
        body["priorities"] = [
            {"id": r.need.id, **need_priority_json(r)}
            for _, r in sorted(board.needs.items())
            if r.status is NeedStatus.OPEN
        ]
    if isinstance(event, ProfileChanged | IncidentTriggered | IncidentLevelChanged | IncidentClosed):
        body["community_public"] = community_public(board)
    if isinstance(event, PlanProposed):
        # The same words for every reader (one message for all): Chinese with the codes named; a page in
        # English reads GET .../plan in its language.
        body["event"]["unmet"] = unmet_named(board, body["event"]["unmet"], "zh")
        # A new plan may time anew a dispatch it kept as it was (roads changed, an override now planned).
        changed = {d.id for d in step.changed}
        travel = plan_travel(board)
        body["travel"] = {
            i: travel.get((d.need, d.part, d.resource))
            for i, d in sorted(board.dispatches.items())
            if i not in changed
        }
    lent: dict[str, Data] = {}
    if not isinstance(event, PlanProposed):  # a plan only proposes: it commits no unit
        body["committed"], lent = _committed(board, step)
    if isinstance(event, ResourceSaved):
        r = event.resource
        body["resource"] = {**r.model_dump(mode="json"), "committed": board.units_committed(r.id)}
    if board.is_street:
        # The street's own pool: its staff hear of it on the street's channel (it has no community channel).
        return [(channel.street(board.community.street), event.type, body)]
    out: list[tuple[str, str, Data]] = [(channel.community(board.community.id), event.type, body)]
    incident = (
        event.incident if isinstance(event, IncidentClosed) else board.incident.id if board.incident else None
    )
    if incident is not None:
        out.append((channel.incident(board.community.id, incident), event.type, body))
    # The street hears of escalations and its answers, incidents, warnings' proposals, and dispatches that wait
    # for its approval.
    waits = any(d.approval for d in (*step.changed, *step.removed))
    if waits or isinstance(
        event, NeedEscalated | EscalationAnswered | IncidentTriggered | IncidentClosed | WarningEvent
    ):
        out.append(
            (channel.street(board.community.street), event.type, {**body, "community": board.community.id})
        )
    if isinstance(event, CommunityRegistered):
        # The street's staff see every community of the street: their pages list the new one.
        out.append(
            (
                channel.street(board.community.street),
                event.type,
                {"exercise": False, "community": board.community.id, "reload": body["reload"]},
            )
        )
    # A community's units lent here: their own community's pages count them as busy (or free again).
    for home, units in sorted(lent.items()):
        out.append((channel.community(home), "units", {"exercise": exercise, "committed": units}))
    out += _help_requested(board, step, touched, exercise)
    for (home, organisation), mine in _by_organisation(board, step, touched).items():
        out.append(
            (
                channel.organisation(home, organisation),
                "dispatches",
                {"exercise": exercise, "community": board.community.id, **mine},
            )
        )
    # What must not be missed (a life-safety dispatch withdrawn, a job taken back), after what it is about.
    out += attention_messages(board, step, exercise)
    return out


def _help_requested(
    board: Board, step: Step, touched: list[NeedRecord], exercise: bool
) -> list[tuple[str, str, Data]]:
    """The community the street asked to help hears what is needed and where (the resident stays masked), and
    hears again whenever that need changes, ``open`` false once it no longer asks (met, cancelled, answered
    otherwise): what ``GET .../requests`` lists."""
    assert board.community is not None
    event = step.event
    out: list[tuple[str, str, Data]] = []
    for record in _moved(board, step, touched):
        last = record.answers[-1] if record.answers else None
        asked = last.community if last is not None and last.answer is EscalationAnswer.ASKED else None
        # Asked now, or asked before and answered otherwise since: both communities' pages follow.
        names = {asked} if asked else set()
        if isinstance(event, EscalationAnswered):
            names |= {
                a.community for a in record.answers[:-1] if a.answer is EscalationAnswer.ASKED and a.community
            }
        for name in sorted(n for n in names if n and n != board.key):
            out.append(
                (
                    channel.community(name),
                    "help_requested",
                    {
                        "exercise": exercise,
                        "community": board.community.id,
                        "community_name": board.community.name,
                        "need": need_masked_json(record),
                        "priority": record.priority,
                        "note": last.note if last is not None else "",
                        "open": record.status is NeedStatus.OPEN and asked == name,
                        "reported_at": record.reported_at.isoformat(),
                    },
                )
            )
    return out


def _by_organisation(board: Board, step: Step, touched: list[NeedRecord]) -> dict[tuple[str, str], Data]:
    """Per (home community, organisation): the dispatches of its units this step changed. A unit lent to
    another community is heard of on its own organisation's channel, with the need it serves only. A change
    to a need (its priority, its note) is heard of with the dispatches sent to it."""
    assert board.community is not None
    event = step.event
    result: dict[tuple[str, str], Data] = {}
    seen = {d.id for d in (*step.changed, *step.removed)}
    moved = {r.need.id for r in _moved(board, step, touched)}
    # One pass over the dispatches: a change of profile or mode moves every open need at once.
    again = (
        [
            d
            for _, d in sorted(board.dispatches.items())
            if d.need in moved and d.committed and d.id not in seen
        ]
        if moved
        else []
    )
    for key, dispatches in (("changed", (*step.changed, *again)), ("removed", step.removed)):
        for d in dispatches:
            # Organisations hear of a dispatch once it is sent, and of its end if they had heard of it.
            if not d.committed:
                continue
            resource = board.resource(d.resource)
            if resource is None:
                continue
            home = home_of(d.resource, board.community.id)
            mine = result.setdefault((home, resource.organisation), {"changed": [], "removed": []})
            mine[key].append(organisation_dispatch(board, d))
    if isinstance(event, IncidentTriggered | IncidentLevelChanged | IncidentClosed | ProfileChanged):
        # The community's own organisations, and those whose units are sent here, see it as it now is.
        view = community_public(board)
        homes: set[tuple[str, str]] = {(board.community.id, o) for o in board.organisations}
        for d in board.dispatches.values():
            resource = board.resource(d.resource)
            if d.committed and resource is not None:
                homes.add((home_of(d.resource, board.community.id), resource.organisation))
        for where in sorted(homes):
            result.setdefault(where, {"changed": [], "removed": []})["community_public"] = view
    return result


def organisation_dispatch(board: Board, d: Dispatch) -> Data:
    assert board.community is not None
    record = board.needs.get(d.need)
    [public] = dispatches_public(board, [d])
    return {
        **public,
        "community": board.community.id,
        "need_detail": need_masked_json(record) if record is not None else None,
    }


def organisation_dispatches(board: Board, organisation: str) -> list[Data]:
    """Every dispatch sent to the units of ``organisation`` (of ``board``'s community), on its own board and
    on any other of the street it was lent to."""
    assert board.community is not None
    boards = board.pool.boards() if board.pool is not None else [board]
    return [
        organisation_dispatch(b, d)
        for b in boards
        if b.community is not None
        for _, d in sorted(b.dispatches.items())
        if d.committed
        and home_of(d.resource, b.community.id) == board.community.id
        and (r := b.resource(d.resource)) is not None
        and r.organisation == organisation
    ]


def channel_snapshot(board: Board, where: Channel) -> Data:
    """The full state a channel's subscriber needs, when it has missed too much to catch up."""
    name = where.name
    if where.kind is Kind.ORGANISATION:
        mine = organisation_dispatches(board, name)
        return {
            "exercise": board.exercise,
            "organisation": board.organisations[name].model_dump(mode="json")  # type: ignore[index]
            if name in board.organisations
            else None,
            "resources": [
                r.model_dump(mode="json") for r in board.resources.values() if r.organisation == name
            ],
            "dispatches": mine,
        }
    state = snapshot(board)
    for need in state["needs"]:  # type: ignore[attr-defined]
        need["contact_phone"] = mask_phone(need["contact_phone"])
    if where.kind is Kind.INCIDENT and (board.incident is None or board.incident.id != name):
        closed = [incident_json(i) for i in board.incidents if i.id == name]
        return {"exercise": bool(closed and closed[0]["exercise"]), "incident": closed[0] if closed else None}
    return {"exercise": board.exercise, **state}
