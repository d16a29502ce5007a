"""A real ``pingzhan serve`` process on a free port, and the world the API tests run in."""

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from api.auth import Role, create_token
from api.db.database import connect, default_url
from tests.launcher import Launched, launcher

ROOT = Path(__file__).resolve().parents[2]
PROFILE = """
name: fast_test
title_zh: 测试用快速规则
title_en: Fast test profile
dispatch:
  auto_confirm_priority: 5
  ack_timeout_s: 3
  escalate_after_s: 4
  normal_match_every_s: 1
rules:
  - name: rotate_volunteers
    kind: preference
    prefer: rotation
    penalty_s: 600
    modes: [normal]
"""
MAP = {"grid": {"rows": 5, "cols": 5, "edge_s": 60}}
# ``extra`` for a server a module sends hundreds of forged and missing tokens from 127.0.0.1 on purpose: the
# default limit on failed authentications (20 a minute per address) would answer most of them 429.
UNTHROTTLED = [
    "--auth-failures-per-minute",
    "1000000",
    "--appeals-per-address",
    "1000000/minute",
    "--appeals-per-building",
    "1000000/minute",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    data_dir: Path
    database_url: str | None = None
    extra: list[str] = field(default_factory=list)
    port: int = 0
    process: Launched | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> "Server":
        # A restart comes back on the same port, as a real deployment would.
        self.port = self.port or free_port()
        profiles = self.data_dir / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
        (profiles / "fast_test.yaml").write_text(PROFILE, encoding="utf-8")
        args = ["serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        args += ["--profile-dir", str(profiles), "--debounce-ms", "50", *self.extra]
        if self.database_url:
            args += ["--database", self.database_url]
        # `python -m api.cli ARGS` as its own process, forked from one that made the imports once.
        self.process = launcher.run(args, self.data_dir / "server.log", {**os.environ})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.data_dir / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in 30 s")

    def kill(self) -> None:
        """A crash, not a shutdown: nothing gets a chance to flush."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def token(self, role: Role, **binding: str) -> str:
        engine = connect(self.database_url or default_url(self.data_dir))
        try:
            # ``name`` binds a cadre, grid worker or captain to their roster entry (Member.id).
            binding = {"name": f"{role.value}-test", **binding}
            return create_token(engine, role=role, at=datetime.now(UTC), **binding)
        finally:
            engine.dispose()


class Api:
    """REST calls as one principal."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.token = token
        self.client = httpx.Client(
            base_url=server.url + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            # uvicorn drops a connection idle for 5 s, httpx's default expiry: a client idle that long could
            # send on a socket the server is closing ("connection reset by peer"). Expire it sooner here.
            limits=httpx.Limits(keepalive_expiry=2),
        )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.client.post(path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.client.patch(path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.client.put(path, json=json, **kw)

    def ok(self, method: str, path: str, json: Any = None) -> Any:
        response = self.client.request(method, path, json=json)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()


def build_world(server: Server) -> dict[str, Api]:
    """Streets s1 (communities c1, c2) and s2 (c3); each community has two organisations and resources."""
    street1 = Api(server, server.token(Role.STREET, street="s1"))
    street2 = Api(server, server.token(Role.STREET, street="s2"))
    for api, community in ((street1, "c1"), (street1, "c2"), (street2, "c3")):
        street = "s1" if community != "c3" else "s2"
        api.ok(
            "POST",
            "/communities",
            {
                "id": community,
                "street": street,
                "name": f"{community}社区",
                "profile": "fast_test",
                "map": MAP,
            },
        )
        for org, kind in (("boats", "social_organisation"), ("shop", "enterprise")):
            api.ok(
                "POST",
                f"/communities/{community}/organisations",
                {"id": f"{community}-{org}", "kind": kind, "name": org},
            )
        api.ok(
            "POST",
            f"/communities/{community}/resources",
            {
                "id": f"{community}-boat",
                "organisation": f"{community}-boats",
                "capability": "rescue.boat",
                "quantity": 2,
                "location": "g0_0",
            },
        )
        api.ok(
            "POST",
            f"/communities/{community}/resources",
            {
                "id": f"{community}-boat2",
                "organisation": f"{community}-boats",
                "capability": "rescue.boat",
                "quantity": 1,
                "location": "g4_4",
            },
        )
        api.ok(
            "POST",
            f"/communities/{community}/resources",
            {
                "id": f"{community}-water",
                "organisation": f"{community}-shop",
                "capability": "supply.water",
                "quantity": 50,
                "location": "g2_2",
            },
        )
    return {"street1": street1, "street2": street2}


def api_for(server: Server, role: Role, community: str = "c1", **extra: str) -> Api:
    binding: dict[str, str] = {"community": community, **extra}
    if role is Role.ORGANISATION and "organisation" not in extra:
        binding["organisation"] = f"{community}-boats"
    return Api(server, server.token(role, **binding))


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
