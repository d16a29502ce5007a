"""Any worker answers any request: a command for a partition another worker owns is sent on to it.

The route runs here as far as the service, which finds the partition owned elsewhere and raises NotOwner; the
answer to that is a 421 naming the owner (api/problems.py), which never leaves this worker: the request, kept
whole, goes to the owner instead, and the owner's answer goes back as it is (its gzip included). The owner
applies it exactly once: its idempotency record is checked there, in its own round. Reads are answered here,
from boards brought up to date from the log first (api/service.py). A forwarded request is never forwarded
again: if the partition moved once more meanwhile, the client is told to try again in a moment.
"""

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import retry_later

# Set on a forwarded request, and on a 421 the service answers, with the owner's address.
FORWARDED = b"x-pingzhan-forwarded"
OWNER = b"x-pingzhan-owner"
_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"host", b"content-length", b"upgrade"}
_READS = {"GET", "HEAD", "OPTIONS"}


class Forward:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READS:
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        sent = False

        async def again() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        owner: str | None = None

        async def catch(message: Message) -> None:
            nonlocal owner
            if message["type"] == "http.response.start" and message["status"] == 421:
                headers = dict(message.get("headers", []))
                if OWNER in headers:
                    owner = headers[OWNER].decode()
                    return
            if owner is None:
                await send(message)

        await self.app(scope, again, catch)
        if owner is None:
            return
        forwarded = any(name == FORWARDED for name, _ in scope["headers"])
        if forwarded:
            await retry_later("the community moved to another server just now")(scope, receive, send)
            return
        await self._proxy(scope, body, owner, send)

    async def _proxy(self, scope: Scope, body: bytes, owner: str, send: Send) -> None:
        if self._client is None:
            # No timeout of our own on reading: a command waits for its round and its write, as it would here.
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=2.0))
        client = scope.get("client")
        headers = [(k, v) for k, v in scope["headers"] if k not in _HOP]
        headers.append((FORWARDED, b"1"))
        if client is not None:
            headers.append((b"x-forwarded-for", str(client[0]).encode()))
        url = owner.rstrip("/") + scope.get("root_path", "") + scope["path"]
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode()
        request = self._client.build_request(scope["method"], url, headers=headers, content=body)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError:
            await retry_later("the server holding this community did not answer")(scope, _nothing, send)
            return
        try:
            if response.status_code == 421:
                await retry_later("the community moved to another server just now")(scope, _nothing, send)
                return
            # The bytes as the owner sent them: gzipped when it gzipped them, with its content-encoding.
            content = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": content})


async def _whole_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
