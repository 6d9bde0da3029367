"""The API misbehaving: a 400 pauses for a person; 429s, 500s and timeouts are ridden out."""

import pytest

from rollouts.models import ApiCall, CallKind, CallState, Event, EventKind, RolloutStatus
from rollouts.services.actions import rollout_resume, stage_approve
from rollouts.services.stage_edits import rollout_stage_edit
from tests.factories import UserFactory
from tests.process.helpers import (
    CANARY_GROUPS_ALL,
    deploy_calls,
    rollout_updates_per_device,
    start_rollout,
    wait_awaiting_approval,
    wait_status,
)

pytestmark = pytest.mark.integration


def test_a_400_pauses_with_the_api_message_and_an_edited_stage_completes(engine_factory):
    """A misspelt group: Upswift rejects the deploy; the stage has not started, the rollout
    waits for a person, who fixes the group and resumes. Nothing is sent twice."""
    manager = UserFactory(username="rm")
    stages = [{"target": "groups", "groups": ["NoSuchGroup"]}, {"target": "all"}]
    with engine_factory(devices=100) as engine:
        rollout = start_rollout(user=manager, stages=stages)
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine)
        sent = deploy_calls(engine.sim)
        stage = rollout.stages.get(position=1)
        assert len(sent) == 1 and sent[0]["status"] == 400  # never retried
        assert (stage.status, stage.cohort, stage.started_at) == ("pending", {}, None)
        assert "NoSuchGroup" in stage.last_error and "NoSuchGroup" in rollout.last_error
        assert rollout.pause_cause == "rejected"
        assert "Upswift rejected the deploy call of stage 1" in rollout.status_reason
        call = ApiCall.objects.get(rollout=rollout, kind=CallKind.DEPLOY)
        assert call.http_status == 400 and not call.retryable
        assert "NoSuchGroup" in call.error_message

        rollout_stage_edit(
            rollout=rollout, position=1, changes={"groups": ["TestGroup1"]}, actor=manager
        )
        rollout_resume(rollout=rollout, actor=manager, reason="group name fixed")
        wait_awaiting_approval(rollout, 2, engine=engine)
        stage_approve(rollout=rollout, actor=manager)
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine)
        per_device = rollout_updates_per_device(engine.sim, rollout)

    assert set(per_device.values()) == {1}  # every device once, none twice
    assert Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_EDITED).count() == 1
    assert not Event.objects.filter(rollout=rollout, kind=EventKind.STAGE_FAILED).exists()


def test_429_storm_then_500s_then_timeouts_end_in_a_completed_rollout(engine_factory):
    manager = UserFactory(username="rm")
    stages = [CANARY_GROUPS_ALL[0], {**CANARY_GROUPS_ALL[1], "approval_required": False}]
    with engine_factory(devices=100) as engine:
        engine.sim.fault("rate_limit", count=6)
        engine.sim.fault("error_500", count=4)
        # Timeouts that the API carried out anyway: the console must not deploy twice.
        engine.sim.fault("timeout", count=2, delay=5, apply=True)
        rollout = start_rollout(user=manager, stages=stages)
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine, timeout=120)
        sent = deploy_calls(engine.sim)
        per_device = rollout_updates_per_device(engine.sim, rollout)
        statuses = [c["status"] for c in engine.sim.calls()]

    assert statuses.count(429) == 6 and statuses.count(500) == 4
    assert [c for c in sent if c["status"] == 200]  # the deploys got through in the end
    assert set(per_device.values()) <= {0, 1} and 1 in per_device.values()  # nobody twice
    failed = ApiCall.objects.filter(rollout=rollout, state=CallState.FAILED)
    assert {c.http_status for c in failed} >= {429}
    backoffs = Event.objects.filter(rollout=rollout, kind=EventKind.API_ERROR)
    retried = [e for e in backoffs if e.details.get("kind") != "poll"]  # polls just rerun
    assert retried and all(e.details["retry_in_seconds"] > 0 for e in retried)
    assert rollout.stages.filter(status="succeeded").count() == 2


def test_a_long_outage_pauses_with_the_error_and_resume_completes(engine_factory):
    manager = UserFactory(username="rm")
    with engine_factory(devices=100, env={"ROLLOUT_MAX_ATTEMPTS": "3"}) as engine:
        engine.sim.fault("error_500", count=1000)
        rollout = start_rollout(user=manager, stages=[CANARY_GROUPS_ALL[0]])
        wait_status(rollout, RolloutStatus.PAUSED, engine=engine)
        engine.sim.clear_faults()
        rollout_resume(rollout=rollout, actor=manager, reason="API is back")
        wait_status(rollout, RolloutStatus.COMPLETED, engine=engine)
        sent = deploy_calls(engine.sim)

    pause = Event.objects.get(rollout=rollout, kind=EventKind.PAUSED)
    assert "unavailable after 3 attempts" in pause.reason
    assert "500" in pause.reason
    assert [c["status"] for c in sent] == [500, 200]  # checked by read-back, sent once more
    attempts = ApiCall.objects.filter(rollout=rollout, kind=CallKind.DEPLOY).order_by("attempt")
    assert [c.state for c in attempts] == ["failed", "failed", "failed", "succeeded"]
