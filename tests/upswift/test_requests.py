"""The pure request builders: exact bodies, and validation that names the bad field."""

import json

import pytest

from tests.upswift.fake_api import TOKEN
from upswift.errors import InvalidRequest
from upswift.filters import DevicesFilter, Filter
from upswift.requests import (
    ApiRequest,
    deploy_update_request,
    devices_details_request,
    get_devices_state_request,
)


def seed_filter() -> DevicesFilter:
    return DevicesFilter(
        project="Demo",
        groups=["TestGroup1", "TestGroup2"],
        filters=[Filter("specific_device", "is", "d-4ec7-1be9")],
    )


def test_deploy_update_request_matches_the_seed_example():
    request = deploy_update_request(
        flow_id="73a7-1ft8",
        devices_filter=seed_filter(),
        comment="test webhook 1",
        app_name="default_app",
        app_version="v1.1",
    )

    assert request.method == "POST"
    assert request.path == "/deploy_update"
    assert request.body == {
        "flow_id": "73a7-1ft8",
        "devices_filter": {
            "project": {"name": "Demo"},
            "groups": [{"name": "TestGroup1"}, {"name": "TestGroup2"}],
            "filters": [{"type": "specific_device", "operand": "is", "value": "d-4ec7-1be9"}],
        },
        "metadata": {
            "comment": "test webhook 1",
            "app": {"name": "default_app", "version": "v1.1"},
        },
    }


def test_deploy_update_request_metadata_is_always_present():
    request = deploy_update_request(flow_id="f-1", devices_filter=DevicesFilter(project="Demo"))

    assert request.body["metadata"] == {}
    assert request.body["devices_filter"] == {
        "project": {"name": "Demo"},
        "groups": [],
        "filters": [],
    }


def test_deploy_update_request_app_without_version():
    request = deploy_update_request(
        flow_id="f-1", devices_filter=DevicesFilter(project="Demo"), app_name="default_app"
    )

    assert request.body["metadata"] == {"app": {"name": "default_app"}}


def test_deploy_update_request_version_needs_an_app_name():
    with pytest.raises(InvalidRequest, match=r"^metadata\.app\.version: "):
        deploy_update_request(
            flow_id="f-1", devices_filter=DevicesFilter(project="Demo"), app_version="v2"
        )


def test_deploy_update_request_needs_a_flow_id():
    with pytest.raises(InvalidRequest, match=r"^flow_id: "):
        deploy_update_request(flow_id="", devices_filter=DevicesFilter(project="Demo"))


def test_devices_details_request_needs_exactly_one_selector():
    assert devices_details_request(project_name="Demo").body == {"project_name": "Demo"}
    assert devices_details_request(device_name="My-Device-1").body == {"device_name": "My-Device-1"}
    with pytest.raises(InvalidRequest, match="exactly one"):
        devices_details_request()
    with pytest.raises(InvalidRequest, match="exactly one"):
        devices_details_request(project_name="Demo", device_token="dt-1")
    with pytest.raises(InvalidRequest, match=r"^group_name: needs project_name"):
        devices_details_request(group_name="Production", device_name="My-Device-1")


def test_devices_details_request_paging_and_group():
    request = devices_details_request(
        project_name="Demo", group_name="Production", limit=100, offset=200
    )

    assert (request.method, request.path) == ("GET", "/devices_details")
    assert request.body == {
        "project_name": "Demo",
        "group_name": "Production",
        "limit": 100,
        "offset": 200,
    }


@pytest.mark.parametrize("limit", [0, 51, "20", True])
def test_get_devices_state_request_limit_is_1_to_50(limit):
    with pytest.raises(InvalidRequest, match=r"^limit: "):
        get_devices_state_request(project_name="Demo", limit=limit)


def test_get_devices_state_request_body():
    request = get_devices_state_request(project_name="Demo", group_name="G", offset="d-1")

    assert (request.method, request.path) == ("GET", "/get_devices_state")
    assert request.body == {"project_name": "Demo", "group_name": "G", "limit": 50, "offset": "d-1"}


def test_api_request_never_holds_the_token_and_redacts_on_display():
    with pytest.raises(ValueError, match="user_token"):
        ApiRequest("POST", "/deploy_update", {"user_token": TOKEN})

    request = deploy_update_request(flow_id="f-1", devices_filter=seed_filter())

    assert request.redacted() == {
        "method": "POST",
        "path": "/deploy_update",
        "body": {"user_token": "***", **request.body},
    }
    assert TOKEN not in json.dumps(request.redacted())


def test_api_request_body_is_a_private_copy():
    body = {"device_token": "dt-1", "trigger_set": False}
    request = ApiRequest("POST", "/set_update_trigger", body)

    body["trigger_set"] = True
    request.redacted()["body"]["trigger_set"] = True

    assert request.body["trigger_set"] is False
