"""Deploys that reach Upswift but show on the devices only later (``visible_after``)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest
import requests

from upswift_simulator.testing import PACKAGE_PARENT, SimulatorHandle, running_simulator

from .helpers import START_TIME, all_devices, condition, deploy_body, updated_uuids

T = TypeVar("T")
ONLINE = [condition("device_state", "is", "online")]


def wait_for(probe: Callable[[], T], timeout: float = 15.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {timeout} s")
        time.sleep(0.1)


def group_uuids(sim: SimulatorHandle, groups: list[str], project: str = "Demo") -> set[str]:
    found = sim.truth(project=project, groups=groups, devices=True)["device_uuids"]
    return {uuid for uuids in found.values() for uuid in uuids}


def online_uuids(sim: SimulatorHandle, uuids: set[str]) -> set[str]:
    return {u for u in uuids if sim.device(u)["device_status"] == "online"}


def read_back(sim: SimulatorHandle, comment: str) -> dict[str, list[dict[str, Any]]]:
    """uuid -> this deploy's updates, as GET devices_details shows them (what the console sees)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for device in all_devices(sim):
        mine = [u for u in device["updates"] if u["comment"] == comment]
        if mine:
            found[device["device_uuid"]] = mine
    return found


def test_timeout_applied_deploy_shows_only_after_visible_after(sim: SimulatorHandle) -> None:
    groups = ["Lab", "EU-West"]
    in_groups = group_uuids(sim, groups)
    expected = online_uuids(sim, in_groups)
    assert expected and in_groups - expected, "the filter must select some devices, not all"
    sim_time = sim.health()["sim_time"]
    queued = sim.fault("timeout", delay=1.0, apply=True, visible_after=2)
    assert queued[0]["visible_after"] == 2

    called = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        body = deploy_body(groups=groups, filters=ONLINE, comment="late one")
        sim.api("POST", "deploy_update", body, timeout=0.3)

    assert updated_uuids(sim, "late one") == set()
    assert read_back(sim, "late one") == {}
    assert sim.health()["deploys_not_visible"] == 1
    call = sim.calls()[0]
    assert call["path"] == "/v1/deploy_update"
    assert call["fault"] == "timeout" and call["status"] is None
    delay = datetime.fromisoformat(call["visible_at"]) - datetime.fromisoformat(call["time"])
    assert 1.9 <= delay.total_seconds() <= 3.0

    seen = wait_for(lambda: updated_uuids(sim, "late one"))
    assert time.monotonic() - called >= 1.9
    assert seen == expected
    shown = read_back(sim, "late one")
    assert set(shown) == expected
    assert all(len(u) == 1 and u[0]["update_status"] == "pending" for u in shown.values())
    assert {u[0]["deployment_schedule_time"] for u in shown.values()} == {sim_time}
    assert sim.health()["deploys_not_visible"] == 0


def test_slow_fault_keeps_the_device_set_chosen_at_call_time(sim: SimulatorHandle) -> None:
    lab = sorted(group_uuids(sim, ["Lab"]))
    excluded, included = lab[0], lab[1]
    sim.set_state("offline", device_uuids=[excluded])
    sim.set_state("online", device_uuids=[included])
    expected = online_uuids(sim, set(lab))
    sim.fault("slow", delay=0.1, visible_after=1.0)

    response = sim.api("POST", "deploy_update", deploy_body(groups=["Lab"], filters=ONLINE))
    sim.set_state("online", device_uuids=[excluded])  # after the call: must not matter
    sim.set_state("offline", device_uuids=[included])

    assert response.status_code == 200
    assert response.json() == {"message": "Success"}
    assert response.headers["X-Sim-Matched"] == str(len(expected))
    assert response.headers["X-Sim-Visible-At"] == sim.calls()[0]["visible_at"]
    assert updated_uuids(sim, "test") == set()
    assert wait_for(lambda: updated_uuids(sim, "test")) == expected
    assert excluded not in expected and included in expected
    assert sim.device(included)["updates"][-1]["update_status"] == "pending"


def test_late_deploy_aborts_an_update_deployed_meanwhile(sim: SimulatorHandle) -> None:
    def counts(comment: str) -> dict[str, int]:
        return sim.truth(project="Demo", groups=["Lab"], comment=comment)["counts"]

    lab = sim.truth(project="Demo", groups=["Lab"])["devices"]
    sim.fault("error_500", apply=True, visible_after=1.0)
    late = sim.api("POST", "deploy_update", deploy_body(groups=["Lab"], comment="A"))
    meanwhile = sim.api("POST", "deploy_update", deploy_body(groups=["Lab"], comment="B"))
    before = counts("B")

    wait_for(lambda: counts("A")["pending"] == lab)

    assert (late.status_code, meanwhile.status_code) == (500, 200)
    assert before["pending"] == lab > 0
    assert counts("B")["aborted"] == lab


def test_reset_drops_deploys_not_yet_visible(sim: SimulatorHandle) -> None:
    sim.fault("broken_json", apply=True, visible_after=30)
    sim.api("POST", "deploy_update", deploy_body(groups=["Lab"]))
    assert sim.health()["deploys_not_visible"] == 1

    sim.reset()

    assert sim.health()["deploys_not_visible"] == 0
    assert updated_uuids(sim, "test") == set()


def test_command_line_option_delays_every_deploy() -> None:
    with running_simulator(
        devices=80, failure_rate=0.0, start_time=START_TIME, deploy_visible_after=1.5
    ) as sim:
        lab = group_uuids(sim, ["Lab"])
        test_group = group_uuids(sim, ["TestGroup1"])
        started = time.monotonic()
        first = sim.api("POST", "deploy_update", deploy_body(groups=["Lab"], comment="one"))
        second = sim.api("POST", "deploy_update", deploy_body(groups=["TestGroup1"], comment="two"))
        hidden = (updated_uuids(sim, "one"), updated_uuids(sim, "two"))
        calls = sim.calls()
        sim.fault("slow", delay=0, visible_after=0)  # a fault's own value wins
        third = sim.api("POST", "deploy_update", deploy_body(groups=["Lab"], comment="three"))
        at_once = updated_uuids(sim, "three")
        shown_one = wait_for(lambda: updated_uuids(sim, "one"))
        shown_two = wait_for(lambda: updated_uuids(sim, "two"))
        waited = time.monotonic() - started

    assert lab and test_group
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert "X-Sim-Visible-At" in first.headers and "X-Sim-Visible-At" not in third.headers
    assert hidden == (set(), set())
    assert [("visible_at" in c) for c in calls] == [True, True]
    assert at_once == lab
    assert (shown_one, shown_two) == (lab, test_group)
    assert waited >= 1.4


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "timeout", "apply": True, "visible_after": -1}, "visible_after must be"),
        ({"kind": "timeout", "apply": True, "visible_after": "2"}, "visible_after must be"),
        ({"kind": "slow", "visible_after": True}, "visible_after must be"),
        ({"kind": "slow", "visible_after": 601}, "visible_after must be"),
        ({"kind": "rate_limit", "visible_after": 1}, "cannot be used with rate_limit"),
        ({"kind": "error_500", "visible_after": 1}, "needs apply: true"),
    ],
)
def test_bad_visible_after_is_refused(
    sim: SimulatorHandle, fault: dict[str, Any], message: str
) -> None:
    response = requests.post(f"{sim.root_url}/_sim/faults", json=fault, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error_message"]
    assert requests.get(f"{sim.root_url}/_sim/faults", timeout=5).json() == {"faults": []}


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_bad_command_line_value_exits_with_usage(value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "upswift_simulator", "--port", "0", "--deploy-visible-after", value],
        capture_output=True,
        text=True,
        cwd=PACKAGE_PARENT,
        timeout=30,
    )

    assert result.returncode == 2
    assert "--deploy-visible-after" in result.stderr
