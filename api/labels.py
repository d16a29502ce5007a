"""The Chinese names people read for the engine's codes: organisation kinds, service modes, resource statuses
and capabilities, each by its code. Files for people (the pool's spreadsheet) show these, and read either
these or the codes.

The capability names are the console's (``caps`` in ``api/console/i18n.js``); a test keeps the two equal.
"""

from collections.abc import Mapping
from typing import Any, Final

from engine.coordinator import Board
from engine.matching.explain import MODE_ZH, Names, restate
from engine.model import OrganisationKind, ResourceStatus, ServiceModes
from engine.model.ids import ResourceId

KINDS: Final[Mapping[str, str]] = {
    OrganisationKind.SOCIAL_ORGANISATION: "社会组织",
    OrganisationKind.ENTERPRISE: "企业",
    OrganisationKind.PARTY_ORGANISATION: "党组织",
    OrganisationKind.PUBLIC_UNIT: "事业单位",
    OrganisationKind.VOLUNTEER_TEAM: "志愿队",
    OrganisationKind.SELF_ORGANISED_GROUP: "居民自组织",
}
# The words the plan's explanations use for the community's modes.
MODES: Final[Mapping[str, str]] = {
    ServiceModes.NORMAL: MODE_ZH["normal"],
    ServiceModes.INCIDENT: MODE_ZH["incident"],
    ServiceModes.BOTH: f"{MODE_ZH['normal']}和{MODE_ZH['incident']}",
}
STATUSES: Final[Mapping[str, str]] = {
    ResourceStatus.AVAILABLE: "可用",
    ResourceStatus.BUSY: "忙碌",
    ResourceStatus.OFFLINE: "停用",
}
# Capabilities are open (a profile may name others): one not listed is shown by its code.
CAPABILITIES: Final[Mapping[str, str]] = {
    "rescue.boat": "救生艇",
    "rescue.crew": "救援队员",
    "medical.first_aid": "急救",
    "medical.doctor": "医生",
    "supply.water": "饮用水",
    "supply.food": "食品",
    "supply.medicine": "药品",
    "transport.vehicle": "车辆转移",
    "care.visit": "上门探视",
    "power.generator": "发电机",
    "shelter.bed": "安置床位",
    "repair.electric": "电工维修",
}
# The console's words (``api/console/i18n.js``) for a need's priority, an incident's kind and a dispatch's or a
# need's status; a test keeps each equal to its table there. A kind a profile adds is shown by its code.
PRIORITIES: Final[Mapping[int, str]] = {5: "生命安全", 4: "紧急", 3: "重要", 2: "一般", 1: "较低"}
INCIDENT_KINDS: Final[Mapping[str, str]] = {
    "flood": "洪涝",
    "typhoon": "台风",
    "fire": "火灾",
    "outage": "停电",
    "heat": "高温",
    "epidemic": "疫情",
    "earthquake": "地震",
    "other": "其他",
}
PROGRESS: Final[Mapping[str, str]] = {
    "proposed": "待确认",
    "confirmed": "已确认",
    "notified": "已通知",
    "acknowledged": "已接单",
    "en_route": "在途",
    "on_site": "已到达",
    "done": "完成",
    "open": "待解决",
    "served": "已解决",
    "cancelled": "已取消",
}
# Certifications are open too: one not listed is shown by its words ("boat_licence" is "boat licence"). The
# console's ``certs`` (api/console/i18n.js) are the same; a test keeps the two equal.
CERTIFICATIONS: Final[Mapping[str, str]] = {
    "water_rescue": "水上救援",
    "first_aid": "急救",
    "medical_license": "医师执照",
    "driver": "驾驶",
    "electrician": "电工",
}
# The same in English, for a reader who chose English (the console's EN ``caps``).
CAPABILITIES_EN: Final[Mapping[str, str]] = {
    "rescue.boat": "rescue boat",
    "rescue.crew": "rescue crew",
    "medical.first_aid": "first aid",
    "medical.doctor": "doctor",
    "supply.water": "drinking water",
    "supply.food": "food",
    "supply.medicine": "medicine",
    "transport.vehicle": "transport",
    "care.visit": "home visit",
    "power.generator": "generator",
    "shelter.bed": "shelter bed",
    "repair.electric": "electrician",
}


def reader_lang(query: str | None, accept: str | None) -> str:
    """The language a reader chose: ``?lang=`` first, then the Accept-Language header; "zh" or "en"."""
    chosen = (query or accept or "zh").strip().lower()
    return "en" if chosen.startswith("en") else "zh"


def reader_names(board: Board, lang: str) -> Names:
    """How ``board``'s reader in ``lang`` names the codes a plan's texts hold: a capability by its name, a unit
    by the name its owner gave it (else by what it does), never by its id."""

    def resource(rid: str) -> str:
        r = board.resource(ResourceId(rid))
        if r is None:
            return "另一单位" if lang == "zh" else "another unit"
        return r.name or capability_name(r.capability, lang)

    return Names(capability=lambda c: capability_name(c, lang), resource=resource)


def unmet_named(board: Board, unmet: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """A plan's unmet needs (as JSON) with their texts in ``lang`` and codes named (see :func:`reader_names`);
    the plan keeps its own text. Needs that ask alike share their texts: each is worked out once."""
    names = reader_names(board, lang)
    said: dict[str, str] = {}

    def say(text: str) -> str:
        if text not in said:
            said[text] = restate(text, lang, names)
        return said[text]

    return [
        {
            **u,
            "detail": say(u["detail"]),
            "suggestion": {**u["suggestion"], "text": say(u["suggestion"]["text"])},
        }
        for u in unmet
    ]


def capability_name(code: str, lang: str = "zh") -> str:
    """A capability as a person reads it; one with no name in the table by its words ("shelter.tent" is
    "shelter tent"), never by the dotted code."""
    table = CAPABILITIES if lang == "zh" else CAPABILITIES_EN
    return table.get(code) or code.replace(".", " ").replace("_", " ")


def certification_name(code: str) -> str:
    """A certification as a person reads it in a sheet: its Chinese name, else its words, never the code."""
    return CERTIFICATIONS.get(code) or code.replace("_", " ")


def certification_code(text: str) -> str:
    """What :func:`certification_name` wrote, read back: a name to its code, words to the code they spell
    (a code given as such stays itself)."""
    by_name = {name: code for code, name in CERTIFICATIONS.items()}
    return by_name.get(text) or "_".join(text.lower().split())
