"""A call Upswift rejects (4xx) is never retried: the rollout pauses for a person, and a
deploy's stage goes back to not started unless only the token was refused. Sweeps are never
resent. The simulator's call log says what was really sent."""

import pytest
from django.utils import timezone

from rollouts.engine.calls import call_send
from rollouts.engine.client import upswift_client
from rollouts.engine.outbox import calls_send_due
from rollouts.models import (
    ApiCall,
    CallKind,
    CallState,
    EventKind,
    PauseCause,
    Precheck,
    RolloutStatus,
    StageStatus,
)
from rollouts.services.actions import rollout_resume
from tests.engine.scenes import begun, events, extra_call, fresh, queued, sim_deploys

pytestmark = pytest.mark.django_db


def test_a_rejected_deploy_pauses_and_puts_its_stage_back_to_not_started(sim):
    rollout, stage, call = begun({"target": "groups", "groups": ["TestGroup1"]})
    sim.delete_group("TestGroup1", move_to="Production")

    assert call_send(call=call, rollout=rollout, stage=stage)

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, PauseCause.REJECTED)
    assert "TestGroup1" in rollout.status_reason
    assert "edit it" in rollout.status_reason
    stage.refresh_from_db()
    assert (stage.status, stage.cohort, stage.started_at) == (StageStatus.PENDING, {}, None)
    assert stage.approved_at is not None  # its approval is kept
    assert fresh(call).http_status == 400
    assert queued(stage) == []  # never retried
    assert len(events(rollout, EventKind.STAGE_RESET)) == 1


def test_a_rejected_token_pauses_with_the_deploy_waiting_to_go_once_it_is_fixed(sim, settings):
    rollout, stage, call = begun()
    sim.set_token("rotated-token")  # the console's token is refused from now on

    assert call_send(call=call, rollout=rollout, stage=stage)

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (
        RolloutStatus.PAUSED,
        PauseCause.TOKEN_REJECTED,
    )
    assert "UPSWIFT_USER_TOKEN" in rollout.status_reason
    assert fresh(stage).status == StageStatus.DEPLOYING
    (nxt,) = queued(stage)
    assert (nxt.attempt, nxt.retry_of_id, nxt.precheck) == (2, call.pk, Precheck.NONE)

    settings.UPSWIFT_USER_TOKEN = "rotated-token"
    upswift_client.cache_clear()
    rollout_resume(rollout=rollout, actor=None)
    assert calls_send_due(rollout=fresh(rollout), stage=fresh(stage))

    assert [c["status"] for c in sim_deploys(sim)] == [400, 200]
    assert fresh(stage).status == StageStatus.MONITORING


def test_a_token_rejection_is_not_counted_as_a_transient_failure(sim, settings):
    settings.ROLLOUT_MAX_ATTEMPTS = 2
    rollout, stage, call = begun()
    sim.set_token("rotated-token")
    assert call_send(call=call, rollout=rollout, stage=stage)  # 400: the token
    settings.UPSWIFT_USER_TOKEN = "rotated-token"
    upswift_client.cache_clear()
    rollout_resume(rollout=fresh(rollout), actor=None)
    (second,) = queued(stage)
    sim.fault("error_500")

    assert call_send(call=second, rollout=fresh(rollout), stage=fresh(stage))

    # One transient failure of the two allowed: its next attempt waits, the rollout runs.
    assert fresh(rollout).status == RolloutStatus.RUNNING
    assert [c.attempt for c in queued(stage)] == [3]


@pytest.mark.parametrize(
    ("token", "cause"),
    [(False, PauseCause.REJECTED), (True, PauseCause.TOKEN_REJECTED)],
    ids=["bad-group", "token"],
)
def test_a_rejected_sweep_pauses_and_queues_nothing(sim, token, cause):
    rollout, stage, call = begun()
    assert call_send(call=call, rollout=rollout, stage=stage)
    sweep = extra_call(rollout, stage, CallKind.SWEEP, groups=["NoSuchGroup"])
    if token:
        sim.set_token("rotated-token")

    assert call_send(call=sweep, rollout=rollout, stage=fresh(stage))

    rollout.refresh_from_db()
    assert (rollout.status, rollout.pause_cause) == (RolloutStatus.PAUSED, cause)
    assert (fresh(sweep).state, fresh(sweep).http_status) == (CallState.FAILED, 400)
    assert queued(stage) == []
    assert fresh(stage).status == StageStatus.MONITORING


def test_a_sweep_that_went_through_makes_the_next_read_back_due(sim):
    rollout, stage, call = begun()
    assert call_send(call=call, rollout=rollout, stage=stage)
    type(stage).objects.filter(pk=stage.pk).update(last_polled_at=timezone.now())
    sweep = extra_call(rollout, stage, CallKind.SWEEP)

    assert call_send(call=sweep, rollout=rollout, stage=fresh(stage))

    assert fresh(sweep).state == CallState.SUCCEEDED
    assert fresh(stage).last_polled_at is None
    assert len(sim_deploys(sim)) == 2


def test_a_sweep_that_fails_is_never_resent(sim):
    rollout, stage, call = begun()
    assert call_send(call=call, rollout=rollout, stage=stage)
    sweep = extra_call(rollout, stage, CallKind.SWEEP)
    sim.fault("error_500")

    assert call_send(call=sweep, rollout=rollout, stage=fresh(stage))

    assert queued(stage) == []
    assert fresh(rollout).status == RolloutStatus.RUNNING
    assert ApiCall.objects.filter(kind=CallKind.SWEEP).count() == 1
