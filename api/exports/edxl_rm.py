"""EDXL-RM 1.0 (OASIS Emergency Data Exchange Language Resource Messaging) out: an incident's open needs as a
RequestResource message, its committed dispatches as a CommitResource message.

One message of each kind per export, one ResourceInformation in it per need (and per part of a team need) or
per dispatch, rather than one document per need: one HTTP answer carries one XML document, and the standard
lets a message hold many ResourceInformation elements, each with its own id (the need's, "need/part" for a
part, the dispatch's). Both messages of one board
version share that version in their ids, so the commit message names the request message it answers
(OriginatingMessageID), and each of its items the need's item (PrecedingResourceInfoElementID).

What never leaves: a resident's phone, the note a reporter wrote and the address they typed. A place is named
by the community's gazetteer, with its coordinates on an OpenStreetMap map only.
"""

from datetime import UTC, datetime, timedelta
from typing import Final

from lxml import etree

from api.exports.scope import asked, community_words, incident_words, lat_lon
from api.labels import PRIORITIES, PROGRESS, capability_name
from api.places import need_place
from api.schemas import plan_travel
from engine.coordinator import Board, Dispatch, DispatchStatus, Incident, NeedRecord, Rejected

MSG: Final = "urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg"
RM: Final = "urn:oasis:names:tc:emergency:EDXL:RM:1.0"
GML: Final = "http://www.opengis.net/gml"
NSMAP: Final = {None: MSG, "rm": RM, "gml": GML}
# Our own value lists: the engine's capability codes, the priority scale 1-5, a dispatch's status.
CAPABILITY_LIST: Final = "urn:pingzhan:capability"
PRIORITY_LIST: Final = "urn:pingzhan:priority"
STATUS_LIST: Final = "urn:pingzhan:dispatch-status"


def _add(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


def _value_list(parent: etree._Element, name: str, urn: str, value: str) -> None:
    element = _add(parent, MSG, name)
    _add(element, RM, "ValueListURN", urn)
    _add(element, RM, "Value", value)


def item_id(need: str, part: str | None) -> str:
    """A need's item, or one part's of a team need ("n3/rescue.crew"): what a commit's item points back at."""
    return need if part is None else f"{need}/{part}"


def message_id(board: Board, incident: Incident, kind: str) -> str:
    """Unique per community, incident, kind and board version: the same board gives the same id."""
    assert board.community is not None
    return f"pingzhan:{board.community.id}:{incident.id}:{kind}:v{board.events}"


def _header(board: Board, incident: Incident, kind: str, description: str, at: datetime) -> etree._Element:
    root = etree.Element(f"{{{MSG}}}{kind}", nsmap=NSMAP)
    _add(root, MSG, "MessageID", message_id(board, incident, kind))
    _add(root, MSG, "SentDateTime", at.astimezone(UTC).isoformat(timespec="seconds"))
    _add(root, MSG, "MessageContentType", kind)
    _add(root, MSG, "MessageDescription", description)
    return root


def _incident_and_contact(root: etree._Element, board: Board, incident: Incident, role: str) -> None:
    info = _add(root, MSG, "IncidentInformation")
    _add(info, RM, "IncidentID", incident.id)
    _add(info, RM, "IncidentDescription", incident_words(incident))
    contact = _add(root, MSG, "ContactInformation")
    _add(contact, RM, "ContactDescription", community_words(board))
    _add(contact, RM, "ContactRole", role)


def _quantity(parent: etree._Element, amount: int) -> etree._Element:
    assignment = _add(parent, MSG, "AssignmentInformation")
    measured = _add(_add(assignment, MSG, "Quantity"), RM, "MeasuredQuantity")
    _add(measured, RM, "Amount", str(amount))
    return assignment


def _schedule(
    parent: etree._Element, board: Board, record: NeedRecord, kind: str, at: datetime | None = None
) -> None:
    schedule = _add(parent, MSG, "ScheduleInformation")
    _add(schedule, MSG, "ScheduleType", kind)
    if at is not None:
        _add(schedule, MSG, "DateTime", at.astimezone(UTC).isoformat(timespec="seconds"))
    location = _add(schedule, MSG, "Location")
    place = need_place(board, record.need)
    if place:
        _add(location, RM, "LocationDescription", place)
    point = lat_lon(board, record.need.location)
    if point is not None:
        area = _add(location, RM, "TargetArea")
        _add(_add(area, GML, "Point"), GML, "pos", f"{point[0]} {point[1]}")


def request_resource(board: Board, incident: Incident, at: datetime) -> etree._Element:
    """The incident's open needs, one ResourceInformation each; refused (409) when none is open, as a message
    must hold at least one."""
    open_needs = sorted(board.open_needs(), key=lambda r: r.need.id)
    if not open_needs:
        raise Rejected(
            "conflict", "incident", f"应急事件 {incident.id!r} 没有未满足的需求 (no open need to request)"
        )
    root = _header(board, incident, "RequestResource", f"未满足的需求 open needs: {len(open_needs)}", at)
    _incident_and_contact(root, board, incident, "Requester")
    for record in open_needs:
        need = record.need
        # A team need asks for each of its parts too, an item each.
        for part, capability, quantity in asked(need):
            item = _add(root, MSG, "ResourceInformation")
            _add(item, MSG, "ResourceInfoElementID", item_id(need.id, part))
            resource = _add(item, MSG, "Resource")
            _value_list(resource, "TypeStructure", CAPABILITY_LIST, capability)
            _value_list(resource, "Keyword", PRIORITY_LIST, str(record.priority))
            words = PRIORITIES.get(record.priority, "")
            team = f" · 随 {capability_name(need.capability)} 同行 (team of {need.id})" if part else ""
            _add(
                resource,
                MSG,
                "Description",
                f"{capability_name(capability)} ×{quantity} · 优先级 {record.priority} {words}{team}",
            )
            _quantity(item, quantity)
            _schedule(item, board, record, "RequestedArrival")
    return root


def commit_resource(board: Board, incident: Incident, at: datetime) -> etree._Element:
    """The dispatches people committed (confirmed and after), one ResourceInformation each, answering the
    request message of the same board version; refused (409) when there is none."""
    committed = sorted(
        (d for d in board.dispatches.values() if d.committed and d.need in board.needs), key=lambda d: d.id
    )
    if not committed:
        raise Rejected(
            "conflict", "incident", f"应急事件 {incident.id!r} 还没有确认的派单 (no committed dispatch)"
        )
    root = _header(
        board, incident, "CommitResource", f"已确认的派单 committed dispatches: {len(committed)}", at
    )
    _add(root, MSG, "OriginatingMessageID", message_id(board, incident, "RequestResource"))
    _incident_and_contact(root, board, incident, "Sender")
    travel = plan_travel(board)
    for d in committed:
        _commit_item(root, board, d, travel.get((d.need, d.part, d.resource)))
    return root


def _commit_item(root: etree._Element, board: Board, d: Dispatch, travel_s: int | None) -> None:
    record = board.needs[d.need]
    unit = board.resource(d.resource)
    capability = d.part or (unit.capability if unit is not None else record.need.capability)
    item = _add(root, MSG, "ResourceInformation")
    _add(item, MSG, "ResourceInfoElementID", d.id)
    response = _add(item, MSG, "ResponseInformation")
    _add(response, RM, "PrecedingResourceInfoElementID", item_id(d.need, d.part))
    _add(response, RM, "ResponseType", "Accept")
    resource = _add(item, MSG, "Resource")
    _add(resource, MSG, "ResourceID", d.resource)
    _add(resource, MSG, "Name", (unit.name if unit is not None else "") or capability_name(capability))
    _value_list(resource, "TypeStructure", CAPABILITY_LIST, capability)
    _value_list(resource, "Keyword", STATUS_LIST, d.status.value)
    _add(
        resource,
        MSG,
        "Description",
        f"{capability_name(capability)} ×{d.quantity} · {PROGRESS[d.status.value]}",
    )
    _add(_quantity(item, d.quantity), MSG, "OrderID", d.id)
    # On the way: when it should be there. Before it sets off, no time can be promised.
    arrival = (
        d.since + timedelta(seconds=travel_s) if d.status is DispatchStatus.EN_ROUTE and travel_s else None
    )
    _schedule(item, board, record, "EstimatedArrival" if arrival else "ReportTo", arrival)


def document(root: etree._Element) -> bytes:
    text: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return text
