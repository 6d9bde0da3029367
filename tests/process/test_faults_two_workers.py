"""Faults real systems produce, with two workers and two beats: a 429 storm, a worker killed
mid-call, a crash between two writes, the token rotated, a group deleted, devices that never
come back, malformed device rows. Each asserts from the simulator that every device got the
rollout's update exactly once, and that the rollout ends completed or paused with a reason a
person can act on."""

import os
import re
import signal

import pytest

from rollouts.engine.calls import request_of
from rollouts.engine.steps import stage_begin
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    Event,
    EventKind,
    PauseCause,
    Rollout,
    RolloutStatus,
)
from rollouts.services.actions import rollout_resume, stage_accept_shortfall, stage_approve
from rollouts.services.stage_edits import rollout_stage_edit
from tests.factories import UserFactory
from tests.process.helpers import (
    AUTO,
    CANARY_GROUPS_ALL,
    assert_every_device_once,
    auto_stages,
    describe_rollout,
    rollout_updates_per_device,
    sim_deploys,
    start_rollout,
    wait_awaiting_approval,
    wait_status,
)
from tests.support.processes import wait_for
from upswift import UpswiftClient

pytestmark = pytest.mark.integration

TWO = {"workers": 2, "beats": 2}


def test_a_429_storm_is_ridden_out(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200, **TWO) as engine:
        engine.sim.fault("rate_limit", count=25, delay=1)
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=150)
        assert_every_device_once(engine, rollout)
        statuses = [c["status"] for c in engine.sim.calls()]

    assert statuses.count(429) == 25
    assert not Event.objects.filter(rollout=rollout, kind=EventKind.PAUSED).exists()


def test_the_worker_holding_the_rollout_killed_mid_deploy(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200, **TWO) as engine:
        engine.sim.fault("slow", count=1, delay=4)  # the canary deploy, carried out
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_for(
            lambda: ApiCall.objects.filter(rollout=rollout, state=CallState.SENDING).exists(),
            timeout=30,
            describe=lambda: describe_rollout(rollout, engine),
        )
        owner = Rollout.objects.values_list("lease_owner", flat=True).get(pk=rollout.pk)
        os.kill(int(owner.split(":")[1]), signal.SIGKILL)  # the pool process mid-call

        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=150)
        assert_every_device_once(engine, rollout)
        assert len(sim_deploys(engine)) == 4

    lost = Event.objects.filter(rollout=rollout, reason__icontains="worker stopped")
    assert [e.details["kind"] for e in lost] == [CallKind.DEPLOY]
    assert Event.objects.filter(rollout=rollout, kind=EventKind.DEPLOY_RECOVERED).count() == 1


@pytest.mark.parametrize("crashed_after", ["deploy_completed", "attempt_failed"])
def test_a_crash_between_two_writes_is_repaired_on_the_next_tick(engine_factory, crashed_after):
    """The rows an older build could leave behind when it died between two commits: a deploy
    completed but its stage still `deploying`, or a failed attempt with no next attempt."""
    manager = UserFactory(username="rm")
    with engine_factory(devices=200, workers=0, beat=False) as engine:
        rollout = start_rollout(user=manager, stages=auto_stages())
        stage = rollout.stages.get(position=1)
        assert stage_begin(rollout=rollout, stage=stage, earlier=[])
        call = ApiCall.objects.get(stage=stage, kind=CallKind.DEPLOY)
        if crashed_after == "deploy_completed":
            UpswiftClient(engine.sim.base_url, engine.sim.token).send(request_of(call))
            ApiCall.objects.filter(pk=call.pk).update(state=CallState.SUCCEEDED, http_status=200)
        else:
            ApiCall.objects.filter(pk=call.pk).update(
                state=CallState.FAILED, http_status=502, retryable=True, error_message="502"
            )
        engine.restart_all(workers=2, beats=2)

        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)
        assert len(sim_deploys(engine)) == 4

    assert Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_REPAIRED).count() == 1


def test_the_token_rotated_mid_rollout_pauses_until_it_is_updated(engine_factory):
    manager = UserFactory(username="rm")
    stages = [{**CANARY_GROUPS_ALL[0], **AUTO}, *CANARY_GROUPS_ALL[1:]]
    with engine_factory(devices=200, **TWO) as engine:
        rollout = start_rollout(user=manager, stages=stages)
        wait_awaiting_approval(rollout, 2, engine=engine)
        engine.sim.set_token("rotated-token")  # someone rotated it in Upswift
        stage_approve(rollout=rollout, actor=manager)
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine)
        assert rollout.pause_cause == PauseCause.TOKEN_REJECTED
        assert "Upswift rejected the API token" in rollout.status_reason

        engine.restart_all(workers=2, beats=2, UPSWIFT_USER_TOKEN="rotated-token")
        rollout_resume(rollout=rollout, actor=manager, reason="token updated")
        for position in (3, 4):
            wait_awaiting_approval(rollout, position, engine=engine)
            stage_approve(rollout=rollout, actor=manager)
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)


def test_a_group_deleted_before_its_stage_pauses_then_an_edit_completes(engine_factory):
    manager = UserFactory(username="rm")
    stages = [{**CANARY_GROUPS_ALL[0], **AUTO}, CANARY_GROUPS_ALL[1], {"target": "all", **AUTO}]
    with engine_factory(devices=200, **TWO) as engine:
        rollout = start_rollout(user=manager, stages=stages)
        wait_awaiting_approval(rollout, 2, engine=engine)
        engine.sim.delete_group("TestGroup1", move_to="TestGroup2")
        stage_approve(rollout=rollout, actor=manager)
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine)
        assert rollout.pause_cause == PauseCause.REJECTED
        assert "TestGroup1" in rollout.status_reason and "edit it" in rollout.status_reason
        assert rollout.stages.get(position=2).status == "pending"

        rollout_stage_edit(
            rollout=rollout, position=2, changes={"groups": ["TestGroup2"]}, actor=manager
        )
        rollout_resume(rollout=rollout, actor=manager, reason="group moved")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)


def test_offline_devices_that_never_return_pause_at_the_deadline_with_the_numbers(
    engine_factory,
):
    manager = UserFactory(username="rm")
    stages = [
        {**CANARY_GROUPS_ALL[0], **AUTO, "success_threshold": 50},
        {"target": "all", **AUTO, "success_threshold": 95, "deadline_minutes": 15},
    ]
    with engine_factory(devices=200, offline_share=0.12, **TWO) as engine:
        rollout = start_rollout(user=manager, stages=stages)
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine, timeout=120)
        assert rollout.pause_cause == PauseCause.DEADLINE
        numbers = re.search(
            r"Stage 2: (\d+) of (\d+) succeeded \([\d.]+%, needs 95%\); (\d+) pending, "
            r"(\d+) of them offline",
            rollout.status_reason,
        )
        assert numbers, rollout.status_reason
        success, total, pending, offline = map(int, numbers.groups())
        truth = engine.sim.truth(project="Demo")
        assert offline == pending > 0 and success + pending == total

        stage_accept_shortfall(rollout=rollout, actor=manager, reason="offline lab devices")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=60)
        per_device = rollout_updates_per_device(engine.sim, rollout)

    assert set(per_device.values()) == {1}  # the offline ones hold it queued (pending)
    assert truth["offline"] >= offline
    stage = rollout.stages.get(position=2)
    assert (stage.status, stage.shortfall_reason) == ("succeeded", "offline lab devices")
    assert stage.shortfall_accepted_by == manager
    evidence = Event.objects.get(rollout=rollout, kind=EventKind.SHORTFALL_ACCEPTED)
    assert evidence.details["numbers"]["offline"] == offline


def test_malformed_device_rows_are_skipped_and_never_block_a_stage(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200, **TWO) as engine:
        for kind in ("long_uuid", "nul_name", "bad_updates"):
            engine.sim.add_malformed_devices(kind, count=2)
        rollout = start_rollout(user=manager, stages=auto_stages())
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)

    skipped = Event.objects.filter(rollout=rollout, kind=EventKind.DEVICES_SKIPPED)
    assert skipped.exists() and {e.details["skipped"] for e in skipped} <= {2, 4, 6}
    assert not Event.objects.filter(rollout=rollout, kind=EventKind.ENGINE_ERROR).exists()


def test_a_canary_tag_removed_in_upswift_pauses_then_an_edited_stage_completes(engine_factory):
    manager = UserFactory(username="rm")
    stages = [{**CANARY_GROUPS_ALL[0], **AUTO}, {"target": "all", **AUTO}]
    with engine_factory(devices=200, **TWO) as engine:
        every_device = {"project": {"name": "Demo"}, "groups": [], "filters": []}
        removed = engine.sim.api(
            "DELETE", "device_tags", {"tag_name": "canary", "device_filter": every_device}
        )
        assert removed.status_code == 200, removed.text
        rollout = start_rollout(user=manager, stages=stages)
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine)
        assert rollout.pause_cause == PauseCause.REJECTED
        assert "Stage 1 (tag canary) reached no device" in rollout.status_reason
        assert rollout.stages.get(position=1).status == "pending"

        changes = {"target": "groups", "tag": "", "groups": ["TestGroup1"]}
        rollout_stage_edit(rollout=rollout, position=1, changes=changes, actor=manager)
        rollout_resume(rollout=rollout, actor=manager, reason="canary group instead")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        assert_every_device_once(engine, rollout)
