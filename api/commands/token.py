"""``pingzhan token create``: a token for one person, bound to a role and a street, community or organisation."""

import argparse
import sys
from pathlib import Path

from api.auth import Role, check_binding, create_token
from api.db.database import connect, default_url
from api.errors import InputError
from api.service import wall_clock


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    token = commands.add_parser("token", help="create access tokens")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it (shown only this once)")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--street")
    create.add_argument("--community")
    create.add_argument("--organisation")
    create.add_argument("--grid")
    create.add_argument("--name", default="", help="who holds it, as the audit log will show")
    create.add_argument("--data-dir", default="pingzhan-data")
    create.add_argument("--database", help="database URL (default: the SQLite file in --data-dir)")
    create.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    role = Role(args.role)
    problem = check_binding(role, args.street, args.community, args.organisation)
    if problem is not None:
        raise InputError(f"token create: {problem}")
    engine = connect(args.database or default_url(Path(args.data_dir)))
    token = create_token(
        engine,
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
