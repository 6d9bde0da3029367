"""A device row read back from the API that cannot be stored is skipped with a reason."""

import pytest

from rollouts.engine.cohorts import stage_update_of
from rollouts.engine.device_rows import UUID_MAX, device_row_problem

GOOD = {
    "device_uuid": "d-4ec7-1be9",
    "device_name": "kiosk 1",
    "group": "TestGroup1",
    "updates": [{"update_id": 1, "update_status": "success"}],
}


@pytest.mark.parametrize(
    ("device", "problem"),
    [
        ({**GOOD, "device_uuid": "d-long-" + "0" * 93}, "bad device_uuid"),
        ({**GOOD, "device_uuid": "d" * (UUID_MAX + 1)}, "bad device_uuid"),
        ({**GOOD, "device_uuid": ""}, "bad device_uuid"),
        ({**GOOD, "device_uuid": None}, "bad device_uuid"),
        ({**GOOD, "device_uuid": "d-4ec7\n1be9"}, "bad device_uuid"),
        ({k: v for k, v in GOOD.items() if k != "device_uuid"}, "bad device_uuid"),
        ({**GOOD, "device_name": "bad\x00name-00001"}, "bad device_name"),
        ({**GOOD, "device_name": 42}, "bad device_name"),
        ({**GOOD, "group": "Test\x00Group"}, "bad group"),
        ({**GOOD, "updates": "unavailable"}, "bad updates"),
        ({**GOOD, "updates": {"update_id": 1}}, "bad updates"),
        (["d-4ec7-1be9"], "not an object"),
        ("d-4ec7-1be9", "not an object"),
        (None, "not an object"),
    ],
    ids=[
        "long-uuid",
        "uuid-one-too-long",
        "empty-uuid",
        "null-uuid",
        "unprintable-uuid",
        "no-uuid",
        "nul-in-name",
        "name-not-text",
        "nul-in-group",
        "updates-a-string",
        "updates-an-object",
        "a-list",
        "a-string",
        "null",
    ],
)
def test_a_row_that_cannot_be_stored_says_why(device, problem):
    assert device_row_problem(device) == problem


@pytest.mark.parametrize(
    "device",
    [
        GOOD,
        {**GOOD, "device_uuid": "d" * UUID_MAX},
        {**GOOD, "device_name": None, "group": None},
        {"device_uuid": "d-4ec7-1be9"},  # names and updates may be missing
        {**GOOD, "updates": []},
        {**GOOD, "device_name": "Ω'); DROP TABLE x; --<b>"},
    ],
    ids=["full", "uuid-at-max", "null-names", "bare", "no-updates", "hostile-name"],
)
def test_a_good_row_has_no_problem(device):
    assert device_row_problem(device) == ""


@pytest.mark.parametrize("updates", [["unavailable"], [None, GOOD["updates"][0]]])
def test_a_row_that_passes_the_check_can_be_read_for_its_update(updates):
    device = {**GOOD, "updates": updates}

    if not device_row_problem(device):  # a row said to be good is read like any other
        stage_update_of(device, marker="[rollout 1 · stage 1/1]", version="v1.0")
