"""Updates go pending -> in_progress -> success/failed over simulated time."""

from __future__ import annotations

import re
import time
from typing import Any

from upswift_simulator.testing import SimulatorHandle, running_simulator

from .helpers import all_devices, condition, deploy, statuses

SEED_DEVICE = "d-4ec7-1be9"


def _one(sim: SimulatorHandle, uuid: str = SEED_DEVICE, **kwargs: Any) -> None:
    deploy(sim, filters=[condition("specific_device", "is", uuid)], **kwargs)


def _last(sim: SimulatorHandle, uuid: str = SEED_DEVICE) -> dict:
    return sim.device(uuid)["updates"][-1]


def test_online_device_goes_pending_in_progress_success(sim: SimulatorHandle) -> None:
    _one(sim)
    assert _last(sim)["update_status"] == "pending"

    sim.advance(seconds=61)  # picked up within 60 s, runs at least 60 s
    assert _last(sim)["update_status"] == "in_progress"

    sim.advance(minutes=5)
    assert _last(sim)["update_status"] == "success"


def test_whole_group_progresses_together(sim: SimulatorHandle) -> None:
    group = deploy(sim, groups=["TestGroup1"], comment="wave")
    truth = sim.truth(project="Demo", comment="wave")
    assert truth["counts"]["pending"] == len(group)

    sim.advance(seconds=61)
    truth = sim.truth(project="Demo", comment="wave")
    assert truth["counts"]["in_progress"] == len(group) - truth["pending_offline"]

    sim.advance(minutes=5)
    truth = sim.truth(project="Demo", comment="wave")
    assert truth["counts"]["success"] == len(group) - truth["pending_offline"]
    assert truth["counts"]["pending"] == truth["pending_offline"]


def test_update_record_fields(sim: SimulatorHandle) -> None:
    deploy_time = sim.health()["sim_time"]
    _one(sim, comment="release 7", app=("default_app", "v7"))
    _one(sim, comment="release 8", app=("default_app", "v8"))

    first, second = sim.device(SEED_DEVICE)["updates"]

    assert set(first) == {
        "update_id",
        "update_status",
        "update_version",
        "comment",
        "deployment_schedule_time",
    }
    assert second["update_id"] == first["update_id"] + 1
    assert (second["update_version"], second["comment"]) == ("v8", "release 8")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", second["deployment_schedule_time"])
    assert second["deployment_schedule_time"] == deploy_time


def test_offline_device_stays_pending_until_online(sim: SimulatorHandle) -> None:
    sim.set_state("offline", device_uuids=[SEED_DEVICE])
    _one(sim)

    sim.advance(minutes=30)
    assert _last(sim)["update_status"] == "pending"
    assert sim.truth(comment="test")["pending_offline"] == 1

    sim.set_state("online", device_uuids=[SEED_DEVICE])
    sim.advance(minutes=6)
    assert _last(sim)["update_status"] == "success"


def test_update_trigger_holds_updates_pending(sim: SimulatorHandle) -> None:
    response = sim.api(
        "POST", "set_update_trigger", {"device_token": SEED_DEVICE, "trigger_set": True}
    )
    assert response.json() == {"message": "Success"}
    _one(sim)

    sim.advance(minutes=30)
    assert _last(sim)["update_status"] == "pending"
    assert sim.truth(comment="test")["pending_trigger"] == 1

    sim.api("POST", "set_update_trigger", {"device_token": SEED_DEVICE, "trigger_set": False})
    sim.advance(minutes=6)
    assert _last(sim)["update_status"] == "success"


def test_success_sets_the_app_version(sim: SimulatorHandle) -> None:
    before = {a["app_name"]: a["version"] for a in sim.device(SEED_DEVICE)["apps"]}
    _one(sim, app=("default_app", "v2.0"))
    _one(sim, app=("camera-service", "0.3"), comment="new app")  # aborts the first
    sim.advance(minutes=6)

    apps = {a["app_name"]: a["version"] for a in sim.device(SEED_DEVICE)["apps"]}

    assert before["default_app"] == "v1.0"
    assert apps["default_app"] == "v1.0"  # the aborted update did not apply
    assert apps["camera-service"] == "0.3"  # a new app is added on success


def test_failed_update_keeps_the_old_version(sim: SimulatorHandle) -> None:
    sim.failure_rates(default=1.0)
    _one(sim, app=("default_app", "v9"))
    sim.advance(minutes=6)

    assert _last(sim)["update_status"] == "failed"
    apps = {a["app_name"]: a["version"] for a in sim.device(SEED_DEVICE)["apps"]}
    assert apps["default_app"] == "v1.0"


def test_newer_deploy_aborts_pending_and_in_progress(sim: SimulatorHandle) -> None:
    _one(sim, comment="a")
    _one(sim, comment="b")  # "a" was pending
    sim.advance(seconds=61)  # "b" in progress
    _one(sim, comment="c")

    updates = sim.device(SEED_DEVICE)["updates"]
    assert [u["update_status"] for u in updates] == ["aborted", "aborted", "pending"]
    sim.advance(minutes=6)
    assert [u["update_status"] for u in sim.device(SEED_DEVICE)["updates"]] == [
        "aborted",
        "aborted",
        "success",
    ]


def test_finished_updates_are_not_aborted_by_a_new_deploy(sim: SimulatorHandle) -> None:
    _one(sim, comment="a")
    sim.advance(minutes=6)
    _one(sim, comment="b")

    assert [u["update_status"] for u in sim.device(SEED_DEVICE)["updates"]] == [
        "success",
        "pending",
    ]


def test_failure_rate_per_group(sim: SimulatorHandle) -> None:
    sim.failure_rates(groups={"TestGroup2": 1.0})
    deploy(sim, groups=["TestGroup1", "TestGroup2"])
    sim.advance(minutes=10)

    demo = all_devices(sim)
    by_group: dict[str, set] = {"TestGroup1": set(), "TestGroup2": set()}
    for device in demo:
        if device["group"] in by_group and device["updates"][-1]["update_status"] != "pending":
            by_group[device["group"]].add(device["updates"][-1]["update_status"])

    assert by_group == {"TestGroup1": {"success"}, "TestGroup2": {"failed"}}


def test_failure_rate_per_tag_beats_group(sim: SimulatorHandle) -> None:
    sim.failure_rates(tags={"canary": 1.0}, groups={"Production": 0.0}, default=0.0)
    deploy(sim, groups=["Production"], comment="bad release")
    sim.advance(minutes=10)

    demo = all_devices(sim, group_name="Production")
    outcome = {
        d["device_uuid"]: ("canary" in d["tags"], d["updates"][-1]["update_status"])
        for d in demo
        if d["updates"][-1]["update_status"] != "pending"
    }
    assert {status for canary, status in outcome.values() if canary} == {"failed"}
    assert {status for canary, status in outcome.values() if not canary} == {"success"}
    assert sim.failure_rates()["tags"] == {"canary": 1.0}


def test_partial_failure_rate_fails_some(sim: SimulatorHandle) -> None:
    sim.failure_rates(default=0.5)
    deploy(sim, comment="coin")
    sim.advance(minutes=10)

    counts = sim.truth(project="Demo", comment="coin")["counts"]

    assert counts["failed"] > 0.3 * (counts["failed"] + counts["success"])
    assert counts["success"] > 0.3 * (counts["failed"] + counts["success"])


def test_time_runs_by_itself_with_a_speedup() -> None:
    with running_simulator(devices=30, speedup=600, failure_rate=0, offline_share=0) as sim:
        deploy(sim, comment="live")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            counts = sim.truth(project="Demo", comment="live")["counts"]
            if counts["success"] == sum(counts.values()) - counts["none"]:
                break
            time.sleep(0.1)
        assert counts["success"] > 0
        assert counts["pending"] == counts["in_progress"] == 0


def _states(sim: SimulatorHandle) -> dict[str, str]:
    states: dict[str, str] = {}
    offset = ""
    while True:
        body = {"project_name": "Demo", "limit": 50, "offset": offset}
        page = sim.api("GET", "get_devices_state", body).json()
        states.update({d["device_uuid"]: d["device_status"] for d in page["message"]})
        if not page["more"]:
            return states
        offset = page["message"][-1]["device_uuid"]


def test_churn_flips_devices_and_resumes_pending_updates() -> None:
    with running_simulator(devices=200, churn=0.05, offline_share=0.3, failure_rate=0) as sim:
        before = _states(sim)
        deploy(sim, comment="churn")
        sim.advance(minutes=60)
        after = _states(sim)

        went_offline = [u for u in before if before[u] == "online" and after[u] == "offline"]
        came_online = [u for u in before if before[u] == "offline" and after[u] == "online"]
        assert went_offline and came_online
        assert 0.1 < list(after.values()).count("offline") / len(after) < 0.6
        # devices that were offline at deploy time and came back took the update
        assert set(statuses(sim, came_online).values()) <= {"success", "in_progress"}
        assert "success" in statuses(sim, came_online).values()
