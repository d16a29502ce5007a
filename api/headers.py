"""Security headers on every HTTP response: what the browser may load and run, and who may frame the page."""

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def console_policy(tiles: str = "") -> str:
    """The console is static files with no inline script, style or event handler: scripts, styles and
    connections from this server only. Images: the favicon is a data: URL, photos are shown from blob: URLs, and
    the map's tiles come from ``tiles`` (the operator's tile server, an origin such as ``https://*.example.cn``)
    if one is set. Websockets are named by scheme, as older Safari does not count ws: to the same host as
    'self'."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob:{' ' + tiles if tiles else ''}",
            "connect-src 'self' ws: wss:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONSOLE_CSP = console_policy()
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def secure(headers: MutableHeaders, policy: str = CONSOLE_CSP) -> None:
    headers["Content-Security-Policy"] = policy
    for name, value in HEADERS.items():
        headers[name] = value


class SecurityHeaders:
    """ASGI middleware. ``pages``: a looser policy for the few paths that need one (the API docs), by path;
    ``policy``: everyone else's (the console's, with the operator's map tiles)."""

    def __init__(self, app: ASGIApp, pages: Mapping[str, str], policy: str = CONSOLE_CSP) -> None:
        self.app = app
        self.pages = pages
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.pages.get(scope["path"], self.policy)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure(MutableHeaders(scope=message), policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
