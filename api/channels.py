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
"""

from typing import Any

from api import channel
from api.channel import Channel, Kind
from api.masking import need_masked_json
from api.people_channels import governance_messages
from engine.coordinator import Board, Dispatch, Step
from engine.coordinator.board import NeedStatus, dispatch_json, incident_json, need_priority_json, snapshot
from engine.coordinator.events import (
    EscalationAnswer,
    EscalationAnswered,
    IncidentClosed,
    IncidentTriggered,
    NeedEscalated,
    NeedReported,
    NeedUpdated,
    PlanProposed,
    ProfileChanged,
)
from engine.coordinator.refs import home_of
from engine.governance.events import GovernanceEvent
from engine.governance.views import mask_phone

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


def messages(board: Board, step: Step) -> list[tuple[str, str, Data]]:
    """(channel, type, data) for one step, on the board as it is after the step."""
    assert board.community is not None
    event = step.event
    exercise = board.exercise or (
        isinstance(event, IncidentClosed) and bool(board.incidents) and board.incidents[-1].exercise
    )
    if isinstance(event, GovernanceEvent):
        return governance_messages(board, event, exercise)
    body: Data = {
        "exercise": exercise,
        "event": event_json(step),
        "changed": [dispatch_json(d) for d in step.changed],
        "removed": [dispatch_json(d) for d in step.removed],
    }
    if isinstance(event, NeedReported | NeedUpdated):
        body["need"] = need_masked_json(board.needs[event.need.id])
    if isinstance(event, NeedEscalated | EscalationAnswered):
        body["need"] = need_masked_json(board.needs[event.need])
    if isinstance(event, ProfileChanged | IncidentTriggered | IncidentClosed):
        body["priorities"] = [
            {"id": r.need.id, **need_priority_json(r)}
            for _, r in sorted(board.needs.items())
            if r.status is NeedStatus.OPEN
        ]
    if board.is_street:
        # The street's own pool: its staff hear of it on the street's channel (it has no community channel).
        return [(channel.street(board.community.street), event.type, body)]
    out: list[tuple[str, str, Data]] = [(channel.community(board.community.id), event.type, body)]
    incident = (
        event.incident if isinstance(event, IncidentClosed) else board.incident.id if board.incident else None
    )
    if incident is not None:
        out.append((channel.incident(board.community.id, incident), event.type, body))
    # The street hears of escalations and its answers, incidents, and dispatches that wait for its approval.
    waits = any(d.approval for d in (*step.changed, *step.removed))
    if waits or isinstance(event, NeedEscalated | EscalationAnswered | IncidentTriggered | IncidentClosed):
        out.append(
            (channel.street(board.community.street), event.type, {**body, "community": board.community.id})
        )
    if isinstance(event, EscalationAnswered) and event.answer is EscalationAnswer.ASKED and event.community:
        # The community asked to help hears what is needed and where; the resident stays masked.
        asked = {
            "exercise": exercise,
            "community": board.community.id,
            "need": body["need"],
            "note": event.note,
        }
        out.append((channel.community(event.community), "help_requested", asked))
    for (home, organisation), mine in _by_organisation(board, step).items():
        out.append(
            (
                channel.organisation(home, organisation),
                "dispatches",
                {"exercise": exercise, "community": board.community.id, **mine},
            )
        )
    return out


def _by_organisation(board: Board, step: Step) -> dict[tuple[str, str], Data]:
    """Per (home community, organisation): the dispatches of its units this step changed. A unit lent to
    another community is heard of on its own organisation's channel, with the need it serves only."""
    assert board.community is not None
    result: dict[tuple[str, str], Data] = {}
    for key, dispatches in (("changed", step.changed), ("removed", step.removed)):
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
    return result


def organisation_dispatch(board: Board, d: Dispatch) -> Data:
    assert board.community is not None
    record = board.needs.get(d.need)
    return {
        **dispatch_json(d),
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
