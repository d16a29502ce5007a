"""Residents' personal data at rest (PIPL): phones and contact names are stored encrypted.

The key is the operator's and lives outside the database: the environment variable ``PINGZHAN_PII_KEY``, or a
key file (by default ``pii.key`` in the data folder, made mode 600 on first start). A stolen database file, or a
database dump, holds no phone or name in clear. One key per line; the first encrypts, every line decrypts, so a
key can be rotated by putting a new one first.

Which fields are personal is said once, in :data:`FIELDS`, per event type; the store seals them on the way in
and opens them on the way out, so the engine and the routes never see ciphertext.
"""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from api.private_files import write_private

KEY_ENV = "PINGZHAN_PII_KEY"
# Marks a sealed value, so that data written before encryption (or purged to null) reads as it is.
PREFIX = "pii1:"
# Event type -> the paths of its personal fields.
FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "need_reported": (("contact_phone",),),
    "appeal_received": (("contact_phone",),),
    "household_saved": (("household", "contact"), ("household", "phone")),
}


class KeyProblem(ValueError):
    """The key given cannot be used; the message names where it came from."""


class Vault:
    def __init__(self, keys: list[bytes], source: str) -> None:
        if not keys:
            raise KeyProblem(f"{source}: no key in it")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError:
            raise KeyProblem(f"{source}: a key must be 32 url-safe base64-encoded bytes (Fernet)") from None
        self.source = source

    def seal(self, value: str | None) -> str | None:
        if value is None or value.startswith(PREFIX):
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        try:
            return self._fernet.decrypt(value.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise KeyProblem(f"{self.source}: this key does not open the data stored (wrong key?)") from None

    def seal_event(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.each(kind, data, self.seal)

    def open_event(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.each(kind, data, self.open)

    @staticmethod
    def each(kind: str, data: dict[str, Any], change: Callable[[Any], Any]) -> dict[str, Any]:
        """Replace each personal field of an event of type ``kind`` by ``change`` of it."""
        for path in FIELDS.get(kind, ()):
            *outer, last = path
            node = data
            for part in outer:
                node = node.get(part) if isinstance(node, dict) else None  # type: ignore[assignment]
            if isinstance(node, dict) and last in node:
                node[last] = change(node[last])
        return data

    def seal_json(self, value: Any) -> str:
        """A whole JSON document sealed (an idempotent request's remembered answer, which may hold a phone)."""
        sealed = self.seal(json.dumps(value, ensure_ascii=False))
        assert sealed is not None
        return sealed

    def open_json(self, text: str) -> Any:
        return json.loads(self.open(text) or "null")


def load_vault(key_file: Path) -> Vault:
    """The operator's key: from the environment if set, else from ``key_file``, made on first start."""
    given = os.environ.get(KEY_ENV)
    if given:
        return Vault([k.encode() for k in given.split(",") if k.strip()], f"${KEY_ENV}")
    if not key_file.exists():
        write_private(key_file, Fernet.generate_key().decode() + "\n")
    lines = key_file.read_text(encoding="utf-8").split()
    return Vault([line.encode() for line in lines], str(key_file))
