"""`make run` starts the web server and the task worker together and stops them together
(config/devserver.py). The task worker sends every activation message (C7, C10) and alert (D8),
so the console never goes on serving without it."""

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

# A stand-in child: says it is ready, then reports every signal it receives and exits 0 soon
# after the first one (waiting a little, so that a second signal would be seen).
CHILD = """
import os, signal, sys, time
name = sys.argv[1]
received = []
def note(signum, frame):
    received.append(signum)
    print(f"{name} got {signal.Signals(signum).name}", flush=True)
signal.signal(signal.SIGINT, note)
signal.signal(signal.SIGTERM, note)
print(f"{name} ready pid={os.getpid()}", flush=True)
while not received:
    time.sleep(0.02)
time.sleep(0.5)
sys.exit(0)
"""


def child(name):
    return f"{name}={sys.executable} -c '{CHILD}' '{name}'"


class Run:
    """A process started in its own session (as `make run` is in a terminal's foreground group)
    whose merged output is read by a thread, so waiting for a line can time out."""

    def __init__(self, argv, **kwargs):
        self.process = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            **kwargs,
        )
        self.lines = queue.SimpleQueue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, *needles, timeout=30):
        deadline = time.monotonic() + timeout
        while not all(any(needle in line for line in self.seen) for needle in needles):
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            assert line is not None, self.output
            self.seen.append(line)

    def finish(self, timeout=30):
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
        while (line := self.lines.get(timeout=timeout)) is not None:
            self.seen.append(line)
        return self.output

    @property
    def output(self):
        return "".join(self.seen)

    def pid_of(self, name):
        # Two children share one pipe, so one line may hold both greetings: search, don't split.
        return int(re.search(rf"{name} ready pid=(\d+)", self.output).group(1))


def start(*arguments):
    return Run([sys.executable, "-m", "config.devserver", *arguments])


def test_C7_D8_ctrl_c_stops_both_once_and_exits_0_without_traceback():
    """C7, D8: Ctrl-C (SIGINT to the foreground process group) reaches each child exactly once;
    the supervisor waits for both and exits 0, with no traceback."""
    run = start(child("web"), child("worker"))
    run.wait_for("web ready", "worker ready")
    os.killpg(run.process.pid, signal.SIGINT)
    output = run.finish()
    assert run.process.returncode == 0, output
    assert output.count("web got SIGINT") == 1 and output.count("worker got SIGINT") == 1, output
    assert "SIGTERM" not in output and "Traceback" not in output, output


def test_C7_D8_sigterm_is_forwarded_as_sigterm():
    run = start(child("web"), child("worker"))
    run.wait_for("web ready", "worker ready")
    run.process.send_signal(signal.SIGTERM)
    output = run.finish()
    assert run.process.returncode == 0, output
    assert output.count("web got SIGTERM") == 1 and output.count("worker got SIGTERM") == 1, output
    assert "Traceback" not in output


EXITS_3 = (
    f"task worker={sys.executable} -c 'import time; print(\"task worker ready\", flush=True); time.sleep(0.3); exit(3)'"
)


@pytest.mark.parametrize(
    "worker, kill, how",
    [(child("task worker"), True, "killed by SIGKILL"), (EXITS_3, False, "exit status 3")],
    ids=["killed", "exits"],
)
def test_C7_D8_when_the_worker_dies_make_run_says_so_and_stops(worker, kill, how):
    """C7, D8: a worker that dies stops the web server too; the supervisor says which process
    stopped and exits non-zero, instead of serving on without sending anything."""
    run = start(child("web server"), worker)
    run.wait_for("web server ready", "task worker ready")
    if kill:
        os.kill(run.pid_of("task worker"), signal.SIGKILL)
    output = run.finish()
    assert run.process.returncode == 1, output
    assert f"make run: the task worker stopped on its own ({how}). Stopping the web server." in output
    assert output.count("web server got SIGTERM") == 1, output
    assert "Traceback" not in output


def test_C7_D8_a_command_that_cannot_start_is_named():
    run = start(child("web server"), "task worker=/nonexistent/worker --queue-name default")
    output = run.finish()
    assert run.process.returncode == 1, output
    assert "make run: could not start the task worker" in output and "Traceback" not in output


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not (settings.BASE_DIR / ".venv" / ".installed").exists(), reason="needs `make install`")
def test_C7_D8_ctrl_c_on_make_run_stops_the_real_web_server_and_worker(tmp_path):
    """C7, D8: the real `make run` (runserver and run_worker) in a terminal's
    foreground group: Ctrl-C stops everything, with no traceback, crash or make error."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        OUTBOX_PATH=str(tmp_path / "outbox.jsonl"),
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="tests.settings",  # the product's, with a fast hasher for the demo passwords
    )
    run = Run(["make", "-o", ".venv/.installed", "run"], env=env)
    try:
        run.wait_for("Quit the server with CONTROL-C", "Starting worker", timeout=240)
        assert port_open(port)
    finally:
        os.killpg(run.process.pid, signal.SIGINT)
    output = run.finish()
    assert run.process.returncode in (0, -signal.SIGINT), output  # make re-raises the Ctrl-C it received
    for bad in ("Traceback", "Segmentation fault", "make: ***", "Exception ignored", "stopped on its own"):
        assert bad not in output, output
    assert not port_open(port)
    assert session_members(run.process.pid) == []  # no web server, worker or reloader left running


def session_members(session_id):
    """Processes still running in a session (Linux /proc), zombies aside."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


# runserver's serving process, as it is once its autoreloader started: a Ctrl-C that arrives while
# the main thread runs a weakref callback (the garbage collector runs them wherever it is).
INTERRUPTED_IN_A_CALLBACK = """
import os, signal, time, weakref
import django
django.setup()
from django.utils.autoreload import StatReloader, autoreload_started
autoreload_started.send(sender=StatReloader())

def callback(_ref):
    os.kill(os.getpid(), signal.SIGINT)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:  # the handler of SIGINT runs here, inside the callback
        pass

class Thing:
    pass

thing = Thing()
ref = weakref.ref(thing, callback)
del thing
print("still serving", flush=True)
"""


def test_C7_D8_ctrl_c_in_a_weakref_callback_still_stops_the_web_server():
    """C7, D8: a KeyboardInterrupt raised inside a weakref callback is printed as "Exception
    ignored" and lost, and the web server went on serving until `make run` killed it; the serving
    process now exits on the signal itself, silently and with status 0."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IN_A_CALLBACK],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "still serving" not in output and "Exception ignored" not in output, output
