"""CAP 1.2 alerts for tests, shaped as GB/T 35965.1 publishes them (tests/data/cap/template.xml): sent now,
expiring in six hours unless told otherwise."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

TEMPLATE = (Path(__file__).parent / "data" / "cap" / "template.xml").read_text(encoding="utf-8")
SENDER = "44010641600000"
MEDIA = {"Content-Type": "application/cap+xml"}


def alert(identifier: str, area: str, **fields: str) -> bytes:
    """``fields``: any of the template's (status, msg_type, severity, references, area_desc, expires, sent)."""
    now = datetime.now(UTC).replace(microsecond=0)
    values = {
        "identifier": identifier,
        "sent": now.isoformat(),
        "expires": (now + timedelta(hours=6)).isoformat(),
        "status": "Actual",
        "msg_type": "Alert",
        "severity": "Extreme",
        "references": "",
        "area_desc": "天河区",
        "area": area,
        **fields,
    }
    return TEMPLATE.format(**values).encode()


def geocode(value: str) -> str:
    return f"<geocode><valueName>行政区划代码</valueName><value>{value}</value></geocode>"


def warning_id(identifier: str) -> str:
    """The id the service gives the template's alert of ``identifier`` (its sender's and identifier's)."""
    return f"{SENDER}|{identifier}"
