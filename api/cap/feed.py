"""Polling the operator's warning feeds (``pingzhan serve --cap-feed URL``): each poll reads the URL, which is
either one CAP alert or an Atom/RSS feed whose entries link to alerts (or carry them inline), and delivers
every alert not seen before. Every worker polls; the engine keeps one proposal per warning and community, and
each worker delivers only to the streets it owns (the others' owners poll too)."""

import asyncio
import logging
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

import defusedxml.ElementTree
import httpx

from api.auth import Principal, Role
from api.cap.areas import AreaCodes
from api.cap.deliver import deliver
from api.cap.read import NS, CapProblem, read_alert
from api.service import Service
from engine.coordinator import Rejected

log = logging.getLogger("pingzhan.cap")
ATOM = "http://www.w3.org/2005/Atom"
# The feed's own name in the log ("system:cap-feed").
FEED = Principal(
    id=0, role=Role.SYSTEM, street=None, community=None, organisation=None, grid=None, name="cap-feed"
)
# Alert links remembered per feed, so that a long feed is not read again every poll.
REMEMBER = 2000


@dataclass
class FeedState:
    """What one feed last did: shown in the log, and kept for the next poll."""

    url: str
    seen: dict[str, None] = field(default_factory=dict)
    last_error: str = ""


async def poll_forever(service: Service, urls: Sequence[str], every_s: float, codes: AreaCodes) -> None:
    states = [FeedState(u) for u in urls]
    async with httpx.AsyncClient(timeout=20, follow_redirects=True) as client:
        while True:
            for state in states:
                try:
                    await poll_once(service, client, state, codes)
                except Exception:
                    # The next poll tries again: one bad answer must not stop the feeds for good.
                    log.exception("warning feed %s: the poll failed", state.url)
            await asyncio.sleep(every_s)


async def poll_once(service: Service, client: httpx.AsyncClient, state: FeedState, codes: AreaCodes) -> int:
    """Deliver the alerts of the feed not seen before; the number delivered."""
    try:
        body = await _get(client, state.url)
        documents = _documents(body)
        count = 0
        for key, document in documents:
            if key in state.seen:
                continue
            data = document if document is not None else await _get(client, urljoin(state.url, key))
            try:
                alert = read_alert(data, service.clock())
                await deliver(service, alert, codes, FEED, None)
            except (CapProblem, Rejected) as exc:
                # Refused as it is (it expired on the way, say): reading it again would not change that.
                log.warning("warning feed %s: %s refused: %s", state.url, key[:200], exc)
            else:
                count += 1
            state.seen[key] = None
        while len(state.seen) > REMEMBER:
            state.seen.pop(next(iter(state.seen)))
        state.last_error = ""
        return count
    except (httpx.HTTPError, CapProblem, defusedxml.DefusedXmlException) as exc:
        if str(exc) != state.last_error:
            log.warning("warning feed %s: %s", state.url, exc)
        state.last_error = str(exc)
        return 0


async def _get(client: httpx.AsyncClient, url: str) -> bytes:
    answer = await client.get(url, headers={"accept": "application/cap+xml, application/atom+xml, */*"})
    answer.raise_for_status()
    return answer.content


def _documents(body: bytes) -> list[tuple[str, bytes | None]]:
    """(key, alert) pairs: one alert whole (key: its own text), or a feed's entries (key: the link to read)."""
    try:
        root = defusedxml.ElementTree.fromstring(body, forbid_dtd=True)
    except defusedxml.ElementTree.ParseError as exc:
        raise CapProblem("feed", f"XML 格式错误 not well-formed XML: {exc}") from None
    if root.tag == f"{{{NS}}}alert":
        return [(body.decode("utf-8", "replace"), body)]
    found: list[tuple[str, bytes | None]] = []
    # Atom: <entry><link href=…/> or the alert inline in <content>.
    for entry in root.iter(f"{{{ATOM}}}entry"):
        inline = entry.find(f"{{{ATOM}}}content/{{{NS}}}alert")
        if inline is not None:
            text = ET.tostring(inline, encoding="utf-8")
            found.append((text.decode("utf-8", "replace"), text))
            continue
        for link in entry.iter(f"{{{ATOM}}}link"):
            if link.get("href") and link.get("rel", "alternate") in ("alternate", "related", "enclosure"):
                found.append((str(link.get("href")), None))
                break
    # RSS 2.0: <item><link>…</link>.
    for item in root.iter("item"):
        href = (item.findtext("link") or "").strip()
        if href:
            found.append((href, None))
    if not found:
        raise CapProblem(
            "feed", f"既不是预警也不是预警订阅源 neither an alert nor a feed (root {root.tag!r})"
        )
    return found
