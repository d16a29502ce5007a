"""Notifiers over a real server and real receivers on 127.0.0.1: a 企业微信 robot, a 钉钉 robot that checks its
加签 signature, a signed webhook, an SMS gateway (http.server in a thread) and an SMTP server (aiosmtpd). A
dispatch reaches its organisation's robot with the link that opens it, a timeout the organisation and the
cadres, an escalation the street; a receiver that fails is tried again with backoff and the same delivery id
until it takes it; one that keeps failing shows on the street's console; a crash loses nothing pending; a bad
file is refused naming its place."""

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session, select

from api.auth import Role
from api.db.database import connect, default_url
from api.db.tables import OutboxRow
from api.errors import InputError
from api.notifiers.config import read_notifiers
from api.notifiers.outbox import DELIVERED, FAILED, PENDING
from api.pii import load_vault
from api.store import Store
from tests.api.server import MAP, ROOT, Api, Server, api_for, free_port, wait_for
from tests.console.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.launcher import launcher

PUBLIC = "https://pz.example.org/console"
DING_SECRET = "SEC-test-ding"
HOOK_SECRET = "hook-secret"


@dataclass
class Got:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receivers:
    """Every request, by path; ``answers`` scripts a path's next answers (status, JSON), then it takes all."""

    got: list[Got] = field(default_factory=list)
    answers: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    # Paths that answer 500 for as long as they are in here.
    down: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Got]:
        with self.lock:
            return [g for g in self.got if g.path == path]

    def answer(self, got: Got) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.got.append(got)
            if got.path in self.down:
                return 500, {}
            script = self.answers.get(got.path)
            if script:
                return script.pop(0)
        if got.path.startswith("/dingtalk"):
            stamp, sign = got.query["timestamp"][0], got.query["sign"][0]
            digest = hmac.new(
                DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}".encode(), hashlib.sha256
            ).digest()
            if base64.b64encode(digest).decode() != sign:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        return 200, {"errcode": 0, "errmsg": "ok"}


def serve_receivers(receivers: Receivers) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            url = urlsplit(self.path)
            got = Got(url.path, parse_qs(url.query), dict(self.headers), body, time.monotonic())
            status, answer = receivers.answer(got)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return http


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def notifiers_file(http: int, smtp: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{http}"
    return {
        # Quick retries, given up after 4 tries: the test sees every stage in a few seconds.
        "retry": {"first_s": 0.3, "max_s": 1.0, "tries": 4, "hours": 1},
        "notifiers": [
            {
                "id": "boats-wecom",
                "name": "蓝天救援队企业微信群",
                "street": "s1",
                "kind": "wecom",
                "url_env": "PZ_TEST_BOATS_URL",
                "to": {"organisations": ["n1/n1-boats"]},
            },
            {
                "id": "crew-wecom",
                "name": "红星救援队企业微信群",
                "street": "s1",
                "kind": "wecom",
                "url": f"{base}/wecom/crew",
                "to": {"organisations": ["n1/n1-crew"]},
            },
            {
                "id": "street-ding",
                "name": "街道值班钉钉群",
                "street": "s1",
                "kind": "dingtalk",
                "url": f"{base}/dingtalk/street?access_token=abc",
                "secret_env": "PZ_TEST_DING_SECRET",
                "keyword": "平战",
                "to": {"street_staff": True},
            },
            {
                "id": "cadres-hook",
                "street": "s1",
                "kind": "webhook",
                "url": f"{base}/webhook/cadres",
                "secret_env": "PZ_TEST_HOOK_SECRET",
                "to": {"cadres": ["n1"]},
            },
            {
                "id": "cadres-sms",
                "street": "s1",
                "kind": "sms",
                "url": f"{base}/sms",
                "api_key_env": "PZ_TEST_SMS_KEY",
                "phones": ["13800000000"],
                "to": {"cadres": ["n1"]},
            },
            {
                "id": "cadres-mail",
                "street": "s1",
                "kind": "smtp",
                "host": "127.0.0.1",
                "port": smtp,
                "from": "pingzhan@example.org",
                "mail_to": ["cadres@example.org"],
                "starttls": False,
                "to": {"cadres": ["n1"]},
            },
            {
                "id": "broken",
                "name": "坏掉的群",
                "street": "s1",
                "kind": "wecom",
                "url": f"{base}/broken",
                "to": {"street_staff": True},
            },
        ],
    }


ENV = {
    "PZ_TEST_BOATS_URL": "",  # set once the receivers' port is known
    "PZ_TEST_DING_SECRET": DING_SECRET,
    "PZ_TEST_HOOK_SECRET": HOOK_SECRET,
    "PZ_TEST_SMS_KEY": "sms-key",
}


@dataclass
class World:
    server: Server
    receivers: Receivers
    mailbox: Mailbox
    street: Api
    cadre: Api


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    receivers = Receivers()
    # The broken robot answers 500 always; the crew's answers 500, then refuses (errcode), then takes it.
    receivers.down.add("/broken")
    receivers.answers["/wecom/crew"] = [(500, {}), (200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    http = serve_receivers(receivers)
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    folder = Path(tmp_path_factory.mktemp("notifiers"))
    port = http.server_address[1]
    (folder / "notifiers.json").write_text(json.dumps(notifiers_file(port, smtp.port)), encoding="utf-8")
    env = {**ENV, "PZ_TEST_BOATS_URL": f"http://127.0.0.1:{port}/wecom/boats"}
    server = Server(
        folder / "data", extra=["--notifiers", str(folder / "notifiers.json"), "--public-url", PUBLIC]
    )
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        server.start()
        street = Api(server, server.token(Role.STREET, street="s1"))
        street.ok(
            "POST",
            "/communities",
            {"id": "n1", "street": "s1", "name": "东湖社区", "profile": "fast_test", "map": MAP},
        )
        for org, name, rid, place in (
            ("boats", "蓝天救援队", "boat", "g0_0"),
            ("crew", "红星救援队", "boat2", "g4_4"),
        ):
            street.ok(
                "POST",
                "/communities/n1/organisations",
                {"id": f"n1-{org}", "kind": "social_organisation", "name": name},
            )
            street.ok(
                "POST",
                "/communities/n1/resources",
                {
                    "id": f"n1-{rid}",
                    "organisation": f"n1-{org}",
                    "capability": "rescue.boat",
                    "quantity": 1,
                    "location": place,
                    "name": f"冲锋舟{name[:2]}",
                },
            )
        street.ok("POST", "/communities/n1/incidents", {"kind": "flood", "level": 2})
        yield World(server, receivers, mailbox, street, api_for(server, Role.CADRE, "n1"))
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        smtp.stop()
        http.shutdown()


def delivery_of(text: str) -> str:
    return text.rsplit("投递编号 ", 1)[1].split()[0]


def test_dispatch_timeout_and_escalation_reach_their_notifiers(world: World) -> None:
    r = world.receivers
    need = world.cadre.ok(
        "POST",
        "/communities/n1/needs",
        {"capability": "rescue.boat", "quantity": 1, "location": "g0_1", "priority": 5, "note": "12栋1楼"},
    )["id"]
    link = f"{PUBLIC}/#c=n1&need={need}"

    # Life-safety is sent by itself: the nearer boat's organisation hears of it on its robot, with the link.
    [sent] = wait_for(lambda: r.at("/wecom/boats"), timeout=15)[:1]
    content = sent.json["markdown"]["content"]
    assert sent.json["msgtype"] == "markdown"
    assert "派单" in content and "冲锋舟蓝天 × 1" in content and "12栋1楼" in content and link in content
    assert "g0_" not in content

    # Nobody accepts it within 3 s: the job is taken back (the organisation), the cadres are told by webhook,
    # SMS and e-mail.
    withdrawn = wait_for(
        lambda: [g for g in r.at("/wecom/boats") if "任务已收回" in g.json["markdown"]["content"]]
    )
    assert "无需前往" in withdrawn[0].json["markdown"]["content"]
    [hook] = wait_for(lambda: r.at("/webhook/cadres"))[:1]
    body = hook.json
    assert body["kind"] == "job_timed_out" and body["link"] == link and "未在时限内接单" in body["text"]
    stamp = hook.headers["X-Pingzhan-Timestamp"]
    mac = hmac.new(HOOK_SECRET.encode(), stamp.encode() + b"." + hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Pingzhan-Signature"] == f"sha256={mac}"
    assert hook.headers["X-Pingzhan-Delivery"] == body["delivery"]
    [sms] = wait_for(lambda: r.at("/sms"))[:1]
    assert sms.headers["Authorization"] == "Bearer sms-key" and sms.json["phones"] == ["13800000000"]
    assert link in sms.json["text"] and sms.json["delivery"] == sms.headers["X-Pingzhan-Delivery"]
    [mail] = wait_for(lambda: world.mailbox.mails)[:1]
    assert mail["Message-ID"] == f"<{mail['X-Pingzhan-Delivery']}@pingzhan>"
    assert "派单超时" in str(mail["Subject"]) and link in mail.get_content()

    # The other boat is sent next: its robot fails (500, then errcode 93000) and takes it on the third try,
    # the same delivery id each time, waiting longer each time.
    tries = wait_for(lambda: r.at("/wecom/crew") if len(r.at("/wecom/crew")) >= 3 else None, timeout=15)[:3]
    ids = {delivery_of(g.json["markdown"]["content"]) for g in tries}
    assert len(ids) == 1
    first, second = tries[1].at - tries[0].at, tries[2].at - tries[1].at
    assert 0.25 <= first < second, (first, second)

    # A need nobody here can meet is sent to the street after 4 s: the street's DingTalk robot (signed; it
    # checks the signature, and the keyword is in the text).
    gone = world.cadre.ok(
        "POST",
        "/communities/n1/needs",
        {"capability": "power.generator", "quantity": 1, "location": "g2_2", "priority": 4},
    )["id"]
    ding = wait_for(
        lambda: [g for g in r.at("/dingtalk/street") if f"need={gone}" in g.json["markdown"]["text"]],
        timeout=15,
    )
    text = ding[0].json["markdown"]
    assert text["title"].startswith("上报街道：东湖社区") and "平战" in text["text"]
    assert ding[0].query["access_token"] == ["abc"]

    # The broken robot gave up after 4 tries (of the escalation); the street's console says so.
    def broken() -> dict[str, Any] | None:
        found = {n["id"]: n for n in world.street.ok("GET", "/streets/s1/notifiers")}
        return found["broken"] if found["broken"]["failed"] else None

    state = wait_for(broken, timeout=15)
    assert state["failing"] and state["last_error"] == "对方回答 HTTP 500"
    assert state["warning"].startswith("通知发送失败：坏掉的群（对方回答 HTTP 500），")
    assert len(r.at("/broken")) >= 4
    found = {n["id"]: n for n in world.street.ok("GET", "/streets/s1/notifiers")}
    assert not found["crew-wecom"]["failing"] and found["crew-wecom"]["last_error"].startswith(
        "机器人拒收（errcode 93000"
    )
    assert found["street-ding"]["warning"] == "" and found["street-ding"]["last_delivered"]
    # Only the street's staff read it; a cadre reads those that speak for the community (its cadres, its
    # organisations), as the street sees them.
    assert world.cadre.get("/streets/s1/notifiers").status_code == 403
    theirs = {n["id"]: n for n in world.cadre.ok("GET", "/communities/n1/notifiers")}
    assert sorted(theirs) == ["boats-wecom", "cadres-hook", "cadres-mail", "cadres-sms", "crew-wecom"]
    assert theirs["crew-wecom"]["name"] == "红星救援队企业微信群"
    assert theirs["crew-wecom"]["last_error"].startswith("机器人拒收（errcode 93000")


def test_the_street_console_shows_a_failing_notifier_and_hears_of_another(world: World) -> None:
    """The broken robot (given up in the test above) is a red warning above the street's inbox; the cadres'
    webhook failing while the page is open shows there too, with no reload (the street's channel says so). A
    message's link opens the need."""
    r = world.receivers
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(
                locale="zh-CN", service_workers="block", viewport={"width": 360, "height": 640}
            ).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(world.server.url + "/")
            sign_in(page, world.street.token)
            expect(page.get_by_test_id("notifier-warning-broken")).to_contain_text(
                "通知发送失败：坏掉的群（对方回答 HTTP 500），0 条待重发"
            )
            hook = page.get_by_test_id("notifier-warning-cadres-hook")
            expect(hook).to_have_count(0)
            r.down.add("/webhook/cadres")
            need = world.cadre.ok(
                "POST",
                "/communities/n1/needs",
                {"capability": "rescue.boat", "quantity": 1, "location": "g3_3", "priority": 5},
            )["id"]
            expect(hook).to_contain_text("通知发送失败：cadres-hook（对方回答 HTTP 500）", timeout=15_000)
            # The link a message carries opens the community's emergency view with the need's card, and leaves
            # the address bar.
            page.goto(f"{world.server.url}/#c=n1&need={need}")
            expect(page.get_by_test_id("tab-emergency")).to_have_attribute("aria-pressed", "true")
            expect(page.locator(f'#app .card[data-pin="need:{need}"]')).to_be_in_viewport()
            assert page.evaluate("location.hash") == ""
            assert not errors, errors
        finally:
            browser.close()
            r.down.discard("/webhook/cadres")


def test_a_crash_loses_nothing_pending(world: World) -> None:
    r = world.receivers
    r.down.add("/webhook/cadres")
    before = len(r.at("/webhook/cadres"))
    need = world.cadre.ok(
        "POST",
        "/communities/n1/needs",
        {"capability": "rescue.boat", "quantity": 1, "location": "g1_1", "priority": 5},
    )["id"]
    # Its dispatch times out; the cadres' notice is written, tried once and refused: then the server dies.

    def tries() -> list[Got]:
        return [g for g in r.at("/webhook/cadres")[before:] if g.json["link"].endswith(f"need={need}")]

    [refused] = wait_for(tries, timeout=15)[:1]
    world.server.kill()
    killed = time.monotonic()
    r.down.discard("/webhook/cadres")
    world.server.start()
    # The next owner sends it again, with the same delivery id.
    wait_for(
        lambda: [g for g in tries() if g.at > killed and g.json["delivery"] == refused.json["delivery"]],
        timeout=20,
    )


def refused(folder: Path, text: str) -> str:
    """What ``pingzhan serve`` says of a notifiers file holding ``text`` (it must exit 2, starting nothing)."""
    bad = folder / "notifiers.yaml"
    bad.write_text(text, "utf-8")
    result = launcher.call(["serve", "--notifiers", str(bad), "--data-dir", str(folder / "d")], timeout=60)
    assert result.returncode == 2, result
    return result.stderr.strip().replace(str(bad), "FILE")


def test_a_bad_notifiers_file_names_file_field_and_value(tmp_path: Path) -> None:
    head = "notifiers:\n  - id: x\n    street: s1\n    to: {street_staff: true}\n"
    assert refused(tmp_path, head + "    kind: telegram\n") == (
        "pingzhan: FILE: notifiers[0].kind: one of wecom, dingtalk, webhook, smtp, sms (got 'telegram')"
    )
    assert refused(
        tmp_path,
        head + "    kind: dingtalk\n    url: http://127.0.0.1/d\n    secret_env: PZ_NOT_SET_ANYWHERE\n",
    ) == ("pingzhan: FILE: notifiers[0].secret_env: environment variable 'PZ_NOT_SET_ANYWHERE' is not set")
    said = refused(tmp_path, head + "    kind: sms\n    url: http://h/s\n    phones: ['13800000000', abc]\n")
    assert said.startswith(
        "pingzhan: FILE: notifiers[0].phones[1]: String should match pattern"
    ) and said.endswith("(got 'abc')")
    assert refused(tmp_path, head + "    kind: wecom\n    url: http://h/w\n    colour: red\n") == (
        "pingzhan: FILE: notifiers[0].colour: Extra inputs are not permitted (got 'red')"
    )


def test_the_example_file_reads() -> None:
    """The README's example, with its environment variables set: five notifiers of street donghu."""
    names = ["LANTIAN_WECOM_URL", "STREET_DINGTALK_URL", "STREET_DINGTALK_SECRET", "DH01_WEBHOOK_SECRET"]
    names += ["SMTP_USER", "SMTP_PASSWORD", "SMS_API_KEY"]
    example = ROOT / "api" / "examples" / "notifiers.example.yaml"
    read = read_notifiers(example, "https://pz.example.org", {name: f"value-{name}" for name in names})
    assert [n.kind for n in read.of_street("donghu")] == ["wecom", "dingtalk", "webhook", "smtp", "sms"]
    assert read.secret("street-dingtalk", "secret") == "value-STREET_DINGTALK_SECRET"
    with pytest.raises(
        InputError, match=r"notifiers\[0\]\.url_env: environment variable 'LANTIAN_WECOM_URL'"
    ):
        read_notifiers(example, "https://pz.example.org", {})


def test_sent_and_given_up_notifications_are_purged_with_personal_data(tmp_path: Path) -> None:
    """Their text names where a need is, as typed: kept as long as residents' contacts, never while pending."""
    store = Store(connect(default_url(tmp_path)), load_vault(tmp_path / "pii.key"))
    now = datetime.now(UTC)
    old, new = now - timedelta(days=40), now - timedelta(days=1)
    rows = {
        "old-sent": (DELIVERED, old),
        "old-given-up": (FAILED, old),
        "old-pending": (PENDING, None),
        "new-sent": (DELIVERED, new),
    }
    made = [
        OutboxRow(
            delivery=name,
            partition="s1",
            notifier="n",
            kind="k",
            community="c1",
            title="t",
            text="12栋1楼",
            link="#",
            at=old,
            due_at=old,
            state=state,
            done_at=done,
        )
        for name, (state, done) in rows.items()
    ]
    store.write("s1", [], [], [], now, outbox=made)
    store.purge(now - timedelta(days=30))
    with Session(store.engine) as session:
        left = {r.delivery for r in session.exec(select(OutboxRow))}
    store.engine.dispose()
    assert left == {"old-pending", "new-sent"}
