"""Online-only stages deploy to online devices and sweep the rest as they come online."""

import pytest

from rollouts.models import ApiCall, CallKind, RolloutStatus
from tests.factories import UserFactory
from tests.process.helpers import (
    deploy_calls,
    rollout_updates_per_device,
    start_rollout,
    wait_status,
)
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration


def test_offline_devices_are_swept_once_they_come_online(engine_factory):
    manager = UserFactory(username="rm")
    stages = [
        {
            "target": "groups",
            "groups": ["TestGroup1"],
            "online_only": True,
            "success_threshold": 100,
        }
    ]
    with engine_factory(devices=200, env={"ROLLOUT_SWEEP_SECONDS": "2"}) as engine:
        offline = engine.sim.set_state("offline", project="Demo", group="TestGroup1", tag="beta")
        assert offline["matched"] > 0
        rollout = start_rollout(user=manager, stages=stages)
        stage = rollout.stages.get(position=1)
        wait_for(
            lambda: stage.devices.filter(status="success").exists(),
            timeout=60,
            describe=engine.logs,
        )
        offline_uuids = set(
            stage.devices.filter(status="not_reached").values_list("device_uuid", flat=True)
        )
        engine.sim.set_state("online", device_uuids=sorted(offline_uuids))
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=90)
        deploys = deploy_calls(engine.sim)
        per_device = rollout_updates_per_device(engine.sim, rollout)

    first = deploys[0]["body"]["devices_filter"]["filters"]
    assert {"type": "device_state", "operand": "is", "value": "online"} in first
    swept = {
        f["value"]
        for call in deploys[1:]
        for f in call["body"]["devices_filter"]["filters"]
        if f["type"] == "specific_device"
    }
    assert offline_uuids and swept == offline_uuids
    assert ApiCall.objects.filter(rollout=rollout, kind=CallKind.SWEEP).count() == len(swept)
    assert {per_device[u] for u in offline_uuids} == {1}
    assert set(per_device.values()) <= {0, 1}
