"""The call log: every API call, token redacted, with status; ?since= for newer ones."""

from __future__ import annotations

import json
from datetime import datetime

import requests

from upswift_simulator.calls import CallLog
from upswift_simulator.testing import SimulatorHandle

from .helpers import deploy_body


def test_calls_are_logged_with_the_token_redacted(sim: SimulatorHandle) -> None:
    sim.api("POST", "deploy_update", deploy_body(groups=["Lab"], comment="logged"))
    sim.api("GET", "get_device_state", {"device_token": "d-4ec7-1be9"}, token="wrong-token")

    calls = sim.calls()

    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/v1/deploy_update", 200),
        ("GET", "/v1/get_device_state", 400),
    ]
    assert calls[0]["body"]["user_token"] == "***"
    assert calls[0]["body"]["metadata"]["comment"] == "logged"
    assert sim.token not in json.dumps(calls)
    assert "wrong-token" not in json.dumps(calls)
    assert datetime.fromisoformat(calls[0]["time"])
    assert [c["index"] for c in calls] == [0, 1]


def test_since_returns_only_newer_calls(sim: SimulatorHandle) -> None:
    for _ in range(3):
        sim.api("GET", "get_device_state", {"device_token": "d-4ec7-1be9"})
    sim.api("GET", "devices_details", {"project_name": "Demo", "limit": 1})

    newer = sim.calls(since=3)
    raw = requests.get(f"{sim.root_url}/_sim/calls", params={"since": 4}, timeout=5).json()

    assert [c["path"] for c in newer] == ["/v1/devices_details"]
    assert raw == {"calls": [], "next": 4}


def test_a_body_that_is_not_json_is_logged_without_it(sim: SimulatorHandle) -> None:
    requests.post(f"{sim.base_url}/deploy_update", data=b"user_token=abc", timeout=5)

    (call,) = sim.calls()

    assert call["body"] is None
    assert call["body_error"] == "Request body is not valid JSON"
    assert call["status"] == 400


def test_reset_clears_the_log(sim: SimulatorHandle) -> None:
    sim.api("GET", "get_device_state", {"device_token": "d-4ec7-1be9"})
    sim.reset()

    assert sim.calls() == []


def test_log_keeps_the_newest_entries_with_stable_indexes() -> None:
    log = CallLog(max_entries=3)
    for _ in range(5):
        log.open("GET", "/v1/get_device_state", {"user_token": "secret"}, None)

    assert [e["index"] for e in log.since(0)] == [2, 3, 4]
    assert [e["index"] for e in log.since(4)] == [4]
    assert len(log) == 5
    assert log.since(0)[0]["body"] == {"user_token": "***"}
