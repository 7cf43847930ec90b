"""Real peers on loopback for delivery tests: an SMTP server (aiosmtpd) that refuses chosen
recipients, and an HTTP server that plays SMS gateway and webhook receiver with scripted answers."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


class RefusingHandler:
    def __init__(self):
        self.refuse = set()  # addresses answered with 550 at RCPT
        self.busy = set()  # addresses answered with 451 at RCPT
        self.busy_times = {}  # address -> how many more times it is answered with 451
        self.messages = []  # (envelope recipients, content)

    async def handle_RCPT(self, server, session, envelope: Envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        if address.lower() in self.busy:
            return "451 4.3.0 Try again later"
        if self.busy_times.get(address.lower(), 0) > 0:
            self.busy_times[address.lower()] -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.messages.append((list(envelope.rcpt_tos), raw.decode("utf-8", "replace"), raw))
        return "250 Message accepted"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpPeer:
    def __init__(self):
        self.handler = RefusingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def json_answer(handler, status, payload, content_type="application/json"):
    """Write one JSON answer; a client that already hung up (a timeout test) is no error here."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass


class LoopbackHttpServer:
    """A threaded HTTP server on 127.0.0.1 (any free port) for a given handler class; `url` is its
    address. Subclasses build their handler and call `_serve(Handler)`."""

    def _serve(self, handler_class):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        # shutdown() waits for the serving loop to look at its stop flag, which it does once per
        # poll interval (0.5 s by default): look often, so that each test ends at once.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class HttpPeer(LoopbackHttpServer):
    """Answers POSTs by path from a script: a list of (status, delay seconds) used in order, the
    last one repeating; records every request (path, headers, body)."""

    def __init__(self):
        self.requests = []
        self.scripts = {}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                peer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                script = peer.scripts.get(self.path, [(200, 0)])
                status, delay = script.pop(0) if len(script) > 1 else script[0]
                if delay:
                    time.sleep(delay)
                json_answer(self, status, json.dumps({"ok": status < 300}).encode())

            def log_message(self, *args):
                pass

        self._serve(Handler)

    def bodies(self, path):
        return [json.loads(r["body"]) for r in self.requests if r["path"] == path]
