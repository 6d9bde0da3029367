"""Device rows of a stage: written as plain tuples, and only when a device's state moved."""

import pytest
import time_machine
from django.db import connection

from rollouts.engine.device_rows import Row, rows_changed, rows_upsert
from rollouts.models import DeviceProgress
from tests.factories import DeviceProgressFactory, RolloutStageFactory

pytestmark = pytest.mark.django_db

HOSTILE = "Ω'); DROP TABLE x; --<b>"


def stored(stage) -> dict[str, Row]:
    return {
        uuid: Row(*state) for uuid, *state in stage.devices.values_list("device_uuid", *Row._fields)
    }


@pytest.mark.parametrize("unnest", [True, False], ids=["unnest", "values"])
def test_upsert_inserts_new_rows_and_updates_existing_ones_of_this_stage_only(unnest):
    if unnest and connection.vendor != "postgresql":
        pytest.fail("the suite runs on PostgreSQL (make test sets DATABASE_URL)")
    stage, other = RolloutStageFactory(), RolloutStageFactory()
    DeviceProgressFactory(stage=stage, device_uuid="d-0001", status="pending")
    DeviceProgressFactory(stage=other, device_uuid="d-0001", status="pending")
    rows = [
        ("d-0001", Row("one", "Production", False, "success", 41)),
        ("d-0002", Row(HOSTILE, "", True, "not_reached", None)),
    ] + [(f"d-1{n:04}", Row(f"n{n}", "TestGroup1", False, "failed", n)) for n in range(2500)]

    rows_upsert(stage, rows, unnest=unnest)

    assert stored(stage) == dict(rows)
    assert stage.devices.count() == 2502  # more than one batch of the VALUES path
    assert other.devices.get().status == "pending"  # another stage's row of the same device


def test_a_pass_writes_only_the_devices_whose_state_moved():
    stage = RolloutStageFactory()
    with time_machine.travel("2026-01-01 10:00Z", tick=False):
        rows_upsert(
            stage,
            [
                ("d-a", Row("a", "G", False, "pending", 1)),
                ("d-b", Row("b", "G", False, "pending", 2)),
            ],
        )
    now = {"d-a": Row("a", "G", False, "success", 1), "d-b": Row("b", "G", False, "pending", 2)}

    changed = rows_changed(stage, now)
    assert changed == [("d-a", now["d-a"])]
    with time_machine.travel("2026-01-01 10:05Z", tick=False):
        rows_upsert(stage, changed)

    times = dict(stage.devices.values_list("device_uuid", "updated_at__minute"))
    assert times == {"d-a": 5, "d-b": 0}  # updated_at: when the state last changed
    assert rows_changed(stage, now) == []
    assert DeviceProgress.objects.get(stage=stage, device_uuid="d-a").status == "success"
