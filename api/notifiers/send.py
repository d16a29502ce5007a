"""Sending one outbox row through its notifier: 企业微信 and 钉钉 group robots, a signed webhook, e-mail, an SMS
gateway. Each says why it failed in plain words (:class:`SendFailed`), for the street's console.

Every message carries its delivery id (the same on every try of it): in ``X-Pingzhan-Delivery`` for a webhook
and an SMS gateway, as the Message-ID of an e-mail, and at the end of a robot's text, so that a receiver can
drop a repeat (sending is at least once: a try whose answer was lost is tried again).
"""

import asyncio
import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import quote_plus

import httpx

from api.db.tables import OutboxRow
from api.notifiers.config import DingTalk, Notifiers, Sms, Smtp, Webhook, WeCom

TIMEOUT_S = 10.0


class SendFailed(Exception):
    """Why a try failed, in words the street's staff read."""


def _link(notifiers: Notifiers, row: OutboxRow) -> str:
    return f"{notifiers.public_url}/{row.link}"


def _markdown(notifiers: Notifiers, row: OutboxRow) -> str:
    return (
        f"### {row.title}\n{row.text}\n\n[在平战中打开]({_link(notifiers, row)})\n\n> 投递编号 {row.delivery}"
    )


def _plain(notifiers: Notifiers, row: OutboxRow) -> str:
    return f"{row.text}\n在平战中打开：{_link(notifiers, row)}\n投递编号 {row.delivery}"


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    try:
        response = await client.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=TIMEOUT_S
        )
    except httpx.TimeoutException:
        raise SendFailed(f"对方 {TIMEOUT_S:.0f} 秒内没有回应") from None
    except httpx.HTTPError as exc:
        raise SendFailed(f"连不上对方（{type(exc).__name__}: {exc}）") from None
    if not response.is_success:
        raise SendFailed(f"对方回答 HTTP {response.status_code}")
    return response


def _errcode(response: httpx.Response) -> None:
    """Both robots answer ``{"errcode": 0, ...}``; anything else is a refusal."""
    try:
        answer = response.json()
    except ValueError:
        raise SendFailed("机器人的回答不是 JSON") from None
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        raise SendFailed(
            f"机器人拒收（errcode {code}：{answer.get('errmsg', '') if isinstance(answer, dict) else ''}）"
        )


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉加签: HMAC-SHA256 of ``"{timestamp}\\n{secret}"`` keyed by the secret, base64, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``TIMESTAMP.BODY`` keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class SmsGateway(Protocol):
    """An operator's SMS provider, behind one call."""

    async def send(self, phones: tuple[str, ...], text: str, delivery: str) -> None: ...


class HttpSmsGateway:
    """A gateway that takes ``{"phones": [...], "text": ..., "delivery": ...}`` as JSON, with the API key as a
    bearer token, and answers 2xx when it has taken the message."""

    def __init__(self, client: httpx.AsyncClient, url: str, api_key: str | None) -> None:
        self.client, self.url, self.api_key = client, url, api_key

    async def send(self, phones: tuple[str, ...], text: str, delivery: str) -> None:
        headers = {"X-Pingzhan-Delivery": delivery}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        await _post(
            self.client,
            self.url,
            _json({"phones": list(phones), "text": text, "delivery": delivery}),
            headers,
        )


class Senders:
    """Sends rows through the notifiers of one file, on one HTTP client."""

    def __init__(self, notifiers: Notifiers) -> None:
        self.notifiers = notifiers
        self.client = httpx.AsyncClient()

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, row: OutboxRow) -> None:
        n = self.notifiers.by_id.get(row.notifier)
        if n is None:
            raise SendFailed("通知渠道已从配置文件中删除")
        secret = self.notifiers.secrets.get(n.id, {})
        if isinstance(n, WeCom):
            body = {"msgtype": "markdown", "markdown": {"content": _markdown(self.notifiers, row)}}
            _errcode(await _post(self.client, secret["url"], _json(body), {}))
        elif isinstance(n, DingTalk):
            await self._dingtalk(n, secret, row)
        elif isinstance(n, Webhook):
            await self._webhook(secret, row)
        elif isinstance(n, Sms):
            gateway = HttpSmsGateway(self.client, secret["url"], secret.get("api_key"))
            await gateway.send(n.phones, f"【平战】{_plain(self.notifiers, row)}", row.delivery)
        elif isinstance(n, Smtp):
            await asyncio.to_thread(self._mail, n, secret, row)

    async def _dingtalk(self, n: DingTalk, secret: dict[str, str], row: OutboxRow) -> None:
        url = secret["url"]
        if "secret" in secret:
            stamp = int(time.time() * 1000)
            url += (
                f"{'&' if '?' in url else '?'}timestamp={stamp}&sign={dingtalk_sign(secret['secret'], stamp)}"
            )
        text = _markdown(self.notifiers, row)
        if n.keyword and n.keyword not in text:
            # A robot with 自定义关键词 refuses a text without its word.
            text = f"{n.keyword} · {text}"
        body = {"msgtype": "markdown", "markdown": {"title": row.title, "text": text}}
        _errcode(await _post(self.client, url, _json(body), {}))

    async def _webhook(self, secret: dict[str, str], row: OutboxRow) -> None:
        body = _json(
            {
                "delivery": row.delivery,
                "kind": row.kind,
                "community": row.community,
                "exercise": row.exercise,
                "title": row.title,
                "text": row.text,
                "link": _link(self.notifiers, row),
                "at": row.at.isoformat(),
            }
        )
        stamp = str(int(time.time()))
        headers = {"X-Pingzhan-Delivery": row.delivery, "X-Pingzhan-Timestamp": stamp}
        if "secret" in secret:
            headers["X-Pingzhan-Signature"] = webhook_signature(secret["secret"], stamp, body)
        await _post(self.client, secret["url"], body, headers)

    def _mail(self, n: Smtp, secret: dict[str, str], row: OutboxRow) -> None:
        message = EmailMessage()
        message["Subject"] = row.title
        message["From"] = n.sender
        message["To"] = ", ".join(n.recipients)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{row.delivery}@pingzhan>"
        message["X-Pingzhan-Delivery"] = row.delivery
        message.set_content(_plain(self.notifiers, row))
        try:
            with smtplib.SMTP(n.host, n.port, timeout=TIMEOUT_S) as smtp:
                if n.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if "user" in secret:
                    smtp.login(secret["user"], secret["password"])
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"邮件服务器拒收（{exc.smtp_code}）") from None
        except smtplib.SMTPException as exc:
            raise SendFailed(f"邮件发送失败（{exc}）") from None
        except OSError as exc:
            raise SendFailed(f"连不上邮件服务器 {n.host}:{n.port}（{exc.strerror or exc}）") from None
