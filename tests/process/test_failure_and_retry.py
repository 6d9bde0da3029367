"""A bad release in one group pauses the rollout; retry deploys to the failed devices only."""

import pytest

from rollouts.models import ApiCall, CallKind, Event, EventKind, RolloutStatus
from rollouts.services.actions import stage_approve, stage_retry_failed
from tests.factories import UserFactory
from tests.process.helpers import (
    deploy_calls,
    rollout_updates_per_device,
    start_rollout,
    wait_awaiting_approval,
    wait_status,
)
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration

STAGES = [
    {"target": "tag", "tag": "canary", "success_threshold": 100},
    {"target": "groups", "groups": ["TestGroup2"], "failure_threshold": 20},
    {"target": "all"},
]


def test_bad_release_in_a_group_pauses_and_retry_hits_only_failed_devices(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200) as engine:
        engine.sim.failure_rates(groups={"TestGroup2": 0.5})
        rollout = start_rollout(user=manager, stages=STAGES)
        wait_awaiting_approval(rollout, 2, engine=engine)
        stage_approve(rollout=rollout, actor=manager)

        wait_status(rollout, RolloutStatus.PAUSED, engine=engine)
        engine.sim.advance(minutes=30)  # let every queued update of the stage finish
        stage = rollout.stages.get(position=2)
        marker = f"[rollout {rollout.pk} · stage 2/3]"
        before = engine.sim.truth(project="Demo", comment=marker, devices=True)
        failed_uuids = set(before["device_uuids"]["failed"])
        succeeded_uuids = set(before["device_uuids"]["success"])
        calls_before = len(engine.sim.calls())

        engine.sim.failure_rates(groups={"TestGroup2": 0.0})
        stage_retry_failed(rollout=rollout, stage=stage, actor=manager)
        wait_for(
            lambda: ApiCall.objects.filter(
                rollout=rollout, kind=CallKind.RETRY, state="succeeded"
            ).exists(),
            timeout=60,
            describe=engine.logs,
        )
        retry_calls = deploy_calls(engine.sim, since=calls_before)
        wait_awaiting_approval(rollout, 3, engine=engine)
        after = engine.sim.truth(project="Demo", comment=marker, devices=True)
        updates = rollout_updates_per_device(engine.sim, rollout)

    # The pause says why, with the numbers.
    rollout.refresh_from_db()
    pause = Event.objects.get(rollout=rollout, kind=EventKind.PAUSED, actor=None)
    assert "failure threshold" in pause.reason
    assert pause.stage.position == 2
    assert failed_uuids and succeeded_uuids

    # One retry call, filtered to the failed devices of the stage's cohort.
    assert len(retry_calls) == 1
    body = retry_calls[0]["body"]
    filters = [(f["type"], f["operand"], f["value"]) for f in body["devices_filter"]["filters"]]
    assert ("update_status", "is", "failed") in filters
    assert [g["name"] for g in body["devices_filter"]["groups"]] == ["TestGroup2"]
    # Only the failed devices got a second update; now they all succeeded.
    assert {uuid for uuid, n in updates.items() if n == 2} == failed_uuids
    assert set(after["device_uuids"]["success"]) == failed_uuids | succeeded_uuids
    assert Event.objects.filter(rollout=rollout, kind=EventKind.RETRY_REQUESTED).count() == 1
