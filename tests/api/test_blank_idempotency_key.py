"""An empty or blank Idempotency-Key is a client's mistake, not a key: refused with 422 naming the header."""

import json
import socket

from api.auth import Role
from tests.api.server import Api, Server


def test_an_empty_or_blank_idempotency_key_is_refused(server: Server) -> None:
    street = Api(server, server.token(Role.STREET, street="s1"))
    before = street.ok("GET", "/communities/c1/needs")
    need = {"capability": "supply.water", "quantity": 1, "location": "g1_1", "priority": 2}
    body = json.dumps(need).encode()
    # Spaces around a header value are not part of it (RFC 9110), so httpx will not send "   ": sent by hand.
    spaces = (
        b"POST /api/v1/communities/c1/needs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + f"Authorization: Bearer {street.token}\r\nContent-Type: application/json\r\n".encode()
        + f"Content-Length: {len(body)}\r\nIdempotency-Key: \t  \r\n\r\n".encode()
        + body
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(spaces)
        answer = b"".join(iter(lambda: raw.recv(65536), b""))
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 422 "), answer
    assert json.loads(payload)["field"] == "Idempotency-Key"
    # Empty, and blank to Python (no-break spaces, which HTTP does not strip).
    for key in (b"", b"\xa0\xa0"):
        refused = street.post("/communities/c1/needs", need, headers={"Idempotency-Key": key})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["field"] == "Idempotency-Key"
        assert refused.json()["detail"].startswith("Idempotency-Key: must not be empty")
    assert street.ok("GET", "/communities/c1/needs") == before
