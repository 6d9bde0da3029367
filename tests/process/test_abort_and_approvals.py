"""Abort stops every further call; concurrent approvals start a stage once."""

import threading
import time

import pytest
from django.db import connection

from rollouts.models import ApiCall, CallKind, Event, EventKind, RolloutStatus, StageStatus
from rollouts.services.actions import rollout_abort, stage_approve
from rollouts.services.events import TransitionConflict
from tests.factories import UserFactory
from tests.process.helpers import (
    CANARY_GROUPS_ALL,
    deploy_calls,
    start_rollout,
    wait_awaiting_approval,
)
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration


def test_abort_stops_all_further_calls_and_lists_queued_devices(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=200) as engine:
        # Offline canaries keep their update queued (pending) at Upswift.
        engine.sim.set_state("offline", tag="canary", project="Demo")
        rollout = start_rollout(user=manager, stages=CANARY_GROUPS_ALL)
        wait_for(
            lambda: rollout.stages.get(position=1).count_pending > 0,
            timeout=60,
            describe=engine.logs,
        )
        rollout_abort(rollout=rollout, actor=manager, reason="wrong build")
        calls_at_abort = len(engine.sim.calls())
        time.sleep(5)  # five reconcile ticks and polls would have happened
        calls_after = engine.sim.calls(since=calls_at_abort)

    assert calls_after == []
    rollout.refresh_from_db()
    assert rollout.status == RolloutStatus.ABORTED and rollout.status_reason == "wrong build"
    event = Event.objects.get(rollout=rollout, kind=EventKind.ABORTED)
    assert event.actor == manager
    assert event.details["devices_with_queued_update"]  # Upswift v1 cannot cancel them
    assert set(event.details["devices_with_queued_update"]) == set(
        rollout.stages.get(position=1)
        .devices.filter(status="pending")
        .values_list("device_uuid", flat=True)
    )


def test_ten_concurrent_approvals_start_the_stage_once(engine_factory):
    managers = [UserFactory(username=f"rm{i}") for i in range(10)]
    with engine_factory(devices=200) as engine:
        rollout = start_rollout(user=managers[0], stages=CANARY_GROUPS_ALL)
        wait_awaiting_approval(rollout, 2, engine=engine)
        barrier = threading.Barrier(10)
        outcomes: list[str] = []

        def approve(user):
            try:
                barrier.wait()
                stage_approve(rollout=rollout, actor=user, comment="ship it")
                outcomes.append("approved")
            except TransitionConflict:
                outcomes.append("conflict")
            finally:
                connection.close()

        threads = [threading.Thread(target=approve, args=(u,)) for u in managers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_for(
            lambda: rollout.stages.get(position=2).status == StageStatus.MONITORING,
            timeout=60,
            describe=engine.logs,
        )
        time.sleep(2)  # more reconcile ticks: nothing more may be sent
        deploys = deploy_calls(engine.sim)

    assert sorted(outcomes) == ["approved"] + ["conflict"] * 9
    assert Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_APPROVED).count() == 1
    assert (
        ApiCall.objects.filter(rollout=rollout, kind=CallKind.DEPLOY, stage__position=2).count()
        == 1
    )
    assert len(deploys) == 2  # canary + the approved stage, once
