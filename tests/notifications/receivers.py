"""Real receivers for the notification tests, on 127.0.0.1 and a free port, in this process:
an HTTP server in a thread (answers by a script, may hang or answer garbage) and an SMTP
server (aiosmtpd). No test reaches beyond this machine."""

import hashlib
import hmac
import json
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def signature_valid(secret: str, headers: dict, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (README "Notifications"): HMAC-SHA256 over `<timestamp>.<body>`
    with the channel's secret, compared in constant time; an old timestamp is refused."""
    timestamp = headers["Upswift-Console-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    given = headers["Upswift-Console-Signature"].removeprefix("v1=")
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), given)


class HttpReceiver:
    """Answers each POST with the next status of `answers` (then 200); `hang` makes it wait
    without answering until the test ends; `garbage` answers bytes that are not HTTP."""

    def __init__(self, answers=(), *, hang: bool = False, garbage: bool = False) -> None:
        self.answers = list(answers)
        self.hang, self.garbage = hang, garbage
        self.received: list[Received] = []
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers), body))
                if receiver.hang:
                    receiver.released.wait(30)
                    return
                if receiver.garbage:
                    self.wfile.write(b"\x00\x01 this is not HTTP \xff\r\n\r\n")
                    self.close_connection = True
                    return
                code = receiver.answers.pop(0) if receiver.answers else 200
                reply = json.dumps({"received": True, "code": code}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "HttpReceiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def http_receiver(answers=(), **kwargs):
    receiver = HttpReceiver(answers, **kwargs).start()
    try:
        yield receiver
    finally:
        receiver.stop()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server():
    """A real SMTP server; yields (port, mailbox) where mailbox.messages are the envelopes."""
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()
