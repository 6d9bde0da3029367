"""HTTP server: routing, injected faults, the rate limit and the call log around the handlers.

Every ``/v1`` call goes: log entry opened -> next fault taken (if any) -> body parsed ->
rate limit (per user token) -> token check -> handler under the simulator lock -> log entry
closed -> answer written. ``/_sim`` calls skip faults, rate limit, token and log.

A deploy_update that is carried out becomes visible on the devices after the fault's
``visible_after`` or else the ``--deploy-visible-after`` option (real seconds; 0 = at once);
when that is > 0 the log entry gets ``visible_at`` (ISO real time, from the handler's
``X-Sim-Visible-At`` header), also when a fault replaces the answer.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import API_PREFIX, CONTROL_PREFIX, api, control
from .faults import Fault
from .ratelimit import RateLimiter
from .replies import ApiError, Reply
from .simclock import format_time
from .state import Simulator, SimulatorOptions

BROKEN_JSON = b'{"message": "Succ'
VISIBLE_AT_HEADER = "X-Sim-Visible-At"


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], simulator: Simulator, *, verbose: bool = False
    ) -> None:
        super().__init__(address, RequestHandler)
        self.simulator = simulator
        self.verbose = verbose

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def _parse_json(raw: bytes) -> tuple[Any, str | None]:
    if not raw.strip():
        return None, "Request body is empty; send a JSON object"
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, "Request body is not valid JSON"


def _fault_reply(fault: Fault) -> Reply:
    if fault.kind == "rate_limit":
        return Reply(429, {}, {"Retry-After": RateLimiter.retry_after_header(fault.delay)})
    if fault.kind == "broken_json":
        return Reply(200, raw=BROKEN_JSON)
    return Reply.error("Simulated internal server error", 500)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    server_version = "UpswiftSimulator/1.0"
    disable_nagle_algorithm = True  # headers and body are separate writes; no 40 ms stalls
    server: SimulatorServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def log_message(self, fmt: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(fmt, *args)

    # -- plumbing ---------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    def _send(self, reply: Reply) -> None:
        data = reply.raw if reply.raw is not None else json.dumps(reply.payload).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        raw = self._read_body()
        try:
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                self._send(self._control(method, path, parse_qs(split.query), raw))
            elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                self._api(method, path, raw)
            else:
                self._send(Reply.error(f"Unknown path {path}", 404))
        except Exception:  # a bug in the simulator must not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            self._send(Reply.error("Simulator bug: unexpected exception (see its stderr)", 500))

    @staticmethod
    def _route(routes: dict[str, dict[str, Any]], method: str, path: str) -> Any:
        methods = routes.get(path)
        if methods is None:
            raise ApiError(f"Unknown endpoint {path}", 404)
        handler = methods.get(method)
        if handler is None:
            allowed = ", ".join(methods)
            raise ApiError(f"Method {method} not allowed for {path} (allowed: {allowed})", 405)
        return handler

    # -- /_sim ------------------------------------------------------------------------------
    def _control(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> Reply:
        try:
            handler = self._route(control.ROUTES, method, path)
            body, error = _parse_json(raw) if raw.strip() else (None, None)
            if error:
                raise ApiError(error)
            return handler(self.server.simulator, body, query)
        except ApiError as exc:
            return Reply.error(exc.message, exc.status)

    # -- /v1 --------------------------------------------------------------------------------
    def _api(self, method: str, path: str, raw: bytes) -> None:
        sim = self.server.simulator
        started = time.perf_counter()
        body, body_error = _parse_json(raw)
        entry = sim.calls.open(method, path, body, body_error)
        fault = sim.faults.take()
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        reply: Reply | None = None
        sim_time: str | None = None
        visible_at: str | None = None
        if fault is None or fault.runs_call:
            visible_after = sim.options.deploy_visible_after
            if fault is not None and fault.visible_after is not None:
                visible_after = fault.visible_after
            reply, sim_time = self._handle_api(sim, method, path, body, body_error, visible_after)
            visible_at = reply.headers.get(VISIBLE_AT_HEADER)
        fault_name = fault.kind if fault is not None else None
        if fault is not None and fault.kind == "timeout":
            sim.calls.close(
                entry,
                status=None,
                duration_ms=(time.perf_counter() - started) * 1000,
                sim_time=sim_time,
                fault=fault_name,
                visible_at=visible_at,
            )
            time.sleep(fault.delay)
            self.close_connection = True  # no answer at all
            return
        if fault is not None and fault.kind != "slow":
            reply = _fault_reply(fault)
        assert reply is not None
        sim.calls.close(
            entry,
            status=reply.status,
            duration_ms=(time.perf_counter() - started) * 1000,
            sim_time=sim_time or format_time(sim.clock.now()),
            fault=fault_name,
            visible_at=visible_at,
        )
        self._send(reply)

    def _handle_api(
        self,
        sim: Simulator,
        method: str,
        path: str,
        body: Any,
        body_error: str | None,
        visible_after: float,
    ) -> tuple[Reply, str | None]:
        try:
            handler = self._route(api.ROUTES, method, path)
            if body_error:
                raise ApiError(body_error)
            token = body.get("user_token") if isinstance(body, dict) else None
            key = token if isinstance(token, str) else f"client:{self.client_address[0]}"
            wait = sim.rate_limiter.check(key)
            if wait is not None:
                return Reply(429, {}, {"Retry-After": RateLimiter.retry_after_header(wait)}), None
            api.check_token(sim, body)
            with sim.lock:
                now = sim.lifecycle.catch_up()
                started = time.perf_counter()
                try:
                    if handler is api.deploy_update:
                        reply = api.deploy_update(sim, body, now, visible_after=visible_after)
                    else:
                        reply = handler(sim, body, now)
                finally:
                    elapsed = (time.perf_counter() - started) * 1000
            reply.headers["X-Sim-Server-Ms"] = f"{elapsed:.3f}"
            return reply, format_time(now)
        except ApiError as exc:
            return Reply.error(exc.message, exc.status), None
        except Exception:  # a simulator bug: answer (and log) a 500 rather than hang up
            traceback.print_exc(file=sys.stderr)
            return Reply.error("Simulator bug: unexpected exception (see its stderr)", 500), None


def make_server(
    options: SimulatorOptions, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False
) -> SimulatorServer:
    """Build the fleet and bind; call ``serve_forever()`` (or use ``serve_in_thread``)."""
    return SimulatorServer((host, port), Simulator(options), verbose=verbose)


def serve_in_thread(server: SimulatorServer) -> threading.Thread:
    """Run a server in a daemon thread (in-process use); stop with ``server.shutdown()``."""
    server.simulator.start_ticker()
    thread = threading.Thread(target=server.serve_forever, name="sim-server", daemon=True)
    thread.start()
    return thread
