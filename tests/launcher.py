"""Real server processes, started without paying Python's start and the service's imports each time.

One launcher process per test session imports the command line and the service once, then forks a child for
each ``pingzhan`` command a test starts: the child runs exactly what ``python -m api.cli ARGS`` runs, with its own
working folder, environment and log, as a process of its own (its own pid and sockets; killed, stopped and
waited for like any process). Only the interpreter's start and the imports are shared: about 2 s of every server
start, some fifty times a run, and a second or so of every command-line run. Tests about what a command imports,
or about runs in separate interpreters (hash seeds), start their own processes.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in the launcher: read a command a line, fork, answer the child's pid; write each child's exit code beside
# its log when it ends.
_LAUNCHER = r"""
import json, os, signal, sys, traceback
import api.cli, api.commands.serve, api.app, api.workers, uvicorn  # the imports every server pays
import api.commands.match, api.commands.drill, api.commands.token, engine.drill.runner  # and the commands
logs = {}

def reap(*_):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        log = logs.pop(pid, None)
        if log is not None:
            with open(log + ".exit", "w") as f:
                f.write(str(code))

signal.signal(signal.SIGCHLD, reap)
for line in sys.stdin:
    order = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.setsid()
            out = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(out, 1)
            err = os.open(order["err"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if order["err"] else out
            os.dup2(err, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.chdir(order["cwd"])
            os.environ.clear()
            os.environ.update(order["env"])
            sys.argv = ["pingzhan", *order["args"]]
            code = api.cli.main(order["args"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    logs[pid] = order["log"]
    print(json.dumps({"pid": pid}), flush=True)
"""


class Launched:
    """A process the launcher started, with the part of subprocess.Popen's interface the tests use."""

    def __init__(self, pid: int, log: Path) -> None:
        self.pid = pid
        self._exit = Path(str(log) + ".exit")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self._exit.exists():
            text = self._exit.read_text()
            if text:
                self.returncode = int(text)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Launcher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def call(
        self, args: list[str], timeout: float = 120, env: dict[str, str] | None = None
    ) -> "subprocess.CompletedProcess[str]":
        """``python -m api.cli ARGS`` to its end, its output and errors kept apart, as subprocess.run gives them;
        in this environment, or ``env``."""
        with tempfile.TemporaryDirectory() as folder:
            out, err = Path(folder) / "out", Path(folder) / "err"
            process = self.run(args, out, {**os.environ} if env is None else env, err)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            text = {p: p.read_text(encoding="utf-8") if p.exists() else "" for p in (out, err)}
        return subprocess.CompletedProcess(["pingzhan", *args], code, text[out], text[err])

    def run(self, args: list[str], log: Path, env: dict[str, str], err: Path | None = None) -> Launched:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = subprocess.Popen(
                    [sys.executable, "-c", _LAUNCHER],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            assert self._process.stdin is not None and self._process.stdout is not None
            Path(str(log) + ".exit").unlink(missing_ok=True)
            order = {"args": args, "log": str(log), "err": str(err or ""), "env": env, "cwd": str(ROOT)}
            self._process.stdin.write(json.dumps(order) + "\n")
            self._process.stdin.flush()
            answer = json.loads(self._process.stdout.readline())
            return Launched(int(answer["pid"]), log)


launcher = _Launcher()
