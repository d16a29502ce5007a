"""``pingzhan serve``: the live service on uvicorn.

The service (FastAPI, SQLAlchemy, the engine) is imported when the subcommand runs, not here.
"""

import argparse
import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from api.appeal_windows import PER_ADDRESS, PER_BUILDING, AppealRates
from api.errors import InputError
from api.hub import QUEUE_LIMIT
from api.throttle import DEFAULT_PER_MINUTE

if TYPE_CHECKING:
    from api.cap.areas import AreaCodes


def arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes on this machine, sharing --port; more than 1 needs --database postgresql://… "
        "and --pubsub redis://… (default 1)",
    )
    serve.add_argument(
        "--advertise-host",
        help="the address other workers (on other machines too) reach this one at, to send it commands for its "
        "communities (default: --host, or 127.0.0.1 when --host is 0.0.0.0)",
    )
    serve.add_argument(
        "--data-dir",
        default="pingzhan-data",
        help="folder for the SQLite file and demo tokens (default: ./pingzhan-data)",
    )
    serve.add_argument(
        "--database", help="database URL, e.g. postgresql://127.0.0.1:5432/test (default: SQLite)"
    )
    serve.add_argument(
        "--pubsub", help="redis://HOST:PORT to fan out across server processes (default: in-process)"
    )
    serve.add_argument(
        "--debounce-ms", type=int, default=100, help="re-plan this long after a change (default 100)"
    )
    serve.add_argument(
        "--resume-limit",
        type=int,
        default=500,
        help="more missed messages than this: send a snapshot (default 500)",
    )
    serve.add_argument(
        "--ws-queue-limit",
        type=int,
        default=QUEUE_LIMIT,
        help="a websocket client this many messages behind is cut off, and resumes from its last seq on "
        f"reconnect (default {QUEUE_LIMIT})",
    )
    serve.add_argument(
        "--ws-deflate",
        action="store_true",
        help="compress websocket messages (permessage-deflate) for clients that offer it: about 13x fewer "
        "bytes, but each message is compressed once per client (0.4 ms a client for a 20 KB plan diff), "
        "where otherwise every client is sent the same bytes",
    )
    serve.add_argument(
        "--auth-failures-per-minute",
        type=int,
        default=DEFAULT_PER_MINUTE,
        help="requests with a missing, unknown or revoked token one client address may send in a minute; "
        f"past that they get 429 with Retry-After (valid tokens never do; default {DEFAULT_PER_MINUTE})",
    )
    serve.add_argument(
        "--token-recheck-s",
        type=float,
        help="how often an open websocket re-reads its token, the backstop for a revocation whose notice never "
        "came (revoked on the command line without --pubsub); default 10",
    )
    serve.add_argument(
        "--appeals-per-building",
        default=PER_BUILDING,
        help="residents' appeals one building's link takes in a moving window, as COUNT/PERIOD "
        f"('30/10 minutes'); past that 429 with Retry-After (default {PER_BUILDING!r})",
    )
    serve.add_argument(
        "--appeals-per-address",
        default=PER_ADDRESS,
        help=f"residents' appeals one client address may send, as COUNT/PERIOD (default {PER_ADDRESS!r})",
    )
    serve.add_argument(
        "--profile-dir", help="a folder of your own governance profiles (NAME.yaml), found by name"
    )
    serve.add_argument(
        "--demo", help="load a demo community from this problem file and print a token per role"
    )
    serve.add_argument(
        "--pii-key-file",
        help="the key residents' phones and names are encrypted with, kept outside the database "
        "(default: DATA_DIR/pii.key, made on first start; $PINGZHAN_PII_KEY wins when set)",
    )
    serve.add_argument(
        "--tiles",
        help="the map's base layer: a tile URL with {z}/{x}/{y} (and {s} for numbered hosts), e.g. 天地图, 高德 "
        "or your own OpenStreetMap tile server; the console's policy lets images from its host (default: none, "
        "the console draws the community's own roads and street names, with no internet)",
    )
    serve.add_argument(
        "--tile-attribution", default="", help="the credit the tile server asks for, shown on the map"
    )
    serve.add_argument(
        "--tile-subdomains",
        default="abc",
        help="what {s} in --tiles stands for, one character a host (default abc; 天地图: 01234567)",
    )
    serve.add_argument(
        "--area-codes",
        help="a CSV file code,street,community,name: the administrative codes (行政区划代码) official warnings "
        "name, mapped to streets and communities (README: 预警接入)",
    )
    serve.add_argument(
        "--cap-feed",
        action="append",
        default=[],
        help="a URL to poll for CAP 1.2 warnings: one alert, or an Atom/RSS feed of alerts (may be repeated)",
    )
    serve.add_argument(
        "--cap-poll-s", type=float, default=60.0, help="how often each --cap-feed is read (default 60 s)"
    )
    serve.add_argument(
        "--notifiers",
        help="a YAML or JSON file of notifiers (企业微信/钉钉群机器人, signed webhook, e-mail, SMS gateway) that "
        "send dispatches, timeouts and escalations to people without the console open (README: 通知)",
    )
    serve.add_argument(
        "--public-url",
        help="the console's address as people open it, for the links in notifications (default: "
        "http://ADVERTISE-HOST:PORT)",
    )
    serve.add_argument(
        "--pii-retention-days",
        type=float,
        default=30.0,
        help="purge residents' phones and names this long after their incident closes (default 30)",
    )


def run(args: argparse.Namespace) -> int:
    from limits import parse

    from api.app import ServeSettings
    from api.db.database import connect, default_url
    from api.demo import DEMO_ROLES, demo_tokens, read_demo, read_people
    from api.pii import KeyProblem, load_vault
    from api.private_files import private_dir
    from api.routes.maps import tile_layer
    from api.service import wall_clock
    from api.store import Store
    from api.workers import Listen, serve_one, supervise

    data_dir = Path(args.data_dir)
    url = args.database or default_url(data_dir)
    if args.auth_failures_per_minute < 1:
        raise InputError(
            f"--auth-failures-per-minute: must be 1 or more (got {args.auth_failures_per_minute})"
        )
    rates = AppealRates(per_building=args.appeals_per_building, per_address=args.appeals_per_address)
    for flag, rate in (
        ("--appeals-per-building", rates.per_building),
        ("--appeals-per-address", rates.per_address),
    ):
        try:
            parse(rate)
        except ValueError:
            raise InputError(f"{flag}: {rate!r} is not COUNT/PERIOD, e.g. '30/10 minutes'") from None
    if args.token_recheck_s is not None and not args.token_recheck_s > 0:
        raise InputError(f"--token-recheck-s: must be more than 0 (got {args.token_recheck_s})")
    if args.ws_queue_limit < 1:
        raise InputError(f"--ws-queue-limit: must be 1 or more (got {args.ws_queue_limit})")
    if args.workers < 1:
        raise InputError(f"--workers: must be 1 or more (got {args.workers})")
    if args.workers > 1 and not (url.startswith("postgres") and args.pubsub):
        raise InputError(
            f"--workers {args.workers}: several workers share their communities through PostgreSQL and Redis; "
            "give --database postgresql://… and --pubsub redis://… (多个工作进程需要 PostgreSQL 和 Redis)"
        )
    if args.pii_retention_days < 0:
        raise InputError(f"--pii-retention-days: must be 0 or more (got {args.pii_retention_days})")
    try:
        tiles = tile_layer(args.tiles, args.tile_attribution, args.tile_subdomains) if args.tiles else None
    except ValueError as exc:
        raise InputError(f"--tiles: {exc}") from None
    advertise = args.advertise_host or ("127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host)
    public_url = args.public_url or f"http://{advertise}:{args.port}"
    if not public_url.startswith(("http://", "https://")):
        raise InputError(f"--public-url: an http:// or https:// address (got {public_url!r})")
    area_codes = _area_codes(args.area_codes)
    for feed in args.cap_feed:
        if not feed.startswith(("http://", "https://")):
            raise InputError(f"--cap-feed: an http:// or https:// address (got {feed!r})")
    if not args.cap_poll_s >= 1:
        raise InputError(f"--cap-poll-s: must be 1 or more (got {args.cap_poll_s})")
    notifiers = Path(args.notifiers) if args.notifiers else None
    if notifiers is not None:
        from api.notifiers.config import read_notifiers

        # A bad file stops here, before anything starts (each worker reads it again).
        read_notifiers(notifiers, public_url)
    private_dir(data_dir)
    key_file = Path(args.pii_key_file) if args.pii_key_file else data_dir / "pii.key"
    engine = connect(url)
    try:
        Store(engine, load_vault(key_file)).check_key()
    except (KeyProblem, OSError) as exc:
        raise InputError(f"--pii-key-file: {exc}") from None
    finally:
        # A connection of this engine left open would hold an old snapshot of an SQLite database open.
        engine.dispose()
    demo = Path(args.demo) if args.demo else None
    out = sys.stdout
    if demo is not None:
        # A bad demo file stops here, before anything is written.
        read_demo(demo)
        read_people(demo)
        tokens = demo_tokens(connect(url), demo, data_dir, wall_clock())
        out.write("演示令牌 Demo tokens (send as 'Authorization: Bearer TOKEN'):\n")
        for role, token in tokens.items():
            out.write(f"  {DEMO_ROLES[role]:<8} {role:<13} {token}\n")
    out.write(
        f"平战 Pingzhan: http://{args.host}:{args.port}/  (API docs: http://{args.host}:{args.port}/docs)\n"
    )
    out.flush()
    settings = ServeSettings(
        database_url=url,
        data_dir=data_dir,
        pubsub_url=args.pubsub,
        debounce_s=args.debounce_ms / 1000,
        demo=demo,
        profile_dir=Path(args.profile_dir) if args.profile_dir else None,
        resume_limit=args.resume_limit,
        ws_queue_limit=args.ws_queue_limit,
        auth_failures_per_minute=args.auth_failures_per_minute,
        token_recheck_s=args.token_recheck_s,
        appeal_rates=rates,
        pii_key_file=key_file,
        pii_retention=timedelta(days=args.pii_retention_days),
        tiles=tiles,
        notifiers=notifiers,
        public_url=public_url,
        area_codes=area_codes,
        cap_feeds=tuple(args.cap_feed),
        cap_poll_s=args.cap_poll_s,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A line per forwarded command would drown the log; uvicorn's access log names every request already.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    listen = Listen(args.host, args.port, advertise, args.ws_deflate)
    if args.workers == 1:
        serve_one(settings, listen, None)
    else:
        supervise(settings, listen, args.workers)
    return 0


def _area_codes(path: str | None) -> "AreaCodes":
    from api.cap.areas import AreaCodes, AreaCodesProblem

    if path is None:
        return AreaCodes()
    try:
        return AreaCodes.read(Path(path))
    except AreaCodesProblem as exc:
        raise InputError(f"--area-codes: {exc}") from None
