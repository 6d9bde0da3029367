"""Reading devices back: devices_details, get_devices_state, get_device_state, and paging."""

from __future__ import annotations

import pytest

from upswift_simulator.testing import SimulatorHandle

from .helpers import all_devices

REFERENCE_KEYS = {
    "device_id",
    "device_uuid",
    "device_name",
    "upswift_version",
    "project",
    "group",
    "device_ip",
    "last_keepalive",
    "cpu_usage",
    "ram_usage",
    "disk_usage",
    "is_update_trigger_set",
    "description",
    "registered_date",
    "tags",
    "updates",
}


def test_device_has_exactly_the_reference_fields(sim: SimulatorHandle) -> None:
    response = sim.api("GET", "devices_details", {"device_token": "d-4ec7-1be9"})

    assert response.status_code == 200
    body = response.json()
    assert body["more"] is False
    (device,) = body["message"]
    assert set(device) == REFERENCE_KEYS
    assert device["device_uuid"] == "d-4ec7-1be9"
    assert device["project"] == "Demo"
    assert isinstance(device["device_id"], int)
    assert device["device_ip"].startswith("10.")
    assert isinstance(device["disk_usage"], float)
    assert device["updates"] == []


@pytest.mark.parametrize("limit", [1, 7, 500])
def test_full_scan_returns_every_device_once(sim: SimulatorHandle, limit: int) -> None:
    seen: list[str] = []
    pages = 0
    offset = 0
    while True:
        body = {"project_name": "Demo", "limit": limit, "offset": offset}
        page = sim.api("GET", "devices_details", body).json()
        pages += 1
        seen += [d["device_uuid"] for d in page["message"]]
        assert len(page["message"]) <= limit
        if not page["more"]:
            break
        assert len(page["message"]) == limit
        offset += limit

    total = sim.truth(project="Demo")["devices"]
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // limit)


def test_offset_past_the_end_is_an_empty_last_page(sim: SimulatorHandle) -> None:
    page = sim.api("GET", "devices_details", {"project_name": "Demo", "offset": 10_000}).json()

    assert page == {"more": False, "message": []}


def test_default_limit_is_100(sim: SimulatorHandle) -> None:
    page = sim.api("GET", "devices_details", {"project_name": "Demo"}).json()

    assert len(page["message"]) == 100
    assert page["more"] is True


def test_details_by_group_needs_and_uses_the_project(sim: SimulatorHandle) -> None:
    devices = all_devices(sim, "Demo", group_name="TestGroup2")
    everyone = all_devices(sim, "Demo")

    assert devices
    assert {d["group"] for d in devices} == {"TestGroup2"}
    assert len(devices) == sum(d["group"] == "TestGroup2" for d in everyone)


def test_details_by_device_name_is_exact(sim: SimulatorHandle) -> None:
    name = sim.device("d-4ec7-1be9")["device_name"]

    exact = sim.api("GET", "devices_details", {"device_name": name}).json()
    partial = sim.api("GET", "devices_details", {"device_name": name[:-1]}).json()

    assert [d["device_uuid"] for d in exact["message"]] == ["d-4ec7-1be9"]
    assert partial["message"] == []


def test_details_of_an_empty_group(sim: SimulatorHandle) -> None:
    body = {"project_name": "Demo", "group_name": "Staging"}

    assert sim.api("GET", "devices_details", body).json() == {"more": False, "message": []}


def test_get_devices_state_pages_by_last_uuid(sim: SimulatorHandle) -> None:
    sim.set_state("offline", device_uuids=["d-4ec7-1be9"])
    seen: dict[str, str] = {}
    offset = ""
    sizes = []
    while True:
        body = {"project_name": "Demo", "limit": 50, "offset": offset}
        page = sim.api("GET", "get_devices_state", body).json()
        sizes.append(len(page["message"]))
        for device in page["message"]:
            assert set(device) == {"device_status", "device_uuid", "device_name"}
            assert device["device_uuid"] not in seen
            seen[device["device_uuid"]] = device["device_status"]
        if not page["more"]:
            break
        offset = page["message"][-1]["device_uuid"]

    assert len(seen) == sim.truth(project="Demo")["devices"]
    assert set(sizes[:-1]) == {50}
    assert seen["d-4ec7-1be9"] == "offline"
    assert set(seen.values()) == {"online", "offline"}


def test_get_devices_state_defaults_to_20(sim: SimulatorHandle) -> None:
    page = sim.api("GET", "get_devices_state", {"project_name": "Demo"}).json()

    assert len(page["message"]) == 20
    assert page["message"][0]["device_uuid"] == "d-4ec7-1be9"


def test_get_devices_state_of_a_group(sim: SimulatorHandle) -> None:
    body = {"project_name": "Demo", "group_name": "Lab", "limit": 50}

    page = sim.api("GET", "get_devices_state", body).json()

    lab = {d["device_uuid"] for d in all_devices(sim, "Demo", group_name="Lab")}
    assert {d["device_uuid"] for d in page["message"]} == lab
    assert page["more"] is False


def test_get_device_state(sim: SimulatorHandle) -> None:
    body = {"device_token": "d-4ec7-1be9"}

    online = sim.api("GET", "get_device_state", body).json()
    sim.set_state("offline", device_uuids=["d-4ec7-1be9"])
    offline = sim.api("GET", "get_device_state", body).json()

    assert online == {"message": {"device_status": "online", "device_id": "d-4ec7-1be9"}}
    assert offline == {"message": {"device_status": "offline", "device_id": "d-4ec7-1be9"}}


def test_last_keepalive_follows_time_while_online_and_stops_offline(
    sim: SimulatorHandle,
) -> None:
    def keepalive() -> str:
        body = {"device_token": "d-4ec7-1be9"}
        return sim.api("GET", "devices_details", body).json()["message"][0]["last_keepalive"]

    first = keepalive()
    sim.advance(minutes=5)
    second = keepalive()
    sim.set_state("offline", device_uuids=["d-4ec7-1be9"])
    at_drop = keepalive()
    sim.advance(minutes=5)

    assert second > first
    assert keepalive() == at_drop
    assert keepalive() < sim.health()["sim_time"]
