"""The rate limit: N calls per minute per token, then 429 with body {}."""

from __future__ import annotations

from upswift_simulator.testing import SimulatorHandle

from .helpers import OTHER_TOKEN

STATE = {"device_token": "d-4ec7-1be9"}


def test_over_the_limit_answers_429_with_empty_body(sim: SimulatorHandle) -> None:
    sim.set_rate_limit(3)

    responses = [sim.api("GET", "get_device_state", STATE) for _ in range(4)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[-1].json() == {}
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60


def test_limit_is_per_token(sim: SimulatorHandle) -> None:
    sim.set_rate_limit(1)
    sim.api("GET", "get_device_state", STATE)

    other = sim.api("GET", "get_device_state", STATE, token=OTHER_TOKEN)
    again = sim.api("GET", "get_device_state", STATE)

    assert other.status_code == 200
    assert again.status_code == 429


def test_control_endpoints_are_exempt(sim: SimulatorHandle) -> None:
    sim.set_rate_limit(1)
    sim.api("GET", "get_device_state", STATE)

    assert all(sim.health()["status"] == "ok" for _ in range(5))
    assert sim.api("GET", "get_device_state", STATE).status_code == 429


def test_refused_calls_are_logged_and_reset_lifts_the_limit(sim: SimulatorHandle) -> None:
    sim.set_rate_limit(1)
    sim.api("GET", "get_device_state", STATE)
    sim.api("GET", "get_device_state", STATE)

    assert [c["status"] for c in sim.calls()] == [200, 429]
    sim.reset()
    assert [sim.api("GET", "get_device_state", STATE).status_code for _ in range(3)] == [200] * 3
