"""Devices filters: a bad project, group or filter is refused, naming the bad part, before
anything is sent."""

import pytest

from tests.upswift.fake_api import BASE_URL, TOKEN
from upswift.client import UpswiftClient
from upswift.errors import InvalidFilter
from upswift.filters import DevicesFilter, Filter
from upswift.requests import deploy_update_request


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
        client.send(deploy_update_request(flow_id="f-1", devices_filter=devices_filter))

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert len(rsps.calls) == 0
