"""Reading a CAP 1.2 alert (GB/T 35965.1 is its Chinese profile): refused if it has a DTD or entities
(defusedxml), checked against the OASIS schema (lxml, no network, no entities), then read into what a
community acts on: the warning (engine/model/warning.py) and its areas.

Every refusal is a :class:`CapProblem` naming the place (line, element) and what is wrong, in Chinese and
English; nothing is half-read.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final

import defusedxml
import defusedxml.ElementTree
from lxml import etree

from engine.model.ids import WarningId
from engine.model.warning import ID_SEPARATOR, OfficialWarning, Severity, warning_id

NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA: Final = Path(__file__).with_name("schema") / "CAP-v1.2.xsd"
# An alert is a few kilobytes; a feed entry far bigger than this is not one.
MAX_BYTES: Final = 1_000_000
# The languages whose info block is read first: the cadres read Chinese.
CHINESE: Final = ("zh", "zh-cn", "zh-hans")


class CapProblem(ValueError):
    """What is wrong with the document, and where: ``place`` is "line N" and/or the element's path."""

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}" if place else message)
        self.place = place
        self.message = message


class MsgType(StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Status(StrEnum):
    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


# The statuses a community acts on; the rest (tests of the sending system, drafts) are recorded as ignored.
ACTED_ON: Final = frozenset({Status.ACTUAL, Status.EXERCISE})


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class Area:
    """One ``<area>``: its polygons as ``(lat, lon)`` rings, circles, and geocodes ``(valueName, value)``."""

    description: str
    polygons: tuple[tuple[tuple[float, float], ...], ...]
    circles: tuple[Circle, ...]
    geocodes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Alert:
    id: WarningId
    sent: datetime
    status: Status
    msg_type: MsgType
    # The alerts this one updates or cancels (CAP's references: "sender,identifier,sent" each).
    references: tuple[WarningId, ...]
    # What a community acts on (None for a Cancel, an Ack, an Error, or an alert with no info block).
    warning: OfficialWarning | None
    areas: tuple[Area, ...]


def read_alert(data: bytes, now: datetime) -> Alert:
    """The alert in ``data``, or :class:`CapProblem`; an alert that expired before ``now`` is refused too."""
    if len(data) > MAX_BYTES:
        raise CapProblem("", f"文档过大 the document has {len(data)} bytes; an alert has at most {MAX_BYTES}")
    _refuse_dtd(data)
    root = _parse(data)
    if root.tag != f"{{{NS}}}alert":
        raise CapProblem(
            f"line {root.sourceline}",
            f"不是 CAP 1.2 预警 the root element is {root.tag!r}; expected 'alert' in namespace {NS!r}",
        )
    _validate(root)
    alert = _alert(root)
    expires = alert.warning.expires if alert.warning is not None else None
    if expires is not None and expires <= now:
        raise CapProblem("info/expires", f"预警已过期 the alert expired at {expires.isoformat()}")
    return alert


def _refuse_dtd(data: bytes) -> None:
    """A DTD is where entity expansion ("billion laughs") and external entities live: CAP needs none."""
    try:
        defusedxml.ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise CapProblem("DOCTYPE", "不接受 DTD 或实体声明 a DTD is not allowed in an alert") from None
    except defusedxml.EntitiesForbidden as exc:
        raise CapProblem(
            f"entity {exc.name!r}", "不接受实体声明 entity declarations are not allowed"
        ) from None
    except defusedxml.ExternalReferenceForbidden:
        raise CapProblem("", "不接受外部引用 external references are not allowed") from None
    except defusedxml.ElementTree.ParseError as exc:
        line, column = exc.position
        raise CapProblem(
            f"line {line}, column {column + 1}", f"XML 格式错误 not well-formed XML: {exc}"
        ) from None


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise CapProblem(f"line {exc.lineno}", f"XML 格式错误 not well-formed XML: {exc.msg}") from None


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA), etree.XMLParser(no_network=True, resolve_entities=False)))


def _validate(root: etree._Element) -> None:
    schema = _schema()
    if schema.validate(root):
        return
    error = schema.error_log[0]
    raise CapProblem(f"line {error.line}", f"不符合 CAP 1.2 规范 {_plain(error.message)}")


def _plain(message: str) -> str:
    """lxml's schema message without the namespace in braces on every element name."""
    return message.replace(f"{{{NS}}}", "")


def _alert(root: etree._Element) -> Alert:
    sender, identifier = _text(root, "sender"), _text(root, "identifier")
    for name, value in (("sender", sender), ("identifier", identifier)):
        if ID_SEPARATOR in value:
            raise CapProblem(
                name, f"不能含有 {ID_SEPARATOR!r} must not contain {ID_SEPARATOR!r} (got {value!r})"
            )
    sent = _when(root, "sent")
    assert sent is not None  # the schema requires it
    status, msg_type = Status(_text(root, "status")), MsgType(_text(root, "msgType"))
    references = _references(root.findtext(f"{{{NS}}}references") or "")
    if msg_type in (MsgType.UPDATE, MsgType.CANCEL) and not references:
        raise CapProblem(
            "references",
            f"{msg_type.value} 须引用原预警 an {msg_type.value} must name the alerts it refers to",
        )
    info = _info(root)
    if info is None or msg_type is MsgType.CANCEL:
        return Alert(warning_id(sender, identifier), sent, status, msg_type, references, None, _areas(info))
    warning = OfficialWarning(
        id=warning_id(sender, identifier),
        sent=sent,
        event=_text(info, "event"),
        event_code=_event_code(info),
        severity=Severity(_text(info, "severity")),
        urgency=_text(info, "urgency"),
        certainty=_text(info, "certainty"),
        headline=_text(info, "headline"),
        description=_text(info, "description"),
        instruction=_text(info, "instruction"),
        sender_name=_text(info, "senderName"),
        area="；".join(_text(a, "areaDesc") for a in info.iterfind(f"{{{NS}}}area")),
        onset=_when(info, "onset"),
        expires=_when(info, "expires"),
        exercise=status is Status.EXERCISE,
        replaces=references if msg_type is MsgType.UPDATE else (),
    )
    return Alert(warning.id, sent, status, msg_type, references, warning, _areas(info))


def _info(root: etree._Element) -> etree._Element | None:
    """The Chinese info block if there is one, else the first (CAP repeats info per language)."""
    blocks = list(root.iterfind(f"{{{NS}}}info"))
    for block in blocks:
        if (block.findtext(f"{{{NS}}}language") or "").strip().lower() in CHINESE:
            return block
    return blocks[0] if blocks else None


def _references(text: str) -> tuple[WarningId, ...]:
    found: list[WarningId] = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapProblem(
                "references",
                f"每项应为 sender,identifier,sent each must be sender,identifier,sent (got {item!r})",
            )
        found.append(warning_id(parts[0], parts[1]))
    return tuple(found)


def _event_code(info: etree._Element) -> str:
    """The first eventCode's value (GB/T 35965.1 gives the national event type code there)."""
    code = info.find(f"{{{NS}}}eventCode")
    return "" if code is None else (code.findtext(f"{{{NS}}}value") or "").strip()


def _areas(info: etree._Element | None) -> tuple[Area, ...]:
    if info is None:
        return ()
    return tuple(_area(a) for a in info.iterfind(f"{{{NS}}}area"))


def _area(area: etree._Element) -> Area:
    return Area(
        description=_text(area, "areaDesc"),
        polygons=tuple(_polygon(p) for p in area.iterfind(f"{{{NS}}}polygon")),
        circles=tuple(_circle(c) for c in area.iterfind(f"{{{NS}}}circle")),
        geocodes=tuple(
            ((g.findtext(f"{{{NS}}}valueName") or "").strip(), (g.findtext(f"{{{NS}}}value") or "").strip())
            for g in area.iterfind(f"{{{NS}}}geocode")
        ),
    )


def _polygon(element: etree._Element) -> tuple[tuple[float, float], ...]:
    """CAP: at least four "lat,lon" pairs, the first and the last the same."""
    place = f"line {element.sourceline}: polygon"
    points = tuple(_point(pair, place) for pair in (element.text or "").split())
    if len(points) < 4 or points[0] != points[-1]:
        raise CapProblem(
            place, f"多边形至少四个点且首尾相同 needs ≥4 points, first = last (got {len(points)})"
        )
    return points


def _circle(element: etree._Element) -> Circle:
    """CAP: "lat,lon radius", the radius in kilometres."""
    place = f"line {element.sourceline}: circle"
    parts = (element.text or "").split()
    if len(parts) != 2:
        raise CapProblem(place, f"应为 'lat,lon 半径公里' must be 'lat,lon radius_km' (got {element.text!r})")
    lat, lon = _point(parts[0], place)
    radius = _number(parts[1], place)
    if radius < 0:
        raise CapProblem(place, f"半径不能为负 the radius must not be negative (got {radius})")
    return Circle(lat, lon, radius)


def _point(pair: str, place: str) -> tuple[float, float]:
    parts = pair.split(",")
    if len(parts) != 2:
        raise CapProblem(place, f"坐标应为 lat,lon a point must be 'lat,lon' (got {pair!r})")
    lat, lon = _number(parts[0], place), _number(parts[1], place)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CapProblem(place, f"坐标超出范围 lat must be in [-90, 90], lon in [-180, 180] (got {pair!r})")
    return lat, lon


def _number(text: str, place: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CapProblem(place, f"不是数字 not a number (got {text!r})") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CapProblem(place, f"不是有限数 not a finite number (got {text!r})")
    return value


def _text(element: etree._Element, name: str) -> str:
    return (element.findtext(f"{{{NS}}}{name}") or "").strip()


def _when(element: etree._Element, name: str) -> datetime | None:
    text = _text(element, name)
    if not text:
        return None
    # The schema's pattern already holds: a date, a time and an offset ("+08:00"), never "Z".
    return datetime.fromisoformat(text)
