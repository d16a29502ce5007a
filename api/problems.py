"""Errors as problem details (RFC 9457): a status, a plain title, the detail, and the field at fault."""

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.access import Forbidden
from api.headers import secure
from api.service import IdempotencyConflict, NotOwner
from engine.coordinator import Rejected

MEDIA = "application/problem+json"
REJECTED_STATUS = {"not_found": 404, "conflict": 409, "invalid": 422}
# The most of a value given that an answer repeats.
ECHO_CHARS = 100


class Replay(Exception):
    """A retry of an idempotent request that was applied before: answer it with the first response."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class NotFound(Exception):
    """``what`` is not there (or not for this caller): named, e.g. "社区 'c9'"; or, with ``said``, a whole
    sentence of its own for people who need more than "not found" (a resident whose link was replaced)."""

    def __init__(self, what: str, *, said: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.detail = what if said else f"{what} 不存在或你无权查看 (not found)"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
        status_code=status,
        media_type=MEDIA,
    )


def retry_later(detail: str) -> JSONResponse:
    """503 with Retry-After: the request can succeed in a moment (a community moving between servers)."""
    response = problem(503, "请稍后重试 Try again in a moment", detail)
    response.headers["Retry-After"] = "1"
    return response


def field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else f".{part}" if path else part
    return path


def echo(value: Any) -> str:
    """A value given, as an answer repeats it: bounded, so that a huge input never makes a huge answer, and
    as text, so that any value (NaN too) can be encoded."""
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else f"{text[:ECHO_CHARS]}… ({len(text)} characters)"


def invalid_input(errors: list[dict[str, str]], given: str | None) -> JSONResponse:
    """422 naming the first field at fault (``errors``: each field and what is wrong with it); ``given``: the
    value it had, echoed once, in the detail."""
    first = errors[0]
    detail = f"{first['field'] or '(body)'}: {first['message']}"
    if given is not None:
        detail += f" (got {given})"
    return problem(422, "输入有误 Invalid input", detail, field=first["field"], errors=errors)


def _record_rule(error: Any) -> Any:
    """A rule over a whole record says its field first ("grid: a grid worker needs ..."): name that field,
    and leave out the input, which is the whole record."""
    message = str(error["msg"]).removeprefix("Value error, ")
    field, sep, rest = message.partition(": ")
    named = bool(sep) and re.fullmatch(r"[a-z_][a-z0-9_.\[\]]*", field) is not None
    return {**error, "type": "missing", "loc": (field,) if named else (), "msg": rest if named else message}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            # Malformed JSON has no field at fault: its location is a character position in the body.
            {"field": "", "message": f"{e['msg']} at character {e['loc'][-1]}"}
            if e["type"] == "json_invalid"
            else {"field": field_name(tuple(e["loc"])), "message": str(e["msg"])}
            for e in exc.errors()
        ]
        first = exc.errors()[0]
        echoed = "input" in first and first["type"] not in ("missing", "json_invalid")
        given = echo(first["input"]) if echoed else None
        return invalid_input(errors, given)

    @app.exception_handler(ValidationError)
    async def invalid_record(request: Request, exc: ValidationError) -> JSONResponse:
        # A record a route builds from a valid body can still break a rule that spans fields (a grid
        # worker without a grid): the same answer as a body that is invalid on its own.
        errors = [_record_rule(e) if not e["loc"] else e for e in exc.errors()]
        return await invalid(request, RequestValidationError(errors))

    @app.exception_handler(Rejected)
    async def rejected(_: Request, exc: Rejected) -> JSONResponse:
        return problem(REJECTED_STATUS[exc.kind], "无法执行 Not possible", str(exc), field=exc.field)

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "没有权限 Forbidden", exc.detail)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "找不到 Not found", exc.detail)

    @app.exception_handler(Replay)
    async def replay(_: Request, exc: Replay) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(NotOwner)
    async def elsewhere(request: Request, exc: NotOwner) -> JSONResponse:
        # The owner's address goes to api/forward.py, which sends the request there: this answer never leaves.
        if exc.owner is not None and exc.owner.worker != request.app.state.service.leases.worker:
            response = problem(421, "转交 Misdirected", str(exc))
            response.headers["x-pingzhan-owner"] = exc.owner.url
            return response
        return retry_later("the community is moving between servers")

    @app.exception_handler(IdempotencyConflict)
    async def reused(_: Request, exc: IdempotencyConflict) -> JSONResponse:
        return problem(
            422,
            "重复的请求编号 Idempotency-Key reused",
            f"Idempotency-Key {exc.args[0]!r} was used before with a different request",
            field="Idempotency-Key",
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Logged in full by the server (uvicorn re-raises after this answer); the caller never sees a traceback.
        response = problem(
            500,
            "服务器内部错误 Internal error",
            "the server could not complete the request; nothing was changed",
        )
        # Sent from outside every middleware (Starlette's error middleware is outermost): headers set here.
        secure(response.headers)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {401: "请先登录 Unauthorised", 404: "找不到 Not found", 405: "方法不允许 Method not allowed"}
        response = problem(exc.status_code, titles.get(exc.status_code, "错误 Error"), str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response
