"""/_sim/devices/malformed, /_sim/groups/delete and /_sim/token, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from upswift_simulator.testing import SimulatorHandle

from .helpers import OTHER_TOKEN, all_devices, condition, deploy, deploy_body

GROUP_GONE = "Group 'TestGroup1' does not exist in project 'Demo'"
INVALID_TOKEN = {"error_message": "user_token is invalid"}


def _post(sim: SimulatorHandle, path: str, body: Any) -> requests.Response:
    return requests.post(f"{sim.root_url}/_sim/{path}", json=body, timeout=10)


def _paged_details(sim: SimulatorHandle, limit: int, **selector: str) -> list[dict]:
    devices: list[dict] = []
    offset = 0
    while True:
        body = {"limit": limit, "offset": offset, **selector}
        response = sim.api("GET", "devices_details", body)
        assert response.status_code == 200, response.text
        devices += response.json()["message"]
        offset += limit
        if not response.json()["more"]:
            return devices


def _paged_states(sim: SimulatorHandle, limit: int = 50) -> list[dict]:
    devices: list[dict] = []
    after = ""
    while True:
        body = {"project_name": "Demo", "limit": limit, "offset": after}
        response = sim.api("GET", "get_devices_state", body)
        assert response.status_code == 200, response.text
        page = response.json()
        devices += page["message"]
        if not page["more"]:
            return devices
        after = page["message"][-1]["device_uuid"]


def _add_one_of_each(sim: SimulatorHandle, count: int = 2) -> dict[str, list[str]]:
    kinds = ("long_uuid", "nul_name", "bad_updates")
    return {kind: sim.add_malformed_devices(kind, count=count)["uuids"] for kind in kinds}


# -- malformed devices ----------------------------------------------------------------------
def test_read_calls_page_through_malformed_devices(sim: SimulatorHandle) -> None:
    seeded = all_devices(sim)

    added = _add_one_of_each(sim)

    malformed = [uuid for uuids in added.values() for uuid in uuids]
    paged = _paged_details(sim, 7, project_name="Demo")
    by_uuid = {d["device_uuid"]: d for d in paged}
    assert [d["device_uuid"] for d in paged] == [d["device_uuid"] for d in seeded] + malformed
    assert all(len(uuid) == 100 for uuid in added["long_uuid"])
    assert all(len(uuid) < 20 for uuid in added["nul_name"] + added["bad_updates"])
    assert all("\x00" in by_uuid[u]["device_name"] for u in added["nul_name"])
    assert not any("\x00" in by_uuid[u]["device_name"] for u in added["long_uuid"])
    assert all(by_uuid[u]["updates"] == "unavailable" for u in added["bad_updates"])
    assert all(by_uuid[u]["updates"] == [] for u in added["long_uuid"] + added["nul_name"])
    states = _paged_states(sim, limit=3)
    assert [d["device_uuid"] for d in states] == [d["device_uuid"] for d in paged]
    assert [d["device_name"] for d in states] == [d["device_name"] for d in paged]


def test_malformed_device_by_token_and_internal_view(sim: SimulatorHandle) -> None:
    (long_uuid,) = sim.add_malformed_devices("long_uuid")["uuids"]
    (bad,) = sim.add_malformed_devices("bad_updates", project="Kiosks")["uuids"]

    by_token = sim.api("GET", "devices_details", {"device_token": long_uuid})
    state = sim.api("GET", "get_device_state", {"device_token": long_uuid})

    assert by_token.status_code == 200
    assert [d["device_uuid"] for d in by_token.json()["message"]] == [long_uuid]
    assert state.json()["message"] == {"device_status": "online", "device_id": long_uuid}
    internal = sim.device(bad)
    assert (internal["project"], internal["malformed"], internal["updates"]) == (
        "Kiosks",
        "bad_updates",
        "unavailable",
    )
    assert sim.health()["malformed_devices"] == 2


def test_deploy_to_whole_project_never_selects_malformed_devices(sim: SimulatorHandle) -> None:
    seeded = {d["device_uuid"] for d in all_devices(sim)}
    added = _add_one_of_each(sim)
    malformed = {uuid for uuids in added.values() for uuid in uuids}
    sim.set_state("offline", device_uuids=added["nul_name"])

    updated = deploy(sim, comment="whole")
    offline = sim.api(
        "POST",
        "deploy_update",
        deploy_body(filters=[condition("device_state", "is", "offline")], comment="off"),
    )
    specific = sim.api(
        "POST",
        "deploy_update",
        deploy_body(filters=[condition("specific_device", "is", added["long_uuid"][0])]),
    )
    sim.advance(minutes=10)

    assert updated == seeded
    assert offline.status_code == specific.status_code == 200
    assert int(offline.headers["X-Sim-Matched"]) == sim.truth(project="Demo")["offline"] > 0
    assert specific.headers["X-Sim-Matched"] == "0"
    paged = {d["device_uuid"]: d for d in _paged_details(sim, 500, project_name="Demo")}
    assert all(paged[u]["updates"] in ([], "unavailable") for u in malformed)
    assert all(sim.device(u)["updates"] in ([], "unavailable") for u in malformed)
    truth = sim.truth(project="Demo", comment="whole")
    assert truth["devices"] == len(seeded)
    assert truth["malformed"] == len(malformed) == 6
    assert truth["counts"]["none"] == 0


def test_reset_drops_malformed_devices(sim: SimulatorHandle) -> None:
    seeded = all_devices(sim)
    _add_one_of_each(sim, count=1)

    sim.reset()

    assert all_devices(sim) == seeded
    assert sim.health()["malformed_devices"] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"count": 1}, "kind must be one of"),
        ({"kind": "weird"}, "kind must be one of"),
        ({"kind": "nul_name", "count": 0}, "count must be an integer"),
        ({"kind": "nul_name", "count": "2"}, "count must be an integer"),
        ({"kind": "nul_name", "count": True}, "count must be an integer"),
        ({"kind": "nul_name", "count": 1001}, "count must be an integer"),
        ({"kind": "nul_name", "project": "Nope"}, "Project 'Nope' does not exist"),
        ({"kind": "nul_name", "group": "Nope"}, "Group 'Nope' does not exist in project"),
        ([{"kind": "nul_name"}], "Body must be a JSON object"),
    ],
)
def test_malformed_bad_input_is_a_400(sim: SimulatorHandle, body: Any, message: str) -> None:
    response = _post(sim, "devices/malformed", body)

    assert response.status_code == 400
    assert message in response.json()["error_message"]
    assert sim.health()["malformed_devices"] == 0


# -- deleting a group -----------------------------------------------------------------------
def test_deleted_group_is_gone_and_its_devices_moved(sim: SimulatorHandle) -> None:
    group1 = _paged_details(sim, 500, project_name="Demo", group_name="TestGroup1")
    group2 = _paged_details(sim, 500, project_name="Demo", group_name="TestGroup2")
    assert group1 and group2

    answer = sim.delete_group("TestGroup1", move_to="TestGroup2")

    assert answer["moved"] == len(group1)
    deploy_one = sim.api("POST", "deploy_update", deploy_body(groups=["TestGroup1"]))
    details = sim.api(
        "GET", "devices_details", {"project_name": "Demo", "group_name": "TestGroup1"}
    )
    states = sim.api(
        "GET", "get_devices_state", {"project_name": "Demo", "group_name": "TestGroup1"}
    )
    move = sim.api(
        "POST", "devices_details", {"device_token": "d-4ec7-1be9", "group": "TestGroup1"}
    )
    for response in (deploy_one, details, states, move):
        assert response.status_code == 400
        assert response.json() == {"error_message": GROUP_GONE}
    merged = _paged_details(sim, 500, project_name="Demo", group_name="TestGroup2")
    assert sorted(d["device_uuid"] for d in merged) == sorted(
        d["device_uuid"] for d in group1 + group2
    )
    assert {d["group"] for d in merged} == {"TestGroup2"}
    assert sim.device("d-4ec7-1be9")["group"] == "TestGroup2"
    assert deploy(sim, groups=["TestGroup2"], comment="merged") == {
        d["device_uuid"] for d in merged
    }
    other_project = sim.api(
        "GET", "devices_details", {"project_name": "Test", "group_name": "TestGroup1"}
    )
    assert other_project.status_code == 200


def test_reset_restores_a_deleted_group(sim: SimulatorHandle) -> None:
    before = _paged_details(sim, 500, project_name="Demo", group_name="TestGroup1")
    sim.delete_group("TestGroup1", move_to="Lab")

    sim.reset()

    assert _paged_details(sim, 500, project_name="Demo", group_name="TestGroup1") == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"group": "Nope", "move_to": "Lab"}, "Group 'Nope' does not exist in project 'Demo'"),
        ({"group": "Lab", "move_to": "Nope"}, "Group 'Nope' does not exist in project 'Demo'"),
        ({"group": "Lab", "move_to": "Lab"}, "move_to must be another group"),
        ({"group": "Lab"}, "move_to must be a non-empty string"),
        ({"move_to": "Lab"}, "group must be a non-empty string"),
        ({"project": "Nope", "group": "Lab", "move_to": "Staging"}, "Project 'Nope' does not"),
        ({"project": 3, "group": "Lab", "move_to": "Staging"}, "project must be a non-empty"),
        ("Lab", "Body must be a JSON object"),
    ],
)
def test_delete_group_bad_input_is_a_400(sim: SimulatorHandle, body: Any, message: str) -> None:
    response = _post(sim, "groups/delete", body)

    assert response.status_code == 400
    assert message in response.json()["error_message"]
    lab = sim.api("GET", "devices_details", {"project_name": "Demo", "group_name": "Lab"})
    assert lab.status_code == 200
    assert {d["group"] for d in lab.json()["message"]} == {"Lab"}


# -- the user token -------------------------------------------------------------------------
def test_set_token_replaces_every_accepted_token_until_reset(sim: SimulatorHandle) -> None:
    body = {"device_token": "d-4ec7-1be9"}
    assert sim.api("GET", "get_device_state", body, token="new-token").json() == INVALID_TOKEN

    sim.set_token("new-token")

    assert sim.token == "new-token"
    for old in ("sim-demo-token", OTHER_TOKEN):
        refused = sim.api("GET", "get_device_state", body, token=old)
        assert refused.status_code == 400
        assert refused.json() == INVALID_TOKEN
    assert sim.api("GET", "get_device_state", body, token="new-token").status_code == 200
    assert sim.api("GET", "get_device_state", body).status_code == 200  # the handle's token
    sim.reset()
    assert sim.token == "sim-demo-token"
    assert sim.api("GET", "get_device_state", body).status_code == 200
    assert sim.api("GET", "get_device_state", body, token=OTHER_TOKEN).status_code == 200
    assert sim.api("GET", "get_device_state", body, token="new-token").json() == INVALID_TOKEN


@pytest.mark.parametrize(
    "body",
    [{}, {"token": ""}, {"token": 5}, {"token": None}, {"token": " x "}, {"token": "t" * 501}, []],
)
def test_set_token_bad_input_is_a_400(sim: SimulatorHandle, body: Any) -> None:
    response = _post(sim, "token", body)

    assert response.status_code == 400
    assert response.json()["error_message"]
    check = sim.api("GET", "get_device_state", {"device_token": "d-4ec7-1be9"})
    assert check.status_code == 200
