"""The FastAPI application: REST under /api/v1, live messages at /ws, OpenAPI docs at /docs."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from api import openapi, problems
from api.appeal_limits import AppealLimits
from api.appeal_windows import AppealRates
from api.cap.areas import AreaCodes
from api.cap.feed import poll_forever
from api.db.database import connect
from api.demo import load_demo
from api.forward import Forward
from api.headers import SecurityHeaders, console_policy
from api.hub import QUEUE_LIMIT
from api.leases import leases_for
from api.limits import BodyLimits
from api.notifiers.config import NONE, read_notifiers
from api.pii import load_vault
from api.pubsub import pubsub_for
from api.responses import Bodies
from api.routes import (
    appeals,
    assignments,
    attention,
    building_codes,
    checks,
    communities,
    contributions,
    escalations,
    events,
    exports,
    households,
    incidents,
    maps,
    me,
    needs,
    notifiers,
    organisations,
    people,
    photos,
    places,
    plans,
    pool,
    residents,
    resources,
    roads,
    scores,
    signin,
    street_pool,
    street_tasks,
    streets,
    tasks,
    tokens,
    warnings,
    ws,
)
from api.service import FileMaps, NotOwner, Service
from api.store import Store
from api.throttle import DEFAULT_PER_MINUTE, AuthFailures
from engine.coordinator import CoordinatorSettings

ROUTERS = (
    me,
    communities,
    streets,
    street_pool,
    organisations,
    resources,
    pool,
    needs,
    escalations,
    incidents,
    exports,
    plans,
    assignments,
    attention,
    roads,
    events,
    maps,
    places,
    people,
    households,
    checks,
    street_tasks,
    tasks,
    photos,
    notifiers,
    warnings,
    scores,
    contributions,
    tokens,
    signin,
    appeals,
    building_codes,
    residents,
)
CONSOLE = Path(__file__).parent / "console"


@dataclass(frozen=True)
class ServeSettings:
    database_url: str
    data_dir: Path
    pubsub_url: str | None = None
    debounce_s: float = 0.1
    demo: Path | None = None
    profile_dir: Path | None = None
    # A client that missed more than this many messages on a channel gets a snapshot instead.
    resume_limit: int = 500
    # A websocket client this many messages behind is cut off (it resumes from its last seq on reconnect).
    ws_queue_limit: int = QUEUE_LIMIT
    # Failed authentications one client address may make in a minute before it is answered 429.
    auth_failures_per_minute: int = DEFAULT_PER_MINUTE
    # How often an open websocket re-reads its token (None: api.routes.ws.RECHECK_S).
    token_recheck_s: float | None = None
    # Residents' phones and names: the key outside the database, and how long after an incident they are kept.
    pii_key_file: Path | None = None
    pii_retention: timedelta = timedelta(days=30)
    # The map's base layer, from api.routes.maps.tile_layer (url, attribution, origin); None: the page draws the
    # community's own roads.
    tiles: dict[str, str] | None = None
    # Where other workers reach this one to forward commands for its partitions (api/forward.py).
    internal_url: str = ""
    # How often residents may send appeals (api/appeal_limits.py).
    appeal_rates: AppealRates = field(default_factory=AppealRates)
    # The operator's notifiers file (api/notifiers/config.py), and the console's address for links in messages.
    notifiers: Path | None = None
    public_url: str = ""
    # Official warnings in (api/cap/): the operator's table of administrative codes, and the feeds polled.
    area_codes: AreaCodes = field(default_factory=AreaCodes)
    cap_feeds: tuple[str, ...] = ()
    cap_poll_s: float = 60.0


def create_app(settings: ServeSettings) -> FastAPI:
    engine = connect(settings.database_url)
    service = Service(
        Store(engine, load_vault(settings.pii_key_file or settings.data_dir / "pii.key")),
        pubsub_for(settings.pubsub_url),
        FileMaps(settings.data_dir),
        CoordinatorSettings(debounce_s=settings.debounce_s),
        profile_dir=settings.profile_dir,
        retention=settings.pii_retention,
        leases=leases_for(engine),
        notifiers=read_notifiers(settings.notifiers, settings.public_url) if settings.notifiers else NONE,
    )
    service.url = settings.internal_url

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        if settings.demo is not None:
            # Several workers start at once: the one that owns the demo's street loads it.
            with contextlib.suppress(NotOwner):
                await load_demo(service, settings.demo)
        feeds = (
            asyncio.create_task(
                poll_forever(service, settings.cap_feeds, settings.cap_poll_s, settings.area_codes)
            )
            if settings.cap_feeds
            else None
        )
        yield
        if feeds is not None:
            feeds.cancel()
        await service.stop()
        engine.dispose()

    app = FastAPI(
        title="平战 Pingzhan",
        description="社区应急资源调度 — emergency-response coordination for community governance",
        version="0.1.0",
        lifespan=lifespan,
        # Served by api.openapi from the package's own files, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    service.hub.queue_limit = settings.ws_queue_limit
    app.state.bodies = Bodies()
    app.state.resume_limit = settings.resume_limit
    app.state.token_recheck_s = settings.token_recheck_s
    app.state.auth_failures = AuthFailures(settings.auth_failures_per_minute)
    app.state.appeal_limits = AppealLimits(settings.appeal_rates, settings.pubsub_url)
    app.state.tiles = settings.tiles
    app.state.area_codes = settings.area_codes
    problems.install(app)
    api = APIRouter(prefix="/api/v1")
    for module in ROUTERS:
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(ws.router)

    # Says only that the server answers: how many communities or listeners it has is nobody's business.
    @app.get("/healthz", tags=["health"])
    def health() -> dict[str, bool]:
        return {"ok": True}

    docs_policies = openapi.install(app)
    # Every answer worth it gzipped (JSON and the console's files shrink four- to eightfold on a weak phone
    # signal); level 5 costs a third of 9's CPU for nearly the same size. ETags and 304s pass through as they
    # are; websockets are not touched (--ws-deflate compresses those).
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=5)
    # Outside gzip: a command for a partition another worker owns goes there, its answer back as it was sent.
    app.add_middleware(Forward)
    # Added last, so outermost: a body refused by its limits gets the security headers too.
    app.add_middleware(BodyLimits)
    app.add_middleware(
        SecurityHeaders,
        pages=docs_policies,
        policy=console_policy(settings.tiles["origin"] if settings.tiles else ""),
    )

    # A building's QR link: the residents' page, which reads the code from its own address.
    @app.get("/r/{code}", include_in_schema=False)
    def resident_page(code: str) -> FileResponse:
        return FileResponse(CONSOLE / "resident.html", headers={"Cache-Control": "no-cache"})

    # The console: static files, no build step; mounted last so the API and docs are matched first.
    app.mount("/", StaticFiles(directory=CONSOLE, html=True), name="console")

    return app
