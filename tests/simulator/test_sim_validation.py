"""deploy_update and the other calls refuse bad bodies with 400 and a message naming the problem,
and a refused deploy changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import requests

from upswift_simulator.testing import SimulatorHandle

from .helpers import condition, deploy_body

Body = dict[str, Any]


def _without(*path: str) -> Callable[[Body], None]:
    def mutate(body: Body) -> None:
        target = body
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _with_filter(kind: Any, operand: Any, value: Any) -> Callable[[Body], None]:
    def mutate(body: Body) -> None:
        body["devices_filter"]["filters"] = [{"type": kind, "operand": operand, "value": value}]

    return mutate


def _set(path: tuple[str, ...], value: Any) -> Callable[[Body], None]:
    def mutate(body: Body) -> None:
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


DEPLOY_CASES = {
    "missing_token": (_without("user_token"), "user_token is missing"),
    "unknown_token": (_set(("user_token",), "stolen"), "user_token is invalid"),
    "missing_flow_id": (_without("flow_id"), "flow_id is missing"),
    "empty_flow_id": (_set(("flow_id",), ""), "flow_id must be a non-empty string"),
    "missing_devices_filter": (_without("devices_filter"), "devices_filter is missing"),
    "missing_metadata": (_without("metadata"), "metadata is missing"),
    "metadata_not_object": (_set(("metadata",), "x"), "metadata must be an object"),
    "missing_groups": (
        _without("devices_filter", "groups"),
        "devices_filter.groups is missing",
    ),
    "groups_not_list": (
        _set(("devices_filter", "groups"), "Production"),
        "devices_filter.groups must be a list",
    ),
    "missing_project": (_without("devices_filter", "project"), "devices_filter.project is missing"),
    "unknown_project": (
        _set(("devices_filter", "project", "name"), "Nope"),
        "Project 'Nope' does not exist",
    ),
    "unknown_group": (
        _set(("devices_filter", "groups"), [{"name": "Nope"}]),
        "Group 'Nope' does not exist in project 'Demo'",
    ),
    "unknown_filter_type": (_with_filter("color", "is", "red"), "Unknown filter type 'color'"),
    "operand_not_allowed_for_device_state": (
        _with_filter("device_state", "is_not", "online"),
        "Operand 'is_not' is not allowed for filter type 'device_state'",
    ),
    "unknown_operand": (
        _with_filter("tag", "contains", "canary"),
        "Operand 'contains' is not allowed for filter type 'tag'",
    ),
    "device_state_value": (
        _with_filter("device_state", "is", "sleeping"),
        "Value 'sleeping' is not allowed for filter type 'device_state'",
    ),
    "update_status_value": (
        _with_filter("update_status", "is", "done"),
        "Value 'done' is not allowed for filter type 'update_status'",
    ),
    "non_string_value": (
        _with_filter("specific_device", "is", 12),
        "Filter value must be a string",
    ),
    "non_string_value_list": (
        _with_filter("tag", "is", ["canary"]),
        "Filter value must be a string",
    ),
    "filter_missing_value": (
        _set(("devices_filter", "filters"), [{"type": "tag", "operand": "is"}]),
        "Filter is missing 'value'",
    ),
    "filters_not_list": (
        _set(("devices_filter", "filters"), {"type": "tag"}),
        "devices_filter.filters must be a list",
    ),
    "comment_not_string": (_set(("metadata", "comment"), 5), "metadata.comment must be a string"),
    "app_without_name": (
        _set(("metadata", "app"), {"version": "v2"}),
        "metadata.app.name must be a non-empty string",
    ),
}


def _nothing_deployed(sim: SimulatorHandle) -> bool:
    truth = sim.truth()
    return truth["counts"]["none"] == truth["devices"]


@pytest.mark.parametrize("case", DEPLOY_CASES, ids=list(DEPLOY_CASES))
def test_deploy_update_refuses(sim: SimulatorHandle, case: str) -> None:
    mutate, message = DEPLOY_CASES[case]
    body = copy.deepcopy(deploy_body(groups=["TestGroup1"]))
    body["user_token"] = sim.token
    mutate(body)

    response = sim.api("POST", "deploy_update", body, send_token=False)

    assert response.status_code == 400
    assert message in response.json()["error_message"]
    assert _nothing_deployed(sim)


def test_body_that_is_not_json(sim: SimulatorHandle) -> None:
    response = requests.post(f"{sim.base_url}/deploy_update", data=b"{not json", timeout=10)

    assert response.status_code == 400
    assert response.json() == {"error_message": "Request body is not valid JSON"}
    assert _nothing_deployed(sim)


def test_body_that_is_a_json_list(sim: SimulatorHandle) -> None:
    response = requests.post(f"{sim.base_url}/deploy_update", json=[1, 2], timeout=10)

    assert response.status_code == 400
    assert response.json() == {"error_message": "Request body must be a JSON object"}


def test_empty_body_on_a_get(sim: SimulatorHandle) -> None:
    response = requests.get(f"{sim.base_url}/devices_details", timeout=10)

    assert response.status_code == 400
    assert "Request body is empty" in response.json()["error_message"]


def test_empty_metadata_and_empty_groups_are_accepted(sim: SimulatorHandle) -> None:
    body = deploy_body(app=None)
    body["metadata"] = {}

    response = sim.api("POST", "deploy_update", body)

    assert response.status_code == 200
    assert response.json() == {"message": "Success"}
    assert sim.truth(project="Demo")["counts"]["pending"] == sim.truth(project="Demo")["devices"]


OTHER_CASES = {
    "details_without_selector": ("GET", "devices_details", {}, "One of device_token"),
    "details_group_without_project": (
        "GET",
        "devices_details",
        {"group_name": "Production"},
        "group_name requires project_name",
    ),
    "details_unknown_project": (
        "GET",
        "devices_details",
        {"project_name": "Nope"},
        "Project 'Nope' does not exist",
    ),
    "details_unknown_device": (
        "GET",
        "devices_details",
        {"device_token": "d-0000-0000"},
        "Device 'd-0000-0000' not found",
    ),
    "details_limit_too_big": (
        "GET",
        "devices_details",
        {"project_name": "Demo", "limit": 501},
        "limit must be an integer between 1 and 500",
    ),
    "details_negative_offset": (
        "GET",
        "devices_details",
        {"project_name": "Demo", "offset": -1},
        "offset must be an integer between 0",
    ),
    "states_limit_over_50": (
        "GET",
        "get_devices_state",
        {"project_name": "Demo", "limit": 51},
        "limit must be an integer between 1 and 50",
    ),
    "states_without_project": ("GET", "get_devices_state", {}, "project_name is missing"),
    "states_unknown_group": (
        "GET",
        "get_devices_state",
        {"project_name": "Demo", "group_name": "Nope"},
        "Group 'Nope' does not exist in project 'Demo'",
    ),
    "states_unknown_offset": (
        "GET",
        "get_devices_state",
        {"project_name": "Demo", "offset": "d-0000-0000"},
        "offset device 'd-0000-0000' not found",
    ),
    "device_state_without_device": ("GET", "get_device_state", {}, "device_token is missing"),
    "change_unknown_group": (
        "POST",
        "devices_details",
        {"device_token": "d-4ec7-1be9", "group": "Nope"},
        "Group 'Nope' does not exist in project 'Demo'",
    ),
    "change_bad_apps": (
        "POST",
        "devices_details",
        {"device_token": "d-4ec7-1be9", "apps": [{"app_name": "x"}]},
        "apps must be a list",
    ),
    "trigger_not_boolean": (
        "POST",
        "set_update_trigger",
        {"device_token": "d-4ec7-1be9", "trigger_set": "yes"},
        "trigger_set must be a boolean",
    ),
    "tags_without_tag_name": (
        "DELETE",
        "device_tags",
        {"device_filter": {"project": {"name": "Demo"}, "groups": []}},
        "tag_name is missing",
    ),
    "tags_without_filter": ("DELETE", "device_tags", {"tag_name": "x"}, "device_filter is missing"),
    "apps_bad_filter": (
        "DELETE",
        "device_apps",
        {
            "app_name": "default_app",
            "device_filter": {
                "project": {"name": "Demo"},
                "groups": [],
                "filters": [condition("device_state", "is", "asleep")],
            },
        },
        "Value 'asleep' is not allowed for filter type 'device_state'",
    ),
}


@pytest.mark.parametrize("case", OTHER_CASES, ids=list(OTHER_CASES))
def test_other_calls_refuse(sim: SimulatorHandle, case: str) -> None:
    method, endpoint, body, message = OTHER_CASES[case]

    response = sim.api(method, endpoint, body)

    assert response.status_code == 400
    assert message in response.json()["error_message"]


def test_failed_change_applies_nothing(sim: SimulatorHandle) -> None:
    body = {"device_token": "d-4ec7-1be9", "device_name": "renamed", "group": "Nope"}

    response = sim.api("POST", "devices_details", body)

    assert response.status_code == 400
    assert sim.device("d-4ec7-1be9")["device_name"] != "renamed"
