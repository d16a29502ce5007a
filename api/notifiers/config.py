"""The operator's notifiers file (``pingzhan serve --notifiers FILE``, YAML or JSON): where dispatches, timeouts
and escalations go for people who do not have the console open, and how hard to try.

Each notifier belongs to a street (its state shows on that street's console) and says whom it speaks for:
organisations (``COMMUNITY/ORGANISATION``, the street's own pool's ``street:STREET/ORGANISATION``, as
engine/coordinator/refs.py names them), the cadres of communities, the street's staff. Secrets (a robot's
key-bearing URL, a signing secret, an SMTP password, an SMS API key) are read from environment variables named in
the file (``*_env``); one written into the file itself works too, with a warning at start.
"""

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.errors import InputError, describe_validation, dotted
from engine.rules.loader import parse_yaml

log = logging.getLogger("pingzhan.notifiers")

Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recipients(_Strict):
    """Whom a notifier speaks for; it receives what each of them is sent."""

    organisations: tuple[str, ...] = ()
    cadres: tuple[Ident, ...] = ()
    street_staff: bool = False


class _Base(_Strict):
    id: Ident
    # How people name it on the street's console: "蓝天救援队企业微信群".
    name: str = Field(default="", max_length=100)
    street: Ident
    to: Recipients

    @property
    def label(self) -> str:
        return self.name or self.id


class _Url(_Base):
    """A robot's or a gateway's address; a robot's carries its key, so it may come from the environment."""

    url: str | None = Field(default=None, pattern=r"^https?://")
    url_env: str | None = None


class WeCom(_Url):
    """企业微信群机器人: markdown messages to the robot's webhook."""

    kind: Literal["wecom"]


class DingTalk(_Url):
    """钉钉群机器人: markdown messages; signed when the robot's security setting is 加签 (``secret``), and with the
    robot's 自定义关键词 (``keyword``) in every text."""

    kind: Literal["dingtalk"]
    secret: str | None = None
    secret_env: str | None = None
    keyword: str = Field(default="", max_length=20)


class Webhook(_Url):
    """A JSON POST signed with HMAC-SHA256 over ``TIMESTAMP.BODY`` (README: 通知)."""

    kind: Literal["webhook"]
    secret: str | None = None
    secret_env: str | None = None


class Smtp(_Base):
    kind: Literal["smtp"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = Field(alias="from", min_length=3)
    recipients: tuple[str, ...] = Field(alias="mail_to", min_length=1)
    starttls: bool = True
    user_env: str | None = None
    password_env: str | None = None


class Sms(_Url):
    """An SMS gateway that takes ``{"phones", "text", "delivery"}`` as JSON with a bearer API key (README)."""

    kind: Literal["sms"]
    api_key_env: str | None = None
    phones: tuple[Annotated[str, Field(pattern=r"^\+?[0-9]{5,20}$")], ...] = Field(min_length=1)


AnyNotifier = WeCom | DingTalk | Webhook | Smtp | Sms
Notifier = Annotated[AnyNotifier, Field(discriminator="kind")]
# The kinds, as a file names them.
KINDS = ("wecom", "dingtalk", "webhook", "smtp", "sms")


class Retry(_Strict):
    """Backoff: ``first_s`` after the first failure, doubling up to ``max_s``; given up after ``tries`` tries or
    ``hours`` after the message was written, whichever comes first (the message is then marked failed)."""

    first_s: float = Field(default=2.0, gt=0)
    max_s: float = Field(default=600.0, gt=0)
    tries: int = Field(default=12, ge=1)
    hours: float = Field(default=24.0, gt=0)


class NotifiersFile(_Strict):
    retry: Retry = Retry()
    notifiers: tuple[Notifier, ...] = ()


class Notifiers:
    """The file as the service uses it: each notifier with its secrets read, and the retry policy."""

    def __init__(self, parsed: NotifiersFile, secrets: dict[str, dict[str, str]], public_url: str) -> None:
        self.retry = parsed.retry
        self.all = parsed.notifiers
        self.by_id = {n.id: n for n in parsed.notifiers}
        # Per notifier, per field ("url", "secret", "user", "password", "api_key"): the value to use.
        self.secrets = secrets
        # The console's address as people reach it: links in messages start here.
        self.public_url = public_url.rstrip("/")

    def secret(self, notifier: str, name: str) -> str | None:
        return self.secrets.get(notifier, {}).get(name)

    def of_street(self, street: str) -> list[AnyNotifier]:
        return [n for n in self.all if n.street == street]


NONE = Notifiers(NotifiersFile(), {}, "")


def read_notifiers(path: Path, public_url: str, env: dict[str, str] | None = None) -> Notifiers:
    """The notifiers file at ``path``; :class:`InputError` names the file, the field and the value."""
    env = dict(os.environ) if env is None else env
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--notifiers {source}: cannot read: {exc.strerror}") from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    else:
        _, data = parse_yaml(text, source, ValueError) if text.strip() else (None, {})
    try:
        parsed = NotifiersFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(_describe(source, exc)) from None
    except ValueError as exc:  # parse_yaml's syntax error
        raise InputError(str(exc)) from None
    seen: set[str] = set()
    secrets: dict[str, dict[str, str]] = {}
    for i, n in enumerate(parsed.notifiers):
        where = f"{source}: notifiers[{i}]"
        if n.id in seen:
            raise InputError(f"{where}.id: used by an earlier notifier (got {n.id!r})")
        seen.add(n.id)
        for ref in n.to.organisations:
            home, slash, org = ref.partition("/")
            if not (slash and home and org) or "/" in org:
                raise InputError(
                    f"{where}.to.organisations: COMMUNITY/ORGANISATION, or street:STREET/ORGANISATION for the "
                    f"street's own pool (got {ref!r})"
                )
        if not (n.to.organisations or n.to.cadres or n.to.street_staff):
            raise InputError(f"{where}.to: names nobody (organisations, cadres or street_staff: true)")
        secrets[n.id] = _secrets(n, where, env)
    return Notifiers(parsed, secrets, public_url)


def _secrets(n: AnyNotifier, where: str, env: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    pairs = {"url": "url", "secret": "secret", "user": None, "password": None, "api_key": None}
    for name, inline in pairs.items():
        named = getattr(n, f"{name}_env", None)
        given = getattr(n, inline, None) if inline else None
        if named is not None:
            if given is not None:
                raise InputError(f"{where}: give {name} or {name}_env, not both (got {name}_env {named!r})")
            value = env.get(named)
            if not value:
                raise InputError(f"{where}.{name}_env: environment variable {named!r} is not set")
            found[name] = value
        elif given is not None:
            if name != "url":
                log.warning(
                    "%s.%s is written in the file itself: keep it in %s_env instead", where, name, name
                )
            found[name] = given
    if n.kind != "smtp" and "url" not in found:
        raise InputError(f"{where}: url or url_env is needed for kind {n.kind!r}")
    if n.kind == "smtp" and ("user" in found) != ("password" in found):
        raise InputError(f"{where}: user_env and password_env go together (got only one)")
    return found


def _describe(source: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        got = f" (got {first['input'].get('kind')!r})" if isinstance(first["input"], dict) else ""
        return f"{source}: {dotted(first['loc'])}.kind: one of {', '.join(KINDS)}{got}"
    return describe_validation(source, exc, tags=KINDS)
