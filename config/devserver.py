"""Run the processes of `make run` together and stop them together.

    python -m config.devserver "web server=python manage.py runserver" "task worker=python manage.py run_worker"

Each argument is NAME=COMMAND. Every command runs in its own process group, so Ctrl-C reaches
this supervisor only, and each child gets exactly one SIGINT (SIGTERM when the supervisor was sent
SIGTERM) through its group, reloader processes included; a child that has not stopped after
STOP_SECONDS is killed. Ctrl-C or SIGTERM exits 0. A child that exits on its own stops the others
and the supervisor exits 1 and says which one stopped: the console never goes on serving without
its task worker, which sends every activation message and alert.

`runserver`'s serving process (the one its autoreloader restarts) stops at once on SIGINT or
SIGTERM (`stop_serving_now`): Python turns Ctrl-C into a KeyboardInterrupt raised wherever the
main thread is, and when that is a garbage collector's weakref callback the interrupt is printed
as "Exception ignored" and lost, leaving the server running until it is killed.
"""

import os
import shlex
import signal
import subprocess
import sys
import time

STOP_SECONDS = 10
POLL_SECONDS = 0.1
# Lines of both processes appear as they are written, also when the output is a pipe (`| tee`).
CHILD_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


class Supervisor:
    def __init__(self, commands, *, out=sys.stderr):
        self.commands = commands  # [(name, argv)]
        self.out = out
        self.children = []  # [(name, Popen)]
        self.requested = None  # the signal that asked us to stop

    def say(self, text):
        print(f"make run: {text}", file=self.out, flush=True)

    def request_stop(self, signum, _frame):
        if self.requested is None:
            self.requested = signum
        else:  # asked twice: do not wait any longer
            self.signal_children(signal.SIGKILL)

    def run(self):
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request_stop)
        try:
            for name, argv in self.commands:
                self.children.append(
                    (name, subprocess.Popen(argv, stdin=subprocess.DEVNULL, env=CHILD_ENV, process_group=0))
                )
        except OSError as error:
            self.say(f"could not start the {name} ({error}).")
            self.stop(signal.SIGTERM)
            return 1
        stopped = self.wait_for_stop_or_exit()
        if stopped is None:
            self.stop(signal.SIGTERM if self.requested == signal.SIGTERM else signal.SIGINT)
            return 0
        name, returncode = stopped
        others = [other for other, process in self.children if process.poll() is None]
        also = f" Stopping the {' and the '.join(others)}." if others else ""
        self.say(f"the {name} stopped on its own ({describe(returncode)}).{also}")
        self.stop(signal.SIGTERM)
        return 1

    def wait_for_stop_or_exit(self):
        """None when a stop was requested, else (name, returncode) of the first child that exited."""
        while self.requested is None:
            for name, process in self.children:
                if process.poll() is not None:
                    return name, process.returncode
            time.sleep(POLL_SECONDS)
        return None

    def signal_children(self, signum):
        for _name, process in self.children:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signum)
                except ProcessLookupError:
                    pass

    def stop(self, signum):
        """One signal to every running child's group; kill what is still running after STOP_SECONDS."""
        self.signal_children(signum)
        deadline = time.monotonic() + STOP_SECONDS
        for _name, process in self.children:
            try:
                process.wait(timeout=max(0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for name, process in self.children:
            if process.poll() is None:
                self.say(f"the {name} did not stop within {STOP_SECONDS} s: killing it.")
        self.signal_children(signal.SIGKILL)
        for _name, process in self.children:
            process.wait()
        # Reloaders leave their inner process in the group: make sure none outlives us.
        for _name, process in self.children:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def stop_serving_now(signum, _frame):
    """The serving process of runserver holds no state worth a clean shutdown: exit here, in
    whatever code the main thread was running, instead of raising an exception there."""
    os._exit(0)


def on_autoreload_started(**_kwargs):
    """Sent in the main thread of the serving process, after runserver set its own handlers."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_serving_now)


def describe(returncode):
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def parse(arguments):
    commands = []
    for argument in arguments:
        name, separator, command = argument.partition("=")
        if not separator or not name.strip() or not command.strip():
            raise SystemExit(f"usage: python -m config.devserver NAME=COMMAND ... (got {argument!r})")
        commands.append((name.strip(), shlex.split(command)))
    if not commands:
        raise SystemExit("usage: python -m config.devserver NAME=COMMAND ...")
    return commands


def main(arguments=None):
    return Supervisor(parse(sys.argv[1:] if arguments is None else arguments)).run()


if __name__ == "__main__":
    sys.exit(main())
