"""The OpenAPI document as the server behaves, and the docs pages (Swagger UI, ReDoc) served from the package.

FastAPI documents a 422 of its own shape (``application/json``) and no other error. Every error here is a
problem details object (``api.problems``), so each operation's possible errors are worked out from what the
document already says about it: a token (401, 429), a path naming something (403, 404), a write (403, 409),
parameters or a body (422), a body (413).
"""

import base64
import hashlib
import re
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.problems import MEDIA

ASSETS = "/docs-assets"
# Swagger UI's and ReDoc's built files, as a package on PyPI ships them: the docs work with no internet.
ASSET_DIR = str(files("fastapi_offline") / "static")
WRITES = {"post", "put", "patch", "delete"}
PROBLEM = "ProblemDetails"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": PROBLEM,
    "description": "RFC 9457 problem details; `field` names the input at fault",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {
            "type": ["string", "null"],
            "description": "the input field at fault, e.g. team[0].per_unit",
        },
        "errors": {
            "type": "array",
            "description": "every field at fault (422)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "limit": {"type": "integer", "description": "the route's body limit in bytes (413)"},
    },
}
ERRORS = {
    401: "缺少或无效的令牌 Missing or invalid token",
    403: "没有权限 Your role may not do this here",
    404: "不存在或你无权查看 Not found, or not yours to see",
    409: "与当前状态冲突 Conflicts with the current state (or an id taken)",
    413: "请求体过大 The body is over the route's limit",
    422: "输入有误 Invalid input: the field at fault is named",
    429: "尝试过多 Too many failed authentications from this address",
}
HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}


def errors_of(method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer, from what the document says of it."""
    token = bool(operation.get("security"))
    named = any(p.get("in") == "path" for p in operation.get("parameters", ()))
    write = method in WRITES
    body = "requestBody" in operation
    statuses = {
        401: token,
        # A role is refused in a community or street it sees, and in changing what it may only read.
        403: token and (named or write),
        404: named or write,
        409: write,
        413: body,
        422: bool(operation.get("parameters")) or body,
        429: token,
    }
    return [status for status, applies in statuses.items() if applies]


def document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with each operation's real error answers, as problem details."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = FastAPI.openapi(app)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas[PROBLEM] = PROBLEM_SCHEMA
    content = {MEDIA: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}}
    for methods in doc["paths"].values():
        for method, operation in methods.items():
            responses = operation["responses"]
            responses.pop("422", None)
            for status in errors_of(method, operation):
                responses[str(status)] = {
                    "description": ERRORS[status],
                    "content": content,
                    **({"headers": HEADERS[status]} if status in HEADERS else {}),
                }
            # An error a route names itself (a GET's 409, with its own words) is a problem too.
            for status, response in responses.items():
                if status.startswith("4") and "content" not in response:
                    response["content"] = content
    app.openapi_schema = doc
    return doc


def install(app: FastAPI) -> dict[str, str]:
    """The document, the docs pages and their assets; the content security policy each page needs, by path."""
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
    assert app.openapi_url is not None
    app.mount(ASSETS, StaticFiles(directory=ASSET_DIR), name="docs-assets")
    title = f"{app.title} API"
    swagger = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=title,
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )
    redoc = get_redoc_html(
        openapi_url=app.openapi_url,
        title=title,
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )
    pages = {"/docs": bytes(swagger.body).decode(), "/redoc": bytes(redoc.body).decode()}
    for path, html in pages.items():
        app.add_api_route(path, _serve(html), methods=["GET"], include_in_schema=False)
    return {path: docs_csp(html) for path, html in pages.items()}


def _serve(html: str) -> Any:
    async def serve() -> HTMLResponse:
        return HTMLResponse(html)

    return serve


def docs_csp(html: str) -> str:
    """The docs pages' policy: their one inline script allowed by its hash and nothing else inline; styles
    inline (both set styles from script), and ReDoc's web worker from a blob: URL."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.S)
    )
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {hashes}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
