"""Start a real simulator process for tests and drive it.

    from upswift_simulator.testing import running_simulator

    with running_simulator(devices=200, seed=7) as sim:
        requests.post(f"{sim.base_url}/deploy_update", json={"user_token": sim.token, ...})
        sim.advance(minutes=10)          # time is frozen by default (speedup=0)
        assert sim.truth(project="Demo", comment="rollout 1")["counts"]["success"] > 0
        assert sim.calls()[0]["body"]["user_token"] == "***"

The process always binds 127.0.0.1 on a free port and is terminated on exit. Uses
``requests`` (the simulator itself needs only the standard library).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from . import DEFAULT_TOKEN

BANNER = re.compile(r"Upswift simulator on (?P<url>http://\S+/v1) token=(?P<tokens>\S+)")
PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


class SimulatorHandle:
    """A running simulator. URLs: ``root_url`` (``http://127.0.0.1:PORT``), ``base_url``
    (``root_url + "/v1"``, what an Upswift client is configured with); ``token`` is an
    accepted user token (``set_token`` replaces it, ``reset`` restores the first one).
    Control helpers raise ``requests.HTTPError`` on a non-2xx answer."""

    def __init__(self, process: subprocess.Popen[str], base_url: str, token: str) -> None:
        self.process = process
        self.base_url = base_url
        self.root_url = base_url.removesuffix("/v1")
        self.token = token
        self.initial_token = token
        self.session = requests.Session()
        self.output_lines: list[str] = []

    @property
    def pid(self) -> int:
        return self.process.pid

    # -- the Upswift API --------------------------------------------------------------------
    def api(
        self,
        method: str,
        endpoint: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        send_token: bool = True,
        timeout: float = 30.0,
    ) -> requests.Response:
        """Call ``/v1/<endpoint>`` with a JSON body. ``user_token`` is added (``token`` or the
        handle's token) unless the body already has one or ``send_token=False``."""
        payload = dict(body or {})
        if send_token and "user_token" not in payload:
            payload["user_token"] = token or self.token
        url = f"{self.base_url}/{endpoint.lstrip('/')}"
        return self.session.request(method, url, json=payload, timeout=timeout)

    # -- control endpoints ------------------------------------------------------------------
    def _control(
        self, method: str, path: str, body: Any = None, params: Any = None
    ) -> dict[str, Any]:
        response = self.session.request(
            method, f"{self.root_url}/_sim/{path}", json=body, params=params, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "devices", "seed", "speedup", "sim_time", "sim_timestamp", ...}``"""
        return self._control("GET", "health")

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        """API calls received with index >= ``since``: dicts with ``index, method, path, body``
        (``user_token`` replaced by ``"***"``), ``status`` (None for a timeout fault),
        ``fault``, ``time`` (ISO), ``sim_time``, ``duration_ms``; ``visible_at`` (ISO, real)
        for a deploy shown on the devices late."""
        return self._control("GET", "calls", params={"since": since})["calls"]

    def fault(
        self,
        kind: str,
        count: int = 1,
        delay: float | None = None,
        *,
        apply: bool = False,
        visible_after: float | None = None,
    ) -> list[dict[str, Any]]:
        """Make the next ``count`` API calls fail: ``error_500``, ``timeout`` (hang ``delay``
        s, then drop the connection), ``slow`` (answer correctly after ``delay`` s),
        ``broken_json`` or ``rate_limit`` (429 ``{}``). ``apply=True`` carries the call out
        before the error/timeout/broken answer. ``visible_after`` (real seconds; with
        ``apply=True`` or ``slow``) makes a deploy_update carried out show on its devices
        only that much later; None = the simulator's ``deploy_visible_after``. Returns the
        queued faults."""
        body: dict[str, Any] = {"kind": kind, "count": count, "apply": apply}
        if delay is not None:
            body["delay"] = delay
        if visible_after is not None:
            body["visible_after"] = visible_after
        return self._control("POST", "faults", body)["faults"]

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    def set_state(
        self,
        state: str,
        *,
        device_uuids: Sequence[str] | None = None,
        project: str | None = None,
        group: str | None = None,
        tag: str | None = None,
        all_devices: bool = False,
    ) -> dict[str, int]:
        """Put devices ``"online"``/``"offline"``; selectors combine with AND. Returns
        ``{"matched": n, "changed": m}``."""
        body: dict[str, Any] = {"state": state}
        if device_uuids is not None:
            body["device_uuids"] = list(device_uuids)
        for key, value in (("project", project), ("group", group), ("tag", tag)):
            if value is not None:
                body[key] = value
        if all_devices:
            body["all"] = True
        return self._control("POST", "devices/state", body)

    def advance(self, minutes: float = 0, *, seconds: float = 0) -> dict[str, Any]:
        """Move simulated time forward at once; returns ``{"sim_time", "sim_timestamp"}``."""
        return self._control("POST", "advance", {"minutes": minutes, "seconds": seconds})

    def reset(self) -> dict[str, Any]:
        """Seeded fleet back, calls/faults/overrides cleared, clock back to the start, the
        command line's tokens accepted again (``token`` back to ``initial_token``)."""
        answer = self._control("POST", "reset")
        self.token = self.initial_token
        return answer

    def add_malformed_devices(
        self, kind: str, count: int = 1, project: str = "Demo", *, group: str | None = None
    ) -> dict[str, Any]:
        """Add ``count`` devices that the read calls return malformed: ``"long_uuid"``
        (100-character device_uuid), ``"nul_name"`` (NUL in device_name) or
        ``"bad_updates"`` (``updates`` is a string). No device filter ever selects them;
        ``truth`` counts them in ``malformed`` only. Returns ``{"added", "uuids",
        "project"}``. ``group`` defaults to the project's first group."""
        body: dict[str, Any] = {"project": project, "kind": kind, "count": count}
        if group is not None:
            body["group"] = group
        return self._control("POST", "devices/malformed", body)

    def delete_group(self, group: str, *, move_to: str, project: str = "Demo") -> dict[str, Any]:
        """Delete ``group`` from ``project`` (it then does not exist for filters and reads);
        its devices join ``move_to``. Returns ``{"deleted", "move_to", "moved", "project"}``."""
        body = {"project": project, "group": group, "move_to": move_to}
        return self._control("POST", "groups/delete", body)

    def set_token(self, token: str) -> dict[str, Any]:
        """From now on the API accepts only ``token`` (others get 400 "user_token is
        invalid"); this handle's ``api()`` uses it too. ``reset()`` restores the old one."""
        answer = self._control("POST", "token", {"token": token})
        self.token = token
        return answer

    def truth(
        self,
        *,
        project: str | None = None,
        groups: Sequence[str] = (),
        tag: str | None = None,
        comment: str | None = None,
        version: str | None = None,
        devices: bool = False,
    ) -> dict[str, Any]:
        """Ground truth per status of each in-scope device's last update whose comment
        contains ``comment`` (and whose version is ``version``): ``{"devices", "online",
        "offline", "counts": {status or "none": n}, "pending_offline", "pending_trigger"}``;
        ``devices=True`` adds ``"device_uuids": {status: [uuid, ...]}``."""
        params: dict[str, Any] = {"group": list(groups)}
        for key, value in (
            ("project", project),
            ("tag", tag),
            ("comment", comment),
            ("version", version),
        ):
            if value is not None:
                params[key] = value
        if devices:
            params["devices"] = "1"
        return self._control("GET", "truth", params=params)

    def failure_rates(
        self,
        *,
        default: float | None = None,
        tags: dict[str, float] | None = None,
        groups: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        """Set the given failure rates (a tag override beats a group override beats the
        default); returns the full setting."""
        body: dict[str, Any] = {}
        if default is not None:
            body["default"] = default
        if tags is not None:
            body["tags"] = tags
        if groups is not None:
            body["groups"] = groups
        return self._control("POST", "failure_rates", body)

    def set_rate_limit(self, per_minute: int) -> None:
        """API calls per minute per token for the running simulator (0 = off)."""
        self._control("POST", "rate_limit", {"per_minute": per_minute})

    def device(self, uuid: str) -> dict[str, Any]:
        """One device as devices_details shows it, plus ``device_status`` and ``apps``."""
        return self._control("GET", "device", params={"uuid": uuid})

    def output(self) -> str:
        """What the process printed so far (stdout and stderr)."""
        return "".join(self.output_lines)

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _cli_args(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        if key == "tokens":
            for token in value:
                args += ["--token", token]
        else:
            args += [f"--{key.replace('_', '-')}", str(value)]
    return args


@contextmanager
def running_simulator(
    *,
    devices: int = 200,
    seed: int = 7,
    speedup: float = 0.0,
    failure_rate: float | None = None,
    offline_share: float | None = None,
    churn: float | None = None,
    rate_limit: int | None = None,
    tokens: Sequence[str] | None = None,
    start_time: str | None = None,
    deploy_visible_after: float | None = None,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 60.0,
) -> Iterator[SimulatorHandle]:
    """Run ``python -m upswift_simulator --host 127.0.0.1 --port 0 ...`` for the block.

    Defaults suit tests: 200 devices, seed 7, and ``speedup=0`` (time stands still until
    ``handle.advance()``, so outcomes are deterministic). Options left as None use the CLI's
    defaults (failure rate 0.02, offline share 0.1, no churn, no rate limit, token
    ``sim-demo-token``, start time now, deploys visible at once). ``start_time`` is ISO UTC,
    e.g. "2025-01-01T00:00:00". ``deploy_visible_after`` (real seconds): every deploy carried
    out shows on its devices only that much later (``--deploy-visible-after``).
    """
    options: dict[str, Any] = {
        "devices": devices,
        "seed": seed,
        "speedup": speedup,
        "failure_rate": failure_rate,
        "offline_share": offline_share,
        "churn": churn,
        "rate_limit": rate_limit,
        "tokens": list(tokens) if tokens else None,
        "start_time": start_time,
        "deploy_visible_after": deploy_visible_after,
    }
    command = [sys.executable, "-m", "upswift_simulator", "--host", "127.0.0.1", "--port", "0"]
    command += _cli_args(options) + list(extra_args)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=PACKAGE_PARENT,
    )
    lines: list[str] = []
    banner: dict[str, str] = {}
    seen = threading.Event()

    def drain() -> None:  # keeps reading so the pipe never fills up
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            match = BANNER.search(line)
            if match and not banner:
                banner.update(match.groupdict())
                seen.set()
        seen.set()

    threading.Thread(target=drain, name="sim-output", daemon=True).start()
    handle: SimulatorHandle | None = None
    try:
        if not seen.wait(startup_timeout) or not banner:
            raise RuntimeError(f"Simulator did not start: {''.join(lines)[-2000:]}")
        handle = SimulatorHandle(process, banner["url"], banner["tokens"].split(",")[0])
        handle.output_lines = lines
        _wait_healthy(handle, startup_timeout)
        yield handle
    finally:
        if handle is not None:
            handle.stop()
        elif process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def _wait_healthy(handle: SimulatorHandle, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if handle.health()["status"] == "ok":
                return
        except requests.RequestException:
            if time.monotonic() > deadline or handle.process.poll() is not None:
                raise RuntimeError(f"Simulator not healthy: {handle.output()[-2000:]}") from None
            time.sleep(0.05)


__all__ = ["DEFAULT_TOKEN", "SimulatorHandle", "running_simulator"]
