"""A worker killed with SIGKILL while a deploy is in flight: no duplicate, rollout completes."""

import signal

import pytest

from rollouts.models import ApiCall, CallKind, CallState, Event, EventKind, RolloutStatus
from tests.factories import UserFactory
from tests.process.helpers import (
    CANARY_GROUPS_ALL,
    deploy_calls,
    rollout_updates_per_device,
    start_rollout,
    wait_status,
)
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration


def test_worker_killed_mid_deploy_then_restarted_completes_without_duplicate(engine_factory):
    manager = UserFactory(username="rm")
    stages = [CANARY_GROUPS_ALL[0], {**CANARY_GROUPS_ALL[1], "approval_required": False}]
    # The lost deploy is found by reading back: give it time to show on a busy machine (the
    # pause after too few checks is tests/process/test_lost_answers.py's subject, not this one).
    with engine_factory(devices=200, env={"ROLLOUT_SETTLE_SECONDS": "5"}) as engine:
        engine.sim.fault("slow", count=1, delay=4)  # the first call: the canary deploy
        rollout = start_rollout(user=manager, stages=stages)
        # Kill only once Upswift holds the request: a kill between "sending" and the socket write
        # is a deploy that never left, which the read-backs rightly report as not sent.
        wait_for(
            lambda: (
                deploy_calls(engine.sim)
                and ApiCall.objects.filter(
                    rollout=rollout, kind=CallKind.DEPLOY, state=CallState.SENDING
                ).exists()
            ),
            timeout=30,
            describe=engine.logs,
        )
        engine.worker.kill(signal.SIGKILL)
        assert not engine.worker.alive()
        engine.restart_worker()

        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        deploys = deploy_calls(engine.sim)
        per_device = rollout_updates_per_device(engine.sim, rollout)

    assert len(deploys) == 2  # one per stage: the in-flight one was not sent again
    assert set(per_device.values()) <= {0, 1}
    # Other API errors (a read-back timing out on a busy machine) may be there too; the lost
    # deploy shows exactly once.
    errors = list(
        Event.objects.filter(rollout=rollout, kind=EventKind.API_ERROR).values_list(
            "reason", "details"
        )
    )
    lost = [details for reason, details in errors if "worker stopped" in reason.lower()]
    assert [d["kind"] for d in lost] == [CallKind.DEPLOY], errors
    assert Event.objects.filter(rollout=rollout, kind=EventKind.DEPLOY_RECOVERED).count() == 1
