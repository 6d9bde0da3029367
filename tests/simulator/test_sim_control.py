"""The /_sim control endpoints and the HTTP edges (unknown paths, wrong methods)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from upswift_simulator.testing import SimulatorHandle

from .helpers import all_devices, deploy, deploy_body


def test_health(sim: SimulatorHandle) -> None:
    health = sim.health()

    assert health["status"] == "ok"
    assert health["devices"] == 300
    assert health["seed"] == 7
    assert health["sim_time"] == "2025-03-01 12:00:00"


def test_advance_moves_simulated_time(sim: SimulatorHandle) -> None:
    start = sim.health()["sim_timestamp"]

    moved = sim.advance(minutes=90, seconds=30)

    assert moved["sim_timestamp"] == start + 90 * 60 + 30
    assert moved["sim_time"] == "2025-03-01 13:30:30"


def test_advance_refuses_negative_time(sim: SimulatorHandle) -> None:
    response = requests.post(f"{sim.root_url}/_sim/advance", json={"minutes": -1}, timeout=5)

    assert response.status_code == 400


def test_reset_restores_the_seeded_fleet_and_clock(sim: SimulatorHandle) -> None:
    original = all_devices(sim)
    sim.api("POST", "devices_details", {"device_token": "d-4ec7-1be9", "device_name": "x"})
    deploy(sim, groups=["Lab"])
    sim.set_state("offline", all_devices=True)
    sim.failure_rates(default=1.0)
    sim.advance(minutes=60)

    sim.reset()

    assert all_devices(sim) == original
    assert sim.health()["sim_time"] == "2025-03-01 12:00:00"
    assert sim.failure_rates()["default"] == 0.0


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({"tag": "canary"}, lambda d: "canary" in d["tags"]),
        ({"group": "Lab"}, lambda d: d["group"] == "Lab"),
        (
            {"group": "Production", "tag": "beta"},
            lambda d: d["group"] == "Production" and "beta" in d["tags"],
        ),
        ({"device_uuids": ["d-4ec7-1be9"]}, lambda d: d["device_uuid"] == "d-4ec7-1be9"),
    ],
)
def test_set_state_by_selector(
    sim: SimulatorHandle, selector: dict, expected: Callable[[dict], bool]
) -> None:
    sim.set_state("online", all_devices=True)
    demo = all_devices(sim)

    result = sim.set_state("offline", project="Demo", **selector)

    offline = sim.truth(project="Demo")["offline"]
    want = [d for d in demo if expected(d)]
    assert result == {"matched": len(want), "changed": len(want)}
    assert offline == len(want) > 0


def test_set_state_needs_a_selector_and_a_valid_state(sim: SimulatorHandle) -> None:
    url = f"{sim.root_url}/_sim/devices/state"

    no_selector = requests.post(url, json={"state": "offline"}, timeout=5)
    bad_state = requests.post(url, json={"state": "asleep", "all": True}, timeout=5)
    unknown = requests.post(url, json={"state": "offline", "device_uuids": ["d-x"]}, timeout=5)

    assert no_selector.status_code == bad_state.status_code == unknown.status_code == 400
    assert "Unknown devices: d-x" in unknown.json()["error_message"]


def test_truth_counts_by_last_matching_update(sim: SimulatorHandle) -> None:
    lab = deploy(sim, groups=["Lab"], comment="[rollout 1] first")
    sim.advance(minutes=10)
    deploy(sim, groups=["Lab"], comment="[rollout 2] second")

    first = sim.truth(project="Demo", groups=["Lab"], comment="[rollout 1]")
    second = sim.truth(project="Demo", groups=["Lab"], comment="[rollout 2]", version="v1.1")
    other_version = sim.truth(project="Demo", groups=["Lab"], comment="[rollout 2]", version="v9")

    assert first["devices"] == len(lab)
    assert first["counts"]["success"] == len(lab) - first["pending_offline"]
    assert second["counts"]["pending"] == len(lab)
    assert second["counts"]["success"] == 0
    assert other_version["counts"]["none"] == len(lab)


def test_truth_by_tag_and_unknown_project(sim: SimulatorHandle) -> None:
    canaries = [d for d in all_devices(sim) if "canary" in d["tags"]]

    truth = sim.truth(project="Demo", tag="canary", devices=True)
    response = requests.get(f"{sim.root_url}/_sim/truth", params={"project": "No"}, timeout=5)

    assert truth["devices"] == len(canaries)
    assert sorted(truth["device_uuids"]["none"]) == sorted(d["device_uuid"] for d in canaries)
    assert response.status_code == 400


def test_device_endpoint_unknown_uuid(sim: SimulatorHandle) -> None:
    response = requests.get(f"{sim.root_url}/_sim/device", params={"uuid": "d-x"}, timeout=5)

    assert response.status_code == 404
    assert response.json() == {"error_message": "Device 'd-x' not found"}


@pytest.mark.parametrize("path", ["/v1/nope", "/v2/deploy_update", "/", "/_sim/nope"])
def test_unknown_paths_answer_404_json(sim: SimulatorHandle, path: str) -> None:
    response = requests.get(f"{sim.root_url}{path}", json={}, timeout=5)

    assert response.status_code == 404
    assert "error_message" in response.json()


def test_wrong_method_answers_405(sim: SimulatorHandle) -> None:
    response = requests.get(f"{sim.base_url}/deploy_update", json={}, timeout=5)

    assert response.status_code == 405
    assert "allowed: POST" in response.json()["error_message"]


def test_concurrent_calls_are_all_answered(sim: SimulatorHandle) -> None:
    def work(n: int) -> tuple[int, int]:
        with requests.Session() as session:
            body = deploy_body(groups=["Lab"], comment=f"c{n}")
            body["user_token"] = sim.token
            a = session.post(f"{sim.base_url}/deploy_update", json=body, timeout=10)
            b = session.get(
                f"{sim.base_url}/devices_details",
                json={"user_token": sim.token, "project_name": "Demo", "limit": 500},
                timeout=10,
            )
            return a.status_code, b.status_code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(24)))

    assert results == [(200, 200)] * 24
    assert len(sim.calls()) == 48
    lab = [d for d in all_devices(sim) if d["group"] == "Lab"]
    assert all(len(d["updates"]) == 24 for d in lab)
    assert all([u["update_status"] for u in d["updates"]].count("pending") == 1 for d in lab)


def test_chunked_request_body_is_read(sim: SimulatorHandle) -> None:
    def chunks() -> Iterator[bytes]:  # a generator makes requests send the body chunked
        yield f'{{"user_token": "{sim.token}", '.encode()
        yield b'"device_token": "d-4ec7-1be9"}'

    with requests.Session() as session:
        first = session.get(f"{sim.base_url}/get_device_state", data=chunks(), timeout=5)
        second = session.get(f"{sim.base_url}/get_device_state", data=chunks(), timeout=5)

    assert first.status_code == second.status_code == 200
    assert second.json()["message"]["device_id"] == "d-4ec7-1be9"
