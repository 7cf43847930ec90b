"""The product served as the README's *Deploying* section runs it, for the measurements and the
scale-out smoke test: gunicorn with the documented options on a free loopback port, `run_worker`
processes, and HTTP clients that each keep one connection alive.

Every process started here is stopped when its `with` block ends, however it ends (an error,
Ctrl-C, SIGTERM): SIGTERM first (gunicorn's graceful shutdown, a worker's clean stop), then SIGKILL
to its whole process group."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .world import manage_py

# The options of the README's gunicorn command (Deploying), after `--bind`: a test keeps them in step.
GUNICORN_OPTIONS = [
    "--workers",
    "4",
    "--threads",
    "4",
    "--timeout",
    "120",
    "--graceful-timeout",
    "30",
    "--keep-alive",
    "5",
    "--max-requests",
    "10000",
    "--max-requests-jitter",
    "1000",
]
STOP_SECONDS = 15  # after SIGTERM, before SIGKILL


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def process_start(name: str, command: Sequence[str], *, env: dict[str, str]) -> Process:
    """`command` in its own process group (Ctrl-C in a terminal reaches only us; we stop it),
    its output in a temporary log file."""
    handle, log = tempfile.mkstemp(prefix=f"{name.replace(' ', '-')}-", suffix=".log")
    with os.fdopen(handle, "wb") as output:
        popen = subprocess.Popen(
            list(command),
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Process(name=name, popen=popen, log=Path(log))


def process_stop(process: Process) -> None:
    """SIGTERM, then SIGKILL to the process group if it is still there after STOP_SECONDS; its
    children (gunicorn's workers) go with it."""
    popen = process.popen
    if popen.poll() is None:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(popen.pid, signal.SIGKILL)  # anything of the group that is left
    except (ProcessLookupError, PermissionError):
        pass
    popen.wait()
    process.log.unlink(missing_ok=True)


@contextmanager
def stopped_on_sigterm() -> Iterator[None]:
    """SIGTERM ends the block like Ctrl-C does, so the `finally` clauses that stop processes run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def processes(*started: Process) -> Iterator[list[Process]]:
    """The processes of the block, all stopped when it ends, however it ends."""
    running = list(started)
    try:
        with stopped_on_sigterm():
            yield running
    finally:
        for process in running:
            process_stop(process)


@dataclass
class Server:
    url: str
    pgid: int  # gunicorn's process group: its master and workers


@contextmanager
def gunicorn_serving(env: dict[str, str], *, startup_seconds: float = 60) -> Iterator[Server]:
    """The README's gunicorn command on a free loopback port, with `env` (DJANGO_SETTINGS_MODULE
    included); yields it once /healthz answers 200 (a redirect to HTTPS would mean the environment
    is not the plain-http one the measurements need). Stopped, and its port free again, when the
    block ends."""
    port = free_port()
    command = ["-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", *GUNICORN_OPTIONS]
    server = process_start("gunicorn", [sys.executable, *command], env=env)
    with processes(server):
        deadline = time.monotonic() + startup_seconds
        while True:
            if server.popen.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {server.popen.returncode}:\n{server.log_tail()}")
            status = _get_status(port, "/healthz")
            if status == 200:
                break
            if status is not None:
                raise RuntimeError(f"gunicorn answers /healthz with {status}, not 200:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {startup_seconds} s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield Server(url=f"http://127.0.0.1:{port}", pgid=server.popen.pid)
    for _ in range(50):
        if port_free(port):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"port {port} is still taken after gunicorn stopped")


def _get_status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU time the live processes `pids` have used (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(after_name[11]) + int(after_name[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def group_pids(pgid: int) -> list[int]:
    """The live processes of process group `pgid`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def workers_start(env: dict[str, str], *, count: int) -> list[Process]:
    """`count` workers (`manage.py run_worker`), as the README's Deploying section runs them."""
    return [
        process_start(f"worker-{i}", [*manage_py(), "run_worker", "--worker-id", f"smoke-{i}"], env=env)
        for i in range(1, count + 1)
    ]


@dataclass
class Outcome:
    """What the clients saw: answers by status, failures by kind, each request's time."""

    requests: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # connection errors by exception name
    latencies: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)  # the first few bodies of non-2xx answers
    answers: list[bytes] = field(default_factory=list)  # the 2xx bodies, with keep_answers

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300) + sum(self.failures.values())

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def requests_post(
    base_url: str,
    path: str,
    bodies: Sequence[bytes],
    *,
    headers: dict[str, str],
    clients: int = 8,
    keep_answers: bool = False,
    idempotency_keys: Sequence[str] | None = None,
    deadline: float | None = None,
) -> Outcome:
    """POST every body to `path` from `clients` threads, each with one keep-alive connection (a new
    one only after the server closed it), taking the next body as soon as it has its answer. Past
    `deadline` (time.monotonic()) nothing more is sent: what is left counts as failures ("late")."""
    host, port = base_url.removeprefix("http://").split(":")
    outcome = Outcome(requests=len(bodies))
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    start = threading.Barrier(clients + 1)
    stop = threading.Event()  # Ctrl-C or SIGTERM in the main thread: the clients stop too

    def client() -> None:
        wait = 120.0 if deadline is None else max(1.0, min(120.0, deadline - time.monotonic()))
        connection = http.client.HTTPConnection(host, int(port), timeout=wait)
        latencies: list[float] = []
        start.wait()
        try:
            while not stop.is_set():
                with lock:
                    index = next(next_index, None)
                if index is None:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    with lock:
                        outcome.failures["late"] += 1
                    continue
                sent = {**headers, "Content-Type": "application/json"}
                if idempotency_keys is not None:
                    sent["Idempotency-Key"] = idempotency_keys[index]
                began = time.perf_counter()
                try:
                    connection.request("POST", path, body=bodies[index], headers=sent)
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as failure:
                    connection.close()  # reconnects at the next request
                    with lock:
                        outcome.failures[type(failure).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - began)
                with lock:
                    outcome.statuses[response.status] += 1
                    if not 200 <= response.status < 300 and len(outcome.samples) < 5:
                        outcome.samples.append(f"{response.status} {body[:300]!r}")
                    elif keep_answers:
                        outcome.answers.append(body)
                if response.will_close:
                    connection.close()
        finally:
            connection.close()
            with lock:
                outcome.latencies.extend(latencies)

    threads = [threading.Thread(target=client, name=f"client-{i}", daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # a join without timeout would hold off Ctrl-C until the end
    finally:
        stop.set()
    outcome.seconds = time.perf_counter() - began
    return outcome


def alert_body(*, title: str, recipient: str, channels: Sequence[str] = ("email", "sms")) -> bytes:
    """A POST /api/v1/alerts body (README: Alert API) to one recipient."""
    return json.dumps(
        {
            "rule": "bench",
            "title": title,
            "content": "See the run log",
            "severity": "critical",
            "recipients": [recipient],
            "channels": list(channels),
        }
    ).encode()
