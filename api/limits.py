"""What a request body may be, checked before any route parses it: a size limit per route (413); and for JSON,
text (not arbitrary bytes) with no number that JSON does not have or that no field here can hold (422 naming
the field).

Python's JSON parser takes NaN and Infinity (not JSON), turns 1e999 into infinity and parses integers of
thousands of digits; pydantic would then validate them, or let them through to the solver and the database, and
an answer echoing them could not be encoded at all.
"""

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.pool_file import MAX_BYTES as POOL_FILE_BYTES
from api.problems import echo, field_name, invalid_input, problem

KIB = 1024
MIB = 1024 * KIB
DEFAULT_LIMIT = 64 * KIB
# Routes whose bodies are larger by nature, by method and path; every other body is at most DEFAULT_LIMIT.
LIMITS = (
    # An evidence photo: at most 5 MB, sent as base64 (4/3 of that) inside JSON.
    ("POST", re.compile(r"/api/v1/communities/[^/]+/tasks/[^/]+/parts/[^/]+/submission"), 8 * MIB),
    # A resident's appeal with a photo the page shrank first (at most 2 MB decoded, as base64 in JSON).
    ("POST", re.compile(r"/api/v1/public/buildings/[^/]+/appeals"), 3 * MIB),
    # A work order's photo on completion, the same size.
    ("POST", re.compile(r"/api/v1/communities/[^/]+/appeals/[^/]+/done"), 3 * MIB),
    # A new community with its map, which may list every road of the street as an edge.
    ("POST", re.compile(r"/api/v1/communities"), 4 * MIB),
    # A resource pool as a spreadsheet, with room for a form's wrapping around the file.
    ("POST", re.compile(r"/api/v1/communities/[^/]+/pool/import"), POOL_FILE_BYTES + DEFAULT_LIMIT),
)
# No field takes a whole number outside a signed 64-bit integer, the database's widest.
INT_RANGE = 2**63


def limit_for(method: str, path: str) -> int:
    return next((n for m, p, n in LIMITS if m == method and p.fullmatch(path)), DEFAULT_LIMIT)


class BadNumber:
    """A number in the body that no field can hold, kept as it was written."""

    def __init__(self, literal: str, message: str) -> None:
        self.literal = literal
        self.message = message

    def __repr__(self) -> str:
        return self.literal


def _constant(literal: str) -> BadNumber:
    return BadNumber(literal, "not a number JSON has (NaN and Infinity are not JSON)")


def _float(literal: str) -> float | BadNumber:
    value = float(literal)
    return value if math.isfinite(value) else BadNumber(literal, "a number too large to hold")


def _int(literal: str) -> int | BadNumber:
    # Checked by length first: int() of a string of thousands of digits is slow, and refused past 4300.
    if len(literal.lstrip("-")) <= 19 and -INT_RANGE <= (value := int(literal)) < INT_RANGE:
        return value
    return BadNumber(literal, f"a whole number out of range (at most {INT_RANGE - 1})")


def refusal(body: bytes) -> JSONResponse | None:
    """The answer to a JSON body no route should see: bytes that are not text, nesting too deep to read, or a
    number no field can hold (named by its field). None for any other body; a body that is not JSON at all
    the route refuses, naming the character where it breaks."""
    try:
        parsed = json.loads(body, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except UnicodeDecodeError as exc:
        return invalid_input(
            [{"field": "", "message": f"the body is not UTF-8 text (byte {exc.start})"}], None
        )
    except RecursionError:
        return invalid_input([{"field": "", "message": "the body nests arrays and objects too deep"}], None)
    except ValueError:
        return None
    found = next(_bad_numbers(parsed, ()), None)
    if found is None:
        return None
    at, number = found
    return invalid_input([{"field": field_name(at), "message": number.message}], echo(number))


def is_json(content_type: bytes) -> bool:
    """As FastAPI decides whether to parse a body as JSON; a body with no content type too, which older
    FastAPI versions read as JSON."""
    media = content_type.split(b";")[0].strip().lower()
    return media in (b"", b"application/json") or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _bad_numbers(value: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], BadNumber]]:
    if isinstance(value, BadNumber):
        yield at, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _bad_numbers(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_numbers(item, (*at, index))


class BodyLimits:
    """ASGI middleware: reads the whole body (never more than the route's limit), checks it, then hands it on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(scope, int(declared), limit)(scope, receive, send)
            return
        chunks = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away while sending: nothing to answer.
                return
            chunks += message.get("body", b"")
            if len(chunks) > limit:
                await _too_large(scope, None, limit)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body = bytes(chunks)
        refused = refusal(body) if body and is_json(headers.get(b"content-type", b"")) else None
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _too_large(scope: Scope, size: int | None, limit: int) -> JSONResponse:
    route = f"{scope['method']} {scope['path']}"
    size_text = f"{size} bytes" if size is not None else "larger than that"
    return problem(
        413,
        "请求体过大 Payload too large",
        f"the request body is {size_text}; {route} takes at most {limit} bytes",
        limit=limit,
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read, as one message; after it, what the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
