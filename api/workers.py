"""Running the service: one worker, or several on one machine sharing its port.

Each worker is a whole server (api/app.py) with its own event loop, its own partitions and its own address for
commands forwarded from other workers (api/forward.py). With ``--workers N`` this process binds the public port
once and starts N worker processes that all accept on it (the kernel spreads the connections); each also listens
on a port of its own, which it announces as its address. A worker that dies is started again; its partitions are
meanwhile taken over by the others once its leases run out (api/leases/).
"""

import contextlib
import logging
import multiprocessing
import signal
import socket
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

from api.app import ServeSettings, create_app

log = logging.getLogger("pingzhan.workers")

# A worker that dies sooner than this after its start is not started again at once (a crash loop).
RESTART_PAUSE_S = 1.0


@dataclass(frozen=True)
class Listen:
    host: str
    port: int
    # The host other workers reach this machine at.
    advertise: str
    ws_deflate: bool


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_one(settings: ServeSettings, listen: Listen, shared: socket.socket | None) -> None:
    """One worker: on the public port alone (it is its own address), or on ``shared`` and a port of its own."""
    if shared is None:
        sockets = [_bind(listen.host, listen.port)]
        url = f"http://{listen.advertise}:{sockets[0].getsockname()[1]}"
    else:
        own = _bind(listen.advertise, 0)
        sockets = [shared, own]
        url = f"http://{listen.advertise}:{own.getsockname()[1]}"
    app = create_app(ServeSettings(**{**settings.__dict__, "internal_url": url}))
    config = uvicorn.Config(
        app,
        log_level="info",
        ws="websockets-sansio",
        ws_per_message_deflate=listen.ws_deflate,
    )
    uvicorn.Server(config).run(sockets=sockets)


def _worker(settings: ServeSettings, listen: Listen, shared: socket.socket) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    serve_one(settings, listen, shared)


def supervise(settings: ServeSettings, listen: Listen, workers: int) -> None:
    """Start ``workers`` workers on one shared port and keep them running until SIGINT or SIGTERM."""
    shared = _bind(listen.host, listen.port)
    spawn = multiprocessing.get_context("spawn")
    running: list[tuple[BaseProcess, float]] = []
    stopping = False

    def start() -> tuple[BaseProcess, float]:
        process = spawn.Process(target=_worker, args=(settings, listen, shared), daemon=False)
        process.start()
        return process, time.monotonic()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    running = [start() for _ in range(workers)]
    log.info("started %d workers on %s:%d", workers, listen.host, listen.port)
    while not stopping:
        time.sleep(0.2)
        for i, (process, started) in enumerate(running):
            if process.is_alive() or stopping:
                continue
            log.warning("worker %s ended (exit code %s); starting another", process.pid, process.exitcode)
            if time.monotonic() - started < RESTART_PAUSE_S:
                time.sleep(RESTART_PAUSE_S)
            running[i] = start()
    for process, _ in running:
        with contextlib.suppress(Exception):
            process.terminate()
    for process, _ in running:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
