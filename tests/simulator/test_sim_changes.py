"""Changing devices: POST devices_details, DELETE device_tags / device_apps, set_update_trigger."""

from __future__ import annotations

from upswift_simulator.testing import SimulatorHandle

from .helpers import all_devices, condition, deploy

SEED_DEVICE = "d-4ec7-1be9"


def _filter(*filters: dict[str, str], groups: tuple[str, ...] = ()) -> dict:
    return {
        "project": {"name": "Demo"},
        "groups": [{"name": g} for g in groups],
        "filters": list(filters),
    }


def test_change_name_group_tag_apps_description(sim: SimulatorHandle) -> None:
    body = {
        "device_token": SEED_DEVICE,
        "device_name": "bench-unit-1",
        "group": "Lab",
        "tag": "golden",
        "apps": [{"app_name": "camera-service", "version": "0.9"}],
        "description": "on the bench",
    }

    response = sim.api("POST", "devices_details", body)

    assert response.status_code == 200
    assert response.json() == {"message": "Success"}
    device = sim.device(SEED_DEVICE)
    assert device["device_name"] == "bench-unit-1"
    assert device["group"] == "Lab"
    assert "golden" in device["tags"]
    assert device["description"] == "on the bench"
    assert {"app_name": "camera-service", "version": "0.9"} in device["apps"]
    assert {"app_name": "default_app", "version": "v1.0"} in device["apps"]


def test_changes_are_seen_by_filters_and_reads(sim: SimulatorHandle) -> None:
    sim.api("POST", "devices_details", {"device_token": SEED_DEVICE, "group": "Lab"})
    sim.api("POST", "devices_details", {"device_token": SEED_DEVICE, "tag": "golden"})
    sim.api("POST", "devices_details", {"device_token": SEED_DEVICE, "device_name": "renamed"})

    lab = {d["device_uuid"] for d in all_devices(sim, "Demo", group_name="Lab")}
    group1 = {d["device_uuid"] for d in all_devices(sim, "Demo", group_name="TestGroup1")}
    golden = deploy(sim, filters=[condition("tag", "is", "golden")], comment="golden")
    by_name = sim.api("GET", "devices_details", {"device_name": "renamed"}).json()["message"]

    assert SEED_DEVICE in lab and SEED_DEVICE not in group1
    assert golden == {SEED_DEVICE}
    assert [d["device_uuid"] for d in by_name] == [SEED_DEVICE]


def test_adding_a_tag_twice_keeps_one(sim: SimulatorHandle) -> None:
    for _ in range(2):
        sim.api("POST", "devices_details", {"device_token": SEED_DEVICE, "tag": "golden"})

    assert sim.device(SEED_DEVICE)["tags"].count("golden") == 1


def test_delete_tag_by_filter(sim: SimulatorHandle) -> None:
    before = all_devices(sim)
    canaries = {d["device_uuid"] for d in before if "canary" in d["tags"]}
    in_production = {d["device_uuid"] for d in before if d["group"] == "Production"}
    body = {"tag_name": "canary", "device_filter": _filter(groups=("Production",))}

    response = sim.api("DELETE", "device_tags", body)

    assert response.json() == {"message": "Success"}
    after = {d["device_uuid"]: d for d in all_devices(sim)}
    still = {u for u, d in after.items() if "canary" in d["tags"]}
    assert still == canaries - in_production
    assert canaries & in_production  # something was actually removed


def test_delete_app_by_filter(sim: SimulatorHandle) -> None:
    body = {
        "app_name": "telemetry-agent",
        "device_filter": _filter(condition("specific_device", "is", SEED_DEVICE)),
    }

    response = sim.api("DELETE", "device_apps", body)

    assert response.json() == {"message": "Success"}
    apps = [a["app_name"] for a in sim.device(SEED_DEVICE)["apps"]]
    assert "telemetry-agent" not in apps
    assert "default_app" in apps
    found = deploy(sim, filters=[condition("app", "is", "telemetry-agent")], comment="t")
    assert SEED_DEVICE not in found and found


def test_set_update_trigger_is_shown(sim: SimulatorHandle) -> None:
    body = {"device_token": SEED_DEVICE, "trigger_set": True}

    response = sim.api("POST", "set_update_trigger", body)

    assert response.json() == {"message": "Success"}
    details = sim.api("GET", "devices_details", {"device_token": SEED_DEVICE}).json()
    assert details["message"][0]["is_update_trigger_set"] is True
