"""Injected faults: 500, timeout, slow, broken JSON, 429; each consumed by the next N calls."""

from __future__ import annotations

import time

import pytest
import requests

from upswift_simulator.testing import SimulatorHandle

from .helpers import deploy_body

STATE = {"device_token": "d-4ec7-1be9"}


def _state(sim: SimulatorHandle, timeout: float = 30.0) -> requests.Response:
    return sim.api("GET", "get_device_state", STATE, timeout=timeout)


def test_error_500_for_the_next_n_calls(sim: SimulatorHandle) -> None:
    sim.fault("error_500", count=2)

    statuses = [_state(sim).status_code for _ in range(3)]

    assert statuses == [500, 500, 200]
    assert sim.calls()[0]["fault"] == "error_500"


def test_error_500_does_not_apply_the_call_by_default(sim: SimulatorHandle) -> None:
    sim.fault("error_500")

    response = sim.api("POST", "deploy_update", deploy_body())

    assert response.status_code == 500
    assert "error_message" in response.json()
    assert sim.truth(project="Demo")["counts"]["pending"] == 0


def test_error_500_with_apply_carries_the_call_out(sim: SimulatorHandle) -> None:
    sim.fault("error_500", apply=True)

    response = sim.api("POST", "deploy_update", deploy_body(groups=["Lab"]))

    assert response.status_code == 500
    assert sim.truth(project="Demo", groups=["Lab"])["counts"]["none"] == 0


def test_timeout_hangs_then_drops_the_connection(sim: SimulatorHandle) -> None:
    sim.fault("timeout", delay=1.0)

    with pytest.raises(requests.ReadTimeout):
        _state(sim, timeout=0.3)
    with pytest.raises(requests.ConnectionError):
        sim.fault("timeout", delay=0.2)
        requests.get(f"{sim.base_url}/get_device_state", json=STATE, timeout=5)

    assert _state(sim).status_code == 200
    logged = [c for c in sim.calls() if c["fault"] == "timeout"]
    assert len(logged) == 2
    assert logged[0]["status"] is None


def test_slow_answers_correctly_after_the_delay(sim: SimulatorHandle) -> None:
    sim.fault("slow", delay=0.5)

    started = time.monotonic()
    response = _state(sim)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["message"]["device_id"] == "d-4ec7-1be9"
    assert elapsed >= 0.5


def test_broken_json(sim: SimulatorHandle) -> None:
    sim.fault("broken_json")

    response = _state(sim)

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_rate_limit_fault(sim: SimulatorHandle) -> None:
    sim.fault("rate_limit", count=1, delay=7)

    response = _state(sim)

    assert response.status_code == 429
    assert response.json() == {}
    assert response.headers["Retry-After"] == "7"
    assert _state(sim).status_code == 200


def test_faults_queue_in_order_and_skip_control_calls(sim: SimulatorHandle) -> None:
    sim.fault("error_500")
    queued = sim.fault("rate_limit")

    assert [f["kind"] for f in queued] == ["error_500", "rate_limit"]
    assert sim.health()["status"] == "ok"  # control calls do not consume faults
    assert [_state(sim).status_code for _ in range(3)] == [500, 429, 200]


def test_reset_clears_faults(sim: SimulatorHandle) -> None:
    sim.fault("error_500", count=5)
    sim.reset()

    assert _state(sim).status_code == 200


def test_unknown_fault_kind_is_refused(sim: SimulatorHandle) -> None:
    response = requests.post(f"{sim.root_url}/_sim/faults", json={"kind": "explode"}, timeout=5)

    assert response.status_code == 400
    assert "kind must be one of" in response.json()["error_message"]
