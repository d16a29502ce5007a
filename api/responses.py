"""Board reads built once per version of the board and shared by every caller who sees the same thing.

A hot GET (the plan, needs, assignments, ...) checks who may read it as always, then asks :class:`Bodies` for
its body by route, query and *view*: a key naming everything about the caller the body depends on (see
:func:`reader_view`). The body is encoded once per version of the boards it reads and kept with a strong
ETag, the hash of its bytes; a caller who sends that ETag in ``If-None-Match`` is answered 304 with no body.
The ETag names the bytes, not the version, so a 304 can only ever confirm the very body this caller would be
sent now, whoever held it before on that browser.

A version is the boards of the street (a board reads its neighbours' units and names), each known by the
object itself and the events applied to it: a board rebuilt from the log (a write that failed, a purge) is a
new object, so nothing built from the one it replaced is served again. Bodies are built on the event loop,
where no command is ever half applied (api/service.py changes boards only between awaits).
"""

import gzip
import hashlib
import json
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from api.access import home_key
from api.auth import Principal, Role
from engine.coordinator import Board

# Distinct (route, query, view) keys kept, the least recently read dropped first: each holds one body.
SIZE = 1024
# The response document for the routes served from here: the 304 a caller holding the current ETag gets.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "未改变：与 If-None-Match 的 ETag 相同 (not modified since the ETag you sent)"}
}
# The browser may keep the body but must ask again each time (it sends If-None-Match; a 304 costs no body);
# private: never a shared cache, as bodies differ by caller.
CACHE_CONTROL = "private, no-cache"
# A body this long or longer is also kept gzipped (as the app's GZipMiddleware would send it): compressed once per
# version for every reader, not once per request.
GZIP_FROM = 500
GZIP_LEVEL = 5

Version = tuple[tuple["weakref.ref[Board]", int], ...]


def reader_view(p: Principal) -> Hashable:
    """Callers who read the same share of a community they may see. Every reader of the whole community (all
    but organisations: :func:`api.access.reads_everything`, once the route let them in) sees all of it; an
    organisation sees what its own units are sent to, which only the board its units are kept on and its id
    decide (:func:`api.access.owns_resource`)."""
    if p.role is Role.ORGANISATION:
        return ("organisation", home_key(p), p.organisation)
    return ("reader",)


def _boards(board: Board) -> list[Board]:
    """The boards a read of ``board`` depends on: its street's, or its own."""
    return board.pool.boards() if board.pool is not None else [board]


def version_of(board: Board) -> Version:
    return tuple((weakref.ref(b), b.events) for b in _boards(board))


def _same(kept: Version, board: Board) -> bool:
    boards = _boards(board)
    return len(kept) == len(boards) and all(
        ref() is b and events == b.events for (ref, events), b in zip(kept, boards, strict=True)
    )


def encode(body: Any) -> bytes:
    """As FastAPI's JSONResponse encodes: compact, UTF-8, no NaN."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class _Body:
    version: Version
    content: bytes
    etag: str
    gzipped: bytes | None


class Bodies:
    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, _Body] = OrderedDict()

    def respond(self, request: Request, board: Board, view: Hashable, build: Callable[[], Any]) -> Response:
        """The body ``build`` makes of ``board`` for callers of ``view``, or a 304 when they hold it."""
        key = (request.scope["path"], request.scope["query_string"], view)
        kept = self._kept.get(key)
        if kept is not None and _same(kept.version, board):
            self._kept.move_to_end(key)
        else:
            version = version_of(board)
            content = encode(build())
            etag = f'"{hashlib.blake2b(content, digest_size=16).hexdigest()}"'
            packed = gzip.compress(content, GZIP_LEVEL, mtime=0) if len(content) >= GZIP_FROM else None
            kept = _Body(version, content, etag, packed)
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        headers = {"ETag": kept.etag, "Cache-Control": CACHE_CONTROL}
        if _matches(request.headers.get("if-none-match"), kept.etag):
            return Response(status_code=304, headers=headers)
        if kept.gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
            if "gzip" in request.headers.get("accept-encoding", ""):
                # Sent as it is: the middleware leaves a body that has its encoding already.
                headers["Content-Encoding"] = "gzip"
                return Response(kept.gzipped, media_type="application/json", headers=headers)
        return Response(kept.content, media_type="application/json", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's If-None-Match: a list of entity tags compared weakly, or ``*``."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def shared(request: Request, board: Board, view: Hashable, build: Callable[[], Any]) -> Response:
    """``build``'s body of ``board`` for every caller of ``view`` (see :meth:`Bodies.respond`)."""
    kept: Bodies = request.app.state.bodies
    return kept.respond(request, board, view, build)
