"""``pingzhan token create|list|revoke``: tokens for people, bound to a role and a street, community or
organisation; listed without the secret; revoked, which also closes the holder's open websockets."""

import argparse
import asyncio
import sys
from pathlib import Path

from redis.exceptions import RedisError
from sqlalchemy import Engine

from api.auth import TOKEN_ROLES, Role, TokenPublic, check_binding, create_token, list_tokens, revoke_token
from api.db.database import connect, default_url
from api.errors import InputError
from api.hub import revocation_notice
from api.pubsub import pubsub_for
from api.routes.ws import RECHECK_S
from api.service import wall_clock
from api.table import _rows


def arguments(token: argparse.ArgumentParser) -> None:
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it (shown only this once)")
    create.add_argument("--role", required=True, choices=[r.value for r in TOKEN_ROLES])
    create.add_argument("--street")
    create.add_argument("--community")
    create.add_argument("--organisation")
    create.add_argument("--grid")
    create.add_argument("--name", default="", help="who holds it, as the audit log will show")
    _database(create)
    create.set_defaults(run=run)
    listing = actions.add_parser("list", help="every token: number, role, binding, holder, made, revoked")
    _database(listing)
    listing.set_defaults(run=run_list)
    revoke = actions.add_parser("revoke", help="revoke a token by its number (see token list)")
    revoke.add_argument("id", help="the token's number in `pingzhan token list`")
    revoke.add_argument("--by", default="operator", help="who revokes it, as kept with the token")
    revoke.add_argument(
        "--pubsub",
        help="the servers' redis://HOST:PORT: their open websockets of this token close at once "
        f"(without it: when the socket next subscribes, or within {RECHECK_S:g} s)",
    )
    _database(revoke)
    revoke.set_defaults(run=run_revoke)


def _database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default="pingzhan-data")
    parser.add_argument("--database", help="database URL (default: the SQLite file in --data-dir)")


def _engine(args: argparse.Namespace) -> Engine:
    return connect(args.database or default_url(Path(args.data_dir)))


def run(args: argparse.Namespace) -> int:
    role = Role(args.role)
    problem = check_binding(role, args.street, args.community, args.organisation)
    if problem is not None:
        raise InputError(f"token create: {problem}")
    token = create_token(
        _engine(args),
        role=role,
        street=args.street,
        community=args.community,
        organisation=args.organisation,
        grid=args.grid,
        name=args.name,
        at=wall_clock(),
    )
    sys.stdout.write(token + "\n")
    return 0


def _binding(t: TokenPublic) -> str:
    bound = (
        ("street", t.street),
        ("community", t.community),
        ("organisation", t.organisation),
        ("grid", t.grid),
    )
    return " ".join(f"{key}={value}" for key, value in bound if value)


def _revoked(t: TokenPublic) -> str:
    return f"{t.revoked_at:%Y-%m-%d %H:%M:%S} by {t.revoked_by}" if t.revoked_at is not None else "-"


def run_list(args: argparse.Namespace) -> int:
    rows = [
        [str(t.id), t.role.value, _binding(t), t.name, f"{t.created_at:%Y-%m-%d %H:%M:%S}", _revoked(t)]
        for t in list_tokens(_engine(args))
    ]
    header = ["id", "role", "binding", "name", "created (UTC)", "revoked (UTC)"]
    sys.stdout.write(_rows(header, rows) + "\n")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    if not args.id.isdecimal() or int(args.id) < 1:
        raise InputError(
            f"token revoke: id: expected a token number from `pingzhan token list`, got {args.id!r}"
        )
    if args.pubsub is not None and not args.pubsub.startswith(("redis://", "rediss://")):
        raise InputError(f"token revoke: --pubsub: expected redis://HOST:PORT, got {args.pubsub!r}")
    token_id = int(args.id)
    revoked = revoke_token(_engine(args), token_id, by=f"cli:{args.by}", at=wall_clock())
    if revoked is None:
        raise InputError(f"token revoke: id: there is no token {token_id}")
    sys.stdout.write(
        f"token {token_id} ({revoked.role.value} {_binding(revoked)}) revoked {_revoked(revoked)}\n"
    )
    if args.pubsub is not None:
        try:
            asyncio.run(_announce(args.pubsub, token_id))
        except (OSError, RedisError) as exc:
            # The revocation stands: the servers find it when a socket next subscribes, or within RECHECK_S.
            sys.stderr.write(
                f"pingzhan: token revoke: --pubsub {args.pubsub}: could not tell the servers: {exc}\n"
            )
            return 1
    return 0


async def _announce(url: str, token_id: int) -> None:
    pubsub = pubsub_for(url)
    await pubsub.connect()
    try:
        await pubsub.publish(revocation_notice(token_id))
    finally:
        await pubsub.disconnect()
