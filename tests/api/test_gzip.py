"""Answers are gzipped for a client that accepts it: the console's files, the API's JSON (the shared GET bodies
keep their ETag, and a 304 stays a 304 with no body), and the docs; a client that does not ask gets them plain."""

import gzip

import httpx

from api.app import CONSOLE
from api.auth import Role
from tests.api.server import Server

GZIP = {"Accept-Encoding": "gzip"}


def raw(client: httpx.Client, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent on the wire (httpx would decode it otherwise)."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_console_files_are_gzipped_only_when_asked(server: Server) -> None:
    with httpx.Client(base_url=server.url) as client:
        for path, name in (("/app.js", "app.js"), ("/", "index.html"), ("/style.css", "style.css")):
            response, body = raw(client, path, GZIP)
            assert response.status_code == 200
            assert response.headers["content-encoding"] == "gzip", path
            assert "accept-encoding" in response.headers["vary"].lower()
            assert gzip.decompress(body) == (CONSOLE / name).read_bytes()
            assert len(body) < len((CONSOLE / name).read_bytes()) / 2, path
        plain, body = raw(client, "/app.js", {"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert body == (CONSOLE / "app.js").read_bytes()


def test_shared_bodies_keep_their_etag_and_304(server: Server) -> None:
    token = server.token(Role.CADRE, community="c1")
    headers = {"Authorization": f"Bearer {token}", **GZIP}
    with httpx.Client(base_url=server.url + "/api/v1") as client:
        first, body = raw(client, "/communities/c1/resources", headers)
        assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
        etag = first.headers["etag"]
        # Compressed once per version for every reader (api/responses.py), not per request by the middleware,
        # whose gzip header carries the time it compressed: this one carries none.
        assert body[4:8] == b"\0\0\0\0"
        _, twice = raw(client, "/communities/c1/resources", headers)
        assert twice == body
        assert isinstance(httpx.Response(200, content=gzip.decompress(body)).json(), list)
        again, body = raw(client, "/communities/c1/resources", {**headers, "If-None-Match": etag})
        assert again.status_code == 304 and body == b""
        assert again.headers["etag"] == etag and "content-encoding" not in again.headers
        # The same ETag for the plain body: it names the JSON, however it travels.
        plain = client.get("/communities/c1/resources", headers={**headers, "Accept-Encoding": "identity"})
        assert plain.headers["etag"] == etag and "content-encoding" not in plain.headers
        # A problem (here a 404) is JSON too; small ones are left as they are.
        missing, _ = raw(client, "/communities/nowhere/needs", headers)
        assert missing.status_code == 404 and "content-encoding" not in missing.headers


def test_api_docs_schema_is_gzipped(server: Server) -> None:
    with httpx.Client(base_url=server.url) as client:
        response, body = raw(client, "/openapi.json", GZIP)
        assert response.headers["content-encoding"] == "gzip"
        assert b'"openapi"' in gzip.decompress(body)
