"""The pure request builders: exact bodies, and validation that names the bad field."""

import json

import pytest

from rollouts.upswift_api import (
    ApiRequest,
    DevicesFilter,
    Filter,
    InvalidFilter,
    InvalidRequest,
    UpswiftClient,
    change_device_details_request,
    delete_device_app_request,
    delete_device_tag_request,
    deploy_update_request,
    devices_details_request,
    get_device_state_request,
    get_devices_state_request,
    set_update_trigger_request,
)
from tests.upswift_api.fake_api import BASE_URL, TOKEN


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


def test_operand_error_message_names_the_field_and_the_allowed_operands():
    devices_filter = DevicesFilter(
        project="Demo",
        filters=[Filter("tag", "is", "canary"), Filter("device_state", "is_not", "online")],
    )

    with pytest.raises(InvalidFilter) as caught:
        deploy_update_request(flow_id="f-1", devices_filter=devices_filter)

    assert str(caught.value) == (
        "devices_filter.filters[1].operand: 'is_not' is not allowed for type 'device_state' "
        "(allowed: is)"
    )
    assert caught.value.field == "devices_filter.filters[1].operand"
    assert isinstance(caught.value, ValueError)


BAD_FILTERS = [
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("serial", "is", "x")]),
        "devices_filter.filters[0].type",
        id="unknown-type",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("specific_device", "contains", "d-1")]),
        "devices_filter.filters[0].operand",
        id="specific_device-bad-operand",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("tag", "equals", "canary")]),
        "devices_filter.filters[0].operand",
        id="tag-bad-operand",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("app", "in", "default_app")]),
        "devices_filter.filters[0].operand",
        id="app-bad-operand",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("device_state", "is_not", "online")]),
        "devices_filter.filters[0].operand",
        id="device_state-is_not",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("update_status", "matches", "success")]),
        "devices_filter.filters[0].operand",
        id="update_status-bad-operand",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("device_state", "is", "sleeping")]),
        "devices_filter.filters[0].value",
        id="device_state-value",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("update_status", "is", "done")]),
        "devices_filter.filters[0].value",
        id="update_status-value",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("tag", "is", "a"), Filter("tag", "is", 5)]),
        "devices_filter.filters[1].value",
        id="int-value",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("specific_device", "is", None)]),
        "devices_filter.filters[0].value",
        id="none-value",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[Filter("specific_device", "is", "")]),
        "devices_filter.filters[0].value",
        id="empty-device-id",
    ),
    pytest.param(
        DevicesFilter("Demo", filters=[{"type": "tag", "operand": "is", "value": "x"}]),
        "devices_filter.filters[0]",
        id="not-a-Filter",
    ),
    pytest.param(DevicesFilter(""), "devices_filter.project.name", id="empty-project"),
    pytest.param(DevicesFilter("   "), "devices_filter.project.name", id="blank-project"),
    pytest.param(DevicesFilter(None), "devices_filter.project.name", id="none-project"),
    pytest.param(
        DevicesFilter("Demo", groups=["TestGroup1", ""]),
        "devices_filter.groups[1].name",
        id="empty-group",
    ),
    pytest.param(
        DevicesFilter("Demo", groups=["TestGroup1", 7]),
        "devices_filter.groups[1].name",
        id="int-group",
    ),
    pytest.param(
        DevicesFilter("Demo", groups="TestGroup1"), "devices_filter.groups", id="str-groups"
    ),
]


@pytest.mark.parametrize(("devices_filter", "field"), BAD_FILTERS)
def test_bad_filter_is_refused_before_anything_is_sent(rsps, devices_filter, field):
    client = UpswiftClient(BASE_URL, TOKEN)

    with pytest.raises(InvalidFilter) as caught:
        client.deploy_update(flow_id="f-1", devices_filter=devices_filter)

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("builder", [delete_device_tag_request, delete_device_app_request])
def test_delete_builders_validate_the_filter(builder):
    name = "tag_name" if builder is delete_device_tag_request else "app_name"
    bad = DevicesFilter("Demo", filters=[Filter("device_state", "is", "asleep")])

    with pytest.raises(InvalidFilter, match=r"^devices_filter\.filters\[0\]\.value: 'asleep'"):
        builder(**{name: "x"}, devices_filter=bad)


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


def test_get_device_state_request_body():
    request = get_device_state_request(device_token="dt-1")

    assert (request.method, request.path, request.body) == (
        "GET",
        "/get_device_state",
        {"device_token": "dt-1"},
    )


def test_change_device_details_request_body():
    request = change_device_details_request(
        device_token="dt-1",
        group="Production",
        tag="canary",
        apps=[{"app_name": "default_app", "version": "v1.1"}],
        description="",
    )

    assert (request.method, request.path) == ("POST", "/devices_details")
    assert request.body == {
        "device_token": "dt-1",
        "group": "Production",
        "tag": "canary",
        "apps": [{"app_name": "default_app", "version": "v1.1"}],
        "description": "",
    }


def test_change_device_details_request_refuses_bad_apps_and_no_change():
    with pytest.raises(InvalidRequest, match=r"^apps\[0\]: "):
        change_device_details_request(device_token="dt-1", apps=[{"name": "x"}])
    with pytest.raises(InvalidRequest, match="nothing to change"):
        change_device_details_request(device_token="dt-1")


def test_delete_builders_use_device_filter_key():
    tag = delete_device_tag_request(tag_name="canary", devices_filter=seed_filter())
    app = delete_device_app_request(app_name="default_app", devices_filter=seed_filter())

    assert (tag.method, tag.path) == ("DELETE", "/device_tags")
    assert tag.body == {"tag_name": "canary", "device_filter": seed_filter().to_json()}
    assert (app.method, app.path) == ("DELETE", "/device_apps")
    assert app.body == {"app_name": "default_app", "device_filter": seed_filter().to_json()}


def test_set_update_trigger_request():
    request = set_update_trigger_request(device_token="dt-1", trigger_set=True)

    assert (request.method, request.path) == ("POST", "/set_update_trigger")
    assert request.body == {"device_token": "dt-1", "trigger_set": True}
    with pytest.raises(InvalidRequest, match=r"^trigger_set: "):
        set_update_trigger_request(device_token="dt-1", trigger_set="yes")


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
